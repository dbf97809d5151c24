"""Two UpperLayer machines wired in memory, and builders for common primitives."""
from __future__ import annotations

from dicomcore.pdu.items import MaximumLength, PresentationContextAC, PresentationContextRQ
from dicomcore.pdu.pdus import PDV
from dicomcore.pdu.primitives import (AssociateRequest, AssociateResponse, PDataRequest,
                                      request_to_pdu)
from dicomcore.pdu.upperlayer import UpperLayer

VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
ARTIM = 30.0


def request(max_length: int = 16384) -> AssociateRequest:
    return AssociateRequest("ANY-SCP", "ECHOSCU",
                            [PresentationContextRQ(1, VERIFICATION, [IMPLICIT_LE]),
                             PresentationContextRQ(3, "1.2.840.10008.5.1.4.1.1.2", [IMPLICIT_LE])],
                            [MaximumLength(max_length)])


def accept(max_length: int = 16384) -> AssociateResponse:
    return AssociateResponse(presentation_contexts=[PresentationContextAC(1, 0, IMPLICIT_LE),
                                                    PresentationContextAC(3, 3, IMPLICIT_LE)],
                             user_information=[MaximumLength(max_length)])


def pdata(n: int = 100, context_id: int = 1, command: bool = True) -> PDataRequest:
    return PDataRequest([PDV.fragment(context_id, bytes(range(256)) * (n // 256) + bytes(n % 256),
                                      command=command, last=True)])


class Pair:
    """A requestor and an acceptor; ``pump()`` moves bytes until both are quiet."""

    def __init__(self, **kw) -> None:
        self.req = UpperLayer(artim_timeout=ARTIM, **kw)
        self.acc = UpperLayer(artim_timeout=ARTIM, **kw)
        self.now = 0.0
        self.req_events: list = []
        self.acc_events: list = []

    def tick(self) -> float:
        self.now += 1.0
        return self.now

    def pump(self) -> None:
        while True:
            a, b = self.req.data_to_send(), self.acc.data_to_send()
            if not a and not b:
                break
            if a:
                self.acc.receive_data(a, self.tick())
            if b:
                self.req.receive_data(b, self.tick())
        self.req_events += self.req.events()
        self.acc_events += self.acc.events()

    def associate(self) -> None:
        self.req.send(request(), self.tick())
        assert self.req.connect_requested and self.req.state == "Sta4"
        self.acc.connection_open(self.tick())
        self.req.connection_confirmed(self.tick())
        self.pump()
        assert self.acc.state == "Sta3"
        self.acc.send(accept(), self.tick())
        self.pump()
        assert self.req.state == self.acc.state == "Sta6"

    def close_both(self) -> None:
        """The driver's part: whoever was asked to close does, the other sees Evt17."""
        for closer, other in ((self.req, self.acc), (self.acc, self.req)):
            if closer.close_requested and other.state != "Sta1":
                other.receive_data(b"", self.tick())
        self.req_events += self.req.events()
        self.acc_events += self.acc.events()


def open_acceptor() -> UpperLayer:
    """An acceptor in Sta6 (association established, no PDU length limit either
    way), its A-ASSOCIATE-AC already taken from the output."""
    acc = UpperLayer()
    acc.connection_open(0)
    acc.receive_data(request_to_pdu(request(max_length=0)).encode(), 1)
    acc.send(accept(max_length=0), 2)
    acc.events()
    acc.data_to_send()
    return acc
