"""Every file of pydicom's corpus written with ordinary permissions (issue #12 point 15):
read, then written beside itself (a new file: 0666 less the umask) and over itself (in
place: the file's own mode kept).  The few files that cannot be read back whole are
listed with the reason; for them the write must fail cleanly: a DicomError, the file
as it was, no temporary file left."""
from __future__ import annotations

import os
import shutil
import stat
import warnings

import pytest

import dicomcore
from dicomcore.errors import DicomError

from .corpus import dicom_files, ids
from .netutil import leftovers

FILES = dicom_files()
# name -> why dicomcore cannot write it back as a Part 10 file
NOT_WRITABLE = {
    "MR_truncated.dcm": "truncated inside Pixel Data (deliberately)",
    "rtplan_truncated.dcm": "truncated inside a value (deliberately)",
    "no_meta.dcm": "no File Meta Information, and not a data set we can sniff",
}
# Files without SOP Class/Instance UID are written as Part 10 all the same (point 8: the
# meta's UIDs empty, an EncodeWarning), and DICOMDIR-nooffset's stale item length is
# read with a warning: both take part like any other file.


def test_the_exceptions_are_in_the_corpus():
    assert set(NOT_WRITABLE) <= {p.name for p in FILES}


@pytest.mark.parametrize("path", FILES, ids=ids(FILES))
def test_written_with_the_umask_and_in_place_with_its_mode(path, tmp_path):
    copy = tmp_path / "copy.dcm"
    shutil.copyfile(path, copy)
    os.chmod(copy, 0o640)
    before = copy.read_bytes()
    old = os.umask(0o022)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if path.name in NOT_WRITABLE:
                with pytest.raises(DicomError):
                    dicomcore.write(copy, dicomcore.read(copy))
                assert copy.read_bytes() == before
            else:
                ds = dicomcore.read(copy)
                dicomcore.write(tmp_path / "new.dcm", ds)
                dicomcore.write(copy, ds)
                assert stat.S_IMODE((tmp_path / "new.dcm").stat().st_mode) == 0o644
    finally:
        os.umask(old)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o640
    assert not leftovers(tmp_path)
