"""Hostile input: only PDUError escapes a decoder; the machine aborts per the table, never raises."""
from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomcore.errors import DicomError, EncodeError, LimitError, PDUError
from dicomcore.pdu.buffer import PDU_HEADER, ReceiveBuffer
from dicomcore.pdu.items import decode_item
from dicomcore.pdu.pdus import (PDV, AAbort, AAssociateAC, AAssociateRJ, AReleaseRP, AReleaseRQ,
                                PDataTF, decode_pdu)
from dicomcore.pdu.primitives import (AbortRequest, AssociateRequest, AssociateResponse,
                                      PAbortIndication, PDataRequest,
                                      ReleaseRequest, ReleaseResponse, indication_from_pdu,
                                      request_to_pdu)
from dicomcore.pdu.statemachine import EVENTS, STATES, TRANSITIONS, StateError
from dicomcore.pdu.upperlayer import UpperLayer
from ul_helpers import Pair, accept, pdata, request

RQ = request_to_pdu(request()).encode()


def acceptor_in_sta2() -> UpperLayer:
    ul = UpperLayer()
    ul.connection_open(0)
    return ul


def established() -> Pair:
    p = Pair()
    p.associate()
    return p


def sent_abort(ul: UpperLayer) -> AAbort:
    pdu = decode_pdu(ul.data_to_send())
    assert isinstance(pdu, AAbort)
    return pdu


# ---------------------------------------------------------------- framing
@pytest.mark.parametrize("pdu_type", [1, 2, 3, 4, 5, 6, 7])
@pytest.mark.parametrize("length", [0xFFFFFFFF, 0x7FFFFFFF, (64 << 20) + 1])
def test_lying_length_is_refused_without_waiting(pdu_type, length):
    p = established()
    p.acc.receive_data(PDU_HEADER.pack(pdu_type, length), 100)  # header only, no body
    assert p.acc.trace[-1] == ("Sta6", "Evt19", "AA-8", "Sta13")
    abort = sent_abort(p.acc)
    assert (abort.source, abort.reason) == (2, 6)  # service-provider, invalid-PDU-parameter value
    ev = p.acc.events()[-1]
    assert isinstance(ev, PAbortIndication) and ev.reason == 6 and "PDU-length" in ev.detail
    assert p.acc.deadline() == 100 + 30.0
    p.acc.receive_data(b"\x00" * 1000, 101)  # framing lost: later bytes are dropped
    assert p.acc.state == "Sta13"


@pytest.mark.parametrize("pdu_type", [0x00, 0x08, 0x10, 0xFF])
def test_unknown_pdu_type(pdu_type):
    p = established()
    p.acc.receive_data(PDU_HEADER.pack(pdu_type, 4) + b"\0" * 4, 1)
    assert p.acc.trace[-1] == ("Sta6", "Evt19", "AA-8", "Sta13")
    abort = sent_abort(p.acc)
    assert (abort.source, abort.reason) == (2, 1)  # unrecognized-PDU
    p2 = established()
    p2.acc.receive_data(PDU_HEADER.pack(pdu_type, 0xFFFFFFFF), 1)
    abort = sent_abort(p2.acc)
    assert (abort.source, abort.reason) == (2, 1)  # unrecognized-PDU


def test_unknown_pdu_in_sta2_is_aa1():
    ul = acceptor_in_sta2()
    ul.receive_data(PDU_HEADER.pack(0x09, 0), 1)
    assert ul.trace[-1] == ("Sta2", "Evt19", "AA-1", "Sta13")
    assert sent_abort(ul).source == 0  # PS3.8 AA-1: "service-user source"


def test_pdata_larger_than_advertised_maximum():
    p = Pair()
    p.req.send(request(max_length=1000), 0)  # we will receive at most 1000
    p.acc.connection_open(0)
    p.req.connection_confirmed(0)
    p.pump()
    p.acc.send(accept(max_length=0), 1)
    p.pump()
    p.req.receive_data(PDU_HEADER.pack(4, 1001), 2)
    assert p.req.trace[-1] == ("Sta6", "Evt19", "AA-8", "Sta13")
    p.req.receive_data(b"", 3)
    assert p.req.state == "Sta1"


def test_receive_buffer_limits():
    buf = ReceiveBuffer()
    buf.append(PDU_HEADER.pack(7, 4))
    assert buf.next_pdu() is None  # a sane length: wait for 4 more bytes
    buf.append(b"\0\0\0")
    assert buf.next_pdu() is None
    buf.append(b"\0" + PDU_HEADER.pack(5, 4))
    assert buf.next_pdu() == AAbort().encode()
    buf.append(b"\0" * 4)
    assert buf.next_pdu() == AReleaseRQ().encode()
    assert len(buf) == 0
    buf.append(PDU_HEADER.pack(7, 5))
    with pytest.raises(PDUError) as e:
        buf.next_pdu()
    assert (e.value.pdu_type, e.value.field, e.value.offset) == (7, "PDU-length", 2)
    assert buf.failed and buf.next_pdu() is None


