"""``qrscp``: the archive: Storage SCP plus Query/Retrieve SCP (dcmqrscp)."""
from __future__ import annotations

import argparse
import sys

from .common import add_network_options, listen_port, setup_logging, tls_context
from .report import ServerReport


def add_parser(sub: argparse._SubParsersAction) -> None:
    scp = sub.add_parser("qrscp", help="archive: Storage + Q/R FIND/MOVE/GET SCP (dcmqrscp)",
                         description="Store received instances in an archive folder indexed "
                         "in SQLite and answer C-FIND, C-MOVE and C-GET on them (Patient "
                         "Root and Study Root).")
    scp.add_argument("port", type=listen_port)
    scp.add_argument("--db", required=True, metavar="DIR",
                     help="archive folder (files and index.sqlite)")
    scp.add_argument("--dest", action="append", default=[], metavar="AET=HOST:PORT",
                     help="a C-MOVE destination (repeatable)")
    scp.add_argument("--host", default="0.0.0.0", help="address to listen on")
    scp.add_argument("--max-associations", type=int, default=20,
                     help="concurrent associations; more are rejected (default 20)")
    scp.add_argument("--on-duplicate", choices=("replace", "keep", "reject"),
                     default="replace", help="an instance stored twice (default replace)")
    scp.add_argument("--idle-timeout", type=float, default=60.0, metavar="SECONDS",
                     help="abort an association silent this long (default 60)")
    add_network_options(scp, acceptor=True)
    scp.set_defaults(run=run_qrscp)


def parse_destinations(values: list[str]) -> dict[str, tuple[str, int]]:
    """``AET=HOST:PORT`` strings -> {AET: (HOST, PORT)}; a bad one raises SystemExit."""
    found: dict[str, tuple[str, int]] = {}
    for value in values:
        aet, sep, address = value.partition("=")
        host, colon, port = address.rpartition(":")
        aet = aet.strip()
        if not sep or not colon or not host or not port.isdigit() or not aet \
                or len(aet) > 16 or not 0 < int(port) < 65536:
            raise SystemExit(f"dicomcore qrscp: --dest {value!r} is not AET=HOST:PORT")
        found[aet] = (host.strip("[]"), int(port))
    return found


def run_qrscp(args: argparse.Namespace) -> int:
    setup_logging(args, verbose=args.verbose)
    from ..ae import ApplicationEntity
    from ..ae.archive import Archive

    destinations = parse_destinations(args.dest)
    ae = ApplicationEntity(args.aet, max_pdu_length=args.max_pdu, acse_timeout=args.timeout,
                           dimse_timeout=args.timeout, network_timeout=args.timeout,
                           idle_timeout=args.idle_timeout)
    archive = Archive(args.db, on_duplicate=args.on_duplicate)
    report = ServerReport(verbose=args.verbose)
    try:
        ae.serve(args.port, args.host, archive=archive, destinations=destinations,
                 max_associations=args.max_associations, tls=tls_context(args, server=True),
                 on_store=report.stored, on_association=report.association,
                 on_listening=report.listening(lambda host, port: f"qrscp {args.aet} listening "
                                               f"on {host}:{port}, archive {args.db}, "
                                               f"{len(destinations)} move destination(s)"))
    except KeyboardInterrupt:
        pass
    finally:
        archive.close()
    return 0


def main(argv: "list[str] | None" = None) -> int:
    """``python -m dicomcore.cli.qrscp PORT --db DIR ...`` (the same command, standalone)."""
    parser = argparse.ArgumentParser(prog="dicomcore")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["qrscp", *(sys.argv[1:] if argv is None else argv)])
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
