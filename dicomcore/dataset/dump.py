"""Text dumps of datasets, one element a line, in the manner of DCMTK's dcmdump.

``(gggg,eeee) VR value    # length, VM Keyword``; sequences and items are
indented; private elements name their creator; ``offsets=True`` prefixes each
line with the byte offset of the element header in the stream it was read
from (the inflated stream for deflated files), for reading files by hand.

A value still in the file (``read(..., defer_size=n)``) of a binary or number VR
is shown from its first bytes alone (``DeferredElement.peek``): the line is the
one the loaded value would give, and a 1 GB Pixel Data is never read.
"""
from __future__ import annotations

from typing import Any, Optional

from . import dictionary
from .dataset import Dataset
from .element import DataElement, DeferredElement
from .tag import tag_str
from .vr import FIXED_SIZE, VRS, encode_value

_MAX_SHOWN = 64  # characters of a value shown
_SHOWN_BYTES = 24  # bytes of a binary value shown
# Enough of a deferred number value for _MAX_SHOWN characters: 64 values give at least
# 127 ("1\\2\\..."), so the shortened text is the one the whole value gives.
_PEEK_BYTES = _MAX_SHOWN * 8


def format_dataset(ds: Dataset, *, offsets: bool = False, indent: int = 0,
                   charsets: tuple = ()) -> str:
    lines: list[str] = []
    _lines(ds, lines, offsets, indent)
    return "\n".join(lines)


def _lines(ds: Dataset, lines: list, offsets: bool, depth: int) -> None:
    for elem in ds:
        lines.append(_line(ds, elem, offsets, depth))
        if elem.vr == "SQ":
            for number, item in enumerate(elem.value or [], 1):
                form = "undefined" if item.undefined_length else "explicit"
                lines.append(_prefix(item.offset, offsets, depth + 1)
                             + f"(FFFE,E000) na (Item #{number}, {form} length)")
                _lines(item, lines, offsets, depth + 2)
                if item.undefined_length:
                    lines.append(_prefix(None, offsets, depth + 1)
                                 + "(FFFE,E00D) na (ItemDelimitationItem)")
            if elem.undefined_length:
                lines.append(_prefix(None, offsets, depth)
                             + "(FFFE,E0DD) na (SequenceDelimitationItem)")


def _prefix(offset: Optional[int], offsets: bool, depth: int) -> str:
    head = ""
    if offsets:
        head = f"{offset:>10} " if offset is not None else " " * 11
    return head + "  " * depth


def _line(ds: Dataset, elem: DataElement, offsets: bool, depth: int) -> str:
    shown = _shown_value(elem)
    length = _length(elem)
    keyword = describe_tag(ds, elem.tag)
    body = f"{tag_str(elem.tag)} {elem.vr} {shown}"
    width = max(52 - 2 * depth, len(body) + 1)
    return f"{_prefix(elem.offset, offsets, depth)}{body:<{width}}# {length:>4}, {elem.VM} {keyword}"


def describe_tag(ds: Dataset, tag: int) -> str:
    """Keyword, or for private elements their creator: ``[ACME 1.0] private``."""
    if tag >> 16 & 1:
        element = tag & 0xFFFF
        if 0x10 <= element <= 0xFF:
            return "PrivateCreator"
        if element == 0:
            return "PrivateGroupLength"
        creator_tag = (tag & 0xFFFF0000) | (element >> 8)
        creator = ds.get(creator_tag) if element >> 8 >= 0x10 else None
        return f"[{creator}] PrivateTag" if creator else "PrivateTag (no creator)"
    return dictionary.keyword_for(tag) or "UnknownTag"


def _length(elem: DataElement) -> Any:
    if elem.undefined_length:
        return "u/l"
    if elem.length is not None:
        return elem.length
    if elem.vr == "SQ":
        return "?"
    try:
        return len(encode_value(elem.vr, elem.value))
    except Exception:  # display only: a value that cannot be encoded still dumps
        return "?"


def _shown_value(elem: DataElement) -> str:
    vr = elem.vr
    deferred = elem.__class__ is DeferredElement and not elem.is_loaded and vr in FIXED_SIZE
    value = elem.peek(_PEEK_BYTES) if deferred else elem.value
    vr = elem.vr  # loading an UN value of a known tag gives it the dictionary's VR
    if vr == "SQ":
        form = "undefined" if elem.undefined_length else "explicit"
        return f"(Sequence #={len(value or [])}, {form} length)"
    if elem.undefined_length:
        return "(encapsulated fragments)"
    kind = VRS[vr].kind if vr in VRS else "bytes"
    if kind in ("bytes", "words"):
        data = bytes(value or b"")
        size = elem.length if deferred else len(data)
        shown = "\\".join(f"{b:02x}" for b in data[:_SHOWN_BYTES])
        return shown + ("..." if size > _SHOWN_BYTES else "") if size else "(no value)"
    if value is None or value == "":
        return "(no value)"
    if vr == "UI":
        values = value if isinstance(value, list) else [value]
        named = []
        for uid in values:
            from .uid import UID

            keyword = UID(uid).keyword if uid else ""
            named.append(f"={keyword}" if keyword else str(uid))
        text = "\\".join(named)
        return text if all(n.startswith("=") for n in named) else f"[{text}]"
    if kind in ("number", "tag"):
        values = value if isinstance(value, list) else [value]
        text = "\\".join(str(v) for v in values)
    else:
        values = value if isinstance(value, list) else [value]
        text = "[" + "\\".join(str(v) for v in values) + "]"
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN - 3] + "..."
