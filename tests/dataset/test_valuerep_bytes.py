"""Values keep their bytes (issue #12 point 9) and UN values of known tags read with the
dictionary's VR (point 8): an element that was looked at but not changed is written back
byte for byte; a changed one is encoded from its new value."""
from __future__ import annotations

import io
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dicomcore
from dicomcore import Dataset, PersonName, Tag
from dicomcore.dataset import transfer_syntax as ts
from dicomcore.dataset.element import DataElement, RawElement
from dicomcore.dataset.encode import encode_dataset_bytes
from dicomcore.errors import EncodeError

SYNTAXES = [ts.IMPLICIT_VR_LE, ts.EXPLICIT_VR_LE, ts.EXPLICIT_VR_BE,
            ts.DEFLATED_EXPLICIT_VR_LE]
IDS = ["implicit", "explicit", "big", "deflated"]
UTF8 = b"ISO_IR 192"


def explicit(tag: int, vr: str, value: bytes, little: bool = True) -> bytes:
    order = "<" if little else ">"
    if vr in ("OB", "OW", "SQ", "UN", "UT", "UC", "UR"):
        return struct.pack(order + "HH2s2xI", tag >> 16, tag & 0xFFFF, vr.encode(),
                           len(value)) + value
    return struct.pack(order + "HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), len(value)) + value


def raw_bytes(ds: Dataset, tag: int) -> tuple[str, bytes]:
    elem = ds._elems[tag]
    assert isinstance(elem, RawElement)
    return elem.vr, bytes(elem.data())


def rewritten(data: bytes, touch, syntax=None) -> Dataset:
    """Read ``data`` (a bare Explicit VR LE data set), apply ``touch``, write, read back."""
    ds = dicomcore.read(data)
    touch(ds)
    out = io.BytesIO()
    dicomcore.write(out, ds, transfer_syntax=syntax or ts.EXPLICIT_VR_LE, file_meta=False)
    return dicomcore.read(out.getvalue())


# --- PN keeps every separator ----------------------------------------------------------

PN_TAG = 0x00100010


@pytest.mark.parametrize("text", ["Wang^XiaoDong=王^小東=", "Wang^XiaoDong=王^小東",
                                  "Doe^John^^^", "=Yamada^Tarou", "^^^^=^^^^=^^^^",
                                  "Doe^John==", "A^B\\C^D="])
def test_person_name_keeps_every_separator_on_read_and_write(text):
    encoded = text.encode("utf-8")
    data = explicit(0x00080005, "CS", UTF8) + explicit(PN_TAG, "PN", encoded +
                                                       b" " * (len(encoded) & 1))
    ds = dicomcore.read(data)
    value = ds.PatientName
    shown = value if isinstance(value, str) else "\\".join(value)
    assert shown == text  # read: nothing dropped
    back = rewritten(data, lambda d: d.PatientName)
    assert raw_bytes(back, PN_TAG)[1].rstrip(b" ") == encoded  # written back as read
    fresh = Dataset()  # and set by hand, then written
    fresh.SpecificCharacterSet = "ISO_IR 192"
    fresh.PatientName = text if "\\" not in text else text.split("\\")
    made = dicomcore.read(encode_dataset_bytes(fresh))
    assert raw_bytes(made, PN_TAG)[1].rstrip(b" ") == encoded


_COMPONENT = st.text(st.characters(min_codepoint=0x41, max_codepoint=0x7A,
                                   blacklist_characters="\\^="), max_size=6)


@settings(max_examples=200, deadline=None)
@given(groups=st.lists(st.lists(_COMPONENT, min_size=1, max_size=5), min_size=1, max_size=3))
def test_person_name_round_trip_is_exact(groups):
    text = "=".join("^".join(parts) for parts in groups)
    ds = Dataset()
    ds.PatientName = text
    back = dicomcore.read(encode_dataset_bytes(ds))
    assert str(back.PatientName) == text
    assert back.PatientName.groups[:len(groups)] == tuple("^".join(p) for p in groups)
    assert raw_bytes(dicomcore.read(encode_dataset_bytes(ds)), PN_TAG)[1].rstrip(b" ") \
        == text.encode()


# --- any string value: what was read is written back ---------------------------------

STRING_VRS = ["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM",
              "UC", "UI", "UR", "UT"]


def _tag_for(vr: str) -> int:
    """The first standard data set element (not group 0002) with this VR."""
    from dicomcore.dataset.dictionary import _load

    return next(t for t in sorted(_load()) if t >> 16 >= 0x0008 and not t >> 16 & 1
                and dicomcore.dictionary.vr_of(t) == vr)


@pytest.mark.parametrize("vr", STRING_VRS)
@settings(max_examples=40, deadline=None)
@given(text=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40))
def test_a_string_value_looked_at_is_written_back_byte_for_byte(vr, text):
    tag = _tag_for(vr)
    value = text.encode("ascii")
    if len(value) & 1:
        value += b" "
    data = explicit(tag, vr, value)
    back = rewritten(data, lambda d: d[tag].value)
    assert raw_bytes(back, tag) == (vr, value)


