"""One association's upper layer, sans-IO: bytes and primitives in, events and bytes out.

The driver (the transport layer) owns the socket and the clock::

    ul = UpperLayer(artim_timeout=30)
    ul.connection_open(now)                  # acceptor: transport indication (Evt5)
    ul.receive_data(chunk, now)              # any chunking; b"" = transport closed (Evt17)
    buf = ul.get_buffer(65536)               # or: the rest of a large PDU, received in place
    ul.buffer_updated(sock.recv_into(buf), now)  # 0 = transport closed (Evt17)
    for ev in ul.events(): ...               # AssociateIndication, PDataIndication, ...
    ul.send(AssociateResponse(...), now)     # user primitives (Evt7, Evt9, ...)
    sock.sendall(ul.data_to_send())
    select(..., timeout=ul.deadline_in(now)) # None while ARTIM is stopped
    ul.handle_timeout(now)                   # Evt18 when the deadline has passed
    if ul.close_requested: sock.close()

A driver may also set ``ul.value_sink``: then a large P-DATA-TF holding a
single PDV is not assembled in memory; its value goes, piece by piece as it
arrives, to the writer the sink returns (a storage SCP's file), and the
P-DATA indication carries a ``DeliveredValue`` in its place.  When that
writer has a ``fileno()``, the driver may move the value's bytes from the
socket to the file itself (``delivery_fd``, then ``value_received(n)``).

Everything happens through ``statemachine.TRANSITIONS``; this class only
classifies input into events, validates user primitives before anything
changes, and keeps the queues the actions fill.  Received bytes that do not
frame or decode become Evt19 with the ``PDUError`` attached, so a hostile peer
gets the A-ABORT the table prescribes and no exception reaches the driver.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Optional

from dicomcore.errors import EncodeError, LimitError, PDUError

from .buffer import DEFAULT_LIMITS, PDU_HEADER, PDV_HEADER, DeliveredValue, ReceiveBuffer
from .items import Item, MaximumLength, UserInformation
from .pdus import (PDU, PDV, AAbort, AAssociateAC, AAssociateRJ, AAssociateRQ, AReleaseRP,
                   AReleaseRQ, PDataTF, decode_pdu, format_lines)
from .primitives import (AbortRequest, AssociateConfirmation, AssociateIndication, AssociateRequest,
                         AssociateResponse, PDataIndication, PDataRequest, ReleaseRequest,
                         ReleaseResponse,
                         request_to_pdu, response_to_pdu)
from .statemachine import lookup

__all__ = ["UpperLayer", "PDU_EVENT", "ValueSink", "ValueWriter"]

log = logging.getLogger("dicomcore.pdu")

TRACE_LENGTH = 1024
_SINGLE_PDV_HEAD = PDU_HEADER.size + PDV_HEADER.size  # a P-DATA-TF up to its first value
_SCRATCH = 1 << 20  # the reused buffer a delivered value is received into

# value_sink(context ID, control header, value length) -> a writer for that PDV value,
# or None to receive it the usual way.  The writer is called with consecutive pieces
# of the value as they arrive and must not raise (record a failure, answer it later).
ValueWriter = Callable[[memoryview], None]
ValueSink = Callable[[int, int, int], Optional[ValueWriter]]
_debug = functools.partial(log.isEnabledFor, logging.DEBUG)  # cached by the logger

# Which event a decoded PDU is (PS3.8 Table 9-10 rows).
PDU_EVENT: dict[type, str] = {
    AAssociateAC: "Evt3", AAssociateRJ: "Evt4", AAssociateRQ: "Evt6", PDataTF: "Evt10",
    AReleaseRQ: "Evt12", AReleaseRP: "Evt13", AAbort: "Evt16",
}


def _max_length(user_information: list[Item]) -> int:
    item = UserInformation(list(user_information)).first(MaximumLength)
    return item.maximum_length if item else 0


class UpperLayer:
    """The PS3.8 9.2 state machine for one association, requestor or acceptor.

    ``artim_timeout`` is the ARTIM value in seconds (PS3.8 9.1.5).
    ``receive_limit`` caps a received P-DATA-TF's PDU-length even when we
    advertised no maximum (0); a smaller advertised Maximum-length-received
    (from the user information we send) is enforced instead.
    ``associate_limit`` caps A-ASSOCIATE-RQ/AC PDUs.  ``provider_check`` may
    return an A-ASSOCIATE-RJ for a request the service-provider refuses (AE-6);
    by default only the protocol version is checked (PS3.8 9.3.2 bit 0).
    """

    def __init__(self, *, artim_timeout: float = 30.0, receive_limit: int = DEFAULT_LIMITS[0x04],
                 associate_limit: int = DEFAULT_LIMITS[0x01],
                 provider_check: Callable[[AAssociateRQ], Optional[AAssociateRJ]] | None = None) -> None:
        self.artim_timeout = artim_timeout
        self.receive_limit = receive_limit
        self.state = "Sta1"
        self.is_requestor = False
        self.connect_requested = False  # AE-1: the driver should open the connection
        self.close_requested = False    # AE-4, AR-3, AA-2, AA-3: the driver should close it
        # The recent transitions (at least TRACE_LENGTH): enough to explain an abort,
        # bounded however long the association lives (one entry per PDU).
        self.trace: list[tuple[str, str, str, str]] = []
        self.pending_request: AAssociateRQ | None = None
        self.indication: AssociateIndication | None = None
        self.accepted_contexts: frozenset[int] | None = None
        self.max_pdu_length = 0        # what we advertised (0: no maximum)
        self.peer_max_pdu_length = 0   # what the peer advertised: bound our P-DATA-TF
        self._provider_check = provider_check
        limits = dict(DEFAULT_LIMITS)
        limits[0x01] = limits[0x02] = associate_limit
        limits[0x04] = receive_limit
        self._buffer = ReceiveBuffer(limits)
        self._events: list[Any] = []
        self._out: list[bytes | memoryview] = []
        # (PDU, its chunks) as ``send`` checked them: sent as they are, not encoded again
        # (an A-ASSOCIATE-RQ of 128 contexts x 40 syntaxes costs milliseconds to encode);
        # an A-ASSOCIATE-RQ is kept until the transport connects (AE-1, then AE-2)
        self._encoded: tuple[PDU, list] | None = None
        self._artim: float | None = None
        self._now = 0.0
        self.value_sink: ValueSink | None = None
        # The PDV value being delivered: [writer, context ID, control, length, left].
        self._delivery: list | None = None
        self._scratch: bytearray | None = None
        self._value_continues = False  # the last delivered value was not a data set's last

    # ------------------------------------------------------------ driver side
    def connection_open(self, now: float) -> None:
        """Transport connection indication: a peer connected to us (Evt5)."""
        self._now = now
        self._handle("Evt5", None)

    def connection_confirmed(self, now: float) -> None:
        """Transport connect confirmation: our connect completed (Evt2)."""
        self._now = now
        self._handle("Evt2", None)

    def receive_data(self, data: bytes | bytearray | memoryview, now: float) -> None:
        """Bytes from the transport, cut anywhere; ``b""`` means it closed (Evt17).

        ``bytes`` are kept rather than copied: P-DATA values lying in them are
        handed on as views.
        """
        self._now = now
        if not data:
            self._delivery = None
            self._handle("Evt17", None)
            return
        if self._delivery is not None:
            n = min(len(data), self._delivery[4])
            view = memoryview(data)
            self._deliver(view[:n])
            if n == len(data):
                return
            data = view[n:]  # a view of bytes is kept as it is, not copied
        self._buffer.append(data)
        self._drain()

    def get_buffer(self, minimum: int = 1) -> memoryview | None:
        """A writable view for the rest of a PDU being received, or None.

        Offered only once that PDU's header has passed the length check and at
        least ``minimum`` bytes of it are missing; the driver receives into it
        (``sock.recv_into``) and reports with ``buffer_updated``.  Otherwise
        receive as usual and call ``receive_data``.
        """
        delivery = self._delivery
        if delivery is not None:  # a value on its way to the sink: a reused buffer
            if delivery[4] < minimum:
                return None
            if self._scratch is None:
                self._scratch = bytearray(_SCRATCH)
            return memoryview(self._scratch)[:min(delivery[4], _SCRATCH)]
        return self._buffer.get_buffer(minimum)

    def buffer_updated(self, n: int, now: float) -> None:
        """``n`` bytes were received into the last ``get_buffer()``; 0: transport closed."""
        self._now = now
        if not n:
            self._delivery = None
            self._handle("Evt17", None)
        elif self._delivery is not None:
            if not 0 < n <= min(self._delivery[4], _SCRATCH):
                raise ValueError(f"buffer_updated({n}) does not match the offered buffer")
            assert self._scratch is not None
            self._deliver(memoryview(self._scratch)[:n])
        else:
            self._buffer.buffer_updated(n)
            self._drain()

    def receive_size(self) -> int | None:
        """How many bytes the driver should receive next, when it matters: between
        delivered values of one data set, only the next PDU's first 12 bytes, so
        that its value too can go from the socket straight to the file; None: any."""
        if self._delivery is None and self._value_continues and self.value_sink is not None:
            buffered = len(self._buffer)
            if buffered < _SINGLE_PDV_HEAD:
                return _SINGLE_PDV_HEAD - buffered
        return None

    def delivery_fd(self) -> tuple[int, int] | None:
        """(file descriptor, bytes left) when the value being delivered may be written
        to that file by the driver directly (``os.splice``), else None."""
        delivery = self._delivery
        if delivery is None:
            return None
        fileno = getattr(delivery[0], "fileno", None)
        return None if fileno is None else (fileno(), delivery[4])

    def value_received(self, n: int, now: float) -> None:
        """``n`` bytes of the value went to ``delivery_fd()``'s file straight from the
        transport; 0 means the transport closed (Evt17)."""
        self._now = now
        if not n:
            self._delivery = None
            self._handle("Evt17", None)
            return
        delivery = self._delivery
        if delivery is None or not 0 < n <= delivery[4]:
            raise ValueError(f"value_received({n}) does not match the value being delivered")
        delivery[4] -= n
        if delivery[4] == 0:
            self._deliver(memoryview(b""))

    def deadline(self) -> float | None:
        """When ARTIM expires, or None while it is stopped."""
        return self._artim

    def deadline_in(self, now: float) -> float | None:
        return None if self._artim is None else max(0.0, self._artim - now)

    def handle_timeout(self, now: float) -> None:
        """Evt18 if the ARTIM deadline has passed; otherwise nothing."""
        self._now = now
        if self._artim is not None and now >= self._artim:
            self._handle("Evt18", None)

    def data_to_send(self) -> bytes:
        return b"".join(self.chunks_to_send())

    def chunks_to_send(self) -> list[bytes | memoryview]:
        """Output as chunks: P-DATA values pass through uncopied (for sendmsg)."""
        out, self._out = self._out, []
        return out

    # ------------------------------------------------------------ user side
    def send(self, primitive: Any, now: float) -> None:
        """A request or response primitive from the local user.

        Raises ``StateError`` if PS3.8 has no cell for it in this state,
        ``EncodeError`` if it cannot be encoded, ``LimitError`` if a P-DATA
        exceeds the peer's maximum length; in each case nothing changes.
        """
        event = self._event_for(primitive)
        lookup(self.state, event)  # raises before anything changes
        pdu = self._prepare(event, primitive)
        self._now = now
        self._handle(event, pdu)

    def events(self) -> list[Any]:
        """Indications and confirmations for the user since the last call."""
        events, self._events = self._events, []
        return events

    # ------------------------------------------------------------ for the actions
    def send_pdu(self, pdu: PDU) -> None:
        prepared = self._encoded
        if prepared is not None and prepared[0] is pdu:  # an A-ASSOCIATE-RQ waits for AE-2
            self._out += prepared[1]
            self._encoded = None
        else:
            self._out += pdu.encode_chunks()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("sent %s\n%s", pdu.title, format_lines(pdu.describe()))
        if isinstance(pdu, (AAssociateRQ, AAssociateAC)):
            self._advertise(pdu)
        if isinstance(pdu, AAssociateAC):
            self.accepted_contexts = frozenset(
                c.context_id for c in pdu.presentation_contexts if c.result == 0)

    def indicate(self, primitive: Any) -> None:
        self._events.append(primitive)
        if isinstance(primitive, AssociateIndication):
            self.indication = primitive
            self.peer_max_pdu_length = _max_length(primitive.user_information)
        elif isinstance(primitive, AssociateConfirmation) and primitive.accepted:
            self.peer_max_pdu_length = _max_length(primitive.user_information)
            self.accepted_contexts = frozenset(
                c.context_id for c in primitive.presentation_contexts if c.result == 0)

    def start_artim(self) -> None:
        self._artim = self._now + self.artim_timeout

    def stop_artim(self) -> None:
        self._artim = None

    def request_connect(self, rq: AAssociateRQ) -> None:
        self.pending_request = rq
        self.is_requestor = True
        self.connect_requested = True

    def request_close(self) -> None:
        self.close_requested = True

    def provider_rejection(self, rq: AAssociateRQ) -> AAssociateRJ | None:
        if self._provider_check is not None:
            return self._provider_check(rq)
        if not rq.protocol_version & 1:  # PS3.8 9.3.2: only test that bit 0 is set
            return AAssociateRJ(result=1, source=2, reason=2)  # protocol-version-not-supported
        return None

    # ------------------------------------------------------------ internals
    def _handle(self, event: str, data: Any) -> None:
        action, fixed = lookup(self.state, event)
        chosen = action(self, data)
        new = fixed or chosen or self.state
        label = action.label  # type: ignore[attr-defined]
        self.trace.append((self.state, event, label, new))
        if len(self.trace) > 2 * TRACE_LENGTH:
            del self.trace[:TRACE_LENGTH]
        if _debug():
            log.debug("%s --%s/%s--> %s", self.state, event, label, new)
        self.state = new

    def _drain(self) -> None:
        next_pdu = self._buffer.next_pdu
        while True:
            if self.value_sink is not None and self.state == "Sta6":
                if self._may_deliver():
                    if self._start_delivery():
                        return
                elif self._buffer.peek_single_pdv() is not None:
                    # Not assembled yet: once the user has taken the indications
                    # before it, the next bytes received offer it to the sink.
                    return
            try:
                raw = next_pdu()
            except PDUError as err:  # framing is lost: nothing after this can be trusted
                self._handle("Evt19", err)
                return
            if raw is None:
                return
            self._handle(*self._classify(raw))

    def _may_deliver(self) -> bool:
        """Whether the sink may write now: the user has taken every earlier
        indication, or those left are delivered values of a data set that goes
        on.  Any other (a fragment still to be written, a message's end, whose
        next message the sink knows nothing of) must be taken first."""
        for event in self._events:
            if type(event) is not PDataIndication:
                return False
            for pdv in event.pdvs:
                if type(pdv.data) is not DeliveredValue or pdv.control & 3:
                    return False
        return True

    def _start_delivery(self) -> bool:
        """Hand the value of the P-DATA-TF now arriving to the sink, if it wants it."""
        head = self._buffer.peek_single_pdv()
        if head is None:
            return False
        context_id, control, length = head
        accepted = self.accepted_contexts
        if accepted is not None and context_id not in accepted:
            return False  # the usual path refuses it (Evt19)
        assert self.value_sink is not None
        writer = self.value_sink(context_id, control, length)
        if writer is None:
            return False
        self._buffer.take(_SINGLE_PDV_HEAD)  # known from ``head``
        self._delivery = [writer, context_id, control, length, length]
        if _debug():
            log.debug("receiving P-DATA-TF: one PDV, context %d, control 0x%02x, "
                      "%d value bytes delivered as they arrive", context_id, control, length)
        for view in self._buffer.take(length):  # the PDU is incomplete: never all of it
            self._deliver(view)
        return True

    def _deliver(self, piece: memoryview) -> None:
        delivery = self._delivery
        assert delivery is not None
        if len(piece):
            delivery[0](piece)
            delivery[4] -= len(piece)
        if delivery[4] == 0:
            self._delivery = None
            _, context_id, control, length, _ = delivery
            self._value_continues = not control & 2
            self._handle("Evt10", PDataTF([PDV(context_id, control, DeliveredValue(length))]))
            self._drain()

    def _classify(self, raw: bytes | memoryview) -> tuple[str, Any]:
        try:
            pdu = decode_pdu(raw)
        except PDUError as err:
            log.debug("received an invalid PDU: %s", err)
            return "Evt19", err
        if _debug():
            log.debug("received %s\n%s", pdu.title, format_lines(pdu.describe()))
        accepted = self.accepted_contexts
        if accepted is not None and type(pdu) is PDataTF:
            for pdv in pdu.pdvs:
                if pdv.context_id not in accepted:
                    return "Evt19", PDUError(0x04, "Presentation-context-ID", None,
                                             f"context {pdv.context_id} was not accepted")
        return PDU_EVENT[type(pdu)], pdu

    def _advertise(self, pdu: AAssociateRQ | AAssociateAC) -> None:
        items = pdu.user_information.sub_items if pdu.user_information else []
        self.max_pdu_length = _max_length(items)
        limit = self.receive_limit
        if self.max_pdu_length:  # PS3.8 D.1: exceeding it "shall be a protocol error"
            limit = min(limit, self.max_pdu_length)
        self._buffer.limits[0x04] = limit

    @staticmethod
    def _event_for(primitive: Any) -> str:
        if isinstance(primitive, AssociateResponse):
            return "Evt7" if primitive.accepted else "Evt8"
        events = {AssociateRequest: "Evt1", PDataRequest: "Evt9", ReleaseRequest: "Evt11",
                  ReleaseResponse: "Evt14", AbortRequest: "Evt15"}
        event = events.get(type(primitive))
        if event is None:
            raise TypeError(f"{type(primitive).__name__} is not a request or response primitive")
        return event

    def _prepare(self, event: str, primitive: Any) -> PDU | None:
        """The PDU a primitive will send, encoded once here so errors come before any change."""
        pdu: PDU | None = None
        if event == "Evt1":
            pdu = request_to_pdu(primitive)
        elif event in ("Evt7", "Evt8"):
            pdu = response_to_pdu(primitive, self.indication)
        elif event == "Evt9":
            pdu = self._pdata(primitive)
        if pdu is not None:  # raises EncodeError for bad titles, ids, lengths
            self._encoded = (pdu, pdu.encode_chunks())
        return pdu

    def _pdata(self, primitive: PDataRequest) -> PDataTF:
        if not primitive.pdvs:
            raise EncodeError("P-DATA request: one or more PDVs are required (PS3.8 7.6.1)")
        pdu = PDataTF(list(primitive.pdvs))
        length = sum(6 + len(p.data) for p in pdu.pdvs)
        if self.peer_max_pdu_length and length > self.peer_max_pdu_length:
            raise LimitError(f"P-DATA-TF PDU-length {length} exceeds the peer's maximum "
                             f"{self.peer_max_pdu_length} (PS3.8 D.1)")
        return pdu
