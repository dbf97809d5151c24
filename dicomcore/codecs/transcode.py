"""Change a dataset's transfer syntax, re-encoding Pixel Data where needed.

``transcode(ds, uid)`` returns a copy of ``ds`` whose Pixel Data suits the
target syntax and whose File Meta Information names it; ``dicomcore.write()``
calls it when the Pixel Data is not in the syntax asked for.  Which work that
takes:

=====================  ==========================================================
native -> native       none: the dataset layer writes the byte order and VRs
native -> RLE          each frame RLE-encoded, one fragment a frame, Basic Offset
                       Table filled (PS3.5 A.4, G); padding past the frames dropped
                       (PS3.5 8.1.1); Bits Allocated 1 and Float Pixel Data refused
RLE -> native          each frame decoded, frames concatenated, padded to even
same syntax            none: compressed data passes through untouched
any other              ``CodecError`` naming the syntax that has no codec here
=====================  ==========================================================

Planar Configuration (0028,0006) is kept as it is, and the pixels follow it,
as DCMTK's dcmcrle and dcmdrle do: RLE holds one segment per sample plane
whatever the value (PS3.5 G.2), so the encoder reads native data arranged as
it says and the decoder writes it back in that arrangement.

YBR_FULL_422 (PS3.3 C.7.6.3.1.2: Y1 Y2 Cb Cr for two pixels) has no RLE form:
PS3.5 G.2 gives each sample a segment of Rows x Columns bytes and PS3.5 8.2.2
wants the attributes to describe what is encapsulated.  DCMTK's dcmcrle and
pydicom's ``compress()`` refuse such data; here the chroma is repeated to full
resolution instead (lossless: every stored value is kept, the array read back
equals the 4:2:2 one read), and the copy says Photometric Interpretation
YBR_FULL, Planar Configuration 0.  Decoding it gives native YBR_FULL.

Rules: the whole decoded size (Rows x Columns x Samples x Bits Allocated / 8 x
Frames) is checked against ``max_bytes`` before anything is allocated; the
original dataset is never changed; only ``DicomError`` escapes.
"""
from __future__ import annotations

from typing import Any, Optional

from ..dataset import transfer_syntax as _ts
from ..dataset import part10
from ..dataset.dataset import Dataset
from ..dataset.element import DataElement
from ..dataset.tag import PIXEL_DATA
from ..dataset.transfer_syntax import TransferSyntax
from ..errors import CodecError, DicomError, LimitError
from . import encapsulation, rle, subsampling

__all__ = ["transcode", "converts", "frame_geometry", "DEFAULT_MAX_BYTES"]

DEFAULT_MAX_BYTES = rle.DEFAULT_MAX_BYTES
_TS_UID = 0x00020010
_EXTENDED_OFFSET_TABLE = 0x7FE00001
_EXTENDED_OFFSET_TABLE_LENGTHS = 0x7FE00002
# Pixel data that no codec here can encapsulate (PS3.3 C.7.6.3: float and double float).
_FLOAT_PIXEL_DATA = (0x7FE00008, 0x7FE00009)


def transcode(ds: Dataset, transfer_syntax_uid: Any, *, max_bytes: int = DEFAULT_MAX_BYTES,
              use_numpy: Optional[bool] = None) -> Dataset:
    """A copy of ``ds`` in ``transfer_syntax_uid`` (a UID string or ``TransferSyntax``).

    Raises ``CodecError`` when the Pixel Data would need a codec dicomcore does
    not have (any encapsulated syntax but RLE Lossless, unless source and target
    are the same), or cannot be RLE-coded (Bits Allocated 1, more than 15 byte
    segments); ``LimitError`` when the decoded pixels would exceed ``max_bytes``.
    """
    target = transfer_syntax_uid if isinstance(transfer_syntax_uid, TransferSyntax) \
        else _ts.get(str(transfer_syntax_uid))
    if not _binary(target):
        raise CodecError(f"cannot write {target}: not a transfer syntax for Part 10 datasets "
                         "with pixel data")
    source = source_syntax(ds)
    new = ds.copy()
    _set_meta_ts(new, target)
    if target.encapsulated and any(tag in new._elems for tag in _FLOAT_PIXEL_DATA):
        # PS3.5 A.4 encapsulates Pixel Data (7FE0,0010) only; RLE's segments hold bytes of
        # integer samples (G.2): there is no RLE form of OF/OD values.
        raise CodecError(f"Float/Double Float Pixel Data cannot be encoded as {target}")
    if PIXEL_DATA not in new._elems:
        return new
    pixel = new.element(PIXEL_DATA)
    encapsulated = bool(pixel.undefined_length)
    if encapsulated and source.is_native:  # no or contradicting File Meta Information
        if not _looks_rle(pixel.value):
            raise CodecError(f"Pixel Data is encapsulated but the dataset's transfer syntax is "
                             f"{source}: the codec of its fragments is unknown")
        source = _ts.RLE_LOSSLESS
    if not encapsulated and target.is_native:
        return new
    if encapsulated and target.encapsulated and source.uid == target.uid:
        return new  # same codec: the compressed bytes pass through
    if target.encapsulated and target.uid != _ts.RLE_LOSSLESS.uid:
        state = "" if encapsulated else "native "
        raise CodecError(f"cannot encode {state}Pixel Data as {target}: dicomcore has no codec "
                         "for it (RLE Lossless is the only compressed syntax it writes)")
    if encapsulated and source.uid != _ts.RLE_LOSSLESS.uid:
        raise CodecError(f"cannot decode Pixel Data in {source}: dicomcore has no codec for it "
                         "(RLE Lossless is the only compressed syntax it reads)")
    if encapsulated:
        _decode_rle(new, pixel, max_bytes, use_numpy)
    else:
        _encode_rle(new, pixel, max_bytes, use_numpy)
    return new


