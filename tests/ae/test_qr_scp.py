"""The Query/Retrieve SCP (PS3.4 C.4) in process: FIND, MOVE, GET, CANCEL, limits.

The SCU side is dicomcore's own DimseChannel driven by hand (so C-CANCEL can be sent
at any moment) and pynetdicom where a second opinion helps.  Every server is
in-process on 127.0.0.1 with a free port and is shut down by the test.
"""
from __future__ import annotations

import gc
import threading
import tracemalloc
import weakref
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dicomcore
from dicomcore import Dataset
from dicomcore.ae.archive import Archive
from dicomcore.ae.channel import DimseChannel
from dicomcore.ae.services.qr import (ALL_SUBOPS_FAILED, PATIENT_ROOT_FIND, STUDY_ROOT_FIND,
                                      STUDY_ROOT_GET, STUDY_ROOT_MOVE, PATIENT_ROOT_MOVE, PATIENT_ROOT_GET,
                                      extended_negotiation)
from dicomcore.dimse import (CCancelRQ, CFindRQ, CommandReceived, DataFragment, CGetRQ, CMoveRQ, CStoreRQ, CStoreRSP,
                             MessageReceived)
from dicomcore.dataset.decode import decode_dataset
from dicomcore.pdu.items import SOPClassExtendedNegotiation

from interop.netutil import (CT, EXPLICIT, HOST, IMPLICIT, MR, assert_same, dicom_files,
                               make_instance, serving)

QR = [PATIENT_ROOT_FIND, PATIENT_ROOT_MOVE, PATIENT_ROOT_GET, STUDY_ROOT_FIND,
      STUDY_ROOT_MOVE, STUDY_ROOT_GET]


# --- a small SCU written against the channel ---------------------------------------------

class Scu:
    """An association to the archive with Q/R contexts (and CT/MR with SCP role)."""

    def __init__(self, port: int, *, roles: bool = True, relational: bool = False,
                 title: str = "SCU"):
        ae = dicomcore.ApplicationEntity(title, acse_timeout=10, dimse_timeout=20)
        contexts = [(uid, [EXPLICIT, IMPLICIT]) for uid in QR] + [
            (CT, [EXPLICIT, IMPLICIT]), (MR, [EXPLICIT, IMPLICIT])]
        options = {}
        if roles:
            options["roles"] = {CT: (False, True), MR: (False, True)}
        if relational:
            options["extended_negotiation"] = {uid: b"\x01" for uid in QR}
        self.assoc = ae.associate(HOST, port, ae_title="ARCHIVE", contexts=contexts, **options)
        self.channel = self.assoc.channel
        self.received: list[Dataset] = []
        self._id = 0

    def __enter__(self) -> "Scu":
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.assoc.release()
        else:
            self.assoc.abort()

    def request(self, kind: str, sop_class: str, identifier: Dataset, *,
                destination: str = "", cancel_after: int | None = None,
                store_status: int = 0) -> tuple[list, list]:
        """Send one request; returns (responses, identifiers).  ``cancel_after``:
        send C-CANCEL after that many responses (0: straight after the request)."""
        self._id += 1
        cls = {"find": CFindRQ, "move": CMoveRQ, "get": CGetRQ}[kind]
        request = cls(message_id=self._id, affected_sop_class_uid=sop_class)
        if kind == "move":
            request.move_destination = destination
        cid = self.assoc.context_for(sop_class)
        self.channel.send(cid, request, identifier)
        if cancel_after == 0:
            self.channel.send(cid, CCancelRQ(message_id_being_responded_to=self._id))
        responses, identifiers = [], []
        streamed = bytearray()
        while True:
            event = self.channel.receive(20)
            if isinstance(event, CommandReceived):  # a C-STORE whose data set is streamed
                streamed = bytearray()
                continue
            if isinstance(event, DataFragment):
                streamed += event.data
                continue
            assert isinstance(event, MessageReceived), event
            message = event.message
            if isinstance(message, CStoreRQ):  # a C-GET sub-operation
                ts = self.channel.transfer_syntax(event.context_id)
                data = bytes(message.dataset) if message.dataset is not None else \
                    bytes(streamed)
                ds, _ = decode_dataset(data, ts.little_endian, ts.explicit_vr)
                self.received.append(ds)
                self.channel.send(event.context_id, CStoreRSP(
                    message_id_being_responded_to=message.message_id, status=store_status,
                    affected_sop_class_uid=message.affected_sop_class_uid,
                    affected_sop_instance_uid=message.affected_sop_instance_uid))
                continue
            assert message.message_id_being_responded_to == self._id
            responses.append(message)
            if message.dataset is not None:
                ts = self.channel.transfer_syntax(event.context_id)
                identifiers.append(decode_dataset(bytes(message.dataset), ts.little_endian,
                                                  ts.explicit_vr)[0])
            if cancel_after is not None and cancel_after > 0 and \
                    len(responses) == cancel_after:
                self.channel.send(cid, CCancelRQ(message_id_being_responded_to=self._id))
            if not message.status.is_pending:
                return responses, identifiers


