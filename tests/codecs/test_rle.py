"""RLE Lossless (PS3.5 Annex G): round trips, both paths, fixtures, hostile input."""
from __future__ import annotations

import random
import struct
import sys
import warnings
from contextlib import nullcontext
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicomcore.codecs import rle
from dicomcore.codecs.rle import decode_frame, encode_frame, make_header, split_segments
from dicomcore.errors import CodecError, DecodeWarning, DicomError, LimitError

try:
    import numpy  # noqa: F401

    PATHS = [False, True]
except ImportError:  # the pure path is tested either way
    PATHS = [False]


def frequent_checks():
    """Make the pure decoder check its output length after every run."""
    return mock.patch.object(rle, "_CHECK_RUNS", 1)


def decode_all_ways(*args, **kw) -> list:
    """decode_frame on every path (and the pure one checking per run): results or error types."""
    results = []
    ways = [(p, False) for p in PATHS] + [(False, True)]
    for use_numpy, checks in ways:
        with warnings.catch_warnings(), (frequent_checks() if checks else nullcontext()):
            warnings.simplefilter("ignore", DecodeWarning)
            try:
                results.append(decode_frame(*args, use_numpy=use_numpy, **kw))
            except DicomError as e:
                results.append(type(e))
    return results


# (samples, bits): every shape with at most 15 segments that matters
SHAPES = [(1, 8), (1, 16), (1, 32), (1, 64), (2, 8), (3, 8), (3, 16), (3, 32)]


def frame(*segments: bytes) -> bytes:
    """A frame from raw RLE segment bytes (each already even)."""
    return make_header([len(s) for s in segments]) + b"".join(segments)


# -- content strategies ------------------------------------------------------------


@st.composite
def images(draw):
    rows = draw(st.integers(1, 64))
    columns = draw(st.integers(1, 64))
    samples, bits = draw(st.sampled_from([s for s in SHAPES if s != (2, 8)]))
    size = rows * columns * samples * bits // 8
    kind = draw(st.sampled_from(["random", "constant", "runs", "few-values"]))
    # Big images outgrow hypothesis's buffer: draw a seed, not the bytes.
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    if kind == "random":
        data = rng.randbytes(size)
    elif kind == "constant":
        data = bytes([rng.randrange(256)]) * size
    elif kind == "few-values":
        data = bytes(rng.choices(b"\x00\x01\x02", k=size))
    else:  # runs around the 128-byte run limit and the 2/3-byte policy edges
        lengths = [1, 2, 3, 127, 128, 129, 130, 255, 256, 257]
        out = bytearray()
        while len(out) < size:
            out += bytes([rng.randrange(256)]) * rng.choice(lengths)
        data = bytes(out[:size])
    return data, rows, columns, samples, bits


# -- round trips and path equality --------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(images(), st.booleans())
def test_round_trip_and_paths_agree(image, planar):
    data, rows, columns, samples, bits = image
    encoded = [
        encode_frame(data, rows, columns, samples, bits, planar=planar, use_numpy=p) for p in PATHS
    ]
    assert all(e == encoded[0] for e in encoded), "numpy and pure encoders differ"
    assert len(encoded[0]) % 2 == 0
    for segment in split_segments(encoded[0]):
        assert len(segment) % 2 == 0  # PS3.5 G.3: even segments
    results = decode_all_ways(encoded[0], rows, columns, samples, bits, planar=planar)
    assert all(r == data for r in results)
    with mock.patch.dict(sys.modules, {"numpy": None}):  # numpy not installed
        args = (rows, columns, samples, bits)
        assert encode_frame(data, *args, planar=planar) == encoded[0]
        assert decode_frame(encoded[0], *args, planar=planar) == data


@pytest.mark.parametrize("samples,bits", SHAPES)
@pytest.mark.parametrize("use_numpy", PATHS)
def test_interleave_and_byte_order(samples, bits, use_numpy):
    """Segments are MSB first per sample (PS3.5 G.2); output is native order."""
    rows, columns = 3, 5
    bps = bits // 8
    npix = rows * columns
    values = [
        [(p * 7 + s * 1000003) * 0x0102030405060708 % (1 << bits) for p in range(npix)]
        for s in range(samples)
    ]
    by_pixel = [values[s][p] for p in range(npix) for s in range(samples)]
    little = b"".join(v.to_bytes(bps, "little") for v in by_pixel)
    big = b"".join(v.to_bytes(bps, "big") for v in by_pixel)
    planar = b"".join(v.to_bytes(bps, "little") for sample in values for v in sample)
    encoded = encode_frame(little, rows, columns, samples, bits, use_numpy=use_numpy)
    segments = split_segments(encoded)
    assert len(segments) == samples * bps
    # Segment 1 holds the most significant byte of sample 1 of every pixel.
    msb = bytes(values[0][p] >> (bits - 8) for p in range(npix))
    assert decode_segment_bytes(segments[0]) == msb
    kw = dict(use_numpy=use_numpy)
    assert decode_frame(encoded, rows, columns, samples, bits, **kw) == little
    assert decode_frame(encoded, rows, columns, samples, bits, byteorder=">", **kw) == big
    assert decode_frame(encoded, rows, columns, samples, bits, planar=True, **kw) == planar
    assert encode_frame(big, rows, columns, samples, bits, byteorder=">", **kw) == encoded
    assert encode_frame(planar, rows, columns, samples, bits, planar=True, **kw) == encoded


