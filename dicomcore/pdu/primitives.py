"""Upper Layer service primitives (PS3.8 7, parameters in Tables 7-2..7-7).

Primitives are what the user of the upper layer sees: requests and responses
go in through ``UpperLayer.send()``, indications and confirmations come out of
``UpperLayer.events()``.  PDUs are the wire form; the functions at the bottom
convert between the two.  Where the wire keeps names exactly as sent, the
primitives normalise them (trailing NUL or space padding removed) so users
compare UIDs with ``==``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .items import Item, PresentationContextAC, PresentationContextRQ, UserInformation
from .pdus import (DICOM_APPLICATION_CONTEXT, PDV, AAssociateAC, AAssociateRJ, AAssociateRQ)

__all__ = [
    "ACCEPTED", "REJECTED_PERMANENT", "REJECTED_TRANSIENT",
    "AssociateRequest", "AssociateIndication", "AssociateResponse", "AssociateConfirmation",
    "ReleaseRequest", "ReleaseIndication", "ReleaseResponse", "ReleaseConfirmation",
    "AbortRequest", "AbortIndication", "PAbortIndication", "PDataRequest", "PDataIndication",
    "clean_uid", "request_to_pdu", "indication_from_pdu", "response_to_pdu",
    "confirmation_from_pdu",
]

# PS3.8 7.1.1.7 Result; the reject values are the A-ASSOCIATE-RJ Result field (Table 9-21).
ACCEPTED, REJECTED_PERMANENT, REJECTED_TRANSIENT = 0, 1, 2


def clean_uid(name: str) -> str:
    """A received name without the NUL/space padding some peers add (PS3.5 9.1)."""
    return name.rstrip("\0 ")


@dataclass
class _AssociateParameters:
    """Table 7-2 parameters of A-ASSOCIATE request and indication."""

    called_ae_title: str
    calling_ae_title: str
    presentation_contexts: list[PresentationContextRQ] = field(default_factory=list)
    user_information: list[Item] = field(default_factory=list)
    application_context_name: str = DICOM_APPLICATION_CONTEXT
    calling_presentation_address: tuple[str, int] | None = None  # filled by the transport
    called_presentation_address: tuple[str, int] | None = None


@dataclass
class AssociateRequest(_AssociateParameters):
    """A-ASSOCIATE request (local user, Evt1)."""


@dataclass
class AssociateIndication(_AssociateParameters):
    """A-ASSOCIATE indication: the peer's A-ASSOCIATE-RQ, normalised (AE-6)."""


@dataclass
class AssociateResponse:
    """A-ASSOCIATE response (Evt7 when ``result`` is ACCEPTED, else Evt8).

    For a rejection, ``source`` and ``reason`` fill the A-ASSOCIATE-RJ
    (PS3.8 Table 9-21: source 1 service-user, reason 1 no-reason-given ...).
    The AE titles of an acceptance echo the request (PS3.8 Table 9-17).
    """

    result: int = ACCEPTED
    presentation_contexts: list[PresentationContextAC] = field(default_factory=list)
    user_information: list[Item] = field(default_factory=list)
    application_context_name: str = DICOM_APPLICATION_CONTEXT
    source: int = 1
    reason: int = 1

    @property
    def accepted(self) -> bool:
        return self.result == ACCEPTED


@dataclass
class AssociateConfirmation:
    """A-ASSOCIATE confirmation (AE-3 accept, AE-4 reject).

    ``source`` is 1 (service-user) for an acceptance (PS3.8 7.1.1.8 note).
    """

    result: int = ACCEPTED
    source: int = 1
    reason: int = 0
    presentation_contexts: list[PresentationContextAC] = field(default_factory=list)
    user_information: list[Item] = field(default_factory=list)
    application_context_name: str = DICOM_APPLICATION_CONTEXT
    called_ae_title: str = ""
    calling_ae_title: str = ""

    @property
    def accepted(self) -> bool:
        return self.result == ACCEPTED