@pytest.mark.parametrize("syntax", SYNTAXES, ids=IDS)
def test_looked_at_values_keep_their_bytes_in_every_syntax(syntax):
    data = (explicit(0x00080008, "CS", b"DERIVED \\PRIMARY\\AXIAL") +
            explicit(0x00080016, "UI", b"1.2.3\0") + explicit(0x00080018, "UI", b"1.2.3.4\0") +
            explicit(0x00101030, "DS", b"+82.50") + explicit(0x00102160, "SH", b"  "))
    ds = dicomcore.read(data)
    for elem in ds:  # every value looked at
        elem.value
    out = io.BytesIO()
    dicomcore.write(out, ds, transfer_syntax=syntax)
    back = dicomcore.read(out.getvalue())
    assert raw_bytes(back, 0x00080008)[1] == b"DERIVED \\PRIMARY\\AXIAL"
    assert raw_bytes(back, 0x00101030)[1] == b"+82.50"
    assert raw_bytes(back, 0x00102160)[1] == b"  "
    assert raw_bytes(back, 0x00080018)[1] == b"1.2.3.4\0"
    copied = ds.copy()  # a copy keeps them too (convert works on one)
    out = io.BytesIO()
    dicomcore.write(out, copied, transfer_syntax=syntax)
    assert raw_bytes(dicomcore.read(out.getvalue()), 0x00080008)[1] == \
        b"DERIVED \\PRIMARY\\AXIAL"


def test_a_changed_value_is_encoded_from_the_new_value():
    data = explicit(0x00080008, "CS", b"DERIVED \\PRIMARY\\AXIAL") + \
        explicit(0x00101030, "DS", b"+82.50") + explicit(0x00100010, "PN", b"Doe^John=  ")

    def change(ds):
        ds.ImageType.append("EXTRA")  # in place
        ds.PatientWeight = "82.5"  # equal as a number, other text
        ds.PatientName = ds.PatientName + "X"

    back = rewritten(data, change)
    assert raw_bytes(back, 0x00080008)[1] == b"DERIVED\\PRIMARY\\AXIAL\\EXTRA "
    assert raw_bytes(back, 0x00101030)[1] == b"82.5"
    assert raw_bytes(back, 0x00100010)[1] == b"Doe^John=X"
    replaced = rewritten(data, lambda d: d[0x00080008].__setattr__("value", ["A"]))
    assert raw_bytes(replaced, 0x00080008)[1] == b"A "


def test_text_in_another_character_set_is_encoded_again():
    data = explicit(0x00080005, "CS", b"ISO_IR 100") + explicit(0x00100010, "PN", b"M\xfcller ")

    def recode(ds):
        ds.PatientName
        ds.SpecificCharacterSet = "ISO_IR 192"

    back = rewritten(data, recode)
    assert raw_bytes(back, 0x00100010)[1] == "Müller ".encode("utf-8")  # padded to even