def query(level: str, **keys) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


# --- fixtures ---------------------------------------------------------------------------

def _indexed(folder: Path, paths) -> Path:
    """An archive in ``folder`` holding copies of the files at ``paths``."""
    with Archive(str(folder), durable=False) as archive:
        for path in paths:
            archive.add(str(path), copy=True)
    return folder


@pytest.fixture
def archive_data(tmp_path):
    """Two patients: P1 with a study of two CT series (3 images), P2 with one MR study."""
    src = tmp_path / "src"
    src.mkdir()
    s1, s2 = dicomcore.generate_uid(), dicomcore.generate_uid()
    series = dicomcore.generate_uid()
    files = {}
    for n in range(3):
        ds = make_instance(n, patient_id="P1", study_uid=s1)
        if n < 2:
            ds.SeriesInstanceUID = series
        ds.PatientName = "Doe^John"
        path = src / f"ct{n}.dcm"
        dicomcore.write(path, ds, transfer_syntax=EXPLICIT if n else IMPLICIT)
        files[str(ds.SOPInstanceUID)] = path
    ds = make_instance(9, sop_class=MR, patient_id="P2", study_uid=s2)
    ds.PatientName = "Roe^Jane"
    path = src / "mr.dcm"
    dicomcore.write(path, ds, transfer_syntax=EXPLICIT)
    files[str(ds.SOPInstanceUID)] = path
    folder = _indexed(tmp_path / "db", files.values())
    return folder, files, (s1, s2, series)


@pytest.fixture
def archive_server(archive_data, tmp_path):
    folder, files, uids = archive_data
    dest_ae = dicomcore.ApplicationEntity("DEST", acse_timeout=10, idle_timeout=20)
    failing = set()

    def on_store(instance):  # the destination refuses the instances in ``failing``
        return 0xA700 if instance.sop_instance_uid in failing else None

    with serving(dest_ae, storage_dir=str(tmp_path / "dest"), on_store=on_store) as dest:
        ae = dicomcore.ApplicationEntity("ARCHIVE", acse_timeout=10, idle_timeout=20,
                                         dimse_timeout=20)
        destinations = {"DEST": (HOST, dest.address[1]),
                        "NOBODY": (HOST, _closed_port())}
        with serving(ae, archive=str(folder), destinations=destinations) as server:
            yield server.address[1], files, uids, tmp_path / "dest", failing


def _closed_port() -> int:
    from interop.netutil import free_port

    return free_port()


# --- C-FIND -----------------------------------------------------------------------------

def test_find_each_level_patient_root(archive_server):
    port, files, (s1, s2, series) = archive_server[:3]
    with Scu(port) as scu:
        rsp, ids = scu.request("find", PATIENT_ROOT_FIND, query("PATIENT", PatientID="",
                                                                 PatientName=""))
        assert [r.status for r in rsp] == [0xFF00, 0xFF00, 0]
        assert sorted(str(i.PatientID) for i in ids) == ["P1", "P2"]
        assert all(str(i.QueryRetrieveLevel) == "PATIENT" for i in ids)
        rsp, ids = scu.request("find", PATIENT_ROOT_FIND, query(
            "STUDY", PatientID="P1", StudyInstanceUID="", StudyDate=""))
        assert [str(i.StudyInstanceUID) for i in ids] == [s1]
        rsp, ids = scu.request("find", PATIENT_ROOT_FIND, query(
            "SERIES", PatientID="P1", StudyInstanceUID=s1, SeriesInstanceUID="",
            Modality="CT"))
        assert len(ids) == 2 and series in {str(i.SeriesInstanceUID) for i in ids}
        rsp, ids = scu.request("find", PATIENT_ROOT_FIND, query(
            "IMAGE", PatientID="P1", StudyInstanceUID=s1, SeriesInstanceUID=series,
            SOPInstanceUID="", InstanceNumber=""))
        assert len(ids) == 2 and {str(i.SOPInstanceUID) for i in ids} <= set(files)
        assert rsp[-1].status == 0 and rsp[-1].dataset is None


