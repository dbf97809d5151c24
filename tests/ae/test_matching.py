"""PS3.4 C.2.2.2 attribute matching: one row per rule and edge case, each row checked by
the Python matcher and by its SQL translation run on sqlite3; plus hypothesis."""
from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings, strategies as st

from dicomcore import Dataset
from dicomcore.ae.matching import (Column, QueryError, index_key, index_value, match_dataset,
                                   matches, normalise_pn, return_keys, sortable, to_sql)
from dicomcore.dataset import dictionary

# A keyword for each VR the rows use (the SQL check needs a column per keyword).
KEYWORD = {"PN": "PatientName", "DA": "StudyDate", "TM": "StudyTime",
           "DT": "AcquisitionDateTime", "UI": "StudyInstanceUID", "CS": "Modality",
           "LO": "PatientID", "SH": "AccessionNumber", "IS": "SeriesNumber",
           "DS": "PatientWeight", "AS": "PatientAge", "LT": "AdditionalPatientHistory"}

# (key, candidate, vr, expected, why)
ROWS = [
    # C.2.2.2.1 single value matching
    ("CT", "CT", "CS", True, "single value, equal"),
    ("CT", "MR", "CS", False, "single value, different"),
    ("ct", "CT", "CS", False, "case-sensitive outside PN"),
    ("Smith", "SMITH", "PN", True, "PN case-insensitive"),
    ("Smith^John", "Smith^John^^^", "PN", True, "PN trailing empty components"),
    ("Smith^John", "Smith^John==", "PN", True, "PN trailing empty groups"),
    ("Smith", "Smith^John", "PN", False, "PN single value is the whole name"),
    ("Müller", "MÜLLER", "PN", True, "PN case folding beyond ASCII"),
    ("1.2.3", "1.2.3", "UI", True, "UID equal"),
    ("1.2.3", "1.2.30", "UI", False, "UID is not a prefix match"),
    ("042Y", "042Y", "AS", True, "AS equal"),
    ("7", "7", "IS", True, "IS equal"),
    ("7", "07", "IS", True, "IS by value"),
    ("1.5", "1.50", "DS", True, "DS by value"),
    ("1.5", "1.51", "DS", False, "DS different"),
    ("20240101", "20240101", "DA", True, "DA equal"),
    ("20240101", "2024.01.01", "DA", True, "DA ACR-NEMA form"),
    ("2230", "223000", "TM", True, "TM by meaning (C.2.2.2.1 note 1)"),
    ("2230", "223001", "TM", False, "TM single value is exact"),
    ("19980128103000.0000", "19980128103000", "DT", True, "DT fraction (note 1)"),
    ("19980128103000", "19980128073000-0300", "DT", True, "DT with offset (note 1)"),
    ("20240101120000+0100", "20240101110000+0000", "DT", True, "DT offsets compared in UTC"),
    ("20240101120000+0100", "20240101120000+0000", "DT", False, "DT offset differs"),
    # C.2.2.2.3 universal matching
    ("", "anything", "LO", True, "empty key is universal"),
    (None, "anything", "LO", True, "absent value is universal"),
    ("", "", "DA", True, "empty key, empty candidate"),
    ("*", "whatever", "LO", True, "'*' is universal"),
    ("*", "", "LO", True, "'*' matches an empty value"),
    ("*", "20240101", "DA", True, "'*' alone is universal for any VR"),
    ("*", "1.2", "UI", True, "'*' alone is universal for UI too"),
    # C.2.2.1.2: an unknown (zero length) value matches
    ("CT", "", "CS", True, "empty candidate is unknown: matches"),
    ("20240101-", None, "DA", True, "absent candidate date is unknown"),
    # C.2.2.2.4 wild cards
    ("Smith*", "SMITH^JOHN", "PN", True, "'Smith*' vs 'SMITH^JOHN' (PN case)"),
    ("Sm?th", "Smith", "PN", True, "'?' is one character"),
    ("Sm?th", "Smth", "PN", False, "'?' is exactly one character"),
    ("Sm?th", "Smiith", "PN", False, "'?' is not two characters"),
    ("M?ller", "Müller", "PN", True, "'?' is one character, not one byte"),
    ("*son", "Johnson", "LO", True, "leading '*'"),
    ("J*n*n", "Johnson", "LO", True, "several '*'"),
    ("J*n*x", "Johnson", "LO", False, "several '*', no match"),
    ("ab*", "AB12", "LO", False, "wild cards case-sensitive outside PN"),
    ("C?", "CT", "CS", True, "CS takes wild cards"),
    ("1.2.*", "1.2.3", "UI", False, "no wild cards for UI (C.2.2.2.4)"),
    ("1.2.*", "1.2.*", "UI", True, "'*' in a UID is literal"),
    ("100%", "100%", "LO", True, "literal %"),
    ("100%", "1000", "LO", False, "% is not a wild card"),
    ("a_c", "abc", "LO", False, "_ is not a wild card"),
    ("a_c*", "a_cdef", "LO", True, "literal _ with '*'"),
    ("a%?", "a%b", "PN", True, "literal % with '?' (LIKE path)"),
    ("a%?", "abb", "PN", False, "literal % is escaped in LIKE"),
    ("a_*", "abc", "PN", False, "literal _ is escaped in LIKE"),
    ("[ab]*", "[ab]c", "LO", True, "literal [ in GLOB"),
    ("[ab]*", "ac", "LO", False, "[ is not a character class"),
    ("x\\\\*", "x\\\\y", "LT", True, "backslash in a single-valued VR"),
    # C.2.2.2.5 range matching
    ("20240101-", "20240101", "DA", True, "open range includes its start"),
    ("20240101-", "20231231", "DA", False, "open range excludes before"),
    ("20240101-", "29991231", "DA", True, "open range, far future"),
    ("-20240101", "20240101", "DA", True, "'-date' includes the date"),
    ("-20240101", "20240102", "DA", False, "'-date' excludes after"),
    ("20240101-20240131", "20240115", "DA", True, "closed range inside"),
    ("20240101-20240131", "20240131", "DA", True, "closed range upper bound inclusive"),
    ("20240101-20240131", "20240201", "DA", False, "closed range outside"),
    ("20240131-20240101", "20240115", "DA", False, "reversed range matches nothing"),
    ("20240101 - 20240131", "20240110", "DA", True, "spaces around '-'"),
    ("20240101-20240131", "garbage", "DA", False, "unparsable candidate date"),
    ("1000-1200", "1100", "TM", True, "time range inside"),
    ("1000-1200", "1000", "TM", True, "time range lower bound"),
    ("1000-1200", "115959.999", "TM", True, "time range just before the end"),
    ("1000-1200", "120059", "TM", True, "partial upper bound covers its minute"),
    ("1000-1200", "120100", "TM", False, "time range after"),
    ("1000-1200", "0959", "TM", False, "time range before"),
    ("-10", "105959", "TM", True, "hour upper bound covers the hour"),
    ("10:00-12:00", "1100", "TM", True, "ACR-NEMA colons tolerated"),
    ("20240101-20240102", "20240102235959", "DT", True, "DT upper date covers the day"),
    ("20240101-20240102", "20240103", "DT", False, "DT after"),
    ("-2024", "20241231235959.999999", "DT", True, "DT year upper bound"),
    ("202402-202402", "20240229", "DT", True, "DT month covers the leap day"),
    ("20240101120000+0100-20240101130000+0100", "20240101110000+0000", "DT", True,
     "DT range with offsets"),
    ("20240101120000+0100-20240101130000+0100", "20240101130000+0000", "DT", False,
     "DT range with offsets, outside in UTC"),
    ("20240101120000-0500-", "20240101170000", "DT", True, "negative offset in a bound"),
    ("20240101120000-0500-", "20240101165959", "DT", False, "negative offset, before"),
    # C.2.2.2.2 list of UID matching (and lists for other VRs)
    (["1.2", "1.3"], "1.3", "UI", True, "list of UIDs"),
    (["1.2", "1.3"], "1.4", "UI", False, "list of UIDs, none"),
    (["CT", "MR"], "MR", "CS", True, "list of values, any"),
    (["20240101", "20240301-"], "20240405", "DA", True, "list of date and range"),
    # C.2.2.3 multi-valued candidate
    ("MR", ["CT", "MR"], "CS", True, "any candidate value"),
    ("P*", ["CT", "MR"], "CS", False, "no candidate value"),
    ("smith", ["Jones", "SMITH"], "PN", True, "any candidate name"),
]

