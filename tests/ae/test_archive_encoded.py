"""``Archive.find_encoded``: identifiers written straight from index rows must be the
bytes the general path (``find`` + ``encode_dataset``) gives, for any stored values,
keys, level, model and VR encoding; and the fast path must really be taken."""
from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import dicomcore
from dicomcore import Dataset
from dicomcore.ae.archive import COLUMNS, Archive
from dicomcore.ae.matching import QueryError
from dicomcore.ae.rows import sql_decides
from dicomcore.dataset.decode import decode_dataset
from dicomcore.dataset.encode import encode_dataset
from dicomcore.errors import DicomError

CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
LEVELS = ("PATIENT", "STUDY", "SERIES", "IMAGE")
# stored IS values that are not numbers ("x", "1.5") are kept as text, with a warning
pytestmark = pytest.mark.filterwarnings("ignore::dicomcore.errors.DecodeWarning")

# Values as SCUs and modalities send them: ASCII mostly, sometimes not, empty, padded,
# multi-valued, odd and even lengths, wild-card characters stored as data.
_text = st.text(alphabet="ABCabc019 ^.-_*?é", max_size=9)
_pn = st.one_of(_text, st.lists(_text, min_size=2, max_size=3).map("\\".join))
_cs = st.sampled_from(["", "CT", "MR", "OT", "SR", "CT\\MR"])
_date = st.sampled_from(["", "20240131", "19991231", "2024", "20240230", "20240101"])
_time = st.sampled_from(["", "120000", "0800", "235959.123", "1", "99"])
_number = st.sampled_from(["", "1", "42", "-7", "007", "1.5", "x"])
_instance = st.fixed_dictionaries({
    "PatientID": st.sampled_from(["P1", "P2", "P 3", "Pé"]), "PatientName": _pn,
    "PatientBirthDate": _date, "PatientSex": st.sampled_from(["", "M", "F", "O"]),
    "study": st.integers(0, 2), "series": st.integers(0, 1),
    "StudyDate": _date, "StudyTime": _time, "AccessionNumber": _text, "StudyID": _text,
    "StudyDescription": _text, "ReferringPhysicianName": _pn,
    "Modality": _cs, "SeriesNumber": _number, "SeriesDescription": _text,
    "InstanceNumber": _number, "SOPClassUID": st.sampled_from([CT, MR]),
})

_RETURN = {  # return keys per level (each query asks for its level's and those above)
    "PATIENT": ["PatientID", "PatientName", "PatientBirthDate", "PatientSex",
                "NumberOfPatientRelatedStudies", "NumberOfPatientRelatedInstances"],
    "STUDY": ["StudyInstanceUID", "StudyDate", "StudyTime", "AccessionNumber", "StudyID",
              "StudyDescription", "ReferringPhysicianName", "ModalitiesInStudy",
              "SOPClassesInStudy", "NumberOfStudyRelatedSeries",
              "NumberOfStudyRelatedInstances"],
    "SERIES": ["SeriesInstanceUID", "Modality", "SeriesNumber", "SeriesDescription",
               "NumberOfSeriesRelatedInstances"],
    "IMAGE": ["SOPInstanceUID", "SOPClassUID", "InstanceNumber"],
}
_MATCH = st.sampled_from([
    {}, {"PatientID": "P1"}, {"PatientName": "A*"}, {"PatientName": "a^b"},
    {"Modality": "CT"}, {"Modality": ["CT", "MR"]}, {"StudyDate": "20240101-"},
    {"StudyDate": "20240131", "StudyTime": "-1300"}, {"StudyDescription": "?B*"},
    {"InstanceNumber": "42"}, {"SeriesNumber": "1"}, {"ModalitiesInStudy": "MR"},
    {"AccessionNumber": "A"}, {"PatientSex": "M"},
])


