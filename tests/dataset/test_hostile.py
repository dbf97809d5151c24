"""Hostile input: whatever the bytes, reading raises a DicomError (or succeeds), quickly
and in bounded memory; tolerated faults are DecodeWarnings."""
from __future__ import annotations

import io
import struct
import time
import tracemalloc
import warnings
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dicomcore
from dicomcore import Dataset
from dicomcore.dataset import transfer_syntax as ts
from dicomcore.errors import (DecodeError, DecodeWarning, DicomError, DicomWarning,
                              LimitError, NestingError, TruncatedError)
from dicomcore.fuzz.datasets import datasets

SYNTAXES = [ts.IMPLICIT_VR_LE, ts.EXPLICIT_VR_LE, ts.EXPLICIT_VR_BE,
            ts.DEFLATED_EXPLICIT_VR_LE]
IDS = ["implicit", "explicit", "big", "deflated"]
SC_CLASS = "1.2.840.10008.5.1.4.1.1.7"


def read_everything(data: bytes, **kwargs) -> Dataset | None:
    """Read and decode every value; only DicomError may escape, only DicomWarnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = dicomcore.read(io.BytesIO(data), **kwargs)
            ds.decode_all()
            repr(ds)
            for _depth, elem in ds.walk():
                elem.VM
        except DicomError:
            ds = None
        # Any other exception type propagates and fails the test with its traceback.
    strays = [w for w in caught if not issubclass(w.category, DicomWarning)]
    assert not strays, [str(w.message) for w in strays]
    return ds


def small_file(syntax) -> bytes:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = SC_CLASS
    ds.SOPInstanceUID = "1.2.3.4.5"
    ds.PatientName = "Ünïcödé^Name"
    ds.PixelSpacing = ["0.5", "0.25"]
    ds.InstanceNumber = "12"
    ds.Rows = 2
    ds.Columns = 2
    ds.BitsAllocated = 16
    ds.PixelRepresentation = 1
    ds.add(0x00280106, "SS", -3)
    ds.add(0x00209165, "AT", [0x00100010, 0x00280010])
    item = Dataset()
    item.ReferencedSOPClassUID = SC_CLASS
    item.ReferencedSOPInstanceUID = "1.2.3"
    inner = Dataset()
    inner.CodeValue = "X"
    object.__setattr__(inner, "undefined_length", True)
    item.add(0x0040A170, "SQ", [inner]).undefined_length = True
    ds.add(0x00081140, "SQ", [item, Dataset()])
    ds.private_block(0x0009, "HOSTILE", create=True).add(0x01, "UN", b"\x01\x02")
    ds.add(0x7FE00010, "OW", b"\x01\x00\x02\x00\x03\x00\x04\x00")
    out = io.BytesIO()
    dicomcore.write(out, ds, transfer_syntax=syntax.uid)
    return out.getvalue()


# --- fuzzing ----------------------------------------------------------------------------

def _mutate(data: bytes, ops: list) -> bytes:
    buf = bytearray(data)
    for kind, where, value in ops:
        if not buf:
            break
        pos = int(where * len(buf)) % len(buf)
        if kind == "flip":
            buf[pos] ^= 1 << (value % 8)
        elif kind == "set":
            buf[pos] = value
        elif kind == "insert":
            buf[pos:pos] = bytes([value]) * (1 + value % 4)
        elif kind == "delete":
            del buf[pos:pos + 1 + value % 8]
        elif kind == "ff":  # lengths of 0xFFFF.. are the classic liars
            buf[pos:pos + 4] = b"\xff\xff\xff\xff"
    return bytes(buf)


_OPS = st.lists(st.tuples(st.sampled_from(["flip", "set", "insert", "delete", "ff"]),
                          st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                min_size=1, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets(), syntax=st.sampled_from(SYNTAXES), ops=_OPS)
def test_mutated_files_raise_only_dicom_errors(ds, syntax, ops):
    ds.SOPClassUID = SC_CLASS
    ds.SOPInstanceUID = "1.2.3.4"
    out = io.BytesIO()
    dicomcore.write(out, ds, transfer_syntax=syntax.uid)
    read_everything(_mutate(out.getvalue(), ops))


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=600), prefix=st.sampled_from([b"", b"\0" * 128 + b"DICM"]))
def test_random_bytes_raise_only_dicom_errors(data, prefix):
    read_everything(prefix + data)


@pytest.mark.parametrize("syntax", SYNTAXES, ids=IDS)
def test_truncated_at_every_offset(syntax):
    data = small_file(syntax)
    whole = read_everything(data)
    assert whole is not None and whole.PatientName == "Ünïcödé^Name"
    errors = 0
    for size in range(len(data)):
        if read_everything(data[:size]) is None:
            errors += 1
    assert errors > len(data) // 2  # most cuts are noticed, none crash


# --- lying lengths ----------------------------------------------------------------------

def _meta(ts_uid: str) -> bytes:
    def elem(tag, vr, value):
        if len(value) & 1:
            value += b"\0"
        if vr in ("OB",):
            return struct.pack("<HH2s2xI", 2, tag, vr.encode(), len(value)) + value
        return struct.pack("<HH2sH", 2, tag, vr.encode(), len(value)) + value
    body = (elem(0x0001, "OB", b"\0\1") + elem(0x0002, "UI", SC_CLASS.encode())
            + elem(0x0003, "UI", b"1.2.3") + elem(0x0010, "UI", ts_uid.encode()))
    return (b"\0" * 128 + b"DICM" + struct.pack("<HH2sHI", 2, 0, b"UL", 4, len(body)) + body)


def _explicit(tag: int, vr: str, value: bytes, length: int | None = None) -> bytes:
    length = len(value) if length is None else length
    if vr in ("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"):
        head = struct.pack("<HH2s2xI", tag >> 16, tag & 0xFFFF, vr.encode(), length)
    else:
        head = struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), length)
    return head + value


def _expect(error, data: bytes, **kwargs) -> DicomError:
    """``error`` is raised, within 2 s and with < 10 MB allocated at peak."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(error) as info:
            dicomcore.read(io.BytesIO(data), **kwargs).decode_all()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2
    assert peak < 10 << 20, peak
    return info.value