MULTI_ROWS = {"any candidate value", "no candidate value", "any candidate name"}

ERRORS = [("2024*", "DA"), ("2024-13-01", "DA"), ("20241301", "DA"), ("abc", "TM"), ("1*", "IS"),
          ("x", "DS"), ("2024010112-", "TM"), ("20240101--", "DA")]


@pytest.mark.parametrize("key, value, vr, expected, why", ROWS, ids=[r[4] for r in ROWS])
def test_python_matcher(key, value, vr, expected, why):
    assert matches(key, value, vr) is expected


# A multi-valued candidate needs a multi column: see test_sql_multi_valued_column.
SQL_ROWS = [row for row in ROWS if row[4] not in MULTI_ROWS]


@pytest.mark.parametrize("key, value, vr, expected, why", SQL_ROWS, ids=[r[4] for r in SQL_ROWS])
def test_sql_agrees(key, value, vr, expected, why):
    assert _sql_matches(key, value, vr) is expected


@pytest.mark.parametrize("key, value, expected", [
    ("Smith", "SMITH", False), ("Smith", "Smith", True), ("Sm*", "SMITH", False),
    ("sm?th", "smith", True)])
def test_pn_case_sensitive_when_asked(key, value, expected):
    assert matches(key, value, "PN", case_insensitive_pn=False) is expected
    assert _sql_matches(key, value, "PN", case_insensitive_pn=False) is expected


