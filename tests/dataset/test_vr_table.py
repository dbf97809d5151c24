"""Every VR against PS3.5: padding (Table 6.2-1), header form (7.1.2), values both ways."""
from __future__ import annotations

import datetime as dt
import struct

import pytest

from dicomcore import Dataset
from dicomcore.dataset.decode import decode_dataset
from dicomcore.dataset.encode import encode_dataset_bytes
from dicomcore.dataset.tag import Tag
from dicomcore.dataset.valuerep import (DS, IS, PersonName, format_da, format_dt, format_tm,
                                        parse_da, parse_dt, parse_tm)
from dicomcore.dataset.vr import LONG_LENGTH_VRS, VRS, decode_value, empty_value, encode_value
from dicomcore.errors import CharsetError, DecodeWarning, DicomError, EncodeError

# PS3.5 Table 6.2-1 (padding) and Table 7.1-1/7.1-2 (explicit VR header form).
# VR: (padding byte for odd lengths, 32-bit length with 2 reserved bytes, one odd-length
#      sample value or None where values are never odd)
TABLE = {
    "AE": (b" ", False, "AE1"),
    "AS": (b" ", False, None),  # always 4 characters
    "AT": (None, False, None),
    "CS": (b" ", False, "CT1"),
    "DA": (b" ", False, "2024"[:3]),
    "DS": (b" ", False, "1.5"),
    "DT": (b" ", False, "20240"),
    "FD": (None, False, None),
    "FL": (None, False, None),
    "IS": (b" ", False, "123"),
    "LO": (b" ", False, "odd"),
    "LT": (b" ", False, "odd"),
    "OB": (b"\0", True, b"\x01\x02\x03"),
    "OD": (None, True, None),
    "OF": (None, True, None),
    "OL": (None, True, None),
    "OV": (None, True, None),
    "OW": (None, True, None),
    "PN": (b" ", False, "A^B"),
    "SH": (b" ", False, "odd"),
    "SL": (None, False, None),
    "SQ": (None, True, None),
    "SS": (None, False, None),
    "ST": (b" ", False, "odd"),
    "SV": (None, True, None),
    "TM": (b" ", False, "121"),
    "UC": (b" ", True, "odd"),
    "UI": (b"\0", False, "1.2.3"),
    "UL": (None, False, None),
    "UN": (b"\0", True, b"\x01\x02\x03"),
    "UR": (b" ", True, "a:b"),
    "US": (None, False, None),
    "UT": (b" ", True, "odd"),
    "UV": (None, True, None),
}


def test_the_table_has_every_vr():
    assert set(VRS) == set(TABLE) and len(VRS) == 34


def test_long_length_vrs_are_ps3_5_table_7_1_1():
    assert LONG_LENGTH_VRS == {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN",
                               "UR", "UT", "UV"}
    assert {vr for vr, entry in VRS.items() if entry.long_length} == LONG_LENGTH_VRS


@pytest.mark.parametrize("vr", sorted(v for v in TABLE if TABLE[v][2] is not None))
def test_padding(vr):
    pad, _, sample = TABLE[vr]
    encoded = encode_value(vr, sample)
    raw = sample if isinstance(sample, bytes) else sample.encode()
    assert encoded == raw + pad and len(encoded) % 2 == 0
    # The pad is taken off again on the way in.
    back = decode_value(vr, encoded)
    if vr in ("DS", "IS"):
        assert back.to_text() == sample
    elif isinstance(sample, bytes):
        assert back == encoded  # bytes are what they are: the pad is part of the value
    else:
        assert back == sample


def _sample_value(vr: str):
    samples = {"AE": "AE", "AS": "045Y", "AT": Tag(0x00100010), "CS": "CT", "DA": "20240131",
               "DS": DS("1.5"), "DT": "20240131", "FD": 1.5, "FL": 1.5, "IS": IS("12"),
               "LO": "lo", "LT": "lt", "OB": b"\x01\x02", "OD": bytes(8), "OF": bytes(4),
               "OL": bytes(4), "OV": bytes(8), "OW": b"\x01\x02", "PN": PersonName("A^B"),
               "SH": "sh", "SL": -1, "SQ": [Dataset()], "SS": -1, "ST": "st", "SV": -1,
               "TM": "1200", "UC": "uc", "UI": "1.2", "UL": 1, "UN": b"\x01\x02",
               "UR": "http://x", "US": 1, "UT": "ut", "UV": 1}
    return samples[vr]