def test_find_study_root_matching_and_wildcards(archive_server):
    port, files, (s1, s2, series) = archive_server[:3]
    with Scu(port) as scu:
        _, ids = scu.request("find", STUDY_ROOT_FIND, query("STUDY", PatientName="Doe*",
                                                            StudyInstanceUID=""))
        assert [str(i.StudyInstanceUID) for i in ids] == [s1]
        assert str(ids[0].PatientName) == "Doe^John"
        _, ids = scu.request("find", STUDY_ROOT_FIND, query(
            "STUDY", StudyInstanceUID="", ModalitiesInStudy="MR"))
        assert [str(i.StudyInstanceUID) for i in ids] == [s2]
        _, ids = scu.request("find", STUDY_ROOT_FIND, query(
            "SERIES", StudyInstanceUID=s1, SeriesInstanceUID="",
            NumberOfSeriesRelatedInstances=""))
        assert sorted(int(i.NumberOfSeriesRelatedInstances) for i in ids) == [1, 2]


def test_find_hierarchical_needs_unique_keys_relational_when_negotiated(archive_server):
    port = archive_server[0]
    keys = query("IMAGE", SOPInstanceUID="", PatientID="P1")
    with Scu(port) as scu:
        rsp, _ = scu.request("find", STUDY_ROOT_FIND, keys)
        assert [r.status for r in rsp] == [0xA900]
        rsp, _ = scu.request("find", STUDY_ROOT_FIND, query("WARD", StudyInstanceUID=""))
        assert rsp[-1].status == 0xA900
    with Scu(port, relational=True) as scu:
        assert scu.assoc.negotiation.extended.get(STUDY_ROOT_FIND, b"")[:1] == b"\x01"
        rsp, ids = scu.request("find", STUDY_ROOT_FIND, keys)
        assert rsp[-1].status == 0 and len(ids) == 3


def test_extended_negotiation_reply_fields():
    item = SOPClassExtendedNegotiation(STUDY_ROOT_FIND, b"\x01\x01\x01\x01")
    assert extended_negotiation(item) == b"\x01\x01\x00\x00"
    assert extended_negotiation(SOPClassExtendedNegotiation(STUDY_ROOT_MOVE, b"\x01")) == b"\x01"
    assert extended_negotiation(SOPClassExtendedNegotiation(CT, b"\x01")) is None


def test_queries_never_become_sql_or_paths(archive_server):
    port, files = archive_server[:2]
    evil = ["'; DROP TABLE instance; --", "../../../../etc/passwd", "\" OR 1=1 --", "%"]
    with Scu(port, relational=True) as scu:
        for value in evil:
            rsp, ids = scu.request("find", STUDY_ROOT_FIND, query(
                "IMAGE", PatientID=value, SOPInstanceUID=""))
            assert rsp[-1].status == 0 and ids == [], value
            rsp, _ = scu.request("get", STUDY_ROOT_GET, query("STUDY", StudyInstanceUID=value))
            assert rsp[-1].status in (0, 0xA900) and \
                (rsp[-1].number_of_completed_suboperations or 0) == 0
        rsp, ids = scu.request("find", STUDY_ROOT_FIND, query("IMAGE", SOPInstanceUID=""))
        assert len(ids) == len(files)  # the table is still there


# --- C-MOVE -----------------------------------------------------------------------------

def test_move_study_to_destination_and_compare(archive_server):
    port, files, (s1, s2, series), dest, _ = archive_server
    with Scu(port) as scu:
        rsp, _ = scu.request("move", STUDY_ROOT_MOVE, query("STUDY", StudyInstanceUID=s1),
                             destination="DEST")
    assert [r.status for r in rsp] == [0xFF00, 0xFF00, 0]
    assert [r.number_of_remaining_suboperations for r in rsp] == [2, 1, None]
    assert rsp[-1].number_of_completed_suboperations == 3
    assert rsp[-1].number_of_failed_suboperations == 0
    stored = {str(dicomcore.read(p, stop_before_pixels=True).SOPInstanceUID): p
              for p in dicom_files(dest)}
    expected = {uid: p for uid, p in files.items() if "mr" not in p.name}
    assert set(stored) == set(expected)
    for uid, path in expected.items():  # each in its own transfer syntax
        own = str(dicomcore.read(path).file_meta.get(0x00020010))
        assert_same(path, stored[uid], transfer_syntax=own)


