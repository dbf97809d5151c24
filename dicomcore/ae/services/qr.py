"""Query/Retrieve SCP (PS3.4 C.4): C-FIND, C-MOVE and C-GET over the archive.

``QueryRetrieveSCP(archive, destinations)`` answers the Patient Root and Study
Root information models (C.6.1, C.6.2) at PATIENT, STUDY, SERIES and IMAGE
levels; ``serve_association(..., qr=scp)`` hands it every C-FIND-RQ, C-MOVE-RQ
and C-GET-RQ.

Rules:

* Hierarchical by default; relational queries/retrievals only where the SOP
  Class Extended Negotiation accepted them (C.4.1.2.4, C.4.2.2.1, C.4.3.2.1;
  ``extended_negotiation`` below is the policy hook that accepts them).
* C-FIND matches stream from the index to the wire: Pending responses (their
  command set encoded once per query, each Identifier written from its index
  row by ``Archive.find_encoded``) are queued and written ``FIND_BATCH`` at a
  time, so memory is bounded by one batch, not by the number of matches.
  Values reach SQL only as parameters (``matching.to_sql``) and files only
  through paths the index holds (never a received value).
* C-MOVE opens its own association to the destination (an AE title from
  ``destinations``; unknown: A801) proposing each instance's own class and
  transfer syntax, plus the uncompressed ones as a fallback; C-GET sends its
  C-STORE sub-operations on the requesting association, on contexts for which
  the requestor was granted the SCP role (PS3.7 D.3.3.4).
* Each sub-operation goes in a context where the instance travels losslessly: its
  stored syntax when accepted, else one it converts to (``transcode.converts``:
  native to native, RLE decoded, never a lossy step).  One that cannot be sent
  (no context for its class, or none it converts to) fails alone: counted, its UID
  in the Failed SOP Instance UID List, and the others go on.
* As acceptor of a C-GET association we send on the storage contexts, so their
  syntax is the requestor's preference among those we can deliver
  (``sending_choice``, the policy hook): its first in which all the archive holds
  of the class can go, else its first in which some can, else its first.
* Pending responses carry the sub-operation counts; the final one carries the
  Failed SOP Instance UID List (0008,0058) when any failed (C.4.2.1.4.3).  The
  final status (PS3.4 C.4.2.3.1, C.4.3.3.1): Success; Warning B000 with the counts
  once some failed or warned; when none succeeded, a Failure with the counts, C002
  "Unable to process" (each was attempted and failed alone), or A702 when no
  sub-operation could be attempted at all (the C-MOVE destination cannot be reached).
* A C-CANCEL-RQ for the operation in progress is looked for before each batch of
  C-FIND responses (so at most ``FIND_BATCH`` more follow it), between C-MOVE
  sub-operations and while the C-GET requestor stores each instance; the
  operation then ends with status FE00 before its next sub-operation.
* C-GET sub-operations are pipelined within the one-operation window: the file
  of the next instance is read while the requestor stores the current one, and
  the Pending C-GET-RSP of a sub-operation leaves with the next C-STORE-RQ, in
  one write (after it: the requestor answers the store first).
"""
from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Any, Callable, Iterable, Mapping, Optional

from ...dataset import Dataset
from ...dataset.decode import decode_dataset
from ...dimse import (DATA_SET_PRESENT, CCancelRQ, CFindRQ, CFindRSP, CGetRQ, CGetRSP,
                      CMoveRQ, CMoveRSP, CStoreRSP, MessageReceived, Status, encode_command)
from ...dimse.status import error_comment
from ...errors import DicomError, NetworkError
from ..matching import QueryError
from .get_sender import SOP_CLASS_NOT_SUPPORTED, GetSender, release

log = logging.getLogger("dicomcore.qr")

PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
PATIENT_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.1.2"
PATIENT_ROOT_GET = "1.2.840.10008.5.1.4.1.2.1.3"
STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
STUDY_ROOT_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"
STUDY_ROOT_GET = "1.2.840.10008.5.1.4.1.2.2.3"
MODEL_OF = {PATIENT_ROOT_FIND: "patient", PATIENT_ROOT_MOVE: "patient",
            PATIENT_ROOT_GET: "patient", STUDY_ROOT_FIND: "study", STUDY_ROOT_MOVE: "study",
            STUDY_ROOT_GET: "study"}