def converts(source: Any, target: Any) -> bool:
    """Whether ``transcode`` takes a dataset in ``source`` to ``target`` (UIDs or
    ``TransferSyntax``), Pixel Data and all, without loss: the table above, read as
    syntaxes.  The same syntax; native to native (byte order, VRs, Deflate: the
    dataset layer); RLE Lossless decoded to native; native encoded as RLE Lossless.
    Any other encapsulated syntax is neither decoded nor written, so never lossy.
    (For syntax pairs; one dataset may still fail, e.g. Bits Allocated 1 into RLE.)"""
    try:
        src = source if isinstance(source, TransferSyntax) else _ts.get(str(source))
        dst = target if isinstance(target, TransferSyntax) else _ts.get(str(target))
    except DicomError:
        return False
    if not _binary(dst):
        return False
    if src.uid == dst.uid:
        return True
    rle_uid = _ts.RLE_LOSSLESS.uid
    return (src.is_native or src.uid == rle_uid) and (dst.is_native or dst.uid == rle_uid)


def source_syntax(ds: Dataset) -> TransferSyntax:
    """The syntax ``ds`` is in: its File Meta Information's, else the one it was read in,
    else (made in memory) Explicit VR Little Endian."""
    return part10.source_syntax(ds) or _ts.EXPLICIT_VR_LE


def frame_geometry(ds: Dataset) -> tuple[int, int, int, int, int, bool]:
    """(rows, columns, samples, bits allocated, frames, planar) from the Image Pixel module."""
    try:
        rows = int(ds.get("Rows") or 0)
        columns = int(ds.get("Columns") or 0)
        samples = int(ds.get("SamplesPerPixel") or 1)
        bits = int(ds.get("BitsAllocated") or 0)
        frames_value = ds.get("NumberOfFrames")
        frames = int(frames_value) if frames_value not in (None, "") else 1
        planar = samples > 1 and int(ds.get("PlanarConfiguration") or 0) == 1
    except (TypeError, ValueError) as exc:
        raise CodecError(f"unusable Image Pixel attributes: {exc}") from None
    if rows < 1 or columns < 1 or samples < 1 or bits < 1 or frames < 1:
        raise CodecError(f"Pixel Data needs positive Rows, Columns, Samples per Pixel, Bits "
                         f"Allocated and Number of Frames, not {rows}, {columns}, {samples}, "
                         f"{bits}, {frames}")
    return rows, columns, samples, bits, frames, planar


