"""The C-GET SCP's sub-operations: C-STORE-RQs on the requesting association itself
(PS3.4 C.4.3.3), each instance read ahead while the requestor stores the last, and the
Pending C-GET-RSP owed for it sent in the same write."""
from __future__ import annotations

import logging
from typing import Any, Optional

from ...dataset import Dataset
from ...dimse import (DATA_SET_PRESENT, PENDING, CGetRSP, CStoreRQ, Status, encode_command,
                      fragment_message)
from ...dimse.fragment import DEFAULT_MAX_PDU_LENGTH
from ...errors import DicomError

log = logging.getLogger("dicomcore.qr")
SOP_CLASS_NOT_SUPPORTED = 0x0122  # PS3.4 C.4.3.3: a class the requestor took no SCP role for


class GetSender:
    """C-GET sub-operations: C-STORE on the requesting association, on the contexts for
    which the requestor took the SCP role.  The file handling (sent as stored when its
    syntax was accepted, converted otherwise) is the requestor ``Association``'s.

    ``prepare`` reads an instance ahead and builds its C-STORE-RQ (errors are kept for
    ``start``); ``start`` sends it followed by the Pending C-GET-RSP owed for the
    previous sub-operation, in one write; ``finish`` waits for the C-STORE-RSP."""

    def __init__(self, op: Any, negotiation: Any, timeout: Optional[float]):
        self.op = op
        self.timeout = timeout
        self._message_id = 0
        self.accepted_contexts = {
            cid: (a, t) for cid, (a, t) in op.channel.accepted.items()
            if negotiation.roles.get(a, (True, False))[1]}
        self._classes = {a for a, _ in self.accepted_contexts.values()}
        self._limit = negotiation.peer_max_pdu_length or DEFAULT_MAX_PDU_LENGTH
        self._pending = _CountsTemplate(op.request)

    def find_context(self, abstract: str, transfer_syntax: Optional[str] = None
                     ) -> Optional[int]:
        for cid, (a, t) in self.accepted_contexts.items():
            if a == abstract and transfer_syntax in (None, t):
                return cid
        return None

    def prepare(self, inst: tuple) -> tuple:
        """(status or None, error or None, (class, instance, context, data), request,
        P-DATA requests or None: built at ``start``)."""
        sop_class, sop_instance, _, path = inst
        if sop_class not in self._classes:
            log.warning("C-GET: no context with the SCP role for %s (%s)", sop_class,
                        sop_instance)
            return SOP_CLASS_NOT_SUPPORTED, None, None, None, None
        from ..association import Association

        try:
            store = Association._prepare_store(self, path)
            sop_class, sop_instance, context_id, data = store
            self._message_id = self._message_id % 0xFFFF + 1
            request = CStoreRQ(message_id=self._message_id, affected_sop_class_uid=sop_class,
                               affected_sop_instance_uid=sop_instance)
            pdus = None
            deflated = self.op.channel.transfer_syntax(context_id).deflated
            if type(data) is bytes and not deflated:  # the whole data set in hand
                request.data_set_type = DATA_SET_PRESENT
                pdus = list(fragment_message(context_id, encode_command(request), data,
                                             self._limit))
        except (DicomError, OSError) as exc:
            return None, exc, None, None, None
        return None, None, store, request, pdus

    def start(self, prepared: tuple, owed: Optional[tuple]
              ) -> tuple[Optional[int], Optional[Status]]:
        """Send the C-STORE-RQ, then the Pending C-GET-RSP with the ``owed`` counts
        (remaining, completed, failed, warning; or None); returns (message id to wait
        for, None), or (None, status) when nothing could be sent."""
        status, error, store, request, pdus = prepared
        op = self.op
        if store is None:
            if owed is not None:
                self._queue_pending(owed)
                op.flush()
            if error is not None:
                raise error
            return None, Status(status, "storage")
        _, _, context_id, data = store
        try:
            if pdus is not None:
                send = op.channel.conn.send
                for pdu in pdus:
                    send(pdu, flush=False)
            else:  # a Dataset to encode, or a large file read as it is sent
                op.channel.send(context_id, request, data, flush=False)
            if owed is not None:
                self._queue_pending(owed)
            op.flush()
        finally:
            release(store)
        return request.message_id, None

    def _queue_pending(self, counts: tuple) -> None:
        command = self._pending.command(counts)
        if command is None:  # a count past 16 bits: the encoder says what is wrong
            remaining, completed, failures, warnings = counts
            command = encode_command(CGetRSP(
                message_id_being_responded_to=self.op.request.message_id,
                affected_sop_class_uid=self.op.request.affected_sop_class_uid,
                status=int(PENDING), number_of_remaining_suboperations=remaining,
                number_of_completed_suboperations=completed,
                number_of_failed_suboperations=failures,
                number_of_warning_suboperations=warnings))
        self.op.channel.send_encoded(self.op.context_id, command, None, flush=False)

    def finish(self, message_id: int) -> int:
        return self.op.await_store_response(message_id, self.timeout)

    # ``Association._prepare_store`` calls this for files it must decode first.
    def _prepare_dataset(self, ds: Dataset, ts: Any) -> tuple:
        from ..association import Association

        return Association._prepare_dataset(self, ds, ts)


class _CountsTemplate:
    """The Pending C-GET-RSP command set of one request, encoded once; each response
    patches its four sub-operation counts (US, fixed width) into a copy."""

    _MARKS = (0xFA01, 0xFA02, 0xFA03, 0xFA04)

    def __init__(self, request: Any):
        marked = CGetRSP(message_id_being_responded_to=request.message_id,
                         affected_sop_class_uid=request.affected_sop_class_uid,
                         status=int(PENDING), number_of_remaining_suboperations=self._MARKS[0],
                         number_of_completed_suboperations=self._MARKS[1],
                         number_of_failed_suboperations=self._MARKS[2],
                         number_of_warning_suboperations=self._MARKS[3])
        self.template = encode_command(marked)
        # (0000,1020)..(0000,1023) are the last four elements: 8-byte header, 2-byte value
        self.offsets = [len(self.template) - 10 * (4 - i) + 8 for i in range(4)]
        if [int.from_bytes(self.template[o:o + 2], "little") for o in self.offsets] \
                != list(self._MARKS):
            self.offsets = []  # not laid out as expected: encode every response

    def command(self, counts: tuple) -> Optional[bytes]:
        if not self.offsets or any(not 0 <= c <= 0xFFFF for c in counts):
            return None
        out = bytearray(self.template)
        for offset, count in zip(self.offsets, counts):
            out[offset:offset + 2] = count.to_bytes(2, "little")
        return bytes(out)


def release(store: Any) -> None:
    """Close what ``_prepare_store`` opened for a data set (a file left open to be sent
    by regions or blocks), once it is sent or will not be (None: nothing)."""
    if store is None:
        return
    data = store[-1]
    close = getattr(data, "close", None)
    if close is not None and not isinstance(data, (bytes, bytearray, memoryview, Dataset)):
        close()