def decode_segment_bytes(segment) -> bytes:
    return bytes(rle._decode_segment(segment, 1 << 30))


def test_pure_path_without_numpy(monkeypatch):
    """With numpy unimportable, use_numpy=None falls back and gives the same bytes."""
    data = bytes(range(256)) * 3 + b"\x05" * 288  # 4 rows of 264
    with_numpy = encode_frame(data, 4, 264, 1, 8)
    monkeypatch.setitem(sys.modules, "numpy", None)
    assert rle._numpy(None) is None
    assert encode_frame(data, 4, 264, 1, 8) == with_numpy
    assert decode_frame(with_numpy, 4, 264, 1, 8) == data
    with pytest.raises(ImportError):
        encode_frame(data, 4, 264, 1, 8, use_numpy=True)


# -- the encoder's run policy (PS3.5 G.3.1) -----------------------------------------


def encode_row(row: bytes) -> bytes:
    """The single segment of a one-row 8-bit image, without the header."""
    frames = [encode_frame(row, 1, len(row), 1, 8, use_numpy=p) for p in PATHS]
    results = {bytes(split_segments(f)[0]) for f in frames}
    assert len(results) == 1
    return results.pop()


@pytest.mark.parametrize(
    "row,expected",
    [
        (b"A", b"\x00A"),  # literal of 1
        (b"ABC", b"\x02ABC"),  # literal of 3
        (b"AAA", b"\xfeA"),  # 3-byte repeats shall be Replicate Runs
        (b"AA", b"\xffA"),  # a lone 2-run: replicate (2 bytes, not 3)
        (b"xAAy", b"\x03xAAy"),  # 2-run between literals: merged (G.3.1 note)
        (b"AAxy", b"\xffA\x01xy"),  # 2-run at the row start: replicate
        (b"xyAA", b"\x01xy\xffA"),  # 2-run at the row end: replicate
        (b"xAABB", b"\x00x\xffA\xffB"),  # a chain ending at the edge: replicate
        (b"xAABBy", b"\x05xAABBy"),  # a chain between literals: merged
        (b"AAAxAAy", b"\xfeA\x03xAAy"),  # between a replicate run and a literal
        (b"A" * 128, b"\x81A"),
        (b"A" * 129, b"\x82A\xffA"),  # 127 + 2, not 128 + literal 1
        (b"A" * 130, b"\x81A\xffA"),
        (b"A" * 257, b"\x81A\x82A\xffA"),
        (bytes(range(128)), b"\x7f" + bytes(range(128))),
        (bytes(range(129)), b"\x7f" + bytes(range(128)) + b"\x00\x80"),
    ],
)
def test_run_policy(row, expected):
    padding = b"\x00" * (len(expected) % 2)  # PS3.5 G.3: segments are even
    assert encode_row(row) == expected + padding


def test_rows_are_encoded_separately():
    """A run never crosses a row boundary (PS3.5 G.3.1)."""
    encoded = encode_frame(b"\x07" * 6, 2, 3, 1, 8)
    assert bytes(split_segments(encoded)[0]) == b"\xfe\x07\xfe\x07"
    encoded = encode_frame(b"ab" + b"cd", 2, 2, 1, 8)
    assert bytes(split_segments(encoded)[0]) == b"\x01ab\x01cd"


def test_header_layout():
    """PS3.5 G.5: count, offsets from the header start (first is 64), zeros."""
    header = make_header([4, 6, 2])
    assert len(header) == 64
    assert struct.unpack("<16L", header) == (3, 64, 68, 74) + (0,) * 12
    with pytest.raises(CodecError):
        make_header([2] * 16)
    with pytest.raises(CodecError):
        make_header([])


# -- hand-made frames from PS3.5 G.3 --------------------------------------------------


