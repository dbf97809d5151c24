"""Bulk receive: P-DATA values as views, the rest of a large PDU received in place."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from dicomcore.pdu.buffer import PDU_HEADER, ReceiveBuffer
from dicomcore.errors import PDUError
from dicomcore.pdu.pdus import PDV, AAbort, AReleaseRQ, PDataTF

from ul_helpers import open_acceptor


def _pdata(n: int, fill: int) -> bytes:
    return PDataTF([PDV.fragment(1, bytes([fill]) * n, command=False, last=False)]).encode()


STREAM = _pdata(70000, 1) + _pdata(10, 2) + _pdata(200000, 3) + AReleaseRQ().encode()


def _feed(sizes: list[int], into_min: int | None) -> tuple[list, list]:
    """STREAM in pieces of ``sizes`` (cyclically); with ``into_min`` the driver
    receives into ``get_buffer()`` whenever it is offered."""
    acc = open_acceptor()
    pos, i = 0, 0
    while pos < len(STREAM):
        size = sizes[i % len(sizes)]
        buf = acc.get_buffer(into_min) if into_min is not None else None
        if buf is not None:
            n = min(len(buf), size)
            buf[:n] = STREAM[pos:pos + n]
            acc.buffer_updated(n, 3)
        else:
            n = size
            acc.receive_data(STREAM[pos:pos + n], 3)
        pos += n
        i += 1
    return [[(p.control, bytes(p.data)) for p in e.pdvs] for e in acc.events()
            if hasattr(e, "pdvs")], acc.trace


WHOLE = _feed([len(STREAM)], None)


def test_whole_stream():
    pdatas, trace = WHOLE
    assert [len(p[0][1]) for p in pdatas] == [70000, 10, 200000]
    assert trace[-1] == ("Sta6", "Evt12", "AR-2", "Sta8")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 300000), min_size=1, max_size=12).filter(lambda s: sum(s) > 1000), st.sampled_from([None, 1, 16384]))
def test_any_chunking_with_or_without_receive_into(sizes, into_min):
    assert _feed(sizes, into_min) == WHOLE


def test_byte_by_byte_with_receive_into():
    assert _feed([1], 1) == WHOLE


def test_receive_into_offered_only_after_the_length_check():
    buf = ReceiveBuffer({0x04: 1000, 0x07: 4})
    buf.append(PDU_HEADER.pack(4, 1001))
    with pytest.raises(PDUError):  # the length is over the limit
        buf.next_pdu()
    assert buf.failed and buf.get_buffer() is None  # nothing allocated from that length
    buf = ReceiveBuffer({0x04: 1000, 0x07: 4})
    buf.append(PDU_HEADER.pack(4, 1000)[:5])
    assert buf.next_pdu() is None and buf.get_buffer() is None  # header not complete
    buf.append(PDU_HEADER.pack(4, 1000)[5:] + b"\0" * 10)
    assert buf.next_pdu() is None
    view = buf.get_buffer()
    assert len(view) == 990
    view[:] = b"\1" * 990
    buf.buffer_updated(990)
    pdu = buf.next_pdu()
    assert bytes(pdu[6:16]) == b"\0" * 10 and bytes(pdu[16:]) == b"\1" * 990


def test_views_stay_valid_and_caller_buffers_are_copied():
    buf = ReceiveBuffer()
    reused = bytearray(_pdata(100, 7) + AAbort().encode())
    buf.append(reused)  # not bytes: the caller may reuse it, so it is copied
    reused[:] = b"\xff" * len(reused)
    first = buf.next_pdu()
    assert bytes(first[12:]) == b"\7" * 100
    assert buf.next_pdu() == AAbort().encode() and isinstance(AAbort().encode(), bytes)
    data = _pdata(100, 8)
    buf.append(data[:50])
    buf.append(data[50:] + _pdata(100, 9))
    second, third = buf.next_pdu(), buf.next_pdu()
    assert bytes(first[12:]) == b"\7" * 100  # earlier views unchanged
    assert bytes(second[12:]) == b"\10" * 100 and bytes(third[12:]) == b"\11" * 100
    assert second.readonly and third.readonly and len(buf) == 0


def test_a_header_commits_bounded_memory():
    from dicomcore.pdu import buffer as b
    rb = ReceiveBuffer({0x04: 64 << 20})
    rb.append(PDU_HEADER.pack(4, 64 << 20))  # a sane length, but nothing follows yet
    assert rb.next_pdu() is None
    assert len(rb.get_buffer()) == b._EAGER - 6  # not 64 MiB
    body = bytes(range(256)) * (1 << 18)  # 64 MiB
    pos = 0
    while pos < len(body):
        view = rb.get_buffer()
        n = len(view)
        view[:] = body[pos:pos + n]
        view.release()
        rb.buffer_updated(n)
        pos += n
        pdu = rb.next_pdu()
    assert pdu is not None and bytes(pdu[6:]) == body
