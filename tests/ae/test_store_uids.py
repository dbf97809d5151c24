"""``Association.store`` of files: the C-STORE's SOP UIDs come from the data set, not a
stale File Meta; files without a usable meta; a data set not in its declared syntax;
file objects converted when their syntax is refused.

In-process dicomcore SCP on 127.0.0.1 (any free port), always shut down.  Its files
carry the request's Affected SOP Instance UID in their meta, so what it wrote shows
what was sent.
"""
from __future__ import annotations

import io
import logging
import struct

import pytest

import dicomcore
from dicomcore import Dataset
from dicomcore.dataset import file_summary, part10
from dicomcore.dataset.encode import encode_dataset_bytes
from dicomcore.errors import DicomError

from interop.netutil import (CT, EXPLICIT, HOST, IMPLICIT, dicom_files, make_instance,
                             serving)


def _ae() -> dicomcore.ApplicationEntity:
    return dicomcore.ApplicationEntity("DICOMCORE", acse_timeout=10, dimse_timeout=20,
                                       idle_timeout=20)


@pytest.fixture
def out(tmp_path):
    return tmp_path / "out"


@pytest.fixture
def scp(out):
    with serving(_ae(), storage_dir=str(out)) as server:
        yield server


def _associate(server, contexts=((CT, [EXPLICIT, IMPLICIT]),)):
    return _ae().associate(HOST, server.address[1], contexts=[(a, list(t)) for a, t in contexts])


def _stale(ds: Dataset, syntax: str = EXPLICIT) -> tuple[bytes, str]:
    """A file whose File Meta names another instance than its data set (the meta of a
    copy with another SOP Instance UID before this data set): (bytes, meta UID)."""
    true = io.BytesIO()
    dicomcore.write(true, ds, transfer_syntax=syntax)
    stale_uid = str(ds.SOPInstanceUID) + ".9"
    other = dicomcore.read(io.BytesIO(true.getvalue()))
    other.SOPInstanceUID = stale_uid
    wrong = io.BytesIO()
    dicomcore.write(wrong, other, transfer_syntax=syntax)
    head, body = wrong.getvalue(), true.getvalue()
    return (head[:part10._read_header(head, 64)[2]] + body[part10._read_header(body, 64)[2]:],
            stale_uid)


def _stored(out):
    files = dicom_files(out)
    assert len(files) == 1, files
    return dicomcore.read(files[0])


def test_stale_meta_sends_the_data_sets_instance_uid_and_warns(scp, out, tmp_path, caplog):
    ds = make_instance(1)
    data, stale_uid = _stale(ds)
    path = tmp_path / "stale.dcm"
    path.write_bytes(data)
    with caplog.at_level(logging.WARNING, logger="dicomcore"):
        with _associate(scp) as assoc:
            assert assoc.store(path) == 0
    got = _stored(out)
    assert str(got.file_meta[0x00020003].value) == str(ds.SOPInstanceUID)  # the request's
    assert got.SOPInstanceUID == ds.SOPInstanceUID
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    line = warnings[0].getMessage()
    assert warnings[0].name.startswith("dicomcore.")
    assert str(path) in line and stale_uid in line and str(ds.SOPInstanceUID) in line


def test_stale_meta_file_object_and_store_all(scp, out):
    """The same through a binary file and the windowed ``store_all``."""
    ds = make_instance(2)
    data, _ = _stale(ds)
    with _associate(scp) as assoc:
        [(source, status)] = list(assoc.store_all([io.BytesIO(data)]))
        assert status == 0
    assert str(_stored(out).file_meta[0x00020003].value) == str(ds.SOPInstanceUID)


def test_meta_disagreeing_on_the_class_sends_the_data_sets(out, tmp_path, caplog):
    """A meta naming another SOP class: the data set's class picks the context too."""
    ds = make_instance(3)
    path = tmp_path / "a.dcm"
    dicomcore.write(path, ds)
    data = path.read_bytes()
    pos = part10._read_header(data, 64)[2]
    wrong_class = "1.2.840.10008.5.1.4.1.1.4"  # MR: as long as CT's UID
    meta = data[:pos].replace(CT.encode() + b"\0", wrong_class.encode() + b"\0", 1)
    path.write_bytes(meta + data[pos:])
    with serving(_ae(), storage_dir=str(out)) as server:
        with caplog.at_level(logging.WARNING, logger="dicomcore"):
            with _associate(server, [(CT, [EXPLICIT])]) as assoc:  # no MR context at all
                assert assoc.store(path) == 0
    assert str(_stored(out).file_meta[0x00020002].value) == CT
    assert any("Media Storage SOP Class UID" in r.getMessage() for r in caplog.records)


