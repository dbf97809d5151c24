"""Part 10 files (PS3.10 7): preamble, DICM, File Meta Information; sniffing bare
datasets; stop_before_pixels; deferred values; atomic writes."""
from __future__ import annotations

import hashlib
import io
import os
import struct
import tracemalloc

import pytest

import dicomcore
from dicomcore import Dataset
from dicomcore.dataset import file_summary, part10
from dicomcore.dataset import transfer_syntax as ts
from dicomcore.dataset.encode import encode_dataset_bytes
from dicomcore.dataset.uid import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
from dicomcore.errors import DicomError, EncodeError, EncodeWarning, InvalidFileError

SYNTAXES = [ts.IMPLICIT_VR_LE, ts.EXPLICIT_VR_LE, ts.EXPLICIT_VR_BE,
            ts.DEFLATED_EXPLICIT_VR_LE]
IDS = ["implicit", "explicit", "big", "deflated"]
SC_CLASS = "1.2.840.10008.5.1.4.1.1.7"
PIXEL_DATA = 0x7FE00010


def sample() -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = SC_CLASS
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.2.1125.5"
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "ID-5"
    ds.Rows = 2
    ds.Columns = 2
    ds.BitsAllocated = 16
    item = Dataset()
    item.CodeValue = "1"
    ds.add(0x00081140, "SQ", [item])
    ds.add(PIXEL_DATA, "OW", b"\x01\x00\x02\x00\x03\x00\x04\x00")
    ds.add(0xFFFAFFFA, "SQ", [])  # Digital Signatures Sequence: after the pixels
    return ds


def file_bytes(ds: Dataset, syntax) -> bytes:
    out = io.BytesIO()
    dicomcore.write(out, ds, transfer_syntax=syntax.uid)
    return out.getvalue()


def _meta_elements(data: bytes, pos: int) -> list[tuple[int, str, bytes]]:
    """Walk group 0002 by hand (Explicit VR Little Endian, PS3.10 7.1)."""
    found = []
    while data[pos:pos + 2] == b"\x02\x00":
        tag, vr = struct.unpack_from("<2xH2s", data, pos)
        vr = vr.decode()
        if vr in ("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"):
            length, = struct.unpack_from("<I", data, pos + 8)
            head = 12
        else:
            length, = struct.unpack_from("<H", data, pos + 6)
            head = 8
        found.append((tag, vr, data[pos + head:pos + head + length]))
        pos += head + length
    return found


# --- preamble, DICM, meta ---------------------------------------------------------------

@pytest.mark.parametrize("syntax", SYNTAXES, ids=IDS)
def test_preamble_prefix_and_meta(syntax):
    data = file_bytes(sample(), syntax)
    assert data[:128] == bytes(128) and data[128:132] == b"DICM"
    elements = _meta_elements(data, 132)
    tags = [t for t, _, _ in elements]
    assert tags == [0x0000, 0x0001, 0x0002, 0x0003, 0x0010, 0x0012, 0x0013]
    values = {t: (vr, v) for t, vr, v in elements}
    # (0002,0000): the bytes after its own value to the end of the group.
    group_length, = struct.unpack("<I", values[0x0000][1])
    assert values[0x0000][0] == "UL"
    end = 132 + 12 + group_length
    assert data[end:end + 2] != b"\x02\x00"
    assert sum((12 if vr == "OB" else 8) + len(v) for t, vr, v in elements if t) == group_length
    assert values[0x0001] == ("OB", b"\x00\x01")
    assert values[0x0002] == ("UI", SC_CLASS.encode() + b"\0")
    assert values[0x0003][1].rstrip(b"\0") == b"1.2.826.0.1.3680043.2.1125.5"
    assert values[0x0010][1].rstrip(b"\0").decode() == syntax.uid
    assert values[0x0012][1].rstrip(b"\0").decode() == str(IMPLEMENTATION_CLASS_UID)
    assert values[0x0013] == ("SH", IMPLEMENTATION_VERSION_NAME.encode().ljust(
        len(values[0x0013][1]), b" "))
    assert all(len(v) % 2 == 0 for _, _, v in elements)
    ds = dicomcore.read(io.BytesIO(data))
    assert ds.file_meta.ImplementationClassUID == str(IMPLEMENTATION_CLASS_UID)
    assert ds.file_meta.ImplementationVersionName == IMPLEMENTATION_VERSION_NAME
    assert ds.file_meta.FileMetaInformationGroupLength == group_length
    assert ds.transfer_syntax == syntax and ds.preamble == bytes(128)


