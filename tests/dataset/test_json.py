"""DICOM JSON Model (PS3.18 Annex F): round trips, the annex's examples, hostile input."""
from __future__ import annotations

import base64
import io
import json
import math
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dicomcore
from dicomcore.dataset import DS, IS, Dataset, PersonName, Tag
from dicomcore.dataset.json import from_json, from_json_dict, to_json, to_json_dict
from dicomcore.dataset.vr import encode_value
from dicomcore.errors import DecodeError, DicomError
from dicomcore.fuzz.datasets import ALL_VRS, datasets

ROOT = Path(__file__).resolve().parents[2]
CT_SMALL = ROOT / "tests" / "data" / "ct_small.dcm"

# PS3.18 F.4 "DICOM JSON Model Example" (one study of a QIDO-RS response).  The
# example's body is missing from shared/dicom-standard/PS3.18-annexF.md (2013
# excerpt: the heading only), so it is transcribed here from the published annex.
F4_EXAMPLE = """
[
  {
    "00080005": {"vr": "CS", "Value": ["ISO_IR 192"]},
    "00080020": {"vr": "DA", "Value": ["20130409"]},
    "00080030": {"vr": "TM", "Value": ["131600.0000"]},
    "00080050": {"vr": "SH", "Value": ["11235813"]},
    "00080056": {"vr": "CS", "Value": ["ONLINE"]},
    "00080061": {"vr": "CS", "Value": ["CT", "PET"]},
    "00080090": {"vr": "PN", "Value": [{"Alphabetic": "^Bob^^Dr."}]},
    "00081190": {"vr": "UR", "Value": [
        "http://wado.nema.org/studies/1.2.392.200036.9116.2.2.2.1762893313.1029997326.945873"]},
    "00090010": {"vr": "LO", "Value": ["Vendor A"]},
    "00091002": {"vr": "UN", "InlineBinary": "z0x9c8v7"},
    "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Wang^XiaoDong",
                                        "Ideographic": "王^小東"}]},
    "00100020": {"vr": "LO", "Value": ["12345"]},
    "00100021": {"vr": "LO", "Value": ["Hospital A"]},
    "00100030": {"vr": "DA", "Value": ["19670701"]},
    "00100040": {"vr": "CS", "Value": ["M"]},
    "00101002": {"vr": "SQ", "Value": [
      {"00100020": {"vr": "LO", "Value": ["54321"]},
       "00100021": {"vr": "LO", "Value": ["Hospital B"]}},
      {"00100020": {"vr": "LO", "Value": ["24680"]},
       "00100021": {"vr": "LO", "Value": ["Hospital C"]}}
    ]},
    "0020000D": {"vr": "UI", "Value": [
        "1.2.392.200036.9116.2.2.2.1762893313.1029997326.945873"]},
    "00201206": {"vr": "IS", "Value": [4]},
    "00201208": {"vr": "IS", "Value": [942]}
  }
]
"""

# PS3.18 F.2.1.1.2: multiple results are a top-level array of objects.
F2_MULTIPLE_RESULTS = """
[
  {"0020000D": {"vr": "UI", "Value": ["1.2.392.200036.9116.2.2.2.1762893313.1029997326.945873"]}},
  {"0020000D": {"vr": "UI", "Value": ["1.2.392.200036.9116.2.2.2.2162893313.1029997326.945876"]}}
]
"""


def _strict_loads(text: str):
    """json.loads that refuses the NaN/Infinity tokens RFC 8259 does not allow."""
    def refuse(token: str):
        raise AssertionError(f"invalid JSON token {token}")
    return json.loads(text, parse_constant=refuse)


# --- round trips -----------------------------------------------------------------------

