"""The requestor's association: echo, store, find/move/get, DIMSE-N requests, release, abort.

``ApplicationEntity.associate`` returns one of these, already established.
Each call sends one request on a context the acceptor accepted and waits
for its response; data sets are encoded in that context's transfer syntax,
and files whose syntax was accepted go on the wire as stored (the bytes
after their File Meta Information, read block by block).  Query/Retrieve
(``find``, ``move``, ``get``, ``cancel``) lives in ``query.QueryRetrieveMixin``.
"""
from __future__ import annotations

import io
import logging
import os
import stat
from collections import deque
from typing import Any, BinaryIO, Iterable, Iterator, Optional, Union

from ..dataset import Dataset
from ..dataset import transfer_syntax as _ts
from ..dataset.file_summary import StoreSummary, store_summary
from ..dataset.part10 import read
from ..dataset.uid import UID
from ..dimse import (CEchoRQ, CStoreRQ, MEDIUM, Message, MessageReceived, NActionRQ,
                     NCreateRQ, NDeleteRQ, NEventReportRQ, NGetRQ, NSetRQ, Status)
from ..dimse.decode import decode_command  # noqa: F401  (re-exported for users)
from ..dataset.decode import decode_dataset
from ..errors import DicomError, NetworkError
from ..pdu.buffer import FileRegion
from ..pdu.negotiation import Negotiation
from ..pdu.primitives import (AbortIndication, AbortRequest, PAbortIndication,
                              ReleaseConfirmation, ReleaseIndication, ReleaseRequest)
from ..transport import Connection
from .channel import DimseChannel
from .query import QueryRetrieveMixin, qr_contexts  # noqa: F401  (qr_contexts re-exported)
from .summary import peer_text

log = logging.getLogger("dicomcore.ae")

VERIFICATION = "1.2.840.10008.1.1"
_BLOCK = 1 << 20
_HEAD = 1 << 16  # read first: the File Meta and the data set's SOP UIDs lie within
# Requests kept in flight by ``store_all`` when the acceptor allowed any number (0).
UNLIMITED_WINDOW = 16
StoreSource = Union[str, os.PathLike, BinaryIO, Dataset]