def test_move_unknown_destination_and_unreachable(archive_server):
    port, files, (s1, s2, series) = archive_server[:3]
    with Scu(port) as scu:
        rsp, _ = scu.request("move", STUDY_ROOT_MOVE, query("STUDY", StudyInstanceUID=s1),
                             destination="UNKNOWN")
        assert [r.status for r in rsp] == [0xA801]
        rsp, ids = scu.request("move", PATIENT_ROOT_MOVE, query("PATIENT", PatientID="P2"),
                               destination="NOBODY")
        assert rsp[-1].status == 0xA702 and rsp[-1].number_of_failed_suboperations == 1
        assert list(ids[0].FailedSOPInstanceUIDList or []) or str(ids[0].FailedSOPInstanceUIDList)


def test_move_partial_failure_lists_failed_instances(archive_server):
    port, files, (s1, s2, series), dest, failing = archive_server
    refused = sorted(uid for uid, p in files.items() if p.name == "ct1.dcm")
    failing.update(refused)
    with Scu(port) as scu:
        rsp, ids = scu.request("move", STUDY_ROOT_MOVE, query("STUDY", StudyInstanceUID=s1),
                               destination="DEST")
    final = rsp[-1]
    assert final.status == 0xB000
    assert (final.number_of_completed_suboperations, final.number_of_failed_suboperations,
            final.number_of_warning_suboperations) == (2, 1, 0)
    assert final.number_of_remaining_suboperations is None
    assert _uids(ids[-1].FailedSOPInstanceUIDList) == refused
    assert all(r.dataset is None for r in rsp[:-1])  # pending responses carry no data set


def _uids(value) -> list[str]:
    return sorted([value] if isinstance(value, str) else [str(v) for v in value])


# --- C-GET ------------------------------------------------------------------------------

def test_get_series_on_same_association(archive_server):
    port, files, (s1, s2, series) = archive_server[:3]
    with Scu(port) as scu:
        rsp, _ = scu.request("get", STUDY_ROOT_GET, query(
            "SERIES", StudyInstanceUID=s1, SeriesInstanceUID=series))
        assert [r.status for r in rsp] == [0xFF00, 0]
        assert rsp[0].number_of_remaining_suboperations == 1
        assert rsp[-1].number_of_completed_suboperations == 2
        got = {str(ds.SOPInstanceUID): ds for ds in scu.received}
    assert len(got) == 2
    for uid, ds in got.items():
        assert_same(files[uid], _as_file(ds, files[uid].parent.parent / f"{uid}.dcm"))


def _as_file(ds: Dataset, path: Path) -> Path:
    dicomcore.write(path, ds, transfer_syntax=EXPLICIT)
    return path


def test_get_without_scp_role_fails_every_suboperation(archive_server):
    port, files, (s1, s2, series) = archive_server[:3]
    with Scu(port, roles=False) as scu:
        assert not scu.assoc.negotiation.roles.get(CT, (True, False))[1]
        rsp, ids = scu.request("get", STUDY_ROOT_GET, query("STUDY", StudyInstanceUID=s1))
    # each fails alone (no context to send it in); none succeeded: a Failure with the
    # counts (PS3.4 C.4.3.3.1), Cxxx "Unable to process", not A702 "Out of Resources"
    assert rsp[-1].status == ALL_SUBOPS_FAILED
    assert rsp[-1].number_of_failed_suboperations == 3
    assert len(_uids(ids[-1].FailedSOPInstanceUIDList)) == 3
    assert scu.received == []


def test_get_suboperation_failures_are_counted(archive_server):
    port, files, (s1, s2, series) = archive_server[:3]
    with Scu(port) as scu:
        rsp, ids = scu.request("get", STUDY_ROOT_GET, query("STUDY", StudyInstanceUID=s1),
                               store_status=0xA700)
    assert rsp[-1].status == ALL_SUBOPS_FAILED
    assert rsp[-1].number_of_failed_suboperations == 3
    assert rsp[-1].number_of_completed_suboperations == 0
    assert len(_uids(ids[-1].FailedSOPInstanceUIDList)) == 3


