"""The socket driver and threaded server, on 127.0.0.1 with ports chosen at run time."""
from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from dicomcore.errors import NetworkError
from dicomcore.pdu.items import PresentationContextAC, PresentationContextRQ
from dicomcore.pdu.primitives import (AssociateConfirmation, AssociateIndication,
                                      AssociateRequest, AssociateResponse, PDataIndication,
                                      PDataRequest, ReleaseConfirmation, ReleaseIndication,
                                      ReleaseRequest, ReleaseResponse)
from dicomcore.pdu.pdus import PDV
from dicomcore.pdu.primitives import request_to_pdu
from dicomcore.transport import Server, client_context, connect, server_context

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"


def echo_handler(conn):
    """Accept everything; echo P-DATA back; answer release."""
    for event in conn.events(timeout=10):
        if isinstance(event, AssociateIndication):
            contexts = [PresentationContextAC(pc.context_id, 0, pc.transfer_syntaxes[0])
                        for pc in event.presentation_contexts]
            conn.send(AssociateResponse(presentation_contexts=contexts))
        elif isinstance(event, PDataIndication):
            conn.send(PDataRequest(list(event.pdvs)))
        elif isinstance(event, ReleaseIndication):
            conn.send(ReleaseResponse())


def _request():
    return AssociateRequest("ANY-SCP", "TESTSCU",
                            [PresentationContextRQ(1, VERIFICATION, [IMPLICIT])])


@pytest.fixture
def server():
    srv = Server("127.0.0.1", 0, echo_handler, max_associations=2, artim_timeout=5).start()
    yield srv
    srv.shutdown()


def _associate(address, **kw):
    conn = connect(*address, _request(), timeout=5, **kw)
    confirmation = conn.next_event(timeout=5)
    assert isinstance(confirmation, AssociateConfirmation) and confirmation.accepted
    return conn


def _roundtrip_and_release(conn, payload=b"hello dicom"):
    conn.send(PDataRequest([PDV(1, 0x03, payload)]))
    echoed = conn.next_event(timeout=5)
    assert isinstance(echoed, PDataIndication)
    assert bytes(echoed.pdvs[0].data) == payload
    conn.send(ReleaseRequest())
    assert isinstance(conn.next_event(timeout=5), ReleaseConfirmation)
    assert conn.next_event(timeout=5) is None and conn.closed


def test_associate_exchange_release(server):
    conn = _associate(server.address)
    assert conn.ul.state == "Sta6"
    _roundtrip_and_release(conn, b"x" * 300_000)


def test_limit_rejects_with_local_limit_exceeded(server):
    held = [_associate(server.address) for _ in range(2)]
    conn = connect(*server.address, _request(), timeout=5)
    refusal = conn.next_event(timeout=5)
    assert isinstance(refusal, AssociateConfirmation) and not refusal.accepted
    assert (refusal.result, refusal.source, refusal.reason) == (2, 3, 2)
    for conn in held:
        _roundtrip_and_release(conn)


def test_bad_peers_do_not_stop_the_server(server):
    for garbage in (b"\xff" * 64, struct.pack(">BxI", 0x01, 0xFFFFFFFF), b"\x01"):
        with socket.create_connection(server.address, timeout=5) as raw:
            raw.sendall(garbage)
            if garbage != b"\x01":
                reply = raw.recv(64)
                assert reply[:1] == b"\x07"  # A-ABORT
    conn = _associate(server.address)
    _roundtrip_and_release(conn)


def test_many_sequential_associations_leave_no_threads(server):
    before = threading.active_count()
    for _ in range(20):
        _roundtrip_and_release(_associate(server.address))
    assert threading.active_count() <= before + 1


def _released_but_open(address) -> socket.socket:
    """A peer that associates and releases by hand, then keeps its socket open: the
    server's side waits in Sta13 for a close that does not come (ARTIM-bounded)."""
    sock = socket.create_connection(address, timeout=5)
    sock.sendall(request_to_pdu(_request()).encode())
    assert sock.recv(1) == b"\x02"  # A-ASSOCIATE-AC
    sock.settimeout(0.5)
    try:  # the rest of the AC
        while sock.recv(65536):
            pass
    except socket.timeout:
        pass
    sock.settimeout(5)
    sock.sendall(bytes([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0]))  # A-RELEASE-RQ
    assert sock.recv(10)[:1] == b"\x06"  # A-RELEASE-RP
    return sock


def test_an_ended_association_does_not_count_against_the_limit():
    """With room for one association, a peer that has released but not yet closed does
    not keep the next one out; ended ones have a bound of their own."""
    srv = Server("127.0.0.1", 0, echo_handler, max_associations=1, artim_timeout=5).start()
    lingering = []
    try:
        lingering.append(_released_but_open(srv.address))
        _roundtrip_and_release(_associate(srv.address))  # accepted: the first has ended
        for _ in range(200):  # until the server has let that one go (bounded: 10 s)
            if len(srv._active) == 1:
                break
            time.sleep(0.05)
        lingering.append(_released_but_open(srv.address))  # now two have ended
        conn = connect(*srv.address, _request(), timeout=5)
        refused = conn.next_event(timeout=5)
        conn.close()
        assert isinstance(refused, AssociateConfirmation) and not refused.accepted
        assert (refused.result, refused.source, refused.reason) == (2, 3, 2)
    finally:
        for sock in lingering:
            sock.close()
        srv.shutdown()


def test_ipv6_loopback():
    if not socket.has_ipv6:
        pytest.fail("IPv6 sockets unavailable")
    try:
        srv = Server("::1", 0, echo_handler).start()
    except OSError as exc:  # no ::1 configured on this host
        pytest.xfail(f"no IPv6 loopback: {exc}")
    try:
        _roundtrip_and_release(_associate(srv.address))
    finally:
        srv.shutdown()


def test_tls_with_client_certificates(certificates):
    tls = server_context(certificates["server.pem"], certificates["server.key"],
                         cafile=certificates["ca.pem"], require_client_cert=True)
    srv = Server("127.0.0.1", 0, echo_handler, tls=tls).start()
    try:
        client = client_context(cafile=certificates["ca.pem"],
                                certfile=certificates["client.pem"],
                                keyfile=certificates["client.key"])
        _roundtrip_and_release(_associate(srv.address, tls=client))
        # Without a client certificate the handshake fails: no association.
        stranger = client_context(cafile=certificates["ca.pem"])
        try:
            event = connect(*srv.address, _request(), timeout=5, tls=stranger).next_event(5)
        except NetworkError:
            event = None  # TLS 1.2: the handshake itself fails
        assert not (isinstance(event, AssociateConfirmation) and event.accepted)
    finally:
        srv.shutdown()


def test_artim_closes_a_silent_peer():
    srv = Server("127.0.0.1", 0, echo_handler, artim_timeout=0.3).start()
    try:
        with socket.create_connection(srv.address, timeout=5) as raw:
            raw.settimeout(5)
            assert raw.recv(16) == b""  # closed by the server after ARTIM, no A-ASSOCIATE-RQ
    finally:
        srv.shutdown()
