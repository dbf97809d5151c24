"""RLE Lossless (PS3.5 Annex G): one frame at a time, pure Python or numpy.

A frame is a 64-byte RLE Header followed by up to 15 RLE Segments.  Segment k
holds one byte of every pixel's sample: for each sample in turn, the most
significant byte first (PS3.5 G.2).  Each segment is a PackBits byte stream
(PS3.5 G.3) padded to even length.

Rules of this module:

1. Everything is checked before it is trusted.  Header fields, segment offsets
   and decoded lengths are validated; the output size is checked against
   ``max_bytes`` before anything is allocated.  Bad input raises
   ``CodecError`` (naming the segment and the byte offset in the frame) or
   ``LimitError``; nothing else escapes.
2. Two paths, one answer.  The pure-Python path never loops over pixels in
   Python: runs are found by ``re`` (on a big-integer XOR of each plane with
   itself) and copied by slicing, byte planes are (de)interleaved by
   extended-slice assignment; decoding loops once per run, not per byte.
   The numpy path vectorises run detection, token building and the plane
   shuffle; its decoder's only Python loop marks where the runs start, and
   one ``np.repeat`` expands them.  Both give byte-identical output, in
   both directions; ``use_numpy=None`` takes numpy when it can be imported.
   numpy is imported inside functions only.
3. One run policy, chosen for size (see ``encode_frame``), applied row by row:
   runs never cross a row (PS3.5 G.3.1).
"""
from __future__ import annotations

import re
import struct
import warnings
from itertools import repeat
from typing import Any

from dicomcore.errors import CodecError, DecodeWarning, LimitError

__all__ = ["decode_frame", "encode_frame", "split_segments", "make_header"]

# PS3.5 G.5: 16 unsigned longs, little endian: the segment count, 15 offsets.
_HEADER = struct.Struct("<16L")
HEADER_LENGTH = 64
MAX_SEGMENTS = 15
DEFAULT_MAX_BYTES = 2**31

# Step from a header byte to the next header (PS3.5 G.3.2): 0..127 literal of
# n+1 bytes, 129..255 (-127..-1) replicate of one byte, 128 (-128) no-op.
_STEP = [h + 2 if h < 128 else (2 if h > 128 else 1) for h in range(256)]

# _RUNS[h][v]: the bytes a replicate header h (129..255) yields for value v,
# built on first use (a row of 256 bytes objects per header; all 127 rows
# take about 3 MB), so a replicate run is copied, not built, by the decoder.
_RUNS: list[list[bytes] | None] = [None] * 256

# A run yields at most 128 bytes, so the pure decoder checks its output length
# once per this many runs (and overshoots by at most 512 KiB).
_CHECK_RUNS = 4096

# Runs of three or more identical bytes are always Replicate Runs (PS3.5 G.3.1):
# two or more zeros in a byte string that is zero where a byte repeats.
_SAME2 = re.compile(b"\x00\x00+")


# -- header -----------------------------------------------------------------------


def make_header(segment_lengths: list[int]) -> bytes:
    """Return the 64-byte RLE Header for segments of the given (even) lengths.

    PS3.5 G.5: offsets count from the start of the header, so the first
    segment starts at 64; unused offsets are zero.
    """
    n = len(segment_lengths)
    if not 1 <= n <= MAX_SEGMENTS:
        raise CodecError(f"RLE frame needs 1 to {MAX_SEGMENTS} segments, not {n}")
    offsets = []
    pos = HEADER_LENGTH
    for length in segment_lengths:
        offsets.append(pos)
        pos += length
    if pos > 0xFFFFFFFF:
        raise LimitError(f"RLE frame of {pos} bytes does not fit the 32-bit segment offsets")
    return _HEADER.pack(n, *offsets, *([0] * (MAX_SEGMENTS - n)))