# ---------------------------------------------------------------- truncation
def _with_length(body: bytes, pdu_type: int = 1) -> bytes:
    return PDU_HEADER.pack(pdu_type, len(body)) + body


def test_truncated_rq_at_every_offset_decodes_or_raises_pdu_error():
    errors = 0
    for n in range(len(RQ) - 6):
        data = _with_length(RQ[6:6 + n])
        try:
            decode_pdu(data)
        except PDUError as e:
            errors += 1
            assert e.pdu_type == 1 and e.offset is not None and 0 <= e.offset <= len(data)
        ul = acceptor_in_sta2()
        ul.receive_data(data, 1)
        assert ul.state in ("Sta3", "Sta13")
    assert errors > len(RQ) - 20  # nearly every cut is an error; cuts at item ends may decode


def test_stream_cut_at_every_offset_then_closed():
    for n in range(1, len(RQ)):
        ul = acceptor_in_sta2()
        ul.receive_data(RQ[:n], 1)
        ul.receive_data(b"", 2)
        assert ul.trace[-1] == ("Sta2", "Evt17", "AA-5", "Sta1")


def _item_offset(pdu_bytes: bytes, item_title_prefix: str) -> int:
    pdu = decode_pdu(pdu_bytes)
    return next(ln.offset for ln in pdu.describe()
                if ln.name == "Item-type" and item_title_prefix in ln.value)


@pytest.mark.parametrize("title", ["Application Context", "Presentation Context", "Abstract Syntax",
                                   "Transfer Syntax", "User Information", "Maximum Length"])
@pytest.mark.parametrize("extra", [1, 0xFF])
def test_item_overflowing_its_parent(title, extra):
    data = bytearray(RQ)
    at = _item_offset(RQ, title)
    (length,) = struct.unpack_from(">H", data, at + 2)
    struct.pack_into(">H", data, at + 2, min(length + extra, 0xFFFF))
    with pytest.raises(PDUError) as e:
        decode_pdu(bytes(data))
    assert e.value.pdu_type == 1
    assert "Item-length" in e.value.field or "Item" in e.value.field or "Sub-Item" in e.value.field
    ul = acceptor_in_sta2()
    ul.receive_data(bytes(data), 1)
    assert ul.trace[-1] == ("Sta2", "Evt19", "AA-1", "Sta13")


def test_fixed_sub_item_with_wrong_length():
    bad = bytes([0x51, 0, 0, 5, 0, 0, 0x40, 0, 0])
    with pytest.raises(PDUError, match="Item-length"):
        decode_item(bad)


def test_associate_rq_without_application_context():
    data = bytearray(RQ)
    at = _item_offset(RQ, "Application Context")
    data[at] = 0x11  # now an unknown item: skipped, so no application context is left
    with pytest.raises(PDUError, match="Application Context"):
        decode_pdu(bytes(data))


def test_unknown_items_are_skipped_and_described():
    data = bytearray(RQ)
    at = _item_offset(RQ, "Maximum Length")
    data[at] = 0x7A  # an unknown user information sub-item
    pdu = decode_pdu(bytes(data))
    assert pdu.user_information.sub_items[0].item_type == 0x7A
    assert any("unrecognized" in str(ln.value) for ln in pdu.describe())
    assert pdu.encode() == bytes(data)


# ---------------------------------------------------------------- P-DATA-TF
def _pdv_bytes(length: int, context_id: int, rest: bytes) -> bytes:
    return _with_length(struct.pack(">IB", length, context_id) + rest, pdu_type=4)


@pytest.mark.parametrize("data, why", [
    (_pdv_bytes(0, 1, b""), "PDV length 0"),
    (_pdv_bytes(1, 1, b""), "no message control header"),
    (_pdv_bytes(100, 1, b"\x03abc"), "PDV overflowing the PDU"),
    (_pdv_bytes(4, 0, b"\x03ab"), "context id 0"),
    (_pdv_bytes(4, 2, b"\x03ab"), "even context id"),
    (_pdv_bytes(4, 3, b"\x03ab"), "context 3 was rejected"),
    (_with_length(b"", pdu_type=4), "no PDV at all"),
])
def test_bad_pdata(data, why):
    p = established()
    p.acc.receive_data(data, 5)
    assert p.acc.trace[-1] == ("Sta6", "Evt19", "AA-8", "Sta13"), why
    abort = sent_abort(p.acc)
    assert (abort.source, abort.reason) == (2, 6)
    assert isinstance(p.acc.events()[-1], PAbortIndication)
    p.req.receive_data(abort.encode(), 6)  # the peer sees an A-P-ABORT from our provider
    ev = p.req.events()[-1]
    assert isinstance(ev, PAbortIndication) and ev.from_peer and ev.reason == 6
    assert p.req.state == "Sta1" and p.req.close_requested


# ---------------------------------------------------------------- any bytes
@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_decode_pdu_raises_only_pdu_error(data):
    try:
        decode_pdu(data)
    except PDUError:
        pass


