"""Query/Retrieve SCU: find/move/get, cancel, role selection, and a hostile C-GET SCP.

The peer is an in-process pynetdicom Q/R SCP (``interop.qrpeer``) on 127.0.0.1, any free
port, always shut down; every wait is bounded by the DIMSE timeout.
"""
from __future__ import annotations

import os
import warnings

import pytest

import dicomcore
from dicomcore import Dataset
from dicomcore.ae.query import (FIND, GET, MOVE, Operation, OperationFailed, Progress,
                                identifier, qr_contexts)
from dicomcore.errors import DicomError

from interop.netutil import (CT, HOST, MR, assert_same, by_instance_uid, dicom_files,
                             leftovers, make_instance, serving)

pytest.importorskip("pynetdicom")
from interop.qrpeer import PynetdicomQR  # noqa: E402

STUDY_A = "1.2.826.0.1.3680043.8.498.1001"
STUDY_B = "1.2.826.0.1.3680043.8.498.1002"


def _ae(title: str = "DICOMCORE") -> dicomcore.ApplicationEntity:
    return dicomcore.ApplicationEntity(title, acse_timeout=10, dimse_timeout=15,
                                       network_timeout=10)


@pytest.fixture(scope="module")
def instances():
    a = [make_instance(i, patient_id="PID-A", study_uid=STUDY_A) for i in range(3)]
    b = [make_instance(10 + i, sop_class=MR, patient_id="PID-B", study_uid=STUDY_B)
         for i in range(2)]
    return a + b


@pytest.fixture
def peer(instances):
    with PynetdicomQR(instances) as qr:
        yield qr


def _associate(port: int, model: str = "study", **kw):
    return _ae().associate(HOST, port, ae_title="PYQRSCP", **qr_contexts(model, **kw))


# --- building requests --------------------------------------------------------------------

def test_qr_contexts_roles_and_limits():
    contexts, roles = qr_contexts("patient")
    assert len(contexts) == 128
    abstracts = [a for a, _ in contexts]
    assert abstracts[:3] == [FIND["patient"], MOVE["patient"], GET["patient"]]
    assert CT in roles and roles[CT] == (False, True)  # we are SCP for what C-GET sends
    assert set(roles) == set(abstracts[3:])
    spread = dict(**qr_contexts("study", [CT, MR]))
    assert [a for a, _ in spread["contexts"]] == [FIND["study"], MOVE["study"], GET["study"],
                                                  CT, MR]
    find_only = qr_contexts(services=("find",))
    assert find_only.roles == {} and len(find_only.contexts) == 1
    with pytest.raises(ValueError):
        qr_contexts("study", [f"1.2.3.{i}" for i in range(200)])
    with pytest.raises(ValueError):
        qr_contexts("worklist")


def test_identifier_from_mapping_and_dataset():
    ds = identifier({"PatientID": "X*", "0020,000D": "", "ModalitiesInStudy": ""})
    assert ds.QueryRetrieveLevel == "STUDY" and ds.PatientID == "X*"
    assert 0x0020000D in ds and ds[0x0020000D].value in (None, "")
    assert identifier({}, "patient").QueryRetrieveLevel == "PATIENT"
    query = Dataset()
    query.PatientID = "1"
    query.QueryRetrieveLevel = "SERIES"
    assert identifier(query).QueryRetrieveLevel == "SERIES"
    assert identifier(query, level="image").QueryRetrieveLevel == "IMAGE"
    assert query.QueryRetrieveLevel == "SERIES"  # the caller's dataset is not changed
    with pytest.raises(ValueError):
        identifier({"NotAKeyword": "1"})
    with pytest.raises(ValueError):
        identifier({}, level="FRAME")


# --- C-FIND -----------------------------------------------------------------------------

def test_find_yields_identifiers_then_status(peer, instances):
    with _associate(peer.port) as assoc:
        operation = assoc.find({"PatientID": "", "StudyInstanceUID": "", "PatientName": ""})
        assert isinstance(operation, Operation) and not operation.done
        found = list(operation)
        assert operation.status == 0 and operation.status.category == "Success"
        assert sorted(str(d.StudyInstanceUID) for d in found) == [STUDY_A, STUDY_B]
        assert all(d.QueryRetrieveLevel == "STUDY" for d in found)
        # one association, several operations; message ids differ
        series = list(assoc.find({"StudyInstanceUID": STUDY_A, "SeriesInstanceUID": ""},
                                 level="SERIES"))
        assert sorted(str(d.SeriesInstanceUID) for d in series) == sorted(
            str(d.SeriesInstanceUID) for d in instances[:3])
    request = peer.requests[0][1]
    assert request.QueryRetrieveLevel == "STUDY" and "PatientName" in request