def split_segments(data: bytes | memoryview) -> list[memoryview]:
    """Return the RLE Segments of one frame as views into ``data``.

    Segment k runs from its offset to the next segment's offset; the last one
    runs to the end of the frame (which includes any fragment padding).
    Offsets must lie in ``[64, len(data)]`` and increase strictly: anything
    else means the header is damaged and decoding would produce a wrong image.
    """
    view = memoryview(data).cast("B")
    if len(view) < HEADER_LENGTH:
        raise CodecError(f"RLE frame of {len(view)} bytes is shorter than the 64-byte RLE Header")
    count, *offsets = _HEADER.unpack_from(view)
    if not 1 <= count <= MAX_SEGMENTS:  # PS3.5 G.5: at most 15 segments
        raise CodecError(f"RLE Header at offset 0: number of segments {count} is not 1..15")
    offsets = offsets[:count]
    previous = HEADER_LENGTH - 1
    for k, offset in enumerate(offsets):
        where = 4 + 4 * k
        if offset < HEADER_LENGTH:
            raise CodecError(
                f"RLE Header at offset {where}: segment {k + 1} offset {offset} "
                "lies inside the header"
            )
        if offset <= previous:
            raise CodecError(
                f"RLE Header at offset {where}: segment {k + 1} offset {offset} is not after "
                f"segment {k} offset {previous}"
            )
        if offset >= len(view):
            raise CodecError(
                f"RLE Header at offset {where}: segment {k + 1} offset {offset} is past the end "
                f"of the {len(view)}-byte frame"
            )
        previous = offset
    ends = offsets[1:] + [len(view)]
    return [view[a:b] for a, b in zip(offsets, ends)]


# -- shared checks ----------------------------------------------------------------


def _geometry(
    rows: int, columns: int, samples_per_pixel: int, bits_allocated: int, byteorder: str
) -> tuple[int, int, int]:
    """Return (pixels, bytes per sample, segments) after checking the frame shape."""
    if bits_allocated not in (8, 16, 32, 64):
        # PS3.5 G.2 pads each pixel code to whole bytes; bit-packed data
        # (Bits Allocated 1) has no byte per pixel to put in a segment.
        raise CodecError(f"RLE needs Bits Allocated 8, 16, 32 or 64, not {bits_allocated}")
    if rows < 1 or columns < 1 or samples_per_pixel < 1:
        raise CodecError(
            f"RLE frame needs positive Rows, Columns and Samples per Pixel, "
            f"not {rows}, {columns}, {samples_per_pixel}"
        )
    if byteorder not in ("<", ">"):
        raise ValueError(f"byteorder must be '<' or '>', not {byteorder!r}")
    bps = bits_allocated // 8
    nseg = samples_per_pixel * bps
    if nseg > MAX_SEGMENTS:  # PS3.5 G.5: the header has room for 15 offsets
        raise CodecError(
            f"RLE can hold {MAX_SEGMENTS} byte segments, {samples_per_pixel} samples of "
            f"{bits_allocated} bits need {nseg}"
        )
    return rows * columns, bps, nseg


def _slots(
    nseg: int, bps: int, pixels: int, byteorder: str, planar: bool
) -> list[tuple[int, int, int]]:
    """Where segment k's bytes live in native pixel data: (start, stop, step).

    Segments run MSB first within each sample (PS3.5 G.2); native data keeps
    the least significant byte first for '<'.
    """
    slots = []
    for k in range(nseg):
        sample, significance = divmod(k, bps)
        significance = bps - 1 - significance  # 0 is the least significant byte
        byte = significance if byteorder == "<" else bps - 1 - significance
        if planar:
            start = sample * pixels * bps + byte
            slots.append((start, (sample + 1) * pixels * bps, bps))
        else:
            slots.append((sample * bps + byte, nseg * pixels, nseg))
    return slots


def _numpy(use_numpy: bool | None) -> Any:
    """numpy if wanted and importable, else None; ``True`` insists on it."""
    if use_numpy is False:
        return None
    try:
        import numpy
    except ImportError:
        if use_numpy:
            raise
        return None
    return numpy


# -- decoding ---------------------------------------------------------------------