@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets())
def test_round_trip(ds):
    # The strategy draws values in decoded form, which JSON keeps exactly: no
    # normalisation is needed ("" <-> no Value and [.., "", ..] <-> null are
    # inverse by F.2.5; DS/IS keep their text; FL/FD infinities become strings).
    text = to_json(ds)
    obj = _strict_loads(text)
    assert list(obj) == sorted(obj)  # PS3.18 F.2.2: ascending attribute names
    back = from_json(text)
    assert back == ds
    assert to_json_dict(back) == obj  # and the JSON is a fixed point


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets())
def test_json_then_part10_is_byte_identical(ds):
    """A dataset read from JSON writes the same Part 10 bytes as the original."""
    # The JSON model has no place for how sequences and items are delimited
    # (PS3.5 7.5 length forms), so the original is normalised to defined lengths,
    # the form a dataset made in memory is written in.
    for _, elem in ds.walk():
        if elem.vr == "SQ":
            elem.undefined_length = False
            for item in elem.value:
                object.__setattr__(item, "undefined_length", False)
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    first, second = io.BytesIO(), io.BytesIO()
    dicomcore.write(first, ds)
    dicomcore.write(second, from_json(to_json(ds)))
    assert first.getvalue() == second.getvalue()


def test_ct_small_round_trip():
    ds = dicomcore.read(CT_SMALL)
    back = from_json(to_json(ds))
    expected = Dataset()
    for elem in ds:
        if elem.tag & 0xFFFF:  # group lengths are not in the JSON model
            expected.add(elem.tag, elem.vr, elem.value)
    assert back == expected


# --- the annex's examples --------------------------------------------------------------

def test_f4_example_values():
    results = json.loads(F4_EXAMPLE)
    ds = from_json_dict(results[0])
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert ds.ModalitiesInStudy == ["CT", "PET"]
    assert ds.StudyTime == "131600.0000"
    assert ds.ReferringPhysicianName.given_name == "Bob"
    assert ds.ReferringPhysicianName.name_prefix == "Dr."
    name = ds.PatientName
    assert isinstance(name, PersonName)
    assert name == "Wang^XiaoDong=王^小東"
    assert name.alphabetic == "Wang^XiaoDong" and name.ideographic == "王^小東"
    assert [(item.PatientID, item.IssuerOfPatientID) for item in ds.OtherPatientIDsSequence] \
        == [("54321", "Hospital B"), ("24680", "Hospital C")]
    assert ds.NumberOfStudyRelatedSeries == 4 and isinstance(ds.NumberOfStudyRelatedSeries, IS)
    assert ds.NumberOfStudyRelatedInstances == 942
    private = ds.private_block(0x0009, "Vendor A")
    assert private[0x02].vr == "UN"
    assert private[0x02].value == base64.b64decode("z0x9c8v7")
    assert ds[0x00081190].value.startswith("http://wado.nema.org/studies/")


def test_f4_example_is_a_fixed_point():
    obj = json.loads(F4_EXAMPLE)[0]
    assert to_json_dict(from_json_dict(obj)) == obj


def test_f4_example_writes_as_utf8():
    ds = from_json(json.dumps(json.loads(F4_EXAMPLE)[0]))
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    out = io.BytesIO()
    dicomcore.write(out, ds)
    assert "王^小東".encode("utf-8") in out.getvalue()
    assert dicomcore.read(io.BytesIO(out.getvalue())).PatientName == ds.PatientName


def test_multiple_results_are_decoded_one_by_one():
    text = F2_MULTIPLE_RESULTS
    with pytest.raises(DecodeError, match="expected a JSON object"):
        from_json(text)
    uids = [from_json_dict(obj).StudyInstanceUID for obj in json.loads(text)]
    assert uids[1].endswith("945876")


def test_table_f31_person_name_groups():
    # PS3.18 Table F.3.1-1: all three groups, and a second name with one component.
    obj = {"00100010": {"vr": "PN", "Value": [
        {"Alphabetic": "SB1^SB2^SB3^SB4^SB5", "Ideographic": "ID1^ID2^ID3^ID4^ID5",
         "Phonetic": "PH1^PH2^PH3^PH4^PH5"},
        {"Alphabetic": "SB6"}]}}
    ds = from_json_dict(obj)
    first, second = ds.PatientName
    assert first.components(0) == ("SB1", "SB2", "SB3", "SB4", "SB5")
    assert first.components(1)[0] == "ID1" and first.components(2)[4] == "PH5"
    assert second == "SB6"
    assert to_json_dict(ds) == obj