FIND_CLASSES = (PATIENT_ROOT_FIND, STUDY_ROOT_FIND)
MOVE_CLASSES = (PATIENT_ROOT_MOVE, STUDY_ROOT_MOVE)
GET_CLASSES = (PATIENT_ROOT_GET, STUDY_ROOT_GET)
QR_SOP_CLASSES = FIND_CLASSES + MOVE_CLASSES + GET_CLASSES

# PS3.4 C.4.1.1.4, C.4.2.1.5, C.4.3.1.4 statuses.
SUCCESS = 0x0000
PENDING = 0xFF00
CANCEL = 0xFE00
WARNING_SUBOPS = 0xB000
OUT_OF_RESOURCES = 0xA700
UNABLE_TO_PERFORM_SUBOPS = 0xA702
MOVE_DESTINATION_UNKNOWN = 0xA801
IDENTIFIER_DOES_NOT_MATCH = 0xA900
UNABLE_TO_PROCESS = 0xC001
ALL_SUBOPS_FAILED = 0xC002  # every sub-operation attempted, none succeeded
FAILED_SOP_INSTANCE_UID_LIST = 0x00080058
_UNCOMPRESSED = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]
FIND_BATCH = 64  # Pending C-FIND responses per write (and per look for a C-CANCEL)


def extended_negotiation(item: Any) -> Optional[bytes]:
    """The SOP Class Extended Negotiation reply for the Q/R classes (C.4.1.2.4, C.4.2.2.1,
    C.4.3.2.1): relational queries/retrievals accepted; for C-FIND also combined
    date-time matching; fuzzy semantic PN matching and timezone adjustment not.  Only
    the fields proposed are answered; other classes get no reply (None)."""
    uid = str(getattr(item, "sop_class_uid", "")).rstrip("\0 ")
    info = bytes(getattr(item, "service_class_application_information", b"") or b"")
    if uid not in QR_SOP_CLASSES or not info:
        return None
    if uid in FIND_CLASSES:
        supported = (1, 1, 0, 0)  # relational, combined date-time, fuzzy PN, timezone
        return bytes(int(info[i] == 1 and supported[i] == 1) for i in range(min(len(info), 4)))
    return bytes([int(info[0] == 1)])


def relational_accepted(negotiation: Any, sop_class: str) -> tuple[bool, bool]:
    """(relational, combined date-time) as accepted for ``sop_class`` on this association."""
    reply = bytes((getattr(negotiation, "extended", None) or {}).get(sop_class, b""))
    return (len(reply) > 0 and reply[0] == 1, len(reply) > 1 and reply[1] == 1)


class Cancelled(Exception):
    """A C-CANCEL-RQ arrived for the operation in progress."""


class _Operation:
    """One C-FIND/C-MOVE/C-GET in progress: its channel, and the C-CANCEL watch."""

    def __init__(self, channel: Any, context_id: int, request: Any):
        self.channel = channel
        self.context_id = context_id
        self.request = request
        self.cancelled = False
        self.gone = False  # the association ended under us

    def _note(self, event: Any, deferred: list) -> None:
        if isinstance(event, MessageReceived) and isinstance(event.message, CCancelRQ):
            if event.message.message_id_being_responded_to == self.request.message_id:
                self.cancelled = True
            return  # a C-CANCEL for anything else has nothing to cancel: ignored
        if event is None or type(event).__name__ in ("AbortIndication", "PAbortIndication"):
            self.gone = True
        deferred.append(event)

    def check(self) -> None:
        """Look (without blocking) for a C-CANCEL; raise ``Cancelled`` once one came."""
        deferred: list = []
        while not self.cancelled and not self.gone:
            try:
                event = self.channel.poll()
            except TimeoutError:
                break
            self._note(event, deferred)
        self._defer(deferred)
        if self.gone:
            raise NetworkError("the association ended during the operation")
        if self.cancelled:
            raise Cancelled()

    def look(self) -> None:
        """Like ``check`` but only notes a C-CANCEL (``cancelled``), without raising."""
        try:
            self.check()
        except Cancelled:
            pass

    def _defer(self, events: list) -> None:
        # Anything else (a release request, an abort) is for the acceptor loop.
        for event in reversed(events):
            self.channel._pending.appendleft(event)

    def await_store_response(self, message_id: int, timeout: Optional[float]) -> int:
        """Wait for the C-STORE-RSP of a C-GET sub-operation; C-CANCELs are noted."""
        deferred: list = []
        try:
            while True:
                event = self.channel.receive(timeout)
                if isinstance(event, MessageReceived) and isinstance(event.message, CStoreRSP):
                    if event.message.message_id_being_responded_to == message_id:
                        return int(event.message.status)
                    continue
                self._note(event, deferred)
                if self.gone:
                    raise NetworkError("the association ended during a C-GET sub-operation")
        finally:
            self._defer(deferred)

    def send(self, response: Any, data: Any = None) -> None:
        self.channel.send(self.context_id, response, data)

    def flush(self) -> None:
        self.channel.conn.flush()