@pytest.mark.parametrize("key, vr", ERRORS)
def test_keys_that_cannot_be_understood(key, vr):
    with pytest.raises(QueryError) as caught:
        matches(key, "x", vr)
    assert caught.value.status == 0xA900
    with pytest.raises(QueryError):
        _sql_matches(key, "x", vr)


def test_sortable_forms():
    assert sortable("2024", "DT") == "20240101000000.000000"
    assert sortable("2024", "DT", ceil=True) == "20241231235959.999999"
    assert sortable("202302", "DT", ceil=True) == "20230228235959.999999"
    assert sortable("12", "TM", ceil=True) == "125959.999999"
    assert sortable("120000.5", "TM", ceil=True) == "120000.599999"
    assert sortable("20240101000000+0100", "DT") == "20231231230000.000000"
    assert sortable("20240230", "DA") is None
    assert sortable("2460", "TM") is None


# --- whole identifiers ---------------------------------------------------------------

def _ds(**values) -> Dataset:
    ds = Dataset()
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    return ds


def test_match_dataset_skips_level_and_character_set():
    query = _ds(QueryRetrieveLevel="STUDY", SpecificCharacterSet="ISO_IR 192",
                TimezoneOffsetFromUTC="+0100", PatientName="Sm*")
    assert match_dataset(query, _ds(PatientName="Smith"))
    assert not match_dataset(query, _ds(PatientName="Jones"))


def test_every_key_must_match():
    query = _ds(PatientName="Sm*", Modality="CT")
    assert match_dataset(query, _ds(PatientName="Smith", Modality="CT"))
    assert not match_dataset(query, _ds(PatientName="Smith", Modality="MR"))


def test_sequence_matching():
    code = _ds(CodeValue="T-1", CodingSchemeDesignator="SRT")
    other = _ds(CodeValue="T-2", CodingSchemeDesignator="SRT")
    candidate = _ds(ProcedureCodeSequence=[other, code])
    assert match_dataset(_ds(ProcedureCodeSequence=[_ds(CodeValue="T-1")]), candidate)
    assert match_dataset(_ds(ProcedureCodeSequence=[_ds(CodeValue="T-?")]), candidate)
    assert not match_dataset(_ds(ProcedureCodeSequence=[_ds(CodeValue="T-3")]), candidate)
    # all item keys must match the same item
    assert not match_dataset(_ds(ProcedureCodeSequence=[
        _ds(CodeValue="T-1", CodingSchemeDesignator="DCM")]), candidate)
    assert match_dataset(_ds(ProcedureCodeSequence=[]), candidate)  # empty: universal
    assert match_dataset(_ds(ProcedureCodeSequence=[Dataset()]), candidate)  # empty item
    nested = _ds(ReferencedStudySequence=[_ds(ReferencedSOPInstanceUID="1.2")])
    assert match_dataset(nested, _ds(ReferencedStudySequence=[
        _ds(ReferencedSOPInstanceUID="1.2", ReferencedSOPClassUID="1.3")]))