class Association(QueryRetrieveMixin):
    """An established association, requestor side.  Use as a context manager:
    leaving the block releases it (or aborts it, if the block raised)."""

    def __init__(self, conn: Connection, negotiation: Negotiation, *,
                 dimse_timeout: Optional[float] = 30.0):
        self.conn = conn
        self.negotiation = negotiation
        # C-STORE-RQs (C-GET sub-operations) are streamed to their file, never collected.
        self.channel = DimseChannel(conn, negotiation, dimse_timeout=dimse_timeout,
                                    stream=lambda ctx, msg: isinstance(msg, CStoreRQ))
        self._operation = None
        self._receiving = None
        self._message_id = 0
        # Responses that arrived while another was awaited (async window): by message ID.
        self._early: dict[int, Message] = {}
        self._awaited: set[int] = set()
        self.is_released = False
        self.is_aborted = False

    # --- what was negotiated -----------------------------------------------------------

    @property
    def accepted_contexts(self) -> dict[int, tuple[str, str]]:
        """context id -> (abstract syntax, transfer syntax) the acceptor accepted."""
        return self.channel.accepted

    def report(self) -> str:
        """The negotiation, context by context, with the reason for each refusal."""
        return self.negotiation.report(lambda uid: UID(uid).name)

    def _next_id(self) -> int:
        self._message_id = self._message_id % 0xFFFF + 1
        return self._message_id

    def find_context(self, abstract: str, transfer_syntax: Optional[str] = None
                     ) -> Optional[int]:
        """The first accepted context for an abstract (and transfer) syntax, or None."""
        for cid, (a, t) in self.channel.accepted.items():
            if a == abstract and transfer_syntax in (None, t):
                return cid
        return None

    def context_for(self, abstract: str, transfer_syntax: Optional[str] = None) -> int:
        found = self.find_context(abstract, transfer_syntax)
        if found is None:
            name = UID(abstract).name or abstract
            proposed = [ts for _, (a, ts) in self.accepted_contexts.items() if a == abstract]
            detail = (f"accepted only with {', '.join(proposed)}" if proposed
                      else "not accepted at all")
            wanted = f" with transfer syntax {transfer_syntax}" if transfer_syntax else ""
            raise DicomError(f"no presentation context for {name}{wanted}: {detail}")
        return found

    # --- DIMSE-C -----------------------------------------------------------------------

    def echo(self) -> Status:
        """C-ECHO (PS3.7 9.1.5); returns the response status (0 on success)."""
        request = CEchoRQ(message_id=self._next_id())
        response = self._exchange(self.context_for(VERIFICATION), request)
        return Status(response.status, "verification")

    def store(self, source: StoreSource, *, priority: int = MEDIUM,
              move_originator: Optional[tuple[str, int]] = None) -> Status:
        """C-STORE a file (path or binary file) or a Dataset; returns the response status.

        A file whose transfer syntax was accepted for its SOP class is sent as
        stored, without decoding; otherwise it is converted to a syntax that was
        accepted, or a DicomError names the class and the syntaxes.
        """
        sop_class, sop_instance, context_id, data = self._prepare_store(source)
        try:
            request = CStoreRQ(message_id=self._next_id(), affected_sop_class_uid=sop_class,
                               affected_sop_instance_uid=sop_instance, priority=priority)
            if move_originator:
                request.move_originator_ae_title, request.move_originator_message_id = \
                    move_originator
            response = self._exchange(context_id, request, data)
        finally:
            if isinstance(data, _FileBody):
                data.close()
        return Status(response.status, "storage")

    def store_all(self, sources: Iterable[StoreSource], *, priority: int = MEDIUM
                  ) -> Iterator[tuple[StoreSource, Union[Status, DicomError, OSError]]]:
        """C-STORE every source in order; yields (source, status) in the same order.

        Up to the negotiated asynchronous operations window of requests are in
        flight at once (PS3.7 D.3.3.3; propose one with ``associate(...,
        max_operations=(16, 1))``): the acceptor stores one instance while the
        next is on its way, instead of each round trip waiting for the last.
        With no window agreed this is ``store`` in a loop.  A source that cannot
        be sent (unreadable, no accepted context) yields its error in place of a
        status, and the others go on; a network failure raises.
        """
        invoked = self.negotiation.max_operations_invoked
        window = UNLIMITED_WINDOW if invoked == 0 else max(invoked, 1)
        in_flight: deque = deque()  # (message ID or None, source, error or None)
        self._settle()
        for source in sources:
            self._check_open()
            try:
                sop_class, sop_instance, context_id, data = self._prepare_store(source)
            except (DicomError, OSError) as exc:
                if isinstance(exc, NetworkError):
                    raise
                in_flight.append((None, source, exc))
            else:
                try:
                    request = CStoreRQ(message_id=self._next_id(), priority=priority,
                                       affected_sop_class_uid=sop_class,
                                       affected_sop_instance_uid=sop_instance)
                    self._awaited.add(request.message_id)
                    self.channel.send(context_id, request, data)
                finally:
                    if isinstance(data, _FileBody):
                        data.close()
                in_flight.append((request.message_id, source, None))
            while in_flight and (in_flight[0][0] is None or
                                 sum(1 for m, _, _ in in_flight if m is not None) >= window):
                yield self._collect(in_flight.popleft())
        while in_flight:
            yield self._collect(in_flight.popleft())

    def _collect(self, entry: tuple) -> tuple[StoreSource, Any]:
        message_id, source, error = entry
        if message_id is None:
            return source, error
        try:
            response = self._response_to(message_id)
        finally:
            self._awaited.discard(message_id)
        return source, Status(response.status, "storage")

    def _prepare_store(self, source: StoreSource) -> tuple[str, str, int, Any]:
        """(SOP class, SOP instance, context, data) of one C-STORE.

        The UIDs are the data set's (0008,0016)/(0008,0018), read from the element
        headers near its start (``store_summary``), not the File Meta's: a stale
        Media Storage SOP Instance UID is common, and an SCP checks the request
        against the data set (DCMTK storescp answers A900 otherwise).  Files with
        no usable meta (none, or without (0002,0002)) are sent the same way, in the
        syntax sniffed from the data set, as storescu does.
        """
        if isinstance(source, Dataset):
            return self._prepare_dataset(source, source.transfer_syntax)
        handle, close = _open(source)
        try:
            start = handle.tell()
            head, whole, summary = _summarise(handle)
            sop_class, sop_instance = sop_uids_to_send(summary, _name(source))
        except DicomError:
            if close:
                handle.close()
            raise
        ts, pos = summary.transfer_syntax, summary.start
        context_id = self.find_context(sop_class, ts.uid) if summary.as_declared else None
        if context_id is not None:
            if whole and not handle.read(1):
                if close:  # the whole file is in hand
                    handle.close()
                body = head[pos:] + (b"\0" if (len(head) - pos) & 1 else b"")
                return sop_class, sop_instance, context_id, body
            body = _FileBody.of(handle, start + pos, close)
            if body is not None:
                return sop_class, sop_instance, context_id, body
            handle.seek(start + pos)
            return sop_class, sop_instance, context_id, _blocks(handle, close)
        # Not accepted in its own syntax, or not encoded as it declares: decoded, then
        # encoded in an accepted syntax by _prepare_dataset.
        if isinstance(source, (str, os.PathLike)):
            handle.close()
            ds = read(source)
        else:
            if handle.seekable():
                handle.seek(start)
                rest = handle.read()
            else:
                rest = head + handle.read()
            ds = read(io.BytesIO(rest))
        return self._prepare_dataset(ds, ts)

    def _prepare_dataset(self, ds: Dataset, ts: Optional[_ts.TransferSyntax]
                         ) -> tuple[str, str, int, Any]:
        sop_class, sop_instance = str(ds.get(0x00080016) or ""), str(ds.get(0x00080018) or "")
        if not sop_class or not sop_instance:
            raise DicomError("the dataset has no SOP Class UID or SOP Instance UID")
        candidates = [(cid, t) for cid, (a, t) in self.accepted_contexts.items()
                      if a == sop_class]
        if ts is not None:
            for cid, t in candidates:
                if t == ts.uid:
                    return sop_class, sop_instance, cid, ds
        encapsulated = bool(ts is not None and ts.encapsulated and 0x7FE00010 in ds)
        for cid, t in candidates:
            target = _ts.get(t)
            if not encapsulated and not target.encapsulated:
                return sop_class, sop_instance, cid, ds
        for cid, t in candidates:  # needs a codec: RLE both ways
            try:
                from ..codecs.transcode import transcode
            except ImportError:  # pragma: no cover - codecs always ship
                break
            try:
                return sop_class, sop_instance, cid, transcode(ds, t)
            except DicomError:
                continue
        name = UID(sop_class).name or sop_class
        have = ", ".join(t for _, t in candidates) or "none"
        raise DicomError(f"cannot store {name} in {ts.name if ts else 'its transfer syntax'}: "
                         f"accepted transfer syntaxes for it: {have}")

    # --- DIMSE-N -----------------------------------------------------------------------

    def send_n_event_report(self, sop_class: str, sop_instance: str, event_type: int,
                            info: Optional[Dataset] = None) -> tuple[Status, Optional[Dataset]]:
        return self._n(NEventReportRQ(affected_sop_class_uid=sop_class,
                                      affected_sop_instance_uid=sop_instance,
                                      event_type_id=event_type), sop_class, info)

    def send_n_get(self, sop_class: str, sop_instance: str,
                   attributes: Optional[list[int]] = None) -> tuple[Status, Optional[Dataset]]:
        request = NGetRQ(requested_sop_class_uid=sop_class,
                         requested_sop_instance_uid=sop_instance)
        if attributes:
            request.attribute_identifier_list = list(attributes)
        return self._n(request, sop_class, None)

    def send_n_set(self, sop_class: str, sop_instance: str, modification: Dataset
                   ) -> tuple[Status, Optional[Dataset]]:
        return self._n(NSetRQ(requested_sop_class_uid=sop_class,
                              requested_sop_instance_uid=sop_instance), sop_class, modification)

    def send_n_action(self, sop_class: str, sop_instance: str, action_type: int,
                      info: Optional[Dataset] = None) -> tuple[Status, Optional[Dataset]]:
        return self._n(NActionRQ(requested_sop_class_uid=sop_class,
                                 requested_sop_instance_uid=sop_instance,
                                 action_type_id=action_type), sop_class, info)

    def send_n_create(self, sop_class: str, sop_instance: Optional[str] = None,
                      attributes: Optional[Dataset] = None) -> tuple[Status, Optional[Dataset]]:
        return self._n(NCreateRQ(affected_sop_class_uid=sop_class,
                                 affected_sop_instance_uid=sop_instance), sop_class, attributes)

    def send_n_delete(self, sop_class: str, sop_instance: str) -> tuple[Status, None]:
        status, _ = self._n(NDeleteRQ(requested_sop_class_uid=sop_class,
                                      requested_sop_instance_uid=sop_instance), sop_class, None)
        return status, None

    def _n(self, request: Message, sop_class: str, data: Optional[Dataset]
           ) -> tuple[Status, Optional[Dataset]]:
        request.message_id = self._next_id()
        context_id = self.context_for(sop_class)
        response = self._exchange(context_id, request, data)
        dataset = None
        if response.dataset is not None:
            ts = self.channel.transfer_syntax(context_id)
            dataset, _ = decode_dataset(bytes(response.dataset), ts.little_endian,
                                        ts.explicit_vr)
        return Status(response.status), dataset

    # --- plumbing ----------------------------------------------------------------------

    def _exchange(self, context_id: int, request: Message, data: Any = None) -> Message:
        self._settle()
        self._check_open()
        self.channel.send(context_id, request, data)
        return self._response_to(request.message_id)

    def _response_to(self, message_id: int, operation: Any = None) -> Message:
        """The response to ``message_id``; C-STORE sub-operations arriving meanwhile are
        stored for ``operation`` (a C-GET) or refused."""
        early = self._early.pop(message_id, None)
        if early is not None:
            return early
        while True:
            try:
                event = self.channel.receive()
            except TimeoutError:  # the DIMSE timeout: end the association, as DCMTK does
                self.abort()
                raise NetworkError(f"no response to message {message_id} within "
                                   f"{self.channel.dimse_timeout} s: association aborted"
                                   ) from None
            if self._sub_operation(event, operation):
                continue
            if isinstance(event, MessageReceived):
                message = event.message
                answered = getattr(message, "message_id_being_responded_to", None)
                if answered == message_id:
                    return message
                if answered in self._awaited:  # another request in flight: kept for later
                    self._early[answered] = message
                continue  # a response to something else: not ours to handle here
            self._association_event(event)

    def _association_event(self, event: Any) -> None:
        if isinstance(event, (AbortIndication, PAbortIndication, ReleaseIndication)) or \
                event is None:
            if self._receiving is not None:
                self._receiving.abandon()
                self._receiving = None
            self._operation = None
        if isinstance(event, (AbortIndication, PAbortIndication)) or event is None:
            self.is_aborted = True
            raise NetworkError(f"association aborted by the peer ({event})")
        if isinstance(event, ReleaseIndication):
            raise NetworkError("the peer asked to release the association mid-operation")

    def _check_open(self) -> None:
        if self.is_released or self.is_aborted:
            raise NetworkError("the association is no longer established")

    def release(self) -> None:
        """A-RELEASE; waits for the peer's reply, then the connection closes."""
        if self.is_released or self.is_aborted:
            return
        self._settle()  # an operation left in progress: cancelled and drained first
        self.conn.send(ReleaseRequest())
        try:
            while True:
                event = self.conn.next_event(self.channel.dimse_timeout)
                if event is None or isinstance(event, (ReleaseConfirmation, AbortIndication,
                                                       PAbortIndication)):
                    break
        except TimeoutError:
            self.abort()
            raise NetworkError("no A-RELEASE-RP from the peer; association aborted") from None
        finally:
            self.is_released = True
            self.conn.close()
        log.info("association with %s released", peer_text(self.conn.peer))

    def abort(self) -> None:
        """A-ABORT now."""
        if not self.is_aborted and not self.conn.closed:
            log.info("aborting the association with %s", peer_text(self.conn.peer))
            try:
                self.conn.send(AbortRequest())
            except DicomError:
                pass
        self.is_aborted = True
        self.conn.close()

    def __enter__(self) -> "Association":
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is None:
            self.release()
        else:
            self.abort()