# --- value forms -----------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (PersonName("Yamada^Tarou=山田^太郎=やまだ^たろう"),
     {"Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎", "Phonetic": "やまだ^たろう"}),
    (PersonName("=山田^太郎"), {"Ideographic": "山田^太郎"}),  # F.2.2: empty groups omitted
    (PersonName("==やまだ"), {"Phonetic": "やまだ"}),
    (PersonName("Doe^John"), {"Alphabetic": "Doe^John"}),
])
def test_person_name_groups(value, expected):
    ds = Dataset()
    ds.add(0x00100010, "PN", value)
    obj = to_json_dict(ds)
    assert obj["00100010"]["Value"] == [expected]
    assert from_json_dict(obj).PatientName == value


def test_person_name_as_plain_string_is_tolerated():
    ds = from_json_dict({"00100010": {"vr": "PN", "Value": ["Doe^John=ド^ジョン"]}})
    assert ds.PatientName.ideographic == "ド^ジョン"


def test_empty_values_f25():
    ds = Dataset()
    ds.add(0x00100010, "PN", "")
    ds.add(0x00080060, "CS", "")
    ds.add(0x00280010, "US", None)
    ds.add(0x7FE00010, "OW", b"")
    ds.add(0x00081140, "SQ", [])
    ds.add(0x00200032, "DS", None)
    ds.add(0x00080061, "CS", ["CT", "", "MR"])
    ds.add(0x00081030, "LO", ["", ""])
    ds.add(0x00081032, "SQ", [Dataset()])  # an empty item is {}
    obj = to_json_dict(ds)
    for key in ("00100010", "00080060", "00280010", "7FE00010", "00081140", "00200032"):
        assert obj[key] == {"vr": ds[int(key, 16)].vr}, key  # no Value/InlineBinary
    assert obj["00080061"]["Value"] == ["CT", None, "MR"]  # null for an empty value
    assert obj["00081030"]["Value"] == [None, None]
    assert obj["00081032"]["Value"] == [{}]
    assert from_json(to_json(ds)) == ds


def test_multi_valued_person_names_with_an_empty_one():
    ds = Dataset()
    ds.add(0x00081070, "PN", [PersonName("A^B"), PersonName("")])
    assert to_json_dict(ds)["00081070"]["Value"] == [{"Alphabetic": "A^B"}, None]
    assert from_json(to_json(ds)) == ds


@pytest.mark.parametrize("vr, value, json_value", [
    ("DS", DS("1.5"), 1.5),
    ("DS", DS("3"), 3),
    ("DS", DS("-1024"), -1024),
    ("DS", DS("1e-07"), 1e-07),
    ("DS", DS("1.50"), "1.50"),  # a number would lose the trailing zero
    ("DS", DS("1."), "1."),      # "1." is no JSON number
    ("DS", DS(".5"), ".5"),
    ("DS", DS("+2"), "+2"),
    ("DS", DS("007"), "007"),
    ("DS", DS("-0"), "-0"),
    ("DS", DS("1E3"), "1E3"),
    ("IS", IS("42"), 42),
    ("IS", IS("-7"), -7),
    ("IS", IS("+7"), "+7"),
    ("IS", IS("0042"), "0042"),
    ("IS", IS("1.0"), "1.0"),    # tolerated on read; its text is kept
])
def test_ds_is_number_or_string(vr, value, json_value):
    # PS3.18 Table F.2.3-1: DS and IS are "Number or String"; a string keeps the text.
    ds = Dataset()
    ds.add(0x00181050 if vr == "DS" else 0x00200013, vr, value)
    key = "00181050" if vr == "DS" else "00200013"
    obj = json.loads(to_json(ds))
    assert obj[key]["Value"] == [json_value]
    assert type(obj[key]["Value"][0]) is type(json_value)
    back = from_json(to_json(ds))[int(key, 16)].value
    assert type(back) is type(value)
    assert encode_value(vr, back) == encode_value(vr, value)  # byte-identical text


@pytest.mark.parametrize("vr, json_value, text", [
    ("DS", 0.1, "0.1"), ("DS", 2, "2"), ("DS", 12345678901234567890, "1.2345678901e+19"),
    ("DS", "  1.50 ", "1.50"), ("IS", 4.0, "4"), ("IS", "12", "12"),
])
def test_ds_is_from_other_writers(vr, json_value, text):
    ds = from_json_dict({"00181050": {"vr": vr, "Value": [json_value]}})
    assert ds[0x00181050].value.to_text() == text


