"""Framing and field reading for the DICOM Upper Layer (PS3.8 9.3).

Two small tools, both pure:

* ``ReceiveBuffer`` turns a byte stream cut anywhere into whole PDUs.  It reads
  the six-byte PDU header (PS3.8 9.3.1: type, reserved, 32-bit big-endian
  PDU-length) and checks the length against a per-type limit *before* waiting
  for the body, so a lying length (0xFFFFFFFF) is refused at once instead of
  making us wait for, or allocate, four gigabytes.
* ``Cursor`` reads fields out of one PDU.  It raises one exception for every
  short read, ``TruncatedError`` with the absolute offset; callers add what the
  cursor cannot know (PDU type, field name) by turning it into ``PDUError``
  (``fields()`` does that in one line).
"""
from __future__ import annotations

import struct
from contextlib import contextmanager
from typing import Iterator, Mapping

from dicomcore.errors import PDUError, TruncatedError

__all__ = [
    "PDU_HEADER", "DEFAULT_LIMITS", "ReceiveBuffer", "Cursor", "fields", "unrecognized_pdu",
]

# PS3.8 9.3.1, every PDU: PDU-type (1), reserved (1), PDU-length (4), big endian.
PDU_HEADER = struct.Struct(">BxI")

# PDU-length limits per PDU type.  A-ASSOCIATE-RQ/AC carry at most 128 presentation
# contexts plus user information, so 1 MiB is generous; P-DATA-TF is bounded by the
# Maximum-length-received we advertise (PS3.7 D.1), set by the upper layer once known.
# The fixed-size PDUs have PDU-length 4 (PS3.8 Tables 9-21, 9-24, 9-25, 9-26).
DEFAULT_LIMITS: Mapping[int, int] = {
    0x01: 1 << 20,
    0x02: 1 << 20,
    0x03: 4,
    0x04: 64 << 20,
    0x05: 4,
    0x06: 4,
    0x07: 4,
}


def unrecognized_pdu(pdu_type: int, offset: int = 0) -> PDUError:
    """The error for a PDU-type PS3.8 9.3.1 does not define (A-ABORT reason 1)."""
    err = PDUError(pdu_type, "PDU-type", offset, "unrecognized PDU type")
    err.abort_reason = 1  # PS3.8 Table 9-26: unrecognized-PDU
    return err


class ReceiveBuffer:
    """Collects bytes from the transport and pops complete PDUs.

    ``append(data)`` accepts any chunking; ``next_pdu()`` returns the next whole
    PDU as ``bytes`` (header included) or ``None`` when more data is needed.
    A header announcing an unknown PDU type or a PDU-length above its limit
    raises ``PDUError`` immediately; the buffer is then *failed*: a broken
    framing cannot be resynchronised, so later bytes are dropped.
    """

    def __init__(self, limits: Mapping[int, int] | None = None) -> None:
        self.limits: dict[int, int] = dict(DEFAULT_LIMITS if limits is None else limits)
        self._buf = bytearray()
        self._start = 0  # consumed prefix, compacted lazily
        self.failed = False

    def __len__(self) -> int:
        return len(self._buf) - self._start

    def append(self, data: bytes | bytearray | memoryview) -> None:
        if not self.failed:
            self._buf += data

    def next_pdu(self) -> bytes | None:
        """The next complete PDU, or None if it has not fully arrived yet."""
        if self.failed or len(self) < PDU_HEADER.size:
            return None
        pdu_type, length = PDU_HEADER.unpack_from(self._buf, self._start)
        self._check_header(pdu_type, length)
        end = self._start + PDU_HEADER.size + length
        if len(self._buf) < end:
            return None  # need more data; the length was already judged sane
        # Copy the PDU out once: memoryviews into a bytearray would pin it and make
        # the compaction below fail; slices of this bytes object are free.
        pdu = bytes(self._buf[self._start:end])
        self._start = end
        self._compact()
        return pdu

    def _check_header(self, pdu_type: int, length: int) -> None:
        limit = self.limits.get(pdu_type)
        if limit is None:
            self.failed = True
            raise unrecognized_pdu(pdu_type)
        if length > limit:  # never wait for a lying length (style 4)
            self.failed = True
            raise PDUError(pdu_type, "PDU-length", 2, f"{length} exceeds the limit {limit}")

    def _compact(self) -> None:
        if self._start == len(self._buf):
            self._buf.clear()
            self._start = 0
        elif self._start > 65536 and self._start * 2 > len(self._buf):
            del self._buf[:self._start]
            self._start = 0


class Cursor:
    """Reads fields from ``data[pos:end]``; offsets are absolute within ``data``.

    ``pdu_type`` rides along so whoever turns a ``TruncatedError`` into a
    ``PDUError`` knows which PDU it was reading.
    """

    __slots__ = ("data", "pos", "end", "pdu_type")

    def __init__(self, data: bytes | memoryview, pos: int = 0, end: int | None = None,
                 pdu_type: int | None = None) -> None:
        self.data = memoryview(data) if not isinstance(data, memoryview) else data
        self.pos = pos
        self.end = len(data) if end is None else end
        self.pdu_type = pdu_type

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def _need(self, n: int, what: str) -> None:
        if n > self.end - self.pos:
            raise TruncatedError(
                f"{what}: needs {n} bytes, {self.end - self.pos} left", offset=self.pos)

    def unpack(self, layout: struct.Struct) -> tuple:
        self._need(layout.size, "fixed fields")
        values = layout.unpack_from(self.data, self.pos)
        self.pos += layout.size
        return values

    def take(self, n: int) -> memoryview:
        """The next n bytes as a view (no copy)."""
        self._need(n, "value")
        view = self.data[self.pos:self.pos + n]
        self.pos += n
        return view

    def sub(self, n: int) -> "Cursor":
        """A cursor over the next n bytes (an item's body); self skips past them.

        An item longer than what is left of its parent raises here: the item
        overflows its parent.
        """
        self._need(n, "item body")
        child = Cursor(self.data, self.pos, self.pos + n, self.pdu_type)
        self.pos += n
        return child

    def rest(self) -> memoryview:
        return self.take(self.remaining)


@contextmanager
def fields(cur: Cursor, field: str) -> Iterator[None]:
    """Turn a short read inside the block into ``PDUError`` naming ``field``."""
    try:
        yield
    except TruncatedError as e:
        raise PDUError(cur.pdu_type, field, e.offset, e.reason) from None