EXPLICIT = _meta(ts.EXPLICIT_VR_LE.uid)
PN = _explicit(0x00100010, "PN", b"Doe^John")


def test_value_length_past_the_end():
    data = EXPLICIT + PN + _explicit(0x00104000, "UT", b"abc" * 300, 0xFFFFFFF0)
    assert len(data) < 1500
    exc = _expect(TruncatedError, data)
    assert exc.tag == 0x00104000 and exc.offset == len(EXPLICIT + PN)
    assert "4294967280" in str(exc)


@pytest.mark.parametrize("vr", ["OB", "UN", "OW", "UT", "SQ"])
def test_four_gigabyte_claim_in_a_kilobyte(vr):
    data = EXPLICIT + _explicit(0x00091010, vr, b"\0" * 1000, 0xFFFFFFFE)
    _expect(TruncatedError, data)


def test_short_value_length_past_the_end():
    _expect(TruncatedError, EXPLICIT + _explicit(0x00100010, "PN", b"Doe", 0xFFF0))


@pytest.mark.parametrize("claimed", [0, 4, 10, 61, 5000, 0xFFFFFFFF])
def test_lying_meta_group_length_is_ignored(claimed):
    data = bytearray(EXPLICIT + PN)
    data[140:144] = struct.pack("<I", claimed)
    ds = dicomcore.read(io.BytesIO(bytes(data)))
    assert ds.PatientName == "Doe^John"
    assert ds.file_meta.TransferSyntaxUID == ts.EXPLICIT_VR_LE.uid
    assert len(ds.file_meta) == 5


@pytest.mark.parametrize("seq_length", [0xFFFFFFFF, 64])
def test_huge_item_length(seq_length):
    item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFF0) + PN
    body = item + (struct.pack("<HHI", 0xFFFE, 0xE0DD, 0) if seq_length == 0xFFFFFFFF else b"")
    if seq_length != 0xFFFFFFFF:
        body = body[:seq_length].ljust(seq_length, b"\0")
    data = EXPLICIT + _explicit(0x00081140, "SQ", body, seq_length)
    exc = _expect(TruncatedError, data)
    assert exc.tag == 0x00081140


def test_huge_fragment_length():
    fragments = (struct.pack("<HHI", 0xFFFE, 0xE000, 0) +
                 struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFF0) + b"\0" * 100)
    data = _meta("1.2.840.10008.1.2.4.50") + _explicit(0x7FE00010, "OB", fragments, 0xFFFFFFFF)
    _expect(TruncatedError, data)