class QueryRetrieveSCP:
    """C-FIND, C-MOVE and C-GET SCP for Patient Root and Study Root over ``archive``.

    ``destinations`` maps a Move Destination AE title to (host, port).
    ``ae_title`` is our calling AE title on C-MOVE sub-associations.
    """

    def __init__(self, archive: Any, destinations: Optional[Mapping[str, tuple]] = None, *,
                 ae_title: str = "DICOMCORE", dimse_timeout: Optional[float] = 30.0,
                 connect: Optional[Callable[..., Any]] = None):
        self.archive = archive
        self.destinations = {str(k).strip(): (str(v[0]), int(v[1]))
                             for k, v in (destinations or {}).items()}
        self.ae_title = ae_title
        self.dimse_timeout = dimse_timeout
        self._connect = connect  # tests may replace how a destination is reached
        self._lock = threading.Lock()

    def sending_choice(self, pairs: list[tuple[str, list[str]]]) -> list[str]:
        """The transfer syntax of each storage context a C-GET requestor proposed with
        itself as SCP (``AcceptorPolicy.sending_choice``; ``pairs``: abstract syntax and
        the candidates, in the requestor's order).

        The requestor's first candidate in which we can deliver every syntax the archive
        holds of the class (as stored, or converted losslessly); failing that, its first
        in which we can deliver some of them; holding none, its first.  (The request is
        not known yet, so the whole holding of the class counts.)  A class proposed in
        several contexts: each later one is judged on what the earlier ones cannot
        deliver, so a JPEG context beside a native one takes the JPEG instances."""
        from ...codecs.transcode import converts

        try:
            held = self.archive.held_syntaxes()
        except (DicomError, sqlite3.Error) as exc:  # an unreadable index: requestor's order
            log.warning("C-GET negotiation: the archive's syntaxes are unknown: %s", exc)
            held = set()
        left: dict[str, set[str]] = {}  # per class: held syntaxes no context delivers yet
        for sop_class, ts in held:
            left.setdefault(sop_class, set()).add(ts)
        choices = []
        for abstract, candidates in pairs:
            todo = left.get(abstract, set())
            reach = {ts: {s for s in todo if converts(s, ts)} for ts in candidates}
            choice = next((ts for ts in candidates if todo and reach[ts] == todo),
                          next((ts for ts in candidates if reach[ts]), candidates[0]))
            todo -= reach[choice]
            choices.append(choice)
        return choices

    # --- dispatch ------------------------------------------------------------------------

    def handles(self, message: Any) -> bool:
        return isinstance(message, (CFindRQ, CMoveRQ, CGetRQ))

    def handle(self, channel: Any, event: MessageReceived, assoc: Any) -> None:
        """Answer one C-FIND/C-MOVE/C-GET-RQ completely (all its responses)."""
        request = event.message
        abstract, _ = channel.accepted[event.context_id]
        op = _Operation(channel, event.context_id, request)
        kind = {CFindRQ: "find", CMoveRQ: "move", CGetRQ: "get"}[type(request)]
        classes = {"find": FIND_CLASSES, "move": MOVE_CLASSES, "get": GET_CLASSES}[kind]
        sop_class = request.affected_sop_class_uid or abstract
        if sop_class not in classes or sop_class != abstract:
            self._final(op, kind, SOP_CLASS_NOT_SUPPORTED, comment=f"{sop_class} is not a "
                        f"{kind.upper()} SOP class of Patient or Study Root here")
            return
        try:
            identifier = self._identifier(channel, event)
        except DicomError as exc:
            self._final(op, kind, IDENTIFIER_DOES_NOT_MATCH, comment=_short(exc))
            return
        model = MODEL_OF[sop_class]
        relational, combined = relational_accepted(assoc.negotiation, sop_class)
        try:
            if kind == "find":
                self.find(op, identifier, model, relational, combined)
            elif kind == "move":
                self.move(op, identifier, model, relational, assoc)
            else:
                self.get(op, identifier, model, relational, assoc)
        except NetworkError:
            raise
        except Exception as exc:  # our failure: report it, keep the association
            log.exception("%s failed", request.title)
            try:
                self._final(op, kind, UNABLE_TO_PROCESS, comment=_short(exc))
            except NetworkError:
                raise

    def _identifier(self, channel: Any, event: MessageReceived) -> Dataset:
        data = event.message.dataset
        if data is None:
            raise DicomError("the request has no Identifier")
        ts = channel.transfer_syntax(event.context_id)
        # (the Q/R contexts are accepted in uncompressed, non-deflated syntaxes only)
        identifier, _ = decode_dataset(bytes(data), ts.little_endian, ts.explicit_vr)
        return identifier

    def _final(self, op: _Operation, kind: str, status: int, *, comment: str = "",
               counts: Optional[tuple[int, int, int, int]] = None,
               failed: Iterable[str] = ()) -> None:
        rsp_class = {"find": CFindRSP, "move": CMoveRSP, "get": CGetRSP}[kind]
        response = rsp_class(message_id_being_responded_to=op.request.message_id,
                             affected_sop_class_uid=op.request.affected_sop_class_uid,
                             status=status)
        if comment and Status(status).category == "Failure":
            response.error_comment = error_comment(comment)  # PS3.7 C.4: LO
        if counts is not None and kind != "find":
            remaining, completed, failures, warnings = counts
            if status in (PENDING, CANCEL):
                response.number_of_remaining_suboperations = remaining
            response.number_of_completed_suboperations = completed
            response.number_of_failed_suboperations = failures
            response.number_of_warning_suboperations = warnings
        data = None
        failed = list(failed)
        if failed and status != PENDING:
            data = Dataset()
            data.add(FAILED_SOP_INSTANCE_UID_LIST, "UI", failed)
        op.send(response, data)

    # --- C-FIND ----------------------------------------------------------------------------

    def find(self, op: _Operation, identifier: Dataset, model: str, relational: bool,
             combined: bool) -> None:
        ts = op.channel.transfer_syntax(op.context_id)
        encoded = getattr(self.archive, "find_encoded", None)
        raw = encoded is not None and ts.little_endian and not ts.deflated
        try:
            if raw:
                matches = encoded(identifier, None, model, relational=relational,
                                  combined_datetime=combined, explicit=ts.explicit_vr)
            else:
                matches = self.archive.find(identifier, None, model, relational=relational,
                                            combined_datetime=combined)
            first = next(matches, None)
        except QueryError as exc:
            self._final(op, "find", IDENTIFIER_DOES_NOT_MATCH, comment=_short(exc))
            return
        pending = CFindRSP(message_id_being_responded_to=op.request.message_id,
                           affected_sop_class_uid=op.request.affected_sop_class_uid,
                           status=PENDING, data_set_type=DATA_SET_PRESENT)
        command = encode_command(pending)  # the same for every match of this query
        count = 0
        try:
            found = first
            while found is not None:
                if count % FIND_BATCH == 0:  # write the batch; a C-CANCEL waiting?
                    if count:
                        op.flush()
                    op.check()
                if raw:
                    op.channel.send_encoded(op.context_id, command, found, flush=False)
                else:
                    op.send(CFindRSP(message_id_being_responded_to=op.request.message_id,
                                     affected_sop_class_uid=op.request.affected_sop_class_uid,
                                     status=PENDING), found)
                count += 1
                found = next(matches, None)
        except Cancelled:
            log.info("C-FIND cancelled after %d matches", count)
            self._final(op, "find", CANCEL)
            return
        except QueryError as exc:  # found while matching a later candidate
            self._final(op, "find", IDENTIFIER_DOES_NOT_MATCH, comment=_short(exc))
            return
        finally:
            close = getattr(matches, "close", None)
            if close is not None:
                close()
        log.info("C-FIND: %d matches", count)
        self._final(op, "find", SUCCESS)

    # --- C-MOVE and C-GET ----------------------------------------------------------------

    def _instances(self, op: _Operation, kind: str, identifier: Dataset, model: str,
                   relational: bool) -> Optional[list]:
        try:
            return list(self.archive.instances(identifier, None, model,
                                               relational=relational))
        except QueryError as exc:
            self._final(op, kind, IDENTIFIER_DOES_NOT_MATCH, comment=_short(exc))
            return None

    def move(self, op: _Operation, identifier: Dataset, model: str, relational: bool,
             assoc: Any) -> None:
        destination = str(op.request.move_destination or "").strip()
        address = self.destinations.get(destination)
        if address is None:
            self._final(op, "move", MOVE_DESTINATION_UNKNOWN,
                        comment=f"unknown Move Destination {destination[:30]!r}")
            return
        instances = self._instances(op, "move", identifier, model, relational)
        if instances is None:
            return
        if not instances:
            self._final(op, "move", SUCCESS, counts=(0, 0, 0, 0))
            return
        try:
            sub = self._associate(destination, address, instances)
        except (DicomError, OSError) as exc:
            log.warning("C-MOVE: cannot reach %s at %s:%d: %s", destination, *address, exc)
            self._final(op, "move", UNABLE_TO_PERFORM_SUBOPS, comment=_short(exc),
                        counts=(0, 0, len(instances), 0), failed=[i[1] for i in instances])
            return
        originator = (assoc.calling_ae_title, op.request.message_id)
        try:
            self._suboperations(op, "move", instances,
                                lambda inst: sub.store(inst[3], move_originator=originator))
        finally:
            try:
                sub.release()  # does nothing once aborted
            except (DicomError, OSError):
                sub.abort()

    def _associate(self, destination: str, address: tuple, instances: list) -> Any:
        """The sub-association: each (class, own syntax) as its own context, then each
        class with the uncompressed syntaxes (a destination may refuse compression)."""
        contexts: list = []
        seen = set()
        for sop_class, _, ts, _ in instances:
            if (sop_class, ts) not in seen:
                seen.add((sop_class, ts))
                contexts.append((sop_class, [ts]))
        for sop_class in dict.fromkeys(i[0] for i in instances):
            own = [ts for c, ts in seen if c == sop_class]
            if any(ts not in _UNCOMPRESSED for ts in own):
                contexts.append((sop_class, list(_UNCOMPRESSED)))
        if len(contexts) > 128:
            contexts = contexts[:128]
        if self._connect is not None:
            return self._connect(destination, address, contexts)
        from ..entity import ApplicationEntity

        ae = ApplicationEntity(self.ae_title, dimse_timeout=self.dimse_timeout,
                               acse_timeout=self.dimse_timeout or 30.0,
                               network_timeout=self.dimse_timeout or 30.0)
        return ae.associate(address[0], address[1], ae_title=destination, contexts=contexts)

    def get(self, op: _Operation, identifier: Dataset, model: str, relational: bool,
            assoc: Any) -> None:
        instances = self._instances(op, "get", identifier, model, relational)
        if instances is None:
            return
        sender = GetSender(op, assoc.negotiation, self.dimse_timeout)
        total = len(instances)
        tally = _Tally()
        owed = None  # the Pending C-GET-RSP of the last sub-operation, sent with the next
        ready = None  # the next sub-operation, prepared while the requestor stored one
        try:
            for number, inst in enumerate(instances):
                try:
                    if number == 0 or op.cancelled:  # later: looked for while storing
                        op.check()
                except Cancelled:
                    log.info("C-GET cancelled with %d of %d sub-operations left",
                             total - number, total)
                    self._final(op, "get", CANCEL, failed=tally.failed,
                                counts=tally.counts(total - number))
                    return
                prepared, ready = ready or sender.prepare(inst), None
                try:
                    message_id, status = sender.start(prepared, owed)
                    # while the requestor stores: read ahead, look for a C-CANCEL
                    if number + 1 < total:
                        ready = sender.prepare(instances[number + 1])
                    op.look()
                    if message_id is not None:
                        status = Status(sender.finish(message_id))
                except NetworkError:
                    raise  # our own association is gone
                except (DicomError, OSError) as exc:
                    log.warning("C-GET sub-operation for %s failed: %s", inst[1], exc)
                    status = Status(0xC000, "storage")
                owed = None  # sent, or dropped with a failed start (Pending is optional)
                tally.add(status, inst[1])
                remaining = total - number - 1
                if remaining:
                    owed = tally.counts(remaining)
        finally:
            if ready is not None:
                release(ready[2])
        self._done(op, "get", tally)

    def _done(self, op: _Operation, kind: str, tally: "_Tally") -> None:
        # PS3.4 C.4.2.3.1, C.4.3.3.1: Success when every sub-operation completed; Warning
        # B000 "Sub-operations Complete - One or more Failures or Warnings" when some
        # completed (or all warned); Failure when all were unsuccessful.  Each was
        # attempted and failed alone (no context took its syntax, the peer refused it),
        # which is not "Out of Resources" (A702): the Failure is Cxxx "Unable to process",
        # with the counts and the Failed SOP Instance UID List like the Warning.
        comment = ""
        if tally.failures == 0 and tally.warnings == 0:
            status = SUCCESS
        elif tally.completed == 0 and tally.warnings == 0:
            status = ALL_SUBOPS_FAILED
            comment = f"none of the {tally.failures} sub-operations succeeded"
        else:
            status = WARNING_SUBOPS
        log.info("C-%s: %d completed, %d failed, %d warnings", kind.upper(), tally.completed,
                 tally.failures, tally.warnings)
        self._final(op, kind, status, comment=comment, counts=tally.counts(0),
                    failed=tally.failed)

    def _suboperations(self, op: _Operation, kind: str, instances: list,
                       store: Callable[[tuple], int]) -> None:
        rsp_class = CMoveRSP if kind == "move" else CGetRSP
        total = len(instances)
        tally = _Tally()
        for number, inst in enumerate(instances):
            try:
                op.check()
            except Cancelled:
                log.info("C-%s cancelled with %d of %d sub-operations left", kind.upper(),
                         total - number, total)
                self._final(op, kind, CANCEL, failed=tally.failed,
                            counts=tally.counts(total - number))
                return
            try:
                status = Status(store(inst))
            except NetworkError:
                if kind == "get":
                    raise  # our own association is gone
                status = Status(UNABLE_TO_PERFORM_SUBOPS)
                log.warning("C-MOVE sub-association failed at %s", inst[1])
                # the destination is gone: every remaining sub-operation fails
                tally.failed += [rest[1] for rest in instances[number:]]
                tally.failures += total - number
                break
            except (DicomError, OSError) as exc:
                log.warning("C-%s sub-operation for %s failed: %s", kind.upper(), inst[1], exc)
                status = Status(0xC000, "storage")
            tally.add(status, inst[1])
            remaining = total - number - 1
            if remaining:
                op.send(rsp_class(message_id_being_responded_to=op.request.message_id,
                                  affected_sop_class_uid=op.request.affected_sop_class_uid,
                                  status=PENDING, number_of_remaining_suboperations=remaining,
                                  number_of_completed_suboperations=tally.completed,
                                  number_of_failed_suboperations=tally.failures,
                                  number_of_warning_suboperations=tally.warnings))
        self._done(op, kind, tally)


class _Tally:
    """The sub-operations' outcomes so far (PS3.4 C.4.2.1.5-6) and the UIDs that failed."""

    def __init__(self) -> None:
        self.completed = self.failures = self.warnings = 0
        self.failed: list[str] = []

    def add(self, status: Status, sop_instance_uid: str) -> None:
        if status.category == "Success":
            self.completed += 1
        elif status.category == "Warning":
            self.warnings += 1
        else:
            self.failures += 1
            self.failed.append(sop_instance_uid)

    def counts(self, remaining: int) -> tuple[int, int, int, int]:
        """(remaining, completed, failed, warning), as ``_final`` and a Pending take them."""
        return remaining, self.completed, self.failures, self.warnings


def _short(exc: BaseException) -> str:
    """What an exception may tell the peer: our own errors' words, an OS error's reason;
    anything else is a bug of ours, logged, never shown (no Python internals on the
    wire)."""
    if isinstance(exc, DicomError):
        return str(exc)
    if isinstance(exc, OSError):
        return exc.strerror or "input/output error"
    return "internal error of the SCP (see its log)"
