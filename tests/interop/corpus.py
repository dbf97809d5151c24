"""pydicom's bundled corpus of real files: the test data every real-world test walks.

pydicom is a test dependency, so its ``data/test_files`` folder (files from GE, Philips,
Siemens, DCMTK, GDCM, with stale meta headers, UN elements and odd character sets, and
its ``charset_files``) is always there; no test skips for want of it.

``dicom_files()`` are the files pydicom reads: without ``force``, or, for the few ``.dcm``
files with no File Meta Information at all, with it.  ``other_files()`` are the rest
(READMEs, JSON, an ICC profile, a gzip file, dcmdump text): input that must be refused
as "not a DICOM file".  Both lists are sorted, so test IDs are stable.
"""
from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_files  # noqa: F401  (the folder below is its source)

ROOT = Path(pydicom.__file__).parent / "data"
FOLDERS = (ROOT / "test_files", ROOT / "charset_files")


def _all_files() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in folder.rglob("*") if p.is_file())


def _pydicom_reads(path: Path) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            pydicom.dcmread(path)
            return True
        except Exception:
            pass
        if path.suffix != ".dcm":
            return False
        try:  # no File Meta Information at all: pydicom needs force
            return len(pydicom.dcmread(path, force=True)) > 0
        except Exception:
            return False


@lru_cache(maxsize=None)
def _split() -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    read, other = [], []
    for path in _all_files():
        (read if _pydicom_reads(path) else other).append(path)
    return tuple(read), tuple(other)


def dicom_files() -> list[Path]:
    """Every file of the corpus that pydicom reads."""
    return list(_split()[0])


def other_files() -> list[Path]:
    """Every file of the corpus that is not DICOM."""
    return list(_split()[1])


def ids(paths: list[Path]) -> list[str]:
    """Short test IDs: the path below pydicom's data folder."""
    return [str(p.relative_to(ROOT)) for p in paths]
