"""The acceptor's side of one association: negotiate, then serve DIMSE requests.

Rules: a request the services cannot handle gets its failure response and
the association goes on (PS3.7 C: 0x0211 unrecognized operation, 0x0122 SOP
class not supported, Cxxx cannot understand); only a broken message stream
(PS3.8 E.1 violations) or the peer ends it.  A C-STORE is streamed to its
file as its fragments arrive.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from ..dimse import (CEchoRQ, CEchoRSP, CommandReceived, CStoreRQ, CStoreRSP, DataFragment,
                     InvalidMessage, Message, MessageReceived, NActionRQ, NActionRSP,
                     NCreateRQ, NCreateRSP, NDeleteRQ, NDeleteRSP, NEventReportRQ,
                     NEventReportRSP, NGetRQ, NGetRSP, NSetRQ, NSetRSP, error_response)
from ..errors import DicomError, NetworkError
from ..pdu.negotiation import AcceptorPolicy, negotiate
from ..pdu.primitives import (AbortIndication, AssociateIndication, PAbortIndication,
                              ReleaseIndication, ReleaseResponse)
from ..transport import Connection
from .channel import DimseChannel
from .services.storage import SOP_CLASS_NOT_SUPPORTED, StorageSCP
from .summary import AssociationSummary, peer_text

log = logging.getLogger("dicomcore.ae")

UNRECOGNIZED_OPERATION = 0x0211
_N_RESPONSES = {NEventReportRQ: NEventReportRSP, NGetRQ: NGetRSP, NSetRQ: NSetRSP,
                NActionRQ: NActionRSP, NCreateRQ: NCreateRSP, NDeleteRQ: NDeleteRSP}
# A handler for DIMSE-N (or anything else): (request, dataset or None, association) ->
# (status, reply dataset or None).
RequestHandler = Callable[[Message, Any, "AcceptedAssociation"], tuple]


class AcceptedAssociation:
    """What a handler may look at: the negotiation and the peer."""

    def __init__(self, conn: Connection, negotiation: Any):
        self.conn = conn
        self.negotiation = negotiation
        self.calling_ae_title = negotiation.calling_ae_title
        self.peer = conn.peer


def serve_association(conn: Connection, policy: AcceptorPolicy, *,
                      storage: Optional[StorageSCP] = None,
                      handlers: Optional[dict[str, RequestHandler]] = None,
                      acse_timeout: float = 30.0, idle_timeout: Optional[float] = 60.0,
                      active: Callable[[], int] = lambda: 0, qr: Any = None,
                      on_end: Optional[Callable[[AssociationSummary], None]] = None) -> None:
    """Run one association to its end (the transport handler of ``Server``).

    ``qr``: a ``services.qr.QueryRetrieveSCP`` answering C-FIND, C-MOVE, C-GET.
    ``on_end``: called with the connection's ``AssociationSummary`` once it is over,
    whatever the way it ended."""
    summary = AssociationSummary(peer=conn.peer)
    try:
        _serve(conn, policy, storage, handlers or {}, acse_timeout, idle_timeout, active, qr,
               summary)
    except BaseException as exc:  # our own errors' words; a bug's only in the log
        summary.end(f"ended by an error: {exc}" if isinstance(exc, DicomError) else
                    "ended by an internal error (logged)" if isinstance(exc, Exception)
                    else "stopped")
        raise
    finally:
        summary.end("connection closed")
        if on_end is not None:
            try:
                on_end(summary)
            except Exception:  # a failing reporter must not fail the server
                log.exception("association summary handler failed")


def _serve(conn: Connection, policy: AcceptorPolicy, storage: Optional[StorageSCP],
           handlers: dict[str, RequestHandler], acse_timeout: float,
           idle_timeout: Optional[float], active: Callable[[], int], qr: Any,
           summary: AssociationSummary) -> None:
    try:
        event = conn.next_event(acse_timeout)
    except TimeoutError:  # a silent connection (a port scan): nothing to serve
        summary.end(f"no A-ASSOCIATE-RQ within {acse_timeout:g} s")
        return
    if not isinstance(event, AssociateIndication):
        summary.end("closed before an A-ASSOCIATE-RQ" if event is None else
                    f"no A-ASSOCIATE-RQ: {_ending(event)}")
        return
    summary.calling_ae_title = event.calling_ae_title
    summary.called_ae_title = event.called_ae_title
    summary.proposed = len(event.presentation_contexts)
    negotiation = negotiate(policy, event, active_associations=active())
    conn.send(negotiation.response)
    if not negotiation.is_accepted:
        log.info("rejected %s: %s", event.calling_ae_title, negotiation.why)
        summary.end(f"rejected: {negotiation.why}")
        conn.next_event(acse_timeout)
        return
    summary.accepted = len(negotiation.accepted)
    log.info("association from %s (%s) accepted: %d of %d presentation context(s)",
             event.calling_ae_title, peer_text(conn.peer), summary.accepted, summary.proposed)
    assoc = AcceptedAssociation(conn, negotiation)
    channel = DimseChannel(conn, negotiation, dimse_timeout=idle_timeout,
                           stream=lambda ctx, msg: isinstance(msg, CStoreRQ))
    receiving = None
    released = False
    try:
        while True:
            try:
                event = channel.receive()
            except TimeoutError:
                log.info("association with %s idle too long: aborting", conn.peer)
                from ..pdu.primitives import AbortRequest

                summary.end(f"aborted by us: idle for {idle_timeout:g} s")
                conn.send(AbortRequest())
                return
            if event is None:
                summary.end("released" if released else "closed by the peer without release")
                return
            if isinstance(event, (AbortIndication, PAbortIndication)):
                summary.end(_ending(event))
                return
            if isinstance(event, ReleaseIndication):
                conn.send(ReleaseResponse())
                released = True
                continue
            if isinstance(event, CommandReceived):
                receiving = _begin_store(channel, event, storage, assoc)
                # Large fragments go from the socket to the file as they arrive.
                conn.ul.value_sink = receiving.value_sink if receiving is not None else None
            elif isinstance(event, DataFragment):
                if receiving is not None:
                    receiving.write(event.data)
            elif isinstance(event, MessageReceived):
                summary.requests[event.message.title.replace("-RQ", "")] += 1
                if isinstance(event.message, CStoreRQ):
                    conn.ul.value_sink = None
                    status = receiving.finish() if receiving is not None else \
                        SOP_CLASS_NOT_SUPPORTED
                    _count_store(summary, status, receiving)
                    receiving = None
                    _respond_store(channel, event.context_id, event.message, status)
                elif qr is not None and qr.handles(event.message):
                    qr.handle(channel, event, assoc)
                elif type(event.message).__name__ in ("CCancelRQ", "CStoreRSP"):
                    pass  # nothing in progress to cancel; a late sub-operation response
                else:
                    _dispatch(channel, event, handlers, assoc)
            elif isinstance(event, InvalidMessage):
                log.warning("invalid message from %s: %s", conn.peer, event.error)
                response = error_response(event.error)
                if response is not None:
                    channel.send(event.context_id, response)
    except NetworkError as exc:
        log.warning("association with %s ended: %s", conn.peer, exc)
        summary.end(f"ended: {exc}")
    finally:
        if receiving is not None:
            receiving.abandon()


def _ending(event: Any) -> str:
    """How an abort indication ended the association, in words."""
    if isinstance(event, AbortIndication):
        return "aborted by the peer (A-ABORT)"
    if isinstance(event, PAbortIndication):
        if event.from_peer:
            return f"aborted by the peer's provider ({event.detail or event.reason})"
        return f"aborted: {event.detail}" if event.detail else "aborted by the provider"
    return type(event).__name__


def _count_store(summary: AssociationSummary, status: int, receiving: Any) -> None:
    from ..dimse import Status

    if Status(status).category in ("Success", "Warning"):
        summary.instances += 1
        summary.bytes += receiving.received if receiving is not None else 0
    else:
        summary.failed += 1


def _begin_store(channel: DimseChannel, event: CommandReceived,
                 storage: Optional[StorageSCP], assoc: AcceptedAssociation) -> Any:
    message = event.message
    abstract, ts = channel.accepted[event.context_id]
    if storage is None or message.affected_sop_class_uid != abstract:
        return None  # answered with 0x0122 once the data set has gone by
    return storage.begin(message, ts, assoc.calling_ae_title, event.context_id)


def _respond_store(channel: DimseChannel, context_id: int, request: CStoreRQ,
                   status: int) -> None:
    # Queued, not written: sent with the responses to requests already received
    # (an async window), at the latest before the connection waits for the peer.
    channel.send(context_id, CStoreRSP(
        message_id_being_responded_to=request.message_id, status=status,
        affected_sop_class_uid=request.affected_sop_class_uid,
        affected_sop_instance_uid=request.affected_sop_instance_uid), flush=False)


def _dispatch(channel: DimseChannel, event: MessageReceived,
              handlers: dict[str, RequestHandler], assoc: AcceptedAssociation) -> None:
    request = event.message
    context_id = event.context_id
    abstract, _ = channel.accepted[context_id]
    if isinstance(request, CEchoRQ):
        status = 0
        handler = handlers.get("C-ECHO")
        if handler is not None:
            status = _call(handler, request, None, assoc)[0]
        channel.send(context_id, CEchoRSP(message_id_being_responded_to=request.message_id,
                                          affected_sop_class_uid=abstract, status=status))
        return
    response_class = _N_RESPONSES.get(type(request))
    handler = handlers.get(request.title.replace("-RQ", ""))
    if response_class is None or handler is None:
        response = _unsupported(request, abstract)
        if response is not None:
            channel.send(context_id, response)
        return
    dataset = None
    if request.dataset is not None:
        from ..dataset.decode import decode_dataset

        ts = channel.transfer_syntax(context_id)
        dataset, _ = decode_dataset(bytes(request.dataset), ts.little_endian, ts.explicit_vr)
    status, reply = _call(handler, request, dataset, assoc)
    response = response_class(message_id_being_responded_to=request.message_id, status=status)
    response.affected_sop_class_uid = getattr(request, "affected_sop_class_uid", None) or \
        getattr(request, "requested_sop_class_uid", None)
    response.affected_sop_instance_uid = getattr(request, "affected_sop_instance_uid", None) \
        or getattr(request, "requested_sop_instance_uid", None)
    for name in ("event_type_id", "action_type_id"):
        if hasattr(request, name) and hasattr(response, name):
            setattr(response, name, getattr(request, name))
    channel.send(context_id, response, reply)


def _call(handler: RequestHandler, request: Message, dataset: Any,
          assoc: AcceptedAssociation) -> tuple:
    try:
        result = handler(request, dataset, assoc)
    except Exception:  # the user's handler failed: a processing failure, not our crash
        log.exception("handler for %s failed", request.title)
        return 0x0110, None
    if isinstance(result, tuple):
        return (int(result[0]), result[1] if len(result) > 1 else None)
    return (0 if result is None else int(result), None)


def _unsupported(request: Message, abstract: str) -> Optional[Message]:
    """The failure response for a request no service here handles (PS3.7 C.5.6)."""
    response_class = type(request).__name__.replace("RQ", "RSP")
    from .. import dimse

    cls = getattr(dimse, response_class, None)
    if cls is None:
        return None
    response = cls(message_id_being_responded_to=request.message_id,
                   status=UNRECOGNIZED_OPERATION)
    if hasattr(response, "affected_sop_class_uid"):
        response.affected_sop_class_uid = abstract
    return response
