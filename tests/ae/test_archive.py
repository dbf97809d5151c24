"""The archive: add/find at every level of both models, ranges and wild cards, duplicates,
restart, concurrency, hostile values, streaming, crash consistency."""
from __future__ import annotations

import collections.abc
import os
import sqlite3
import threading
import tracemalloc

import pytest

import dicomcore
from dicomcore import Dataset
from dicomcore.ae import archive as archive_module
from dicomcore.ae.archive import Archive, ArchiveError, DuplicateInstanceError
from dicomcore.ae.matching import QueryError

CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
_counter = iter(range(1, 10**9))


def _file(folder, *, sop=None, study="1.2.826.0.1.1", series="1.2.826.0.1.1.1",
          patient_id="PID-1", name="Smith^John", modality="CT", sop_class=CT,
          study_date="20240115", study_time="101500", number=1, **extra) -> str:
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop or f"1.2.826.0.9.{next(_counter)}"
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.PatientID = patient_id
    ds.PatientName = name
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "M"
    ds.StudyDate = study_date
    ds.StudyTime = study_time
    ds.AccessionNumber = "ACC" + patient_id
    ds.StudyID = "1"
    ds.StudyDescription = "Study of " + patient_id
    ds.Modality = modality
    ds.SeriesNumber = "1"
    ds.InstanceNumber = str(number)
    for keyword, value in extra.items():
        setattr(ds, keyword, value)
    if any(not str(v).isascii() for v in (name, *extra.values())):
        ds.SpecificCharacterSet = "ISO_IR 192"
    path = os.path.join(str(folder), f"incoming-{next(_counter)}.dcm")
    dicomcore.write(path, ds)
    return path


def _q(level=None, **keys) -> Dataset:
    ds = Dataset()
    if level:
        ds.QueryRetrieveLevel = level
    for keyword, value in keys.items():
        setattr(ds, keyword, value)
    return ds


