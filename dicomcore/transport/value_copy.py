"""How a delivered P-DATA value gets from the socket to its file (a storage SCP's).

There are two ways, and neither is always the cheaper:

- ``recv`` + ``write``: the bytes are copied into a reused buffer, then into
  the page cache.  Two copies, but their cost does not depend on where the
  bytes sit in memory.
- ``os.splice``: the socket's pages are moved into a pipe without copying,
  then copied once, pipe to page cache, by the kernel's ``memcpy``.  Usually
  the cheaper by a fifth (measured: 0.58-0.70 against 0.75 ns a byte).  But on
  some CPUs (measured on AMD EPYC, Linux 6.18) that ``memcpy`` runs at half
  speed when the file offset is 1 to 31 bytes ahead of the source's page
  offset (modulo 4096): exactly what happens when the peer ``sendfile``\\ s
  from a file whose meta information is a few bytes shorter than the one we
  write (one written by dicomcore, say: ours adds the Source AE Title).  The
  source's page offsets cannot be seen from user space.

So ``ValueCopier`` times both on the first megabytes of a connection (CPU time
of this thread, which excludes waiting) and then uses the cheaper one, still
timing it, so that it moves back if the other turns out cheaper after all.
"""
from __future__ import annotations

import errno
import os
import select
import socket
import ssl
import time
from typing import Optional

PIPE_SIZE = 1 << 20  # the splice pipe's capacity, where the system allows it
SAMPLE = 4 << 20  # bytes timed each way before the cheaper is preferred
_CAN_SPLICE = hasattr(os, "splice")


class SpliceRefused(Exception):
    """The file refused bytes already taken from the socket (disk full, say):
    ``written`` reached the file, ``rest`` did not and must be handed on."""

    def __init__(self, written: int, rest: bytes):
        super().__init__(f"{len(rest)} bytes not written")
        self.written = written
        self.rest = rest


class ValueCopier:
    """The splice pipe of one connection and the record of what each way costs."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        # TLS decrypts in user space: there is nothing to splice.
        self.can_splice = _CAN_SPLICE and not isinstance(sock, ssl.SSLSocket)
        self._pipe: Optional[tuple[int, int]] = None  # made on first use
        self._bytes = [0, 0]  # [by recv + write, by splice]
        self._ns = [0, 0]  # thread CPU time spent on them

    def prefers_splice(self) -> bool:
        """Whether the next piece of a value should be spliced."""
        if not self.can_splice:
            return False
        done = self._bytes
        if done[0] < SAMPLE or done[1] < SAMPLE:
            return done[1] <= done[0]  # still sampling: the way with fewer bytes timed
        return self._ns[1] * done[0] <= self._ns[0] * done[1]

    def record(self, spliced: bool, n: int, ns: int) -> None:
        """``n`` bytes went to the file one way, costing ``ns`` of thread CPU time."""
        self._bytes[spliced] += n
        self._ns[spliced] += ns

    def splice(self, fd: int, left: int) -> Optional[int]:
        """Move up to ``left`` bytes from the socket to ``fd`` through the pipe.

        Returns the count (0: the peer closed), or None when the socket has
        nothing after all.  Raises ``socket.timeout`` when nothing arrives
        within the socket's timeout, ``SpliceRefused`` when the file takes
        less than what left the socket.
        """
        if self._pipe is None:
            self._pipe = _open_pipe()
        out_of_pipe, into_pipe = self._pipe
        sock = self.sock.fileno()
        try:
            try:
                n = os.splice(sock, into_pipe, min(left, PIPE_SIZE))
            except BlockingIOError:  # a socket with a timeout is non-blocking: wait, once
                timeout = self.sock.gettimeout()
                poller = select.poll()
                poller.register(sock, select.POLLIN)
                if not poller.poll(None if timeout is None else int(timeout * 1000) + 1):
                    raise socket.timeout("nothing received") from None
                n = os.splice(sock, into_pipe, min(left, PIPE_SIZE))
        except BlockingIOError:
            return None
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                raise
            self.can_splice = False  # this socket cannot splice: receive as usual
            return None
        moved = 0
        try:
            while moved < n:
                moved += os.splice(out_of_pipe, fd, n - moved)
        except OSError:
            raise SpliceRefused(moved, b"".join(_read_exactly(out_of_pipe, n - moved))) from None
        return n

    def close(self) -> None:
        if self._pipe is not None:
            for end in self._pipe:
                os.close(end)
            self._pipe = None


def thread_ns() -> int:
    """CPU time of this thread: what a way of copying costs, without the waiting."""
    return time.thread_time_ns()


def _open_pipe() -> tuple[int, int]:
    out_of_pipe, into_pipe = os.pipe()
    try:
        import fcntl

        fcntl.fcntl(into_pipe, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except OSError:  # a smaller pipe only means more splices
        pass
    return out_of_pipe, into_pipe


def _read_exactly(fd: int, n: int) -> list[bytes]:
    parts = []
    while n:
        piece = os.read(fd, n)
        if not piece:
            break
        parts.append(piece)
        n -= len(piece)
    return parts
