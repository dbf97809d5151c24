"""Copy into tests/data/standard/ the parts of the offline standard the tests read.

The standard lives beside the repository (``../shared/dicom-standard``), which a clone
elsewhere does not have; the tests read these copies instead, so they never skip.  Run
again when the standard is updated:

    python tools/copy_standard.py [--standard DIR]
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_STANDARD = REPO.parent / "shared" / "dicom-standard"
TARGET = REPO / "tests" / "data" / "standard"
# What the tests read: the registries (dictionary, UIDs, character sets) and the parts
# whose tables they check cell by cell (PS3.4 statuses, PS3.5 character sets, PS3.7 DIMSE,
# PS3.8 states).
FILES = ("data-elements.tsv", "uids.tsv", "character-sets.tsv", "PS3.4.md", "PS3.5.md",
         "PS3.7.md", "PS3.8.md")


def copy(standard: Path = DEFAULT_STANDARD, target: Path = TARGET) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in FILES:
        source = standard / name
        if not source.is_file():
            raise SystemExit(f"copy_standard: {source} is missing")
        shutil.copyfile(source, target / name)
        copied.append(target / name)
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--standard", type=Path, default=DEFAULT_STANDARD)
    args = parser.parse_args(argv)
    for path in copy(args.standard):
        print(path.relative_to(REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
