"""DIMSE over one association: messages out as P-DATA, P-DATA in as messages.

Shared by both sides.  Sending encodes the data set in the presentation
context's transfer syntax and fragments it within the peer's maximum PDU
length; receiving feeds every P-DATA indication to one ``Reassembler`` and
hands back DIMSE events, or the association event (release, abort) that
interrupted them.
"""
from __future__ import annotations

import select
import time
from collections import deque
from typing import Any, Callable, Iterable, Optional

from ..dataset import transfer_syntax as _ts
from ..dataset.deflate import deflate_chunks
from ..dimse import (DATA_SET_PRESENT, Message, Reassembler, dataset_chunks, encode_command, fragment_message)
from ..dimse.fragment import DEFAULT_MAX_PDU_LENGTH, PDV_OVERHEAD
from ..errors import DimseError, NetworkError
from ..pdu.negotiation import Negotiation
from ..pdu.pdus import PDV
from ..pdu.primitives import AbortRequest, PDataIndication, PDataRequest
from ..transport import Connection


_FLUSH_SIZE = 4 << 20  # bytes of P-DATA queued before they are written


class DimseChannel:
    """Messages on the accepted presentation contexts of one association."""

    def __init__(self, conn: Connection, negotiation: Negotiation, *,
                 dimse_timeout: Optional[float] = 30.0,
                 stream: Optional[Callable[[int, Message], bool]] = None):
        self.conn = conn
        self.negotiation = negotiation
        # Final once the association is established: computed once, not per message.
        self.accepted: dict[int, tuple[str, str]] = negotiation.accepted
        self.dimse_timeout = dimse_timeout
        self.reassembler = Reassembler(stream=stream)
        self._pending: deque = deque()

    def transfer_syntax(self, context_id: int) -> _ts.TransferSyntax:
        return _ts.get(self.accepted[context_id][1])

    def send(self, context_id: int, message: Message, data: Any = None, *,
             flush: bool = True) -> None:
        """Send ``message`` with ``data`` (a Dataset, encoded bytes, or chunks already in
        the context's transfer syntax) on ``context_id``.

        ``flush=False`` leaves the PDUs queued until the connection next writes,
        at the latest before it waits for the peer: responses to requests that
        arrived together then leave in one write (one wake-up of the peer)."""
        if context_id not in self.accepted:
            raise DimseError(f"presentation context {context_id} was not accepted")
        ts = self.transfer_syntax(context_id)
        chunks = None
        if data is not None:
            from ..dataset import Dataset

            chunks = dataset_chunks(data, ts.little_endian, ts.explicit_vr)
            if ts.deflated and isinstance(data, Dataset):
                chunks = _even(deflate_chunks(chunks))
        if data is not None and message.dataset is None and message.data_set_type is None:
            message.data_set_type = DATA_SET_PRESENT  # the data travels beside the message
        self.send_encoded(context_id, encode_command(message), chunks, flush=flush)

    def send_encoded(self, context_id: int, command: bytes, data: Any = None, *,
                     flush: bool = True) -> None:
        """``send`` for a command set already encoded (one template reused for every
        response of a query) and data already in chunks of the context's syntax.

        A message that fits one PDU (a command set, a small Identifier) is that one
        P-DATA request, the PDVs ``fragment_message`` would make; anything else is
        fragmented, its PDUs queued and written a few MiB at a time."""
        if context_id not in self.accepted:
            raise DimseError(f"presentation context {context_id} was not accepted")
        conn = self.conn
        limit = self.negotiation.peer_max_pdu_length or DEFAULT_MAX_PDU_LENGTH
        try:
            if data is None and PDV_OVERHEAD + len(command) <= limit and not len(command) & 1:
                conn.send(PDataRequest([PDV(context_id, 3, command)]), flush=False)
            elif type(data) is bytes and data and not len(data) & 1 and not len(command) & 1 \
                    and 2 * PDV_OVERHEAD + len(command) + len(data) <= limit:
                conn.send(PDataRequest([PDV(context_id, 3, command), PDV(context_id, 2, data)]),
                          flush=False)
            else:
                queued = 0
                for request in fragment_message(context_id, command, data, limit):
                    queued += sum(len(pdv.data) for pdv in request.pdvs)
                    conn.send(request, flush=queued >= _FLUSH_SIZE)
                    if queued >= _FLUSH_SIZE:
                        queued = 0
        finally:
            if flush:
                conn.flush()

    def receive(self, timeout: Optional[float] = None) -> Any:
        """The next DIMSE event (MessageReceived, CommandReceived, DataFragment,
        InvalidMessage) or association event (ReleaseIndication, AbortIndication,
        PAbortIndication, ...); None once the connection is closed.

        Raises ``TimeoutError`` after ``timeout`` (default: the DIMSE timeout).
        """
        limit = self.dimse_timeout if timeout is None else timeout
        give_up = None if limit is None else time.monotonic() + limit
        while not self._pending:
            left = None if give_up is None else max(give_up - time.monotonic(), 0.0)
            event = self.conn.next_event(left)
            if not isinstance(event, PDataIndication):
                return event
            try:
                self._pending.extend(self.reassembler.feed(event))
            except DimseError as exc:  # the message stream is lost (PS3.8 E.1)
                self.conn.send(AbortRequest())
                raise NetworkError(f"aborted: {exc}") from None
        return self._pending.popleft()

    def poll(self, wait: float = 0.05) -> Any:
        """The next event if one has already arrived (queued, or bytes waiting on the
        socket), like ``receive``; raises ``TimeoutError`` when nothing is waiting.
        Used to notice a C-CANCEL between responses without blocking."""
        try:
            return self.receive(timeout=0)
        except TimeoutError:
            pass
        sock = getattr(self.conn, "sock", None)
        if sock is None:
            raise TimeoutError("nothing received")
        try:  # TLS keeps decrypted bytes that select() cannot see
            ready = getattr(sock, "pending", lambda: 0)() > 0 or \
                bool(select.select([sock], [], [], 0)[0])
        except (OSError, ValueError):  # closed socket: let receive() report it
            ready = True
        if not ready:
            raise TimeoutError("nothing received")
        return self.receive(timeout=wait)


def _even(chunks: Iterable[bytes]) -> Iterable[bytes]:
    """Deflated output padded to even length (PS3.5 A.5: pad after the stream)."""
    size = 0
    for chunk in chunks:
        size += len(chunk)
        yield chunk
    if size & 1:
        yield b"\0"