# --- C-CANCEL ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """An archive of 1000 small instances in one series (no pixels: quick to make)."""
    tmp_path = tmp_path_factory.mktemp("many")
    folder = tmp_path / "many"
    src = tmp_path / "many-src"
    src.mkdir()
    study, series = dicomcore.generate_uid(), dicomcore.generate_uid()
    with Archive(str(folder), durable=False) as archive:
        for n in range(1000):
            ds = Dataset()
            ds.SOPClassUID = CT
            ds.SOPInstanceUID = f"1.2.826.0.1.3680043.10.999.{n + 1}"
            ds.PatientID, ds.PatientName = "MANY", f"Many^{n}"
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
            ds.Modality, ds.InstanceNumber = "CT", str(n)
            path = src / f"{n}.dcm"
            dicomcore.write(path, ds, transfer_syntax=EXPLICIT)
            archive.add(str(path))
    return folder, study, series


def _many_server(many, tmp_path):
    folder = many[0]
    ae = dicomcore.ApplicationEntity("ARCHIVE", acse_timeout=10, idle_timeout=20)
    dest_ae = dicomcore.ApplicationEntity("DEST", acse_timeout=10, idle_timeout=20)
    return ae, dest_ae, folder


def test_cancel_find_move_get_midstream(many, tmp_path):
    ae, dest_ae, folder = _many_server(many, tmp_path)
    _, study, series = many
    with serving(dest_ae, storage_dir=str(tmp_path / "dest")) as dest, \
            serving(ae, archive=str(folder),
                    destinations={"DEST": (HOST, dest.address[1])}) as server:
        with Scu(server.address[1]) as scu:
            keys = query("IMAGE", StudyInstanceUID=study, SeriesInstanceUID=series,
                         SOPInstanceUID="")
            rsp, ids = scu.request("find", STUDY_ROOT_FIND, keys, cancel_after=0)
            assert rsp[-1].status == 0xFE00 and len(ids) < 1000
            rsp, ids = scu.request("find", STUDY_ROOT_FIND, keys, cancel_after=3)
            assert rsp[-1].status == 0xFE00 and 3 <= len(rsp) - 1 < 1000
            # the association goes on: a full query still works afterwards
            rsp, ids = scu.request("find", STUDY_ROOT_FIND, query(
                "SERIES", StudyInstanceUID=study, SeriesInstanceUID=""))
            assert rsp[-1].status == 0 and len(ids) == 1
            move = query("SERIES", StudyInstanceUID=study, SeriesInstanceUID=series)
            rsp, _ = scu.request("move", STUDY_ROOT_MOVE, move, destination="DEST",
                                 cancel_after=2)
            final = rsp[-1]
            assert final.status == 0xFE00
            assert final.number_of_remaining_suboperations > 0
            assert final.number_of_completed_suboperations + \
                final.number_of_remaining_suboperations == 1000
            rsp, _ = scu.request("get", STUDY_ROOT_GET, move, cancel_after=2)
            final = rsp[-1]
            assert final.status == 0xFE00
            assert 2 <= final.number_of_completed_suboperations < 1000
            assert len(scu.received) == final.number_of_completed_suboperations
            assert final.number_of_remaining_suboperations == \
                1000 - final.number_of_completed_suboperations


class _CountingArchive(Archive):
    """Counts the identifiers ``find`` has handed out that are still alive."""

    alive = 0
    most_alive = 0

    def find(self, *args, **kwargs):
        for found in super().find(*args, **kwargs):
            cls = type(self)
            cls.alive += 1
            cls.most_alive = max(cls.most_alive, cls.alive)
            weakref.finalize(found, _CountingArchive._gone)
            yield found

    @staticmethod
    def _gone() -> None:
        _CountingArchive.alive -= 1


def test_find_1000_matches_streams_with_bounded_memory(many, tmp_path):
    ae, _, folder = _many_server(many, tmp_path)
    _, study, series = many
    archive = _CountingArchive(str(folder))
    with serving(ae, archive=archive) as server:
        with Scu(server.address[1]) as scu:
            keys = query("IMAGE", StudyInstanceUID=study, SeriesInstanceUID=series,
                         SOPInstanceUID="", PatientName="", InstanceNumber="")
            scu.request("find", STUDY_ROOT_FIND, keys)  # warm up caches
            _CountingArchive.most_alive = 0
            counted = 0
            gc.collect()
            tracemalloc.start()
            try:
                base = tracemalloc.get_traced_memory()[0]
                cid = scu.assoc.context_for(STUDY_ROOT_FIND)
                scu.channel.send(cid, CFindRQ(message_id=999,
                                              affected_sop_class_uid=STUDY_ROOT_FIND), keys)
                while True:  # responses counted, not kept
                    event = scu.channel.receive(20)
                    if not event.message.status.is_pending:
                        break
                    counted += 1
                peak = tracemalloc.get_traced_memory()[1] - base
            finally:
                tracemalloc.stop()
    archive.close()
    assert counted == 1000
    # one match at a time goes from the index to the wire (a list would hold 1000)
    assert _CountingArchive.most_alive <= 5, _CountingArchive.most_alive
    assert peak < 4_000_000, peak  # both ends in this process, PDU traces included