def _nested(depth: int, little: bool = True) -> bytes:
    """``depth`` sequences of undefined length, each in an item of undefined length."""
    order = "<" if little else ">"
    seq = struct.pack(order + "HH2s2xI", 0x0008, 0x1140, b"SQ", 0xFFFFFFFF)
    item = struct.pack(order + "HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    item_end = struct.pack(order + "HHI", 0xFFFE, 0xE00D, 0)
    seq_end = struct.pack(order + "HHI", 0xFFFE, 0xE0DD, 0)
    return (seq + item) * depth + (item_end + seq_end) * depth


def test_nesting_ten_thousand_deep_raises_nesting_error_quickly():
    data = EXPLICIT + _nested(10_000)
    started = time.perf_counter()
    exc = _expect(NestingError, data)
    assert time.perf_counter() - started < 0.5
    assert exc.tag == 0x00081140
    with pytest.raises(NestingError):
        dicomcore.read(io.BytesIO(_meta(ts.EXPLICIT_VR_BE.uid) + _nested(10_000, False)))
    with pytest.raises(NestingError):  # bare dataset, no meta
        dicomcore.read(io.BytesIO(_nested(10_000)))


def test_nesting_deeper_than_the_stack_is_a_nesting_error():
    """A caller's max_depth above Python's recursion limit still gives a DicomError."""
    with pytest.raises(NestingError):
        dicomcore.read(io.BytesIO(EXPLICIT + _nested(10_000)), max_depth=1_000_000)


def test_nesting_at_the_limit_reads():
    ds = dicomcore.read(io.BytesIO(EXPLICIT + _nested(64)))
    depth = 0
    while 0x00081140 in ds:
        ds = ds[0x00081140].value[0]
        depth += 1
    assert depth == 64
    with pytest.raises(NestingError):
        dicomcore.read(io.BytesIO(EXPLICIT + _nested(65)))
    with pytest.raises(NestingError):
        dicomcore.read(io.BytesIO(EXPLICIT + _nested(5)), max_depth=4)


@pytest.mark.parametrize("vr", ["UT", "OF", "UC", "UR", "OD", "OL"])
def test_undefined_length_on_a_non_sequence_vr(vr):
    data = EXPLICIT + _explicit(0x00104000, vr, b"abcd" + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0),
                                0xFFFFFFFF)
    exc = _expect(DecodeError, data)
    assert exc.tag == 0x00104000 and "undefined length" in str(exc)


def test_item_tag_at_dataset_level():
    data = EXPLICIT + PN + struct.pack("<HHI", 0xFFFE, 0xE000, 4) + b"abcd"
    exc = _expect(DecodeError, data)
    assert exc.offset == len(EXPLICIT + PN)


def test_invalid_vr_bytes():
    data = EXPLICIT + PN + struct.pack("<HH2sH", 0x0010, 0x0020, b"\x01\x02", 2) + b"ab"
    _expect(DecodeError, data)


# --- deflate ----------------------------------------------------------------------------

def _deflated_file(body: bytes) -> bytes:
    engine = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return _meta(ts.DEFLATED_EXPLICIT_VR_LE.uid) + engine.compress(body) + engine.flush()


