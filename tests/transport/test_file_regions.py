"""File regions on the way out: read a piece at a time into one reused buffer and
sent in order with the chunks around them, whatever their sizes."""
from __future__ import annotations

import os
import socket
import threading

import pytest
from hypothesis import given, settings, strategies as st

from dicomcore.pdu.buffer import FileRegion
from dicomcore.pdu.upperlayer import UpperLayer
from dicomcore.transport.connection import RECV_SIZE, Connection

FILE_SIZE = 3 * RECV_SIZE + 12345  # regions longer than the send buffer too


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("regions") / "source.bin"
    path.write_bytes(os.urandom(FILE_SIZE))
    fd = os.open(path, os.O_RDONLY)
    yield fd, path.read_bytes()
    os.close(fd)


def _send(chunks: list) -> bytes:
    """What the peer of a Connection receives when it writes ``chunks``."""
    a, b = socket.socketpair()
    received = bytearray()

    def drain():
        while piece := b.recv(1 << 20):
            received.extend(piece)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        Connection(a, UpperLayer())._write(chunks)
    finally:
        a.shutdown(socket.SHUT_WR)
        reader.join(10)
        a.close()
        b.close()
    return bytes(received)


region = st.tuples(st.integers(0, FILE_SIZE), st.integers(0, FILE_SIZE)).map(sorted)
chunk = st.one_of(st.binary(max_size=64), region)


@settings(max_examples=30, deadline=None)
@given(st.lists(chunk, min_size=1, max_size=6))
def test_regions_and_bytes_arrive_in_order(source, chunks):
    fd, data = source
    sent = [FileRegion(fd, c[0], c[1] - c[0]) if isinstance(c, list) else c for c in chunks]
    expected = b"".join(data[c[0]:c[1]] if isinstance(c, list) else c for c in chunks)
    assert _send(sent) == expected


def test_a_region_past_the_end_of_its_file_is_an_error_naming_the_offset(source):
    fd, _ = source
    a, b = socket.socketpair()
    with a, b:
        b.settimeout(5)
        with pytest.raises(OSError, match=f"offset {FILE_SIZE}"):
            Connection(a, UpperLayer())._write([FileRegion(fd, FILE_SIZE - 10, 20)])
