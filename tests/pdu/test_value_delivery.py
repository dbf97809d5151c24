"""Values delivered as they arrive (``UpperLayer.value_sink``): a large single-PDV
P-DATA-TF goes to the sink's writer, or to its file by the driver, never assembled.

What must hold whatever the chunking: the bytes that reach the "file" (written by
the sink, moved by the driver, or taken by the user from ordinary indications, in
event order) are the data set's bytes in order; each delivered value is announced
by an indication carrying its length; the state machine sees every PDU.
"""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from dicomcore.pdu.buffer import DeliveredValue, ReceiveBuffer
from dicomcore.pdu.pdus import PDV, AReleaseRQ, PDataTF
from dicomcore.pdu.primitives import PDataIndication

from ul_helpers import open_acceptor

SIZES = [70000, 10, 200000, 4000, 131072]  # value sizes of the data set's fragments


def _stream(sizes: list[int]) -> tuple[bytes, bytes]:
    """A command PDV, the data set in one PDU per fragment, then A-RELEASE-RQ."""
    pdus = [PDataTF([PDV.fragment(1, b"\x01\x02" * 10, command=True, last=True)]).encode()]
    data = b""
    for i, n in enumerate(sizes):
        value = bytes((i * 7 + k) & 0xFF for k in range(251)) * (n // 251) + bytes(n % 251)
        # context 1: the one ul_helpers.accept() accepts
        data += value
        pdus.append(PDataTF([PDV.fragment(1, value, command=False,
                                          last=i == len(sizes) - 1)]).encode())
    return b"".join(pdus) + AReleaseRQ().encode(), data


class _File:
    """The sink: takes data fragments over 1,000 bytes; ``fileno`` only if splicing."""

    def __init__(self, splice: bool):
        self.data = bytearray()
        self.offers: list[tuple[int, int, int]] = []
        if splice:
            self.fileno = lambda: 99

    def __call__(self, piece: memoryview) -> None:
        self.data += piece

    def sink(self, context_id: int, control: int, length: int):
        self.offers.append((context_id, control, length))
        return self if not control & 1 and length > 1000 else None


def _run(stream: bytes, sizes: list[int], *, into: bool, splice: bool):
    acc = open_acceptor()
    file = _File(splice)
    acc.value_sink = file.sink
    delivered = []
    pos, i = 0, 0

    def take_events() -> None:
        for event in acc.events():
            if isinstance(event, PDataIndication):
                for pdv in event.pdvs:
                    if isinstance(pdv.data, DeliveredValue):
                        delivered.append(len(pdv.data))
                    elif not pdv.is_command:
                        file.data += pdv.data  # what a user does with an ordinary fragment

    while pos < len(stream):
        size = sizes[i % len(sizes)]
        i += 1
        target = acc.delivery_fd() if splice else None
        buf = acc.get_buffer(1) if into and target is None else None
        if target is not None:  # the driver moves bytes to the file itself
            _, left = target
            n = min(size, left)
            file.data += stream[pos:pos + n]
            acc.value_received(n, 3)
        elif buf is not None:
            n = min(len(buf), size)
            buf[:n] = stream[pos:pos + n]
            buf.release()
            acc.buffer_updated(n, 3)
        else:
            hint = acc.receive_size()
            n = min(size, hint) if hint else size
            acc.receive_data(stream[pos:pos + n], 3)
        pos += n
        take_events()
    return acc, file, delivered


STREAM, DATA = _stream(SIZES)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 1 << 19), min_size=1, max_size=6).filter(
    lambda sizes: sum(sizes) > 4000), st.booleans(), st.booleans())
def test_delivered_bytes_arrive_in_order_whatever_the_chunking(sizes, into, splice):
    stream, data = STREAM, DATA
    acc, file, delivered = _run(stream, sizes, into=into, splice=splice)
    assert bytes(file.data) == data
    assert acc.trace[-1][:2] == ("Sta6", "Evt12")
    assert all(n in SIZES and n > 1000 for n in delivered)


def test_one_big_chunk_delivers_nothing_but_loses_nothing():
    """PDUs lying whole in what was received are handed over as views, as before."""
    stream, data = _stream(SIZES)
    acc, file, delivered = _run(stream, [len(stream)], into=False, splice=False)
    assert bytes(file.data) == data and delivered == []


def test_small_chunks_deliver_every_large_fragment():
    """A PDU that starts beside indications the user has not taken (the command's)
    waits, unassembled, for the next bytes: then the sink is offered it too."""
    stream, data = _stream(SIZES)
    acc, file, delivered = _run(stream, [8192], into=True, splice=True)
    assert bytes(file.data) == data
    assert delivered == [70000, 200000, 4000, 131072]


def test_declined_offers_take_the_usual_path():
    stream, data = _stream([5000, 6000])
    acc = open_acceptor()
    offers = []
    acc.value_sink = lambda *head: offers.append(head)  # declines everything (None)
    got = bytearray()
    for start in range(0, len(stream), 1000):
        acc.receive_data(stream[start:start + 1000], 3)
        for event in acc.events():
            for pdv in getattr(event, "pdvs", []):
                if not pdv.is_command:
                    got += pdv.data
    assert bytes(got) == data
    assert offers and all(head[0] == 1 for head in offers)


def test_peek_single_pdv_only_for_an_incomplete_single_pdv_pdata():
    two = PDataTF([PDV.fragment(1, b"ab", command=False, last=False),
                   PDV.fragment(1, b"cd" * 100, command=False, last=True)]).encode()
    one = PDataTF([PDV.fragment(1, b"ef" * 100, command=False, last=True)]).encode()
    for stream, expected in ((two[:50], None), (one[:50], (1, 2, 200)), (one, None),
                             (one[:11], None), (AReleaseRQ().encode(), None)):
        buf = ReceiveBuffer()
        buf.append(stream)
        assert buf.peek_single_pdv() == expected, stream[:12]


def test_a_length_over_the_limit_is_left_to_the_usual_refusal():
    one = PDataTF([PDV.fragment(1, b"ef" * 100, command=False, last=True)]).encode()
    buf = ReceiveBuffer({0x04: 100})
    buf.append(one[:50])
    assert buf.peek_single_pdv() is None