def _encode_rle(ds: Dataset, pixel: DataElement, max_bytes: int,
                use_numpy: Optional[bool]) -> None:
    rows, columns, samples, bits, frames, planar = frame_geometry(ds)
    if bits % 8:
        # PS3.5 G.2: segments hold whole bytes of each sample; bit-packed data has none.
        raise CodecError(f"RLE Lossless cannot encode Bits Allocated {bits} (needs 8, 16, 32 "
                         "or 64)")
    frame_size = rows * columns * samples * bits // 8
    total = frame_size * frames
    if total > max_bytes:
        raise LimitError(f"Pixel Data of {total} bytes ({rows} x {columns} x {samples} x "
                         f"{bits} bits x {frames} frames) is more than the limit {max_bytes}")
    data = memoryview(pixel.value or b"").cast("B")
    subsampled = _photometric(ds) == "YBR_FULL_422"
    stored = subsampling.subsampled_size(rows, columns, bits // 8) * frames if subsampled \
        else total
    if len(data) < stored:  # longer is padding: PS3.5 8.1.1 lets readers drop the excess
        what = "YBR_FULL_422 (two cells a pixel)" if subsampled else f"{samples} samples"
        raise CodecError(f"Pixel Data holds {len(data)} bytes, but {rows} x {columns} x "
                         f"{what} of {bits} bits x {frames} frames need {stored}")
    if subsampled:
        if samples != 3 or columns % 2:
            raise CodecError(f"YBR_FULL_422 needs 3 samples and an even number of columns, "
                             f"not {samples} and {columns}")
        # PS3.5 8.2.2: the attributes must describe what is encapsulated, and RLE gives
        # each sample a segment of one byte per pixel (G.2), which halved chroma has not
        # got; so, as the module docstring says, the chroma is repeated to full resolution
        # (exact: every stored value is kept) and the dataset becomes YBR_FULL.
        data = memoryview(subsampling.upsample_422(data[:stored], bits // 8))
        ds.add("PhotometricInterpretation", "CS", "YBR_FULL")
        ds.add("PlanarConfiguration", "US", 0)  # upsampled interleaved, as 4:2:2 is stored
        planar = False
    encoded = [rle.encode_frame(data[n * frame_size:(n + 1) * frame_size], rows, columns,
                                samples, bits, planar=planar, use_numpy=use_numpy)
               for n in range(frames)]
    for tag in (_EXTENDED_OFFSET_TABLE, _EXTENDED_OFFSET_TABLE_LENGTHS):
        ds._elems.pop(tag, None)
    try:
        value = encapsulation.encapsulate(encoded)
    except CodecError:  # past 4 GiB of fragments: the Basic Offset Table can't address them
        value, offsets, lengths = encapsulation.encapsulate_extended(encoded)
        ds.add(_EXTENDED_OFFSET_TABLE, "OV", offsets)
        ds.add(_EXTENDED_OFFSET_TABLE_LENGTHS, "OV", lengths)
    ds[PIXEL_DATA] = DataElement(PIXEL_DATA, "OB", value, undefined_length=True)


def _photometric(ds: Dataset) -> str:
    return str(ds.get("PhotometricInterpretation") or "").strip().upper()


def _decode_rle(ds: Dataset, pixel: DataElement, max_bytes: int,
                use_numpy: Optional[bool]) -> None:
    rows, columns, samples, bits, frames, planar = frame_geometry(ds)
    frame_size = rows * columns * samples * bits // 8
    total = frame_size * frames
    if bits % 8:
        raise CodecError(f"RLE Lossless cannot hold Bits Allocated {bits} (needs 8, 16, 32 "
                         "or 64)")
    if total > max_bytes:  # before any frame is decoded
        raise LimitError(f"Pixel Data would decode to {total} bytes ({rows} x {columns} x "
                         f"{samples} x {bits} bits x {frames} frames), more than the limit "
                         f"{max_bytes}")
    extended = {}
    if _EXTENDED_OFFSET_TABLE in ds._elems:
        extended["extended_offsets"] = _u64s(ds.get(_EXTENDED_OFFSET_TABLE))
        if _EXTENDED_OFFSET_TABLE_LENGTHS in ds._elems:
            extended["extended_lengths"] = _u64s(ds.get(_EXTENDED_OFFSET_TABLE_LENGTHS))
    found = encapsulation.frames(pixel.value or b"", frames, **extended)
    if len(found) != frames:
        raise CodecError(f"encapsulated Pixel Data holds {len(found)} frames, Number of Frames "
                         f"is {frames}")
    out = bytearray(total + (total & 1))
    for n, frame in enumerate(found):
        try:
            out[n * frame_size:(n + 1) * frame_size] = rle.decode_frame(
                frame, rows, columns, samples, bits, planar=planar, max_bytes=frame_size,
                use_numpy=use_numpy)
        except CodecError as exc:
            raise CodecError(f"frame {n + 1} of {frames}: {exc}") from None
    for tag in (_EXTENDED_OFFSET_TABLE, _EXTENDED_OFFSET_TABLE_LENGTHS):
        ds._elems.pop(tag, None)
    # OW whatever Bits Allocated, as dcmdrle writes it: the one VR every native syntax
    # allows (PS3.5 A.1), and what an Implicit VR file reads back as.
    ds[PIXEL_DATA] = DataElement(PIXEL_DATA, "OW", bytes(out))
    if _photometric(ds) == "YBR_FULL_422":  # segments are full planes (PS3.5 G.2), as read
        ds.add("PhotometricInterpretation", "CS", "YBR_FULL")


def _set_meta_ts(ds: Dataset, target: TransferSyntax) -> None:
    meta = ds.file_meta if ds.file_meta is not None else Dataset()
    meta.add(_TS_UID, "UI", str(target.uid))
    object.__setattr__(ds, "file_meta", meta)
    object.__setattr__(ds, "transfer_syntax", target)


def _u64s(value: Any) -> list[int]:
    data = bytes(value or b"")
    return [int.from_bytes(data[i:i + 8], "little") for i in range(0, len(data) - 7, 8)]


def _looks_rle(value: Any) -> bool:
    try:
        first = encapsulation.frames(value or b"", 1)[0]
        rle.split_segments(first)
    except DicomError:
        return False
    return True


def _binary(target: TransferSyntax) -> bool:
    # JPIP (PS3.5 A.6, A.7) and the retired MIME/XML encodings hold no Pixel Data value.
    name = (target.name or "").lower()
    return not any(word in name for word in ("jpip", "mime", "xml"))
