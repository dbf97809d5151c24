"""``file_summary.store_summary`` / ``sop_uids``: the SOP Class and Instance UIDs a C-STORE
sends, read from the first element headers of the data set, held equal to the general
decoder over generated datasets in every native syntax; files without a usable meta;
stale meta headers; bad input.
"""
from __future__ import annotations

import io
import struct
import warnings
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dicomcore
from dicomcore import Dataset
from dicomcore.dataset import file_summary, part10
from dicomcore.dataset import transfer_syntax as ts
from dicomcore.dataset.encode import encode_dataset_bytes
from dicomcore.errors import DecodeError, TruncatedError
from dicomcore.fuzz.datasets import datasets, value_for

SYNTAXES = [ts.IMPLICIT_VR_LE, ts.EXPLICIT_VR_LE, ts.EXPLICIT_VR_BE,
            ts.DEFLATED_EXPLICIT_VR_LE]
IDS = ["implicit", "explicit", "big", "deflated"]
_UIDS = st.from_regex(r"[1-9][0-9]{0,3}(\.[1-9][0-9]{0,8}){1,10}", fullmatch=True)
# Standard elements that sort before (0008,0016): the walk has to step over them.
_EARLY = [(0x00041130, "CS"), (0x00041200, "UL"), (0x00041212, "US"), (0x00041220, "SQ"),
          (0x00041510, "UI"), (0x00080001, "UL"), (0x00080006, "SQ"), (0x00080008, "CS"),
          (0x00080012, "DA"), (0x00080013, "TM"), (0x00080014, "UI"), (0x00080015, "DT")]


@st.composite
def _instances(draw) -> Dataset:
    """A generated dataset with early elements (sequences of both length forms among
    them) and the two SOP UIDs each present or not."""
    ds = draw(datasets())
    for tag, vr in draw(st.lists(st.sampled_from(_EARLY), max_size=4, unique=True)):
        if vr == "SQ":
            items = draw(st.lists(datasets(charsets=(), depth=0, max_elements=3), max_size=2))
            for item in items:
                object.__setattr__(item, "undefined_length", draw(st.booleans()))
            ds.add(tag, "SQ", items).undefined_length = draw(st.booleans())
        else:
            ds.add(tag, vr, draw(value_for(vr)))
    for tag in (0x00080016, 0x00080018):
        if draw(st.integers(0, 5)):  # mostly present
            ds.add(tag, "UI", draw(_UIDS))
    return ds


def _text(value) -> str:
    """A UI value as one DIMSE string: several values joined by backslashes."""
    if isinstance(value, list):
        return "\\".join(map(str, value))
    return str(value or "")


def _uids(ds: Dataset) -> tuple[str, str]:
    return _text(ds.get(0x00080016)), _text(ds.get(0x00080018))


def _general(ds_bytes: bytes, syntax: ts.TransferSyntax) -> tuple[str, str]:
    """The UIDs as the general decoder gives them, decoding the whole data set."""
    return _uids(dicomcore.read(io.BytesIO(ds_bytes)))


def _file(ds: Dataset, syntax: ts.TransferSyntax) -> bytes:
    out = io.BytesIO()
    if not ds.get(0x00080016):  # write() needs both
        ds.SOPClassUID = "1.2.3"
    if not ds.get(0x00080018):
        ds.SOPInstanceUID = "4.5.6"
    dicomcore.write(out, ds, transfer_syntax=syntax.uid)
    return out.getvalue()