@settings(max_examples=200)
@given(st.binary(max_size=300), st.sampled_from(["Sta2", "Sta5", "Sta6", "Sta7", "Sta13"]))
def test_machine_never_raises_on_garbage(data, state):
    ul = machine_in(state)
    ul.receive_data(data, 1)
    ul.receive_data(b"", 2)
    assert ul.state in STATES


@settings(max_examples=200)
@given(st.integers(0, len(RQ) - 1), st.integers(0, 255))
def test_single_byte_corruption_of_rq(at, value):
    data = bytearray(RQ)
    data[at] = value
    ul = acceptor_in_sta2()
    ul.receive_data(bytes(data), 1)
    assert ul.state in ("Sta2", "Sta3", "Sta13")  # Sta2: a larger length still waits for data


# ---------------------------------------------------------------- every (state, event)
def machine_in(state: str, requestor: bool = True) -> UpperLayer:
    """A machine forced into ``state`` with what that state implies already known."""
    ul = UpperLayer()
    ul.state = state
    ul.is_requestor = requestor
    ul.pending_request = request_to_pdu(request())
    ul.indication = indication_from_pdu(ul.pending_request)
    ul.accepted_contexts = frozenset({1})
    ul.start_artim()
    return ul


PEER_INPUT = {
    "Evt3": AAssociateAC("ANY-SCP", "ECHOSCU", accept().presentation_contexts).encode(),
    "Evt4": AAssociateRJ(1, 1, 1).encode(),
    "Evt6": RQ,
    "Evt10": PDataTF(pdata(10).pdvs).encode(),
    "Evt12": AReleaseRQ().encode(),
    "Evt13": AReleaseRP().encode(),
    "Evt16": AAbort(0, 0).encode(),
    "Evt19": PDU_HEADER.pack(0x42, 0),
}


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("event", [*PEER_INPUT, "Evt17", "Evt18"])
def test_peer_events_never_raise(state, event):
    ul = machine_in(state)
    if event == "Evt17":
        ul.receive_data(b"", 1)
    elif event == "Evt18":
        ul.handle_timeout(1e9)
    else:
        ul.receive_data(PEER_INPUT[event], 1)
    assert ul.state in STATES
    assert ul.trace and ul.trace[-1][:2] == (state, event)
    cell = TRANSITIONS.get((state, event))
    if cell is not None:
        action, fixed = cell
        assert ul.trace[-1][2] == action.label
        assert ul.state == (fixed or ul.state)
    elif state == "Sta1" or event == "Evt18":
        assert ul.state == state  # ignored (module docstring of statemachine)
    else:
        assert ul.trace[-1][2:] == ("AA-8", "Sta13")


USER_PRIMITIVES = {
    "Evt1": request(), "Evt7": accept(),
    "Evt8": AssociateResponse(result=1),
    "Evt9": pdata(10), "Evt11": ReleaseRequest(), "Evt14": ReleaseResponse(), "Evt15": AbortRequest(),
}


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("event", list(USER_PRIMITIVES))
def test_user_primitives(state, event):
    ul = machine_in(state)
    before = (ul.state, list(ul.trace), ul.deadline())
    if (state, event) in TRANSITIONS:
        ul.send(USER_PRIMITIVES[event], 5)
        assert ul.trace[-1][:3] == (state, event, TRANSITIONS[state, event][0].label)
        return
    with pytest.raises(StateError):
        ul.send(USER_PRIMITIVES[event], 5)
    assert (ul.state, ul.trace, ul.deadline()) == before
    assert ul.data_to_send() == b"" and ul.events() == []


@pytest.mark.parametrize("state", [s for s in STATES if s not in ("Sta1", "Sta4")])
def test_transport_primitives_out_of_state(state):
    ul = machine_in(state)
    with pytest.raises(StateError):
        ul.connection_open(1)
    with pytest.raises(StateError):
        ul.connection_confirmed(1)
    assert ul.state == state and ul.trace == []


def test_bad_primitives_change_nothing():
    p = established()
    with pytest.raises(EncodeError):
        p.req.send(PDataRequest([PDV(2, 3, b"xx")]), 1)  # even context id
    with pytest.raises(EncodeError):
        p.req.send(PDataRequest([]), 1)
    with pytest.raises(LimitError):
        p.req.send(pdata(20000), 1)  # the peer receives at most 16384
    with pytest.raises(TypeError):
        p.req.send("hello", 1)
    ul = UpperLayer()
    with pytest.raises(EncodeError):
        ul.send(AssociateRequest("A" * 17, "ME"), 1)
    assert ul.state == "Sta1" and not ul.connect_requested
    assert p.req.state == "Sta6" and p.req.data_to_send() == b""
    assert all(issubclass(e, DicomError) for e in (StateError, EncodeError, LimitError))


def test_events_table_is_complete():
    assert len(EVENTS) == 19 and len(STATES) == 13
