"""Sockets, TLS and clocks: the only code in dicomcore that blocks or reads time.

It drives the sans-IO upper layer (``dicomcore.pdu.upperlayer``): bytes read
from the socket go in, bytes the machine queues go out, and the ARTIM
deadline becomes the timeout of the one blocking call.  No polling, no
sleeps, TCP_NODELAY on every connection.
"""
from .connection import Connection, connect
from .server import ListenError, Server
from .tls import client_context, server_context

__all__ = ["Connection", "ListenError", "Server", "client_context", "connect", "server_context"]
