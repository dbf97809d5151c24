"""Query/Retrieve, requestor side (PS3.4 C.4.1-C.4.3, PS3.7 9.1.2-9.1.5).

``Association.find()``, ``move()`` and ``get()`` send one request and return an
``Operation``: an iterator over the pending responses as they arrive (the
matched Identifiers of a C-FIND; a ``Progress`` of sub-operation counts for
C-MOVE and C-GET).  When the iterator ends, ``operation.status`` holds the
final status and ``operation.response`` the final response; a Failure status
raises ``OperationFailed`` (unless ``raise_on_failure=False``).
``operation.cancel()`` sends C-CANCEL-RQ (PS3.7 9.3.2.3): responses keep
coming until the final one, normally FE00 Cancel.  Leaving a ``with`` block,
calling ``close()``, or starting another request on the association cancels
an operation still in progress and drains it, so the association stays usable.

C-GET's instances arrive as C-STORE sub-operations on the same association
(PS3.4 C.4.3.3): each is streamed to a temporary file in ``out_dir`` by the
Storage SCP's own ``Receiving`` and renamed only once complete.  File names are
made from the SOP Instance UID through ``safe_component`` and the final path is
checked to lie inside the folder, so a hostile SCP cannot make ``get`` write
anywhere else (the CVE class of DCMTK getscu's path traversal).

C-GET needs storage presentation contexts on which we are SCP, negotiated by
role selection when the association is opened: ``qr_contexts()`` builds them.
"""
from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Mapping, NamedTuple, Optional, Sequence, Union

from ..dataset import Dataset, dictionary
from ..dataset import transfer_syntax as _ts
from ..dataset.decode import decode_dataset
from ..dataset.uid import STORAGE_SOP_CLASSES
from ..dimse import (MEDIUM, CCancelRQ, CFindRQ, CGetRQ, CMoveRQ, CommandReceived, CStoreRQ,
                     DataFragment, Message, MessageReceived, Status)
from ..errors import DicomError
from .acceptor import _begin_store, _respond_store  # the acceptor's own steps
from .services.storage import (SOP_CLASS_NOT_SUPPORTED, StorageSCP, StoredInstance,
                               storable_transfer_syntaxes)

log = logging.getLogger("dicomcore.query")

# PS3.4 C.6 (Table C.6-1): SOP classes of the two information models.
FIND = {"patient": "1.2.840.10008.5.1.4.1.2.1.1", "study": "1.2.840.10008.5.1.4.1.2.2.1"}
MOVE = {"patient": "1.2.840.10008.5.1.4.1.2.1.2", "study": "1.2.840.10008.5.1.4.1.2.2.2"}
GET = {"patient": "1.2.840.10008.5.1.4.1.2.1.3", "study": "1.2.840.10008.5.1.4.1.2.2.3"}
MODELS = ("patient", "study")
TOP_LEVEL = {"patient": "PATIENT", "study": "STUDY"}
LEVELS = ("PATIENT", "STUDY", "SERIES", "IMAGE")
_QR_SYNTAXES = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]
_MAX_CONTEXTS = 128

Query = Union[Dataset, Mapping[Any, Any]]


class OperationFailed(DicomError):
    """A C-FIND, C-MOVE or C-GET ended with a Failure status (``.status``,
    ``.response``: the final response, with any Error Comment and counts)."""

    def __init__(self, message: str, status: Status, response: Optional[Message]):
        super().__init__(message)
        self.status = status
        self.response = response


class QRContexts(NamedTuple):
    """What to pass to ``ApplicationEntity.associate``: unpack it
    (``contexts, roles = qr_contexts()``) or spread it (``**qr_contexts()``)."""

    contexts: list
    roles: dict

    def keys(self) -> tuple:
        return self._fields

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return getattr(self, key)
        return tuple.__getitem__(self, key)


def qr_contexts(model: str = "study", storage_classes: Optional[Sequence[str]] = None, *,
                transfer_syntaxes: Optional[Sequence[str]] = None,
                services: Sequence[str] = ("find", "move", "get")) -> QRContexts:
    """Presentation contexts and role selection for Query/Retrieve with ``model``.

    The model's FIND, MOVE and GET classes (``services``), plus, when GET is
    among them, ``storage_classes`` (default: as many common storage classes as
    fit in 128 contexts) in ``transfer_syntaxes``, each with role selection
    proposing us as SCP (PS3.4 C.4.3.3, PS3.7 D.3.3.4).  The default syntaxes are
    every one our Storage SCP keeps, compressed too: the instances are written as
    they arrive, so the SCP may send each as its archive holds it (C.4.3.2.1: "the
    SCU shall have proposed sufficient presentation contexts").
    """
    model = _model(model)
    table = {"find": FIND, "move": MOVE, "get": GET}
    contexts: list = []
    for name in services:
        if name not in table:
            raise ValueError(f"unknown Query/Retrieve service {name!r}: find, move or get")
        contexts.append((table[name][model], list(_QR_SYNTAXES)))
    roles: dict = {}
    if "get" in services:
        room = _MAX_CONTEXTS - len(contexts)
        classes = [str(u) for u in (STORAGE_SOP_CLASSES if storage_classes is None
                                    else storage_classes)]
        if storage_classes is not None and len(classes) > room:
            raise ValueError(f"{len(classes)} storage classes do not fit: {room} contexts left")
        syntaxes = list(transfer_syntaxes or storable_transfer_syntaxes())
        for uid in list(dict.fromkeys(classes))[:room]:
            contexts.append((uid, syntaxes))
            roles[uid] = (False, True)
    return QRContexts(contexts, roles)