def test_implementation_identity_is_ours():
    from dicomcore.dataset.uid import is_valid_uid

    uid = str(IMPLEMENTATION_CLASS_UID)
    assert is_valid_uid(uid) and len(uid) <= 64
    assert not uid.startswith("1.2.276.0.7230010.")  # not DCMTK's
    assert not uid.startswith("1.2.826.0.1.3680043.8.498")  # not pydicom's
    assert 1 <= len(IMPLEMENTATION_VERSION_NAME) <= 16  # SH
    assert "DICOMCORE" in IMPLEMENTATION_VERSION_NAME.upper()


def test_meta_is_rebuilt_not_copied():
    """A stale meta of a read file is replaced; optional fields we keep are kept."""
    data = file_bytes(sample(), ts.EXPLICIT_VR_LE)
    ds = dicomcore.read(io.BytesIO(data))
    ds.file_meta.add(0x00020016, "AE", "SOURCE_AE")
    ds.file_meta.ImplementationVersionName = "OTHER_1"
    ds.SOPInstanceUID = "1.2.3.999"
    back = dicomcore.read(io.BytesIO(file_bytes(ds, ts.EXPLICIT_VR_BE)))
    assert back.file_meta.MediaStorageSOPInstanceUID == "1.2.3.999"
    assert back.file_meta.ImplementationVersionName == IMPLEMENTATION_VERSION_NAME
    assert back.file_meta.SourceApplicationEntityTitle == "SOURCE_AE"
    assert back.file_meta.TransferSyntaxUID == ts.EXPLICIT_VR_BE.uid


def test_preamble_is_kept():
    ds = sample()
    ds.preamble = b"II*\0" + bytes(124)  # a TIFF header, as dual-personality files have
    data = file_bytes(ds, ts.EXPLICIT_VR_LE)
    assert data[:128] == ds.preamble
    assert dicomcore.read(io.BytesIO(data)).preamble == ds.preamble


def test_meta_without_sop_uids_is_written_with_a_warning():
    ds = sample()
    del ds.SOPInstanceUID
    with pytest.warns(EncodeWarning, match=r"no SOP Instance UID \(0008,0018\)"):
        data = file_bytes(ds, ts.EXPLICIT_VR_LE)
    back = dicomcore.read(io.BytesIO(data))
    assert back.file_meta.MediaStorageSOPInstanceUID == ""
    assert back.file_meta.MediaStorageSOPClassUID == SC_CLASS
    assert back == ds


@pytest.mark.parametrize("syntax", SYNTAXES, ids=IDS)
def test_without_preamble(syntax):
    data = file_bytes(sample(), syntax)
    for variant in (data[128:], data[132:]):  # "DICM" + meta; meta alone
        ds = dicomcore.read(io.BytesIO(variant))
        assert ds.preamble is None
        assert ds.transfer_syntax == syntax
        assert ds == sample()


def test_dicm_without_meta_is_invalid():
    with pytest.raises(InvalidFileError):
        dicomcore.read(io.BytesIO(bytes(128) + b"DICM" + b"\x08\x00\x20\x00DA\x00\x00"))


@pytest.mark.parametrize("little,explicit,syntax", [
    (True, False, ts.IMPLICIT_VR_LE), (True, True, ts.EXPLICIT_VR_LE),
    (False, True, ts.EXPLICIT_VR_BE)], ids=["implicit", "explicit", "big"])
def test_bare_datasets_are_sniffed(little, explicit, syntax):
    ds = sample()
    data = encode_dataset_bytes(ds, little, explicit)
    back = dicomcore.read(io.BytesIO(data))
    assert back.transfer_syntax == syntax
    assert len(back.file_meta) == 0 and back.preamble is None
    assert back == ds
    # A bare dataset starting at a high group sniffs the same.
    del ds.SOPClassUID, ds.SOPInstanceUID, ds.PatientName, ds.PatientID
    back = dicomcore.read(io.BytesIO(encode_dataset_bytes(ds, little, explicit)))
    assert back.transfer_syntax == syntax and back == ds


def test_sources_bytes_path_and_file(tmp_path):
    data = file_bytes(sample(), ts.EXPLICIT_VR_LE)
    path = tmp_path / "a.dcm"
    path.write_bytes(data)
    from_path = dicomcore.read(path)
    assert from_path.filename == str(path)
    assert dicomcore.read(str(path)) == from_path
    assert dicomcore.read(data) == from_path
    with open(path, "rb") as f:
        assert dicomcore.read(f) == from_path


# --- stop_before_pixels ---------------------------------------------------------------

