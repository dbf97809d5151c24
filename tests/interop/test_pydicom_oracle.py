"""pydicom as an independent oracle: what dicomcore writes pydicom reads with equal values,
and what pydicom writes (its own test files included) dicomcore reads with equal values."""
from __future__ import annotations

import io
import os
import warnings

import pydicom  # a test dependency (pyproject [test]): no skip, a missing oracle fails
import pytest
from hypothesis import HealthCheck, given, settings

import dicomcore
from dicomcore.dataset import transfer_syntax as ts
from dicomcore.errors import DicomError, TruncatedError
from dicomcore.fuzz.datasets import datasets

from .helpers import SYNTAX_IDS, SYNTAXES, WORD_SIZE, compare_with_pydicom, swap_words

SC_CLASS = "1.2.840.10008.5.1.4.1.1.7"


@pytest.fixture(autouse=True)
def _pydicom_lenient():
    """pydicom checks values when writing; dicomcore's strategies make valid values, but
    pydicom's checks are stricter than the standard in places (e.g. length of UC)."""
    config = pydicom.config
    saved = (config.settings.reading_validation_mode, config.settings.writing_validation_mode)
    config.settings.reading_validation_mode = config.IGNORE
    config.settings.writing_validation_mode = config.IGNORE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
    config.settings.reading_validation_mode, config.settings.writing_validation_mode = saved


def _with_sop(ds):
    ds.SOPClassUID = SC_CLASS
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.2.1125.77"
    return ds


# --- dicomcore writes, pydicom reads --------------------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets())
def test_dicomcore_files_read_by_pydicom_with_equal_values(ds):
    _with_sop(ds)
    for syntax in SYNTAXES:
        out = io.BytesIO()
        dicomcore.write(out, ds, transfer_syntax=syntax.uid)
        theirs = pydicom.dcmread(io.BytesIO(out.getvalue()))
        assert theirs.file_meta.TransferSyntaxUID == syntax.uid
        assert theirs.file_meta.ImplementationClassUID == \
            str(dicomcore.uid.IMPLEMENTATION_CLASS_UID)
        problems = compare_with_pydicom(ds, theirs, not syntax.little_endian)
        assert not problems, (syntax.name, problems)


# --- pydicom writes, dicomcore reads --------------------------------------------------

def to_pydicom(ds, big_endian: bool):
    """The same dataset built with pydicom (big endian words pre-swapped: pydicom writes
    OW/OF/... bytes as given)."""
    from pydicom.dataset import Dataset as PydicomDataset
    from pydicom.sequence import Sequence

    out = PydicomDataset()
    for elem in ds:
        value, vr = elem.value, elem.vr
        if vr == "SQ":
            items = []
            for item in value:
                converted = to_pydicom(item, big_endian)
                converted.is_undefined_length_sequence_item = item.undefined_length
                items.append(converted)
            value = Sequence(items)
        elif vr in ("DS", "IS") and value is not None:
            value = [v.to_text() for v in value] if isinstance(value, list) else value.to_text()
        elif vr in ("AT", "PN"):
            convert = int if vr == "AT" else str
            value = [convert(v) for v in value] if isinstance(value, list) else (
                convert(value) if value not in (None, "") else value)
        elif vr in WORD_SIZE and big_endian and value:
            value = swap_words(value, WORD_SIZE[vr])
        out.add_new(int(elem.tag), vr, value)
        if vr == "SQ":
            out[int(elem.tag)].is_undefined_length = elem.undefined_length
    return out


def pydicom_bytes(ds, syntax) -> bytes:
    from pydicom.dataset import FileMetaDataset

    theirs = to_pydicom(ds, not syntax.little_endian)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SC_CLASS
    meta.MediaStorageSOPInstanceUID = str(ds.SOPInstanceUID)
    meta.TransferSyntaxUID = syntax.uid
    theirs.file_meta = meta
    out = io.BytesIO()
    pydicom.dcmwrite(out, theirs, enforce_file_format=True)
    return out.getvalue()


@pytest.mark.parametrize("syntax", SYNTAXES, ids=SYNTAX_IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets())
def test_pydicom_files_read_by_dicomcore_with_equal_values(syntax, ds):
    _with_sop(ds)
    data = pydicom_bytes(ds, syntax)
    ours = dicomcore.read(io.BytesIO(data))
    assert ours.transfer_syntax == syntax
    assert ours == ds
    problems = compare_with_pydicom(ours, pydicom.dcmread(io.BytesIO(data)),
                                    not syntax.little_endian)
    assert not problems, problems


# --- pydicom's own test files ---------------------------------------------------------

