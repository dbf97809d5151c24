"""The ``dicomcore`` command: argparse only; each command group in its own module."""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from ..errors import DicomError
from . import dump as _dump
from .common import os_error_text
from . import network as _network
from . import convert as _convert
from . import qrscp as _qrscp
from . import query as _query

_COMMANDS = (_dump, _convert, _network, _query, _qrscp)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dicomcore", description="A DICOM toolkit in pure "
                                     "Python: files, codecs and the network protocol.")
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"dicomcore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run a command; exit status 0 on success, non-zero with a one-line reason otherwise."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except DicomError as exc:
        print(f"dicomcore {args.command}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"dicomcore {args.command}: {os_error_text(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
