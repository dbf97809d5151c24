"""pydicom's spellings of reading and writing: ``dcmread`` and ``dcmwrite``, its
arguments in its order, over dicomcore's ``read`` and ``write``."""
from __future__ import annotations

import os
from typing import Any, Optional, Union

from . import transfer_syntax as _ts
from .dataset import Dataset
from .part10 import PathOrFile, read, write


# pydicom's defer_size units (pydicom.misc.size_in_bytes): "512 KB", "2 MiB".
_SIZE_UNITS = {"kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1 << 10, "mib": 1 << 20,
               "gib": 1 << 30}


def dcmread(fp: PathOrFile, defer_size: Union[int, float, str, None] = None,
            stop_before_pixels: bool = False, force: bool = False,
            specific_tags: Any = None) -> Dataset:
    """pydicom's spelling of :func:`read`, its arguments in pydicom's order.

    ``defer_size`` may be text as in pydicom ("512 KB", "2 MiB").  ``force``
    changes nothing: dicomcore reads a bare dataset (no preamble or File Meta
    Information) in any case, as pydicom does only with ``force=True``.
    """
    if specific_tags is not None:
        raise TypeError("dicomcore.dcmread has no specific_tags: read the file "
                        "(defer_size=n leaves long values in it) and take the elements needed")
    return read(fp, stop_before_pixels=stop_before_pixels,
                defer_size=_size_in_bytes(defer_size))


def dcmwrite(filename: PathOrFile, dataset: Dataset, /, *, transfer_syntax: Any = None,
             implicit_vr: Optional[bool] = None, little_endian: Optional[bool] = None,
             enforce_file_format: bool = True, overwrite: bool = True) -> None:
    """pydicom's spelling of :func:`write` (also ``ds.save_as(filename, ...)``).

    ``implicit_vr``/``little_endian`` pick one of the three native syntaxes when no
    ``transfer_syntax`` is given.  dicomcore always writes the DICOM File Format
    (PS3.10 7: preamble, DICM, a fresh File Meta Information), which is what
    pydicom's ``enforce_file_format=True`` does, so that keyword changes nothing.
    """
    if transfer_syntax is None and (implicit_vr is not None or little_endian is not None):
        little = True if little_endian is None else little_endian
        if implicit_vr and not little:  # PS3.5 A: implicit VR is little endian only
            raise ValueError("no transfer syntax is implicit VR big endian")
        transfer_syntax = _ts.IMPLICIT_VR_LE if implicit_vr else (
            _ts.EXPLICIT_VR_LE if little else _ts.EXPLICIT_VR_BE)
    if not overwrite and isinstance(filename, (str, os.PathLike)) and os.path.exists(filename):
        raise FileExistsError(f"{os.fspath(filename)} exists (overwrite=False)")
    write(filename, dataset, transfer_syntax=transfer_syntax)


def _size_in_bytes(size: Union[int, float, str, None]) -> Optional[int]:
    if size is None or size == float("inf"):
        return None
    if isinstance(size, (int, float)):
        return int(size)
    text = size.strip().lower()
    number = text.rstrip("abcdefghijklmnopqrstuvwxyz").strip()
    unit = text[len(number):].strip()
    try:
        return int(float(number) * (_SIZE_UNITS[unit] if unit else 1))
    except (KeyError, ValueError):
        raise ValueError(f"defer_size {size!r} is not a size (e.g. 1024, '512 KB', "
                         "'2 MiB')") from None
