"""Messages to PDVs and back (PS3.8 9.3.5, Annex E).

Rules of this module:
1. Sending: ``fragment_message`` cuts a command set and its data set into PDVs and
   groups them into P-DATA requests whose PDU-length never exceeds the peer's
   Maximum Length (PS3.8 D.1): each PDV costs 6 bytes (Item-length,
   Presentation-context-ID, Message Control Header) plus its fragment.
   Fragments are even-sized (E.1), command and data never share a PDV, the
   last fragment of each carries bit 1 of the header (E.2), and no PDV is
   empty except the single one that ends an empty data set.
2. Data arrives as chunks and leaves as memoryview slices of them: a fragment
   lying inside one chunk is not copied; only fragments spanning chunk
   boundaries are joined (at most one fragment's worth).  Memory stays bounded
   by the PDU size, whatever the data set's size.
3. Receiving: ``Reassembler.feed`` takes P-DATA indications and returns
   events.  Out-of-order PDVs (data before a command, a command inside a data
   set, a context change mid-message; PS3.8 E.1) raise ``DimseError`` with
   ``status`` None: the message stream is lost and the association should be
   aborted.  A complete but undecodable command set is an ``InvalidMessage``
   event instead, so the service layer can answer it (``error_response``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Optional, Union

from dicomcore.errors import DimseError
from dicomcore.pdu.buffer import DeliveredValue, FileRegion
from dicomcore.pdu.pdus import PDV
from dicomcore.pdu.primitives import PDataIndication, PDataRequest

from .decode import decode_command
from .messages import Message
from .status import dimse_error

__all__ = ["fragment_message", "fragment", "PDV_OVERHEAD", "MIN_MAX_PDU_LENGTH", "DEFAULT_MAX_PDU_LENGTH",
           "Reassembler", "CommandReceived", "DataFragment", "MessageReceived",
           "InvalidMessage"]

PDV_OVERHEAD = 6  # PS3.8 Table 9-23: Item-length (4), context ID (1); E.2: header (1)
MIN_MAX_PDU_LENGTH = PDV_OVERHEAD + 2  # the smallest even fragment that is not empty
DEFAULT_MAX_PDU_LENGTH = 1 << 20  # used when the peer sets no maximum (0, PS3.8 D.1.1)

Chunk = Union[bytes, bytearray, memoryview]


class _Chunks:
    """Reads a stream of byte chunks in pieces; one chunk of look-ahead."""

    def __init__(self, chunks: Iterable[Chunk]):
        self._iter = iter(chunks)
        self._current = memoryview(b"")

    def _fill(self) -> bool:
        while not len(self._current):
            try:
                chunk = next(self._iter)
            except StopIteration:
                return False
            if type(chunk) is FileRegion:  # sliced like a view, read by the transport
                self._current = chunk
            else:
                self._current = memoryview(chunk).cast("B") if not isinstance(chunk, bytes) \
                    else memoryview(chunk)
        return True

    def at_end(self) -> bool:
        return not self._fill()

    def take(self, size: int) -> Chunk:
        """Up to ``size`` bytes: a slice of one chunk when possible, else joined bytes."""
        if not self._fill():
            return b""
        if len(self._current) >= size:
            piece, self._current = self._current[:size], self._current[size:]
            return piece
        if type(self._current) is FileRegion:  # never read here: a shorter fragment
            piece, self._current = self._current, memoryview(b"")
            return piece
        parts, need = [], size
        while need and self._fill():
            if type(self._current) is FileRegion:  # never read here: a shorter fragment
                break
            piece, self._current = self._current[:need], self._current[need:]
            parts.append(piece)
            need -= len(piece)
        return parts[0] if len(parts) == 1 else b"".join(parts)


def fragment_message(context_id: int, command: Chunk,
                     data: Union[Chunk, Iterable[Chunk], None], max_pdu_length: int, *,
                     pack: bool = True) -> Iterator[PDataRequest]:
    """One message as P-DATA requests, each within ``max_pdu_length`` (0: no limit).

    ``command`` is ``encode_command(msg)``; ``data`` the encoded data set (bytes,
    a memoryview, or an iterable of chunks such as ``dataset_chunks(...)``,
    blocks read from a file or ``FileRegion``s of one), or None.  With ``pack``
    a PDU holds as many PDVs as fit (the end of the command and the start of
    the data share a PDU, PS3.8 E.1 Note); without it every PDV has a PDU of
    its own.  A ``FileRegion`` is only sliced, never read: where a fragment
    would join it to other bytes, the fragment ends early instead.

    Raises ``DimseError`` if ``max_pdu_length`` cannot hold a 2-byte fragment
    or the data set turns out to have an odd length (E.1: fragments are even).
    """
    limit = max_pdu_length or DEFAULT_MAX_PDU_LENGTH
    if limit < MIN_MAX_PDU_LENGTH:
        raise dimse_error(f"maximum PDU length {max_pdu_length} cannot hold a PDV "
                          f"(at least {MIN_MAX_PDU_LENGTH} bytes)", context_id=context_id)
    if len(command) & 1:
        raise dimse_error(f"command set of odd length {len(command)}", context_id=context_id)
    parts: list[tuple[bool, _Chunks]] = [(True, _Chunks([command]))]
    if data is not None:
        single = isinstance(data, (bytes, bytearray, memoryview))
        parts.append((False, _Chunks([data] if single else data)))  # type: ignore[list-item]
    pdvs: list[PDV] = []
    room = limit
    for is_command, stream in parts:
        while True:
            need = PDV_OVERHEAD if stream.at_end() else MIN_MAX_PDU_LENGTH  # empty data set
            if room < need or (pdvs and not pack):
                yield PDataRequest(pdvs)
                pdvs, room = [], limit
            piece = stream.take((room - PDV_OVERHEAD) & ~1)
            last = stream.at_end()
            if last and len(piece) & 1:
                raise dimse_error(f"{'command' if is_command else 'data'} of odd length: "
                                  "fragments must be even (PS3.8 E.1)", context_id=context_id)
            pdvs.append(PDV.fragment(context_id, piece, command=is_command, last=last))
            room -= PDV_OVERHEAD + len(piece)
            if last:
                break
    yield PDataRequest(pdvs)


fragment = fragment_message  # the package exports only the long name: ``dimse.fragment`` is this module


# ---------------------------------------------------------------- receiving
@dataclass
class CommandReceived:
    """A streamed message's command: its data set follows as ``DataFragment``s."""

    context_id: int
    message: Message
    command: bytes