def decode_frame(
    data: bytes | memoryview,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    *,
    byteorder: str = "<",
    planar: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    use_numpy: bool | None = None,
) -> bytes:
    """Decode one RLE frame (header and segments) to native pixel bytes.

    Samples come out in ``byteorder`` ('<': little endian, as in the native
    transfer syntaxes), interleaved by pixel (Planar Configuration 0), or
    colour-by-plane with ``planar=True``.

    A segment must decode to exactly Rows x Columns bytes.  One extra byte is
    tolerated with a ``DecodeWarning`` and dropped: it is what encoders
    produce that pad an odd-length Byte Segment before compressing it (or that
    pad the RLE Segment with a zero pair instead of one zero).  More than one
    byte over means wrong dimensions or offsets, which would silently yield a
    wrong image, so it is an error; so is any shortfall.
    """
    pixels, bps, nseg = _geometry(rows, columns, samples_per_pixel, bits_allocated, byteorder)
    total = pixels * nseg
    if total > max_bytes:  # checked before anything is allocated
        raise LimitError(
            f"RLE frame would decode to {total} bytes, more than the limit {max_bytes}"
        )
    segments = split_segments(data)
    if len(segments) != nseg:
        raise CodecError(
            f"RLE Header at offset 0: {len(segments)} segments, but {samples_per_pixel} samples "
            f"of {bits_allocated} bits need {nseg}"
        )
    np = _numpy(use_numpy)
    planes = []
    offset = HEADER_LENGTH
    for k, segment in enumerate(segments):
        try:
            if np is not None:
                plane = _decode_segment_np(np, segment, pixels)
            else:
                plane = _decode_segment(segment, pixels)
            length = len(plane)
        except _Overrun as e:
            plane, length = b"", e.length
        _check_plane(length, pixels, k, offset, segment)
        planes.append(plane)
        offset += len(segment)
    slots = _slots(nseg, bps, pixels, byteorder, planar)
    if nseg == 1:
        plane = planes[0]
        if np is not None:
            return plane[:pixels].tobytes()
        del plane[pixels:]  # the tolerated extra byte, if any
        return bytes(plane)
    if np is not None:
        out = np.empty(total, np.uint8)
        for (start, stop, step), plane in zip(slots, planes):
            out[start:stop:step] = plane[:pixels]
        return out.tobytes()
    buf = bytearray(total)
    for (start, stop, step), plane in zip(slots, planes):
        # Extended-slice assignment scatters a whole plane at C speed.
        buf[start:stop:step] = plane if len(plane) == pixels else plane[:pixels]
    return bytes(buf)


def _check_plane(length: int, expected: int, k: int, offset: int, segment: memoryview) -> None:
    """Raise or warn about a segment that decoded to the wrong length."""
    if length == expected:
        return
    name = f"RLE segment {k + 1} at offset {offset}"
    if length < expected:
        ended = _ends_inside_run(segment)
        cut = f"; its data ends inside a run (segment offset {ended})" if ended is not None else ""
        raise CodecError(f"{name} decodes to {length} bytes, expected {expected}{cut}")
    if length == expected + 1:
        warnings.warn(
            f"{name} decodes to {length} bytes, 1 more than {expected}; the extra byte is dropped",
            DecodeWarning,
            stacklevel=3,
        )
        return
    raise CodecError(f"{name} decodes to at least {length} bytes, expected {expected}")


def _ends_inside_run(segment: memoryview) -> int | None:
    """Offset of a final run that the segment's data cuts short, if any (errors only)."""
    pos, end = 0, len(segment)
    while pos < end:
        start = pos
        pos += _STEP[segment[pos]]
        if pos > end and not (pos == end + 1 and segment[start] == 0):  # 0x00 = even padding
            return start
    return None


