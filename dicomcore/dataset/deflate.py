"""Raw deflate (RFC 1951) for Deflated Explicit VR Little Endian, in bounded steps.

PS3.5 A.5: everything after the File Meta Information is one raw deflate
stream (no zlib header).  Inflation runs chunk by chunk against a limit, so
a small "deflate bomb" claiming gigabytes stops with a LimitError at the
limit instead of exhausting memory; deflation streams chunk lists out.
"""
from __future__ import annotations

import warnings
import zlib
from typing import BinaryIO, Iterable, Iterator, Optional

from ..errors import DecodeError, DecodeWarning, LimitError, TruncatedError

DEFAULT_INFLATE_LIMIT = 1 << 30  # 1 GiB of inflated dataset
_STEP = 1 << 20


def inflate(source: BinaryIO | bytes | memoryview, limit: Optional[int] = None,
            offset: int = 0, partial: bool = False) -> bytearray:
    """Inflate a raw deflate stream from a file object or a buffer, at most ``limit`` bytes.

    The deflated input is consumed in 1 MiB steps and never held whole.  A stream
    cut short is a ``TruncatedError``; with ``partial`` a ``DecodeWarning``, and
    what inflated is returned (``read(..., partial=True)``).
    """
    limit = DEFAULT_INFLATE_LIMIT if limit is None else limit
    engine = zlib.decompressobj(-zlib.MAX_WBITS)
    out = bytearray()
    for chunk in _chunks(source):
        data = chunk
        while data:
            try:
                out += engine.decompress(data, limit + 1 - len(out))
            except zlib.error as exc:
                raise DecodeError(f"deflated dataset is corrupt: {exc}", offset=offset) from None
            if len(out) > limit:
                raise LimitError(f"deflated dataset inflates past the limit of {limit} bytes "
                                 "(raise inflate_limit to read it)")
            data = engine.unconsumed_tail
        if engine.eof:
            break
    try:
        out += engine.flush()
    except zlib.error as exc:
        raise DecodeError(f"deflated dataset is corrupt: {exc}", offset=offset) from None
    if not engine.eof:  # no final block: the file was cut short
        error = TruncatedError("deflated dataset ends before its deflate stream does",
                               offset=offset)
        if not partial:
            raise error
        warnings.warn(f"{error}; partial read: decoding the {len(out)} byte(s) inflated",
                      DecodeWarning, stacklevel=2)
    if len(out) > limit:
        raise LimitError(f"deflated dataset inflates past the limit of {limit} bytes")
    return out


def _chunks(source: BinaryIO | bytes | memoryview) -> Iterator[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        for start in range(0, len(view), _STEP):
            yield view[start:start + _STEP]
        return
    while True:
        chunk = source.read(_STEP)
        if not chunk:
            return
        yield chunk


def deflate_chunks(chunks: Iterable, level: int = 6) -> Iterator[bytes]:
    """Deflate a sequence of byte chunks into raw deflate output chunks."""
    engine = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    for chunk in chunks:
        out = engine.compress(chunk)
        if out:
            yield out
    yield engine.flush()