@dataclass
class ReleaseRequest:
    """A-RELEASE request (Evt11); reason is always "normal" (PS3.8 7.2.1.1)."""


@dataclass
class ReleaseIndication:
    """A-RELEASE indication (AR-2, or AR-8 when both sides asked: ``collision``)."""

    collision: bool = False


@dataclass
class ReleaseResponse:
    """A-RELEASE response (Evt14); result is always affirmative (PS3.8 7.2.1.2)."""


@dataclass
class ReleaseConfirmation:
    """A-RELEASE confirmation (AR-3, AR-10)."""


@dataclass
class AbortRequest:
    """A-ABORT request (Evt15); user information is not used (PS3.8 Table 7-5)."""


@dataclass
class AbortIndication:
    """A-ABORT indication: the peer's user aborted (A-ABORT source 0, AA-3)."""


@dataclass
class PAbortIndication:
    """A-P-ABORT indication: a service provider aborted (AA-3, AA-4, AA-8).

    ``reason`` uses the A-ABORT PDU numbering (PS3.8 Table 9-26, 0-6), also
    for aborts detected here; ``from_peer`` tells whether the peer's provider
    sent it; ``detail`` says what happened in words.
    """

    reason: int = 0
    from_peer: bool = False
    detail: str = ""


@dataclass
class PDataRequest:
    """P-DATA request (Evt9): one or more PDVs (PS3.8 Table 7-7)."""

    pdvs: list[PDV] = field(default_factory=list)


@dataclass
class PDataIndication:
    """P-DATA indication (DT-2, AR-6)."""

    pdvs: list[PDV] = field(default_factory=list)


# ---------------------------------------------------------------- primitive <-> PDU
def request_to_pdu(req: AssociateRequest) -> AAssociateRQ:
    return AAssociateRQ(req.called_ae_title, req.calling_ae_title, list(req.presentation_contexts),
                        UserInformation(list(req.user_information)), req.application_context_name)


def _clean_rq_context(pc: PresentationContextRQ) -> PresentationContextRQ:
    return PresentationContextRQ(pc.context_id, clean_uid(pc.abstract_syntax),
                                 [clean_uid(t) for t in pc.transfer_syntaxes], list(pc.unknown))


def _clean_ac_context(pc: PresentationContextAC) -> PresentationContextAC:
    ts = None if pc.transfer_syntax is None else clean_uid(pc.transfer_syntax)
    return PresentationContextAC(pc.context_id, pc.result, ts, list(pc.unknown))


def indication_from_pdu(rq: AAssociateRQ) -> AssociateIndication:
    user = rq.user_information.sub_items if rq.user_information else []
    return AssociateIndication(rq.called_ae_title, rq.calling_ae_title,
                               [_clean_rq_context(pc) for pc in rq.presentation_contexts],
                               list(user), clean_uid(rq.application_context))


def response_to_pdu(resp: AssociateResponse, rq: AAssociateRQ | AssociateIndication | None
                    ) -> AAssociateAC | AAssociateRJ:
    """The A-ASSOCIATE-AC or -RJ for a response; ``rq`` gives the echoed AE titles."""
    if not resp.accepted:
        return AAssociateRJ(resp.result, resp.source, resp.reason)
    called = rq.called_ae_title if rq else ""
    calling = rq.calling_ae_title if rq else ""
    return AAssociateAC(called, calling, list(resp.presentation_contexts),
                        UserInformation(list(resp.user_information)), resp.application_context_name)


def confirmation_from_pdu(pdu: AAssociateAC | AAssociateRJ) -> AssociateConfirmation:
    if isinstance(pdu, AAssociateRJ):
        return AssociateConfirmation(pdu.result, pdu.source, pdu.reason)
    user = pdu.user_information.sub_items if pdu.user_information else []
    return AssociateConfirmation(ACCEPTED, 1, 0, [_clean_ac_context(pc) for pc in pdu.presentation_contexts],
                                 list(user), clean_uid(pdu.application_context),
                                 pdu.called_ae_title, pdu.calling_ae_title)