def _decode_segment(segment: memoryview, expected: int) -> bytearray:
    """PS3.5 G.3.2, one run per iteration, each appended from a slice or ``_RUNS``.

    Stops early (raising ``_Overrun``) once the output is more than one byte
    longer than ``expected``, checking every ``_CHECK_RUNS`` runs, so a
    hostile segment cannot make it allocate much more than the frame.  A run
    cut short by the end of the segment yields what is there: a lone
    trailing 0x00 is the usual padding.  The end is found by IndexError, so
    the loop compares nothing but the header byte.
    """
    src = bytes(segment)  # indexing bytes is faster than indexing a memoryview
    out = bytearray()
    runs = _RUNS
    limit = expected + 1
    pos = 0
    try:
        while True:
            for _ in repeat(None, _CHECK_RUNS):
                n = src[pos]
                if n > 128:  # replicate run (the commoner): 257 - n copies of the next byte
                    out += (runs[n] or _runs_row(n))[src[pos + 1]]
                    pos += 2
                elif n < 128:  # literal run of n + 1 bytes
                    pos += n + 2
                    out += src[pos - n - 1 : pos]
                else:  # -128: output nothing
                    pos += 1
            if len(out) > limit:
                raise _Overrun(len(out))
    except IndexError:  # past the end, or a replicate header as the last byte
        pass
    return out


def _runs_row(h: int) -> list[bytes]:
    """Fill ``_RUNS[h]``: the 257 - h copies of each byte value."""
    row = _RUNS[h] = [bytes((v,)) * (257 - h) for v in range(256)]
    return row


def _decode_segment_np(np: Any, segment: memoryview, expected: int) -> Any:
    """PS3.5 G.3.2 with one Python step per run and no Python work per byte.

    A header's position depends on the one before, so the headers are found
    by a loop that does nothing else: it marks each header in a bytearray.
    Then every byte of the segment is repeated at once (``np.repeat``):
    headers 0 times, literal data once, a replicate value 257 - n times.
    The output length is checked before it is allocated.  Returns a uint8
    array.
    """
    src = bytes(segment)
    end = len(src)
    marks = bytearray(end)
    step = _STEP
    pos = 0
    try:
        while True:
            marks[pos] = 1
            pos += step[src[pos]]
    except IndexError:  # the next header would lie past the end
        pass
    s = np.frombuffer(src, np.uint8)
    heads = np.flatnonzero(np.frombuffer(marks, np.bool_))
    counts = np.ones(end, np.intp)  # literal data: once each
    counts[heads] = 0
    value_at = heads[s[heads] > 128] + 1
    if value_at.size and value_at[-1] == end:  # a replicate header as the last byte
        value_at = value_at[:-1]
    counts[value_at] = 257 - s[value_at - 1].astype(np.intp)
    length = int(counts.sum())
    if length > expected + 1:
        raise _Overrun(length)
    return np.repeat(s, counts)


class _Overrun(Exception):
    """A segment decodes to ``length`` bytes, too many to keep (caught in decode_frame)."""

    def __init__(self, length: int):
        self.length = length


# -- encoding ---------------------------------------------------------------------


