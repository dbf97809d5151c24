"""Pixels of pydicom's whole corpus (issue #12, points 10 and 11).

1. Every file in a native, Deflated or RLE Lossless syntax with pixel data: our
   ``pixel_array`` equals pydicom's (``pydicom.pixels.pixel_array`` on the dataset
   ``dcmread`` gives, colour as stored, numpy decoders only): shape, dtype kind, values;
   multi-frame and YBR_FULL_422 files included.
2. Every such native file written with ``write(..., transfer_syntax="rle")``: it reads
   back with the same pixels; DCMTK's dcmdrle decodes it to the same pixels; pydicom
   decodes it to the same pixels.

Files that cannot take part are listed below with the reason, and a test holds each
reason true, so the lists cannot go stale or hide a file.
"""
from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import pytest

import dicomcore
from dicomcore.errors import DicomError, EncodeError

from .corpus import ROOT, dicom_files
from .netutil import BIG, DEFLATED, EXPLICIT, IMPLICIT, RLE, dcmtk, run

np = pytest.importorskip("numpy")
pydicom = pytest.importorskip("pydicom")
from dicomcore.codecs.pixels import pixel_array  # noqa: E402
from pydicom.pixels import pixel_array as pydicom_pixel_array  # noqa: E402

NATIVE = {IMPLICIT, EXPLICIT, BIG, DEFLATED}
_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")

