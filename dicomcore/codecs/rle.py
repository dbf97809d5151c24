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
   shuffle, and decodes planes of many short runs by pointer doubling.  Both give byte-identical output, in
   both directions; ``use_numpy=None`` takes numpy when it can be imported.
   numpy is imported inside functions only.
3. One run policy, chosen for size (see ``encode_frame``), applied row by row:
   runs never cross a row (PS3.5 G.3.1).
"""
from __future__ import annotations

import re
import struct
import warnings
from typing import Any

from dicomcore.errors import CodecError, DecodeWarning, LimitError

__all__ = ["decode_frame", "encode_frame", "split_segments", "make_header"]

# PS3.5 G.5: 16 unsigned longs, little endian: the segment count, 15 offsets.
_HEADER = struct.Struct("<16L")
HEADER_LENGTH = 64
MAX_SEGMENTS = 15
DEFAULT_MAX_BYTES = 2**31

# A token is at most 129 bytes long, so this many input bytes can never
# expand to more than 64 times as much output: the decoder checks its output
# length once per block rather than once per token.
_BLOCK = 4096

_BYTE = [bytes((i,)) for i in range(256)]  # _BYTE[v] * n: a replicate run
# Step from a header byte to the next header (PS3.5 G.3.2): 0..127 literal of
# n+1 bytes, 129..255 (-127..-1) replicate of one byte, 128 (-128) no-op.
_STEP = [h + 2 if h < 128 else (2 if h > 128 else 1) for h in range(256)]

# Bytes a run with this header yields (PS3.5 G.3.2).
_YIELD = [h + 1 if h < 128 else (257 - h if h > 128 else 0) for h in range(256)]
# The numpy decoder doubles pointers only over segments with at least this
# many bytes left after the first block, whose runs there take at most
# _DENSE_INPUT bytes and yield fewer than _DENSE bytes each: elsewhere the
# Python loop is faster (doubling costs log2(runs) passes over every byte).
_DOUBLING_MIN = 16384
_DENSE = 8
_DENSE_INPUT = 4

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
    if np is not None:
        out = np.empty(total, np.uint8)
        for (start, stop, step), plane in zip(slots, planes):
            out[start:stop:step] = np.frombuffer(plane, np.uint8, pixels)
        return out.tobytes()
    if nseg == 1:
        return bytes(planes[0][:pixels])
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
    """PS3.5 G.3.2, one token per iteration, each copied by slicing.

    Stops early (raising ``_Overrun``) once the output is more than one byte
    longer than ``expected``, so a hostile segment cannot make it allocate
    much more than the frame.  A token cut short by the end of the
    segment yields what is there: a lone trailing 0x00 is the usual padding.
    """
    src = bytes(segment)  # indexing bytes is faster than indexing a memoryview
    byte = _BYTE
    out = bytearray()
    limit = expected + 1
    pos, end = 0, len(src)
    try:
        while pos < end:
            stop = min(end, pos + _BLOCK)
            while pos < stop:
                n = src[pos]
                if n < 128:  # literal run of n + 1 bytes
                    pos += n + 2
                    out += src[pos - n - 1 : pos]
                elif n > 128:  # replicate run: 257 - n copies of the next byte
                    out += byte[src[pos + 1]] * (257 - n)
                    pos += 2
                else:  # -128: output nothing
                    pos += 1
            if len(out) > limit:
                raise _Overrun(len(out))
    except IndexError:  # a replicate header as the last byte: no value to repeat
        pass
    return out


def _decode_segment_np(np: Any, segment: memoryview, expected: int) -> bytes | bytearray:
    """PS3.5 G.3.2 for segments of many short runs, without a Python loop per run.

    The plain loop costs a Python iteration per run.  That is cheap where
    runs are long (air, noise in 128-byte literals) but dominates where runs
    are a few bytes long.  So the first block is walked in Python; if its
    runs are short in both input and output (``_DENSE_INPUT``, ``_DENSE``)
    and much data remains, the rest of the header positions are found by
    pointer doubling (each position's next header, then the next 2, 4, 8 ...
    headers, so the chain from a known header is read off in log2(runs)
    vectorised steps) and the runs are expanded by one ``np.repeat``.
    Otherwise the plain loop decodes the segment.
    """
    src = bytes(segment)
    end = len(src)
    step = _STEP
    heads: list[int] = []
    pos = 0
    while pos < end and pos < _BLOCK:
        heads.append(pos)
        pos += step[src[pos]]
    if end - pos < _DOUBLING_MIN or not heads:
        return _decode_segment(segment, expected)
    first_yield = sum(map(_YIELD.__getitem__, map(src.__getitem__, heads)))
    if first_yield >= _DENSE * len(heads) or pos > _DENSE_INPUT * len(heads):
        return _decode_segment(segment, expected)
    s = np.frombuffer(src, np.uint8)
    if pos < end:
        rest = end - pos
        nxt = np.arange(1, rest + 2, dtype=np.int32)  # rest + 1 entries, a sentinel last
        nxt[:rest] = np.arange(rest, dtype=np.int32) + np.array(_STEP, np.int32)[s[pos:]]
        np.minimum(nxt, rest, out=nxt)
        nxt[rest] = rest
        chain = np.zeros(1, np.int32)  # header positions relative to pos
        jump = nxt  # jump[i]: the header 2**round headers after i
        while True:
            more = jump[chain]
            chain = np.concatenate((chain, more))
            if more[-1] >= rest:
                break
            jump = jump[jump]
        chain = chain[chain < rest].astype(np.intp) + pos
        p = np.concatenate((np.array(heads, np.intp), chain))
    else:
        p = np.array(heads, np.intp)
    h = s[p].astype(np.intp)
    literal = h < 128
    # Bytes each run yields, cut short where the segment ends inside the last.
    count = np.where(literal, h + 1, np.where(h > 128, 257 - h, 0))
    count = np.minimum(count, np.where(literal, end - 1 - p, np.where(p < end - 1, count, 0)))
    produced = int(count.sum())
    if produced > expected + 1:
        raise _Overrun(produced)
    # Literal data: from after a literal header to the next header.
    mark = np.zeros(end + 1, np.int8)
    lit_p = p[literal]
    mark[lit_p + 1] = 1
    mark[np.minimum(lit_p + h[literal] + 2, end)] -= 1
    emit = np.cumsum(mark[:end], dtype=np.int8).view(bool)
    replicate = (h > 128) & (count > 0)
    value_at = p[replicate] + 1
    emit[value_at] = True
    repeats = np.ones(end, np.uint8)
    repeats[value_at] = count[replicate]
    return np.repeat(s[emit], repeats[emit]).tobytes()


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