def test_combined_datetime_matching():
    query = _ds(StudyDate="20060705-20060707", StudyTime="1000-1800")
    # July 6, 09:00 lies inside the combined period but outside 10-18h on each day
    july6_9h = _ds(StudyDate="20060706", StudyTime="0900")
    july5_9h = _ds(StudyDate="20060705", StudyTime="0900")
    assert not match_dataset(query, july6_9h)
    assert match_dataset(query, july6_9h, combined_datetime=True)
    assert not match_dataset(query, july5_9h, combined_datetime=True)
    assert match_dataset(query, _ds(StudyDate="20060707"), combined_datetime=True)
    # different forms of range are matched separately
    mixed = _ds(StudyDate="20060705-20060707", StudyTime="1000-")
    assert not match_dataset(mixed, july6_9h, combined_datetime=True)
    open_end = _ds(StudyDate="-20060706", StudyTime="-0800")
    assert match_dataset(open_end, july6_9h, combined_datetime=False) is False
    assert match_dataset(open_end, _ds(StudyDate="20060705", StudyTime="2300"),
                         combined_datetime=True)


def test_return_keys():
    query = _ds(QueryRetrieveLevel="STUDY", PatientName="", StudyDate="2024*",
                PatientBirthDate="", SpecificCharacterSet="ISO_IR 100")
    candidate = _ds(PatientName="Smith", StudyDate="20240101", Modality="CT")
    found = return_keys(query, candidate)
    assert found.QueryRetrieveLevel == "STUDY"
    assert found.PatientName == "Smith"
    assert found.PatientBirthDate == ""  # asked, unknown: empty
    assert "Modality" not in found  # not asked: not returned
    assert "SpecificCharacterSet" not in found  # ASCII only


def test_return_keys_sequences_and_charset():
    code1 = _ds(CodeValue="T-1", CodeMeaning="Thorax", CodingSchemeDesignator="SRT")
    code2 = _ds(CodeValue="T-2", CodeMeaning="Abdomen", CodingSchemeDesignator="SRT")
    candidate = _ds(ProcedureCodeSequence=[code1, code2], PatientName="Müller")
    found = return_keys(_ds(ProcedureCodeSequence=[_ds(CodeValue="T-2", CodeMeaning="")],
                            PatientName=""), candidate)
    items = found.ProcedureCodeSequence
    assert len(items) == 1 and items[0].CodeMeaning == "Abdomen"
    assert "CodingSchemeDesignator" not in items[0]  # only the requested attributes
    assert found.SpecificCharacterSet == "ISO_IR 192"  # a non-ASCII value
    whole = return_keys(_ds(ProcedureCodeSequence=[]), candidate)
    assert len(whole.ProcedureCodeSequence) == 2


# --- SQL --------------------------------------------------------------------------------

def _columns(keyword: str, multi: bool = False) -> dict:
    return {keyword: Column("v", "STUDY", None if multi else "k", multi=multi)}


def _sql_matches(key, value, vr, **options) -> bool:
    keyword = KEYWORD[vr]
    query = Dataset()
    query.add(dictionary.tag_for(keyword), vr, key)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (v TEXT NOT NULL, k)")
    db.execute("INSERT INTO t VALUES (?, ?)", (index_value(value, vr), index_key(value, vr)))
    where, params = to_sql(query, "STUDY", _columns(keyword), **options)
    return bool(db.execute(f"SELECT COUNT(*) FROM t WHERE {where}", params).fetchone()[0])


def test_values_never_reach_the_sql_text():
    query = _ds(PatientName="'; DROP TABLE study; --*", PatientID="x' OR '1'='1",
                StudyInstanceUID=["1.2", "1.3'--"], StudyDate="20240101-")
    columns = {"PatientName": Column("n", "PATIENT", "nk"), "PatientID": Column("p", "PATIENT"),
               "StudyInstanceUID": Column("u", "STUDY"), "StudyDate": Column("d", "STUDY", "dk")}
    where, params = to_sql(query, "STUDY", columns)
    for text in ("DROP", "'1'", "1.3", "2024"):
        assert text not in where
    assert where.count("?") == len(params)
    assert "'; drop table study; --%" in params
    assert "u = ?" in where and "1.3'--" in params