@pytest.mark.parametrize("vr", sorted(TABLE))
@pytest.mark.parametrize("little", [True, False], ids=["LE", "BE"])
def test_explicit_vr_header_form(vr, little):
    ds = Dataset()
    ds.add(0x00091010, vr, _sample_value(vr))
    data = encode_dataset_bytes(ds, little, True)
    order = "<" if little else ">"
    group, element = struct.unpack_from(order + "HH", data)
    assert (group, element) == (0x0009, 0x1010)
    assert data[4:6] == vr.encode()
    if TABLE[vr][1]:
        assert data[6:8] == b"\0\0"  # reserved
        length, = struct.unpack_from(order + "I", data, 8)
        assert length == len(data) - 12
    else:
        length, = struct.unpack_from(order + "H", data, 6)
        assert length == len(data) - 8
    back, end = decode_dataset(data, little, True)
    assert end == len(data) and back[0x00091010] == ds[0x00091010]
    # Implicit VR: always tag + 32-bit length.
    implicit = encode_dataset_bytes(ds, little, False)
    assert struct.unpack_from(order + "I", implicit, 4)[0] == len(implicit) - 8


def test_short_form_value_too_long_is_an_encode_error():
    ds = Dataset()
    ds.add(0x00100020, "LO", "x" * 0x10000)
    with pytest.raises(EncodeError, match="16-bit"):
        encode_dataset_bytes(ds, True, True)
    assert len(encode_dataset_bytes(ds, True, False)) == 8 + 0x10000  # implicit: fine


# --- DS and IS ----------------------------------------------------------------------------

@pytest.mark.parametrize("text,number", [("+7", 7.0), (" 1.50", 1.5), ("1.50", 1.5),
                                         ("-0.0", 0.0), ("1e3", 1000.0), ("+3.5E-2", 0.035),
                                         (".5", 0.5), ("  3", 3.0)])
def test_ds_keeps_its_text(text, number):
    raw = text.encode() + (b" " if len(text) % 2 else b"")
    value = decode_value("DS", raw)
    assert isinstance(value, DS) and value == number
    assert value.to_text().strip() == text.strip()
    assert encode_value("DS", value).strip() == text.strip().encode()


@pytest.mark.parametrize("text", ["+7", " 1.50", "  3", " 1.50\\+7 "])
def test_ds_text_is_byte_identical_after_decoding(text):
    """PS3.5 allows the spaces; the value read and written back is the same bytes."""
    raw = text.encode() + (b" " if len(text) % 2 else b"")
    elem = b"\x18\x00\x50\x00DS" + struct.pack("<H", len(raw)) + raw
    ds, _ = decode_dataset(elem)
    ds.decode_all()
    assert encode_dataset_bytes(ds) == elem


@pytest.mark.parametrize("text,number", [("+7", 7), (" 42", 42), ("-0012", -12), ("0", 0)])
def test_is_keeps_its_text(text, number):
    raw = text.encode() + (b" " if len(text) % 2 else b"")
    value = decode_value("IS", raw)
    assert isinstance(value, IS) and value == number
    assert value.to_text().strip() == text.strip()
    assert encode_value("IS", value).strip() == text.strip().encode()


def test_ds_from_numbers_fits_sixteen_characters():
    for number in (1 / 3, -1 / 3, 1e-300, 123456789012345678.0, -2.5e-7, 0.1 + 0.2):
        text = encode_value("DS", number).decode().strip()
        assert len(text) <= 16 and abs(float(text) - number) <= abs(number) * 1e-9


# --- PN --------------------------------------------------------------------------------

def test_person_name_components_and_groups():
    pn = PersonName("Yamada^Tarou^^Dr^Jr=山田^太郎=やまだ^たろう")
    assert pn.groups == ("Yamada^Tarou^^Dr^Jr", "山田^太郎", "やまだ^たろう")
    assert pn.alphabetic == "Yamada^Tarou^^Dr^Jr"
    assert pn.ideographic == "山田^太郎" and pn.phonetic == "やまだ^たろう"
    assert pn.components() == ("Yamada", "Tarou", "", "Dr", "Jr")
    assert pn.components(1) == ("山田", "太郎", "", "", "")
    assert (pn.family_name, pn.given_name, pn.middle_name, pn.name_prefix,
            pn.name_suffix) == ("Yamada", "Tarou", "", "Dr", "Jr")
    assert PersonName("Doe").groups == ("Doe", "", "")
    assert PersonName("=ideo").alphabetic == "" and PersonName("=ideo").ideographic == "ideo"
    assert PersonName.from_parts("Doe", "John") == "Doe^John"
    assert PersonName.from_parts("Doe", name_suffix="III") == "Doe^^^^III"
    assert PersonName.from_parts() == ""


