"""Progress of a transfer: files, bytes, rate.

On a terminal, one live line rewritten in place (at most ten times a second, so
printing never slows the transfer down); anywhere else (a pipe, a file, a log)
nothing until the end, then one summary line: a log gets a record, not a film.
Messages printed meanwhile (a failed file, ``-v`` lines) go through ``note``,
which takes the live line away first and puts it back after.
"""
from __future__ import annotations

import sys
import time
from typing import Callable, Optional, TextIO

from ..ae.summary import format_bytes

__all__ = ["Progress"]

_REDRAW = 0.1  # seconds between two live lines
_CLEAR = "\r\x1b[K"  # back to the line's start, erase to its end (ECMA-48 EL)


class Progress:
    """Counts ``files`` done (``failed`` among them) and their ``bytes``.

    ``verb``: what is done to a file ("sent", "received", "moved"); ``total``: files
    expected, if known (it may be learnt later: ``total = n``).  ``stream``: where the
    live line and the summary go (stdout); ``tty``: whether it is a terminal (by
    default, what the stream says).
    """

    def __init__(self, verb: str, total: Optional[int] = None, *,
                 stream: Optional[TextIO] = None, tty: Optional[bool] = None,
                 clock: Callable[[], float] = time.monotonic, counts_bytes: bool = True):
        self.verb = verb
        self.counts_bytes = counts_bytes  # False: bytes are not seen here (C-MOVE)
        self.total = total
        self.stream = stream if stream is not None else sys.stdout
        self.tty = _isatty(self.stream) if tty is None else tty
        self.clock = clock
        self.files = 0
        self.failed = 0
        self.bytes = 0
        self.started = clock()
        self._drawn = 0.0  # when the live line was last drawn (0: not on screen)

    def add(self, nbytes: int = 0, *, failed: bool = False) -> None:
        """One more file done: ``nbytes`` of it moved (0 if failed or unknown)."""
        self.files += 1
        self.failed += failed
        self.bytes += nbytes
        self._tick()

    def set(self, files: int, failed: int, total: Optional[int] = None) -> None:
        """Counts as a peer reports them (C-GET, C-MOVE pending responses)."""
        self.files, self.failed = files, failed
        if total is not None:
            self.total = total
        self._tick()

    def _tick(self) -> None:
        if self.tty:
            now = self.clock()
            if not self._drawn or now - self._drawn >= _REDRAW:
                self._draw(now)

    def note(self, text: str, stream: Optional[TextIO] = None) -> None:
        """Print a line of its own (on ``stream``, default stderr) without tearing the
        live line."""
        out = stream if stream is not None else sys.stderr
        if self._drawn:
            self.stream.write(_CLEAR)
            self.stream.flush()
        print(text, file=out, flush=True)
        if self._drawn:
            self._draw(self.clock())

    def text(self) -> str:
        """``sent 3 of 4 file(s), 1 failed; 2.4 MB in 0.52 s, 4.6 MB/s``."""
        done = self.files - self.failed
        count = f"{done} of {self.total}" if self.total is not None else f"{done}"
        elapsed = max(self.clock() - self.started, 0.0)
        head = f"{self.verb} {count} file(s), {self.failed} failed; "
        if not self.counts_bytes:
            rate = f"{self.files / elapsed:.1f} file(s)/s" if elapsed > 0 else "-"
            return head + f"{elapsed:.2f} s, {rate}"
        rate = f"{format_bytes(self.bytes / elapsed)}/s" if elapsed > 0 else "-"
        return head + f"{format_bytes(self.bytes)} in {elapsed:.2f} s, {rate}"

    def finish(self) -> str:
        """The summary line, printed (over the live line on a terminal); returned too."""
        line = self.text()
        self.stream.write((_CLEAR if self._drawn else "") + line + "\n")
        self.stream.flush()
        self._drawn = 0.0
        return line

    def _draw(self, now: float) -> None:
        self.stream.write(_CLEAR + self.text())
        self.stream.flush()
        self._drawn = now or 1e-9


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a real file
        return False