@pytest.fixture
def incoming(tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    return folder


@pytest.fixture
def archive(tmp_path):
    with Archive(str(tmp_path / "archive")) as found:
        yield found


@pytest.fixture
def filled(archive, incoming):
    """Two patients; Smith has two studies (CT+MR, then CT), Jones one (MR)."""
    for n in range(3):
        archive.add(_file(incoming, number=n))
    archive.add(_file(incoming, series="1.2.826.0.1.1.2", modality="MR", sop_class=MR))
    archive.add(_file(incoming, study="1.2.826.0.1.2", series="1.2.826.0.1.2.1",
                      study_date="20240301", study_time="0800"))
    archive.add(_file(incoming, patient_id="PID-2", name="Jones^Ann", study="1.2.826.0.2.1",
                      series="1.2.826.0.2.1.1", modality="MR", sop_class=MR,
                      study_date="20231231", study_time="2330"))
    return archive


def _values(results, keyword):
    return sorted(str(r.get(keyword)) for r in results)


# --- every level, both models ----------------------------------------------------------

def test_patient_level(filled):
    found = list(filled.find(_q("PATIENT", PatientID="", PatientName="",
                                NumberOfPatientRelatedStudies=""), model="patient"))
    assert _values(found, "PatientID") == ["PID-1", "PID-2"]
    smith = next(r for r in found if r.PatientID == "PID-1")
    assert smith.PatientName == "Smith^John" and smith.NumberOfPatientRelatedStudies == 2
    assert smith.QueryRetrieveLevel == "PATIENT"
    assert "StudyInstanceUID" not in smith


@pytest.mark.parametrize("model", ["patient", "study"])
def test_study_level(filled, model):
    keys = dict(StudyInstanceUID="", ModalitiesInStudy="", NumberOfStudyRelatedInstances="")
    if model == "patient":
        keys["PatientID"] = "PID-1"  # hierarchical: the patient's unique key
    found = list(filled.find(_q("STUDY", **keys), model=model))
    uids = _values(found, "StudyInstanceUID")
    if model == "patient":
        assert uids == ["1.2.826.0.1.1", "1.2.826.0.1.2"]
        assert all(r.PatientID == "PID-1" for r in found)
    else:
        assert uids == ["1.2.826.0.1.1", "1.2.826.0.1.2", "1.2.826.0.2.1"]
    first = next(r for r in found if r.StudyInstanceUID == "1.2.826.0.1.1")
    assert first.ModalitiesInStudy == ["CT", "MR"]
    assert first.NumberOfStudyRelatedInstances == 4


@pytest.mark.parametrize("model", ["patient", "study"])
def test_series_level(filled, model):
    keys = dict(StudyInstanceUID="1.2.826.0.1.1", SeriesInstanceUID="", Modality="",
                NumberOfSeriesRelatedInstances="")
    if model == "patient":
        keys["PatientID"] = "PID-1"
    found = list(filled.find(_q("SERIES", **keys), model=model))
    assert _values(found, "Modality") == ["CT", "MR"]
    ct = next(r for r in found if r.Modality == "CT")
    assert ct.NumberOfSeriesRelatedInstances == 3
    assert ct.StudyInstanceUID == "1.2.826.0.1.1"


@pytest.mark.parametrize("model", ["patient", "study"])
def test_image_level(filled, model):
    keys = dict(StudyInstanceUID="1.2.826.0.1.1", SeriesInstanceUID="1.2.826.0.1.1.1",
                SOPInstanceUID="", InstanceNumber="", SOPClassUID="")
    if model == "patient":
        keys["PatientID"] = "PID-1"
    found = list(filled.find(_q("IMAGE", **keys), model=model))
    assert _values(found, "InstanceNumber") == ["0", "1", "2"]
    assert all(r.SOPClassUID == CT and r.SeriesInstanceUID == "1.2.826.0.1.1.1" for r in found)


def test_higher_unique_keys_are_returned(filled):
    found = list(filled.find(_q("IMAGE", PatientID="PID-2", StudyInstanceUID="1.2.826.0.2.1",
                                SeriesInstanceUID="1.2.826.0.2.1.1", SOPInstanceUID=""),
                             model="patient"))
    assert len(found) == 1
    assert found[0].PatientID == "PID-2"
    # a study-root query that did not ask for them still gets the keys above the level
    found = list(filled.find(_q("SERIES", StudyInstanceUID="1.2.826.0.2.1",
                                SeriesInstanceUID=""), model="study"))
    assert found[0].StudyInstanceUID == "1.2.826.0.2.1" and "PatientID" not in found[0]


@pytest.mark.parametrize("level, model, keys", [
    ("STUDY", "patient", {}),
    ("SERIES", "study", {}),
    ("IMAGE", "study", {"StudyInstanceUID": "1.2.826.0.1.1"}),
    ("STUDY", "patient", {"PatientID": "PID*"}),
    ("SERIES", "study", {"StudyInstanceUID": ["1.2.826.0.1.1", "1.2.826.0.1.2"]}),
    ("PATIENT", "study", {}),
    ("FRAME", "study", {}),
])
def test_hierarchical_queries_need_unique_keys_above(filled, level, model, keys):
    with pytest.raises(QueryError):
        filled.find(_q(level, **keys), model=model)


def test_relational_queries(filled):
    found = list(filled.find(_q("IMAGE", PatientName="JONES*", SOPInstanceUID=""),
                             model="patient", relational=True))
    assert len(found) == 1 and found[0].PatientID == "PID-2"
    with pytest.raises(QueryError):  # no wild cards in dates (C.2.2.2.4)
        filled.find(_q("SERIES", Modality="MR", StudyDate="2024*"), relational=True)
    found = list(filled.find(_q("SERIES", Modality="MR", StudyDate="20240101-"), relational=True))
    assert _values(found, "SeriesInstanceUID") == ["1.2.826.0.1.1.2"]


# --- wild cards, ranges, lists through the archive ------------------------------------

@pytest.mark.parametrize("keys, expected", [
    ({"PatientName": "smith*"}, ["1.2.826.0.1.1", "1.2.826.0.1.2"]),
    ({"PatientName": "?ONES^ANN"}, ["1.2.826.0.2.1"]),
    ({"StudyDate": "20240101-"}, ["1.2.826.0.1.1", "1.2.826.0.1.2"]),
    ({"StudyDate": "-20240101"}, ["1.2.826.0.2.1"]),
    ({"StudyDate": "20240101-20240131"}, ["1.2.826.0.1.1"]),
    ({"StudyTime": "1000-1200"}, ["1.2.826.0.1.1"]),
    ({"StudyDate": "20231231-20240115", "StudyTime": "2300-"}, ["1.2.826.0.2.1"]),
    ({"StudyInstanceUID": ["1.2.826.0.1.2", "1.2.826.0.2.1"]},
     ["1.2.826.0.1.2", "1.2.826.0.2.1"]),
    ({"ModalitiesInStudy": "MR"}, ["1.2.826.0.1.1", "1.2.826.0.2.1"]),
    ({"ModalitiesInStudy": ["PT", "CT"]}, ["1.2.826.0.1.1", "1.2.826.0.1.2"]),
    ({"AccessionNumber": "ACCPID-?"}, ["1.2.826.0.1.1", "1.2.826.0.1.2", "1.2.826.0.2.1"]),
    ({"PatientName": "*"}, ["1.2.826.0.1.1", "1.2.826.0.1.2", "1.2.826.0.2.1"]),
    ({"PatientName": "Nobody"}, []),
])
def test_matching_through_the_archive(filled, keys, expected):
    found = list(filled.find(_q("STUDY", **{"StudyInstanceUID": "", **keys})))
    assert _values(found, "StudyInstanceUID") == expected


def test_combined_datetime_through_the_archive(filled):
    query = _q("STUDY", StudyInstanceUID="", StudyDate="20231231-20240301",
               StudyTime="2300-0900")
    assert _values(filled.find(query), "StudyInstanceUID") == []  # 23:00 > 09:00 each day
    found = filled.find(query, combined_datetime=True)
    assert _values(found, "StudyInstanceUID") == ["1.2.826.0.1.1", "1.2.826.0.1.2",
                                                  "1.2.826.0.2.1"]


def test_keys_without_a_column_are_matched_on_the_file(archive, incoming):
    archive.add(_file(incoming, BodyPartExamined="CHEST",
                      ProcedureCodeSequence=[_q(CodeValue="T-1", CodeMeaning="Thorax")]))
    archive.add(_file(incoming, study="1.2.826.0.5", series="1.2.826.0.5.1",
                      BodyPartExamined="HEAD"))
    found = list(archive.find(_q("SERIES", SeriesInstanceUID="", BodyPartExamined="CH*"),
                              relational=True))
    assert _values(found, "BodyPartExamined") == ["CHEST"]
    found = list(archive.find(_q("STUDY", StudyInstanceUID="",
                                 ProcedureCodeSequence=[_q(CodeValue="T-1", CodeMeaning="")])))
    assert len(found) == 2  # the HEAD study has no sequence: unknown matches (C.2.2.1.2)
    chest = next(r for r in found if r.StudyInstanceUID == "1.2.826.0.1.1")
    assert chest.ProcedureCodeSequence[0].CodeMeaning == "Thorax"
    # the C-FIND SCP's encoded identifiers take the same (file) path: the same bytes
    from dicomcore.dataset.encode import encode_dataset_bytes
    for query, relational in ((_q("SERIES", SeriesInstanceUID="", BodyPartExamined="CH*"),
                               True),
                              (_q("STUDY", StudyInstanceUID="", ProcedureCodeSequence=[
                                  _q(CodeValue="T-1", CodeMeaning="")]), False)):
        for explicit in (True, False):
            assert list(archive.find_encoded(query, relational=relational,
                                             explicit=explicit)) == \
                [encode_dataset_bytes(ds, True, explicit)
                 for ds in archive.find(query, relational=relational)]


def test_keys_below_the_level_are_ignored(filled):
    found = list(filled.find(_q("STUDY", StudyInstanceUID="", Modality="MR", SOPInstanceUID="")))
    assert len(found) == 3
    assert all("Modality" not in r and "SOPInstanceUID" not in r for r in found)


def test_unicode_names(archive, incoming):
    archive.add(_file(incoming, name="Müller^Jürgen", patient_id="PID-Ü"))
    found = list(archive.find(_q("PATIENT", PatientID="", PatientName="MÜLLER*"),
                              model="patient"))
    assert len(found) == 1 and found[0].SpecificCharacterSet == "ISO_IR 192"
    assert found[0].PatientName == "Müller^Jürgen"


# --- retrieval ----------------------------------------------------------------------------

@pytest.mark.parametrize("level, keys, count", [
    ("PATIENT", {"PatientID": "PID-1"}, 5),
    ("STUDY", {"StudyInstanceUID": "1.2.826.0.1.1"}, 4),
    ("STUDY", {"StudyInstanceUID": ["1.2.826.0.1.2", "1.2.826.0.2.1"]}, 2),
    ("SERIES", {"StudyInstanceUID": "1.2.826.0.1.1", "SeriesInstanceUID": "1.2.826.0.1.1.2"}, 1),
])
def test_instances(filled, level, keys, count):
    model = "patient" if level == "PATIENT" else "study"
    found = list(filled.instances(_q(level, **keys), model=model))
    assert len(found) == count
    for sop_class, sop_instance, ts, path in found:
        assert os.path.isfile(path) and ts == "1.2.840.10008.1.2.1"
        header = dicomcore.read(path, stop_before_pixels=True)
        assert header.SOPInstanceUID == sop_instance and header.SOPClassUID == sop_class


def test_instances_need_the_unique_key(filled):
    with pytest.raises(QueryError):
        filled.instances(_q("STUDY", StudyInstanceUID=""))
    with pytest.raises(QueryError):  # hierarchical: the study is missing
        filled.instances(_q("IMAGE", SOPInstanceUID="1.2"))
    sop = next(filled.find(_q("IMAGE", SOPInstanceUID=""), relational=True)).SOPInstanceUID
    found = list(filled.instances(_q("IMAGE", SOPInstanceUID=sop), relational=True))
    assert [f[1] for f in found] == [sop]


# --- files, duplicates, restart -----------------------------------------------------------

def test_add_moves_the_file_under_sanitised_uid_names(archive, incoming):
    source = _file(incoming, sop="1.2.3.4")
    stored = archive.add(source)
    assert not os.path.exists(source)
    assert stored == os.path.join(archive.folder, "1.2.826.0.1.1", "1.2.826.0.1.1.1",
                                  "1.2.3.4.dcm")
    assert archive.path_of("1.2.3.4") == stored
    copied = archive.add(_file(incoming, sop="1.2.3.5"), copy=True)
    assert len(os.listdir(incoming)) == 1  # the copied source stays
    assert os.path.isfile(copied)


def test_hostile_uids_stay_inside_the_folder(archive, incoming):
    stored = archive.add(_file(incoming, sop="../../../etc/passwd", study="..",
                               series="/abs/path"))
    assert os.path.commonpath([stored, archive.folder]) == archive.folder
    assert ".." not in os.path.relpath(stored, archive.folder).split(os.sep)
    other = archive.add(_file(incoming, sop="../../../etc/passwd_", study="..",
                              series="/abs/path"))
    assert other != stored  # two UIDs that clean to one name get different names


def test_files_without_uids_are_refused(archive, incoming):
    path = _file(incoming)
    ds = dicomcore.read(path)
    del ds.StudyInstanceUID
    dicomcore.write(path, ds)
    with pytest.raises(ArchiveError):
        archive.add(path)
    with pytest.raises(ArchiveError):
        archive.add(str(incoming / "missing.dcm"))
    assert len(archive) == 0


def test_duplicate_replaces(archive, incoming):
    first = archive.add(_file(incoming, sop="1.9.1", name="Old^Name"))
    second = archive.add(_file(incoming, sop="1.9.1", name="New^Name"))
    assert len(archive) == 1
    assert first != second and not os.path.exists(first) and os.path.isfile(second)
    assert dicomcore.read(second).PatientName == "New^Name"
    found = list(archive.find(_q("PATIENT", PatientID="", PatientName=""), model="patient"))
    assert [r.PatientName for r in found] == ["New^Name"]
    third = archive.add(_file(incoming, sop="1.9.1", study="1.2.826.0.7",
                              series="1.2.826.0.7.1"))  # the instance moved study
    assert len(archive) == 1 and os.path.isfile(third) and not os.path.exists(second)
    studies = list(archive.find(_q("STUDY", StudyInstanceUID="")))
    assert _values(studies, "StudyInstanceUID") == ["1.2.826.0.7"]  # the empty one is gone
    assert list(archive.orphans()) == []


def test_duplicate_keep(tmp_path, incoming):
    archive = Archive(str(tmp_path / "keep"), on_duplicate="keep")
    first = archive.add(_file(incoming, sop="1.9.2", name="Old^Name"))
    source = _file(incoming, sop="1.9.2", name="New^Name")
    assert archive.add(source) == first
    assert not os.path.exists(source)  # discarded
    assert dicomcore.read(first).PatientName == "Old^Name" and len(archive) == 1


def test_duplicate_reject(tmp_path, incoming):
    archive = Archive(str(tmp_path / "reject"), on_duplicate="reject")
    first = archive.add(_file(incoming, sop="1.9.3"))
    source = _file(incoming, sop="1.9.3")
    with pytest.raises(DuplicateInstanceError) as caught:
        archive.add(source)
    assert caught.value.path == first and os.path.exists(source) and len(archive) == 1
    with pytest.raises(ValueError):
        Archive(str(tmp_path / "x"), on_duplicate="sometimes")


def test_restart_finds_everything(tmp_path, incoming):
    folder = str(tmp_path / "restart")
    with Archive(folder) as archive:
        paths = [archive.add(_file(incoming, number=n)) for n in range(5)]
    with Archive(folder) as again:
        assert len(again) == 5
        found = list(again.instances(_q("STUDY", StudyInstanceUID="1.2.826.0.1.1")))
        assert sorted(f[3] for f in found) == sorted(paths)
        again.add(_file(incoming, number=9))
        assert len(again) == 6
    db = sqlite3.connect(os.path.join(folder, "index.sqlite"))
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- crash consistency --------------------------------------------------------------------

def test_failure_before_commit_leaves_no_row_and_restores_the_file(archive, incoming,
                                                                    monkeypatch):
    source = _file(incoming, sop="1.9.4")

    def crash(self, db):
        raise OSError("simulated crash after the file was moved")
    monkeypatch.setattr(Archive, "_prune", crash)
    with pytest.raises(OSError):
        archive.add(source)
    assert os.path.exists(source)  # given back
    assert len(archive) == 0 and archive.path_of("1.9.4") is None
    assert list(archive.orphans()) == []
    monkeypatch.undo()
    assert os.path.isfile(archive.add(source))


def test_failed_replace_keeps_the_old_instance(archive, incoming, monkeypatch):
    first = archive.add(_file(incoming, sop="1.9.5", name="Old^Name"))
    source = _file(incoming, sop="1.9.5", name="New^Name")
    real_replace = os.replace

    def crash_after(src, dst):
        real_replace(src, dst)
        if dst.endswith(".dcm") and "incoming" not in dst:
            raise OSError("simulated crash right after the rename")
    monkeypatch.setattr(archive_module.os, "replace", crash_after)
    with pytest.raises(OSError):
        archive.add(source)
    monkeypatch.undo()
    assert archive.path_of("1.9.5") == first
    assert dicomcore.read(first).PatientName == "Old^Name"  # the row's file is its file
    assert len(archive) == 1


def test_orphans_are_listed(archive, incoming):
    archive.add(_file(incoming))
    stray = os.path.join(archive.folder, "1.2.826.0.1.1", "stray.dcm")
    with open(stray, "wb") as f:
        f.write(b"x")
    assert list(archive.orphans()) == [stray]


# --- hostile values, concurrency, streaming ----------------------------------------------

def test_sql_injection_looking_values_are_data(archive, incoming):
    evil = "'; DROP TABLE study; --"
    archive.add(_file(incoming, name=evil, patient_id=evil, StudyDescription=evil + "%_"))
    found = list(archive.find(_q("STUDY", StudyInstanceUID="", PatientName=evil,
                                 PatientID=evil + "*", StudyDescription="")))
    assert len(found) == 1 and found[0].PatientName == evil
    assert list(archive.find(_q("STUDY", StudyInstanceUID="", StudyDescription="%"))) == []
    assert list(archive.find(_q("STUDY", StudyInstanceUID="", PatientID="' OR '1'='1"))) == []
    tables = {row[0] for row in sqlite3.connect(archive.db_path).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"patient", "study", "series", "instance"} <= tables


def test_twenty_threads_add_and_query_concurrently(tmp_path, incoming):
    archive = Archive(str(tmp_path / "busy"))
    per_thread = 10
    sources = [[_file(incoming, study=f"1.2.826.0.{t}", series=f"1.2.826.0.{t}.1",
                      patient_id=f"P{t % 4}", number=n) for n in range(per_thread)]
               for t in range(20)]
    errors = []
    start = threading.Barrier(20)

    def work(files):
        try:
            start.wait()
            for path in files:
                archive.add(path)
                list(archive.find(_q("STUDY", StudyInstanceUID="", PatientID="P*")))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(files,)) for files in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and not any(t.is_alive() for t in threads)
    assert len(archive) == 20 * per_thread
    assert len(list(archive.find(_q("STUDY", StudyInstanceUID="")))) == 20
    patients = list(archive.find(_q("PATIENT", PatientID="", NumberOfPatientRelatedInstances=""),
                                 model="patient"))
    assert sorted(int(p.NumberOfPatientRelatedInstances) for p in patients) == [50] * 4
    archive.close()


