"""transcode(): native <-> RLE <-> native at the dataset level, limits, refusals, and
interop: DCMTK's dcmcrle/dcmdrle and pydicom read and write the same pixels."""
from __future__ import annotations

import random
import shutil
import struct
import subprocess
import tracemalloc
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dicomcore
from dicomcore.codecs import encapsulation, rle
from dicomcore.codecs.transcode import converts, transcode
from dicomcore.dataset.transfer_syntax import TRANSFER_SYNTAXES
from dicomcore.dataset.part10 import dcmwrite_bytes
from dicomcore.errors import CodecError, DicomError, EncodeError, LimitError

RLE = "1.2.840.10008.1.2.5"
EXPLICIT = "1.2.840.10008.1.2.1"
IMPLICIT = "1.2.840.10008.1.2"
BIG = "1.2.840.10008.1.2.2"
DEFLATED = "1.2.840.10008.1.2.1.99"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
HAVE_DCMTK = all(shutil.which(t) for t in ("dcmcrle", "dcmdrle"))

try:
    import numpy  # noqa: F401

    PATHS = [False, True]
except ImportError:
    PATHS = [False]


def image(rows: int, columns: int, samples: int = 1, bits: int = 16, frames: int = 1, *,
          planar: int = 0, signed: bool = False, pixels: bytes | None = None,
          seed: int = 1) -> dicomcore.Dataset:
    """A Secondary Capture dataset with native Pixel Data (little endian bytes)."""
    ds = dicomcore.Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = f"1.2.826.0.1.3680043.2.1125.{seed}"
    ds.PatientName = "Transcode^Test"
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = "RGB" if samples == 3 else "MONOCHROME2"
    if samples > 1:
        ds.PlanarConfiguration = planar
    ds.Rows, ds.Columns = rows, columns
    ds.BitsAllocated = bits
    ds.BitsStored = bits if bits > 1 else 1
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(signed)
    if frames > 1:
        ds.NumberOfFrames = frames
    size = -(-rows * columns * samples * bits * frames // 8)
    if pixels is None:
        pixels = ct_like(size, seed) if bits == 16 else random.Random(seed).randbytes(size)
    ds.PixelData = pixels + b"\0" * (len(pixels) & 1)
    return ds


def ct_like(size: int, seed: int) -> bytes:
    """16-bit little endian: long runs of air (-1000 as signed), noisy tissue."""
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        if rng.random() < 0.5:
            out += struct.pack("<h", -1000) * rng.randrange(1, 80)
        else:
            out += struct.pack(f"<{(n := rng.randrange(1, 40))}h",
                               *(rng.randrange(-50, 200) for _ in range(n)))
    return bytes(out[:size])


def rle_frames(ds: dicomcore.Dataset) -> list[bytes]:
    return encapsulation.frames(ds.PixelData, int(ds.get("NumberOfFrames") or 1))


# -- round trips --------------------------------------------------------------------


@st.composite
def shapes(draw):
    rows, columns = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    samples, bits = draw(st.sampled_from([(1, 8), (1, 16), (1, 32), (3, 8), (3, 16), (2, 8),
                                          (1, 64)]))
    frames = draw(st.integers(1, 4))
    planar = draw(st.integers(0, 1))
    kind = draw(st.sampled_from(["random", "constant", "ct"]))
    seed = draw(st.integers(0, 2**32 - 1))
    size = rows * columns * samples * bits // 8 * frames
    rng = random.Random(seed)
    pixels = {"random": lambda: rng.randbytes(size), "constant": lambda: bytes(size),
              "ct": lambda: ct_like(size, seed)}[kind]()
    return image(rows, columns, samples, bits, frames, planar=planar, pixels=pixels, seed=7)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes(), st.sampled_from(PATHS))