# --- concurrency ------------------------------------------------------------------------

def test_twenty_simultaneous_associations(archive_server):
    port, files = archive_server[:2]
    barrier = threading.Barrier(20, timeout=30)
    results, errors = [], []

    def client(n: int) -> None:
        try:
            with Scu(port, title=f"SCU{n}") as scu:
                barrier.wait()  # all 20 associations are open at once
                rsp, ids = scu.request("find", STUDY_ROOT_FIND, query(
                    "STUDY", StudyInstanceUID="", PatientID=""))
                results.append((rsp[-1].status, len(ids)))
                barrier.wait()
        except Exception as exc:  # reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:3]
    assert results == [(0, 2)] * 20


# --- storage into the archive -----------------------------------------------------------

def test_stored_instances_are_indexed_and_retrievable(tmp_path):
    ae = dicomcore.ApplicationEntity("ARCHIVE", acse_timeout=10, idle_timeout=20)
    study = dicomcore.generate_uid()
    with serving(ae, archive=str(tmp_path / "db")) as server:
        port = server.address[1]
        sent = [make_instance(n, study_uid=study) for n in range(2)]
        with ae.associate(HOST, port, ae_title="ARCHIVE") as assoc:
            assert [assoc.store(ds) for ds in sent] == [0, 0]
        with Scu(port) as scu:
            rsp, ids = scu.request("find", STUDY_ROOT_FIND, query(
                "IMAGE", StudyInstanceUID=study, SeriesInstanceUID=str(sent[0].SeriesInstanceUID),
                SOPInstanceUID=""))
            assert [str(i.SOPInstanceUID) for i in ids] == [str(sent[0].SOPInstanceUID)]
            rsp, _ = scu.request("get", STUDY_ROOT_GET, query("STUDY", StudyInstanceUID=study))
            assert rsp[-1].status == 0 and len(scu.received) == 2
    with Archive(str(tmp_path / "db")) as archive:
        assert len(archive) == 2
        assert [p for p in archive.orphans() if not p.endswith(".part")] == []


# --- batched C-FIND, pipelined C-GET ------------------------------------------------------

class _FakeConn:
    """Records what the SCP queues and writes; no socket."""

    def __init__(self):
        self.queued: list = []
        self.written: list = []

    def send(self, primitive, *, flush=True):
        self.queued.append(primitive)
        if flush:
            self.flush()

    def flush(self):
        self.written.append(list(self.queued))
        self.queued.clear()


class _FakeChannel:
    """Just enough of ``DimseChannel`` for ``QueryRetrieveSCP.find``: a C-CANCEL shows
    up at the ``cancel_at``-th look (None: never)."""

    def __init__(self, cancel_at=None, max_pdu=16384):
        from collections import deque

        self.accepted = {1: (STUDY_ROOT_FIND, EXPLICIT)}
        self.negotiation = type("N", (), {"peer_max_pdu_length": max_pdu})()
        self.conn = _FakeConn()
        self._pending = deque()
        self.looks = 0
        self.cancel_at = cancel_at
        self.final = None

    def transfer_syntax(self, context_id):
        from dicomcore.dataset import transfer_syntax as ts

        return ts.get(self.accepted[context_id][1])

    def poll(self):
        self.looks += 1
        if self.looks == self.cancel_at:
            return MessageReceived(1, CCancelRQ(message_id_being_responded_to=7), b"")
        raise TimeoutError("nothing")

    def send(self, context_id, message, data=None):
        self.conn.flush()  # what was queued goes first, as on the wire
        self.final = message

    send_encoded = DimseChannel.send_encoded  # the real one, on this fake's conn


