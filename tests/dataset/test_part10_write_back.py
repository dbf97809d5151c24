"""Write back what was read (issue #12 point 8): a data set without SOP Class or Instance
UID is still written as a Part 10 file (a warning names what is missing), and
``file_meta=False`` writes a bare data set."""
from __future__ import annotations

import io
import warnings

import pydicom
import pytest
from hypothesis import HealthCheck, assume, given, settings

import dicomcore
from dicomcore import Dataset
from dicomcore.dataset import transfer_syntax as ts
from dicomcore.dataset.encode import encode_dataset_bytes
from dicomcore.errors import EncodeError, EncodeWarning
from dicomcore.fuzz.datasets import datasets

NATIVE = [ts.IMPLICIT_VR_LE, ts.EXPLICIT_VR_LE, ts.EXPLICIT_VR_BE]
NATIVE_IDS = ["implicit", "explicit", "big"]


def bare() -> Dataset:
    ds = Dataset()
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "ID-7"
    ds.Rows = 2
    return ds


@pytest.mark.parametrize("missing", ["both", "class", "instance"])
def test_missing_sop_uids_write_a_part10_file_and_warn(missing):
    ds = bare()
    if missing not in ("both", "class"):
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    if missing not in ("both", "instance"):
        ds.SOPInstanceUID = "1.2.3.4"
    out = io.BytesIO()
    with pytest.warns(EncodeWarning) as caught:
        dicomcore.write(out, ds)
    message = str(caught[0].message)
    assert ("SOP Class UID (0008,0016)" in message) == (missing in ("both", "class"))
    assert ("SOP Instance UID (0008,0018)" in message) == (missing in ("both", "instance"))
    data = out.getvalue()
    assert data[128:132] == b"DICM"
    back = dicomcore.read(data)
    assert back == ds
    theirs = pydicom.dcmread(io.BytesIO(data))  # pydicom reads it as a file, equal values
    assert theirs.PatientName == "Doe^Jane" and theirs.Rows == 2
    assert theirs.file_meta.TransferSyntaxUID == ts.EXPLICIT_VR_LE.uid


def test_meta_uids_come_from_the_meta_read_when_the_data_set_has_none():
    ds = bare()
    ds.file_meta = Dataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.9"
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error", EncodeWarning)
        dicomcore.write(out, ds)
    meta = dicomcore.read(out.getvalue()).file_meta
    assert meta.MediaStorageSOPInstanceUID == "1.2.3.9"


@pytest.mark.parametrize("syntax", NATIVE, ids=NATIVE_IDS)
def test_file_meta_false_writes_the_bare_data_set(syntax, tmp_path):
    ds = bare()
    path = tmp_path / "bare.dcm"
    with warnings.catch_warnings():
        warnings.simplefilter("error", EncodeWarning)  # no meta: nothing missing
        dicomcore.write(path, ds, transfer_syntax=syntax, file_meta=False)
    data = path.read_bytes()
    assert data == encode_dataset_bytes(ds, syntax.little_endian, syntax.explicit_vr)
    back = dicomcore.read(path)
    assert back.transfer_syntax == syntax and not back.file_meta and back.preamble is None
    assert back == ds


def test_file_meta_false_drops_group_0002_of_a_file_read():
    ds = bare()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    out = io.BytesIO()
    dicomcore.write(out, ds)
    read_back = dicomcore.read(out.getvalue())
    again = io.BytesIO()
    dicomcore.write(again, read_back, file_meta=False)
    assert again.getvalue() == encode_dataset_bytes(ds)
    assert b"DICM" not in again.getvalue()


def test_a_bare_deflated_data_set_is_refused():
    with pytest.raises(EncodeError, match="bare data set cannot be Deflated"):
        dicomcore.write(io.BytesIO(), bare(), transfer_syntax=ts.DEFLATED_EXPLICIT_VR_LE,
                        file_meta=False)


@pytest.mark.parametrize("syntax", NATIVE, ids=NATIVE_IDS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ds=datasets())
def test_a_bare_data_set_written_reads_back_equal(syntax, ds):
    out = io.BytesIO()
    dicomcore.write(out, ds, transfer_syntax=syntax, file_meta=False)
    data = out.getvalue()
    assume(data)  # an empty data set: nothing to read (and an empty file is not DICOM)
    if not syntax.little_endian:
        # the byte order of a bare data set is sniffed from its first tag: a private one
        # (not in the dictionary) with a value fitting either way is ambiguous
        assume(not ds.tags()[0] >> 16 & 1)
    back = dicomcore.read(data)
    assert back.transfer_syntax == syntax
    if syntax.explicit_vr:
        assert back == ds
    else:  # implicit VR: private elements come back as UN (no private dictionary)
        assert back.tags() == ds.tags()