def sop_uids_to_send(summary: StoreSummary, name: str, *, warn: bool = True
                     ) -> tuple[str, str]:
    """The Affected SOP Class and Instance UIDs of a C-STORE of a summarised file.

    PS3.7 9.1.1.1.3-4: they specify the SOP Class and the SOP Instance to be stored,
    which is the data set (an SCP checks them against it: PS3.4 B.2.3, A9xx); the
    File Meta's (0002,0002)/(0002,0003) only describe it (PS3.10 Table 7.1-1) and go
    stale when a data set is edited.  So the data set's are sent, and where the meta
    says otherwise a warning (``warn``) names the file and both UIDs.  A data set
    without them is refused, as storescu does ("No SOP Class or Instance UID")."""
    sop_class, sop_instance = summary.sop_class, summary.sop_instance
    if not sop_class or not sop_instance:
        missing = " and ".join(text for text, uid in (
            ("SOP Class UID (0008,0016)", sop_class),
            ("SOP Instance UID (0008,0018)", sop_instance)) if not uid)
        raise DicomError(f"no {missing} in the data set: not a storable instance")
    for what, meta, ours in (("Class", summary.meta_class, sop_class),
                             ("Instance", summary.meta_instance, sop_instance)):
        if warn and meta and meta != ours:
            log.warning("%s: Media Storage SOP %s UID %s in the File Meta differs from "
                        "SOP %s UID %s in the data set; sending the data set's", name, what,
                        meta, what, ours)
    return sop_class, sop_instance