def test_sql_escapes_like_and_glob_wildcards():
    query = _ds(PatientName="100%_*")
    where, params = to_sql(query, "STUDY", {"PatientName": Column("n", "PATIENT", "nk")})
    assert "ESCAPE" in where and params == ["100\\%\\_%"]
    where, params = to_sql(_ds(PatientID="[x]*?"), "STUDY",
                           {"PatientID": Column("p", "PATIENT")})
    assert "GLOB" in where and params == ["[[]x]*?"]


def test_sql_leaves_other_keys_and_lower_levels():
    query = _ds(PatientName="A*", SeriesDescription="x", BodyPartExamined="CHEST")
    columns = {"PatientName": Column("n", "PATIENT", "nk"),
               "SeriesDescription": Column("s", "SERIES")}
    where, params = to_sql(query, "STUDY", columns)
    assert params == ["a%"]  # SeriesDescription is below STUDY, BodyPart not indexed
    assert to_sql(Dataset(), "STUDY", columns) == ("1", [])


def test_sql_multi_valued_column():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (v TEXT NOT NULL)")
    db.execute("INSERT INTO t VALUES (?)", (index_value(["CT", "MR"], "CS", multi=True),))
    columns = {"ModalitiesInStudy": Column("v", "STUDY", multi=True)}
    for key, expected in (("MR", True), ("PT", False), ("M?", True), (["PT", "CT"], True),
                          ("", True)):
        query = _ds(ModalitiesInStudy=key)
        where, params = to_sql(query, "STUDY", columns)
        found = db.execute(f"SELECT COUNT(*) FROM t WHERE {where}", params).fetchone()[0]
        assert bool(found) is expected is matches(key, ["CT", "MR"], "CS"), key


def test_sql_combined_datetime_agrees():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (id, d, dk, t, tk)")
    cases = [("20060706", "0900"), ("20060705", "0900"), ("20060707", ""), ("", "1200"),
             ("20060707", "1801"), ("20060708", "0000")]
    for n, (date, time) in enumerate(cases):
        db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", (n, date, index_key(date, "DA"),
                                                            time, index_key(time, "TM")))
    columns = {"StudyDate": Column("d", "STUDY", "dk"), "StudyTime": Column("t", "STUDY", "tk")}
    for query in (_ds(StudyDate="20060705-20060707", StudyTime="1000-1800"),
                  _ds(StudyDate="-20060706", StudyTime="-0800"),
                  _ds(StudyDate="20060706-", StudyTime="1000-")):
        where, params = to_sql(query, "STUDY", columns, combined_datetime=True)
        by_sql = {row[0] for row in db.execute(f"SELECT id FROM t WHERE {where}", params)}
        by_python = {n for n, (date, time) in enumerate(cases)
                     if match_dataset(query, _candidate(date, time), combined_datetime=True)}
        assert by_sql == by_python, query


def _candidate(date, time):
    ds = Dataset()
    if date:
        ds.StudyDate = date
    if time:
        ds.StudyTime = time
    return ds


# --- hypothesis -----------------------------------------------------------------------

_TEXT = st.text(alphabet="AbcMü%_[ ^=\\", min_size=0, max_size=6)
_DATES = st.dates().map(lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}")
_TIMES = st.times().map(lambda t: f"{t.hour:02d}{t.minute:02d}{t.second:02d}")
_TIMES_PARTIAL = st.sampled_from(["10", "1030", "103000", "103000.5", "235959", "00"])
_DT_VALUES = st.builds(lambda d, t, tz: d + t + tz, _DATES, _TIMES,
                       st.sampled_from(["", "+0100", "-0500", "+0000"]))
_VALUES = {"PN": _TEXT, "LO": _TEXT, "CS": st.sampled_from(["CT", "MR", "", "C"]),
           "UI": st.sampled_from(["1.2", "1.2.3", "1.3", ""]), "DA": _DATES | st.just(""),
           "TM": _TIMES | _TIMES_PARTIAL | st.just(""), "DT": _DT_VALUES | st.just(""),
           "IS": st.integers(-1000, 1000).map(str) | st.just("")}


def _stored():
    return st.fixed_dictionaries({vr: strat for vr, strat in _VALUES.items()})