def test_native_rle_native_round_trip(ds, use_numpy):
    encoded = transcode(ds, RLE, use_numpy=use_numpy)
    assert encoded.file_meta.TransferSyntaxUID == RLE
    assert len(rle_frames(encoded)) == int(ds.get("NumberOfFrames") or 1)
    # through a file and back: the fragments, the offset table, the meta all survive
    reread = dicomcore.read(dcmwrite_bytes(encoded))
    assert reread.transfer_syntax.uid == RLE
    back = transcode(reread, EXPLICIT, use_numpy=not use_numpy if True in PATHS else False)
    assert back.PixelData == ds.PixelData
    assert back.file_meta.TransferSyntaxUID == EXPLICIT
    assert "PixelData" not in [e.keyword for e in back if e.undefined_length]


def test_one_fragment_per_frame_with_a_filled_basic_offset_table():
    ds = image(16, 20, 1, 16, frames=5)
    encoded = transcode(ds, RLE)
    items = encapsulation.fragments(encoded.PixelData)
    assert len(items) == 6  # the table and five fragments
    table = encapsulation.basic_offset_table(encoded.PixelData)
    assert table[0] == 0 and len(table) == 5
    assert table == sorted(table) and table[1] == 8 + len(items[1])


def test_the_original_is_untouched_and_meta_is_updated():
    ds = dicomcore.read(dcmwrite_bytes(image(8, 8, 3, 8), BIG))
    before = bytes(ds.PixelData)
    new = transcode(ds, RLE)
    assert ds.PixelData == before and ds.file_meta.TransferSyntaxUID == BIG
    assert new.file_meta.TransferSyntaxUID == RLE and new.transfer_syntax.uid == RLE
    assert new.PatientName == ds.PatientName


@pytest.mark.parametrize("planar", [0, 1])
def test_planar_configuration_is_kept_and_followed(planar):
    """RLE segments are sample planes either way (PS3.5 G.2); decoding writes the pixels
    back as Planar Configuration says, which stays as it was (dcmdrle does the same)."""
    ds = image(3, 4, 3, 8, planar=planar, pixels=bytes(range(36)))
    encoded = transcode(ds, RLE)
    assert encoded.PlanarConfiguration == planar
    red = bytes(range(0, 36, 3)) if planar == 0 else bytes(range(12))
    frame = rle_frames(encoded)[0]
    assert rle.decode_frame(frame, 3, 4, 3, 8, planar=True)[:12] == red
    back = transcode(encoded, EXPLICIT)
    assert back.PlanarConfiguration == planar and back.PixelData == ds.PixelData


def test_native_to_native_changes_only_the_syntax():
    ds = image(7, 9, 1, 16, frames=2, signed=True)
    for uid in (IMPLICIT, BIG, DEFLATED, EXPLICIT):
        new = transcode(ds, uid)
        assert new.file_meta.TransferSyntaxUID == uid
        assert new.PixelData == ds.PixelData
        assert dicomcore.read(dcmwrite_bytes(new)).PixelData == ds.PixelData


def test_rle_passthrough_and_datasets_without_pixels():
    encoded = transcode(image(5, 5), RLE)
    again = transcode(encoded, RLE)
    assert again.PixelData == encoded.PixelData
    bare = dicomcore.Dataset()
    bare.SOPClassUID, bare.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", "1.2.3"
    assert transcode(bare, RLE).file_meta.TransferSyntaxUID == RLE


# -- frames in several fragments ------------------------------------------------------


def _split(frames_list: list[bytes], offsets: bool) -> bytes:
    """Each frame cut into fragments of 10 bytes, with or without a Basic Offset Table."""
    return encapsulation.encapsulate(frames_list, fragment_size=10, offset_table=offsets)


def test_frames_split_over_fragments_with_basic_offset_table():
    ds = image(6, 6, 1, 16, frames=3)
    encoded = transcode(ds, RLE)
    encoded[0x7FE00010].value = _split(rle_frames(encoded), True)
    assert transcode(encoded, EXPLICIT).PixelData == ds.PixelData


def test_extended_offset_table_is_used_and_dropped():
    ds = image(6, 6, 1, 16, frames=3)
    encoded = transcode(ds, RLE)
    value, offsets, lengths = encapsulation.encapsulate_extended(rle_frames(encoded))
    encoded[0x7FE00010].value = value
    encoded.add(0x7FE00001, "OV", offsets)
    encoded.add(0x7FE00002, "OV", lengths)
    back = transcode(encoded, EXPLICIT)
    assert back.PixelData == ds.PixelData and 0x7FE00001 not in back


