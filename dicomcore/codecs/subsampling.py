"""YBR_FULL_422 (PS3.3 C.7.6.3.1.2) <-> full-resolution YBR_FULL, on native bytes.

YBR_FULL_422 halves the chroma horizontally: each pair of pixels of a row is stored as
four cells, Y1 Y2 Cb Cr, the Cb and Cr taken at the first pixel of the pair (pydicom's
``set_pixel_data`` and its ``expand_ybr422`` read and write it so).  Full resolution is
Y1 Cb Cr Y2 Cb Cr: the pair's chroma repeated.

Why bytes and not arrays: both readers of this data need it.  ``pixels.pixel_array``
expands before it makes cells, and RLE encoding (``transcode``), which must work without
numpy (DESIGN), expands before it makes segments: PS3.5 G.2 gives every sample a segment
of one byte per pixel, which subsampled chroma has not got.  One function serves both.
Cells move whole, so the byte order inside a cell does not matter; the work is a dozen
extended-slice copies, never a Python loop over pixels.

``upsample_422(pack_422(x)) == x`` whenever each pair's chroma is equal, and
``pack_422(upsample_422(y)) == y`` always; upsampling loses nothing.
"""
from __future__ import annotations

from typing import Union

from ..errors import CodecError

__all__ = ["upsample_422", "pack_422", "subsampled_size"]

Bytes = Union[bytes, bytearray, memoryview]


def subsampled_size(rows: int, columns: int, cell_bytes: int) -> int:
    """Bytes one YBR_FULL_422 frame takes: two cells a pixel instead of three."""
    return rows * columns * 2 * cell_bytes


def upsample_422(data: Bytes, cell_bytes: int) -> bytearray:
    """Y1 Y2 Cb Cr per pixel pair -> Y1 Cb Cr Y2 Cb Cr (``cell_bytes`` bytes a cell)."""
    src = bytes(data)
    b = cell_bytes
    if b < 1 or len(src) % (4 * b):
        raise CodecError(f"YBR_FULL_422 data of {len(src)} bytes is not whole pixel pairs of "
                         f"four {8 * b}-bit cells (Y1 Y2 Cb Cr)")
    out = bytearray(len(src) // 2 * 3)
    step_in, step_out = 4 * b, 6 * b
    for k in range(b):  # byte k of every cell
        y1, y2 = src[k::step_in], src[b + k::step_in]
        cb, cr = src[2 * b + k::step_in], src[3 * b + k::step_in]
        out[k::step_out] = y1
        out[b + k::step_out] = cb
        out[2 * b + k::step_out] = cr
        out[3 * b + k::step_out] = y2
        out[4 * b + k::step_out] = cb
        out[5 * b + k::step_out] = cr
    return out


def pack_422(data: Bytes, cell_bytes: int) -> bytearray:
    """Y1 Cb1 Cr1 Y2 Cb2 Cr2 -> Y1 Y2 Cb1 Cr1: the second pixel's chroma is dropped, as
    PS3.3 C.7.6.3.1.2 samples chroma at the first pixel of each pair."""
    src = bytes(data)
    b = cell_bytes
    if b < 1 or len(src) % (6 * b):
        raise CodecError(f"{len(src)} bytes of YBR_FULL are not whole pixel pairs of six "
                         f"{8 * b}-bit cells; YBR_FULL_422 needs an even number of columns")
    out = bytearray(len(src) // 3 * 2)
    step_in, step_out = 6 * b, 4 * b
    for k in range(b):
        out[k::step_out] = src[k::step_in]  # Y1
        out[b + k::step_out] = src[3 * b + k::step_in]  # Y2
        out[2 * b + k::step_out] = src[b + k::step_in]  # Cb of the first pixel
        out[3 * b + k::step_out] = src[2 * b + k::step_in]  # Cr of the first pixel
    return out