class _RowsArchive:
    """``find_encoded`` yielding ``n`` identifiers, counting how many were taken."""

    def __init__(self, n):
        self.n, self.taken, self.closed = n, 0, False

    def find_encoded(self, *args, **kwargs):
        def rows():
            try:
                for i in range(self.n):
                    self.taken += 1
                    yield (b"\x08\x00\x52\x00CS\x06\x00IMAGE "  # (0008,0052), (0010,0020)
                           + b"\x10\x00\x20\x00LO\x06\x00" + b"%06d" % i)
            finally:
                self.closed = True
        return rows()


def _find_with(channel, archive):
    from dicomcore.ae.services.qr import QueryRetrieveSCP, _Operation

    op = _Operation(channel, 1, CFindRQ(message_id=7, affected_sop_class_uid=STUDY_ROOT_FIND))
    QueryRetrieveSCP(archive).find(op, query("IMAGE", SOPInstanceUID=""), "study", False,
                                   False)
    return [pdu for write in channel.conn.written for pdu in write]


def test_find_batches_responses_and_notices_cancel_within_a_batch():
    from dicomcore.ae.services.qr import FIND_BATCH
    from dicomcore.dimse import decode_command

    archive = _RowsArchive(10 * FIND_BATCH)
    channel = _FakeChannel(cancel_at=2)  # seen at the second look: after one batch
    sent = _find_with(channel, archive)
    assert channel.final.status == 0xFE00
    assert len(sent) == FIND_BATCH  # one batch went before the C-CANCEL was seen
    assert archive.taken <= FIND_BATCH + 1 and archive.closed
    assert [len(w) for w in channel.conn.written if w] == [FIND_BATCH]  # one write
    for n, pdu in enumerate(sent):  # one PDU each: the shared command, then the data
        command, data = pdu.pdvs
        assert (command.control, data.control) == (3, 2)
        response = decode_command(bytes(command.data))
        assert response.status == 0xFF00 and response.message_id_being_responded_to == 7
        assert response.has_dataset
        ds, _ = decode_dataset(bytes(data.data), True, True)
        assert str(ds.QueryRetrieveLevel) == "IMAGE" and str(ds.PatientID) == "%06d" % n


def test_find_without_cancel_writes_each_batch_once():
    from dicomcore.ae.services.qr import FIND_BATCH

    archive = _RowsArchive(2 * FIND_BATCH + 3)
    channel = _FakeChannel()
    sent = _find_with(channel, archive)
    assert channel.final.status == 0 and len(sent) == 2 * FIND_BATCH + 3
    sizes = [len(w) for w in channel.conn.written if w]
    assert sizes == [FIND_BATCH, FIND_BATCH, 3]  # the last batch goes with the final
    assert channel.looks == 3


def test_find_fragments_identifiers_larger_than_a_pdu():
    archive = _RowsArchive(3)
    channel = _FakeChannel(max_pdu=64)  # each response needs several PDUs
    sent = _find_with(channel, archive)
    assert channel.final.status == 0
    assert all(sum(6 + len(p.data) for p in pdu.pdvs) <= 64 for pdu in sent)
    data = b"".join(bytes(p.data) for pdu in sent for p in pdu.pdvs if not p.is_command)
    assert data.startswith(b"\x08\x00\x52\x00CS\x06\x00IMAGE \x10\x00\x20\x00LO")