def test_single_frame_in_many_fragments_without_table():
    ds = image(9, 9, 3, 8)
    encoded = transcode(ds, RLE)
    encoded[0x7FE00010].value = _split(rle_frames(encoded), False)
    assert transcode(encoded, IMPLICIT).PixelData == ds.PixelData


def test_frames_of_unknown_extent_are_an_error():
    ds = image(6, 6, 1, 16, frames=3)
    encoded = transcode(ds, RLE)
    encoded[0x7FE00010].value = _split(rle_frames(encoded), False)
    with pytest.raises(CodecError, match="fragments for 3 frames"):
        transcode(encoded, EXPLICIT)


# -- refusals and limits ---------------------------------------------------------------


def test_bits_allocated_1_cannot_be_rle_encoded():
    with pytest.raises(CodecError, match="Bits Allocated 1"):
        transcode(image(8, 16, 1, 1), RLE)


def test_too_many_segments():
    with pytest.raises(CodecError, match="15"):
        transcode(image(2, 2, 3, 64), RLE)


def test_budget_is_checked_before_any_work():
    ds = image(64, 64, 1, 16, frames=4)  # 32 KiB
    encoded = transcode(ds, RLE)
    with mock.patch.object(rle, "encode_frame") as enc, \
            mock.patch.object(rle, "decode_frame") as dec:
        with pytest.raises(LimitError, match="32768"):
            transcode(ds, RLE, max_bytes=32767)
        with pytest.raises(LimitError, match="32768"):
            transcode(encoded, EXPLICIT, max_bytes=32767)
        assert not enc.called and not dec.called
    # a lying header: 60000 x 60000 x 3 frames would be 20 GB
    encoded.Rows = encoded.Columns = 60000
    with pytest.raises(LimitError):
        transcode(encoded, EXPLICIT)
    assert transcode(encoded, RLE) is not None  # passthrough decodes nothing


def test_pixel_data_of_the_wrong_length():
    ds = image(8, 8, 1, 16)
    ds.PixelData = ds.PixelData[:-2]
    with pytest.raises(CodecError, match="126 bytes"):
        transcode(ds, RLE)


def test_excess_padding_is_dropped_when_encoding():
    """PS3.5 8.1.1: old writers padded past the next even length (pydicom's MR_small_padded);
    readers accept it and may drop it, as dcmcrle and pydicom's compress() do."""
    ds = image(8, 8, 1, 16, frames=2)
    pixels = bytes(ds.PixelData)
    ds.PixelData = pixels + bytes(128)
    assert transcode(transcode(ds, RLE), EXPLICIT).PixelData == pixels


def test_damaged_rle_frame_names_the_frame():
    encoded = transcode(image(8, 8, 1, 16, frames=3), RLE)
    parts = rle_frames(encoded)
    parts[1] = parts[1][:70]
    encoded[0x7FE00010].value = encapsulation.encapsulate(parts)
    with pytest.raises(CodecError, match="frame 2 of 3"):
        transcode(encoded, EXPLICIT)


def jpeg_dataset() -> dicomcore.Dataset:
    ds = image(8, 8, 1, 8)
    fake = b"\xff\xd8\xff\xe0 not really JPEG \xff\xd9"
    ds[0x7FE00010] = dicomcore.DataElement(0x7FE00010, "OB", encapsulation.encapsulate([fake]),
                                           undefined_length=True)
    ds.file_meta = dicomcore.Dataset()
    ds.file_meta.TransferSyntaxUID = JPEG_BASELINE
    return ds


def test_other_codecs_pass_through_but_do_not_transcode():
    ds = jpeg_dataset()
    same = transcode(ds, JPEG_BASELINE)
    assert same.PixelData == ds.PixelData
    for target in (EXPLICIT, BIG, RLE):
        with pytest.raises(CodecError, match=r"JPEG Baseline.*1\.2\.840\.10008\.1\.2\.4\.50"):
            transcode(ds, target)
    with pytest.raises(CodecError, match=r"JPEG 2000.*no codec"):
        transcode(image(4, 4), "1.2.840.10008.1.2.4.90")