@pytest.mark.parametrize("syntax", SYNTAXES, ids=IDS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=_instances())
def test_fast_walk_equals_the_general_decoder(syntax, ds):
    """Over a bare data set in each syntax, the walk of a few headers finds what a
    decode of the whole data set finds (absent UIDs included), and a head cut anywhere
    is either answered the same or declined (None), never answered wrong."""
    if syntax.deflated:
        body = zlib.compress(encode_dataset_bytes(ds, True, True))[2:-4]
    else:
        body = encode_dataset_bytes(ds, syntax.little_endian, syntax.explicit_vr)
    meta = Dataset()
    meta.add(0x00020010, "UI", syntax.uid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _uids(ds)
        # a bare dataset is sniffed by read(): only native ones, and an empty one is no file
        if not syntax.deflated and body:
            assert _general(body, syntax) == expected
        assert file_summary.sop_uids(body, 0, syntax) == expected
        for cut in sorted({0, 1, 7, 8, 12, 40, 100, len(body) // 2, len(body) - 1}):
            if 0 <= cut < len(body):
                got = file_summary.sop_uids(body[:cut], 0, syntax, complete=False)
                assert got in (None, expected), cut


@pytest.mark.parametrize("syntax", SYNTAXES, ids=IDS)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=_instances(), stale=st.booleans())
def test_summary_of_part10_files_equals_full_read(syntax, ds, stale):
    """store_summary of a whole Part 10 file: the data set's UIDs, the meta's beside them,
    the syntax and the data set's offset, as ``read`` and ``_read_header`` see them."""
    data = _file(ds, syntax)
    if stale:  # the meta of another instance before this data set (a stale header)
        true_uid = ds.SOPInstanceUID
        ds.SOPInstanceUID = "2." + _text(true_uid)
        other = _file(ds, syntax)
        ds.SOPInstanceUID = true_uid
        data = other[:part10._read_header(other, 64)[2]] + \
            data[part10._read_header(data, 64)[2]:]
    _, meta, pos, syntax_read = part10._read_header(data, 64)
    back = dicomcore.read(io.BytesIO(data))
    summary = file_summary.store_summary(data, complete=True)
    assert summary == (*_uids(back), syntax_read, pos,
                       str(meta.get(0x00020002)), str(meta.get(0x00020003)), True)
    assert (summary.meta_instance != summary.sop_instance) == stale


def test_deflated_summary_needs_only_the_start():
    """A deflated file's UIDs come from inflating its start: a head of 1 KiB of a file
    of some megabytes answers."""
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4.5"
    ds.add(0x7FE00010, "OB", bytes(range(256)) * 16384)  # 4 MiB
    data = _file(ds, ts.DEFLATED_EXPLICIT_VR_LE)
    head = data[:1024]
    summary = file_summary.store_summary(head, complete=False)
    assert summary is not None
    assert (summary.sop_class, summary.sop_instance) == ("1.2.840.10008.5.1.4.1.1.7",
                                                         "1.2.3.4.5")


def _bare(ds: Dataset, little: bool = True, explicit: bool = False) -> bytes:
    return encode_dataset_bytes(ds, little, explicit)


def _rtstruct_like() -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.InstanceCreationDate = "20091223"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.8.498.2010020400001"
    ds.PatientName = "Doe^Jane"
    return ds


@pytest.mark.parametrize("little,explicit,syntax", [
    (True, False, ts.IMPLICIT_VR_LE), (True, True, ts.EXPLICIT_VR_LE),
    (False, True, ts.EXPLICIT_VR_BE)], ids=["implicit", "explicit", "big"])
def test_no_meta_at_all(little, explicit, syntax):
    """A bare data set (pydicom's rtstruct.dcm is one): the syntax is sniffed and the
    UIDs read from it; no meta UIDs."""
    ds = _rtstruct_like()
    summary = file_summary.store_summary(_bare(ds, little, explicit), complete=True)
    assert summary == (ds.SOPClassUID, ds.SOPInstanceUID, syntax, 0, "", "", True)


def test_meta_without_media_storage_uids():
    """A meta with only (0002,0010): the UIDs come from the data set alone."""
    ds = _rtstruct_like()
    meta = Dataset()
    meta.add(0x00020001, "OB", b"\x00\x01")
    meta.add(0x00020010, "UI", ts.IMPLICIT_VR_LE.uid)
    meta_bytes = encode_dataset_bytes(meta, True, True)
    head = (bytes(128) + b"DICM" + struct.pack("<HH2sHI", 2, 0, b"UL", 4, len(meta_bytes))
            + meta_bytes)
    data = head + _bare(ds)
    summary = file_summary.store_summary(data, complete=True)
    assert summary == (ds.SOPClassUID, ds.SOPInstanceUID, ts.IMPLICIT_VR_LE, len(head), "",
                       "", True)


def test_data_set_not_in_its_declared_syntax_is_flagged():
    """Implicit VR bytes under a meta that says explicit (pydicom's SC_rgb_jpeg.dcm):
    the UIDs are still found, and the summary says the bytes are not as declared."""
    ds = _rtstruct_like()
    good = _file(ds, ts.EXPLICIT_VR_LE)
    pos = part10._read_header(good, 64)[2]
    data = good[:pos] + _bare(ds, True, False)
    with pytest.warns(Warning, match="implicit"):
        summary = file_summary.store_summary(data, complete=True)
    assert (summary.sop_class, summary.sop_instance) == (ds.SOPClassUID, ds.SOPInstanceUID)
    assert summary.as_declared is False
    assert file_summary.store_summary(good, complete=True).as_declared is True


def test_lying_length_before_the_uids_names_offset_and_tag():
    ds = _rtstruct_like()
    data = bytearray(_bare(ds))
    data[4:8] = (1 << 20).to_bytes(4, "little")  # (0008,0005) claims a megabyte
    with pytest.raises(TruncatedError) as info:
        file_summary.sop_uids(bytes(data), 0, ts.IMPLICIT_VR_LE)
    assert "(0008,0005)" in str(info.value) and "offset" in str(info.value)
    assert file_summary.sop_uids(bytes(data), 0, ts.IMPLICIT_VR_LE, complete=False) is None


def test_corrupt_deflate_stream_is_a_decode_error():
    ds = _rtstruct_like()
    data = bytearray(_file(ds, ts.DEFLATED_EXPLICIT_VR_LE))
    pos = part10._read_header(bytes(data), 64)[2]
    data[pos:pos + 8] = b"\xff" * 8
    with pytest.raises(DecodeError, match="deflated dataset is corrupt"):
        file_summary.store_summary(bytes(data), complete=True)


def test_deflated_uids_behind_a_large_early_element():
    """The UIDs after 100 KB of other data: inflated in growing steps until found; a
    head cut before them is declined, never answered wrong."""
    import random

    ds = _rtstruct_like()
    ds.add(0x00070010, "LO", "EARLY")
    ds.add(0x00071000, "OB", random.Random(1).randbytes(100_000))  # does not compress
    data = _file(ds, ts.DEFLATED_EXPLICIT_VR_LE)
    expected = (ds.SOPClassUID, ds.SOPInstanceUID)
    summary = file_summary.store_summary(data, complete=True)
    assert (summary.sop_class, summary.sop_instance) == expected
    for cut in (1 << 12, 1 << 16, len(data) - 10):
        got = file_summary.store_summary(data[:cut], complete=False)
        assert got is None or (got.sop_class, got.sop_instance) == expected
    assert file_summary.store_summary(data[:1 << 16], complete=False) is None
