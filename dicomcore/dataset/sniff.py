"""What a stream is, from its first bytes: not DICOM (and then what it is instead), or a
bare data set in which transfer syntax.

A file with no "DICM" and no group 0002 is read as a bare data set only when its first
element header makes sense; otherwise ``not_dicom`` names what was found (empty, gzip,
text, JSON...) so a user is told "not a DICOM file" rather than a lying value length.
"""
from __future__ import annotations

import struct
from typing import Any, Optional

from . import transfer_syntax as _ts
from .transfer_syntax import TransferSyntax


_SIGNATURES = ((b"\x1f\x8b", "gzip-compressed data"), (b"PK\x03\x04", "a ZIP archive"),
               (b"%PDF", "a PDF document"), (b"\x89PNG", "a PNG image"),
               (b"\xff\xd8\xff", "a JPEG image"), (b"II*\x00", "a TIFF image"),
               (b"MM\x00*", "a TIFF image"))


def not_dicom(buf: Any) -> Optional[str]:
    """What the start of a stream without "DICM" or group 0002 is, when it cannot be
    a bare data set; None when it can.

    A bare data set opens with an element header whose value fits in the data
    (PS3.5 7.1); text, JSON, gzip and the like do not: read as a header, their
    bytes give tags such as (6554,7473) and lengths of hundreds of megabytes.
    """
    size = len(buf)
    head = bytes(buf[:256])
    if size == 0:
        return "an empty file (0 bytes)"
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    if head[36:40] == b"acsp":
        return "an ICC colour profile"
    text = _as_text(head)
    if text is not None:
        first = text.lstrip()
        kind = "JSON text" if first[:1] in ("{", "[") else "text"
        line = first.splitlines()[0][:40] if first else ""
        return f"{kind} ({line!r}...)"
    if size < 8:
        return f"{size} byte(s), fewer than one data element header (8 bytes)"
    ts = sniff_transfer_syntax(head[:12], size)
    order = "<" if ts.little_endian else ">"
    group, element = struct.unpack_from(order + "HH", head)
    header, length = 8, int.from_bytes(head[4:8], "little" if ts.little_endian else "big")
    if ts.explicit_vr:
        from .vr import LONG_LENGTH_VRS

        if head[4:6].decode("latin-1") in LONG_LENGTH_VRS:
            if size < 12:
                return None  # a header cut short: the decoder says so
            header, length = 12, int.from_bytes(head[8:12], "little" if ts.little_endian
                                                else "big")
        else:
            length = int.from_bytes(head[6:8], "little" if ts.little_endian else "big")
    if length != 0xFFFFFFFF and header + length > size:
        return (f"bytes {head[:8].hex(' ')}, which as a data element header "
                f"({group:04X},{element:04X}) give a value of {length} bytes in a "
                f"{size}-byte file")
    return None


def _as_text(head: bytes) -> Optional[str]:
    """``head`` as text if it is printable UTF-8 (a few control characters aside)."""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not merely a character cut at the end of head
            return None
        text = head[:exc.start].decode("utf-8")
    if not text or any(not (ch.isprintable() or ch in "\t\r\n\x0c") for ch in text):
        return None
    return text


def sniff_transfer_syntax(head: bytes, available: Optional[int] = None) -> TransferSyntax:
    """Guess the encoding of a bare dataset from its first element header.

    Explicit VR shows as two letters at 4..5; implicit VR is little endian only
    (PS3.5 A.1).  For explicit VR, the byte order in which the first value's
    length fits in the ``available`` bytes is the one; where both fit (or
    ``available`` is not given), the one in which the first tag is in the
    dictionary; else the first group of a dataset is small (0008 typically):
    read little endian it is, read big endian it is not.
    """
    if len(head) < 8:
        return _ts.EXPLICIT_VR_LE
    little = head[0] != 0 or head[1] == 0
    explicit = head[4:6].isalpha() and head[4:6].isupper()
    if not explicit:
        return _ts.IMPLICIT_VR_LE if little else _ts.EXPLICIT_VR_BE
    if available is not None:
        fits = [_first_value_fits(head, order, available) for order in ("little", "big")]
        if fits[0] != fits[1]:
            return _ts.EXPLICIT_VR_LE if fits[0] else _ts.EXPLICIT_VR_BE
    from .dictionary import entry

    known = [entry(int.from_bytes(head[0:2], order) << 16 | int.from_bytes(head[2:4], order))
             is not None for order in ("little", "big")]
    if known[0] != known[1]:
        little = known[0]
    return _ts.EXPLICIT_VR_LE if little else _ts.EXPLICIT_VR_BE


def _first_value_fits(head: bytes, order: str, available: int) -> bool:
    """Whether an explicit VR header's value, its length read in ``order``, fits."""
    from .vr import LONG_LENGTH_VRS, VRS

    code = head[4:6].decode("ascii")
    if code in LONG_LENGTH_VRS or code not in VRS:  # PS3.5 6.2: unknown VRs are long
        if len(head) < 12:
            return True  # no length to judge by
        length = int.from_bytes(head[8:12], order)  # type: ignore[arg-type]
        return length == 0xFFFFFFFF or 12 + length <= available
    return 8 + int.from_bytes(head[6:8], order) <= available  # type: ignore[arg-type]