def _testdata() -> list[str]:
    import glob

    import pydicom.data

    base = os.path.dirname(pydicom.data.__file__)
    found = glob.glob(os.path.join(base, "test_files", "*.dcm")) + \
        glob.glob(os.path.join(base, "charset_files", "*.dcm"))
    return sorted(set(found), key=os.path.basename)


# Damaged on purpose in pydicom's suite; DCMTK refuses them too (checked by hand).
TRUNCATED = {"MR_truncated.dcm", "rtplan_truncated.dcm"}
DAMAGED = {"no_meta.dcm",  # a stray byte before the first tag: (0820,0500) of 173 MB
           "SC_rgb_jpeg.dcm"}  # element headers garbled after (0008,0008)
FILES = [p for p in _testdata() if os.path.basename(p) not in TRUNCATED | DAMAGED]


def test_enough_pydicom_test_files_offline():
    names = {os.path.basename(p) for p in FILES}
    assert {"CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm",
            "MR_small_bigendian.dcm", "image_dfl.dcm", "chrH31.dcm"} <= names


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_pydicom_test_file_reads_with_equal_values(path):
    ours = dicomcore.read(path)
    theirs = pydicom.dcmread(path, force=True)
    problems = compare_with_pydicom(ours, theirs, not ours.transfer_syntax.little_endian)
    assert not problems, problems


@pytest.mark.parametrize("path", [p for p in FILES if "CT_small" in p or "MR_small." in p
                                  or "rtplan.dcm" in p or "bigendian" in p
                                  or "image_dfl" in p or "chrSQEncoding." in p],
                         ids=os.path.basename)
@pytest.mark.parametrize("syntax", SYNTAXES, ids=SYNTAX_IDS)
def test_pydicom_test_file_rewritten_by_dicomcore_reads_equal_in_pydicom(path, syntax):
    ours = dicomcore.read(path)
    out = io.BytesIO()
    dicomcore.write(out, ours, transfer_syntax=syntax.uid)
    theirs = pydicom.dcmread(io.BytesIO(out.getvalue()))
    problems = compare_with_pydicom(ours, theirs, not syntax.little_endian)
    assert not problems, problems
    back = dicomcore.read(io.BytesIO(out.getvalue()))
    if syntax.explicit_vr:
        assert without_group_lengths(back) == without_group_lengths(ours)
    else:  # private elements lose their VR in implicit VR (no private dictionary)
        assert back.tags() == ours.tags()
        assert all(back[t] == ours[t] for t in ours.tags()
                   if not t >> 16 & 1 and t & 0xFFFF and t != 0x7FE00010)


def without_group_lengths(ds):
    """A copy without (gggg,0000): a writer recomputes them (stale ones in some files)."""
    copy = ds.copy()
    for tag in copy.tags():
        if tag & 0xFFFF == 0:
            del copy[tag]
        elif copy[tag].vr == "SQ":
            copy[tag].value = [without_group_lengths(item) for item in copy[tag].value]
    return copy


def _encapsulated(path: str) -> bool:
    meta = pydicom.dcmread(path, stop_before_pixels=True, force=True).file_meta
    uid = meta.get("TransferSyntaxUID")
    return bool(uid) and ts.get(str(uid)).encapsulated and \
        "PixelData" in pydicom.dcmread(path, force=True)


ENCAPSULATED = [p for p in FILES if _encapsulated(p)]


def test_some_encapsulated_files():
    assert len(ENCAPSULATED) >= 10


@pytest.mark.parametrize("path", ENCAPSULATED, ids=os.path.basename)
def test_encapsulated_pixel_data_passes_through_byte_identically(path):
    first = dicomcore.read(path)
    fragments = first[0x7FE00010]
    assert fragments.undefined_length
    assert fragments.value == pydicom.dcmread(path).PixelData  # items, as in the file
    out = io.BytesIO()
    dicomcore.write(out, first)  # the syntax it was read in
    second = dicomcore.read(io.BytesIO(out.getvalue()))
    assert second.transfer_syntax == first.transfer_syntax
    assert second[0x7FE00010].undefined_length
    assert second[0x7FE00010].value == fragments.value
    assert without_group_lengths(second) == without_group_lengths(first)
    theirs = pydicom.dcmread(io.BytesIO(out.getvalue()))
    assert theirs.PixelData == fragments.value
    assert not compare_with_pydicom(second, theirs, False)


@pytest.mark.parametrize("name", sorted(TRUNCATED))
def test_truncated_pydicom_files_raise_truncated_error(name):
    from pydicom.data import get_testdata_file

    with pytest.raises(TruncatedError):
        dicomcore.read(get_testdata_file(name))
    assert issubclass(TruncatedError, DicomError)
