"""ARTIM as data: the deadline is set and cleared exactly where PS3.8's actions say."""
from __future__ import annotations

from dicomcore.pdu.pdus import AAbort, AReleaseRQ
from dicomcore.pdu.primitives import AbortRequest, AssociateResponse, ReleaseResponse, request_to_pdu
from dicomcore.pdu.upperlayer import UpperLayer
from ul_helpers import Pair, request


def test_no_rq_before_artim_expires():
    ul = UpperLayer(artim_timeout=5)
    assert ul.deadline() is None and ul.deadline_in(0) is None
    ul.connection_open(100)  # AE-5 starts ARTIM
    assert ul.deadline() == 105 and ul.deadline_in(103) == 2 and ul.deadline_in(200) == 0
    ul.handle_timeout(104.9)  # not yet due: nothing happens
    assert ul.state == "Sta2" and not ul.trace[1:]
    ul.handle_timeout(105)
    assert ul.trace[-1] == ("Sta2", "Evt18", "AA-2", "Sta1")
    assert ul.close_requested and ul.deadline() is None


def test_rq_stops_artim():
    ul = UpperLayer(artim_timeout=5)
    ul.connection_open(0)
    ul.receive_data(request_to_pdu(request()).encode(), 1)
    assert ul.state == "Sta3" and ul.deadline() is None  # AE-6 stops it
    ul.handle_timeout(1000)
    assert ul.state == "Sta3"


def test_reject_starts_artim_and_expiry_closes():
    ul = UpperLayer(artim_timeout=5)
    ul.connection_open(0)
    ul.receive_data(request_to_pdu(request()).encode(), 1)
    ul.send(AssociateResponse(result=2, source=3, reason=1), 10)  # AE-8
    assert ul.state == "Sta13" and ul.deadline() == 15
    ul.handle_timeout(15)
    assert ul.trace[-1] == ("Sta13", "Evt18", "AA-2", "Sta1") and ul.close_requested


def test_abort_restarts_and_peer_close_stops():
    p = Pair()
    p.associate()
    p.req.send(AbortRequest(), 50)  # AA-1 starts ARTIM
    assert p.req.deadline() == 80
    p.req.receive_data(AReleaseRQ().encode(), 60)  # AA-6: ignored, ARTIM untouched
    assert p.req.trace[-1] == ("Sta13", "Evt12", "AA-6", "Sta13") and p.req.deadline() == 80
    p.req.receive_data(b"\x66\x00\x00\x00\x00\x00", 61)  # AA-7: abort again, ARTIM untouched
    assert p.req.trace[-1] == ("Sta13", "Evt19", "AA-7", "Sta13") and p.req.deadline() == 80
    p.req.receive_data(b"", 70)  # AR-5 stops it
    assert p.req.state == "Sta1" and p.req.deadline() is None


def test_abort_pdu_in_sta13_stops_artim():
    p = Pair()
    p.associate()
    p.req.send(AbortRequest(), 50)
    p.req.receive_data(AAbort(0, 0).encode(), 51)
    assert p.req.trace[-1] == ("Sta13", "Evt16", "AA-2", "Sta1") and p.req.deadline() is None


def test_release_response_starts_artim():
    p = Pair()
    p.associate()
    p.req.receive_data(AReleaseRQ().encode(), 10)
    p.req.send(ReleaseResponse(), 11)  # AR-4
    assert p.req.state == "Sta13" and p.req.deadline() == 41
    p.req.handle_timeout(41)
    assert p.req.state == "Sta1" and p.req.close_requested


def test_invalid_pdu_starts_artim():
    p = Pair()
    p.associate()
    p.acc.receive_data(b"\x99\x00\x00\x00\x00\x00", 7)  # AA-8
    assert p.acc.deadline() == 37