def test_truncated_deflate_stream():
    body = PN + _explicit(0x00104000, "LT", bytes(range(32, 127)) * 40)
    whole = _deflated_file(body)
    assert dicomcore.read(io.BytesIO(whole)).PatientName == "Doe^John"
    meta = len(_meta(ts.DEFLATED_EXPLICIT_VR_LE.uid))
    for cut in (meta + 1, meta + 10, (meta + len(whole)) // 2, len(whole) - 1):
        with pytest.raises(DicomError):
            dicomcore.read(io.BytesIO(whole[:cut])).decode_all()


def test_corrupt_deflate_stream():
    data = _meta(ts.DEFLATED_EXPLICIT_VR_LE.uid) + b"\xff" * 64
    _expect(DecodeError, data)


_FINAL_EMPTY_BLOCK = b"\x03\x00"  # BFINAL=1, fixed Huffman, end-of-block (RFC 1951 3.2.6)


def _bomb(zero_blocks: int) -> bytes:
    """``zero_blocks`` x 16 MiB of zeros after a Patient Name, as one raw deflate stream.

    Never materialised: one 16 MiB block is deflated once and ended with a full flush
    (byte aligned, no back references across it), so copies of it chain validly; an
    empty final block ends the stream.
    """
    head = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    opening = head.compress(PN + _explicit(0x00111010, "OB", b"", zero_blocks << 24))
    opening += head.flush(zlib.Z_FULL_FLUSH)
    block = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    zeros = block.compress(bytes(16 << 20)) + block.flush(zlib.Z_FULL_FLUSH)
    return (_meta(ts.DEFLATED_EXPLICIT_VR_LE.uid) + opening + zeros * zero_blocks
            + _FINAL_EMPTY_BLOCK)


@pytest.fixture(scope="module")
def deflate_bomb() -> bytes:
    """2 GiB of zeros deflated: about 2 MB."""
    return _bomb(128)


def test_bomb_construction_is_a_valid_stream():
    small = _bomb(2)
    ds = dicomcore.read(io.BytesIO(small), inflate_limit=64 << 20)
    assert ds.PatientName == "Doe^John"
    assert ds[0x00111010].length == 32 << 20


def test_deflate_bomb_stops_at_the_inflate_limit(deflate_bomb):
    assert len(deflate_bomb) < 4 << 20
    limit = 4 << 20
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(LimitError) as info:
            dicomcore.read(io.BytesIO(deflate_bomb), inflate_limit=limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 3 * limit + (10 << 20), peak  # input, output and one step: bounded
    assert isinstance(info.value, DicomError) and str(limit) in str(info.value)


def test_deflate_bomb_from_a_path(deflate_bomb, tmp_path):
    path = tmp_path / "bomb.dcm"
    path.write_bytes(deflate_bomb)
    with pytest.raises(LimitError):
        dicomcore.read(path, inflate_limit=1 << 20)


def test_inflate_limit_allows_what_fits():
    body = PN + _explicit(0x00111010, "OB", bytes(100_000))
    data = _deflated_file(body)
    assert len(dicomcore.read(io.BytesIO(data), inflate_limit=len(body))[0x00111010].value) \
        == 100_000
    with pytest.raises(LimitError):
        dicomcore.read(io.BytesIO(data), inflate_limit=len(body) - 1)


# --- tolerated faults -------------------------------------------------------------------

def test_odd_length_is_a_decode_warning():
    data = EXPLICIT + _explicit(0x00100010, "PN", b"Doe") + _explicit(0x00100020, "LO", b"ID")
    with pytest.warns(DecodeWarning, match="odd"):
        ds = dicomcore.read(io.BytesIO(data))
    assert ds.PatientName == "Doe" and ds.PatientID == "ID"


def test_explicit_vr_in_an_implicit_file_is_a_decode_warning():
    data = _meta(ts.IMPLICIT_VR_LE.uid) + PN + _explicit(0x00100020, "LO", b"ID")
    with pytest.warns(DecodeWarning, match="explicit"):
        ds = dicomcore.read(io.BytesIO(data))
    assert ds.PatientName == "Doe^John" and ds.PatientID == "ID"


def test_implicit_vr_in_an_explicit_file_is_a_decode_warning():
    implicit = struct.pack("<HHI", 0x0010, 0x0010, 8) + b"Doe^John"
    with pytest.warns(DecodeWarning, match="implicit"):
        ds = dicomcore.read(io.BytesIO(EXPLICIT + implicit))
    assert ds.PatientName == "Doe^John"


def test_stray_delimiter_and_disorder_are_decode_warnings():
    data = (EXPLICIT + _explicit(0x00100020, "LO", b"ID")
            + struct.pack("<HHI", 0xFFFE, 0xE00D, 0) + PN)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = dicomcore.read(io.BytesIO(data))
    assert ds.PatientName == "Doe^John" and ds.PatientID == "ID"
    assert caught and all(issubclass(w.category, DecodeWarning) for w in caught)


def test_bad_numbers_are_kept_as_text_with_a_warning():
    data = EXPLICIT + _explicit(0x00180050, "DS", b"abc ") + _explicit(0x00200013, "IS", b"1.5 ")
    ds = dicomcore.read(io.BytesIO(data))
    with pytest.warns(DecodeWarning):
        assert ds.SliceThickness == "abc"
    with pytest.warns(DecodeWarning):
        assert ds.InstanceNumber == "1.5"


def test_binary_value_not_a_multiple_of_its_size_warns():
    data = EXPLICIT + _explicit(0x00280010, "US", b"\x01\x00\x02\x00\x03\x00\x04")
    with pytest.warns(DecodeWarning, match="odd"):
        ds = dicomcore.read(io.BytesIO(data))
    with pytest.warns(DecodeWarning, match="multiple"):
        assert ds.Rows == [1, 2, 3]