# --- UN of a tag the dictionary knows --------------------------------------------------

SOP_CLASS = b"1.2.840.10008.5.1.4.1.1.481.2\0"


@pytest.mark.parametrize("little", [True, False], ids=["little", "big"])
def test_un_of_a_known_tag_reads_with_the_dictionary_vr(little):
    rows = struct.pack("<H", 512)  # PS3.5 6.2.2: UN is never byte-swapped
    data = (explicit(0x00080016, "UN", SOP_CLASS, little) +
            explicit(0x00280010, "UN", rows, little) +
            explicit(0x00291010, "UN", b"\x01\x02", little))  # private: stays UN
    ds = dicomcore.read(data)
    assert ds.transfer_syntax == (ts.EXPLICIT_VR_LE if little else ts.EXPLICIT_VR_BE)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.481.2"
    assert ds[0x00080016].vr == "UI" and ds[0x00280010].vr == "US"
    assert ds.Rows == 512
    assert ds[0x00291010].vr == "UN" and ds[0x00291010].value == b"\x01\x02"
    for syntax in SYNTAXES:  # written back as the UN it was, its bytes untouched
        out = io.BytesIO()
        dicomcore.write(out, ds, transfer_syntax=syntax)
        back = dicomcore.read(out.getvalue())
        if syntax.explicit_vr:
            assert raw_bytes(back, 0x00080016) == ("UN", SOP_CLASS)
            assert raw_bytes(back, 0x00280010) == ("UN", rows)
        assert back.file_meta.MediaStorageSOPClassUID == "1.2.840.10008.5.1.4.1.1.481.2"
        assert back.Rows == 512 and back.SOPClassUID == ds.SOPClassUID


def test_a_changed_un_value_is_written_with_the_dictionary_vr():
    data = explicit(0x00080016, "UN", SOP_CLASS) + explicit(0x00280010, "UN", b"\x00\x02")
    back = rewritten(data, lambda d: setattr(d, "Rows", 256))
    assert raw_bytes(back, 0x00280010) == ("US", b"\x00\x01")
    assert raw_bytes(back, 0x00080016) == ("UN", SOP_CLASS)


def test_bytes_never_reach_a_text_value_as_their_repr():
    ds = Dataset()
    ds.add(0x00080016, "UN", SOP_CLASS)  # made by hand as UN: the meta takes its text
    ds.SOPInstanceUID = "1.2.3"
    out = io.BytesIO()
    dicomcore.write(out, ds)
    assert b"b'" not in out.getvalue()
    assert dicomcore.read(out.getvalue()).file_meta.MediaStorageSOPClassUID == \
        SOP_CLASS.rstrip(b"\0").decode()
    bad = Dataset()
    bad.add(0x00100020, "LO", b"PID-1")
    with pytest.raises(EncodeError, match="must be str, not bytes"):
        encode_dataset_bytes(bad)


# --- the tag of a decoded element --------------------------------------------------------

@given(st.integers(-2**33, 2**33))
def test_element_tag_is_tag_of_the_int(value):
    try:
        expected = Tag(value)
    except ValueError:
        with pytest.raises(ValueError):
            DataElement(value, "UN", b"")
        return
    made = DataElement(value, "UN", b"").tag
    assert made == expected and type(made) is Tag
    assert DataElement(expected, "UN", b"").tag == expected


def test_person_name_from_a_file_with_the_trailing_group_separator():
    """chrX1.dcm's name, as in pydicom's charset files."""
    pn = PersonName("Wang^XiaoDong=王^小東=")
    assert pn.groups == ("Wang^XiaoDong", "王^小東", "")
    assert str(pn) == "Wang^XiaoDong=王^小東="
