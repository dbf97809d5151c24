"""Encapsulated Pixel Data (PS3.5 A.4): fragments, offset tables, frames.

An encapsulated Pixel Data value, as the dataset layer holds it, is the run of
items after the element header: the Basic Offset Table item, then one or more
fragment items (the Sequence Delimitation Item is not part of it).  These
helpers split it, map fragments to frames with the Basic or Extended Offset
Table (7FE0,0001)/(7FE0,0002), and build it back.  Compressed bytes are never
looked into: any codec's data passes through untouched.
"""
from __future__ import annotations

import struct
from typing import Optional, Sequence

from ..errors import CodecError

_ITEM = struct.Struct("<HHI")
_ITEM_TAG = (0xFFFE, 0xE000)


def fragments(value: bytes | memoryview) -> list[memoryview]:
    """The item values, Basic Offset Table first; lengths checked against the data."""
    view = memoryview(value)
    pos, end = 0, len(view)
    found = []
    while pos < end:
        if end - pos < 8:
            raise CodecError(f"offset {pos}: {end - pos} byte(s) where an item header was "
                             "expected in encapsulated Pixel Data")
        group, element, length = _ITEM.unpack_from(view, pos)
        if (group, element) == (0xFFFE, 0xE0DD):
            break
        if (group, element) != _ITEM_TAG:
            raise CodecError(f"offset {pos}: expected an Item (FFFE,E000) in encapsulated "
                             f"Pixel Data, found ({group:04X},{element:04X})")
        if length > end - pos - 8:
            raise CodecError(f"offset {pos}: fragment length {length} runs past the end "
                             f"({end - pos - 8} byte(s) left)")
        found.append(view[pos + 8:pos + 8 + length])
        pos += 8 + length
    if not found:
        raise CodecError("encapsulated Pixel Data has no Basic Offset Table item")
    return found


def basic_offset_table(value: bytes | memoryview) -> list[int]:
    """Offsets of the Basic Offset Table (empty list when the item is empty)."""
    table = fragments(value)[0]
    if len(table) % 4:
        raise CodecError(f"Basic Offset Table length {len(table)} is not a multiple of 4")
    return list(struct.unpack(f"<{len(table) // 4}I", table))


def frames(value: bytes | memoryview, number_of_frames: int = 1, *,
           extended_offsets: Optional[Sequence[int]] = None,
           extended_lengths: Optional[Sequence[int]] = None) -> list[bytes]:
    """The compressed bytes of each frame.

    PS3.5 A.4: offsets (basic or extended) count from the first byte of the
    first fragment's Item tag.  Without offsets, one frame takes every
    fragment, and as many fragments as frames means one fragment each.
    """
    items = fragments(value)
    data = items[1:]
    if extended_offsets is not None:
        return _by_offsets(data, list(extended_offsets), extended_lengths)
    table = items[0]
    if len(table):
        if len(table) % 4:
            raise CodecError(f"Basic Offset Table length {len(table)} is not a multiple of 4")
        return _by_offsets(data, list(struct.unpack(f"<{len(table) // 4}I", table)), None)
    if number_of_frames == 1:
        return [b"".join(data)]
    if len(data) == number_of_frames:
        return [bytes(f) for f in data]
    raise CodecError(f"{len(data)} fragments for {number_of_frames} frames and no offset "
                     "table: the frame boundaries are unknown")


def _by_offsets(data: list[memoryview], offsets: list[int],
                lengths: Optional[Sequence[int]]) -> list[bytes]:
    starts = {}
    position = 0
    for index, fragment in enumerate(data):
        starts[position] = index
        position += 8 + len(fragment)
    result = []
    for number, offset in enumerate(offsets):
        if offset not in starts:
            raise CodecError(f"frame {number + 1}: offset {offset} is not the start of a "
                             "fragment")
        first = starts[offset]
        following = offsets[number + 1] if number + 1 < len(offsets) else position
        if following not in starts and following != position:
            raise CodecError(f"frame {number + 2}: offset {following} is not the start of a "
                             "fragment")
        last = starts.get(following, len(data))
        if last <= first:
            raise CodecError(f"frame {number + 1}: offsets are not ascending")
        frame = b"".join(data[first:last])
        if lengths is not None:
            if lengths[number] > len(frame):
                raise CodecError(f"frame {number + 1}: Extended Offset Table length "
                                 f"{lengths[number]} exceeds its {len(frame)} bytes")
            frame = frame[:lengths[number]]
        result.append(frame)
    return result


def encapsulate(frame_list: Sequence[bytes], *, offset_table: bool = True,
                fragment_size: Optional[int] = None) -> bytes:
    """Item stream for ``frame_list`` (one fragment a frame unless ``fragment_size``).

    Fragments are padded to even length (PS3.5 A.4: item lengths are even).
    """
    if fragment_size is not None and (fragment_size < 2 or fragment_size & 1):
        raise ValueError("fragment_size must be an even number >= 2")
    body: list[bytes] = []
    offsets = []
    position = 0
    for frame in frame_list:
        offsets.append(position)
        step = fragment_size or max(len(frame), 1)
        for start in range(0, max(len(frame), 1), step):
            piece = bytes(frame[start:start + step])
            if len(piece) & 1:
                piece += b"\0"
            body.append(_ITEM.pack(0xFFFE, 0xE000, len(piece)))
            body.append(piece)
            position += 8 + len(piece)
    if position > 0xFFFFFFFF and offset_table:
        raise CodecError("frames too large for a Basic Offset Table: use the Extended "
                         "Offset Table (encapsulate_extended)")
    table = struct.pack(f"<{len(offsets)}I", *offsets) if offset_table else b""
    return b"".join([_ITEM.pack(0xFFFE, 0xE000, len(table)), table, *body])


def encapsulate_extended(frame_list: Sequence[bytes]) -> tuple[bytes, bytes, bytes]:
    """Item stream with an empty Basic Offset Table, plus the Extended Offset Table
    (7FE0,0001) and its lengths (7FE0,0002) as OV bytes (PS3.5 A.4, 64-bit offsets)."""
    value = encapsulate(frame_list, offset_table=False)
    offsets, lengths, position = [], [], 0
    for frame in frame_list:
        offsets.append(position)
        lengths.append(len(frame))
        padded = len(frame) + (len(frame) & 1)
        position += 8 + max(padded, 0)
    return (value, struct.pack(f"<{len(offsets)}Q", *offsets),
            struct.pack(f"<{len(lengths)}Q", *lengths))