def _write(folder: str, n: int, values: dict) -> str:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPInstanceUID = f"1.2.826.0.1.3680043.10.1078.99.3.{n}"
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.10.1078.99.1.{values['study']}"
    ds.SeriesInstanceUID = (f"1.2.826.0.1.3680043.10.1078.99.2.{values['study']}."
                            f"{values['series']}")
    for keyword, value in values.items():
        if keyword not in ("study", "series"):
            setattr(ds, keyword, value)
    path = os.path.join(folder, f"in-{n}.dcm")
    dicomcore.write(path, ds)
    return path


def _query(level: str, match: dict, with_uids: dict) -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level
    for lv in LEVELS[:LEVELS.index(level) + 1]:
        for keyword in _RETURN[lv]:
            setattr(ds, keyword, "")
    for keyword, value in {**with_uids, **match}.items():
        setattr(ds, keyword, value)
    return ds


def _general(archive: Archive, query: Dataset, explicit: bool, **options) -> list:
    return [b"".join(encode_dataset(found, True, explicit))
            for found in archive.find(query, **options)]


def _same(archive: Archive, query: Dataset, explicit: bool, **options) -> list:
    try:
        expected = _general(archive, query, explicit, **options)
    except (QueryError, DicomError) as exc:
        with pytest.raises(type(exc)):
            list(archive.find_encoded(query, explicit=explicit, **options))
        return []
    got = list(archive.find_encoded(query, explicit=explicit, **options))
    assert got == expected
    return got


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(instances=st.lists(_instance, min_size=1, max_size=4),
       level=st.sampled_from(LEVELS), match=_MATCH, explicit=st.booleans(),
       model=st.sampled_from(["study", "patient"]), combined=st.booleans(),
       hierarchical=st.booleans())
def test_encoded_identifiers_are_the_general_encoders_bytes(instances, level, match,
                                                            explicit, model, combined,
                                                            hierarchical):
    if model == "study" and level == "PATIENT":
        level = "STUDY"
    with tempfile.TemporaryDirectory() as tmp:
        with Archive(os.path.join(tmp, "a"), durable=False) as archive:
            for n, values in enumerate(instances):
                archive.add(_write(tmp, n, values))
            first = instances[0]
            uids = {}
            if hierarchical:  # C.4.1.2.1: one value of each unique key above the level
                uids = {"PatientID": first["PatientID"],
                        "StudyInstanceUID": f"1.2.826.0.1.3680043.10.1078.99.1.{first['study']}",
                        "SeriesInstanceUID": f"1.2.826.0.1.3680043.10.1078.99.2."
                                             f"{first['study']}.{first['series']}"}
                depth = LEVELS.index(level)
                keep = {"PatientID": model == "patient" and depth > 0,
                        "StudyInstanceUID": depth > 1, "SeriesInstanceUID": depth > 2}
                uids = {k: v for k, v in uids.items() if keep[k]}
            query = _query(level, match, uids)
            got = _same(archive, query, explicit, model=model,
                        relational=not hierarchical, combined_datetime=combined)
            event("identifiers found" if got else "none found")
            for data in got:  # and they decode to identifiers of the right level
                ds, _ = decode_dataset(data, True, explicit)
                assert str(ds.QueryRetrieveLevel) == level


@pytest.fixture
def bench_like(tmp_path):
    """Two studies of five ASCII instances: the shape of ``python -m bench qr``."""
    incoming = tmp_path / "in"
    incoming.mkdir()
    with Archive(str(tmp_path / "a"), durable=False) as archive:
        for n in range(10):
            archive.add(_write(str(incoming), n, {
                "PatientID": f"P{n // 5}", "PatientName": f"Bench^P{n // 5}",
                "study": n // 5, "series": 0, "StudyDate": "20240131",
                "Modality": "OT", "InstanceNumber": str(n), "SOPClassUID": CT}))
        yield archive


