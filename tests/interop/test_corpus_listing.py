"""The corpus itself: the lists the real-world tests walk are what they claim to be."""
from __future__ import annotations

from .corpus import dicom_files, other_files


def test_corpus_is_there_and_split():
    read, other = dicom_files(), other_files()
    assert len(read) >= 180  # pydicom 3's bundled files and charset files
    assert not set(read) & set(other)
    names = {p.name for p in read}
    # the real-world cases issue #12 names are in it
    assert {"rtplan.dcm", "rtdose.dcm", "rtstruct.dcm", "chrJapMulti.dcm",
            "rtdose_rle.dcm"} <= names
    assert {p.suffix for p in other} >= {".txt", ".json", ".gz"}