@pytest.mark.parametrize("use_numpy", PATHS)
def test_hand_made_tokens(use_numpy):
    segment = (
        b"\x02abc"  # literal run: n = 2 -> 3 bytes
        + b"\xfdZ"  # replicate run: n = -3 -> 4 copies
        + b"\x80"  # -128: output nothing
        + b"\x00q"  # literal of one byte
        + b"\x80"  # another no-op, making the length even
    )
    assert len(segment) % 2 == 0
    assert decode_frame(frame(segment), 1, 8, 1, 8, use_numpy=use_numpy) == b"abcZZZZq"
    # A replicate run of 128 (n = -127) and a literal of 128 (n = 127).
    segment = b"\x81\x11" + b"\x7f" + bytes(range(128))
    segment += b"\x00"  # padding zero: a literal header with nothing after it
    expected = b"\x11" * 128 + bytes(range(128))
    assert decode_frame(frame(segment), 2, 128, 1, 8, use_numpy=use_numpy) == expected


def test_dense_tokens():
    """Many short runs, over many of the pure decoder's length checks."""
    row = b"".join(bytes([v % 256]) * (v % 5 + 1) for v in range(1000))
    columns = len(row)
    data = row * 40
    encoded = encode_frame(data, 40, columns, 1, 8)
    assert len(encoded) > 16 * rle._CHECK_RUNS
    assert all(r == data for r in decode_all_ways(encoded, 40, columns, 1, 8))
    # The same, cut short or overrunning by a byte, far from the start.
    short = encoded[:-100]
    assert all(r is CodecError for r in decode_all_ways(short, 40, columns, 1, 8))
    assert all(r is CodecError for r in decode_all_ways(encoded, 40, columns + 1, 1, 8))


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("use_numpy", PATHS)
def test_bad_headers(use_numpy):
    kw = dict(use_numpy=use_numpy)
    good = encode_frame(b"\x01\x02" * 8, 4, 4, 1, 8)
    with pytest.raises(CodecError, match="shorter than the 64-byte"):
        decode_frame(good[:40], 4, 4, 1, 8, **kw)
    too_many = struct.pack("<16L", 16, *range(64, 64 + 15 * 2, 2)) + b"\x00" * 40
    with pytest.raises(CodecError, match="number of segments 16"):
        decode_frame(too_many, 4, 4, 1, 8, **kw)
    zero = struct.pack("<16L", 0, *[0] * 15) + b"\x00\x00"
    with pytest.raises(CodecError, match="number of segments 0"):
        decode_frame(zero, 4, 4, 1, 8, **kw)
    seg = b"\xf1\x00"  # 16 zeros
    out_of_order = struct.pack("<16L", 2, 66, 64, *[0] * 13) + seg + seg
    with pytest.raises(CodecError, match="segment 2 offset 64 is not after"):
        decode_frame(out_of_order, 4, 2, 1, 16, **kw)
    inside_header = struct.pack("<16L", 1, 60, *[0] * 14) + seg
    with pytest.raises(CodecError, match="inside the header"):
        decode_frame(inside_header, 4, 4, 1, 8, **kw)
    past_end = struct.pack("<16L", 2, 64, 90, *[0] * 13) + seg + seg
    with pytest.raises(CodecError, match="past the end"):
        decode_frame(past_end, 4, 2, 1, 16, **kw)
    with pytest.raises(CodecError, match="1 segments, but 1 samples of 16 bits need 2"):
        decode_frame(good, 4, 2, 1, 16, **kw)


@pytest.mark.parametrize("use_numpy", PATHS)
def test_bad_lengths(use_numpy):
    kw = dict(use_numpy=use_numpy)
    with pytest.raises(CodecError, match="decodes to 15 bytes, expected 16"):
        decode_frame(frame(b"\xf2\x00"), 4, 4, 1, 8, **kw)
    with pytest.raises(CodecError, match="ends inside a run"):
        decode_frame(frame(b"\xf4\x00\x05a"), 4, 4, 1, 8, **kw)  # 13 + 1 of 6
    with pytest.raises(CodecError, match="expected 16"):
        decode_frame(frame(b"\xee\x00"), 4, 4, 1, 8, **kw)  # 19 bytes: 3 too many
    with pytest.raises(CodecError, match="segment 2 at offset 66"):
        decode_frame(frame(b"\xf9\x00", b"\xfa\x00"), 4, 2, 1, 16, **kw)  # 8, then 7
    # One byte too many: an odd Byte Segment padded before compressing.
    with pytest.warns(DecodeWarning, match="1 more than 15"):
        assert decode_frame(frame(b"\xf1\x09"), 3, 5, 1, 8, **kw) == b"\x09" * 15


@pytest.mark.parametrize("use_numpy", PATHS)
def test_runaway_segment_stops_early(use_numpy):
    """2-byte tokens expanding to 128 bytes each are refused, not expanded."""
    hostile = b"\x81\x00" * 200_000
    with pytest.raises(CodecError, match="expected 4"):
        decode_frame(frame(hostile), 2, 2, 1, 8, use_numpy=use_numpy)
    with pytest.raises(CodecError, match="expected 4"):
        decode_frame(frame(b"\x80" * 200_000 + b"\x81\x00" * 10), 2, 2, 1, 8, use_numpy=use_numpy)