@dataclass(frozen=True)
class Progress:
    """A C-MOVE or C-GET response's sub-operation counts (PS3.4 C.4.2.1.6-9, C.4.3.1.5-8);
    a count the peer did not send is None."""

    remaining: Optional[int]
    completed: Optional[int]
    failed: Optional[int]
    warning: Optional[int]
    status: Status

    @classmethod
    def of(cls, response: Message, service: str) -> "Progress":
        return cls(response.number_of_remaining_suboperations,
                   response.number_of_completed_suboperations,
                   response.number_of_failed_suboperations,
                   response.number_of_warning_suboperations,
                   Status(response.status, service))


class Operation:
    """One C-FIND, C-MOVE or C-GET in progress: iterate for its pending responses."""

    def __init__(self, assoc: Any, service: str, context_id: int, request: Message, *,
                 raise_on_failure: bool = True, storage: Optional[StorageSCP] = None):
        self.assoc = assoc
        self.service = service
        self.context_id = context_id
        self.request = request
        self.message_id: int = request.message_id
        self.raise_on_failure = raise_on_failure
        self.storage = storage
        self.status: Optional[Status] = None
        self.response: Optional[Message] = None
        self.cancelled = False
        self.received: list[StoredInstance] = []  # C-GET: what was stored

    @property
    def done(self) -> bool:
        return self.status is not None

    @property
    def folder(self) -> Optional[str]:
        """C-GET: the folder received instances are written to."""
        return self.storage.folder if self.storage is not None and self.storage.keep else None

    @property
    def result(self) -> Optional[Progress]:
        """C-MOVE, C-GET: the final response's counts (None until it arrived)."""
        if self.response is None or self.service == "find":
            return None
        return Progress.of(self.response, self.service)

    def __iter__(self) -> "Operation":
        return self

    def __next__(self) -> Any:
        if self.done:
            raise StopIteration
        response = self.assoc._response_to(self.message_id, self)
        self.response = response
        status = Status(response.status if response.status is not None else 0xC000,
                        self.service)
        if status.is_pending:
            if self.service == "find":
                return self.assoc._decode(self.context_id, response.dataset)
            return Progress.of(response, self.service)
        self._finish(status)
        raise StopIteration

    def _finish(self, status: Status) -> None:
        self.status = status
        self.assoc._operation_ended(self)
        if status.is_failure and self.raise_on_failure:
            comment = getattr(self.response, "error_comment", None)
            detail = f" ({comment})" if comment else ""
            raise OperationFailed(f"C-{self.service.upper()} failed: {status}{detail}",
                                  status, self.response)

    def wait(self) -> Status:
        """Consume the remaining responses; the final status."""
        for _ in self:
            pass
        return self.status  # type: ignore[return-value]

    def cancel(self) -> None:
        """Send C-CANCEL-RQ for this operation (once); keep iterating for the rest."""
        if self.done or self.cancelled:
            return
        self.cancelled = True
        self.assoc.channel.send(self.context_id,
                                CCancelRQ(message_id_being_responded_to=self.message_id))

    def close(self) -> None:
        """Cancel if still in progress and drain to the final response."""
        if self.done:
            return
        self.cancel()
        raise_on_failure, self.raise_on_failure = self.raise_on_failure, False
        try:
            self.wait()
        finally:
            self.raise_on_failure = raise_on_failure

    def __enter__(self) -> "Operation":
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is None:
            self.close()
        elif not self.done:  # already failing: try to leave the association usable
            try:
                self.close()
            except DicomError:
                pass


class _Calling:
    """What ``_begin_store`` asks of an association: the title of the instances' source."""

    def __init__(self, title: str):
        self.calling_ae_title = title


