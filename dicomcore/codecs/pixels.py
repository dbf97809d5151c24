"""Pixel Data <-> numpy arrays (PS3.3 C.7.6.3 Image Pixel; PS3.5 8, A.4, Annex D).

Rules of this module:

1. numpy is imported inside functions only: ``import dicomcore`` needs the standard
   library alone (DESIGN, "Direction of imports").
2. Sizes before bytes.  The size the attributes claim (Rows x Columns x Samples x Bits
   Allocated x Frames) is computed with Python ints and checked against ``max_bytes``
   before the Pixel Data value is touched or anything is allocated (LimitError): a
   hostile header cannot make us allocate what it claims.  Then it is checked against
   the value's length: short is a CodecError naming both numbers; longer is padding
   (PS3.5 8.1.1 tells readers to accept excess padding) and ignored.
3. One layout out: ``(rows, cols)``, ``(rows, cols, samples)``, with a leading frames axis
   when Number of Frames > 1 and no single frame was asked for.  Samples are always the
   last axis whatever Planar Configuration says; values are in native byte order,
   shifted and masked to Bits Stored and sign-extended when Pixel Representation is 1.
   Colour is returned as stored (YBR stays YBR) unless ``convert_color=True``.
4. Byte order.  The dataset layer holds OW, OF and OD values as little-endian *words*
   of their VR's size, whatever the file's byte order: a big-endian OW value is swapped
   as 16-bit words whatever Bits Allocated says (PS3.5 A.3 as DCMTK and GDCM read it;
   DCMTK's dcmconv +tb writes a 32-bit cell 0x11223344 as 33 44 11 22).  The words
   then hold the cells in little-endian order, so no further swapping is needed here.
   (pydicom reads 32-bit cells of big-endian OW most significant byte first, so it
   disagrees with DCMTK, and with us, on such files.)  OB with Bits Allocated > 8 in a
   big-endian file (not allowed by A.3, seen rarely) is taken as the file's bytes,
   cells big endian.
"""
from __future__ import annotations

from typing import Any, NamedTuple, Optional

from ..dataset import Dataset
from ..dataset import transfer_syntax as _ts
from ..errors import CodecError, LimitError
from . import encapsulation, rle, subsampling
from .lut import apply_palette, rgb_to_ybr, ybr_to_rgb

__all__ = ["pixel_array", "set_pixel_array", "pixel_info", "PixelInfo", "apply_palette",
           "ybr_to_rgb", "rgb_to_ybr", "DEFAULT_BUDGET"]

DEFAULT_BUDGET = 2**31  # bytes a decoded array may take unless the caller says otherwise

PIXEL_DATA = 0x7FE00010
FLOAT_PIXEL_DATA = 0x7FE00008  # OF, PS3.3 C.7.6.24
DOUBLE_FLOAT_PIXEL_DATA = 0x7FE00009  # OD
_EXTENDED_OFFSETS, _EXTENDED_LENGTHS = 0x7FE00001, 0x7FE00002
_PIXEL_TAGS = (PIXEL_DATA, FLOAT_PIXEL_DATA, DOUBLE_FLOAT_PIXEL_DATA)
_ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"  # PS3.5 A.4.11: native frames
_ONE_SAMPLE = ("MONOCHROME1", "MONOCHROME2", "PALETTE COLOR")
_THREE_SAMPLES = ("RGB", "YBR_FULL", "YBR_FULL_422")


