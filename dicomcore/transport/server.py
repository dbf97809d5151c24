"""A threaded acceptor: one thread per association, a bound on how many.

Each accepted connection gets its own ``UpperLayer`` and thread running the
``handler``.  Past ``max_associations`` a newcomer is still answered
properly, with an A-ASSOCIATE-RJ "local limit exceeded" (PS3.8 Table 9-21:
result 2 transient, source 3, reason 2), by a small pool of rejecting
threads; past that too, the connection is closed at once.  Associations that
have ended and only wait for the peer to close do not count, up to as many
again.  A handler that fails is logged and its connection closed; the server
keeps serving.
"""
from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
import time
from typing import Any, Callable, Optional

from ..errors import NetworkError
from ..pdu.primitives import AssociateIndication, AssociateResponse
from ..pdu.upperlayer import UpperLayer
from .connection import Connection

log = logging.getLogger("dicomcore.transport")

Handler = Callable[[Connection], None]
_ENDED = ("Sta1", "Sta13")  # PS3.8 9.2: idle, or awaiting the transport's close


class ListenError(NetworkError, OSError):
    """The port cannot be bound (in use, not allowed): a NetworkError, and the OSError
    it has always been."""

    def __init__(self, message: str, *, errno: Optional[int] = None):
        super().__init__(message)
        self.errno = errno


class Server:
    """Listen on ``host:port`` (port 0: any free port; see ``address``)."""

    def __init__(self, host: str, port: int, handler: Handler, *, max_associations: int = 20,
                 tls: Optional[ssl.SSLContext] = None, artim_timeout: float = 30.0,
                 idle_timeout: Optional[float] = 60.0, handshake_timeout: float = 30.0,
                 ul_options: Optional[dict] = None,
                 on_rejected: Optional[Callable[[Any, AssociateIndication], None]] = None):
        self.handler = handler
        # Told (peer address, A-ASSOCIATE indication) of each association refused for
        # the limit, once its A-ASSOCIATE-RJ is sent: the handler never sees those.
        self.on_rejected = on_rejected
        self.max_associations = max_associations
        self.tls = tls
        self.artim_timeout = artim_timeout
        self.idle_timeout = idle_timeout
        self.handshake_timeout = handshake_timeout
        self.ul_options = ul_options or {}
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:  # bound here: once the constructor returns, the port is ours
            self._listener = socket.create_server((host, port), family=family, backlog=64)
        except OSError as exc:
            # (not str(exc): create_server adds "(while attempting to bind on ...)")
            why = os.strerror(exc.errno) if (exc.errno or 0) > 0 else exc.strerror or str(exc)
            raise ListenError(f"cannot listen on {host}:{port}: {why}", errno=exc.errno) from None
        self._lock = threading.Lock()
        self._active: set[Connection] = set()
        self._rejecting = 0
        self._threads: set[threading.Thread] = set()
        self._stopping = threading.Event()
        self._accept_thread: Optional[threading.Thread] = None
        self.served = 0  # associations handed to the handler, for tests and logs

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._listener.getsockname()[:2]
        return host, port

    # --- life cycle --------------------------------------------------------------------

    def start(self) -> "Server":
        """Accept in a background thread; returns at once."""
        self._accept_thread = threading.Thread(target=self.serve_forever, daemon=True,
                                               name=f"dicomcore-accept-{self.address[1]}")
        self._accept_thread.start()
        return self

    def serve_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, peer = self._listener.accept()
            except OSError:
                if self._stopping.is_set():
                    return
                continue
            self._dispatch(sock, peer)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop accepting, close every connection, wait for the threads."""
        self._stopping.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
        except OSError:
            pass
        try:
            self._listener.close()
        except OSError:
            pass
        with self._lock:
            active = list(self._active)
        for conn in active:
            conn.close()
        deadline = time.monotonic() + timeout
        for thread in list(self._threads) + ([self._accept_thread] if self._accept_thread
                                             else []):
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()

    @property
    def active(self) -> int:
        """Associations in progress (not those ended, waiting for the peer to close)."""
        with self._lock:
            return len(self._active) - self._ended()

    def _ended(self) -> int:
        return sum(1 for conn in self._active if conn.closed or conn.ul.state in _ENDED)

    # --- per connection ----------------------------------------------------------------

    def _dispatch(self, sock: socket.socket, peer: Any) -> None:
        with self._lock:
            # An association that has ended (released or aborted, Sta13: only the peer's
            # close is awaited, ARTIM-bounded) no longer counts: a client releasing and
            # associating again at once must not find its own last one in the way.  At
            # most as many again may linger like this: peers that never close cannot
            # pile up threads.
            if len(self._active) - self._ended() < self.max_associations and \
                    len(self._active) < 2 * self.max_associations:
                target = self._serve
            elif self._rejecting < self.max_associations:
                self._rejecting += 1
                target = self._reject
            else:
                target = None
        if target is None:
            log.warning("closing connection from %s: association and rejection limits "
                        "reached", peer)
            sock.close()
            return
        thread = threading.Thread(target=self._run, args=(target, sock, peer), daemon=True,
                                  name=f"dicomcore-assoc-{peer}")
        with self._lock:
            self._threads.add(thread)
        thread.start()

    def _run(self, target: Callable, sock: socket.socket, peer: Any) -> None:
        try:
            target(sock, peer)
        except Exception:  # a bad peer or a failing handler must not stop the server
            log.exception("association with %s failed", peer)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _open(self, sock: socket.socket, peer: Any) -> Optional[Connection]:
        if self.tls is not None:
            sock.settimeout(self.handshake_timeout)
            try:
                sock = self.tls.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                log.warning("TLS handshake with %s failed: %s", peer, exc)
                sock.close()
                return None
        ul = UpperLayer(artim_timeout=self.artim_timeout, **self.ul_options)
        conn = Connection(sock, ul, idle_timeout=self.idle_timeout)
        ul.connection_open(time.monotonic())  # Evt5: ARTIM starts for the A-ASSOCIATE-RQ
        return conn

    def _serve(self, sock: socket.socket, peer: Any) -> None:
        conn = self._open(sock, peer)
        if conn is None:
            return
        with self._lock:
            self._active.add(conn)
        try:
            self.served += 1
            self.handler(conn)
        finally:
            conn.close()
            with self._lock:
                self._active.discard(conn)

    def _reject(self, sock: socket.socket, peer: Any) -> None:
        try:
            conn = self._open(sock, peer)
            if conn is None:
                return
            with conn:
                event = conn.next_event(timeout=self.artim_timeout)
                if isinstance(event, AssociateIndication):
                    log.info("rejecting %s: %d associations already active", peer,
                             self.max_associations)
                    # PS3.8 Table 9-21: transient, ACSE presentation, local limit exceeded.
                    conn.send(AssociateResponse(result=2, source=3, reason=2))
                    if self.on_rejected is not None:
                        self.on_rejected(peer, event)
                    conn.next_event(timeout=self.artim_timeout)  # peer closes (Sta13)
        except (TimeoutError, OSError):
            pass
        finally:
            with self._lock:
                self._rejecting -= 1