class QueryRetrieveMixin:
    """find(), move(), get(), cancel() for ``Association`` (which provides ``channel``,
    ``negotiation``, ``context_for``, ``_next_id``, ``_check_open``, ``_response_to``)."""

    _operation: Optional[Operation] = None
    _receiving: Any = None

    # --- the three services ---------------------------------------------------------------

    def find(self, query: Query, *, model: str = "study", level: Optional[str] = None,
             priority: int = MEDIUM, raise_on_failure: bool = True) -> Operation:
        """C-FIND: iterate for each matching Identifier (a Dataset) as it arrives."""
        model = _model(model)
        return self._start("find", FIND[model], CFindRQ, identifier(query, model, level),
                           priority=priority, raise_on_failure=raise_on_failure)

    def move(self, query: Query, destination_ae: str, *, model: str = "study",
             level: Optional[str] = None, priority: int = MEDIUM,
             raise_on_failure: bool = True) -> Operation:
        """C-MOVE to ``destination_ae``: iterate for a ``Progress`` per pending response."""
        model = _model(model)
        if not destination_ae or len(destination_ae) > 16:
            raise ValueError("the move destination is an AE title of 1-16 characters")
        return self._start("move", MOVE[model], CMoveRQ, identifier(query, model, level),
                           priority=priority, raise_on_failure=raise_on_failure,
                           move_destination=destination_ae)

    def get(self, query: Query, *, model: str = "study", level: Optional[str] = None,
            out_dir: Optional[str] = None, on_store: Optional[Callable[[StoredInstance],
                                                                        Optional[int]]] = None,
            layout: str = "flat", priority: int = MEDIUM, raise_on_failure: bool = True,
            max_instance_size: Optional[int] = None) -> Operation:
        """C-GET: the instances arrive as C-STORE sub-operations on this association.

        They are written to ``out_dir`` (``layout`` as for the Storage SCP), and
        ``on_store(StoredInstance)`` (optional) is called with each; its return
        value (None: success) is the C-STORE-RSP status.  With ``on_store`` and no
        ``out_dir`` each file is removed once ``on_store`` returns; with neither,
        files go to a new temporary folder (``operation.folder``).  Iterate for a
        ``Progress`` per pending C-GET-RSP; ``operation.received`` lists what was stored.
        """
        model = _model(model)
        storing = [a for a, _ in self.channel.accepted.values()  # type: ignore[attr-defined]
                   if a in _STORAGE]
        if not storing:
            raise DicomError("C-GET needs storage presentation contexts on which we are SCP, "
                             "and none was accepted: associate with qr_contexts() "
                             "(contexts and role selection)")
        folder = out_dir
        if out_dir is None and on_store is None:
            folder = tempfile.mkdtemp(prefix="dicomcore-get-")
        operation_holder: list[Operation] = []

        def handler(instance: StoredInstance) -> Optional[int]:
            operation_holder[0].received.append(instance)
            return on_store(instance) if on_store is not None else None

        storage = StorageSCP(folder, layout=layout, handler=handler,
                             ae_title=getattr(self, "negotiation").calling_ae_title,
                             max_instance_size=max_instance_size)
        operation = self._start("get", GET[model], CGetRQ, identifier(query, model, level),
                                priority=priority, raise_on_failure=raise_on_failure,
                                storage=storage, holder=operation_holder)
        return operation

    def cancel(self, message_id: Optional[int] = None) -> None:
        """C-CANCEL-RQ for the operation in progress (or the one with ``message_id``)."""
        operation = self._operation
        if operation is None or operation.done or \
                (message_id is not None and message_id != operation.message_id):
            raise DicomError("no C-FIND, C-MOVE or C-GET in progress"
                             + (f" with message id {message_id}" if message_id else ""))
        operation.cancel()

    # --- plumbing -----------------------------------------------------------------------

    def _start(self, service: str, sop_class: str, request_class: type, query: Dataset, *,
               priority: int, raise_on_failure: bool, storage: Optional[StorageSCP] = None,
               holder: Optional[list] = None, **fields: Any) -> Operation:
        self._settle()
        self._check_open()  # type: ignore[attr-defined]
        context_id = self.context_for(sop_class)  # type: ignore[attr-defined]
        request = request_class(message_id=self._next_id(),  # type: ignore[attr-defined]
                                affected_sop_class_uid=sop_class, priority=priority, **fields)
        operation = Operation(self, service, context_id, request,
                              raise_on_failure=raise_on_failure, storage=storage)
        if holder is not None:
            holder.append(operation)
        self.channel.send(context_id, request, query)  # type: ignore[attr-defined]
        self._operation = operation
        return operation

    def _settle(self) -> None:
        """An operation left unfinished (a ``break`` out of its loop): cancel and drain it."""
        operation = self._operation
        if getattr(self, "is_aborted", False) or getattr(self, "is_released", False):
            operation = None  # nothing more will arrive
        if operation is not None and not operation.done:
            log.info("C-%s %d still in progress: cancelling it", operation.service.upper(),
                     operation.message_id)
            operation.close()
        self._operation = None

    def _operation_ended(self, operation: Operation) -> None:
        if self._operation is operation:
            self._operation = None
        if self._receiving is not None:
            self._receiving.abandon()
            self._receiving = None

    def _sub_operation(self, event: Any, operation: Optional[Operation]) -> bool:
        """Handle a C-STORE sub-operation event (True if it was one).

        Stores are accepted only for a C-GET in progress, on a storage context whose
        abstract syntax is the request's SOP class; otherwise answered 0122H.
        """
        if type(event) is MessageReceived and type(event.message) is not CStoreRQ:
            return False  # a response (every C-FIND match): not a sub-operation
        channel = self.channel  # type: ignore[attr-defined]
        if isinstance(event, CommandReceived) and isinstance(event.message, CStoreRQ):
            if self._receiving is not None:
                self._receiving.abandon()
            storage = operation.storage if operation is not None else None
            abstract = channel.accepted.get(event.context_id, ("", ""))[0]
            if abstract not in _STORAGE:
                storage = None
            title = self.negotiation.called_ae_title  # type: ignore[attr-defined]
            self._receiving = _begin_store(channel, event, storage, _Calling(title))
            return True
        if isinstance(event, DataFragment):
            if self._receiving is not None:
                self._receiving.write(event.data)
            return True
        if isinstance(event, MessageReceived) and isinstance(event.message, CStoreRQ):
            receiving, self._receiving = self._receiving, None
            status = receiving.finish() if receiving is not None else SOP_CLASS_NOT_SUPPORTED
            _respond_store(channel, event.context_id, event.message, status)
            # Written now, not when we next wait: the C-GET SCP waits for it before its
            # next sub-operation, and a Pending C-GET-RSP may be read before we wait.
            channel.conn.flush()
            return True
        return False

    def _decode(self, context_id: int, data: Any) -> Dataset:
        if data is None:
            return Dataset()
        ts = _ts.get(self.channel.accepted[context_id][1])  # type: ignore[attr-defined]
        raw = data if type(data) is bytes else bytes(data)
        if ts.deflated:
            from ..dataset.deflate import inflate

            raw = bytes(inflate(raw))
        ds, _ = decode_dataset(raw, ts.little_endian, ts.explicit_vr)
        return ds