def test_ds_text_that_is_no_number_is_kept():
    ds = from_json_dict({"00181050": {"vr": "DS", "Value": ["n/a", 1]}})
    assert ds[0x00181050].value == ["n/a", DS("1")]


def test_floats_and_big_integers():
    ds = Dataset()
    ds.add(0x00189087, "FD", [math.inf, -math.inf, 0.5])
    ds.add(0x00720076, "FL", math.nan)
    ds.add(0x00189219, "SV", [-2**63, 5])
    ds.add(0x0040A132, "UL", [2**32 - 1])  # (a one-element list reads back as its value)
    text = to_json(ds)
    obj = _strict_loads(text)
    assert obj["00189087"]["Value"] == ["Infinity", "-Infinity", 0.5]
    assert obj["00720076"]["Value"] == ["NaN"]
    # Table F.2.3-1: SV/UV "Number or String"; beyond 2**53 a string keeps every digit.
    assert obj["00189219"]["Value"] == [str(-2**63), 5]
    back = from_json(text)
    assert back[0x00189087].value == [math.inf, -math.inf, 0.5]
    assert math.isnan(back[0x00720076].value)
    assert back[0x00189219].value == [-2**63, 5]
    assert back[0x0040A132].value == 2**32 - 1


def test_attribute_tags():
    ds = Dataset()
    ds.add(0x00209165, "AT", [Tag(0x00100010), Tag(0x7FE00010)])
    ds.add(0x00209167, "AT", Tag(0x0009100A))
    obj = to_json_dict(ds)
    assert obj["00209165"]["Value"] == ["00100010", "7FE00010"]  # F.2.3: 8 uppercase hex
    assert obj["00209167"]["Value"] == ["0009100A"]
    back = from_json_dict(obj)
    assert back == ds and isinstance(back[0x00209167].value, Tag)
    assert from_json_dict({"00209167": {"vr": "AT", "Value": ["0009100a"]}})[
        0x00209167].value == 0x0009100A  # lower case hex is read too


# --- binary values ---------------------------------------------------------------------

def test_inline_binary():
    ds = Dataset()
    ds.add(0x7FE00010, "OW", struct.pack("<4H", 1, 2, 0x0304, 0xFFFF))
    ds.add(0x00091010, "OB", b"\x00\x01\x02")
    obj = to_json_dict(ds)
    # F.2.7: one base64 string of the Value Field; OW in little endian (PS3.5 default).
    assert base64.b64decode(obj["7FE00010"]["InlineBinary"]) == \
        b"\x01\x00\x02\x00\x04\x03\xff\xff"
    assert obj["00091010"] == {"vr": "OB", "InlineBinary": "AAEC"}
    assert from_json_dict(obj) == ds


def test_inline_binary_for_a_number_vr_f27():
    # F.2.7: a US lookup table may be one InlineBinary, like its OW form.
    data = struct.pack("<3H", 10, 20, 4096)
    ds = from_json_dict({"00283006": {"vr": "US", "InlineBinary": base64.b64encode(
        data).decode()}})
    assert ds[0x00283006].value == [10, 20, 4096]


def test_inline_text_uses_the_character_set():
    data = "Müller".encode("latin-1")
    ds = from_json_dict({"00080005": {"vr": "CS", "Value": ["ISO_IR 100"]},
                         "00100020": {"vr": "LO", "InlineBinary": base64.b64encode(
                             data).decode()}})
    assert ds.PatientID == "Müller"


def test_encapsulated_pixel_data():
    # Items as kept in memory (no Sequence Delimitation Item): an empty offset
    # table and one fragment.  F.2.7: the base64 of the Value Field.
    items = struct.pack("<HHI", 0xFFFE, 0xE000, 0) + struct.pack("<HHI", 0xFFFE, 0xE000, 4) \
        + b"\x01\x02\x03\x04"
    ds = Dataset()
    ds.add(0x7FE00010, "OB", items).undefined_length = True
    obj = to_json_dict(ds)
    assert base64.b64decode(obj["7FE00010"]["InlineBinary"]) == items
    back = from_json_dict(obj)
    assert back == ds and back[0x7FE00010].undefined_length
    native = from_json_dict({"7FE00010": {"vr": "OB", "InlineBinary": "AQIDBA=="}})
    assert not native[0x7FE00010].undefined_length