def test_a_thousand_matches_stream(tmp_path, incoming):
    archive = Archive(str(tmp_path / "many"), durable=False)
    for n in range(1000):
        archive.add(_file(incoming, number=n))
    query = _q("IMAGE", StudyInstanceUID="1.2.826.0.1.1", SeriesInstanceUID="1.2.826.0.1.1.1",
               SOPInstanceUID="", InstanceNumber="")
    results = archive.find(query)
    assert isinstance(results, collections.abc.Iterator) and not isinstance(results, list)
    assert next(results).InstanceNumber == 0  # the first match before the rest is read
    assert sum(1 for _ in results) == 999

    def peak(consume) -> int:
        tracemalloc.start()
        consume(archive.find(query))
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return size
    streamed = peak(lambda it: collections.deque(it, maxlen=0))
    listed = peak(list)
    assert streamed * 4 < listed  # memory does not grow with the number of matches
    moved = archive.instances(_q("SERIES", StudyInstanceUID="1.2.826.0.1.1",
                                 SeriesInstanceUID="1.2.826.0.1.1.1"))
    assert isinstance(moved, collections.abc.Iterator) and sum(1 for _ in moved) == 1000


def test_a_finished_threads_connection_serves_the_next_thread(archive):
    seen = []

    def query() -> None:
        seen.append(archive._db())
        assert len(archive) == 0

    for _ in range(3):  # one association's thread after another
        thread = threading.Thread(target=query)
        thread.start()
        thread.join(10)
    assert len({id(db) for db in seen}) == 1
    archive.close()
    with pytest.raises(sqlite3.ProgrammingError):  # closed, idle ones included
        seen[0].execute("SELECT 1")
