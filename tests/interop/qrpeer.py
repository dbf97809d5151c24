"""An in-process pynetdicom Query/Retrieve SCP over a few instances, for the SCU tests.

``PynetdicomQR(instances)`` answers C-FIND (Patient Root and Study Root, every level,
single-value and universal matching on the keys it is sent), C-GET (the matching
instances as C-STORE sub-operations on the same association) and C-MOVE (to the
destinations it was given: AE title -> port on 127.0.0.1).  ``hostile`` instances
may carry any SOP Instance UID (``../../x``): they are sent as they are.  Cancels are
honoured between matches.  Start it with ``with PynetdicomQR(...) as qr: qr.port``.
"""
from __future__ import annotations

import io
import threading
from typing import Optional, Sequence

import dicomcore
from dicomcore import Dataset

from .netutil import HOST, free_port

LEVEL_KEYS = {
    "PATIENT": ("PatientID",),
    "STUDY": ("PatientID", "StudyInstanceUID"),
    "SERIES": ("PatientID", "StudyInstanceUID", "SeriesInstanceUID"),
    "IMAGE": ("PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"),
}


def to_pydicom(ds: Dataset):
    """A dicomcore Dataset as a pydicom one (through a Part 10 file in memory)."""
    import pydicom

    buf = io.BytesIO()
    dicomcore.write(buf, ds, transfer_syntax="1.2.840.10008.1.2.1")
    buf.seek(0)
    return pydicom.dcmread(buf, force=True)


class PynetdicomQR:
    def __init__(self, instances: Sequence[Dataset], *, ae_title: str = "PYQRSCP",
                 destinations: Optional[dict] = None, delay: float = 0.0):
        self.instances = [to_pydicom(ds) for ds in instances]
        self.ae_title = ae_title
        self.destinations = dict(destinations or {})
        self.delay = delay
        self.port = free_port()
        self.cancelled = threading.Event()
        self.requests: list = []  # (service, identifier) as received
        self.server = None
        self.fail_status: Optional[int] = None  # every C-FIND fails with this, when set

    # --- matching ---------------------------------------------------------------------
    def _matches(self, identifier) -> list:
        level = str(identifier.get("QueryRetrieveLevel", "")).upper()
        out = []
        for inst in self.instances:
            ok = True
            for elem in identifier:
                kw = elem.keyword
                if kw in ("QueryRetrieveLevel", "SpecificCharacterSet") or elem.VR == "SQ":
                    continue
                value = elem.value
                if value in (None, "", b"") or str(value) == "*":
                    continue
                if kw in inst and str(inst.get(kw)) != str(value):
                    ok = False
            if ok:
                out.append(inst)
        if level in ("PATIENT", "STUDY", "SERIES"):
            key = {"PATIENT": "PatientID", "STUDY": "StudyInstanceUID",
                   "SERIES": "SeriesInstanceUID"}[level]
            seen, unique = set(), []
            for inst in out:
                if inst.get(key) not in seen:
                    seen.add(inst.get(key))
                    unique.append(inst)
            return unique
        return out

    def _answer(self, identifier, inst):
        from pydicom.dataset import Dataset as PyDataset

        reply = PyDataset()
        for elem in identifier:
            if elem.keyword in inst:
                setattr(reply, elem.keyword, inst.get(elem.keyword))
            else:
                reply.add(elem)
        reply.QueryRetrieveLevel = identifier.QueryRetrieveLevel
        return reply

    # --- handlers ---------------------------------------------------------------------
    def handle_find(self, event):
        identifier = event.identifier
        self.requests.append(("find", identifier))
        if self.fail_status is not None:
            yield self.fail_status, None
            return
        for inst in self._matches(identifier):
            if event.is_cancelled:
                self.cancelled.set()
                yield 0xFE00, None
                return
            if self.delay:
                import time

                time.sleep(self.delay)
            yield 0xFF00, self._answer(identifier, inst)

    def _retrieve(self, event, service):
        identifier = event.identifier
        self.requests.append((service, identifier))
        matches = [i for i in self._matches_instances(identifier)]
        yield len(matches)
        for inst in matches:
            if event.is_cancelled:
                self.cancelled.set()
                yield 0xFE00, None
                return
            if self.delay:
                import time

                time.sleep(self.delay)
            yield 0xFF00, inst

    def _matches_instances(self, identifier):
        """Every instance below the matched entities (a retrieve sends instances)."""
        import copy

        ident = copy.deepcopy(identifier)
        ident.QueryRetrieveLevel = "IMAGE"
        return self._matches(ident)

    def handle_get(self, event):
        yield from self._retrieve(event, "get")

    def handle_move(self, event):
        port = self.destinations.get(event.move_destination.strip() if isinstance(
            event.move_destination, str) else event.move_destination.decode().strip())
        if port is None:
            yield None, None
            return
        yield HOST, port
        yield from self._retrieve(event, "move")

    # --- server -----------------------------------------------------------------------
    def __enter__(self) -> "PynetdicomQR":
        from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, StoragePresentationContexts, evt
        from pynetdicom.sop_class import (
            PatientRootQueryRetrieveInformationModelFind,
            PatientRootQueryRetrieveInformationModelGet,
            PatientRootQueryRetrieveInformationModelMove,
            StudyRootQueryRetrieveInformationModelFind,
            StudyRootQueryRetrieveInformationModelGet,
            StudyRootQueryRetrieveInformationModelMove)

        ae = AE(ae_title=self.ae_title)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 20
        for uid in (PatientRootQueryRetrieveInformationModelFind,
                    PatientRootQueryRetrieveInformationModelGet,
                    PatientRootQueryRetrieveInformationModelMove,
                    StudyRootQueryRetrieveInformationModelFind,
                    StudyRootQueryRetrieveInformationModelGet,
                    StudyRootQueryRetrieveInformationModelMove):
            ae.add_supported_context(uid)
        for cx in StoragePresentationContexts:
            ae.add_supported_context(cx.abstract_syntax, ALL_TRANSFER_SYNTAXES,
                                     scu_role=False, scp_role=True)
        # C-MOVE sub-operations: requested contexts for the destination association.
        for cx in StoragePresentationContexts:
            ae.add_requested_context(cx.abstract_syntax)
        self.ae = ae
        self.server = ae.start_server((HOST, self.port), block=False, evt_handlers=[
            (evt.EVT_C_FIND, self.handle_find), (evt.EVT_C_GET, self.handle_get),
            (evt.EVT_C_MOVE, self.handle_move)])
        return self

    def __exit__(self, *exc) -> None:
        if self.server is not None:
            self.server.shutdown()