def _summarise(handle: BinaryIO) -> tuple[bytes, bool, StoreSummary]:
    """Read a file's head until its ``store_summary`` is known (64 KiB almost always;
    more, doubling, when the meta or the UIDs lie further): (head, whole file, summary)."""
    head = handle.read(_HEAD)
    if not isinstance(head, bytes):
        raise TypeError("store() needs a path, a binary file or a Dataset")
    whole = len(head) < _HEAD
    while True:
        summary = store_summary(head, complete=whole)
        if summary is not None:
            return head, whole, summary
        more = handle.read(len(head))
        whole = len(more) < len(head)
        head += more


def _name(source: Any) -> str:
    """How a store source is named in messages: its path, else the file's name."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", None) or "<file object>")


def _open(source: Any) -> tuple[BinaryIO, bool]:
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), True
    return source, False


class _FileBody:
    """The rest of a regular file as one ``FileRegion`` (read by the transport a
    piece at a time as it sends, never whole into memory), padded to even length;
    closed by ``store`` once sent, not when iterated: the region is written after
    iteration."""

    def __init__(self, handle: BinaryIO, offset: int, size: int, close: bool):
        self.handle, self.offset, self.size, self._close = handle, offset, size, close

    @classmethod
    def of(cls, handle: BinaryIO, offset: int, close: bool) -> Optional["_FileBody"]:
        try:
            info = os.fstat(handle.fileno())
        except (AttributeError, OSError, io.UnsupportedOperation):
            return None  # not a file of the OS (BytesIO...): read block by block
        if not stat.S_ISREG(info.st_mode) or info.st_size < offset:
            return None
        return cls(handle, offset, info.st_size - offset, close)

    def __iter__(self) -> Iterator[Any]:
        even = self.size & ~1
        if even:
            yield FileRegion(self.handle.fileno(), self.offset, even)
        if self.size & 1:  # the odd last byte and its pad, so every fragment is even
            yield os.pread(self.handle.fileno(), 1, self.offset + even) + b"\0"

    def close(self) -> None:
        if self._close:
            self.handle.close()


def _blocks(handle: BinaryIO, close: bool) -> Iterator[bytes]:
    """The rest of a file in blocks, padded to even length; memory stays one block."""
    size = 0
    try:
        while True:
            block = handle.read(_BLOCK)
            if not block:
                break
            size += len(block)
            yield block
        if size & 1:
            yield b"\0"
    finally:
        if close:
            handle.close()
