"""``find``, ``move`` and ``get``: the Query/Retrieve tools (findscu, movescu, getscu).

Keys are given as ``-k KEY=VALUE`` (a keyword or a tag ``gggg,eeee``; an empty
value asks for the attribute to be returned).  A key inside a sequence is a
path, as DCMTK's findscu and pynetdicom write it:
``-k "ReferencedImageSequence[0].ReferencedSOPClassUID=1.2.840..."`` (item
numbers from 0; ``Seq.Key`` means item 0; ``-k Seq=`` asks for the whole
sequence).  Each command exits 0 only when the operation ended with Success.
"""
from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from .common import add_network_options, port_number, setup_logging, tls_context
from .progress import Progress


def add_parser(sub: argparse._SubParsersAction) -> None:
    find = sub.add_parser("find", help="C-FIND query (findscu)",
                          description="Query a peer with C-FIND and print the matches.")
    _common(find)
    find.add_argument("--json", action="store_true",
                      help="print the matches as a DICOM JSON array (PS3.18 F.2)")
    find.set_defaults(run=run_find, command="find")

    move = sub.add_parser("move", help="C-MOVE retrieve to an AE (movescu)",
                          description="Ask a peer to send the matching instances to an AE "
                          "with C-MOVE.")
    _common(move)
    move.add_argument("--dest", required=True, metavar="AET", help="move destination AE title")
    move.set_defaults(run=run_move, command="move")

    get = sub.add_parser("get", help="C-GET retrieve into a folder (getscu)",
                         description="Retrieve the matching instances with C-GET; they are "
                         "written to the output folder, named by their SOP Instance UID.")
    _common(get)
    get.add_argument("--out", required=True, metavar="DIR", help="output folder")
    get.add_argument("--layout", choices=("flat", "study", "patient"), default="flat",
                     help="flat (default), by patient/study, or by patient")
    get.set_defaults(run=run_get, command="get")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("host")
    parser.add_argument("port", type=port_number)
    parser.add_argument("-k", "--key", action="append", default=[], metavar="KEY=VALUE",
                        help="a query key: keyword or gggg,eeee, '=' and a value (may be "
                        "empty); in a sequence: Seq[0].Key=VALUE; repeat for more")
    parser.add_argument("--level", choices=("PATIENT", "STUDY", "SERIES", "IMAGE"),
                        type=str.upper, help="Query/Retrieve Level (default: the model's top)")
    parser.add_argument("--model", choices=("patient", "study"), default="study",
                        help="information model: Patient Root or Study Root (default)")
    add_network_options(parser)


def _entity(args: argparse.Namespace):
    from ..ae import ApplicationEntity

    return ApplicationEntity(args.aet, max_pdu_length=args.max_pdu, acse_timeout=args.timeout,
                             dimse_timeout=args.timeout, network_timeout=args.timeout)


def _query(args: argparse.Namespace):
    from ..ae.query import identifier, set_key
    from ..dataset import Dataset

    ds = Dataset()
    for text in args.key:
        key, sep, value = text.partition("=")
        if not key.strip():
            raise SystemExit(f"dicomcore {args.command}: bad key {text!r}: use KEY=VALUE")
        try:
            set_path(ds, key.strip(), value, set_key)
        except ValueError as exc:
            raise SystemExit(f"dicomcore {args.command}: {exc}") from None
    return identifier(ds, args.model, args.level)


_STEP = re.compile(r"^\s*(?P<name>\([0-9A-Fa-f]{4},[0-9A-Fa-f]{4}\)|[^\[\]().]+)"
                   r"(?:\[(?P<item>\d+)\])?\s*$")
_MAX_ITEM = 1000  # a typo in an item number should not build a million items


def set_path(ds: Any, path: str, value: str, set_key: Any) -> None:
    """Set ``Seq[i].Seq2[j].Key = value`` in ``ds``, making the sequences and items on
    the way (PS3.4 C.2.2.2.6: a sequence key holds one item of keys)."""
    from ..ae.query import parse_tag
    from ..dataset import Dataset, dictionary

    steps = path.split(".")
    for number, step in enumerate(steps):
        match = _STEP.match(step)
        if match is None:
            raise ValueError(f"bad key {path!r}: {step!r} is not KEYWORD, gggg,eeee or "
                             "KEYWORD[n]")
        tag = parse_tag(match["name"])
        item = match["item"]
        last = number == len(steps) - 1
        if last and item is None:
            set_key(ds, tag, value)
            return
        if dictionary.vr_of(tag) != "SQ":
            raise ValueError(f"bad key {path!r}: {match['name']} is not a sequence")
        index = int(item or 0)
        if index >= _MAX_ITEM:
            raise ValueError(f"bad key {path!r}: item {index} (at most {_MAX_ITEM - 1})")
        items = ds.get(tag)
        if not isinstance(items, list):
            items = []
        while len(items) <= index:
            items.append(Dataset())
        ds.add(tag, "SQ", items)
        ds = items[index]
        if last:
            if value:
                raise ValueError(f"bad key {path!r}: an item takes keys, not a value")
            return


