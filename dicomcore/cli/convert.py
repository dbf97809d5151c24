"""``dicomcore convert IN OUT --ts implicit|explicit|big|deflated|rle|UID``: transcode files.

What dcmconv, dcmcrle and dcmdrle do, in one command.  IN and OUT may be
folders: every file under IN is converted to the same relative path under OUT,
with "n/N path" progress on stderr and a summary at the end.  A file that
cannot be converted is reported (naming the transfer syntax at fault) and the
rest go on; the exit status is then 1.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .. import read, write
from ..codecs.transcode import transcode
from ..dataset import transfer_syntax as _ts
from ..errors import DicomError
from .common import os_error_text

SYNTAXES = {name: str(ts.uid) for name, ts in _ts.NAMES.items()}  # the dataset layer's names


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("convert", help="change transfer syntax (dcmconv, dcmcrle, dcmdrle)",
                            description="Convert DICOM files to another transfer syntax: any "
                            "of the native syntaxes and RLE Lossless to any other.  IN and OUT "
                            "may be folders (converted recursively, the tree mirrored).")
    parser.add_argument("input", metavar="IN", help="a file or a folder")
    parser.add_argument("output", metavar="OUT", help="a file, or a folder (created if needed)")
    parser.add_argument("--ts", required=True, type=_syntax, metavar="SYNTAX",
                        help=f"{'|'.join(SYNTAXES)}, or a transfer syntax UID")
    parser.add_argument("--max-bytes", type=int, default=None, metavar="N",
                        help="refuse Pixel Data that decodes to more than N bytes "
                        "(default 2 GiB)")
    parser.set_defaults(run=run)


def _syntax(text: str) -> _ts.TransferSyntax:
    try:
        ts = _ts.by_name(text)
    except DicomError:
        ts = None
    if ts is None or ts.uid not in _ts.TRANSFER_SYNTAXES:  # a converter needs a known syntax
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(_ts.NAMES)} nor a "
                                         "known transfer syntax UID")
    return ts


def run(args: argparse.Namespace) -> int:
    source, target = Path(args.input), Path(args.output)
    options = {} if args.max_bytes is None else {"max_bytes": args.max_bytes}
    if not source.is_dir():
        if not source.exists():
            print(f"dicomcore convert: {source}: no such file or folder", file=sys.stderr)
            return 1
        if target.is_dir():
            target = target / source.name
        return 0 if _convert(source, target, args.ts, options) else 1
    if target.exists() and not target.is_dir():
        print(f"dicomcore convert: {target}: IN is a folder, so OUT must be one",
              file=sys.stderr)
        return 1
    files = sorted(p for p in source.rglob("*") if p.is_file())
    failed = 0
    for number, path in enumerate(files, 1):
        relative = path.relative_to(source)
        print(f"{number}/{len(files)} {relative}", file=sys.stderr, flush=True)
        if not _convert(path, target / relative, args.ts, options):
            failed += 1
    print(f"converted {len(files) - failed} of {len(files)} files to {args.ts.name}"
          + (f"; {failed} failed" if failed else ""))
    return 1 if failed else 0


def _convert(source: Path, target: Path, ts: _ts.TransferSyntax, options: dict) -> bool:
    """Convert one file; report a failure on stderr and return False."""
    try:
        ds = read(source)
        new = transcode(ds, ts, **options)
        os.makedirs(target.parent, exist_ok=True)
        write(target, new, transfer_syntax=ts)
    except (DicomError, OSError) as exc:
        text = os_error_text(exc) if isinstance(exc, OSError) else str(exc)
        print(f"dicomcore convert: {source}: {text}", file=sys.stderr)
        return False
    return True