_STORAGE = frozenset(str(u) for u in STORAGE_SOP_CLASSES)


def _model(model: str) -> str:
    name = str(model).lower().replace(" root", "").replace("-root", "")
    if name not in MODELS:
        raise ValueError(f"unknown information model {model!r}: 'patient' or 'study'")
    return name


def set_key(ds: Dataset, key: Any, value: Any) -> None:
    """Set a query key: ``key`` a keyword, a tag (int) or "gggg,eeee"; ``value`` as given
    ("" or None: a return key, zero length)."""
    tag = key if isinstance(key, int) else parse_tag(str(key))
    vr = dictionary.vr_of(tag) or "UN"
    if " or " in vr:
        vr = vr.split(" or ")[0]
    if value is None or value == "":
        ds.add(tag, vr, None if vr != "SQ" else [])
        return
    if vr == "SQ" and isinstance(value, Dataset):
        value = [value]
    ds.add(tag, vr, value)


def parse_tag(text: str) -> int:
    text = text.strip()
    tag = dictionary.tag_for(text)
    if tag is not None:
        return tag
    digits = text.strip("()").replace(",", "").replace(" ", "")
    if len(digits) == 8:
        try:
            return int(digits, 16)
        except ValueError:
            pass
    raise ValueError(f"{text!r} is neither a keyword nor a tag (gggg,eeee)")


def identifier(query: Query, model: str = "study", level: Optional[str] = None) -> Dataset:
    """The request Identifier: a copy of ``query`` (a Dataset, or keys -> values) with
    Query/Retrieve Level set to ``level``, else kept, else the model's top level."""
    if isinstance(query, Dataset):
        ds = query.copy()
    else:
        ds = Dataset()
        for key, value in query.items():
            set_key(ds, key, value)
    if level is not None:
        level = level.upper()
        if level not in LEVELS:
            raise ValueError(f"unknown Query/Retrieve Level {level!r}: one of {LEVELS}")
        ds.QueryRetrieveLevel = level
    elif not ds.get("QueryRetrieveLevel"):
        ds.QueryRetrieveLevel = TOP_LEVEL[_model(model)]
    return ds


__all__ = ["FIND", "MOVE", "GET", "Operation", "OperationFailed", "Progress", "QRContexts",
           "QueryRetrieveMixin", "identifier", "qr_contexts", "set_key"]