def _associate(args: argparse.Namespace, services: tuple):
    from ..ae.query import qr_contexts

    return _entity(args).associate(args.host, args.port, ae_title=args.aec,
                                   tls=tls_context(args, server=False),
                                   **qr_contexts(args.model, services=services))


def _final(args: argparse.Namespace, operation: Any) -> int:
    status = operation.status
    result = operation.result
    counts = ""
    if result is not None:
        counts = (f" (completed {result.completed}, failed {result.failed}, "
                  f"warning {result.warning})")
    print(f"C-{args.command.upper()} status {status}{counts}", file=sys.stderr)
    return 0 if status == 0 else 1


def run_find(args: argparse.Namespace) -> int:
    setup_logging(args)
    from ..ae.query import OperationFailed

    query = _query(args)
    matches = []
    with _associate(args, ("find",)) as assoc:
        operation = assoc.find(query, model=args.model)
        try:
            for ds in operation:
                matches.append(ds)
                if not args.json:
                    if len(matches) == 1:
                        print(_row(_columns(query), None))
                    print(_row(_columns(query), ds))
        except OperationFailed as exc:
            print(f"dicomcore find: {exc}", file=sys.stderr)
            return 1
    if args.json:
        from ..dataset.json import to_json_dict
        import json

        print(json.dumps([to_json_dict(ds) for ds in matches], indent=2))
    print(f"{len(matches)} match(es)", file=sys.stderr)
    return _final(args, operation)


def _columns(query) -> list[int]:
    return [t for t in query.tags() if t not in (0x00080005,)]


def _row(tags: list[int], ds) -> str:
    from ..dataset import dictionary

    cells = []
    for tag in tags:
        if ds is None:
            text = dictionary.keyword_for(tag) or f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
        else:
            value = ds.get(tag)
            if isinstance(value, list):
                text = "\\".join(str(v) for v in value) if value and not hasattr(
                    value[0], "tags") else f"<{len(value)} item(s)>"
            else:
                text = "" if value is None else str(value)
        cells.append(text)
    return "\t".join(cells)


def run_move(args: argparse.Namespace) -> int:
    setup_logging(args)
    from ..ae.query import OperationFailed

    query = _query(args)
    shown = Progress("moved", counts_bytes=False)  # the files go to --dest, not here
    with _associate(args, ("move",)) as assoc:
        operation = assoc.move(query, args.dest, model=args.model)
        try:
            for progress in operation:
                _pending(args, shown, progress)
        except OperationFailed as exc:
            print(f"dicomcore move: {exc}", file=sys.stderr)
            return 1
    _counted(shown, operation.result)
    shown.finish()
    return _final(args, operation)


def _pending(args: argparse.Namespace, shown: Progress, progress: Any, *,
             receiving: bool = False) -> None:
    """A pending C-MOVE/C-GET response: its counts on the live line (-v: a line each).
    ``receiving`` (C-GET): the files are counted as they arrive, only the total here."""
    done, failed = _done(progress)
    total = done + progress.remaining if progress.remaining is not None else None
    if not receiving:
        shown.set(done, failed, total)
    elif total is not None:
        shown.total = total
    if args.verbose:
        shown.note(f"remaining {progress.remaining}, completed {progress.completed}, "
                   f"failed {progress.failed}, warning {progress.warning}")


def _done(progress: Any) -> tuple[int, int]:
    """(sub-operations done, failed among them); a count the peer left out is 0."""
    failed = progress.failed or 0
    return (progress.completed or 0) + failed + (progress.warning or 0), failed


def _counted(shown: Progress, result: Any) -> None:
    """The final response's counts are the peer's last word on what was done."""
    if result is not None:
        done, shown.failed = _done(result)
        shown.files = max(done, shown.files)
        shown.total = max(shown.total or 0, shown.files)


def run_get(args: argparse.Namespace) -> int:
    setup_logging(args)
    import os

    from ..ae.query import OperationFailed

    query = _query(args)
    os.makedirs(args.out, exist_ok=True)
    shown = Progress("received")

    def stored(instance) -> None:
        shown.add(_size(instance.path))
        if args.verbose:
            shown.note(f"stored {instance.path}")

    with _associate(args, ("get",)) as assoc:
        operation = assoc.get(query, model=args.model, out_dir=args.out, layout=args.layout,
                              on_store=stored)
        try:
            for progress in operation:
                _pending(args, shown, progress, receiving=True)
        except OperationFailed as exc:
            print(f"dicomcore get: {exc}", file=sys.stderr)
            return 1
    if operation.result is not None:  # failed sub-operations: announced, never arrived
        shown.failed = operation.result.failed or 0
        shown.files += shown.failed
    shown.finish()
    return _final(args, operation)


def _size(path: str) -> int:
    import os

    try:
        return os.path.getsize(path)
    except OSError:
        return 0