def test_errors_are_dicom_errors():
    ds = image(4, 4)
    ds.Rows = "x"
    with pytest.raises(DicomError):
        transcode(ds, RLE)
    with pytest.raises(DicomError):
        transcode(image(4, 4), "not-a-uid")


# -- DCMTK ------------------------------------------------------------------------------

dcmtk = pytest.mark.skipif(not HAVE_DCMTK, reason="DCMTK (dcmcrle, dcmdrle) not installed")

INTEROP = {
    "ct": lambda: image(64, 48, 1, 16, frames=1, signed=True, seed=3),
    "rgb-interleaved": lambda: image(33, 17, 3, 8, planar=0, seed=4),
    "rgb-planar": lambda: image(20, 30, 3, 8, planar=1, seed=5),
    "multiframe": lambda: image(32, 32, 1, 16, frames=4, seed=6),
    "rgb16": lambda: image(9, 11, 3, 16, seed=8),
    "mono8": lambda: image(31, 7, 1, 8, seed=9),
}


def _run(*args) -> None:
    proc = subprocess.run([str(a) for a in args], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode("latin-1")


@dcmtk
@pytest.mark.parametrize("name", INTEROP)
def test_dcmcrle_output_decodes_like_dcmdrle(tmp_path, name):
    ds = INTEROP[name]()
    dicomcore.write(tmp_path / "in.dcm", ds)
    _run("dcmcrle", tmp_path / "in.dcm", tmp_path / "rle.dcm")
    _run("dcmdrle", tmp_path / "rle.dcm", tmp_path / "dcmtk.dcm")
    theirs = dicomcore.read(tmp_path / "dcmtk.dcm")
    for use_numpy in PATHS:
        ours = transcode(dicomcore.read(tmp_path / "rle.dcm"), EXPLICIT, use_numpy=use_numpy)
        assert ours.PixelData == theirs.PixelData == ds.PixelData
        assert ours.get("PlanarConfiguration") == theirs.get("PlanarConfiguration")


@dcmtk
@pytest.mark.parametrize("name", INTEROP)
def test_our_rle_decodes_in_dcmdrle(tmp_path, name):
    ds = INTEROP[name]()
    for use_numpy in PATHS:
        dicomcore.write(tmp_path / "rle.dcm", transcode(ds, RLE, use_numpy=use_numpy))
        _run("dcmdrle", tmp_path / "rle.dcm", tmp_path / "out.dcm")
        out = dicomcore.read(tmp_path / "out.dcm")
        assert out.PixelData == ds.PixelData
        assert out.get("PlanarConfiguration") == ds.get("PlanarConfiguration")
    _run("dcmcrle", tmp_path / "out.dcm", tmp_path / "theirs.dcm")
    ours = sum(map(len, rle_frames(dicomcore.read(tmp_path / "rle.dcm"))))
    theirs = sum(map(len, rle_frames(dicomcore.read(tmp_path / "theirs.dcm"))))
    assert ours <= theirs  # our run policy is never larger than DCMTK's


# -- pydicom -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", INTEROP)
@pytest.mark.parametrize("uid", [RLE, DEFLATED])
def test_pydicom_reads_our_files_to_the_same_arrays(tmp_path, name, uid):
    pydicom = pytest.importorskip("pydicom")
    pytest.importorskip("numpy")
    ds = INTEROP[name]()
    dicomcore.write(tmp_path / "orig.dcm", ds)
    dicomcore.write(tmp_path / "new.dcm", transcode(ds, uid))
    original = pydicom.dcmread(tmp_path / "orig.dcm").pixel_array
    converted = pydicom.dcmread(tmp_path / "new.dcm").pixel_array
    assert converted.dtype == original.dtype and (converted == original).all()


def test_pydicom_rle_decodes_like_ours(tmp_path):
    pydicom = pytest.importorskip("pydicom")
    pytest.importorskip("numpy")
    ds = INTEROP["rgb-interleaved"]()
    dicomcore.write(tmp_path / "orig.dcm", ds)
    theirs = pydicom.dcmread(tmp_path / "orig.dcm")
    theirs.compress(RLE, encoding_plugin="pydicom")
    theirs.save_as(tmp_path / "pydicom-rle.dcm")
    back = transcode(dicomcore.read(tmp_path / "pydicom-rle.dcm"), EXPLICIT)
    assert back.PixelData == ds.PixelData


# -- Deflated streaming ------------------------------------------------------------------


def test_large_deflated_file_streams(tmp_path):
    """100 MiB of compressible pixels: writing holds no copy of the pixels or of the whole
    deflated stream; reading holds the pixels once, not beside the inflated stream."""
    size = 100 * 2**20
    block = random.Random(1).randbytes(1 << 16)
    block = bytes(b & 0x0F for b in block)  # 12-bit-like: deflates to about 60%
    ds = image(1024, 1024, 1, 16, frames=50, pixels=block * (size // len(block)))
    path = tmp_path / "big.dcm"
    tracemalloc.start()
    try:
        dicomcore.write(path, ds, transfer_syntax=DEFLATED)
        write_peak = tracemalloc.get_traced_memory()[1]
        deflated = path.stat().st_size
        pixels = ds.PixelData
        del ds
        tracemalloc.reset_peak()
        back = dicomcore.read(path)
        same = back.PixelData == pixels
        read_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert same
    assert deflated < size * 0.75
    assert write_peak < 0.1 * size, (write_peak, deflated)
    assert read_peak < size + 0.1 * deflated, (read_peak, deflated)


def _deflated_with_pixels(pixels: bytes, trailing: bool = False) -> bytes:
    ds = image(len(pixels) // 512 or 1, 256 if len(pixels) >= 512 else len(pixels) // 2, 1, 16,
               pixels=pixels)
    if trailing:
        ds.add(0xFFFCFFFC, "OB", b"\0" * 6)  # Data Set Trailing Padding
    return dcmwrite_bytes(ds, DEFLATED)


@pytest.mark.parametrize("size", [10, 3 << 20])
def test_deflated_pixel_data_read_in_pieces_keeps_what_follows(tmp_path, size):
    pixels = random.Random(2).randbytes(size)
    path = tmp_path / "d.dcm"
    path.write_bytes(_deflated_with_pixels(pixels, trailing=True))
    ds = dicomcore.read(path)
    assert ds.PixelData == pixels and ds[0xFFFCFFFC].value == b"\0" * 6
    assert ds.PatientName == "Transcode^Test"
    head = dicomcore.read(path, stop_before_pixels=True)
    assert "PixelData" not in head and head.Rows == ds.Rows


def test_deflated_pixel_data_cut_short_or_over_the_limit(tmp_path):
    data = _deflated_with_pixels(random.Random(3).randbytes(3 << 20))
    path = tmp_path / "d.dcm"
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(DicomError):
        dicomcore.read(path)
    path.write_bytes(data)
    with pytest.raises(LimitError):
        dicomcore.read(path, inflate_limit=2 << 20)


# -- write() encodes (issue #12, point 11: like pydicom's ds.compress(RLELossless)) --------


def _written(ds: dicomcore.Dataset, syntax) -> dicomcore.Dataset:
    return dicomcore.read(dcmwrite_bytes(ds, syntax))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes())
def test_write_encodes_native_pixels_as_rle_and_decodes_them_back(ds):
    before = bytes(ds.PixelData)
    encoded = _written(ds, RLE)
    assert encoded.transfer_syntax.uid == RLE and encoded[0x7FE00010].undefined_length
    assert ds.PixelData == before and not ds[0x7FE00010].undefined_length  # caller's untouched
    assert transcode(encoded, EXPLICIT).PixelData == before
    for syntax in (EXPLICIT, IMPLICIT, BIG, DEFLATED):  # RLE -> native through write() too
        back = _written(encoded, syntax)
        assert back.transfer_syntax.uid == syntax
        assert transcode(back, EXPLICIT).PixelData == before


@pytest.mark.parametrize("name,uid", [("implicit", IMPLICIT), ("explicit", EXPLICIT),
                                      ("big", BIG), ("deflated", DEFLATED), ("rle", RLE),
                                      ("RLE", RLE), (RLE, RLE)])
def test_write_takes_the_names_the_cli_takes(name, uid):
    ds = image(6, 5, 1, 16)
    out = _written(ds, name)
    assert out.transfer_syntax.uid == uid and out.file_meta.TransferSyntaxUID == uid
    assert transcode(out, EXPLICIT).PixelData == ds.PixelData


def test_write_refuses_a_name_it_does_not_know():
    with pytest.raises(DicomError, match=r"'jpeg'.*implicit, explicit, big, deflated, rle"):
        dcmwrite_bytes(image(2, 2), "jpeg")


def test_write_keeps_rle_as_it_is():
    encoded = transcode(image(9, 9, 3, 8), RLE)
    again = _written(encoded, "rle")
    assert again.PixelData == encoded.PixelData


def test_write_refuses_fragments_of_another_codec_for_rle():
    """Old code wrote the JPEG fragments under the RLE UID, a file no one can decode."""
    with pytest.raises(EncodeError,
                       match=r"RLE Lossless.*cannot decode Pixel Data in JPEG Baseline"):
        dcmwrite_bytes(jpeg_dataset(), RLE)
    with pytest.raises(EncodeError, match="JPEG Baseline"):
        dcmwrite_bytes(jpeg_dataset(), "explicit")
    assert _written(jpeg_dataset(), JPEG_BASELINE).PixelData == jpeg_dataset().PixelData


def test_write_to_rle_keeps_the_lossy_compression_history():
    """RLE adds no loss; what an earlier lossy step recorded (PS3.3 C.7.6.1.1.5) stays."""
    ds = image(4, 4, 3, 8)
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    out = _written(ds, "rle")
    assert out.LossyImageCompression == "01" and out.LossyImageCompressionMethod == \
        "ISO_10918_1"


def test_write_without_a_syntax_encodes_for_the_one_in_the_meta():
    ds = transcode(image(5, 7, 1, 8), RLE)
    native = image(5, 7, 1, 8)
    ds[0x7FE00010] = native[0x7FE00010]  # new native pixels, the meta still says RLE
    out = _written(ds, None)
    assert out.transfer_syntax.uid == RLE
    assert transcode(out, EXPLICIT).PixelData == native.PixelData


def test_float_pixel_data_is_not_written_as_rle():
    """Old code wrote native OF values under the RLE Lossless UID."""
    ds = image(2, 2)
    del ds.PixelData
    ds.add(0x7FE00008, "OF", bytes(16))
    with pytest.raises(EncodeError, match="Float/Double Float Pixel Data.*RLE Lossless"):
        dcmwrite_bytes(ds, "rle")
    assert _written(ds, "explicit").transfer_syntax.uid == EXPLICIT


def _in_syntax(uid: str) -> dicomcore.Dataset:
    """A small image in ``uid``: native, RLE-coded, or fragments of another codec."""
    ts = TRANSFER_SYNTAXES[uid]
    if ts.is_native:
        ds = image(4, 6, 1, 8)
    elif uid == RLE:
        ds = transcode(image(4, 6, 1, 8), RLE)
    else:
        ds = jpeg_dataset()
    ds.file_meta = dicomcore.Dataset()
    ds.file_meta.TransferSyntaxUID = uid
    return ds


def test_converts_says_what_transcode_does():
    """The retrieve SCP plans with ``converts`` (which syntaxes can carry an instance) and
    sends with ``transcode``: the two held equal over every pair of registered syntaxes."""
    wrong = []
    for source in sorted(TRANSFER_SYNTAXES):
        ds = _in_syntax(source)
        for target in sorted(TRANSFER_SYNTAXES):
            try:
                transcode(ds, target)
                done = True
            except CodecError:
                done = False
            if converts(source, target) is not done:
                wrong.append((source, target, done))
    assert wrong == []
    assert not converts("1.2.840.10008.1.2.4.50", EXPLICIT)  # and never lossy or unknown
    assert not converts("1.2.3.4", EXPLICIT) and not converts(EXPLICIT, "1.2.3.4")
