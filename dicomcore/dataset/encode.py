"""Datasets to bytes, strictly: even lengths, proper padding, correct lengths.

Output is a list of chunks (header bytes and value bytes kept apart) so a
large value such as Pixel Data is never copied into a growing buffer; callers
``b"".join`` it or hand it to ``writelines``/``sendmsg``.

Untouched raw elements are written from the bytes they were read from when
the target encoding cannot change them (same byte order, or a VR whose bytes
do not depend on it, and the same character set): re-encoding conformant
input is then byte-identical by construction.
"""
from __future__ import annotations

import struct
from typing import Any

from ..errors import EncodeError
from . import charset as _charset
from .dataset import Dataset
from .element import DataElement, DeferredElement, RawElement
from .tag import tag_str
from .vr import LONG_LENGTH_VRS, VRS, encode_value

_SPECIFIC_CHARACTER_SET = 0x00080005
UNDEFINED = 0xFFFFFFFF
# Byte-order-free kinds: their bytes read the same in either endianness.
_ORDER_FREE = frozenset({"text", "string", "bytes"})

_STRUCTS = {
    (True, "short"): struct.Struct("<HH2sH"), (False, "short"): struct.Struct(">HH2sH"),
    (True, "long"): struct.Struct("<HH2s2xI"), (False, "long"): struct.Struct(">HH2s2xI"),
    (True, "implicit"): struct.Struct("<HHI"), (False, "implicit"): struct.Struct(">HHI"),
}


def encode_dataset(ds: Dataset, little: bool = True, explicit: bool = True,
                   charsets: tuple = ()) -> list:
    """Encode ``ds``; return the list of byte chunks."""
    parts: list = []
    _Encoder(little, explicit).dataset(parts, ds, charsets)
    return parts


def encode_dataset_bytes(ds: Dataset, little: bool = True, explicit: bool = True) -> bytes:
    return b"".join(encode_dataset(ds, little, explicit))