def encode_frame(
    pixels: bytes | memoryview,
    rows: int,
    columns: int,
    samples_per_pixel: int,
    bits_allocated: int,
    *,
    byteorder: str = "<",
    planar: bool = False,
    use_numpy: bool | None = None,
) -> bytes:
    """Encode one frame of native pixel bytes as an RLE frame.

    ``pixels`` holds exactly Rows x Columns x Samples samples in ``byteorder``,
    interleaved by pixel (or colour-by-plane with ``planar=True``).

    Run policy (PS3.5 G.3.1), applied to each row separately:

    * runs of 3 or more identical bytes are Replicate Runs (the standard
      requires it for 3, and it never costs more);
    * a run of exactly 2 is merged into the Literal Run around it when single
      bytes lie on both sides of it (the standard's note: replicating it would
      split the literal and cost a header), and is a Replicate Run otherwise
      (next to a replicate run or a row edge it costs 2 bytes either way,
      or saves one);
    * literal stretches are cut into runs of 128 from their start; replicate
      runs into runs of 128, ending 127 + 2 rather than 128 + 1;
    * each segment is padded with one zero byte to even length (PS3.5 G.3).

    DCMTK's encoder treats every 2-run as literal; this policy is never larger
    and usually slightly smaller.  pydicom's treats every 2-run as replicate,
    which splits literal runs in noisy data.
    """
    npix, bps, nseg = _geometry(rows, columns, samples_per_pixel, bits_allocated, byteorder)
    view = memoryview(pixels).cast("B")
    if len(view) != npix * nseg:
        raise CodecError(
            f"{len(view)} bytes of pixel data, but {rows} x {columns} x {samples_per_pixel} "
            f"samples of {bits_allocated} bits need {npix * nseg}"
        )
    np = _numpy(use_numpy)
    slots = _slots(nseg, bps, npix, byteorder, planar)
    if np is not None:
        segments = _encode_np(np, view, slots, rows, columns)
    else:
        raw = bytes(view)
        segments = [_encode_plane_py(raw[a:b:c], rows, columns) for a, b, c in slots]
    return b"".join([make_header([len(s) for s in segments]), *segments])


def _encode_plane_py(plane: bytes, rows: int, columns: int) -> bytearray:
    """One Byte Segment to one RLE Segment, row by row (PS3.5 G.3.1).

    Runs are found without a Python loop over bytes: one big-integer XOR of
    the plane with itself shifted by a byte gives a string whose byte i is
    zero exactly where byte i equals byte i - 1, and a run of 3 or more is
    then a stretch of 2 or more zeros, which ``re`` finds at C speed.
    """
    out = bytearray()
    append = out.append
    x = int.from_bytes(plane, "big")
    same = (x ^ (x >> 8)).to_bytes(len(plane), "big")
    finditer = _SAME2.finditer
    for first in range(0, rows * columns, columns):
        last = first + columns
        pos = first
        # From first + 1: the row's first byte is not compared with the row
        # before; endpos keeps runs inside the row.
        for m in finditer(same, first + 1, last):
            start, stop = m.span()
            start -= 1  # the run's first byte is the one before the zeros
            if start > pos:
                if start - pos == 1:
                    append(0)
                    append(plane[pos])
                else:
                    _encode_gap(plane, pos, start, out)
            n = stop - start
            if n <= 128:
                append(257 - n)
                append(plane[start])
            else:
                _encode_replicate(plane[start], n, out)
            pos = stop
        if pos < last:
            _encode_gap(plane, pos, last, out)
    if len(out) & 1:
        out.append(0)  # PS3.5 G.3: pad to even length with zero
    return out


def _encode_replicate(value: int, n: int, out: bytearray) -> None:
    """Replicate Runs for ``n`` >= 2 copies of ``value``: <1 - count> <value>."""
    full, rest = divmod(n, 128)
    if rest == 1:  # 128 + 1 would need a literal; 127 + 2 costs the same and stays a run
        full -= 1
        out += bytes((129, value)) * full
        out += bytes((130, value, 255, value))
        return
    if full:
        out += bytes((129, value)) * full
    if rest:
        out += bytes((257 - rest, value))


def _encode_gap(plane: bytes, pos: int, end: int, out: bytearray) -> None:
    """Bytes between replicate runs (no run of 3 inside): 2-runs at either end
    are Replicate Runs, the rest one literal stretch (see ``encode_frame``)."""
    if end - pos == 1:
        out.append(0)
        out.append(plane[pos])
        return
    # 2-runs at the start: next to a row edge or a replicate run.
    while end - pos >= 2 and plane[pos] == plane[pos + 1]:
        out.append(255)
        out.append(plane[pos])
        pos += 2
    # 2-runs at the end, found walking back pair by pair.
    tail = end
    while tail - pos >= 2 and plane[tail - 1] == plane[tail - 2]:
        tail -= 2
    while pos < tail:  # Literal Runs: <count - 1> <bytes>
        n = min(128, tail - pos)
        out.append(n - 1)
        out += plane[pos : pos + n]
        pos += n
    while tail < end:
        out.append(255)
        out.append(plane[tail])
        tail += 2