# Files pydicom cannot decode, so there is nothing to compare with; dicomcore refuses them
# too (a DicomError), which the test below checks.
PYDICOM_FAILS = {
    "test_files/MR_truncated.dcm": "Pixel Data cut short: 8130 of 8192 bytes",
    "test_files/badVR.dcm": "Number of Frames is '1A', not a number",
    "test_files/meta_missing_tsyntax.dcm": "no Rows, no Bits Allocated: no Image Pixel "
                                           "module to shape the Pixel Data (and no Transfer "
                                           "Syntax UID, which pydicom insists on)",
    "test_files/nested_priv_SQ.dcm": "no Rows, no Bits Allocated: no Image Pixel module",
}
# 32-bit cells in big-endian OW: pydicom reads each cell most significant byte first;
# DCMTK and dicomcore read OW as 16-bit words (PS3.5 A.3), see codecs/pixels.py rule 4.
# Compared with DCMTK's reading (dcmconv to little endian) instead.
BIG_ENDIAN_32 = {"test_files/rtdose_expb.dcm", "test_files/rtdose_expb_1frame.dcm"}
# RLE cannot hold these; dcmcrle ("No conversion to transfer syntax RLE Lossless
# possible") and pydicom's compress() refuse them as well.
NOT_RLE = {
    "test_files/liver_1frame.dcm": "Bits Allocated 1",  # PS3.5 G.2: segments of whole bytes
    "test_files/liver_expb_1frame.dcm": "Bits Allocated 1",
}


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _pydicom_read(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pydicom.dcmread(path)
        except Exception:  # no File Meta Information: corpus.py reads these with force
            return pydicom.dcmread(path, force=True)


def _syntax(pds) -> str:
    meta = getattr(pds, "file_meta", None)
    return str(meta.get("TransferSyntaxUID", "") or "") if meta is not None else ""


@lru_cache(maxsize=None)
def _with_pixels() -> dict[str, tuple[Path, str]]:
    """id -> (path, transfer syntax UID or "") of every corpus file with pixel data in a
    native or RLE syntax, or in none (files without a Transfer Syntax UID)."""
    found = {}
    for path in dicom_files():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pds = pydicom.dcmread(path, defer_size=256)
            except Exception:
                pds = pydicom.dcmread(path, defer_size=256, force=True)
        syntax = _syntax(pds)
        if any(k in pds for k in _PIXEL_KEYWORDS) and syntax in NATIVE | {RLE, ""}:
            found[_id(path)] = (path, syntax)
    return found


def _params(select) -> list:
    return [pytest.param(path, id=name) for name, (path, syntax) in _with_pixels().items()
            if select(name, syntax)]


def _compared(name: str, syntax: str) -> bool:
    return name not in PYDICOM_FAILS and name not in BIG_ENDIAN_32


def _rle_written(name: str, syntax: str) -> bool:
    return syntax in NATIVE and name not in PYDICOM_FAILS and name not in NOT_RLE


def _theirs(source) -> "np.ndarray":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom_pixel_array(source, as_rgb=False)


def _assert_same(ours, theirs) -> None:
    assert ours.shape == theirs.shape
    assert ours.dtype.kind == theirs.dtype.kind and ours.itemsize == theirs.itemsize
    assert np.array_equal(ours, theirs)


def test_the_corpus_takes_part_and_the_lists_name_its_files():
    found = _with_pixels()
    assert set(PYDICOM_FAILS) | BIG_ENDIAN_32 | set(NOT_RLE) <= set(found)
    compared = _params(_compared)
    assert len(compared) >= 70  # pydicom 3.0's corpus: 71 files
    syntaxes = {syntax for _, syntax in found.values()}
    assert NATIVE | {RLE} <= syntaxes
    names = {name for name in found}
    assert {"test_files/SC_ybr_full_422_uncompressed.dcm", "test_files/SC_rgb_rle_2frame.dcm",
            "test_files/image_dfl.dcm", "test_files/MR_small_bigendian.dcm"} <= names


@pytest.mark.parametrize("path", _params(_compared))
def test_pixels_equal_pydicoms(path):
    ours = pixel_array(dicomcore.read(path))
    _assert_same(ours, _theirs(_pydicom_read(path)))


@pytest.mark.parametrize("path", _params(lambda name, _: name in PYDICOM_FAILS))
def test_files_pydicom_cannot_decode_are_refused_here_too(path, tmp_path):
    with pytest.raises(Exception):
        _theirs(_pydicom_read(path))
    with pytest.raises(DicomError):
        pixel_array(dicomcore.read(path))
    with pytest.raises(DicomError):
        dicomcore.write(tmp_path / "rle.dcm", dicomcore.read(path), transfer_syntax="rle")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", _params(lambda name, _: name in BIG_ENDIAN_32))
def test_big_endian_32_bit_cells_read_as_dcmtk_reads_them(path, tmp_path):
    little = tmp_path / "little.dcm"
    run([dcmtk("dcmconv"), "+te", path, little], check=True)
    ours = pixel_array(dicomcore.read(path))
    _assert_same(ours, pixel_array(dicomcore.read(little)))
    theirs = _theirs(_pydicom_read(path)).astype(ours.dtype)
    assert np.array_equal(ours, (theirs << 16) | (theirs >> 16))  # the two words swapped


@pytest.mark.parametrize("path", _params(_rle_written))
def test_native_file_written_as_rle_decodes_the_same_here_in_dcmdrle_and_pydicom(path,
                                                                                 tmp_path):
    ds = dicomcore.read(path)
    expected = pixel_array(ds)
    encoded = tmp_path / "rle.dcm"
    dicomcore.write(encoded, ds, transfer_syntax="rle")
    back = dicomcore.read(encoded)
    assert back.transfer_syntax.uid == RLE and back[0x7FE00010].undefined_length
    _assert_same(pixel_array(back), expected)
    decoded = tmp_path / "dcmdrle.dcm"
    run([dcmtk("dcmdrle"), encoded, decoded], check=True)
    _assert_same(pixel_array(dicomcore.read(decoded)), expected)
    _assert_same(_theirs(pydicom.dcmread(encoded)), expected)


@pytest.mark.parametrize("path", _params(lambda name, _: name in NOT_RLE))
def test_files_rle_cannot_hold_are_refused_naming_why(path, tmp_path):
    with pytest.raises(EncodeError, match=NOT_RLE[_id(path)]):
        dicomcore.write(tmp_path / "rle.dcm", dicomcore.read(path), transfer_syntax="rle")
    assert list(tmp_path.iterdir()) == []