def test_bulk_data_uri():
    ds = Dataset()
    ds.add(0x7FE00010, "OW", b"\x01\x00" * 100)
    ds.add(0x00091010, "OB", b"\x05\x06")
    store: dict[str, bytes] = {}

    def uri(elem):
        name = f"http://example.org/bulk/{elem.tag:08X}"
        store[name] = bytes(elem.value)
        return name

    obj = to_json_dict(ds, bulk_data_threshold=16, bulk_data_uri=uri)
    assert obj["7FE00010"] == {"vr": "OW", "BulkDataURI": "http://example.org/bulk/7FE00010"}
    assert obj["00091010"] == {"vr": "OB", "InlineBinary": "BQY="}  # under the threshold
    assert from_json(json.dumps(obj), bulk_data_loader=store.__getitem__) == ds
    everything = to_json_dict(ds, bulk_data_uri=uri)  # no threshold: every binary value
    assert "BulkDataURI" in everything["00091010"]
    with pytest.raises(DecodeError, match="bulk_data_loader") as info:
        from_json_dict(obj)
    assert info.value.tag == 0x7FE00010


def test_group_lengths_and_private_elements():
    ds = Dataset()
    ds.add(0x00080000, "UL", 42)
    ds.add(0x00080060, "CS", "CT")
    block = ds.private_block(0x0029, "ACME 1.0", create=True)
    block.add(0x01, "UN", b"\x01\x02")
    obj = to_json_dict(ds)
    assert list(obj) == ["00080060", "00290010", "00291001"]  # F.2.2: no group length
    assert obj["00290010"] == {"vr": "LO", "Value": ["ACME 1.0"]}
    with_length = dict(obj, **{"00290000": {"vr": "UL", "Value": [12]}})
    assert 0x00290000 not in from_json_dict(with_length)


# --- hostile input ---------------------------------------------------------------------

BAD = [
    ("not json", None, "not JSON"),
    ("[1, 2]", None, "expected a JSON object"),
    ('{"0010": {"vr": "PN"}}', None, "eight hex digits"),
    ('{"0010001G": {"vr": "PN"}}', None, "eight hex digits"),
    ('{"00100010": []}', 0x00100010, "attribute object"),
    ('{"00100010": {"Value": ["A"]}}', 0x00100010, "vr"),
    ('{"00100010": {"vr": "XX"}}', 0x00100010, "unknown vr"),
    ('{"00100010": {"vr": 5}}', 0x00100010, "unknown vr"),
    ('{"00100010": {"vr": "PN", "Value": "A"}}', 0x00100010, "not an array"),
    ('{"00100010": {"vr": "PN", "Value": [{"Alphabetic": 1}]}}', 0x00100010, "PN value"),
    ('{"00100010": {"vr": "PN", "Value": [{"Given": "x"}]}}', 0x00100010, "PN value"),
    ('{"00100010": {"vr": "PN", "Value": [7]}}', 0x00100010, "PN value"),
    ('{"00100020": {"vr": "LO", "Value": [1]}}', 0x00100020, "not a string"),
    ('{"00280010": {"vr": "US", "Value": ["x"]}}', 0x00280010, "not an integer"),
    ('{"00280010": {"vr": "US", "Value": [true]}}', 0x00280010, "no US value"),
    ('{"00280010": {"vr": "US", "Value": [null]}}', 0x00280010, "null"),
    ('{"00280010": {"vr": "US", "Value": [1.5]}}', 0x00280010, "not an integer"),
    ('{"00189087": {"vr": "FD", "Value": ["fast"]}}', 0x00189087, "not a number"),
    ('{"00200013": {"vr": "IS", "Value": [1.5]}}', 0x00200013, "not an integer"),
    ('{"00200013": {"vr": "IS", "Value": [{}]}}', 0x00200013, "neither"),
    ('{"00209165": {"vr": "AT", "Value": ["(0010,0010)"]}}', 0x00209165, "AT value"),
    ('{"00209165": {"vr": "AT", "Value": [1048592]}}', 0x00209165, "AT value"),
    ('{"7FE00010": {"vr": "OB", "Value": [1]}}', 0x7FE00010, "not Value"),
    ('{"7FE00010": {"vr": "OB", "InlineBinary": "!!!"}}', 0x7FE00010, "not base64"),
    ('{"7FE00010": {"vr": "OB", "InlineBinary": 12}}', 0x7FE00010, "not a string"),
    ('{"7FE00010": {"vr": "OB", "InlineBinary": "AA==", "BulkDataURI": "x"}}', 0x7FE00010,
     "at most one"),
    ('{"7FE00010": {"vr": "OB", "BulkDataURI": "http://x/1"}}', 0x7FE00010, "http://x/1"),
    ('{"00081140": {"vr": "SQ", "Value": [1]}}', None, "expected a JSON object"),
    ('{"00081140": {"vr": "SQ", "InlineBinary": "AA=="}}', 0x00081140, "sequence"),
    ('{"00081140": {"vr": "SQ", "Value": [{}, {"00081150": {"vr": "UI", "Value": [2]}}]}}',
     0x00081150, "(0008,1140) item 2"),
    ('{"00100010": {"vr": "PN", "Value": [1' + "0" * 5000 + ']}}', None, "JSON"),
]