def test_runaway_segment_is_measured_before_joining():
    """The pure decoder stops at its first check; neither path expands the runs."""
    hostile = memoryview(b"\x81\x00" * 200_000)  # 25.6 MB if expanded
    with pytest.raises(rle._Overrun) as stopped:
        rle._decode_segment(hostile, 4)
    assert stopped.value.length == 128 * rle._CHECK_RUNS
    if True in PATHS:
        import numpy

        with mock.patch.object(numpy, "repeat", side_effect=AssertionError("expanded")):
            with pytest.raises(rle._Overrun) as counted:
                rle._decode_segment_np(numpy, hostile, 4)
        assert counted.value.length == 128 * 200_000


@pytest.mark.parametrize("use_numpy", PATHS)
def test_segment_ends(use_numpy):
    """What a segment's last bytes yield: cut-off runs, no-ops, a lone replicate header."""
    kw = dict(use_numpy=use_numpy)
    # A replicate header as the last byte has no value to repeat: it yields nothing.
    expected = b"a\x07\x07\x07\x07"
    assert decode_frame(frame(b"\x00a\xfd\x07\x80\xfe"), 1, 5, 1, 8, **kw) == expected
    assert decode_frame(frame(b"\x80\x80\x00a\xfd\x07\xfe"), 1, 5, 1, 8, **kw) == expected
    # A literal run cut short yields what is there.
    assert decode_frame(frame(b"\xfe\x01\x05ab"), 1, 5, 1, 8, **kw) == b"\x01\x01\x01ab"
    # Two segments: each one's end is its own (segment 1 ends with a literal header).
    two = frame(b"\xfd\x03\x00", b"\x01ab\xff\x04\x7f")
    assert decode_frame(two, 1, 4, 1, 16, **kw) == b"a\x03b\x03\x04\x03\x04\x03"


def test_budget_and_shapes():
    with pytest.raises(LimitError, match="more than the limit"):
        decode_frame(b"", 512, 512, 3, 16, max_bytes=1_000_000)
    with pytest.raises(CodecError, match="Bits Allocated"):
        decode_frame(b"\x00" * 66, 8, 8, 1, 1)
    with pytest.raises(CodecError, match="Bits Allocated"):
        encode_frame(b"\x00" * 8, 8, 8, 1, 1)
    with pytest.raises(CodecError, match="15 byte segments"):
        encode_frame(b"\x00" * 24, 1, 1, 3, 64)
    with pytest.raises(CodecError, match="positive Rows"):
        encode_frame(b"", 0, 8, 1, 8)
    with pytest.raises(CodecError, match="need 64"):
        encode_frame(b"\x00" * 63, 8, 8, 1, 8)


@st.composite
def damaged_frames(draw):
    data, rows, columns, samples, bits = draw(images())
    encoded = bytearray(encode_frame(data, rows, columns, samples, bits))
    how = draw(st.sampled_from(["truncate", "flip", "header", "extend"]))
    if how == "truncate":
        encoded = encoded[: draw(st.integers(0, len(encoded)))]
    elif how == "flip":
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(encoded) - 1))
            encoded[i] = draw(st.integers(0, 255))
    elif how == "header":
        i = draw(st.integers(0, 15))
        struct.pack_into("<L", encoded, 4 * i, draw(st.integers(0, 2**32 - 1)))
    else:
        encoded += draw(st.binary(max_size=300))
    return bytes(encoded), rows, columns, samples, bits


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_frames())
def test_damaged_frames_raise_only_dicom_errors(case):
    encoded, rows, columns, samples, bits = case
    results = decode_all_ways(encoded, rows, columns, samples, bits)
    assert all(r == results[0] for r in results), "numpy and pure decoders disagree"


# -- pydicom as an oracle ---------------------------------------------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(images())
def test_pydicom_oracle(image):
    pytest.importorskip("pydicom")
    from pydicom.pixels.decoders.rle import _rle_decode_frame
    from pydicom.pixels.encoders.native import _encode_frame

    data, rows, columns, samples, bits = image
    ours = encode_frame(data, rows, columns, samples, bits)
    # pydicom decodes to colour-by-plane, little endian.
    expected = decode_frame(ours, rows, columns, samples, bits, planar=True)
    assert bytes(_rle_decode_frame(ours, rows, columns, samples, bits)) == expected

    class Runner:
        def __init__(self):
            self.rows, self.columns = rows, columns
            self.samples_per_pixel, self.bits_allocated = samples, bits

        def get_option(self, name, default=None):
            return default

    theirs = _encode_frame(data, Runner())
    for p in PATHS:
        assert decode_frame(theirs, rows, columns, samples, bits, use_numpy=p) == data
    assert len(ours) <= len(theirs) + 2 * samples * bits // 8  # never worse but for padding
