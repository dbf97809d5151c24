"""The DICOM Upper Layer state machine: PS3.8 Table 9-10 written down as data.

Rules of this module (and of ``upperlayer.UpperLayer``, which runs it):

1. The state changes only through ``TRANSITIONS[(state, event)] ->
   (action, next_state)``.  ``next_state`` is None only where PS3.8 says "or"
   (AE-6: Sta3 or Sta13; AR-8: Sta9 or Sta10); those actions return the state.
2. Actions do no I/O.  They queue PDUs, issue primitives to the user, start or
   stop the ARTIM deadline and raise the connect/close flags, all through the
   machine object they are given (``Machine`` below).  Time is data.
3. Bad peer input is Evt19 ("Unrecognized or invalid PDU received"), never an
   exception: whatever arrives, the machine lands in a state of the table.

Cells that Table 9-10 leaves empty are absent from ``TRANSITIONS``.  PS3.8
does not define them; ``lookup()`` handles them thus:

* a local user primitive (Evt1, 7, 8, 9, 11, 14, 15) or a local transport
  primitive (Evt2, Evt5) out of state is a usage error of the caller:
  ``StateError`` is raised and nothing changes;
* in Sta1 (no transport connection) PDUs, Evt17 and Evt18 are ignored:
  bytes handed in after we closed the connection are stale;
* a peer PDU in Sta4 (connection not yet confirmed; the table's only other
  empty column for PDUs) is treated as an unexpected PDU: AA-8 -> Sta13;
* Evt18 where ARTIM cannot be running (every state but Sta2 and Sta13) only
  clears the stale deadline.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Protocol

from dicomcore.errors import PDUError, StateError

from .pdus import PDU, AAbort, AAssociateRJ, AAssociateRQ, AReleaseRP, AReleaseRQ
from .primitives import (AbortIndication, PAbortIndication, PDataIndication, ReleaseConfirmation,
                         ReleaseIndication, confirmation_from_pdu, indication_from_pdu)

__all__ = ["STATES", "EVENTS", "USER_EVENTS", "PDU_EVENTS", "TRANSITIONS", "StateError",
           "Machine", "Action", "lookup"]


# PS3.8 Tables 9-1..9-5.
STATES: dict[str, str] = {
    "Sta1": "Idle",
    "Sta2": "Transport connection open (Awaiting A-ASSOCIATE-RQ PDU)",
    "Sta3": "Awaiting local A-ASSOCIATE response primitive (from local user)",
    "Sta4": "Awaiting transport connection opening to complete (from local transport service)",
    "Sta5": "Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU",
    "Sta6": "Association established and ready for data transfer",
    "Sta7": "Awaiting A-RELEASE-RP PDU",
    "Sta8": "Awaiting local A-RELEASE response primitive (from local user)",
    "Sta9": "Release collision requestor side; awaiting A-RELEASE response (from local user)",
    "Sta10": "Release collision acceptor side; awaiting A-RELEASE-RP PDU",
    "Sta11": "Release collision requestor side; awaiting A-RELEASE-RP PDU",
    "Sta12": "Release collision acceptor side; awaiting A-RELEASE response primitive (from local user)",
    "Sta13": "Awaiting Transport Connection Close Indication (Association no longer exists)",
}

# PS3.8 Table 9-10 rows, in order.
EVENTS: dict[str, str] = {
    "Evt1": "A-ASSOCIATE Request (local user)",
    "Evt2": "Transport Conn. Confirmn (local transport service)",
    "Evt3": "A-ASSOCIATE-AC PDU (received on transport connection)",
    "Evt4": "A-ASSOCIATE-RJ PDU (received on transport connection)",
    "Evt5": "Transport Connection Indication (local transport service)",
    "Evt6": "A-ASSOCIATE-RQ PDU (received on transport connection)",
    "Evt7": "A-ASSOCIATE response primitive (accept)",
    "Evt8": "A-ASSOCIATE response primitive (reject)",
    "Evt9": "P-DATA request primitive",
    "Evt10": "P-DATA-TF PDU",
    "Evt11": "A-RELEASE Request primitive",
    "Evt12": "A-RELEASE-RQ PDU (received on open transport connection)",
    "Evt13": "A-RELEASE-RP PDU (received on transport connection)",
    "Evt14": "A-RELEASE Response primitive",
    "Evt15": "A-ABORT Request primitive",
    "Evt16": "A-ABORT PDU (received on open transport connection)",
    "Evt17": "Transport connection closed indication (local transport service)",
    "Evt18": "ARTIM timer expired (Association reject/release timer)",
    "Evt19": "Unrecognized or invalid PDU received",
}

USER_EVENTS = frozenset({"Evt1", "Evt7", "Evt8", "Evt9", "Evt11", "Evt14", "Evt15"})
LOCAL_TRANSPORT_EVENTS = frozenset({"Evt2", "Evt5"})
PDU_EVENTS = frozenset({"Evt3", "Evt4", "Evt6", "Evt10", "Evt12", "Evt13", "Evt16", "Evt19"})


class Machine(Protocol):
    """What actions may touch: output queues, ARTIM, transport flags (no I/O)."""

    state: str
    is_requestor: bool
    pending_request: Optional[AAssociateRQ]

    def send_pdu(self, pdu: PDU) -> None: ...
    def indicate(self, primitive: Any) -> None: ...
    def start_artim(self) -> None: ...
    def stop_artim(self) -> None: ...
    def request_connect(self, rq: AAssociateRQ) -> None: ...
    def request_close(self) -> None: ...
    def provider_rejection(self, rq: AAssociateRQ) -> Optional[AAssociateRJ]: ...


Action = Callable[[Machine, Any], Optional[str]]


def _action(label: str, *next_states: str) -> Callable[[Action], Action]:
    """Tag an action with its PS3.8 name and, for "or" actions, its possible states."""
    def tag(fn: Action) -> Action:
        fn.label = label  # type: ignore[attr-defined]
        fn.next_states = next_states  # type: ignore[attr-defined]
        return fn
    return tag


def _abort_reason(data: Any) -> int:
    # An invalid PDU carries its own reason (PS3.8 Table 9-26); a valid PDU in the
    # wrong state is "unexpected-PDU" (2).
    return data.abort_reason if isinstance(data, PDUError) else 2


def _abort_detail(m: Machine, data: Any) -> str:
    if isinstance(data, PDUError):
        return f"invalid PDU in {m.state}: {data}"
    return f"unexpected {getattr(data, 'title', type(data).__name__)} in {m.state}"


# ---------------------------------------------------------------- Table 9-6
@_action("AE-1")
def ae_1(m: Machine, rq: AAssociateRQ) -> None:
    """Issue TRANSPORT CONNECT request primitive to local transport service."""
    m.request_connect(rq)


@_action("AE-2")
def ae_2(m: Machine, data: Any) -> None:
    """Send A-ASSOCIATE-RQ-PDU."""
    m.send_pdu(m.pending_request)  # type: ignore[arg-type]  # stored by AE-1; Evt2 follows Evt1


@_action("AE-3")
def ae_3(m: Machine, ac: PDU) -> None:
    """Issue A-ASSOCIATE confirmation (accept) primitive."""
    m.indicate(confirmation_from_pdu(ac))  # type: ignore[arg-type]


@_action("AE-4")
def ae_4(m: Machine, rj: PDU) -> None:
    """Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection."""
    m.indicate(confirmation_from_pdu(rj))  # type: ignore[arg-type]
    m.request_close()


@_action("AE-5")
def ae_5(m: Machine, data: Any) -> None:
    """Issue Transport connection response primitive; start ARTIM timer."""
    m.start_artim()


@_action("AE-6", "Sta3", "Sta13")
def ae_6(m: Machine, rq: AAssociateRQ) -> str:
    """Stop ARTIM; if the A-ASSOCIATE-RQ is acceptable by the service-provider issue the
    A-ASSOCIATE indication (Sta3), otherwise send A-ASSOCIATE-RJ and start ARTIM (Sta13)."""
    m.stop_artim()
    rejection = m.provider_rejection(rq)
    if rejection is None:
        m.indicate(indication_from_pdu(rq))
        return "Sta3"
    m.send_pdu(rejection)
    m.start_artim()
    return "Sta13"


@_action("AE-7")
def ae_7(m: Machine, ac: PDU) -> None:
    """Send A-ASSOCIATE-AC PDU."""
    m.send_pdu(ac)


@_action("AE-8")
def ae_8(m: Machine, rj: PDU) -> None:
    """Send A-ASSOCIATE-RJ PDU and start ARTIM timer."""
    m.send_pdu(rj)
    m.start_artim()


# ---------------------------------------------------------------- Table 9-7
@_action("DT-1")
def dt_1(m: Machine, pdata: PDU) -> None:
    """Send P-DATA-TF PDU."""
    m.send_pdu(pdata)


@_action("DT-2")
def dt_2(m: Machine, pdata: Any) -> None:
    """Send P-DATA indication primitive."""
    m.indicate(PDataIndication(pdata.pdvs))


# ---------------------------------------------------------------- Table 9-8
@_action("AR-1")
def ar_1(m: Machine, data: Any) -> None:
    """Send A-RELEASE-RQ PDU."""
    m.send_pdu(AReleaseRQ())


@_action("AR-2")
def ar_2(m: Machine, data: Any) -> None:
    """Issue A-RELEASE indication primitive."""
    m.indicate(ReleaseIndication())


@_action("AR-3")
def ar_3(m: Machine, data: Any) -> None:
    """Issue A-RELEASE confirmation primitive, and close transport connection."""
    m.indicate(ReleaseConfirmation())
    m.request_close()


@_action("AR-4")
def ar_4(m: Machine, data: Any) -> None:
    """Issue A-RELEASE-RP PDU and start ARTIM timer."""
    m.send_pdu(AReleaseRP())
    m.start_artim()


@_action("AR-5")
def ar_5(m: Machine, data: Any) -> None:
    """Stop ARTIM timer."""
    m.stop_artim()


@_action("AR-6")
def ar_6(m: Machine, pdata: Any) -> None:
    """Issue P-DATA indication."""
    m.indicate(PDataIndication(pdata.pdvs))


@_action("AR-7")
def ar_7(m: Machine, pdata: PDU) -> None:
    """Issue P-DATA-TF PDU."""
    m.send_pdu(pdata)


@_action("AR-8", "Sta9", "Sta10")
def ar_8(m: Machine, data: Any) -> str:
    """Issue A-RELEASE indication (release collision): Sta9 if association-requestor,
    otherwise Sta10."""
    m.indicate(ReleaseIndication(collision=True))
    return "Sta9" if m.is_requestor else "Sta10"


@_action("AR-9")
def ar_9(m: Machine, data: Any) -> None:
    """Send A-RELEASE-RP PDU."""
    m.send_pdu(AReleaseRP())


@_action("AR-10")
def ar_10(m: Machine, data: Any) -> None:
    """Issue A-RELEASE confirmation primitive."""
    m.indicate(ReleaseConfirmation())


# ---------------------------------------------------------------- Table 9-9
@_action("AA-1")
def aa_1(m: Machine, data: Any) -> None:
    """Send A-ABORT PDU (service-user source) and start (or restart) ARTIM timer."""
    m.send_pdu(AAbort(source=0, reason=0))
    m.start_artim()


@_action("AA-2")
def aa_2(m: Machine, data: Any) -> None:
    """Stop ARTIM timer if running. Close transport connection."""
    m.stop_artim()
    m.request_close()


@_action("AA-3")
def aa_3(m: Machine, abort: Any) -> None:
    """Issue A-ABORT indication (service-user initiated) or A-P-ABORT indication
    (service-provider initiated), and close transport connection."""
    if abort.source == 0:
        m.indicate(AbortIndication())
    else:
        m.indicate(PAbortIndication(abort.reason, from_peer=True,
                                    detail=f"A-ABORT from the peer, source {abort.source}"))
    m.request_close()


@_action("AA-4")
def aa_4(m: Machine, data: Any) -> None:
    """Issue A-P-ABORT indication primitive."""
    m.indicate(PAbortIndication(0, detail=f"transport connection closed in {m.state}"))


@_action("AA-5")
def aa_5(m: Machine, data: Any) -> None:
    """Stop ARTIM timer."""
    m.stop_artim()


@_action("AA-6")
def aa_6(m: Machine, data: Any) -> None:
    """Ignore PDU."""


@_action("AA-7")
def aa_7(m: Machine, data: Any) -> None:
    """Send A-ABORT PDU."""
    m.send_pdu(AAbort(source=2, reason=_abort_reason(data)))


@_action("AA-8")
def aa_8(m: Machine, data: Any) -> None:
    """Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication,
    and start ARTIM timer."""
    reason = _abort_reason(data)
    m.send_pdu(AAbort(source=2, reason=reason))
    m.indicate(PAbortIndication(reason, detail=_abort_detail(m, data)))
    m.start_artim()


# ---------------------------------------------------------------- outside the table
@_action("ignored")
def ignored(m: Machine, data: Any) -> None:
    """Not in Table 9-10: input with no transport connection (Sta1) is dropped."""


@_action("stale-ARTIM")
def stale_artim(m: Machine, data: Any) -> None:
    """Not in Table 9-10: an ARTIM expiry where the timer cannot be running."""
    m.stop_artim()


# ---------------------------------------------------------------- Table 9-10
# One entry per non-empty cell: (state, event) -> (action, next state or None for "or").
TRANSITIONS: dict[tuple[str, str], tuple[Action, Optional[str]]] = {
    # Evt1 A-ASSOCIATE Request (local user)
    ("Sta1", "Evt1"): (ae_1, "Sta4"),
    # Evt2 Transport Conn. Confirmn (local transport service)
    ("Sta4", "Evt2"): (ae_2, "Sta5"),
    # Evt3 A-ASSOCIATE-AC PDU
    ("Sta2", "Evt3"): (aa_1, "Sta13"), ("Sta3", "Evt3"): (aa_8, "Sta13"),
    ("Sta5", "Evt3"): (ae_3, "Sta6"), ("Sta6", "Evt3"): (aa_8, "Sta13"),
    ("Sta7", "Evt3"): (aa_8, "Sta13"), ("Sta8", "Evt3"): (aa_8, "Sta13"),
    ("Sta9", "Evt3"): (aa_8, "Sta13"), ("Sta10", "Evt3"): (aa_8, "Sta13"),
    ("Sta11", "Evt3"): (aa_8, "Sta13"), ("Sta12", "Evt3"): (aa_8, "Sta13"),
    ("Sta13", "Evt3"): (aa_6, "Sta13"),
    # Evt4 A-ASSOCIATE-RJ PDU
    ("Sta2", "Evt4"): (aa_1, "Sta13"), ("Sta3", "Evt4"): (aa_8, "Sta13"),
    ("Sta5", "Evt4"): (ae_4, "Sta1"), ("Sta6", "Evt4"): (aa_8, "Sta13"),
    ("Sta7", "Evt4"): (aa_8, "Sta13"), ("Sta8", "Evt4"): (aa_8, "Sta13"),
    ("Sta9", "Evt4"): (aa_8, "Sta13"), ("Sta10", "Evt4"): (aa_8, "Sta13"),
    ("Sta11", "Evt4"): (aa_8, "Sta13"), ("Sta12", "Evt4"): (aa_8, "Sta13"),
    ("Sta13", "Evt4"): (aa_6, "Sta13"),
    # Evt5 Transport Connection Indication (local transport service)
    ("Sta1", "Evt5"): (ae_5, "Sta2"),
    # Evt6 A-ASSOCIATE-RQ PDU
    ("Sta2", "Evt6"): (ae_6, None), ("Sta3", "Evt6"): (aa_8, "Sta13"),
    ("Sta5", "Evt6"): (aa_8, "Sta13"), ("Sta6", "Evt6"): (aa_8, "Sta13"),
    ("Sta7", "Evt6"): (aa_8, "Sta13"), ("Sta8", "Evt6"): (aa_8, "Sta13"),
    ("Sta9", "Evt6"): (aa_8, "Sta13"), ("Sta10", "Evt6"): (aa_8, "Sta13"),
    ("Sta11", "Evt6"): (aa_8, "Sta13"), ("Sta12", "Evt6"): (aa_8, "Sta13"),
    ("Sta13", "Evt6"): (aa_7, "Sta13"),
    # Evt7 A-ASSOCIATE response primitive (accept); Evt8 (reject)
    ("Sta3", "Evt7"): (ae_7, "Sta6"),
    ("Sta3", "Evt8"): (ae_8, "Sta13"),
    # Evt9 P-DATA request primitive
    ("Sta6", "Evt9"): (dt_1, "Sta6"), ("Sta8", "Evt9"): (ar_7, "Sta8"),
    # Evt10 P-DATA-TF PDU
    ("Sta2", "Evt10"): (aa_1, "Sta13"), ("Sta3", "Evt10"): (aa_8, "Sta13"),
    ("Sta5", "Evt10"): (aa_8, "Sta13"), ("Sta6", "Evt10"): (dt_2, "Sta6"),
    ("Sta7", "Evt10"): (ar_6, "Sta7"), ("Sta8", "Evt10"): (aa_8, "Sta13"),
    ("Sta9", "Evt10"): (aa_8, "Sta13"), ("Sta10", "Evt10"): (aa_8, "Sta13"),
    ("Sta11", "Evt10"): (aa_8, "Sta13"), ("Sta12", "Evt10"): (aa_8, "Sta13"),
    ("Sta13", "Evt10"): (aa_6, "Sta13"),
    # Evt11 A-RELEASE Request primitive
    ("Sta6", "Evt11"): (ar_1, "Sta7"),
    # Evt12 A-RELEASE-RQ PDU
    ("Sta2", "Evt12"): (aa_1, "Sta13"), ("Sta3", "Evt12"): (aa_8, "Sta13"),
    ("Sta5", "Evt12"): (aa_8, "Sta13"), ("Sta6", "Evt12"): (ar_2, "Sta8"),
    ("Sta7", "Evt12"): (ar_8, None), ("Sta8", "Evt12"): (aa_8, "Sta13"),
    ("Sta9", "Evt12"): (aa_8, "Sta13"), ("Sta10", "Evt12"): (aa_8, "Sta13"),
    ("Sta11", "Evt12"): (aa_8, "Sta13"), ("Sta12", "Evt12"): (aa_8, "Sta13"),
    ("Sta13", "Evt12"): (aa_6, "Sta13"),
    # Evt13 A-RELEASE-RP PDU
    ("Sta2", "Evt13"): (aa_1, "Sta13"), ("Sta3", "Evt13"): (aa_8, "Sta13"),
    ("Sta5", "Evt13"): (aa_8, "Sta13"), ("Sta6", "Evt13"): (aa_8, "Sta13"),
    ("Sta7", "Evt13"): (ar_3, "Sta1"), ("Sta8", "Evt13"): (aa_8, "Sta13"),
    ("Sta9", "Evt13"): (aa_8, "Sta13"), ("Sta10", "Evt13"): (ar_10, "Sta12"),
    ("Sta11", "Evt13"): (ar_3, "Sta1"), ("Sta12", "Evt13"): (aa_8, "Sta13"),
    ("Sta13", "Evt13"): (aa_6, "Sta13"),
    # Evt14 A-RELEASE Response primitive
    ("Sta8", "Evt14"): (ar_4, "Sta13"), ("Sta9", "Evt14"): (ar_9, "Sta11"),
    ("Sta12", "Evt14"): (ar_4, "Sta13"),
    # Evt15 A-ABORT Request primitive
    ("Sta3", "Evt15"): (aa_1, "Sta13"), ("Sta4", "Evt15"): (aa_2, "Sta1"),
    ("Sta5", "Evt15"): (aa_1, "Sta13"), ("Sta6", "Evt15"): (aa_1, "Sta13"),
    ("Sta7", "Evt15"): (aa_1, "Sta13"), ("Sta8", "Evt15"): (aa_1, "Sta13"),
    ("Sta9", "Evt15"): (aa_1, "Sta13"), ("Sta10", "Evt15"): (aa_1, "Sta13"),
    ("Sta11", "Evt15"): (aa_1, "Sta13"), ("Sta12", "Evt15"): (aa_1, "Sta13"),
    # Evt16 A-ABORT PDU
    ("Sta2", "Evt16"): (aa_2, "Sta1"), ("Sta3", "Evt16"): (aa_3, "Sta1"),
    ("Sta5", "Evt16"): (aa_3, "Sta1"), ("Sta6", "Evt16"): (aa_3, "Sta1"),
    ("Sta7", "Evt16"): (aa_3, "Sta1"), ("Sta8", "Evt16"): (aa_3, "Sta1"),
    ("Sta9", "Evt16"): (aa_3, "Sta1"), ("Sta10", "Evt16"): (aa_3, "Sta1"),
    ("Sta11", "Evt16"): (aa_3, "Sta1"), ("Sta12", "Evt16"): (aa_3, "Sta1"),
    ("Sta13", "Evt16"): (aa_2, "Sta1"),
    # Evt17 Transport connection closed indication
    ("Sta2", "Evt17"): (aa_5, "Sta1"), ("Sta3", "Evt17"): (aa_4, "Sta1"),
    ("Sta4", "Evt17"): (aa_4, "Sta1"), ("Sta5", "Evt17"): (aa_4, "Sta1"),
    ("Sta6", "Evt17"): (aa_4, "Sta1"), ("Sta7", "Evt17"): (aa_4, "Sta1"),
    ("Sta8", "Evt17"): (aa_4, "Sta1"), ("Sta9", "Evt17"): (aa_4, "Sta1"),
    ("Sta10", "Evt17"): (aa_4, "Sta1"), ("Sta11", "Evt17"): (aa_4, "Sta1"),
    ("Sta12", "Evt17"): (aa_4, "Sta1"), ("Sta13", "Evt17"): (ar_5, "Sta1"),
    # Evt18 ARTIM timer expired
    ("Sta2", "Evt18"): (aa_2, "Sta1"), ("Sta13", "Evt18"): (aa_2, "Sta1"),
    # Evt19 Unrecognized or invalid PDU received
    ("Sta2", "Evt19"): (aa_1, "Sta13"), ("Sta3", "Evt19"): (aa_8, "Sta13"),
    ("Sta5", "Evt19"): (aa_8, "Sta13"), ("Sta6", "Evt19"): (aa_8, "Sta13"),
    ("Sta7", "Evt19"): (aa_8, "Sta13"), ("Sta8", "Evt19"): (aa_8, "Sta13"),
    ("Sta9", "Evt19"): (aa_8, "Sta13"), ("Sta10", "Evt19"): (aa_8, "Sta13"),
    ("Sta11", "Evt19"): (aa_8, "Sta13"), ("Sta12", "Evt19"): (aa_8, "Sta13"),
    ("Sta13", "Evt19"): (aa_7, "Sta13"),
}


def lookup(state: str, event: str) -> tuple[Action, Optional[str]]:
    """The cell for (state, event); empty cells as the module docstring says."""
    cell = TRANSITIONS.get((state, event))
    if cell is not None:
        return cell
    if event in USER_EVENTS or event in LOCAL_TRANSPORT_EVENTS:
        raise StateError(f"{EVENTS[event]} is not allowed in {state} ({STATES[state]})")
    if state == "Sta1":
        return ignored, "Sta1"
    if event == "Evt18":
        return stale_artim, state
    return aa_8, "Sta13"  # a peer PDU where the table has no cell (Sta4)