@given(st.integers(0, 400), st.integers(0, 2000), st.integers(8, 3000))
@settings(max_examples=200, deadline=None)
def test_queued_pdus_are_fragment_messages(command_words, data_words, limit):
    """send_encoded's one-PDU shortcut makes exactly what fragment_message would."""
    from dicomcore.dimse import fragment_message

    command = bytes(range(256)) * (command_words // 128 + 1)
    command = command[:2 * command_words + 2]
    data = (b"\x01\x02" * data_words) or None
    if data is None and limit < 8:
        return
    channel = _FakeChannel(max_pdu=limit)
    channel.send_encoded(1, command, data, flush=False)
    assert channel.conn.queued == list(fragment_message(1, command, data, limit))


@given(st.tuples(*[st.integers(0, 0xFFFF)] * 4), st.integers(1, 0xFFFF))
@settings(max_examples=100, deadline=None)
def test_pending_get_template_is_the_encoders_command(counts, message_id):
    from dicomcore.ae.services.get_sender import _CountsTemplate
    from dicomcore.dimse import CGetRSP, encode_command

    request = CGetRQ(message_id=message_id, affected_sop_class_uid=STUDY_ROOT_GET)
    remaining, completed, failed, warning = counts
    expected = encode_command(CGetRSP(
        message_id_being_responded_to=message_id, affected_sop_class_uid=STUDY_ROOT_GET,
        status=0xFF00, number_of_remaining_suboperations=remaining,
        number_of_completed_suboperations=completed, number_of_failed_suboperations=failed,
        number_of_warning_suboperations=warning))
    template = _CountsTemplate(request)
    assert template.command(counts) == expected
    assert template.command((0x10000, 0, 0, 0)) is None  # past US: the encoder's error


def test_get_sends_each_pending_response_after_the_next_store(archive_server):
    """Pipelined C-GET: STORE 1, STORE 2 + pending(2 left), STORE 3 + pending(1 left),
    final; every sub-operation accounted for."""
    port, files, (s1, s2, series) = archive_server[:3]
    order = []
    with Scu(port) as scu:
        cid = scu.assoc.context_for(STUDY_ROOT_GET)
        scu.channel.send(cid, CGetRQ(message_id=5, affected_sop_class_uid=STUDY_ROOT_GET),
                         query("STUDY", StudyInstanceUID=s1))
        for _ in range(100):  # bounded: 3 stores and 3 responses expected
            event = scu.channel.receive(20)
            if isinstance(event, (CommandReceived, DataFragment)):
                continue
            message = event.message
            if isinstance(message, CStoreRQ):
                order.append(("store", str(message.affected_sop_instance_uid)))
                scu.channel.send(event.context_id, CStoreRSP(
                    message_id_being_responded_to=message.message_id, status=0,
                    affected_sop_class_uid=message.affected_sop_class_uid,
                    affected_sop_instance_uid=message.affected_sop_instance_uid))
                continue
            order.append((int(message.status), message.number_of_remaining_suboperations,
                          message.number_of_completed_suboperations))
            if not message.status.is_pending:
                break
    kinds = [o[0] for o in order]
    assert kinds == ["store", "store", 0xFF00, "store", 0xFF00, 0]
    assert order[2][1:] == (2, 1) and order[4][1:] == (1, 2) and order[5][1:] == (None, 3)
    assert {o[1] for o in order if o[0] == "store"} == \
        {uid for uid, p in files.items() if "mr" not in p.name}


def test_get_of_a_missing_file_fails_that_suboperation_only(archive_data, tmp_path):
    folder, files, (s1, s2, series) = archive_data
    with Archive(str(folder)) as archive:
        victim = sorted(uid for uid, p in files.items() if "mr" not in p.name)[1]
        Path(archive.path_of(victim)).unlink()
    ae = dicomcore.ApplicationEntity("ARCHIVE", acse_timeout=10, idle_timeout=20)
    with serving(ae, archive=str(folder)) as server:
        with Scu(server.address[1]) as scu:
            rsp, ids = scu.request("get", STUDY_ROOT_GET, query("STUDY", StudyInstanceUID=s1))
    final = rsp[-1]
    assert final.status == 0xB000
    assert (final.number_of_completed_suboperations, final.number_of_failed_suboperations) \
        == (2, 1)
    assert _uids(ids[-1].FailedSOPInstanceUIDList) == [victim]
    assert len(scu.received) == 2
    assert [r.number_of_remaining_suboperations for r in rsp] == [2, 1, None]


def test_get_of_large_instances_sends_them_whole(tmp_path):
    """Past 64 KiB a file is not read ahead whole: it goes as it is sent (the file
    left open by ``prepare`` is closed after); what arrives is what was stored."""
    src = tmp_path / "src"
    src.mkdir()
    study = dicomcore.generate_uid()
    files = {}
    for n in range(3):
        ds = make_instance(n, rows=256, columns=256, study_uid=study)  # 128 KiB of pixels
        path = src / f"big{n}.dcm"
        dicomcore.write(path, ds, transfer_syntax=EXPLICIT)
        files[str(ds.SOPInstanceUID)] = path
    folder = _indexed(tmp_path / "db", files.values())
    ae = dicomcore.ApplicationEntity("ARCHIVE", acse_timeout=10, idle_timeout=20)
    with serving(ae, archive=str(folder)) as server:
        with Scu(server.address[1]) as scu:
            rsp, _ = scu.request("get", STUDY_ROOT_GET, query("STUDY", StudyInstanceUID=study))
            assert [r.status for r in rsp] == [0xFF00, 0xFF00, 0]
            got = {str(ds.SOPInstanceUID): ds for ds in scu.received}
    assert set(got) == set(files)
    for uid, ds in got.items():
        assert_same(files[uid], _as_file(ds, tmp_path / f"{uid}.dcm"))