def test_data_set_without_sop_uids_is_refused_naming_them(scp, tmp_path):
    """The meta names an instance but the data set has neither UID: refused before
    anything is sent, as storescu does ("No SOP Class or Instance UID in file")."""
    ds = make_instance(4)
    path = tmp_path / "a.dcm"
    dicomcore.write(path, ds)
    data = path.read_bytes()
    pos = part10._read_header(data, 64)[2]
    del ds.SOPClassUID, ds.SOPInstanceUID
    path.write_bytes(data[:pos] + encode_dataset_bytes(ds, True, True))
    with _associate(scp) as assoc:
        with pytest.raises(DicomError, match=r"no SOP Class UID \(0008,0016\) and SOP "
                                             r"Instance UID \(0008,0018\) in the data set"):
            assoc.store(path)
        assert assoc.echo is not None and not assoc.is_aborted  # still usable


def _meta(fields: dict) -> bytes:
    """Preamble, DICM and a group 0002 holding ``fields`` (tag -> UI value)."""
    meta = Dataset()
    meta.add(0x00020001, "OB", b"\x00\x01")
    for tag, value in fields.items():
        meta.add(tag, "UI", value)
    body = encode_dataset_bytes(meta, True, True)
    return bytes(128) + b"DICM" + struct.pack("<HH2sHI", 2, 0, b"UL", 4, len(body)) + body


@pytest.mark.parametrize("header", [
    b"",                                                  # no meta at all (rtstruct.dcm)
    _meta({0x00020010: IMPLICIT}),                        # meta without (0002,0002)
    _meta({}),                                            # meta without (0002,0002), (0002,0010)
], ids=["no-meta", "no-media-storage-uids", "no-uids-no-syntax"])
def test_file_without_usable_meta_is_sent_as_stored(scp, out, tmp_path, header):
    """The class and syntax come from the data set (implicit VR sniffed), and the bytes
    go as stored: what the SCP wrote after its meta is the file's data set."""
    ds = make_instance(5)
    body = encode_dataset_bytes(ds, True, False)
    path = tmp_path / "bare.dcm"
    path.write_bytes(header + body)
    with _associate(scp, [(CT, [IMPLICIT])]) as assoc:
        assert assoc.store(path) == 0
    [written] = dicom_files(out)
    data = written.read_bytes()
    assert data[part10._read_header(data, 64)[2]:] == body
    assert _stored(out).SOPInstanceUID == ds.SOPInstanceUID


def test_uids_past_the_first_64_kib(scp, out, tmp_path):
    """A private element of 100 KB sorts before (0008,0016): the head is read on."""
    ds = make_instance(6)
    ds.add(0x00070010, "LO", "BIG FIRST")
    ds.add(0x00071000, "OB", b"\x01" * 100_000)
    path = tmp_path / "a.dcm"
    dicomcore.write(path, ds)
    with _associate(scp) as assoc:
        assert assoc.store(path) == 0
    assert _stored(out).SOPInstanceUID == ds.SOPInstanceUID


def test_file_object_is_converted_when_its_syntax_is_refused(scp, out):
    """An explicit VR file as a BytesIO, only implicit VR accepted: decoded from the
    start of the file, not from where the head read left it, and converted."""
    ds = make_instance(7)
    buf = io.BytesIO()
    dicomcore.write(buf, ds, transfer_syntax=EXPLICIT)
    buf.seek(0)
    with _associate(scp, [(CT, [IMPLICIT])]) as assoc:
        assert assoc.store(buf) == 0
    got = _stored(out)
    assert str(got.file_meta[0x00020010].value) == IMPLICIT
    assert got.SOPInstanceUID == ds.SOPInstanceUID and got.PatientName == ds.PatientName


def test_data_set_not_in_its_declared_syntax_is_encoded_again(scp, out, tmp_path):
    """Implicit VR bytes under a meta saying explicit (pydicom's SC_rgb_jpeg.dcm): not
    sent as stored (the SCP would read garbage) but decoded and encoded in the
    accepted syntax."""
    ds = make_instance(8)
    good = io.BytesIO()
    dicomcore.write(good, ds, transfer_syntax=EXPLICIT)
    data = good.getvalue()
    pos = part10._read_header(data, 64)[2]
    path = tmp_path / "liar.dcm"
    path.write_bytes(data[:pos] + encode_dataset_bytes(ds, True, False))
    with pytest.warns(Warning, match="implicit"):
        with _associate(scp, [(CT, [EXPLICIT])]) as assoc:
            assert assoc.store(path) == 0
    [written] = dicom_files(out)
    summary = file_summary.store_summary(written.read_bytes(), complete=True)
    assert summary.as_declared and summary.transfer_syntax.uid == EXPLICIT
    got = _stored(out)
    assert got.SOPInstanceUID == ds.SOPInstanceUID and got.PatientName == ds.PatientName
