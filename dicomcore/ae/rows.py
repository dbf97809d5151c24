"""C-FIND Response Identifiers written straight from archive index rows.

``Archive.find_encoded`` asks ``RowEncoder.of`` for an encoder per query and
``sql_decides`` whether its WHERE clause alone decides every key.  Rule: the
bytes are exactly those ``encode_dataset`` gives for the identifier ``find``
builds for the same row (a test holds them equal on random archives); any row
or query this module does not cover exactly is left to that general path.
"""
from __future__ import annotations

import json
import struct
from typing import Any, Mapping, Optional

from ..dataset import Dataset, dictionary
from ..dataset.vr import LONG_LENGTH_VRS, VRS
from .matching import NOT_MATCHED, Column, _combined, _keys, _values

_QR_LEVEL = 0x00080052


def _vr_of(keyword: str) -> str:
    return dictionary.vr_of(dictionary.tag_for(keyword))


# Keys SQL matches exactly as ``match_dataset`` would (no wild cards, no key column, a
# single stored value): for them the Python re-check of a row could only agree.
_EXACT_VRS = frozenset({"AE", "CS", "LO", "SH", "UI"})


def sql_decides(keys: Dataset, columns: Mapping[str, Column],
                combined_datetime: bool) -> bool:
    """True when every matched key is universal or one SQL decides alone."""
    pairs = _combined(keys) if combined_datetime else {}
    paired = set(pairs) | {time_tag for time_tag, _ in pairs.values()}
    for elem in _keys(keys):
        values = _values(elem.value, elem.vr)
        if not values or "*" in values:
            continue  # universal (C.2.2.2.3): no row is refused for it
        column = columns.get(elem.keyword)
        if elem.tag in paired or column is None or column.multi or column.key is not None \
                or elem.vr not in _EXACT_VRS or elem.vr != _vr_of(elem.keyword):
            return False
        if any(not isinstance(v, str) or "*" in v or "?" in v for v in values):
            return False
    return True


_LE_EXPLICIT_SHORT = struct.Struct("<HH2sH")
_LE_EXPLICIT_LONG = struct.Struct("<HH2s2xI")
_LE_IMPLICIT = struct.Struct("<HHI")


class RowEncoder:
    """Response Identifiers written straight from index rows, Little Endian.

    Per query, each element of the identifier (``archive._Plan.identifier``: the keys,
    the unique keys above, Query/Retrieve Level) gets its header bytes and the position
    of its column in the row; ``encode`` then joins headers and ASCII values (padded
    to even length as the VR table pads).  It returns None for a row it cannot write
    byte for byte as ``encode_dataset`` would (a value that is not ASCII needs Specific
    Character Set), and ``of`` returns None for a query it does not cover."""

    __slots__ = ("elements",)

    def __init__(self, elements: list):
        # (column index or -1, header prefix, length packer, empty element, pad, multi,
        #  longest value) in tag order; -1: the constant element bytes in "empty"
        self.elements = elements

    @classmethod
    def of(cls, plan: Any, columns: Mapping[str, Column], explicit: bool
           ) -> Optional["RowEncoder"]:
        """The encoder for ``plan`` (an ``archive._Plan``: its keys, level, the unique
        keys above and the columns ``shown`` in each row), or None."""
        specs: dict[int, tuple] = {}  # tag -> (column index, VR)
        for elem in plan.keys:  # as return_keys takes them; an empty one keeps the key's
            # VR there, so the key's VR must be the dictionary's
            tag = elem.tag
            if tag == 0x00080005 or tag >> 16 < 0x0008 or not tag & 0xFFFF \
                    or tag in NOT_MATCHED:
                continue
            keyword = elem.keyword
            if elem.vr == "SQ" or keyword not in plan.shown or elem.vr != _vr_of(keyword):
                return None
            specs[tag] = (plan.shown.index(keyword), _vr_of(keyword))
        for keyword in plan.above:
            tag = dictionary.tag_for(keyword)
            if tag not in specs:
                specs[tag] = (plan.shown.index(keyword), _vr_of(keyword))
        elements = []
        for tag in sorted(specs | {_QR_LEVEL: None}):
            if tag == _QR_LEVEL:
                value = plan.level.encode("ascii")
                value += b" " * (len(value) & 1)
                elements.append((-1, b"", None, _header(tag, "CS", len(value), explicit)
                                 + value, b"", False, 0))
                continue
            index, vr = specs[tag]
            if vr not in VRS or VRS[vr].kind not in ("text", "string"):
                return None
            if not explicit:
                prefix, packer, limit = struct.pack("<HH", tag >> 16, tag & 0xFFFF), \
                    struct.Struct("<I").pack, 0xFFFFFFFE
            elif vr in LONG_LENGTH_VRS:
                prefix, packer, limit = struct.pack("<HH2s2x", tag >> 16, tag & 0xFFFF,
                                                    vr.encode()), struct.Struct("<I").pack, \
                    0xFFFFFFFE
            else:
                prefix, packer, limit = struct.pack("<HH2s", tag >> 16, tag & 0xFFFF,
                                                    vr.encode()), struct.Struct("<H").pack, \
                    0xFFFF
            multi = columns[plan.shown[index]].multi
            elements.append((index, prefix, packer, _header(tag, vr, 0, explicit),
                             VRS[vr].pad or b"\0", multi, limit))
        return cls(elements)

    def encode(self, row: tuple) -> Optional[bytes]:
        out = []
        for index, prefix, packer, empty, pad, multi, limit in self.elements:
            if index < 0:
                out.append(empty)
                continue
            value = row[index]
            if value is None or value == "" or value == "[]":
                out.append(empty)
                continue
            if multi:
                items = json.loads(value)
                if not all(type(item) is str for item in items):
                    return None
                value = "\\".join(items)
            if type(value) is not str or not value.isascii():
                return None
            data = value.encode("ascii")
            if len(data) & 1:
                data += pad
            if len(data) > limit:
                return None
            out.append(prefix + packer(len(data)) + data)
        return b"".join(out)


def _header(tag: int, vr: str, length: int, explicit: bool) -> bytes:
    if not explicit:
        return _LE_IMPLICIT.pack(tag >> 16, tag & 0xFFFF, length)
    if vr in LONG_LENGTH_VRS:
        return _LE_EXPLICIT_LONG.pack(tag >> 16, tag & 0xFFFF, vr.encode(), length)
    return _LE_EXPLICIT_SHORT.pack(tag >> 16, tag & 0xFFFF, vr.encode(), length)