def _encode_np(
    np: Any, view: memoryview, slots: list[tuple[int, int, int]], rows: int, columns: int
) -> list[bytes]:
    """All segments at once: the byte planes stacked as rows of one matrix.

    Every row starts a new run, so stacking planes changes nothing; the
    segment boundaries are recovered afterwards from the row starts.
    """
    raw = np.frombuffer(view, np.uint8)
    npix = rows * columns
    x = np.empty((len(slots), npix), np.uint8)
    for k, (a, b, c) in enumerate(slots):
        x[k] = raw[a:b:c]
    x = x.reshape(-1)
    size = x.size

    # Runs: a run starts where the byte changes or a row begins.
    is_start = np.empty(size, bool)
    is_start[0] = True
    np.not_equal(x[1:], x[:-1], out=is_start[1:])
    is_start[::columns] = True
    start = np.flatnonzero(is_start)
    length = np.diff(np.append(start, size))
    row_first = start % columns == 0
    nruns = start.size
    one = length == 1

    # A 2-run is literal iff the nearest non-2 runs on both sides, within its
    # row, are single bytes (see encode_frame).  A row's first run bounds the
    # search on the left; the next row's first run ends it on the right.
    two_at = np.flatnonzero(length == 2)
    barrier_at = np.flatnonzero((length != 2) | row_first)  # includes run 0
    after = np.searchsorted(barrier_at, two_at, side="right")
    left = barrier_at[after - 1]
    right = np.append(barrier_at, nruns)[after]
    single_inside_row = np.append(one & ~row_first, False)
    merged = (left < two_at) & one[left] & single_inside_row[right]
    literal = one.copy()
    literal[two_at[merged]] = True

    # Pieces: each replicate run alone; literal runs merged within a row.
    new_piece = ~literal | row_first
    new_piece[1:] |= ~literal[:-1]
    p_start = start[new_piece]
    p_len = np.diff(np.append(p_start, size))
    p_lit = literal[new_piece]

    # Tokens: pieces cut into 128s; a replicate piece of 128q + 1 ends 127 + 2.
    count = (p_len + 127) // 128
    ntok = int(count.sum())
    piece = np.repeat(np.arange(p_start.size), count)
    first_tok = np.cumsum(count) - count
    k = np.arange(ntok) - first_tok[piece]
    t_len = np.minimum(p_len[piece] - 128 * k, 128)
    t_in = p_start[piece] + 128 * k
    t_lit = p_lit[piece]
    odd = np.flatnonzero(~p_lit & (p_len % 128 == 1))
    if odd.size:
        last = first_tok[odd] + count[odd] - 1
        t_len[last] = 2
        t_len[last - 1] = 127
    o_size = np.where(t_lit, t_len + 1, 2)
    o_end = np.cumsum(o_size)
    o_start = o_end - o_size
    out = np.empty(int(o_end[-1]), np.uint8)
    out[o_start] = np.where(t_lit, t_len - 1, 257 - t_len).astype(np.uint8)
    t_rep = ~t_lit
    rep_at = o_start[t_rep] + 1
    out[rep_at] = x[t_in[t_rep]]
    # Literal bytes keep their order: every output byte that is neither a
    # header nor a replicate value takes the next literal input byte.
    payload = np.ones(out.size, bool)
    payload[o_start] = False
    payload[rep_at] = False
    out[payload] = x[np.repeat(literal, length)]

    # Split at the segment starts (row starts of each plane) and pad to even.
    seg_tok = np.searchsorted(t_in, np.arange(len(slots)) * npix)
    bounds = [int(b) for b in o_start[seg_tok]] + [out.size]
    data = out.tobytes()
    segments = []
    for a, b in zip(bounds, bounds[1:]):
        segment = data[a:b]
        segments.append(segment + b"\x00" if (b - a) & 1 else segment)
    return segments