@dataclass
class DataFragment:
    """Part of a streamed data set, in order; ``data`` is a view into the received
    PDU, or a ``DeliveredValue`` when the receiver's value sink already wrote it."""

    context_id: int
    data: Union[memoryview, DeliveredValue]
    last: bool


@dataclass
class MessageReceived:
    """A complete message.  ``message.dataset`` holds the data set's bytes as
    received (in the context's transfer syntax), or None when there is none or
    it was streamed."""

    context_id: int
    message: Message
    command: bytes


@dataclass
class InvalidMessage:
    """A complete command set that ``decode_command`` rejected; any data set of
    the message is skipped.  ``error.status`` suggests the failure response."""

    context_id: int
    error: DimseError
    command: bytes


Event = Union[CommandReceived, DataFragment, MessageReceived, InvalidMessage]

_IDLE, _COMMAND, _DATA, _SKIP = "idle", "command", "data", "skip"


class Reassembler:
    """PDVs in, whole messages (or a streamed data set) out, for one association.

    ``stream(context_id, message) -> bool`` picks the messages whose data set
    is handed over fragment by fragment (a storage SCP writing to disk)
    instead of collected; by default none is.  ``max_command_length`` bounds
    a command set; ``max_data_length`` (None: no bound) a collected data set,
    beyond which ``DimseError`` is raised with status A700H (out of resources).
    """

    def __init__(self, *, stream: Optional[Callable[[int, Message], bool]] = None,
                 max_command_length: int = 1 << 20, max_data_length: Optional[int] = None):
        self.stream = stream
        self.max_command_length = max_command_length
        self.max_data_length = max_data_length
        self._reset()

    def _reset(self) -> None:
        self.state = _IDLE
        self._context: Optional[int] = None
        self._parts: list[Any] = []
        self._size = 0
        self._message: Optional[Message] = None
        self._command = b""
        self._streaming = False
        self._skip_optional = False

    @property
    def idle(self) -> bool:
        """True between messages: nothing is half received."""
        return self.state == _IDLE

    def feed(self, pdata: Union[PDataIndication, Iterable[PDV]]) -> list[Event]:
        """The events completed by these PDVs, in order."""
        pdvs = pdata.pdvs if isinstance(pdata, PDataIndication) else pdata
        events: list[Event] = []
        for pdv in pdvs:
            self._pdv(pdv, events)
        return events

    def _violation(self, pdv: PDV, text: str) -> DimseError:
        self._reset()
        return dimse_error(f"PDV on context {pdv.context_id}: {text} (PS3.8 E.1)",
                           context_id=pdv.context_id)

    def _pdv(self, pdv: PDV, events: list[Event]) -> None:
        state = self.state
        if state == _SKIP and self._skip_optional and pdv.is_command:
            self._reset()  # the bad command said nothing of a data set: a new message starts
            state = _IDLE
        if state != _IDLE and pdv.context_id != self._context:
            raise self._violation(pdv, f"context changed from {self._context} mid-message")
        if state == _IDLE:
            if not pdv.is_command:
                raise self._violation(pdv, "a data fragment before any command")
            self.state, self._context = _COMMAND, pdv.context_id
            state = _COMMAND
        if state == _COMMAND:
            if not pdv.is_command:
                raise self._violation(pdv, "a data fragment before the command's last fragment")
            self._collect(pdv, self.max_command_length, "command set")
            if pdv.is_last:
                self._command_done(events)
            return
        if pdv.is_command:
            raise self._violation(pdv, "a command fragment inside a data set")
        if state == _SKIP:
            if pdv.is_last:
                self._reset()
            return
        if self._streaming:
            data = pdv.data
            events.append(DataFragment(pdv.context_id, data if type(data) is DeliveredValue
                                       else memoryview(data), pdv.is_last))
        elif type(pdv.data) is DeliveredValue:  # a sink took a value nobody streams
            raise self._violation(pdv, "a data fragment delivered outside a streamed data set")
        else:
            self._collect(pdv, self.max_data_length, "data set")
        if pdv.is_last:
            self._message_done(events)

    def _collect(self, pdv: PDV, limit: Optional[int], what: str) -> None:
        self._size += len(pdv.data)
        if limit is not None and self._size > limit:
            context, message = self._context, self._message
            self._reset()
            raise dimse_error(f"{what} longer than {limit} bytes", 0xA700, context_id=context,
                              command_field=message.command_field if message else None,
                              message_id=getattr(message, "message_id", None))
        self._parts.append(pdv.data)

    def _command_done(self, events: list[Event]) -> None:
        command = b"".join(self._parts)
        self._parts, self._size = [], 0
        context = self._context or 0  # set by the command's first PDV
        try:
            message = decode_command(command)
        except DimseError as err:
            err.context_id = context  # type: ignore[attr-defined]
            events.append(InvalidMessage(context, err, command))
            follows = _data_set_announced(err)
            if follows is False:
                self._reset()
            else:  # skip the data set it announced, or may have announced
                self.state, self._skip_optional = _SKIP, follows is None
            return
        if not message.has_dataset:
            events.append(MessageReceived(context, message, command))
            self._reset()
            return
        self._message, self._command, self.state = message, command, _DATA
        self._streaming = bool(self.stream and self.stream(context, message))
        if self._streaming:
            events.append(CommandReceived(context, message, command))

    def _message_done(self, events: list[Event]) -> None:
        message, context = self._message, self._context or 0
        if message is None:  # unreachable: _DATA is entered with a message
            raise dimse_error("data set ended without a command", context_id=context)
        if not self._streaming:
            message.dataset = b"".join(self._parts)
        events.append(MessageReceived(context, message, self._command))
        self._reset()


def _data_set_announced(err: DimseError) -> Optional[bool]:
    """Whether a rejected command set said a data set follows (None: unreadable)."""
    value = getattr(err, "fields", {}).get("data_set_type")
    if not isinstance(value, int):
        return None
    return value != 0x0101