@pytest.mark.parametrize("syntax", SYNTAXES, ids=IDS)
def test_stop_before_pixels(syntax, tmp_path):
    data = file_bytes(sample(), syntax)
    for source in (io.BytesIO(data), data):
        ds = dicomcore.read(source, stop_before_pixels=True)
        assert PIXEL_DATA not in ds and 0xFFFAFFFA not in ds
        assert ds.PatientName == "Doe^Jane" and ds.Rows == 2
        assert len(ds[0x00081140].value) == 1
    full = dicomcore.read(io.BytesIO(data))
    assert PIXEL_DATA in full and 0xFFFAFFFA in full


def test_stop_before_pixels_skips_a_truncated_pixel_value():
    data = file_bytes(sample(), ts.EXPLICIT_VR_LE)
    cut = data[:data.index(b"\xe0\x7f\x10\x00OW") + 12 + 3]
    assert dicomcore.read(io.BytesIO(cut), stop_before_pixels=True).PatientID == "ID-5"
    with pytest.raises(DicomError):
        dicomcore.read(io.BytesIO(cut))


# --- deferred values -----------------------------------------------------------------

BIG = 50 << 20


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    """A file with a 50 MB OB value, and that value's digest."""
    path = tmp_path_factory.mktemp("big") / "big.dcm"
    ds = sample()
    del ds[PIXEL_DATA]
    pattern = bytes(range(256)) * (BIG // 256)
    ds.add(0x00091010, "OB", pattern)  # private, after the small elements
    ds.private_block(0x0009, "BIG TEST", create=True)
    ds.add(PIXEL_DATA, "OB", pattern[:1024])
    dicomcore.write(path, ds, transfer_syntax=ts.EXPLICIT_VR_LE.uid)
    digest = hashlib.sha256(pattern).hexdigest()
    return path, digest


def test_defer_size_reads_in_bounded_memory(big_file):
    path, digest = big_file
    tracemalloc.start()
    try:
        ds = dicomcore.read(path, defer_size=1024)
        ds.PatientName, ds.Rows
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 << 20, peak  # the 50 MB value was not read
    assert ds.PatientName == "Doe^Jane"
    value = ds[0x00091010].value
    assert len(value) == BIG and hashlib.sha256(value).hexdigest() == digest
    assert ds[PIXEL_DATA].value == bytes(range(256)) * 4  # exactly 1024: not deferred


def test_defer_size_value_equals_eager_read(big_file):
    path, _ = big_file
    deferred = dicomcore.read(path, defer_size=4096)
    eager = dicomcore.read(path, stop_before_pixels=False)
    assert deferred == eager


def test_deferred_value_of_a_changed_file_is_an_error(big_file, tmp_path):
    path, _ = big_file
    copy = tmp_path / "copy.dcm"
    copy.write_bytes(path.read_bytes())
    ds = dicomcore.read(copy, defer_size=1024)
    with open(copy, "r+b") as f:
        f.truncate(1000)
    with pytest.raises(DicomError):
        ds[0x00091010].value


def test_defer_size_on_a_file_object_reads_values(big_file):
    path, digest = big_file
    with open(path, "rb") as f:
        ds = dicomcore.read(f, defer_size=1024)
    assert hashlib.sha256(ds[0x00091010].value).hexdigest() == digest


# --- writing -----------------------------------------------------------------------------

def test_write_to_path_is_atomic(tmp_path):
    target = tmp_path / "out.dcm"
    dicomcore.write(target, sample())
    assert dicomcore.read(target) == sample()
    assert os.listdir(tmp_path) == ["out.dcm"]  # no temporary left behind


def test_unencodable_value_leaves_no_file(tmp_path):
    target = tmp_path / "bad.dcm"
    ds = sample()
    ds.PatientName = "Müller"  # non-ASCII without a Specific Character Set
    with pytest.raises(EncodeError):
        dicomcore.write(target, ds)
    assert os.listdir(tmp_path) == []


def test_failure_mid_write_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "out.dcm"
    dicomcore.write(target, sample())
    before = target.read_bytes()

    real_fdopen = os.fdopen

    class Failing:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def writelines(self, chunks):
            chunks = list(chunks)
            self.f.writelines(chunks[:len(chunks) // 2])
            raise OSError(28, "No space left on device")

        write = writelines

    monkeypatch.setattr(part10.os, "fdopen", lambda *a, **k: Failing(real_fdopen(*a, **k)))
    changed = sample()
    changed.PatientID = "CHANGED"
    with pytest.raises(OSError):
        dicomcore.write(target, changed)
    monkeypatch.undo()
    assert target.read_bytes() == before
    assert os.listdir(tmp_path) == ["out.dcm"]
    new_target = tmp_path / "new.dcm"
    monkeypatch.setattr(part10.os, "fdopen", lambda *a, **k: Failing(real_fdopen(*a, **k)))
    with pytest.raises(OSError):
        dicomcore.write(new_target, changed)
    monkeypatch.undo()
    assert not new_target.exists() and os.listdir(tmp_path) == ["out.dcm"]


def _encapsulated() -> Dataset:
    ds = sample()
    fragments = (struct.pack("<HHI", 0xFFFE, 0xE000, 0)
                 + struct.pack("<HHI", 0xFFFE, 0xE000, 4) + b"\xff\xd8\xff\xd9")
    elem = ds.add(PIXEL_DATA, "OB", fragments)
    elem.undefined_length = True
    return ds


@pytest.mark.parametrize("syntax", SYNTAXES, ids=IDS)
def test_encapsulated_pixels_into_a_native_syntax_is_a_clear_error(syntax, tmp_path):
    with pytest.raises(EncodeError, match="encapsulated") as info:
        dicomcore.write(tmp_path / "x.dcm", _encapsulated(), transfer_syntax=syntax.uid)
    assert isinstance(info.value, DicomError)
    assert syntax.name in str(info.value) or syntax.uid in str(info.value)
    assert os.listdir(tmp_path) == []


def test_encapsulated_pixels_round_trip_in_an_encapsulated_syntax():
    jpeg = "1.2.840.10008.1.2.4.50"
    ds = _encapsulated()
    out = io.BytesIO()
    dicomcore.write(out, ds, transfer_syntax=jpeg)
    back = dicomcore.read(io.BytesIO(out.getvalue()))
    assert back.transfer_syntax.uid == jpeg
    assert back[PIXEL_DATA].undefined_length and back[PIXEL_DATA].value == ds[PIXEL_DATA].value
    assert out.getvalue().endswith(b"\xff\xd8\xff\xd9" + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
                                   + b"\xfa\xff\xfa\xff" + b"SQ\0\0" + bytes(4))


def test_native_pixels_into_an_encapsulated_syntax_is_a_clear_error():
    with pytest.raises(EncodeError, match="native"):
        file_bytes(sample(), ts.get("1.2.840.10008.1.2.4.50"))


def test_default_syntax_is_the_one_read_else_explicit_little():
    assert dicomcore.read(io.BytesIO(file_bytes(sample(), ts.EXPLICIT_VR_BE))).transfer_syntax \
        == ts.EXPLICIT_VR_BE
    out = io.BytesIO()
    dicomcore.write(out, dicomcore.read(io.BytesIO(file_bytes(sample(), ts.EXPLICIT_VR_BE))))
    assert dicomcore.read(io.BytesIO(out.getvalue())).transfer_syntax == ts.EXPLICIT_VR_BE
    out = io.BytesIO()
    dicomcore.write(out, sample())
    assert dicomcore.read(io.BytesIO(out.getvalue())).transfer_syntax == ts.EXPLICIT_VR_LE


# --- meta_summary: the File Meta a C-STORE needs, from element headers alone ---------------

from hypothesis import given, settings, strategies as st  # noqa: E402

_UIDS = st.from_regex(r"[1-9][0-9]{0,3}(\.[1-9][0-9]{0,5}){1,8}", fullmatch=True)
_SYNTAXES = st.sampled_from(["1.2.840.10008.1.2", "1.2.840.10008.1.2.1",
                             "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.5"])


@settings(max_examples=100, deadline=None)
@given(_UIDS, _UIDS, _SYNTAXES, st.booleans())
def test_meta_summary_agrees_with_the_full_header_read(sop_class, sop_instance, syntax, extra):
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID, ds.PatientID = sop_class, sop_instance, "X"
    if extra:
        ds.PatientName = "Doe^Jane"
    buf = io.BytesIO()
    dicomcore.write(buf, ds, transfer_syntax=syntax)
    head = buf.getvalue()
    _, meta, pos, ts = part10._read_header(head, 64)
    assert file_summary.meta_summary(head) == (str(meta.get(0x00020002)), str(meta.get(0x00020003)),
                                         ts.uid, pos) == (sop_class, sop_instance, syntax, pos)
    for cut in range(0, pos + 8):  # a head cut anywhere before the data set: never wrong
        assert file_summary.meta_summary(head[:cut]) in (None, (sop_class, sop_instance, syntax, pos))


def test_meta_summary_leaves_the_unusual_to_the_full_read():
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.3", "4.5.6"
    buf = io.BytesIO()
    dicomcore.write(buf, ds)
    head = buf.getvalue()
    assert file_summary.meta_summary(head[128:]) is None              # no preamble
    assert file_summary.meta_summary(head[:128] + b"XXXX" + head[132:]) is None  # no DICM
    broken = bytearray(head)
    broken[136:138] = b"ZZ"                                      # not a VR
    assert file_summary.meta_summary(bytes(broken)) is None
