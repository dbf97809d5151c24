"""``echo``, ``store`` and ``storescp``: the Verification and Storage tools."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Iterator

from .progress import Progress
from .report import ServerReport
from .common import (add_network_options, listen_port, os_error_text, port_number,
                     setup_logging, tls_context)


def add_parser(sub: argparse._SubParsersAction) -> None:
    echo = sub.add_parser("echo", help="C-ECHO a peer (echoscu)",
                          description="Verify a peer with C-ECHO.")
    echo.add_argument("host")
    echo.add_argument("port", type=port_number)
    echo.add_argument("--repeat", type=int, default=1, help="C-ECHOs on the association")
    add_network_options(echo)
    echo.set_defaults(run=run_echo)

    store = sub.add_parser("store", help="C-STORE files and folders (storescu)",
                           description="Send DICOM files with C-STORE, each in its own "
                           "transfer syntax where the peer accepts it.")
    store.add_argument("host")
    store.add_argument("port", type=port_number)
    store.add_argument("paths", nargs="+", metavar="PATH")
    store.add_argument("-r", "--recursive", action="store_true", help="descend into folders")
    store.add_argument("--window", type=int, default=16, metavar="N",
                       help="C-STOREs in flight at once, if the peer agrees to an "
                            "asynchronous operations window (PS3.7 D.3.3.3); 1: one at a "
                            "time, nothing proposed (default 16)")
    add_network_options(store)
    store.set_defaults(run=run_store)

    scp = sub.add_parser("storescp", help="Storage SCP writing files (storescp)",
                         description="Receive instances with C-STORE and write them to a folder.")
    scp.add_argument("port", type=listen_port)
    scp.add_argument("--out", required=True, metavar="DIR", help="output folder")
    scp.add_argument("--layout", choices=("flat", "study", "patient"), default="flat",
                     help="flat (default), by patient/study, or by patient")
    scp.add_argument("--host", default="0.0.0.0", help="address to listen on")
    scp.add_argument("--max-associations", type=int, default=20,
                     help="concurrent associations; more are rejected (default 20)")
    scp.add_argument("--max-instance-size", type=int, default=None, metavar="BYTES",
                     help="refuse (A700) instances larger than this (default: no limit)")
    scp.add_argument("--idle-timeout", type=float, default=60.0, metavar="SECONDS",
                     help="abort an association silent this long (default 60)")
    add_network_options(scp, acceptor=True)
    scp.set_defaults(run=run_storescp)


def _entity(args: argparse.Namespace):
    from ..ae import ApplicationEntity

    return ApplicationEntity(args.aet, max_pdu_length=args.max_pdu, acse_timeout=args.timeout,
                             dimse_timeout=args.timeout, network_timeout=args.timeout)


def run_echo(args: argparse.Namespace) -> int:
    setup_logging(args)
    ae = _entity(args)
    from ..ae.association import VERIFICATION

    with ae.associate(args.host, args.port, ae_title=args.aec, tls=tls_context(args, server=False),
                      contexts=[(VERIFICATION, ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"])]
                      ) as assoc:
        for number in range(1, args.repeat + 1):
            status = assoc.echo()
            if args.verbose:
                print(f"C-ECHO {number}: {status}", file=sys.stderr)
            if status != 0:
                print(f"dicomcore echo: C-ECHO status {status}", file=sys.stderr)
                return 1
    print(f"C-ECHO {args.host}:{args.port} {args.aec}: success")
    return 0


def _files(paths: list[str], recursive: bool) -> Iterator[str]:
    for path in paths:
        if os.path.isdir(path):
            if not recursive:
                print(f"dicomcore store: {path} is a folder (use -r)", file=sys.stderr)
                continue
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    yield os.path.join(root, name)
        else:
            yield path


def run_store(args: argparse.Namespace) -> int:
    setup_logging(args)
    from ..errors import DicomError

    files = list(_files(args.paths, args.recursive))
    if not files:
        print("dicomcore store: no files to send", file=sys.stderr)
        return 1
    from contextlib import closing

    from ..ae.storeplan import store_files

    ae = _entity(args)
    progress = Progress("sent", len(files))
    # As many associations as the files' (SOP class, syntax) contexts need, 128 a piece;
    # closing() ends the one in use if the loop stops early.
    with closing(store_files(ae, args.host, args.port, files, ae_title=args.aec,
                             tls=tls_context(args, server=False), window=args.window)
                 ) as stored:
        for number, (path, status) in enumerate(stored, 1):
            # a bad or missing file (DicomError, OSError): reported, the rest go on
            ok = not isinstance(status, (DicomError, OSError)) and \
                status.category in ("Success", "Warning")
            progress.add(_size(path) if ok else 0, failed=not ok)
            if args.verbose or not ok:  # failures always; each file with -v
                text = os_error_text(status) if isinstance(status, OSError) else status
                progress.note(f"[{number}/{len(files)}] {path}: {text}")
    progress.finish()
    return 0 if progress.failed == 0 else 1


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def run_storescp(args: argparse.Namespace) -> int:
    setup_logging(args, verbose=args.verbose)
    ae = _entity(args)
    os.makedirs(args.out, exist_ok=True)
    report = ServerReport(verbose=args.verbose)
    try:
        ae.idle_timeout = args.idle_timeout
        ae.serve(args.port, args.host, storage_dir=args.out, layout=args.layout,
                 max_associations=args.max_associations, max_instance_size=args.max_instance_size,
                 tls=tls_context(args, server=True), on_store=report.stored,
                 on_association=report.association,
                 on_listening=report.listening(lambda host, port: f"storescp {args.aet} "
                                               f"listening on {host}:{port}, writing to "
                                               f"{args.out}"))
    except KeyboardInterrupt:
        pass
    return 0