class PixelInfo(NamedTuple):
    """The Image Pixel attributes that shape the data, read and checked once."""

    tag: int  # which of the three pixel elements holds the data
    rows: int
    columns: int
    samples: int
    bits_allocated: int
    bits_stored: int
    high_bit: int
    signed: bool
    planar: bool
    frames: int
    photometric: str

    @property
    def is_float(self) -> bool:
        return self.tag != PIXEL_DATA

    @property
    def subsampled(self) -> bool:
        """PS3.3 C.7.6.3.1.2 YBR_FULL_422: two pixels of a row share one Cb and Cr."""
        return self.photometric == "YBR_FULL_422"

    @property
    def frame_cells(self) -> int:
        """Stored cells per frame (Y1 Y2 Cb Cr is four cells for two pixels)."""
        if self.subsampled:
            return self.rows * self.columns * 2
        return self.rows * self.columns * self.samples

    @property
    def frame_bits(self) -> int:
        return self.frame_cells * self.bits_allocated

    @property
    def array_bytes_per_frame(self) -> int:
        """Bytes one frame takes in the returned array (1-bit cells widen to a byte)."""
        return self.rows * self.columns * self.samples * max(1, self.bits_allocated // 8)


def _int(ds: Dataset, keyword: str, default: Optional[int] = None) -> int:
    value = ds.get(keyword)
    if value is None or value == "":
        if default is None:
            raise CodecError(f"{keyword} is missing: the pixel data cannot be shaped")
        return default
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CodecError(f"{keyword} {value!r} is not a number") from None


def pixel_info(ds: Dataset) -> PixelInfo:
    """Read and check the attributes that give the pixel data its shape."""
    tag = next((t for t in _PIXEL_TAGS if t in ds), None)
    if tag is None:
        raise CodecError("no Pixel Data, Float Pixel Data or Double Float Pixel Data")
    rows, columns = _int(ds, "Rows"), _int(ds, "Columns")
    samples = _int(ds, "SamplesPerPixel", 1)
    frames = _int(ds, "NumberOfFrames", 1)
    photometric = str(ds.get("PhotometricInterpretation") or "").strip().upper()
    if rows < 1 or columns < 1 or samples < 1 or frames < 1:
        raise CodecError(f"Rows {rows}, Columns {columns}, Samples per Pixel {samples} and "
                         f"Number of Frames {frames} must all be positive")
    if tag != PIXEL_DATA:
        # PS3.3 C.7.6.24: 32 bits for Float Pixel Data, 64 for Double Float.
        width = 32 if tag == FLOAT_PIXEL_DATA else 64
        allocated = _int(ds, "BitsAllocated", width)
        if allocated != width:
            raise CodecError(f"Bits Allocated {allocated} with {'Double ' * (width == 64)}"
                             f"Float Pixel Data, which has {width}-bit values")
        return PixelInfo(tag, rows, columns, samples, width, width, width - 1, True, False,
                         frames, photometric)
    allocated = _int(ds, "BitsAllocated")
    stored = _int(ds, "BitsStored", allocated)
    high = _int(ds, "HighBit", stored - 1)
    if allocated not in (1, 8, 16, 32, 64):
        raise CodecError(f"Bits Allocated {allocated} is not supported (1, 8, 16, 32, 64)")
    # PS3.5 8.1.1: Bits Stored never exceeds Bits Allocated; High Bit places the sample.
    if not 1 <= stored <= allocated or not stored - 1 <= high < allocated:
        raise CodecError(f"Bits Stored {stored} and High Bit {high} do not fit Bits "
                         f"Allocated {allocated}")
    if photometric == "YBR_FULL_422" and (samples != 3 or columns % 2 or allocated < 8):
        raise CodecError(f"YBR_FULL_422 needs 3 samples, an even number of columns and whole "
                         f"bytes a cell, not {samples}, {columns} and Bits Allocated "
                         f"{allocated}")
    return PixelInfo(tag, rows, columns, samples, allocated, stored, high,
                     _int(ds, "PixelRepresentation", 0) == 1,
                     samples > 1 and _int(ds, "PlanarConfiguration", 0) == 1,
                     frames, photometric)


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError("pixel arrays need numpy: pip install 'dicomcore[numpy]'") from None
    return numpy


def pixel_array(ds: Dataset, frame: Optional[int] = None, *, max_bytes: int = DEFAULT_BUDGET,
                convert_color: bool = False) -> Any:
    """The pixel data of ``ds`` as a numpy array (see the module rules for the layout).

    ``frame`` (0-based, negative counts from the end) decodes one frame only and drops
    the frames axis.  ``convert_color`` turns YBR_FULL and YBR_FULL_422 into RGB
    (``ybr_to_rgb``); PALETTE COLOR stays indices (``apply_palette``).  Native data and
    RLE Lossless are decoded; any other encapsulated syntax raises CodecError naming it.
    """
    info = pixel_info(ds)
    index = None
    if frame is not None:
        index = frame + info.frames if frame < 0 else frame
        if not 0 <= index < info.frames:
            raise IndexError(f"frame {frame} of {info.frames}")
    count = info.frames if index is None else 1
    wanted = count * max(info.array_bytes_per_frame, (info.frame_bits + 7) // 8)
    if wanted > max_bytes:  # rule 2: before the value is read or anything allocated
        raise LimitError(f"{count} frame(s) of {info.rows} x {info.columns} x "
                         f"{info.samples} x {info.bits_allocated} bits would take {wanted} "
                         f"bytes, more than the limit {max_bytes}")
    np = _numpy()
    elem = ds.element(info.tag)
    if elem.undefined_length:
        cells = _encapsulated(np, ds, elem.value, info, index, max_bytes)
        planar = False  # decoders give interleaved, full samples
    else:
        cells = _native(np, ds, elem.vr, elem.value, info, index)
        planar = info.planar and not info.subsampled  # 4:2:2 came back interleaved
    cells = _values(np, cells, info)
    r, c, s = info.rows, info.columns, info.samples
    if planar:  # PS3.3 C.7.6.3.1.3: all of sample 1, then sample 2, ... per frame
        arr = np.ascontiguousarray(cells.reshape(count, s, r, c).transpose(0, 2, 3, 1))
    else:
        arr = cells.reshape(count, r, c, s)
    if s == 1:
        arr = arr[..., 0]
    if count == 1 and (index is not None or info.frames == 1):
        arr = arr[0]
    if convert_color and info.photometric in ("YBR_FULL", "YBR_FULL_422"):
        arr = ybr_to_rgb(arr, bits=info.bits_stored)
    return arr


def _big_endian_source(ds: Dataset) -> bool:
    """Were the values decoded from big-endian bytes (rule 4)?"""
    ts = ds.transfer_syntax
    return ts is not None and not ts.little_endian


def _native(np: Any, ds: Dataset, vr: str, value: bytes, info: PixelInfo,
            index: Optional[int]) -> Any:
    """Cells (flat, native order, unmasked) of the wanted frames of a native value."""
    needed = (info.frames * info.frame_bits + 7) // 8
    if len(value) < needed:
        raise CodecError(f"Pixel Data holds {len(value)} bytes, {needed} expected for "
                         f"{info.frames} frame(s) of {info.rows} x {info.columns} x "
                         f"{info.samples} samples of {info.bits_allocated} bits")
    first, count = (0, info.frames) if index is None else (index, 1)
    if info.bits_allocated == 1:
        return _unpack_bits(np, value, first * info.frame_bits, count * info.frame_bits)
    size = info.frame_bits // 8
    data = memoryview(value)[first * size:(first + count) * size]
    order = "<"
    if _big_endian_source(ds) and info.bits_allocated > 8 and vr == "OB":
        order = ">"
    if info.subsampled:  # PS3.3 C.7.6.3.1.2: Y1 Y2 Cb Cr -> (Y1 Cb Cr) (Y2 Cb Cr)
        data = subsampling.upsample_422(data, info.bits_allocated // 8)
    return _cells(np, data, info, order)


def _cells(np: Any, data: Any, info: PixelInfo, order: str = "<") -> Any:
    """Native-order copy of the cells in ``data`` (writable, owning its memory)."""
    kind = "f" if info.is_float else "u"
    dtype = np.dtype(f"{order}{kind}{info.bits_allocated // 8}")
    return np.frombuffer(data, dtype).astype(dtype.newbyteorder("="))


def _unpack_bits(np: Any, value: bytes, start: int, count: int) -> Any:
    """``count`` 1-bit cells from bit ``start``: PS3.5 8.2 packs them least significant
    bit first, and frames are concatenated without padding (PS3.5 8.1.1), so a frame
    may start in the middle of a byte."""
    chunk = np.frombuffer(value, np.uint8, (start + count + 7) // 8 - start // 8, start // 8)
    bits = np.unpackbits(chunk, bitorder="little")
    return bits[start % 8:start % 8 + count].copy()


def _values(np: Any, cells: Any, info: PixelInfo) -> Any:
    """Cells to sample values: shift out bits below the sample, mask the bits above
    High Bit, sign-extend (PS3.5 8.1.1, D.2: the sign bit is the High Bit)."""
    if info.is_float or info.bits_allocated == 1:
        return cells
    shift = info.high_bit + 1 - info.bits_stored
    if shift:
        cells >>= shift
    stored, allocated = info.bits_stored, info.bits_allocated
    if stored < allocated:
        cells &= (1 << stored) - 1
    if not info.signed:
        return cells
    cells = cells.view(f"i{allocated // 8}")
    if stored < allocated:
        sign = cells.dtype.type(1 << (stored - 1))
        cells ^= sign  # (v ^ s) - s: two's complement of a stored-bit field, in place
        cells -= sign
    return cells


def _transfer_syntax(ds: Dataset) -> Optional[_ts.TransferSyntax]:
    meta = ds.file_meta
    uid = meta.get("TransferSyntaxUID") if meta is not None else None
    if uid:
        return _ts.get(str(uid))
    return ds.transfer_syntax


def _encapsulated(np: Any, ds: Dataset, value: bytes, info: PixelInfo,
                  index: Optional[int], max_bytes: int) -> Any:
    """Cells of the wanted frames of encapsulated Pixel Data (PS3.5 A.4)."""
    ts = _transfer_syntax(ds)
    if ts is None:
        raise CodecError("encapsulated Pixel Data, but no Transfer Syntax UID says how it "
                         "is encoded")
    if ts.uid not in (_ts.RLE_LOSSLESS.uid, _ENCAPSULATED_UNCOMPRESSED) or info.is_float:
        raise CodecError(f"no decoder for {ts}")
    offsets = lengths = None
    if _EXTENDED_OFFSETS in ds:  # PS3.5 A.4: 64-bit offsets when the basic ones overflow
        offsets = _uint64s(np, ds.element(_EXTENDED_OFFSETS).value)
        if _EXTENDED_LENGTHS in ds:
            lengths = _uint64s(np, ds.element(_EXTENDED_LENGTHS).value)
    frames = encapsulation.frames(value, info.frames, extended_offsets=offsets,
                                  extended_lengths=lengths)
    if len(frames) < info.frames:
        raise CodecError(f"encapsulated Pixel Data holds {len(frames)} frame(s), Number of "
                         f"Frames is {info.frames}")
    wanted = frames if index is None else [frames[index]]
    if ts.uid == _ts.RLE_LOSSLESS.uid:
        decoded = [rle.decode_frame(f, info.rows, info.columns, info.samples,
                                    info.bits_allocated, max_bytes=max_bytes)
                   for f in wanted]
        return _cells(np, b"".join(decoded), info)
    parts = []  # Encapsulated Uncompressed: each frame is a native little-endian frame
    for number, data in enumerate(wanted):
        if len(data) * 8 < info.frame_bits:
            raise CodecError(f"frame {number}: {len(data)} bytes, "
                             f"{(info.frame_bits + 7) // 8} expected")
        if info.bits_allocated == 1:
            parts.append(_unpack_bits(np, data, 0, info.frame_bits))
        else:
            parts.append(_cells(np, data[:info.frame_bits // 8], info))
    return np.concatenate(parts)


def _uint64s(np: Any, value: Any) -> list[int]:
    if isinstance(value, list):
        return [int(v) for v in value]
    return [int(v) for v in np.frombuffer(value, "<u8", len(value) // 8)]


# -- writing ------------------------------------------------------------------------------


def set_pixel_array(ds: Dataset, array: Any, *, photometric: Optional[str] = None,
                    bits_stored: Optional[int] = None) -> Dataset:
    """Store ``array`` as native pixel data in ``ds`` with the attributes that describe it.

    Shapes follow ``pixel_array``: ``(rows, cols)``; ``(rows, cols, 3)``; a frames axis in
    front for 3-D arrays whose last axis is not 3 samples and for 4-D arrays (a 3-D array
    with a last axis of 3 is taken as colour unless ``photometric`` names a one-sample
    interpretation).  dtypes: bool -> Bits Allocated 1, packed (OB); (u)int8/16/32/64 ->
    Pixel Data (OB for 8 bits, else OW; Pixel Representation from the signedness);
    float32 -> Float Pixel Data (OF), float64 -> Double Float Pixel Data (OD).  Samples
    are interleaved (Planar Configuration 0); the value is padded to even length
    (PS3.5 8.1.1).  ``photometric="YBR_FULL_422"`` takes a full-resolution YBR array with
    an even number of columns and stores it subsampled (PS3.3 C.7.6.3.1.2: the chroma of
    the first pixel of each pair is kept, the second's dropped), as pydicom's
    ``set_pixel_data`` does; ``pixel_array`` gives the pairs' chroma back repeated.  A
    compressed transfer syntax in the file meta (or as read) is replaced by Explicit VR
    Little Endian, as the new data is native.  Returns ``ds``.
    """
    np = _numpy()
    a = np.asarray(array)
    kind, width = a.dtype.kind, a.dtype.itemsize * 8
    if kind == "b":
        width = 1
    elif not (kind in "iu" and width in (8, 16, 32, 64) or kind == "f" and width in (32, 64)):
        raise TypeError(f"cannot store {a.dtype} pixels: bool, (u)int8-64, float32/64 only")
    if photometric is not None:
        photometric = photometric.strip().upper()
        if photometric not in _ONE_SAMPLE + _THREE_SAMPLES:
            raise ValueError(f"Photometric Interpretation {photometric!r} cannot be written "
                             f"natively from an array (one of {_ONE_SAMPLE + _THREE_SAMPLES})")
    frames: Optional[int] = None
    if a.ndim == 2:
        (rows, columns), samples = a.shape, 1
    elif a.ndim == 3 and a.shape[-1] == 3 and photometric not in _ONE_SAMPLE \
            and kind in "iu":
        rows, columns, samples = a.shape
    elif a.ndim == 3:
        (frames, rows, columns), samples = a.shape, 1
    elif a.ndim == 4:
        frames, rows, columns, samples = a.shape
    else:
        raise ValueError(f"pixel arrays are 2-D to 4-D, not shape {a.shape}")
    if samples not in (1, 3) or not (0 < rows < 65536 and 0 < columns < 65536) or frames == 0:
        raise ValueError(f"shape {a.shape}: need 1..65535 rows and columns, at least one "
                         "frame and 1 or 3 samples")
    if photometric is None:
        photometric = "MONOCHROME2" if samples == 1 else "RGB"
    if (samples == 1) != (photometric in _ONE_SAMPLE):
        raise ValueError(f"{photometric} does not have {samples} sample(s) per pixel")
    if kind in "bf" and samples != 1:
        # PS3.3 C.7.6.24 (float images) has one sample; 1-bit colour is not a thing.
        raise ValueError(f"{a.dtype} pixel data has one sample per pixel")
    if photometric == "YBR_FULL_422" and columns % 2:
        raise ValueError(f"YBR_FULL_422 pairs the pixels of a row: {columns} columns is odd")
    stored = _check_bits_stored(np, a, kind, width, bits_stored)

    for tag in _PIXEL_TAGS + (_EXTENDED_OFFSETS, _EXTENDED_LENGTHS):
        if tag in ds:
            del ds[tag]
    _make_native(ds)
    ds.add("SamplesPerPixel", "US", samples)
    ds.add("PhotometricInterpretation", "CS", photometric)
    if frames is None:
        if "NumberOfFrames" in ds:
            del ds["NumberOfFrames"]
    else:
        ds.add("NumberOfFrames", "IS", frames)
    if samples == 3:
        ds.add("PlanarConfiguration", "US", 0)
    elif "PlanarConfiguration" in ds:
        del ds["PlanarConfiguration"]
    ds.add("Rows", "US", rows)
    ds.add("Columns", "US", columns)
    ds.add("BitsAllocated", "US", width)
    if kind == "f":
        for keyword in ("BitsStored", "HighBit", "PixelRepresentation"):
            if keyword in ds:  # PS3.3 C.7.6.24: not part of a float image
                del ds[keyword]
        tag, vr = (FLOAT_PIXEL_DATA, "OF") if width == 32 else (DOUBLE_FLOAT_PIXEL_DATA, "OD")
        data = a.astype(f"<f{width // 8}").tobytes()
    else:
        ds.add("BitsStored", "US", stored)
        ds.add("HighBit", "US", stored - 1)
        ds.add("PixelRepresentation", "US", 1 if kind == "i" else 0)
        tag, vr = PIXEL_DATA, ("OB" if width <= 8 else "OW")
        if kind == "b":  # PS3.5 8.2: least significant bit first, frames not aligned
            data = np.packbits(a, axis=None, bitorder="little").tobytes()
        else:
            data = a.astype(a.dtype.newbyteorder("<")).tobytes()
            if photometric == "YBR_FULL_422":
                data = bytes(subsampling.pack_422(data, width // 8))
    if len(data) & 1:
        data += b"\0"
    ds.add(tag, vr, data)
    return ds


def _check_bits_stored(np: Any, a: Any, kind: str, width: int,
                       bits_stored: Optional[int]) -> int:
    """Bits Stored for ``a``, checking that every value fits in it."""
    if kind == "f" and bits_stored is not None:  # PS3.3 C.7.6.24: no Bits Stored
        raise ValueError(f"Bits Stored cannot be chosen for {a.dtype} pixel data")
    if kind == "b" and bits_stored not in (None, 1):
        raise ValueError("1-bit pixel data has Bits Stored 1")
    if kind in "bf":
        return width
    if bits_stored is None:
        return width
    if not 1 <= bits_stored <= width:
        raise ValueError(f"Bits Stored {bits_stored} does not fit {width}-bit cells")
    if bits_stored < width and a.size:
        low, high = (-(1 << bits_stored - 1), (1 << bits_stored - 1) - 1) if kind == "i" \
            else (0, (1 << bits_stored) - 1)
        if int(a.min()) < low or int(a.max()) > high:
            raise ValueError(f"values {int(a.min())}..{int(a.max())} do not fit in "
                             f"{bits_stored} stored bits")
    return bits_stored


def _make_native(ds: Dataset) -> None:
    """Native data cannot be written in a compressed syntax: fall back to the
    standard's first choice for native data, Explicit VR Little Endian."""
    meta = ds.file_meta
    uid = meta.get("TransferSyntaxUID") if meta is not None else None
    if uid and _ts.get(str(uid)).encapsulated:
        meta.TransferSyntaxUID = _ts.EXPLICIT_VR_LE.uid
    if ds.transfer_syntax is not None and ds.transfer_syntax.encapsulated:
        ds.transfer_syntax = _ts.EXPLICIT_VR_LE
