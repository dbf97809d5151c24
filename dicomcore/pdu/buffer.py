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
    "PDU_HEADER", "PDV_HEADER", "DeliveredValue", "FileRegion", "DEFAULT_LIMITS",
    "ReceiveBuffer", "Cursor", "fields", "unrecognized_pdu",
]

# PS3.8 9.3.1, every PDU: PDU-type (1), reserved (1), PDU-length (4), big endian.
PDU_HEADER = struct.Struct(">BxI")
# PS3.8 9.3.5.1 and E.2: the first PDV of a P-DATA-TF: Item-length, context ID, control header.
PDV_HEADER = struct.Struct(">IBB")
_SINGLE_PDV_HEAD = PDU_HEADER.size + PDV_HEADER.size  # 12 bytes

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
    PDU (header included) or ``None`` when more data is needed.  A header
    announcing an unknown PDU type or a PDU-length above its limit raises
    ``PDUError`` immediately; the buffer is then *failed*: a broken framing
    cannot be resynchronised, so later bytes are dropped.

    Bulk data is copied as little as possible (a 256 MB C-STORE is 2,000
    P-DATA-TF PDUs of 128 KiB):

    * ``bytes`` given to ``append`` are kept, not copied: a P-DATA-TF lying
      whole inside them is returned as a read-only ``memoryview`` slice.  Other
      buffer types are copied once (the caller may reuse them).
    * A PDU that straddles appends is assembled in a ``bytearray`` of exactly
      its size, allocated only after its PDU-length passed the limit check.
      ``get_buffer()`` offers the rest of that bytearray to the driver
      (``sock.recv_into``, then ``buffer_updated(n)``), so the bulk of a large
      PDU is written there by the kernel without passing through Python.
    * Any other PDU is returned as ``bytes``: it is small, and views into a
      big received chunk would keep the chunk alive with it.

    A returned PDU is never written to again; views of it stay valid.
    """

    def __init__(self, limits: Mapping[int, int] | None = None) -> None:
        self.limits: dict[int, int] = dict(DEFAULT_LIMITS if limits is None else limits)
        self._queue: list[memoryview] = []  # appended and not yet looked at, in order
        self._queued = 0
        self._part: bytearray | None = None  # the straddling PDU being assembled
        self._filled = 0                      # bytes of it received
        self._total = 0                       # its size once the header is accepted
        self.failed = False

    def __len__(self) -> int:
        return self._queued + self._filled

    def append(self, data: bytes | bytearray | memoryview) -> None:
        if self.failed or not len(data):
            return
        # Only bytes are immutable: anything else could change under our views.
        if type(data) is memoryview and type(data.obj) is bytes:
            view = data
        else:
            view = memoryview(data if type(data) is bytes else bytes(data))
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
        self._queue.append(view)
        self._queued += len(view)

    def get_buffer(self, minimum: int = 1) -> memoryview | None:
        """Where the driver may receive the rest of the PDU being assembled.

        Returns a writable view of (at most) the missing bytes when a PDU with
        an accepted header is incomplete, at least ``minimum`` bytes are missing
        and nothing appended is waiting; None otherwise (receive into a new
        ``bytes`` and ``append`` it).  Report what was written with
        ``buffer_updated(n)`` before asking again.
        """
        if self.failed or self._queue or self._part is None or self._filled < PDU_HEADER.size:
            return None  # nothing pending, or its header not yet read and checked
        if self._total - self._filled < minimum:
            return None
        return memoryview(self._part)[self._filled:]

    def buffer_updated(self, n: int) -> None:
        """``n`` bytes were written at the start of the last ``get_buffer()``."""
        if self._part is None or not 0 <= n <= len(self._part) - self._filled:
            raise ValueError(f"buffer_updated({n}) does not match the offered buffer")
        self._filled += n

    def peek_single_pdv(self) -> tuple[int, int, int] | None:
        """(context ID, control header, value length) when the next PDU is a
        P-DATA-TF that has begun to arrive but is not whole, holds exactly one
        PDV (its Item-length fills the PDU) and has its first 12 bytes queued;
        None otherwise, the PDU then goes the usual way (``next_pdu``), where a
        PDU-length over the limit is refused.

        This is what lets a large data set fragment go straight to where it
        is kept (``UpperLayer.value_sink``) instead of being assembled here.
        """
        if self.failed or self._part is not None or self._queued < _SINGLE_PDV_HEAD:
            return None
        head = self._queue[0]
        if len(head) < _SINGLE_PDV_HEAD:
            head = memoryview(b"".join(bytes(v) for v in self._queue)[:_SINGLE_PDV_HEAD])
        pdu_type, length = _unpack_header(head)
        if pdu_type != 0x04 or length > self.limits.get(0x04, 0) or \
                self._queued >= PDU_HEADER.size + length:
            return None
        item_length, context_id, control = PDV_HEADER.unpack_from(head, PDU_HEADER.size)
        if item_length != length - 4 or item_length < 2:
            return None
        return context_id, control, item_length - 2

    def take(self, n: int) -> list[memoryview]:
        """Remove and return up to ``n`` queued bytes, as views, in order."""
        taken: list[memoryview] = []
        queue = self._queue
        while n and queue:
            head = queue[0]
            if len(head) <= n:
                taken.append(queue.pop(0))
            else:
                taken.append(head[:n])
                queue[0] = head[n:]
            n -= len(taken[-1])
            self._queued -= len(taken[-1])
        return taken

    def next_pdu(self) -> bytes | memoryview | None:
        """The next complete PDU, or None if it has not fully arrived yet."""
        if self.failed:
            return None
        if self._part is None:
            pdu = self._from_queue()
            if pdu is not None or self._part is None:
                return pdu
        return self._assemble()

    def _from_queue(self) -> bytes | memoryview | None:
        """A PDU lying whole in the first queued chunk (no copy), else start ``_part``."""
        queue = self._queue
        while queue:
            head = queue[0]
            if len(head) < PDU_HEADER.size:
                break  # a header split across chunks: assemble it
            pdu_type, length = _unpack_header(head)
            self._check_header(pdu_type, length)
            total = PDU_HEADER.size + length
            if len(head) < total:
                break
            pdu = head[:total]
            if len(head) == total:
                queue.pop(0)
            else:
                queue[0] = head[total:]
            self._queued -= total
            return pdu if pdu_type == 0x04 else bytes(pdu)
        if queue:
            self._part = bytearray(PDU_HEADER.size)  # grown once the header is accepted
            self._filled = self._total = 0
        return None

    def _assemble(self) -> bytes | memoryview | None:
        """Move queued bytes into ``_part``; the PDU when it is whole."""
        part = self._part
        assert part is not None
        while True:
            if self._filled == PDU_HEADER.size and self._total == 0:
                pdu_type, length = _unpack_header(part)
                self._check_header(pdu_type, length)  # the length is sane from here on
                self._total = PDU_HEADER.size + length
            if self._filled == len(part) < self._total:
                self._part = part = self._grow(part)
            if self._filled == self._total != 0:
                self._part, self._filled, self._total = None, 0, 0
                if part[0] != 0x04:
                    return bytes(part)
                return memoryview(part).toreadonly()
            if not self._queue:
                return None
            head = self._queue[0]
            n = min(len(head), len(part) - self._filled)
            part[self._filled:self._filled + n] = head[:n]
            self._filled += n
            self._queued -= n
            if n == len(head):
                self._queue.pop(0)
            else:
                self._queue[0] = head[n:]

    def _grow(self, part: bytearray) -> bytearray:
        """Room for more of the PDU: all of it up to ``_EAGER`` bytes, else double.

        A peer's 6-byte header thus commits at most ``_EAGER`` bytes of memory
        before the data arrives; bigger PDUs cost a copy per doubling.
        """
        size = min(self._total, max(_EAGER, 2 * len(part)))
        grown = bytearray(size)
        grown[:self._filled] = part[:self._filled]
        return grown

    def _check_header(self, pdu_type: int, length: int) -> None:
        limit = self.limits.get(pdu_type)
        if limit is None:
            self._fail()
            raise unrecognized_pdu(pdu_type)
        if length > limit:  # never wait for a lying length (style 4)
            self._fail()
            raise PDUError(pdu_type, "PDU-length", 2, f"{length} exceeds the limit {limit}")

    def _fail(self) -> None:
        self.failed = True
        self._queue, self._queued, self._part, self._filled, self._total = [], 0, None, 0, 0


_unpack_header = PDU_HEADER.unpack_from
_EAGER = 4 << 20  # a PDU up to this size gets its whole buffer when its header is accepted


class DeliveredValue:
    """A PDV value that went to the user's sink as it arrived
    (``UpperLayer.value_sink``): only its length is left to tell."""

    __slots__ = ("length",)

    def __init__(self, length: int) -> None:
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __repr__(self) -> str:
        return f"DeliveredValue({self.length})"


class FileRegion:
    """Bytes of an open file that are to be sent, not yet read: a P-DATA value
    the transport reads a piece at a time into its reused send buffer as it
    sends, so that a data set of any size goes out in bounded memory.  Slicing
    gives smaller regions; the file descriptor must stay open until sent."""

    __slots__ = ("fd", "offset", "length")

    def __init__(self, fd: int, offset: int, length: int) -> None:
        self.fd, self.offset, self.length = fd, offset, length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: slice) -> "FileRegion":
        start, stop, step = index.indices(self.length)
        if step != 1:
            raise ValueError("a FileRegion slice has step 1")
        return FileRegion(self.fd, self.offset + start, max(stop - start, 0))

    def __repr__(self) -> str:
        return f"FileRegion(fd={self.fd}, offset={self.offset}, length={self.length})"


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