def _text_key(value):
    """A key built from a value: itself, or with characters replaced by wild cards."""
    return st.lists(st.sampled_from(["keep", "?", "*"]), min_size=len(value),
                    max_size=len(value)).map(lambda ops: "".join(
                        c if op == "keep" else op for c, op in zip(value, ops)))


def _range_key(value, vr):
    if not value:
        return st.just("")
    # C.2.2.2.1 note 3: a DT with a negative offset is no single value ("-" means range)
    single = value + "-" + value if "-" in value else value
    return st.sampled_from([single, value + "-", "-" + value, value + "-" + value])


@st.composite
def _query_from(draw, stored):
    keys = {}
    for vr, value in stored.items():
        if draw(st.booleans()):
            continue
        if vr in ("PN", "LO"):
            value = value.strip(" ")  # as read: padding is not part of the value
            value = normalise_pn(value) if vr == "PN" else value
            keys[vr] = draw(_text_key(value) | st.just(value.upper() if vr == "PN" else value))
        elif vr in ("DA", "TM", "DT"):
            keys[vr] = draw(_range_key(value, vr))
        elif vr == "UI":
            keys[vr] = [value, "9.9"] if value and draw(st.booleans()) else value
        else:
            keys[vr] = value
    return keys


def _dataset_of(values: dict) -> Dataset:
    ds = Dataset()
    for vr, value in values.items():
        ds.add(dictionary.tag_for(KEYWORD[vr]), vr, value)
    return ds


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_query_from_own_values_matches(data):
    stored = data.draw(_stored())
    keys = data.draw(_query_from(stored))
    assert match_dataset(_dataset_of(keys), _dataset_of(stored))
    assert _sql_rows([stored], keys) == [0]


_KEYS = {"PN": _TEXT.map(lambda t: t.replace("\\", "")) | st.sampled_from(["*", "a?", "*ü*"]),
         "LO": _TEXT.map(lambda t: t.replace("\\", "")) | st.sampled_from(["A*", "?", "%"]),
         "CS": st.sampled_from(["CT", "M?", "", "*", "C"]),
         "UI": st.sampled_from(["1.2", "", ["1.2", "1.3"], "1.*"]),
         "DA": st.builds(lambda a, b, form: form.format(a, b), _DATES, _DATES,
                         st.sampled_from(["{0}", "{0}-", "-{1}", "{0}-{1}", ""])),
         "TM": st.builds(lambda a, b, form: form.format(a, b), _TIMES | _TIMES_PARTIAL,
                         _TIMES | _TIMES_PARTIAL,
                         st.sampled_from(["{0}", "{0}-", "-{1}", "{0}-{1}", ""])),
         "DT": st.builds(lambda a, b, form: form.format(a, b), _DT_VALUES, _DT_VALUES,
                         st.sampled_from(["{0}", "{0}-", "-{1}", "{0}-{1}", ""])),
         "IS": st.integers(-3, 3).map(str) | st.just("")}


@settings(max_examples=200, deadline=None)
@given(st.lists(_stored(), min_size=1, max_size=8),
       st.fixed_dictionaries({}, optional=_KEYS), st.booleans(), st.booleans())
def test_sql_agrees_with_python(rows, keys, case_insensitive, combined):
    query = _dataset_of(keys)
    options = dict(case_insensitive_pn=case_insensitive, combined_datetime=combined)
    by_python = [n for n, values in enumerate(rows)
                 if match_dataset(query, _dataset_of(values), **options)]
    assert _sql_rows(rows, keys, **options) == by_python


def _sql_rows(rows, keys, **options) -> list:
    db = sqlite3.connect(":memory:")
    names = [vr for vr in _VALUES]
    db.execute("CREATE TABLE t (id, " + ", ".join(f"c_{n}, c_{n}_k" for n in names) + ")")
    for n, values in enumerate(rows):
        cells = [n]
        for vr in names:
            cells += [index_value(values[vr], vr), index_key(values[vr], vr)]
        db.execute(f"INSERT INTO t VALUES ({', '.join('?' * len(cells))})", cells)
    columns = {KEYWORD[vr]: Column(f"c_{vr}", "STUDY", f"c_{vr}_k") for vr in names}
    where, params = to_sql(_dataset_of(keys), "STUDY", columns, **options)
    return [row[0] for row in db.execute(f"SELECT id FROM t WHERE {where} ORDER BY id",
                                         params)]
