"""``dicomcore dump FILE... [--json] [--offsets]``: print datasets like dcmdump."""
from __future__ import annotations

import argparse
import sys

from .. import read
from ..dataset.dump import format_dataset
from ..errors import DicomError

# Values longer than this stay in the file; a dump shows binary ones from their first
# bytes (DCMTK's dcmdump reads long values on demand too: +R, 4 kB by default), so a
# 1 GB Pixel Data is never loaded.
_DEFER_SIZE = 4096


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("dump", help="print a dataset (dcmdump)",
                            description="Print DICOM files element by element.")
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--json", action="store_true",
                        help="print the DICOM JSON model (PS3.18 F.2)")
    parser.add_argument("--offsets", action="store_true",
                        help="prefix each element with its byte offset")
    parser.add_argument("--stop-before-pixels", action="store_true",
                        help="do not read Pixel Data")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            ds = read(path, stop_before_pixels=args.stop_before_pixels, defer_size=_DEFER_SIZE)
        except (DicomError, OSError) as exc:
            print(f"dicomcore dump: {path}: {exc}", file=sys.stderr)
            failed += 1
            continue
        if args.json:
            from ..dataset.json import to_json

            print(to_json(ds, indent=2))
            continue
        if len(args.files) > 1:
            print(f"# {path}")
        print(_describe(ds, args.offsets))
    return 1 if failed else 0


def _describe(ds, offsets: bool) -> str:
    lines = ["# Dicom-File-Format" if ds.file_meta else "# Dicom-Data-Set (no meta)"]
    if ds.file_meta:
        lines.append("")
        lines.append("# Dicom-Meta-Information-Header")
        lines.append("# Used TransferSyntax: Little Endian Explicit")
        lines.append(format_dataset(ds.file_meta, offsets=offsets))
    lines.append("")
    lines.append("# Dicom-Data-Set")
    ts = ds.transfer_syntax
    lines.append(f"# Used TransferSyntax: {ts.name if ts else 'unknown'}")
    lines.append(format_dataset(ds, offsets=offsets))
    return "\n".join(lines)
