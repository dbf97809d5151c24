"""Colour helpers for pixel arrays: Palette Color look-up and YBR_FULL <-> RGB.

These are deliberately separate from ``pixels.pixel_array``, which returns samples as
stored: a viewer wants RGB, but an archive, a transcoder or a test wants the stored
values, and converting colour is lossy (rounding) so it is never done behind a caller's
back.

numpy is imported inside the functions only (DESIGN: ``import dicomcore`` needs the
standard library alone).
"""
from __future__ import annotations

from typing import Any

from ..dataset import Dataset
from ..errors import CodecError

__all__ = ["apply_palette", "ybr_to_rgb", "rgb_to_ybr"]

# PS3.3 C.7.6.3.1.5: Red, Green, Blue (and Alpha, C.7.6.3.1.6) descriptors and data.
_DESCRIPTORS = (0x00281101, 0x00281102, 0x00281103)
_DATA = (0x00281201, 0x00281202, 0x00281203)
_SEGMENTED = (0x00281221, 0x00281222, 0x00281223)
_ALPHA_DESCRIPTOR, _ALPHA_DATA = 0x00281104, 0x00281204
_PIXEL_REPRESENTATION = 0x00280103

# PS3.3 C.7.6.3.1.2, YBR_FULL: Y, Cb, Cr from R, G, B (Cb and Cr offset by 2^(n-1)).
_RGB_TO_YBR = ((+0.2990, +0.5870, +0.1140),
               (-0.1687, -0.3313, +0.5000),
               (+0.5000, -0.4187, -0.0813))


def apply_palette(ds: Dataset, array: Any) -> Any:
    """Map stored values through the dataset's Palette Color LUTs (PALETTE COLOR).

    Returns ``array.shape + (3,)`` (``+ (4,)`` when an Alpha LUT is present), uint8 or
    uint16 after the width of the LUT entries.  PS3.3 C.7.6.3.1.5: the descriptor is
    (entries, first stored value mapped, bits per entry), 0 entries meaning 2^16; values
    below the first mapped value take the first entry, values past the end the last.

    The entry width is taken from the data's length (1 or 2 bytes per entry), not from
    the descriptor's third value: writers have put 8-bit entries in 16-bit words, and
    the data length is what cannot lie about how the bytes are laid out.

    Segmented LUTs (C.7.9.2) are not supported: CodecError.
    """
    import numpy as np

    if _DESCRIPTORS[0] not in ds:
        raise CodecError("no Red Palette Color Lookup Table Descriptor (0028,1101): "
                         "not a PALETTE COLOR dataset")
    if _DATA[0] not in ds and _SEGMENTED[0] in ds:
        raise CodecError("Segmented Palette Color Lookup Table Data (PS3.3 C.7.9.2) is "
                         "not supported")
    pairs = list(zip(_DESCRIPTORS, _DATA))
    if _ALPHA_DATA in ds:
        pairs.append((_ALPHA_DESCRIPTOR if _ALPHA_DESCRIPTOR in ds else _DESCRIPTORS[0],
                      _ALPHA_DATA))
    values = np.asarray(array)
    if values.dtype.kind not in "biu":
        raise TypeError(f"palette indices must be integers, not {values.dtype}")
    signed = ds.get(_PIXEL_REPRESENTATION) == 1
    out = None
    for channel, (desc_tag, data_tag) in enumerate(pairs):
        entries, first, lut = _lut(np, ds, desc_tag, data_tag, signed)
        index = np.clip(values.astype(np.int64) - first, 0, entries - 1)
        if out is None:
            out = np.empty(values.shape + (len(pairs),), lut.dtype)
        elif lut.dtype != out.dtype:
            out = out.astype(np.uint16)
        out[..., channel] = lut[index]
    return out


def _lut(np: Any, ds: Dataset, desc_tag: int, data_tag: int, signed: bool) -> tuple:
    """(entries, first mapped value, table) for one channel, checked."""
    if desc_tag not in ds or data_tag not in ds:
        raise CodecError(f"Palette Color LUT ({desc_tag >> 16:04X},{desc_tag & 0xFFFF:04X}) "
                         "or its data is missing")
    desc = ds.element(desc_tag).value
    if not isinstance(desc, list) or len(desc) != 3:
        raise CodecError(f"Palette Color LUT Descriptor {desc!r} is not three numbers")
    entries, first, bits = (int(v) for v in desc)
    entries = entries or 65536  # PS3.3 C.7.6.3.1.5: 0 means 2^16
    if signed and first >= 32768:  # second value: SS when Pixel Representation is 1
        first -= 65536
    if bits not in (8, 16):
        raise CodecError(f"Palette Color LUT entries of {bits} bits (8 or 16 allowed)")
    data = ds.element(data_tag).value
    if isinstance(data, list):  # read as US by an explicit-VR writer
        lut = np.asarray(data, np.uint16)
    else:
        width = len(data) // entries if entries else 0
        if width not in (1, 2) or len(data) not in (entries * width, entries * width + 1):
            raise CodecError(f"Palette Color LUT Data of {len(data)} bytes for {entries} "
                             "entries of 1 or 2 bytes")
        lut = np.frombuffer(data, np.uint8 if width == 1 else "<u2", entries)
        lut = lut.astype(lut.dtype.newbyteorder("="))
    if len(lut) < entries:
        raise CodecError(f"Palette Color LUT Data has {len(lut)} entries, {entries} expected")
    return entries, first, lut[:entries]


def _bits(array: Any, bits: int | None) -> int:
    if bits is None:
        bits = array.dtype.itemsize * 8
    if not 1 <= bits <= 32:
        raise ValueError(f"YBR conversion needs 1..32 bits per sample, not {bits}")
    return bits


def ybr_to_rgb(array: Any, *, bits: int | None = None) -> Any:
    """YBR_FULL (or expanded YBR_FULL_422) samples to RGB, same dtype and shape.

    PS3.3 C.7.6.3.1.2 gives RGB -> YBR_FULL; this applies the exact inverse of that
    matrix, rounds to the nearest integer and clips to 0..2^bits-1 (bits defaults to the
    dtype's width).  The last axis holds the three samples.
    """
    import numpy as np

    values = np.asarray(array)
    if values.shape[-1:] != (3,):
        raise ValueError(f"the last axis must hold 3 samples, shape is {values.shape}")
    n = _bits(values, bits)
    ybr = values.astype(np.float64)
    ybr[..., 1:] -= 2 ** (n - 1)
    rgb = ybr @ np.linalg.inv(np.array(_RGB_TO_YBR)).T
    return np.clip(np.rint(rgb), 0, 2**n - 1).astype(values.dtype)


def rgb_to_ybr(array: Any, *, bits: int | None = None) -> Any:
    """RGB samples to YBR_FULL by PS3.3 C.7.6.3.1.2's equations, same dtype and shape."""
    import numpy as np

    values = np.asarray(array)
    if values.shape[-1:] != (3,):
        raise ValueError(f"the last axis must hold 3 samples, shape is {values.shape}")
    n = _bits(values, bits)
    ybr = values.astype(np.float64) @ np.array(_RGB_TO_YBR).T
    ybr[..., 1:] += 2 ** (n - 1)
    return np.clip(np.rint(ybr), 0, 2**n - 1).astype(values.dtype)
