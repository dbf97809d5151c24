"""Encapsulated Pixel Data: fragments, offset tables, frames (PS3.5 A.4)."""
from __future__ import annotations

import io
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dicomcore
from dicomcore.codecs.encapsulation import (basic_offset_table, encapsulate,
                                            encapsulate_extended, fragments, frames)
from dicomcore.errors import CodecError

frame_lists = st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=6)


def _padded(frame: bytes) -> bytes:
    return frame + b"\0" * (len(frame) & 1)


@given(frame_lists, st.sampled_from([None, 2, 10, 64]))
def test_basic_offset_table_round_trip(frame_list, fragment_size):
    value = encapsulate(frame_list, fragment_size=fragment_size)
    assert frames(value, len(frame_list)) == [_padded(f) for f in frame_list]
    assert len(basic_offset_table(value)) == len(frame_list)


@given(frame_lists)
def test_extended_offset_table_round_trip_is_exact(frame_list):
    value, offsets, lengths = encapsulate_extended(frame_list)
    assert basic_offset_table(value) == []
    n = len(frame_list)
    got = frames(value, n, extended_offsets=struct.unpack(f"<{n}Q", offsets),
                 extended_lengths=struct.unpack(f"<{n}Q", lengths))
    assert got == list(frame_list)


def test_table_a4_1_single_frame_three_fragments():
    # PS3.5 Table A.4-1: empty Basic Offset Table, one frame in three fragments.
    parts = [b"\x01" * 0x4C6, b"\x02" * 0x24A, b"\x03" * 0x628]
    value = b"".join([struct.pack("<HHI", 0xFFFE, 0xE000, 0)] +
                     [struct.pack("<HHI", 0xFFFE, 0xE000, len(p)) + p for p in parts])
    assert [len(f) for f in fragments(value)] == [0, 0x4C6, 0x24A, 0x628]
    assert frames(value, 1) == [b"".join(parts)]


def test_table_a4_2_two_frames_with_offsets():
    # PS3.5 Table A.4-2: offsets 0 and 0x646 = 8 + 0x2C8 + 8 + 0x36E.
    parts = [b"a" * 0x2C8, b"b" * 0x36E, b"c" * 0xBC8]
    table = struct.pack("<2I", 0, 0x646)
    value = b"".join([struct.pack("<HHI", 0xFFFE, 0xE000, 8), table] +
                     [struct.pack("<HHI", 0xFFFE, 0xE000, len(p)) + p for p in parts])
    assert frames(value, 2) == [parts[0] + parts[1], parts[2]]


@pytest.mark.parametrize("value, message", [
    (b"\xfe\xff\x00\xe0\x10\x00\x00\x00", "runs past the end"),
    (b"\xfe\xff\x00\xe0", "item header"),
    (b"\x08\x00\x00\xe0\x00\x00\x00\x00", "expected an Item"),
    (b"", "no Basic Offset Table"),
])
def test_bad_fragments(value, message):
    with pytest.raises(CodecError, match=message):
        fragments(value)


def test_offsets_that_miss_fragments():
    value = encapsulate([b"abcd", b"efgh"])
    broken = bytearray(value)
    broken[12:16] = struct.pack("<I", 5)  # second BOT entry points mid-fragment
    with pytest.raises(CodecError, match="not the start of a fragment"):
        frames(bytes(broken), 2)


def test_unknown_frame_boundaries():
    value = encapsulate([b"abcdef"], offset_table=False, fragment_size=2)
    with pytest.raises(CodecError, match="boundaries are unknown"):
        frames(value, 2)


@pytest.mark.parametrize("ts_uid", ["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.201",
                                    "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.5"])
def test_compressed_data_passes_through_files(ts_uid):
    """Any codec's data is carried untouched through write and read."""
    ds = dicomcore.Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3"
    ds.NumberOfFrames = "2"
    value, offsets, lengths = encapsulate_extended([b"\xff\xd8frame1\xff\xd9", b"\xff\xd8f2"])
    ds.add(0x7FE00001, "OV", offsets)
    ds.add(0x7FE00002, "OV", lengths)
    ds.add(0x7FE00010, "OB", value).undefined_length = True
    first = io.BytesIO()
    dicomcore.write(first, ds, transfer_syntax=ts_uid)
    back = dicomcore.read(io.BytesIO(first.getvalue()))
    assert back == ds
    assert back[0x7FE00010].undefined_length
    second = io.BytesIO()
    dicomcore.write(second, back)
    assert second.getvalue() == first.getvalue()
    got = frames(back.PixelData, 2,
                 extended_offsets=struct.unpack("<2Q", back.ExtendedOffsetTable),
                 extended_lengths=struct.unpack("<2Q", back.ExtendedOffsetTableLengths))
    assert got == [b"\xff\xd8frame1\xff\xd9", b"\xff\xd8f2"]