def test_plain_queries_take_the_row_path(bench_like, monkeypatch):
    study = "1.2.826.0.1.3680043.10.1078.99.1.1"
    image = _query("IMAGE", {}, {"StudyInstanceUID": study,
                                 "SeriesInstanceUID": "1.2.826.0.1.3680043.10.1078.99.2.1.0"})
    studies = _query("STUDY", {}, {})
    expected = {id(q): _general(bench_like, q, True) for q in (image, studies)}

    def refuse(*args, **kwargs):
        raise AssertionError("a plain query built a candidate Dataset")

    monkeypatch.setattr(Archive, "_candidate", refuse)
    for q in (image, studies):
        got = list(bench_like.find_encoded(q))
        assert got == expected[id(q)] and len(got) == (5 if q is image else 2)


def test_keys_sql_cannot_decide_are_matched_again(bench_like, monkeypatch):
    seen = []
    original = Archive._candidate

    def counting(self, plan, row):
        seen.append(row)
        return original(self, plan, row)

    monkeypatch.setattr(Archive, "_candidate", counting)
    query = _query("STUDY", {"PatientName": "bench*"}, {})  # PN: LIKE, then Python
    assert list(bench_like.find_encoded(query)) == _general(bench_like, query, True)
    assert seen  # re-checked in Python
    assert not sql_decides(query, COLUMNS, False)
    assert sql_decides(_query("IMAGE", {}, {
        "StudyInstanceUID": "1.2", "SeriesInstanceUID": "1.3"}), COLUMNS, False)


def test_non_ascii_row_goes_the_general_way(tmp_path):
    incoming = tmp_path / "in"
    incoming.mkdir()
    with Archive(str(tmp_path / "a"), durable=False) as archive:
        archive.add(_write(str(incoming), 0, {"PatientID": "P1", "PatientName": "Müller^Jürgen",
                                              "study": 0, "series": 0, "SOPClassUID": CT}))
        archive.add(_write(str(incoming), 1, {"PatientID": "P2", "PatientName": "Plain^Ann",
                                              "study": 1, "series": 0, "SOPClassUID": CT}))
        query = _query("STUDY", {}, {})
        got = list(archive.find_encoded(query))
        assert got == _general(archive, query, True)
        first, _ = decode_dataset(got[0], True, True)
        assert str(first.SpecificCharacterSet) == "ISO_IR 192"
        assert str(first.PatientName) == "Müller^Jürgen"
        second, _ = decode_dataset(got[1], True, True)
        assert "SpecificCharacterSet" not in second


def test_find_encoded_streams(bench_like):
    query = _query("IMAGE", {}, {"StudyInstanceUID": "1.2.826.0.1.3680043.10.1078.99.1.0",
                                 "SeriesInstanceUID": "1.2.826.0.1.3680043.10.1078.99.2.0.0"})
    found = bench_like.find_encoded(query)
    assert not isinstance(found, (list, tuple))
    assert isinstance(next(found), bytes)
    found.close()
    with pytest.raises(QueryError):  # planned when called, as ``find`` is
        bench_like.find_encoded(_query("IMAGE", {}, {}))


def test_planned_queries_are_kept_by_their_values(bench_like):
    """Asked again, a query is not planned again; one differing in a value is."""
    def image(study: int) -> Dataset:
        return _query("IMAGE", {}, {
            "StudyInstanceUID": f"1.2.826.0.1.3680043.10.1078.99.1.{study}",
            "SeriesInstanceUID": f"1.2.826.0.1.3680043.10.1078.99.2.{study}.0"})

    first = list(bench_like.find_encoded(image(0)))
    planned = len(bench_like._plans)
    assert list(bench_like.find_encoded(image(0))) == first
    assert len(bench_like._plans) == planned
    other = list(bench_like.find_encoded(image(1)))
    assert len(bench_like._plans) == planned + 1
    assert other == _general(bench_like, image(1), True) and other != first
    assert list(bench_like.find_encoded(image(0), explicit=False)) == \
        _general(bench_like, image(0), False)
    for n in range(100):  # bounded
        list(bench_like.find_encoded(_query("STUDY", {"StudyID": str(n)}, {})))
    assert len(bench_like._plans) <= 64