def test_person_name_encoded_per_character_set():
    value = PersonName("Yamada^Tarou=山田^太郎")
    raw = encode_value("PN", value, True, ("ISO_IR 192",))
    assert raw.rstrip(b" ") == "Yamada^Tarou=山田^太郎".encode("utf-8")
    back = decode_value("PN", raw, True, ("ISO_IR 192",))
    assert isinstance(back, PersonName) and back == value
    multi = decode_value("PN", b"A^B\\C^D ")
    assert multi == ["A^B", "C^D"] and all(isinstance(v, PersonName) for v in multi)


# --- DA, TM, DT ------------------------------------------------------------------------

def test_date_time_helpers():
    assert parse_da("20240131") == dt.date(2024, 1, 31)
    assert parse_da("2024.01.31") == dt.date(2024, 1, 31)  # ACR-NEMA form tolerated
    assert format_da(dt.date(2024, 1, 2)) == "20240102"
    assert parse_tm("12") == dt.time(12)
    assert parse_tm("1230") == dt.time(12, 30)
    assert parse_tm("123045.5") == dt.time(12, 30, 45, 500000)
    assert parse_tm("12:30:45") == dt.time(12, 30, 45)
    assert parse_tm("235960") == dt.time(23, 59, 59)  # a leap second, clamped
    assert format_tm(dt.time(1, 2, 3)) == "010203"
    assert format_tm(dt.time(1, 2, 3, 450)) == "010203.000450"
    assert parse_dt("2024") == dt.datetime(2024, 1, 1)
    assert parse_dt("20240131123045.25-0530") == dt.datetime(
        2024, 1, 31, 12, 30, 45, 250000, tzinfo=dt.timezone(-dt.timedelta(hours=5, minutes=30)))
    value = dt.datetime(2024, 1, 31, 12, 30, 45, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert format_dt(value) == "20240131123045.000001+0100"
    assert parse_dt(format_dt(value)) == value
    for bad, parse in (("2024013", parse_da), ("abc", parse_tm), ("2024-01-31", parse_dt)):
        with pytest.raises(ValueError):
            parse(bad)


def test_dates_encode_from_python_objects():
    assert encode_value("DA", dt.date(2024, 1, 2)) == b"20240102"
    assert encode_value("TM", dt.time(1, 2, 3)) == b"010203"
    assert encode_value("DT", dt.datetime(2024, 1, 2, 3, 4, 5)) == b"20240102030405"
    assert encode_value("DA", [dt.date(2024, 1, 2), "2025"]) == b"20240102\\2025 "
    assert decode_value("DA", b"20240102") == "20240102"  # DA stays text: partial dates


# --- AT, byte order -----------------------------------------------------------------------

def test_at_encoding_is_ps3_5_example():
    # PS3.5 Table 6.2-1, AT: (0018,00FF) is 18 00 FF 00 little endian, 00 18 00 FF big.
    assert encode_value("AT", Tag(0x001800FF), True) == bytes([0x18, 0x00, 0xFF, 0x00])
    assert encode_value("AT", Tag(0x001800FF), False) == bytes([0x00, 0x18, 0x00, 0xFF])
    assert encode_value("AT", (0x0018, 0x00FF), True) == bytes([0x18, 0x00, 0xFF, 0x00])
    assert decode_value("AT", bytes([0x00, 0x18, 0x00, 0xFF]), False) == 0x001800FF
    assert decode_value("AT", bytes([0x18, 0x00, 0xFF, 0x00]), True) == 0x001800FF
    both = encode_value("AT", [0x001800FF, 0x7FE00010], False)
    assert both == bytes.fromhex("001800ff7fe00010")
    assert decode_value("AT", both, False) == [0x001800FF, 0x7FE00010]


@pytest.mark.parametrize("vr,size", [("OW", 2), ("OF", 4), ("OL", 4), ("OD", 8), ("OV", 8)])
def test_big_endian_words_are_swapped(vr, size):
    little = bytes(range(size * 3))
    big = b"".join(little[i:i + size][::-1] for i in range(0, len(little), size))
    assert encode_value(vr, little, False) == big
    assert encode_value(vr, little, True) == little
    assert decode_value(vr, big, False) == little  # in memory: always little endian
    with pytest.raises(EncodeError):
        encode_value(vr, little + b"\0\0\0"[:size - 1] if size > 1 else b"", False)


def test_big_endian_ow_in_a_dataset():
    ds = Dataset()
    ds.add(0x00281201, "OW", b"\x01\x02\x03\x04")
    data = encode_dataset_bytes(ds, False, True)
    assert data == b"\x00\x28\x12\x01OW\0\0\x00\x00\x00\x04\x02\x01\x04\x03"
    back, _ = decode_dataset(data, False, True)
    assert back[0x00281201].value == b"\x01\x02\x03\x04"
    assert encode_dataset_bytes(back, True, True)[12:] == b"\x01\x02\x03\x04"


@pytest.mark.parametrize("vr,code", [("US", "H"), ("SS", "h"), ("UL", "I"), ("SL", "i"),
                                     ("FL", "f"), ("FD", "d"), ("SV", "q"), ("UV", "Q")])
def test_binary_numbers_both_orders(vr, code):
    values = [1, 2, 3] if vr not in ("FL", "FD") else [1.5, -2.25, 0.0]
    for little, order in ((True, "<"), (False, ">")):
        raw = struct.pack(f"{order}3{code}", *values)
        assert encode_value(vr, values, little) == raw
        assert decode_value(vr, raw, little) == values
        assert decode_value(vr, raw[:struct.calcsize(code)], little) == values[0]


# --- US or SS ----------------------------------------------------------------------------

def _implicit(*elements: tuple[int, bytes]) -> bytes:
    return b"".join(struct.pack("<HHI", tag >> 16, tag & 0xFFFF, len(value)) + value
                    for tag, value in elements)


@pytest.mark.parametrize("representation,vr,value", [(0, "US", 65535), (1, "SS", -1)])
def test_us_or_ss_by_pixel_representation(representation, vr, value):
    data = _implicit((0x00280103, struct.pack("<H", representation)),
                     (0x00280106, b"\xff\xff"), (0x00280107, b"\xff\xff"),
                     (0x00281101, struct.pack("<3H", 0xFFFF, 0, 16)))
    ds, _ = decode_dataset(data, True, False)
    assert ds[0x00280106].vr == vr and ds.SmallestImagePixelValue == value
    assert ds[0x00280107].vr == vr and ds.LargestImagePixelValue == value
    # PS3.3 C.11.1.1.1: a LUT Descriptor's first value is unsigned regardless.
    assert ds[0x00281101].vr == "US" and ds[0x00281101].value == [0xFFFF, 0, 16]
    assert encode_dataset_bytes(ds, True, False) == data


def test_us_or_ss_in_an_item_looks_up_the_pixel_representation_outside():
    item = _implicit((0x00280106, b"\xfe\xff"))
    seq = struct.pack("<HHI", 0x0008, 0x1140, len(item) + 8) + \
        struct.pack("<HHI", 0xFFFE, 0xE000, len(item)) + item
    data = seq + _implicit((0x00280103, b"\x01\x00"))
    ds, _ = decode_dataset(data, True, False)
    inner = ds[0x00081140].value[0]
    assert inner[0x00280106].vr == "SS" and inner.SmallestImagePixelValue == -2


def test_us_or_ss_explicit_keeps_the_written_vr():
    ds = Dataset()
    ds.PixelRepresentation = 0
    ds.add(0x00280106, "SS", -5)
    back, _ = decode_dataset(encode_dataset_bytes(ds, False, True), False, True)
    assert back[0x00280106].vr == "SS" and back.SmallestImagePixelValue == -5


# --- multiple values, empty values --------------------------------------------------------

@pytest.mark.parametrize("vr,values,raw", [
    ("CS", ["A", "B", ""], b"A\\B\\"), ("CS", ["A", "", "BC"], b"A\\\\BC "),
    ("AE", ["X", "Y"], b"X\\Y "), ("DS", [DS("1.5"), DS("-2")], b"1.5\\-2"),
    ("IS", [IS("1"), IS("-2")], b"1\\-2"), ("IS", [IS("1"), IS("223")], b"1\\223 "),
    ("UI", ["1.2", "1.3"], b"1.2\\1.3\0"), ("LO", ["a b", "c"], b"a b\\c "),
    ("PN", ["A^B", "C"], b"A^B\\C "), ("DA", ["20240101", "2025"], b"20240101\\2025 "),
    ("UC", ["x", "y"], b"x\\y ")])
def test_multi_valued_text(vr, values, raw):
    assert encode_value(vr, values) == raw
    assert decode_value(vr, raw) == values


@pytest.mark.parametrize("vr", ["ST", "LT", "UT", "UR"])
def test_single_valued_text_keeps_backslashes(vr):
    assert decode_value(vr, b"a\\b ") == "a\\b"
    assert encode_value(vr, "a\\b") == b"a\\b "


@pytest.mark.parametrize("vr", ["ST", "LT", "UT"])
def test_leading_spaces_are_kept_where_significant(vr):
    assert decode_value(vr, b"  x ") == "  x"
    assert decode_value("LO", b"  x ") == "x"


@pytest.mark.parametrize("vr", sorted(v for v in TABLE if v != "SQ"))
def test_empty_values(vr):
    kind = VRS[vr].kind
    assert encode_value(vr, None) == b""
    if kind in ("text", "string"):
        assert encode_value(vr, "") == b"" and empty_value(vr) in ("", None)
    elif kind in ("bytes", "words"):
        assert encode_value(vr, b"") == b"" and empty_value(vr) == b""
    else:
        assert encode_value(vr, []) == b"" and empty_value(vr) is None
    ds = Dataset()
    ds.add(0x00091010, vr, None)
    for little, explicit in ((True, True), (False, True), (True, False)):
        data = encode_dataset_bytes(ds, little, explicit)
        assert data.endswith(b"\0\0" if explicit and not VRS[vr].long_length else bytes(4))
        back, _ = decode_dataset(data, little, explicit)
        if explicit:
            assert back[0x00091010].value == empty_value(vr)
            assert back[0x00091010].VM == 0
    empty_seq = Dataset()
    empty_seq.add(0x00081140, "SQ", [])
    back, _ = decode_dataset(encode_dataset_bytes(empty_seq))
    assert back[0x00081140].value == [] and back[0x00081140].VM == 1


# --- strict encoding --------------------------------------------------------------------

@pytest.mark.parametrize("vr,value", [
    ("US", 65536), ("US", -1), ("SS", 32768), ("SS", -32769), ("UL", 2**32), ("UL", -1),
    ("SL", 2**31), ("SV", 2**63), ("SV", -2**63 - 1), ("UV", 2**64), ("UV", -1),
    ("FL", 1e40), ("FL", [1.0, -1e39]), ("US", 1.5), ("US", "12"), ("IS", 1.5),
    ("IS", 2**31), ("IS", -2**31 - 1), ("DS", float("nan")), ("DS", float("inf")),
    ("AT", 2**32), ("AT", -1), ("OB", "text"), ("OW", b"\x01\x02\x03")])
def test_out_of_range_is_an_encode_error(vr, value):
    with pytest.raises(EncodeError):
        encode_value(vr, value, False)
    ds = Dataset()
    ds.add(0x00091010, vr, value)
    with pytest.raises(DicomError):
        encode_dataset_bytes(ds, False, True)


def test_in_range_extremes_encode():
    for vr, value in (("US", 65535), ("SS", -32768), ("UL", 2**32 - 1), ("SL", -2**31),
                      ("SV", -2**63), ("UV", 2**64 - 1), ("IS", 2**31 - 1), ("IS", -2**31),
                      ("FL", 3.4e38), ("FD", 1.7e308)):
        assert decode_value(vr, encode_value(vr, value)) == value or vr == "FL"


@pytest.mark.parametrize("vr", ["SH", "LO", "ST", "LT", "UT", "UC", "PN"])
def test_non_ascii_text_without_a_character_set_is_an_encode_error(vr):
    with pytest.raises(EncodeError, match="Specific Character Set"):
        encode_value(vr, "Müller")
    assert encode_value(vr, "Müller", True, ("ISO_IR 100",)).rstrip(b" ") == \
        "Müller".encode("latin-1")
    ds = Dataset()
    ds.add(0x00091010, vr, "Müller")
    with pytest.raises(EncodeError):
        encode_dataset_bytes(ds)
    ds.SpecificCharacterSet = "ISO_IR 192"
    assert "Müller".encode() in encode_dataset_bytes(ds)


@pytest.mark.parametrize("vr", ["AE", "AS", "CS", "DA", "DS", "DT", "IS", "TM", "UI", "UR"])
def test_default_repertoire_vrs_refuse_other_characters_even_with_a_charset(vr):
    with pytest.raises(EncodeError):
        encode_value(vr, "Ä", True, ("ISO_IR 100",))


def test_text_outside_the_declared_character_set_is_an_error():
    with pytest.raises(CharsetError):
        encode_value("LO", "中文", True, ("ISO_IR 100",))


def test_decoding_is_tolerant():
    with pytest.warns(DecodeWarning):
        assert decode_value("US", b"\x01\x00\x02") == 1
    assert decode_value("CS", b"ABC\0") == "ABC"  # wrong padding
    assert decode_value("UI", b"1.2 ") == "1.2"