@pytest.mark.parametrize("text, tag, message", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_names_the_tag(text, tag, message):
    with pytest.raises(DecodeError) as info:
        from_json(text)
    assert message in str(info.value)
    assert info.value.tag == tag


def test_deep_nesting_is_a_decode_error():
    obj: dict = {}
    for _ in range(2000):
        obj = {"00081140": {"vr": "SQ", "Value": [obj]}}
    with pytest.raises(DecodeError):
        from_json_dict(obj)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=10)
_ATTRIBUTE = st.fixed_dictionaries(
    {"vr": st.sampled_from(ALL_VRS + ("SQ", "XX"))},
    optional={"Value": st.lists(_JSON, max_size=3) | _JSON,
              "InlineBinary": st.sampled_from(["", "AA==", "AAEC", "!", "AQIDBA=="]) | _JSON,
              "BulkDataURI": _JSON})
_KEYS = st.sampled_from(["00100010", "00080005", "7FE00010", "00209165", "00181050",
                         "00200013", "00081140", "00280010", "00189087", "00091002"])


@settings(max_examples=200, deadline=None)
@given(obj=st.dictionaries(_KEYS, _ATTRIBUTE, max_size=4) | _JSON)
def test_hostile_input_only_raises_decode_error(obj):
    # STYLE 4: hostile input lets only DicomError escape.
    try:
        ds = from_json_dict(obj, bulk_data_loader=lambda uri: b"\x01\x02")
    except DicomError:
        return
    ds.decode_all()
    json.loads(to_json(ds))  # whatever was accepted converts back


# --- the command line ------------------------------------------------------------------

def test_cli_dump_json():
    run = subprocess.run([sys.executable, "-m", "dicomcore", "dump", "--json", str(CT_SMALL)],
                         capture_output=True, text=True, encoding="utf-8", cwd=ROOT,
                         check=True)
    obj = _strict_loads(run.stdout)
    assert list(obj) == sorted(obj) and all(len(key) == 8 for key in obj)
    assert obj["00080016"] == {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.2"]}
    assert obj["00280030"] == {"vr": "DS", "Value": [0.5, 0.5]}
    assert obj["00100010"]["Value"] == [{"Alphabetic": "Müller^Jürgen"}]
    ds = dicomcore.read(CT_SMALL)
    assert len(base64.b64decode(obj["7FE00010"]["InlineBinary"])) == \
        ds.Rows * ds.Columns * 2
    assert from_json(run.stdout) == from_json(to_json(ds))


def test_pydicom_reads_ours_and_we_read_pydicoms():
    """Interop: another implementation of Annex F agrees on ct_small and on F.4."""
    pydicom = pytest.importorskip("pydicom")
    ds = dicomcore.read(CT_SMALL)
    theirs = pydicom.Dataset.from_json(to_json(ds))
    assert str(theirs.PatientName) == "Müller^Jürgen"
    assert [float(v) for v in theirs.PixelSpacing] == [0.5, 0.5]
    assert theirs.PixelData == ds.PixelData
    assert from_json(pydicom.dcmread(CT_SMALL).to_json()) == from_json(to_json(ds))
    f4 = json.loads(F4_EXAMPLE)[0]
    assert from_json(pydicom.Dataset.from_json(f4).to_json()) == from_json_dict(f4)
