"""``ValueCopier``: which way a delivered value goes to its file, and the splice way itself."""
from __future__ import annotations

import os
import socket
import ssl
import threading

import pytest
from hypothesis import given, settings, strategies as st

from dicomcore.transport.value_copy import SAMPLE, SpliceRefused, ValueCopier

pytestmark = pytest.mark.skipif(not hasattr(os, "splice"), reason="os.splice is Linux-only")


def _choices(copier: ValueCopier, costs: dict[bool, int], pieces: int, size: int) -> list[bool]:
    """Ask ``pieces`` times, recording ``size`` bytes at ``costs[way]`` ns per byte."""
    made = []
    for _ in range(pieces):
        way = copier.prefers_splice()
        copier.record(way, size, costs[way] * size)
        made.append(way)
    return made


def test_both_ways_are_timed_in_turn_then_the_cheaper_kept():
    a, b = socket.socketpair()
    with a, b:
        copier = ValueCopier(a)
        piece = SAMPLE // 4
        sampling = _choices(copier, {True: 2, False: 1}, 8, piece)
        assert sampling == [True, False] * 4  # 4 MiB each way, alternately
        assert _choices(copier, {True: 2, False: 1}, 5, piece) == [False] * 5


def test_the_way_chosen_is_left_when_it_turns_out_dearer():
    a, b = socket.socketpair()
    with a, b:
        copier = ValueCopier(a)
        _choices(copier, {True: 1, False: 2}, 8, SAMPLE // 4)
        assert copier.prefers_splice()
        # the same transfer, now (say) from a sender whose pages sit badly for memcpy
        later = _choices(copier, {True: 6, False: 2}, 12, SAMPLE // 4)
        assert later[0] and not later[-1]


def test_never_splices_what_it_cannot():
    context = ssl.create_default_context()
    with socket.socket() as raw, context.wrap_socket(raw, server_hostname="peer") as tls:
        copier = ValueCopier(tls)
        assert not copier.can_splice and not copier.prefers_splice()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=200_000), min_size=1, max_size=6))
def test_spliced_bytes_are_the_bytes_sent(tmp_path_factory, chunks):
    data = b"".join(chunks)
    path = tmp_path_factory.mktemp("splice") / "value.bin"
    a, b = socket.socketpair()
    with a, b, open(path, "wb", buffering=0) as file:
        b.settimeout(5)
        sender = threading.Thread(target=lambda: [a.sendall(c) for c in chunks])
        sender.start()
        copier = ValueCopier(b)
        left = len(data)
        for _ in range(10_000):  # bounded: each round moves at least a byte or waits
            if not left:
                break
            n = copier.splice(file.fileno(), left)
            if n:
                left -= n
        sender.join()
        copier.close()
    assert path.read_bytes() == data


def test_a_closed_peer_and_a_silent_one():
    a, b = socket.socketpair()
    with b, open(os.devnull, "wb") as sink:
        b.settimeout(0.05)
        copier = ValueCopier(b)
        with pytest.raises(socket.timeout):
            copier.splice(sink.fileno(), 100)
        a.close()
        assert copier.splice(sink.fileno(), 100) == 0
        copier.close()


def test_bytes_the_file_refuses_are_handed_back(tmp_path):
    """A file that refuses (disk full; here, opened read-only) gets nothing, and the
    bytes already taken from the socket come back to be handed on, none lost."""
    path = tmp_path / "read-only.bin"
    path.write_bytes(b"")
    a, b = socket.socketpair()
    with a, b, open(path, "rb") as refusing:
        a.sendall(b"x" * 5000)
        b.settimeout(5)
        copier = ValueCopier(b)
        with pytest.raises(SpliceRefused) as refused:
            copier.splice(refusing.fileno(), 5000)
        assert refused.value.written == 0 and refused.value.rest == b"x" * 5000
        copier.close()


def test_the_pipe_is_closed_with_the_copier():
    a, b = socket.socketpair()
    with a, b, open(os.devnull, "wb") as sink:
        a.sendall(b"y")
        copier = ValueCopier(b)
        assert copier.splice(sink.fileno(), 1) == 1
        ends = copier._pipe
        copier.close()
        assert ends is not None and copier._pipe is None
        for end in ends:
            with pytest.raises(OSError):
                os.fstat(end)