class _Encoder:
    __slots__ = ("little", "explicit", "short", "long", "implicit", "item")

    def __init__(self, little: bool, explicit: bool):
        self.little = little
        self.explicit = explicit
        self.short = _STRUCTS[little, "short"].pack
        self.long = _STRUCTS[little, "long"].pack
        self.implicit = _STRUCTS[little, "implicit"].pack
        self.item = self.implicit  # items and delimiters: tag + 32-bit length, always

    def header(self, tag: int, vr: str, length: int) -> bytes:
        if not self.explicit:
            return self.implicit(tag >> 16, tag & 0xFFFF, length)
        if vr in LONG_LENGTH_VRS:
            return self.long(tag >> 16, tag & 0xFFFF, vr.encode(), length)
        if length > 0xFFFF:
            raise EncodeError(f"{tag_str(tag)}: a {vr} value of {length} bytes does not fit "
                              "the 16-bit length of explicit VR (PS3.5 7.1.2)")
        return self.short(tag >> 16, tag & 0xFFFF, vr.encode(), length)

    def dataset(self, parts: list, ds: Dataset, charsets: tuple) -> int:
        """Append ``ds``'s elements to ``parts``; return the number of bytes appended."""
        elems = ds._elems
        if _SPECIFIC_CHARACTER_SET in elems:
            charsets = _charset.normalize(ds.element(_SPECIFIC_CHARACTER_SET).value)
        raw_ok_text = charsets == ds._charsets
        same_order = ds._little == self.little
        total = 0
        group_length_at = -1  # index in parts of a group length value to patch
        group_start = 0
        current_group = -1
        for tag in sorted(elems):
            group = tag >> 16
            if group != current_group:
                if group_length_at >= 0:
                    self._patch_group_length(parts, group_length_at, total - group_start)
                    group_length_at = -1
                current_group = group
            if tag & 0xFFFF == 0 and group not in (0x0000, 0x0002) and tag == group << 16:
                # PS3.5 7.2: group lengths are recomputed, never copied stale.
                parts.append(self.header(tag, "UL", 4))
                group_length_at = len(parts)
                parts.append(b"\0\0\0\0")
                total += len(parts[-2]) + 4
                group_start = total
                continue
            elem = elems[tag]
            if elem.__class__ is DeferredElement:  # still in the file: copy its bytes
                elem = elem.raw_for(ds._little, ds._charsets) or elem
            if elem.__class__ is RawElement:
                vr = elem.vr
                if " or " in vr:
                    vr = ds._resolve_vr(tag, vr)
                kind = VRS[vr].kind
                if (same_order or kind in _ORDER_FREE) and (raw_ok_text or kind != "text") \
                        and not elem.undefined_length:
                    data = elem.data()
                    if len(data) & 1:
                        data = bytes(data) + (VRS[vr].pad or b"\0")
                    head = self.header(tag, vr, len(data))
                    parts.append(head)
                    parts.append(data)
                    total += len(head) + len(data)
                    continue
                elem = ds.element(tag)
            total += self.element(parts, elem, charsets, ds)
        if group_length_at >= 0:
            self._patch_group_length(parts, group_length_at, total - group_start)
        return total

    def _patch_group_length(self, parts: list, index: int, length: int) -> None:
        parts[index] = struct.pack("<I" if self.little else ">I", length)

    def element(self, parts: list, elem: DataElement, charsets: tuple, ds: Dataset) -> int:
        tag, vr, value = elem.tag, elem.vr, elem.value
        if vr == "SQ":
            return self.sequence(parts, elem, charsets, ds)
        if elem.undefined_length and vr in ("OB", "OW", "UN"):
            return self.encapsulated(parts, tag, vr, value)
        read = elem.as_read()
        if read is not None:  # the value is the one decoded: its bytes, as for a RawElement
            read_vr, data = read
            kind = VRS[read_vr].kind
            # PS3.5 6.2.2: UN bytes are never byte-swapped, whatever the syntax
            if read_vr == "UN" or ((ds._little == self.little or kind in _ORDER_FREE)
                                   and (kind != "text" or charsets == ds._charsets)):
                if len(data) & 1:
                    data = bytes(data) + (VRS[read_vr].pad or b"\0")
                head = self.header(tag, read_vr, len(data))
                parts.append(head)
                parts.append(data)
                return len(head) + len(data)
        try:
            data = encode_value(vr, value, self.little, charsets)
        except EncodeError as exc:
            raise EncodeError(f"{tag_str(tag)} {vr}: {exc}") from None
        head = self.header(tag, vr, len(data))
        parts.append(head)
        parts.append(data)
        return len(head) + len(data)

    def encapsulated(self, parts: list, tag: int, vr: str, value: Any) -> int:
        # PS3.5 A.4: fragments as items, ended by a Sequence Delimitation Item.
        # Encapsulated syntaxes are little endian, so the value is written as is.
        data = bytes(value or b"")
        head = self.header(tag, "OB" if vr == "OW" else vr, UNDEFINED)
        end = self.item(0xFFFE, 0xE0DD, 0)
        parts += (head, data, end)
        return len(head) + len(data) + 8

    def sequence(self, parts: list, elem: DataElement, charsets: tuple, ds: Dataset) -> int:
        items = elem.value or []
        body: list = []
        size = 0
        for item in items:
            if not isinstance(item, Dataset):
                raise EncodeError(f"{tag_str(elem.tag)}: sequence items must be Datasets, "
                                  f"got {type(item).__name__}")
            if item.undefined_length:
                body.append(self.item(0xFFFE, 0xE000, UNDEFINED))
                size += 8 + self.dataset(body, item, charsets)
                body.append(self.item(0xFFFE, 0xE00D, 0))
                size += 8
            else:
                index = len(body)
                body.append(b"")
                length = self.dataset(body, item, charsets)
                body[index] = self.item(0xFFFE, 0xE000, length)
                size += 8 + length
        if elem.undefined_length:
            head = self.header(elem.tag, "SQ", UNDEFINED)
            parts.append(head)
            parts += body
            parts.append(self.item(0xFFFE, 0xE0DD, 0))
            return len(head) + size + 8
        head = self.header(elem.tag, "SQ", size)
        parts.append(head)
        parts += body
        return len(head) + size