def test_find_patient_root_image_level(peer, instances):
    with _associate(peer.port, "patient") as assoc:
        found = list(assoc.find({"PatientID": "PID-B", "SOPInstanceUID": ""},
                                model="patient", level="IMAGE"))
    assert sorted(str(d.SOPInstanceUID) for d in found) == sorted(
        str(d.SOPInstanceUID) for d in instances[3:])


def test_find_without_context_is_a_clear_error(peer):
    with _associate(peer.port, "study") as assoc:
        with pytest.raises(DicomError, match="Patient Root"):
            assoc.find({"PatientID": ""}, model="patient")
        assert list(assoc.find({"PatientID": "nobody"})) == []  # still usable


def test_find_cancel_ends_with_cancel_status(instances):
    many = [make_instance(100 + i, patient_id=f"P{i}") for i in range(20)]
    with PynetdicomQR(many, delay=0.05) as qr:
        with _associate(qr.port) as assoc:
            operation = assoc.find({"PatientID": "", "StudyInstanceUID": ""})
            first = next(operation)
            assert first.PatientID
            operation.cancel()
            rest = list(operation)
            assert operation.status == 0xFE00 and operation.status.is_cancel
            assert len(rest) < 19
            assert qr.cancelled.wait(5)
            # the association goes on
            assert len(list(assoc.find({"PatientID": "P3", "StudyInstanceUID": ""}))) == 1


def test_association_cancel_and_abandoned_loop(instances):
    many = [make_instance(200 + i, patient_id=f"Q{i}") for i in range(20)]
    with PynetdicomQR(many, delay=0.05) as qr:
        with _associate(qr.port) as assoc:
            with pytest.raises(DicomError):
                assoc.cancel()  # nothing in progress
            operation = assoc.find({"PatientID": ""})
            next(operation)
            assoc.cancel(operation.message_id)
            list(operation)
            assert operation.status.is_cancel
            for _ in assoc.find({"PatientID": ""}):
                break  # abandoned: the next request cancels and drains it first
            assert len(list(assoc.find({"PatientID": "Q7"}))) == 1


def test_find_failure_raises_with_status(peer):
    peer.fail_status = 0xA900
    with _associate(peer.port) as assoc:
        with pytest.raises(OperationFailed) as info:
            list(assoc.find({"PatientID": ""}))
        assert info.value.status == 0xA900
        operation = assoc.find({"PatientID": ""}, raise_on_failure=False)
        assert list(operation) == [] and operation.status.is_failure


# --- C-GET ------------------------------------------------------------------------------

def test_get_stores_each_instance_like_storescp(peer, instances, tmp_path):
    out = tmp_path / "got"
    with _associate(peer.port, storage_classes=[CT, MR]) as assoc:
        operation = assoc.get({"StudyInstanceUID": STUDY_A}, out_dir=str(out))
        progress = list(operation)
    assert operation.status == 0
    assert progress and all(isinstance(p, Progress) and p.status.is_pending for p in progress)
    assert progress[-1].completed + progress[-1].remaining == 3
    assert operation.result.completed == 3 and operation.result.failed == 0
    files = dicom_files(out)
    assert len(files) == 3 and not leftovers(out)
    assert sorted(i.path for i in operation.received) == sorted(str(f) for f in files)
    stored = by_instance_uid(files)
    for ds in instances[:3]:
        assert_same(ds, stored[str(ds.SOPInstanceUID)])


def test_get_on_store_only_and_failures_counted(peer, instances):
    seen = []

    def on_store(instance):
        seen.append(instance.dataset())
        assert os.path.exists(instance.path)
        return 0xA700 if instance.sop_class_uid == MR else None

    with _associate(peer.port, storage_classes=[CT, MR]) as assoc:
        operation = assoc.get({"PatientID": ""}, level="PATIENT", on_store=on_store,
                              raise_on_failure=False)
        list(operation)
    assert len(seen) == 5
    assert operation.result.failed == 2 and operation.result.completed == 3
    assert operation.status.category in ("Warning", "Failure")
    assert all(not os.path.exists(i.path) for i in operation.received)  # no out_dir: removed
    by_uid = {str(d.SOPInstanceUID): d for d in seen}
    for ds in instances:
        assert_same(ds, _write_tmp(by_uid[str(ds.SOPInstanceUID)]))


