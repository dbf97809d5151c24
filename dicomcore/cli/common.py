"""Options shared by the network commands: port, titles, PDU size, timeouts, TLS, and how
much they say: nothing but results and errors by default, ``-v`` what happens (one line a
step), ``--trace`` every PDU field and state transition."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional


def os_error_text(exc: OSError) -> str:
    """``out: Permission denied``, not Python's ``[Errno 13] Permission denied: 'out'``."""
    if not exc.strerror:
        return str(exc)
    names = [str(n) for n in (exc.filename, getattr(exc, "filename2", None)) if n is not None]
    return f"{' -> '.join(names)}: {exc.strerror}" if names else exc.strerror


def port_number(text: str) -> int:
    """A TCP port for a peer: 1-65535 (argparse type: anything else is a usage error)."""
    return _port(text, 1)


def listen_port(text: str) -> int:
    """A TCP port to listen on: 0-65535, 0 meaning any free port."""
    return _port(text, 0)


def _port(text: str, low: int) -> int:
    try:
        port = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not low <= port <= 65535:  # TCP ports are 16 bits (RFC 793)
        raise argparse.ArgumentTypeError(f"port {port} is out of range ({low}-65535)")
    return port


def add_network_options(parser: argparse.ArgumentParser, *, acceptor: bool = False) -> None:
    group = parser.add_argument_group("association")
    group.add_argument("--aet", default="DICOMCORE" if not acceptor else "DICOMCORE",
                       help="our AE title (default DICOMCORE)")
    if not acceptor:
        group.add_argument("--aec", default="ANY-SCP", help="called AE title (default ANY-SCP)")
    group.add_argument("--max-pdu", type=int, default=262144, metavar="BYTES",
                       help="maximum PDU length we receive (default 262144; 0 = no limit)")
    group.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                       help="connection, ARTIM and DIMSE timeout (default 30)")
    group.add_argument("-v", "--verbose", action="store_true",
                       help="say what happens, a line a step (each operation, each file)"
                       if not acceptor else "also log each operation and its outcome")
    group.add_argument("--trace", action="store_true",
                       help="print every PDU decoded and every state transition")
    tls = parser.add_argument_group("TLS (PS3.15 secure transport)")
    tls.add_argument("--tls", action="store_true", help="use TLS")
    tls.add_argument("--tls-cert", metavar="PEM", help="our certificate")
    tls.add_argument("--tls-key", metavar="PEM", help="our private key")
    tls.add_argument("--tls-ca", metavar="PEM", help="CA certificates to verify the peer with")
    tls.add_argument("--tls-no-verify", action="store_true",
                     help="do not verify the peer's certificate")


def tls_context(args: argparse.Namespace, *, server: bool):
    if not (args.tls or args.tls_cert):
        return None
    from ..transport import tls

    if server:
        if not args.tls_cert:
            raise SystemExit("dicomcore: --tls on an acceptor needs --tls-cert (and --tls-key)")
        return tls.server_context(args.tls_cert, args.tls_key, cafile=args.tls_ca,
                                  require_client_cert=bool(args.tls_ca))
    return tls.client_context(cafile=args.tls_ca, certfile=args.tls_cert, keyfile=args.tls_key,
                              verify=not args.tls_no_verify)


def setup_logging(args: argparse.Namespace, verbose: Optional[bool] = None) -> None:
    """Log on stderr: warnings and errors by default, ``-v`` (``verbose``) each step too,
    ``--trace`` PDUs field by field and state transitions as well."""
    if verbose is None:
        verbose = getattr(args, "verbose", False)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root = logging.getLogger("dicomcore")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if getattr(args, "trace", False) else
                  logging.INFO if verbose else logging.WARNING)
