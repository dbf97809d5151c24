"""A requestor and an acceptor wired in memory: associate, data, release, abort; chunkings."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dicomcore.pdu.items import MaximumLength, UserInformation
from dicomcore.pdu.pdus import PDV, AAssociateAC, AReleaseRQ, PDataTF
from dicomcore.pdu.primitives import (AbortIndication, AbortRequest, AssociateConfirmation,
                                      AssociateIndication, AssociateResponse, PDataIndication,
                                      ReleaseConfirmation, ReleaseIndication, ReleaseRequest,
                                      ReleaseResponse, REJECTED_PERMANENT, request_to_pdu)
from dicomcore.pdu.upperlayer import UpperLayer
from ul_helpers import VERIFICATION, Pair, accept, pdata, request


def test_associate_data_release():
    p = Pair()
    p.associate()
    ind, conf = p.acc_events[0], p.req_events[0]
    assert isinstance(ind, AssociateIndication) and ind.called_ae_title == "ANY-SCP"
    assert ind.presentation_contexts[0].abstract_syntax == VERIFICATION
    assert isinstance(conf, AssociateConfirmation) and conf.accepted
    assert conf.called_ae_title == "ANY-SCP" and conf.calling_ae_title == "ECHOSCU"  # echoed
    assert p.req.accepted_contexts == p.acc.accepted_contexts == {1}
    assert p.req.peer_max_pdu_length == p.acc.peer_max_pdu_length == 16384

    p.req.send(pdata(1000), p.tick())
    p.acc.send(pdata(2000, command=False), p.tick())
    p.pump()
    assert p.acc_events[-1] == PDataIndication(pdata(1000).pdvs)
    assert p.req_events[-1] == PDataIndication(pdata(2000, command=False).pdvs)

    p.req.send(ReleaseRequest(), p.tick())
    p.pump()
    assert p.acc_events[-1] == ReleaseIndication() and p.acc.state == "Sta8"
    p.acc.send(pdata(10), p.tick())  # AR-7: the acceptor may still send data in Sta8
    p.pump()
    assert isinstance(p.req_events[-1], PDataIndication) and p.req.state == "Sta7"  # AR-6
    p.acc.send(ReleaseResponse(), p.tick())
    assert p.acc.state == "Sta13" and p.acc.deadline() is not None  # AR-4 starts ARTIM
    p.pump()
    assert p.req_events[-1] == ReleaseConfirmation()
    assert p.req.state == "Sta1" and p.req.close_requested  # AR-3
    p.close_both()
    assert p.acc.state == "Sta1" and p.acc.deadline() is None  # AR-5
    assert [t[2] for t in p.req.trace] == ["AE-1", "AE-2", "AE-3", "DT-1", "DT-2", "AR-1", "AR-6", "AR-3"]
    assert [t[2] for t in p.acc.trace] == ["AE-5", "AE-6", "AE-7", "DT-1", "DT-2", "AR-2", "AR-7",
                                          "AR-4", "AR-5"]


def test_release_collision():
    p = Pair()
    p.associate()
    p.req.send(ReleaseRequest(), p.tick())
    p.acc.send(ReleaseRequest(), p.tick())
    assert p.req.state == p.acc.state == "Sta7"
    p.pump()
    assert p.req.state == "Sta9" and p.acc.state == "Sta10"  # AR-8 picks by role
    assert p.req_events[-1] == p.acc_events[-1] == ReleaseIndication(collision=True)
    # PS3.7 7.2.2.7: the requestor answers first
    p.req.send(ReleaseResponse(), p.tick())
    assert p.req.state == "Sta11"  # AR-9
    p.pump()
    assert p.acc.state == "Sta12" and p.acc_events[-1] == ReleaseConfirmation()  # AR-10
    p.acc.send(ReleaseResponse(), p.tick())
    p.pump()
    assert p.req.state == "Sta1" and p.req_events[-1] == ReleaseConfirmation()  # AR-3
    assert p.acc.state == "Sta13"
    p.close_both()
    assert p.acc.state == "Sta1"


def test_user_abort():
    p = Pair()
    p.associate()
    p.req.send(AbortRequest(), p.tick())
    assert p.req.state == "Sta13" and p.req.deadline() == p.now + 30  # AA-1
    p.pump()
    assert p.acc_events[-1] == AbortIndication()
    assert p.acc.state == "Sta1" and p.acc.close_requested  # AA-3
    p.close_both()
    assert p.req.state == "Sta1" and p.req.deadline() is None  # AR-5


def test_abort_while_connecting():
    ul = UpperLayer()
    ul.send(request(), 0)
    ul.send(AbortRequest(), 1)
    assert ul.state == "Sta1" and ul.close_requested and not ul.data_to_send()  # AA-2


def test_reject():
    p = Pair()
    p.req.send(request(), p.tick())
    p.acc.connection_open(p.tick())
    p.req.connection_confirmed(p.tick())
    p.pump()
    p.acc.send(AssociateResponse(result=REJECTED_PERMANENT, source=1, reason=7), p.tick())
    assert p.acc.state == "Sta13" and p.acc.deadline() is not None  # AE-8
    p.pump()
    conf = p.req_events[-1]
    assert isinstance(conf, AssociateConfirmation) and not conf.accepted
    assert (conf.result, conf.source, conf.reason) == (1, 1, 7)
    assert p.req.state == "Sta1" and p.req.close_requested  # AE-4
    p.close_both()
    assert p.acc.state == "Sta1"


def test_provider_rejects_unknown_protocol_version():
    acc = UpperLayer()
    acc.connection_open(0)
    rq = _rq_pdu()
    rq.protocol_version = 2  # bit 0 clear
    acc.receive_data(rq.encode(), 1)
    assert acc.state == "Sta13" and acc.events() == []  # AE-6, otherwise branch
    assert acc.data_to_send() == bytes.fromhex("03000000000400010202")


def _rq_pdu():
    return request_to_pdu(request())


# ---------------------------------------------------------------- chunking
def _requestor_stream() -> tuple[bytes, UpperLayer]:
    """What an acceptor sends after the A-ASSOCIATE-RQ: AC, P-DATAs, A-RELEASE-RQ."""
    ac = AAssociateAC("ANY-SCP", "ECHOSCU", accept().presentation_contexts,
                      UserInformation([MaximumLength(0)]))
    stream = ac.encode()
    stream += PDataTF([PDV.fragment(1, b"\x01" * 10, command=True, last=True),
                       PDV.fragment(1, bytes(range(256)) * 40, command=False, last=False)]).encode()
    stream += PDataTF([PDV.fragment(1, b"", command=False, last=True)]).encode()
    stream += AReleaseRQ().encode()
    return stream


def _run_requestor(chunks: list[bytes]) -> tuple[list, list, bytes]:
    ul = UpperLayer()
    ul.send(request(), 0)
    ul.connection_confirmed(0)
    ul.data_to_send()
    for chunk in chunks:
        ul.receive_data(chunk, 1)
    return ul.events(), ul.trace, ul.data_to_send()


def _cut(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    return [stream[a:b] for a, b in zip(points, points[1:]) if b > a]


STREAM = _requestor_stream()
WHOLE = _run_requestor([STREAM])


def test_stream_whole():
    events, trace, _ = WHOLE
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["AssociateConfirmation", "PDataIndication", "PDataIndication", "ReleaseIndication"]
    assert trace[-1] == ("Sta6", "Evt12", "AR-2", "Sta8")
    assert events[2].pdvs[0].data == b""  # an empty PDV is accepted (PS3.8 E.1 note)


def test_stream_byte_by_byte():
    assert _run_requestor([STREAM[i:i + 1] for i in range(len(STREAM))]) == WHOLE


@settings(max_examples=60)
@given(st.lists(st.integers(0, 1 << 20), max_size=30))
def test_stream_random_chunkings(cuts):
    assert _run_requestor(_cut(STREAM, cuts)) == WHOLE


@settings(max_examples=30)
@given(st.lists(st.integers(0, 1 << 20), max_size=20))
def test_acceptor_stream_random_chunkings(cuts):
    """The same on the acceptor side: RQ chunked, then P-DATA and release chunked."""
    rq = _rq_pdu().encode()
    after = pdata(5000).pdvs
    rest = PDataTF(after).encode() + PDataTF(after).encode() + AReleaseRQ().encode()

    def run(rq_chunks, rest_chunks):
        acc = UpperLayer()
        acc.connection_open(0)
        for c in rq_chunks:
            acc.receive_data(c, 1)
        acc.send(accept(), 2)
        for c in rest_chunks:
            acc.receive_data(c, 3)
        return acc.events(), acc.trace, acc.state

    whole = run([rq], [rest])
    assert whole[2] == "Sta8"
    assert run(_cut(rq, cuts), _cut(rest, cuts[::-1])) == whole


def test_logging_shows_transitions_and_decoded_pdus(caplog):
    import logging
    caplog.set_level(logging.DEBUG, logger="dicomcore.pdu")
    p = Pair()
    p.associate()
    p.req.send(pdata(10), p.tick())
    p.pump()
    text = caplog.text
    assert "Sta6 --Evt10/DT-2--> Sta6" in text
    assert "Sta2 --Evt6/AE-6--> Sta3" in text
    assert "Called-AE-title: ANY-SCP" in text and "Presentation-context-ID: 1" in text


def test_each_pdu_is_encoded_once(monkeypatch):
    """``send`` encodes a PDU to check it (errors before any change) and the bytes it
    checked are the ones sent: an A-ASSOCIATE-RQ is not encoded again when the transport
    connects (AE-2), nor a response or P-DATA when it goes out."""
    from dicomcore.pdu import pdus

    counted: dict[str, int] = {}
    original = pdus.PDU.encode_chunks

    def counting(self):
        counted[type(self).__name__] = counted.get(type(self).__name__, 0) + 1
        return original(self)

    monkeypatch.setattr(pdus.PDU, "encode_chunks", counting)
    pair = Pair()
    pair.associate()
    pair.req.send(pdata(300), pair.tick())
    pair.pump()
    assert counted == {"AAssociateRQ": 1, "AAssociateAC": 1, "PDataTF": 1}
    assert len(pair.acc_events) == 2  # the association, then the P-DATA, as before