def _write_tmp(ds):
    import tempfile

    fd, path = tempfile.mkstemp(suffix=".dcm")
    os.close(fd)
    dicomcore.write(path, ds)
    return path


def test_get_needs_storage_contexts(peer):
    with _associate(peer.port, services=("get",), storage_classes=[]) as assoc:
        with pytest.raises(DicomError, match="qr_contexts"):
            assoc.get({"PatientID": ""})


def test_get_without_folder_or_handler_uses_a_temporary_folder(peer, instances):
    with _associate(peer.port, storage_classes=[CT, MR]) as assoc:
        operation = assoc.get({"StudyInstanceUID": STUDY_B})
        operation.wait()
    assert operation.folder and len(dicom_files(operation.folder)) == 2
    import shutil

    shutil.rmtree(operation.folder)


HOSTILE_UIDS = ["../../x", "../../../../tmp/dicomcore-evil", "/etc/dicomcore-evil", "..",
                "a/../../b", "./.", "sub/dir/x", "~/x", "x" * 200]
# (A backslash cannot be sent: pydicom splits it into values; safe_component maps it to "_".)


def test_hostile_get_scp_cannot_write_outside_the_folder(tmp_path):
    """CVE-2026-50003 class: a C-GET SCP sending SOP Instance UIDs that are paths."""
    hostile = []
    for n, uid in enumerate(HOSTILE_UIDS):
        ds = make_instance(300 + n, study_uid=STUDY_A, patient_id="EVIL")
        ds.SOPInstanceUID = uid
        hostile.append(ds)
    out = tmp_path / "a" / "b" / "c" / "out"
    out.mkdir(parents=True)
    before = {p for p in tmp_path.rglob("*")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the invalid UIDs it sends
        with PynetdicomQR(hostile) as qr:
            with _associate(qr.port, storage_classes=[CT]) as assoc:
                operation = assoc.get({"PatientID": "EVIL"}, level="PATIENT",
                                      out_dir=str(out), raise_on_failure=False)
                list(operation)
    after = {p for p in tmp_path.rglob("*")}
    created = after - before
    real_out = os.path.realpath(out)
    for path in created:
        assert os.path.commonpath([os.path.realpath(path), real_out]) == real_out, path
    files = dicom_files(out)
    assert files and not leftovers(out)
    for path in files:
        assert path.parent == out  # flat: never a sub-folder made from a received value
        assert not path.name.startswith(".") and "/" not in path.name and "\\" not in path.name
        assert len(path.name) <= 64 + 4
    assert not os.path.exists("/tmp/dicomcore-evil") and not os.path.exists(
        "/etc/dicomcore-evil")


# --- C-MOVE -----------------------------------------------------------------------------

def test_move_to_a_storage_scp(instances, tmp_path):
    dest_dir = tmp_path / "moved"
    with serving(_ae("MOVEDEST"), storage_dir=str(dest_dir)) as dest:
        with PynetdicomQR(instances, destinations={"MOVEDEST": dest.address[1]}) as qr:
            with _associate(qr.port) as assoc:
                operation = assoc.move({"StudyInstanceUID": STUDY_B}, "MOVEDEST")
                progress = list(operation)
                assert operation.status == 0 and operation.result.completed == 2
                assert all(p.status.is_pending for p in progress)
                unknown = assoc.move({"StudyInstanceUID": STUDY_B}, "NOWHERE",
                                     raise_on_failure=False)
                list(unknown)
                assert unknown.status == 0xA801  # move destination unknown
    stored = by_instance_uid(dicom_files(dest_dir))
    assert len(stored) == 2
    for ds in instances[3:]:
        assert_same(ds, stored[str(ds.SOPInstanceUID)])


def test_get_answers_each_store_before_reading_on(peer, instances, tmp_path):
    """The C-STORE-RSP of a sub-operation is written as soon as the instance is stored,
    not left queued while a Pending C-GET-RSP already received is handed out: the C-GET
    SCP is waiting for it."""
    with _associate(peer.port, storage_classes=[CT, MR]) as assoc:
        operation = assoc.get({"StudyInstanceUID": STUDY_A}, out_dir=str(tmp_path / "got"))
        for _ in operation:  # each Pending arrives after a store was answered
            # ``ul._out``: what the connection has yet to write
            assert operation.received and not assoc.channel.conn.ul._out
    assert operation.status == 0 and len(operation.received) == 3
