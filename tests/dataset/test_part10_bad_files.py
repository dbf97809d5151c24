"""Bad files get the right error (issue #12 point 12): empty and non-DICOM files are an
InvalidFileError naming what was found; a file cut short is a TruncatedError, or with
``partial=True`` the elements read before the cut and a DecodeWarning naming the offset;
a lying File Meta Information group length is read past, with a warning naming both."""
from __future__ import annotations

import gzip
import io
import json
import struct
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dicomcore
from dicomcore import Dataset
from dicomcore.dataset import transfer_syntax as ts
from dicomcore.dataset.element import RawElement
from dicomcore.errors import DecodeWarning, InvalidFileError, TruncatedError

SYNTAXES = [ts.IMPLICIT_VR_LE, ts.EXPLICIT_VR_LE, ts.EXPLICIT_VR_BE,
            ts.DEFLATED_EXPLICIT_VR_LE]
IDS = ["implicit", "explicit", "big", "deflated"]


def sample() -> Dataset:
    """Nested sequences of both kinds of length, text, numbers and pixels."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.2.1125.5"
    ds.PatientName = "Wang^XiaoDong=王^小東="
    ds.PixelSpacing = ["0.5", "0.25"]
    inner = Dataset()
    inner.CodeValue = "T-D1100"
    inner.CodeMeaning = "head"
    item = Dataset()
    item.ReferencedSOPInstanceUID = "1.2.3.4"
    item.add(0x00082218, "SQ", [inner])  # Anatomic Region Sequence
    delimited = Dataset()
    object.__setattr__(delimited, "undefined_length", True)
    delimited.CodeValue = "121"
    ds.add(0x00081140, "SQ", [item, delimited])
    ds[0x00081140].undefined_length = True
    ds.add(0x00400275, "SQ", [item])  # Request Attributes Sequence, defined length
    ds.Rows = 2
    ds.Columns = 2
    ds.add(0x7FE00010, "OW", bytes(range(8)))
    return ds


def file_bytes(ds: Dataset, syntax) -> bytes:
    out = io.BytesIO()
    dicomcore.write(out, ds, transfer_syntax=syntax)
    return out.getvalue()


# --- empty and non-DICOM files --------------------------------------------------------

def test_an_empty_file_is_invalid(tmp_path):
    path = tmp_path / "empty.dcm"
    path.write_bytes(b"")
    for source in (path, str(path), io.BytesIO(b""), b""):
        with pytest.raises(InvalidFileError, match=r"not a DICOM file.*empty file \(0 bytes\)"):
            dicomcore.read(source)


NOT_DICOM = {
    "text": (b"Test Files used for testing pydicom\n" * 20, "text ('Test Files used"),
    "json": (json.dumps({"00100010": {"vr": "PN"}}, indent=2).encode(), "JSON text"),
    "gzip": (gzip.compress(b"\0" * 2000), "gzip-compressed data"),
    "zip": (b"PK\x03\x04" + bytes(200), "a ZIP archive"),
    "pdf": (b"%PDF-1.7\n" + bytes(200), "a PDF document"),
    "icc": (struct.pack(">I", 3144) + b"ADBE" + bytes(28) + b"acsp" + bytes(300),
            "an ICC colour profile"),
    "dump": (b"(0008,0005) CS [ISO_IR 100]       #  10, 1 SpecificCharacterSet\n",
             "text ('(0008,0005) CS"),
    "short": (b"\x08\x00\x05", "3 byte(s), fewer than one data element header"),
    "binary": (b"\x08\x00\x05\x00\x40\x00\x00\x70" + bytes(100),
               "bytes 08 00 05 00 40 00 00 70, which as a data element header (0008,0005) "
               "give a value of 1879048256 bytes in a 108-byte file"),
}


@pytest.mark.parametrize("name", sorted(NOT_DICOM))
def test_a_file_that_is_not_dicom_says_what_was_found(name, tmp_path):
    data, found = NOT_DICOM[name]
    path = tmp_path / name
    path.write_bytes(data)
    for source in (path, data):
        with pytest.raises(InvalidFileError) as caught:
            dicomcore.read(source)
        message = str(caught.value)
        assert message.startswith("offset 0: not a DICOM file")
        assert found in message
        assert "runs past the end" not in message and "b'" not in message


def test_a_bare_dataset_is_still_read():
    ds = sample()
    for little, explicit in ((True, False), (True, True), (False, True)):
        from dicomcore.dataset.encode import encode_dataset_bytes
        from dicomcore.dataset.part10 import _without_meta

        data = encode_dataset_bytes(_without_meta(ds), little, explicit)
        assert dicomcore.read(data).PatientName == ds.PatientName


# --- truncated files ------------------------------------------------------------------

def _complete_prefix(partial: Dataset, full: Dataset) -> None:
    """Every element of ``partial`` is the one of ``full``, but for the last one, which
    may be a sequence cut short: its items are then a prefix, compared the same way."""
    tags = partial.tags()
    assert tags == full.tags()[:len(tags)]
    for tag in tags:
        ours, theirs = partial[tag], full[tag]
        if tag != tags[-1] or ours.vr != "SQ":
            assert ours == theirs, tag
            continue
        assert len(ours.value) <= len(theirs.value)
        for index, item in enumerate(ours.value):
            if index < len(ours.value) - 1:
                assert item == theirs.value[index]
            else:
                _complete_prefix(item, theirs.value[index])


@pytest.mark.parametrize("syntax", SYNTAXES, ids=IDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_file_cut_anywhere_is_truncated_or_read_partially(syntax, data):
    whole = file_bytes(sample(), syntax)
    full = dicomcore.read(whole)
    body_start = 132 + 12 + struct.unpack_from("<I", whole, 140)[0]
    cut = data.draw(st.integers(body_start, len(whole) - 1), label="cut")
    cut_file = whole[:cut]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DecodeWarning)
            strict = dicomcore.read(cut_file)
    except TruncatedError as exc:
        error = str(exc)
    else:  # cut on an element boundary of the top level: nothing to notice
        error = None
        _complete_prefix(strict, full)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        partial = dicomcore.read(cut_file, partial=True)
    messages = [str(w.message) for w in caught if issubclass(w.category, DecodeWarning)]
    if error is None:
        assert not messages
    else:
        # the fault a strict read raises, first; a deflate stream cut short also leaves
        # its inflated bytes cut short: a second warning then names where they end
        assert messages[0].startswith(error), (messages, error)
        assert len(messages) <= (2 if syntax.deflated else 1)
        assert all("partial read" in m for m in messages)
    _complete_prefix(partial, full)
    assert partial.file_meta == full.file_meta


def test_partial_names_the_offset_and_leaves_out_the_element_cut_short():
    whole = file_bytes(sample(), ts.EXPLICIT_VR_LE)
    cut = whole[:-3]  # inside Pixel Data's value
    with pytest.raises(TruncatedError, match=r"\(7FE0,0010\) at offset \d+: value length 8 "):
        dicomcore.read(cut)
    with pytest.warns(DecodeWarning, match=r"\(7FE0,0010\) at offset \d+: value length 8 runs "
                      r"past the end of the data \(5 byte\(s\) left\); partial read"):
        ds = dicomcore.read(cut, partial=True)
    assert 0x7FE00010 not in ds and ds.Columns == 2


def test_partial_keeps_the_items_of_a_sequence_cut_short(tmp_path):
    ds = sample()
    del ds[0x7FE00010], ds.Rows, ds.Columns
    whole = file_bytes(ds, ts.EXPLICIT_VR_LE)
    cut = whole[:-10]  # inside the last item of Request Attributes Sequence
    path = tmp_path / "cut.dcm"
    path.write_bytes(cut)
    with pytest.warns(DecodeWarning, match="partial read"):
        partial = dicomcore.read(path, partial=True)
    seq = partial[0x00400275].value
    assert len(seq) == 1 and seq[0].ReferencedSOPInstanceUID == "1.2.3.4"
    assert partial[0x00081140] == ds[0x00081140]


def test_partial_on_a_deflated_stream_cut_short():
    whole = file_bytes(sample(), ts.DEFLATED_EXPLICIT_VR_LE)
    cut = whole[:len(whole) - 20]
    with pytest.raises(TruncatedError, match="deflate stream"):
        dicomcore.read(cut)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = dicomcore.read(cut, partial=True)
    assert any("deflate stream" in str(w.message) for w in caught)
    assert ds.SOPInstanceUID == sample().SOPInstanceUID


# --- a lying File Meta Information group length ----------------------------------------

@pytest.mark.parametrize("claimed", [0, 61, 5000, 0xFFFFFFFF])
def test_lying_group_length_reads_as_before_and_warns_with_both(claimed):
    whole = file_bytes(sample(), ts.EXPLICIT_VR_LE)
    true_length = struct.unpack_from("<I", whole, 140)[0]
    lying = bytearray(whole)
    lying[140:144] = struct.pack("<I", claimed)
    with pytest.warns(DecodeWarning, match=f"says {claimed} bytes, but group 0002 is "
                                           f"{true_length} bytes"):
        ds = dicomcore.read(bytes(lying))
    assert ds == dicomcore.read(whole)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DecodeWarning)
        dicomcore.read(whole)  # the true length: no warning


@pytest.mark.parametrize("syntax", SYNTAXES, ids=IDS)
def test_lying_group_length_of_a_big_file_warns_once(syntax, tmp_path):
    ds = sample()
    ds.add(0x7FE00010, "OW", bytes(range(256)) * 1024)  # past the 64 KiB head read first
    whole = bytearray(file_bytes(ds, syntax))
    whole[140:144] = struct.pack("<I", 7)
    path = tmp_path / "big.dcm"
    path.write_bytes(bytes(whole))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        back = dicomcore.read(path)
    assert [str(w.message) for w in caught].count(
        f"offset 132: File Meta Information Group Length (0002,0000) says 7 bytes, but group "
        f"0002 is {struct.unpack_from('<I', file_bytes(ds, syntax), 140)[0]} bytes (read "
        "element by element)") == 1
    assert back[0x7FE00010].value == ds[0x7FE00010].value


def test_raw_elements_keep_their_offsets_after_a_partial_read():
    whole = file_bytes(sample(), ts.EXPLICIT_VR_LE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = dicomcore.read(whole[:-3], partial=True)
    raw = ds._elems[0x00280011]
    assert isinstance(raw, RawElement)
    assert whole[raw.offset:raw.offset + 4] == b"\x28\x00\x11\x00"


# --- an item length left stale ------------------------------------------------------------

def _item(body: bytes, length: int) -> bytes:
    return struct.pack("<HHI", 0xFFFE, 0xE000, length) + body


def _element(tag: int, vr: bytes, value: bytes) -> bytes:
    return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr, len(value)) + value


def _sq(tag: int, body: bytes, length: int) -> bytes:
    return struct.pack("<HH2s2xI", tag >> 16, tag & 0xFFFF, b"SQ", length) + body


FIRST = _element(0x00081150, b"UI", b"1.2.3\0")
LAST = _element(0x00081155, b"UI", b"1.2.3.4\0")


def test_a_stale_item_length_in_a_defined_length_sequence_is_read_with_a_warning():
    body = _item(FIRST, len(FIRST)) + _item(LAST, len(LAST) + 24)  # 24 bytes too long
    data = _sq(0x00081140, body, len(body)) + _element(0x00100010, b"PN", b"Doe^J ")
    with pytest.warns(DecodeWarning, match=r"item length 40 runs past the end of its "
                      r"sequence \(16 byte\(s\) left\); its elements end where"):
        ds = dicomcore.read(data)
    assert [i.ReferencedSOPInstanceUID for i in ds[0x00081140].value[1:]] == ["1.2.3.4"]
    assert ds.PatientName == "Doe^J"


def test_an_item_overrunning_a_sequence_by_broken_elements_stays_an_error():
    body = _item(FIRST, len(FIRST)) + _item(LAST[:-4], len(LAST))  # the element cut
    data = _sq(0x00081140, body, len(body)) + _element(0x00100010, b"PN", b"Doe^J ")
    with pytest.raises(TruncatedError, match="item length 16 runs past the end of its "
                       "sequence"):
        dicomcore.read(data)


def test_an_undefined_length_sequence_cut_after_an_element_is_truncated():
    """Where the data ends, not the sequence: a cut, however neat, is not a stale length."""
    body = _item(FIRST, len(FIRST)) + _item(LAST, len(LAST) + 24)
    data = _element(0x00080005, b"CS", b"ISO_IR 100") + _sq(0x00081140, body, 0xFFFFFFFF)
    with pytest.raises(TruncatedError, match="item length 40 runs past"):
        dicomcore.read(data)
