"""``dicomcore qrscp`` against DCMTK's findscu, movescu, getscu (and storescu to fill it),
and against pynetdicom as Q/R SCU.

The archive runs as a separate process (the command line tool); C-MOVE destinations
are a ``dicomcore storescp`` process and DCMTK's storescp.  Every retrieved instance is
compared with the file that was stored: values element by element, pixel bytes by hash,
and the transfer syntax it was stored in.  DCMTK programs are called by full path
(pynetdicom installs same-named Python scripts).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import dicomcore

from .netutil import (CT, EXPLICIT, HOST, IMPLICIT, JPEG_BASELINE, MR, assert_same,
                      by_instance_uid, cli_env, dcmtk, dicom_files, encapsulated_instance,
                      free_port, have_dcmtk, listening, make_instance, run)

pytestmark = pytest.mark.skipif(not have_dcmtk(), reason="DCMTK is not installed")

TIMEOUTS = ["-to", "10", "-ta", "10", "-td", "20"]
STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"


def _qrscp_cmd(*args: object) -> list[str]:
    """``python -m dicomcore qrscp`` once registered, the module itself until then."""
    import sys

    from dicomcore.cli import build_parser

    import contextlib
    import io

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            build_parser().parse_args(["qrscp", "1", "--db", "x"])
        return [sys.executable, "-m", "dicomcore", "qrscp", *map(str, args)]
    except SystemExit:
        return [sys.executable, "-m", "dicomcore.cli.qrscp", *map(str, args)]


def _storescp_cmd(*args: object) -> list[str]:
    import sys

    return [sys.executable, "-m", "dicomcore", "storescp", *map(str, args)]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """qrscp with two destinations, filled by DCMTK storescu: two patients, three
    studies, instances in implicit, explicit and JPEG Baseline (stored untouched)."""
    root = tmp_path_factory.mktemp("qr")
    src = root / "src"
    src.mkdir()
    studies = [dicomcore.generate_uid() for _ in range(3)]
    files: dict[str, Path] = {}
    for n in range(6):
        study = studies[n % 3]
        if n == 5:
            ds = encapsulated_instance(n, [b"\xff\xd8 frame \xff\xd9", b"tail" + bytes([n])])
            ds.StudyInstanceUID, ts = study, JPEG_BASELINE
        else:
            ds = make_instance(n, sop_class=MR if n == 4 else CT, study_uid=study,
                               patient_id="PAT-A" if n % 3 != 2 else "PAT-B")
            ts = IMPLICIT if n % 2 else EXPLICIT
        if n % 3 == 2:
            ds.PatientID = "PAT-B"
        else:
            ds.PatientID = "PAT-A"
        path = src / f"in{n}.dcm"
        dicomcore.write(path, ds, transfer_syntax=ts)
        files[str(ds.SOPInstanceUID)] = path
    qport, dport, tport = free_port(), free_port(), free_port()
    (root / "dest").mkdir()
    (root / "dcmtk-dest").mkdir()
    env = cli_env()
    with listening(_storescp_cmd(dport, "--out", root / "dest", "--aet", "DEST"), dport,
                   root / "dest.log", env=env), \
            listening([dcmtk("storescp"), "-aet", "DCMTKDEST", "-od", root / "dcmtk-dest",
                       "+xa", str(tport)], tport, root / "dcmtk-dest.log"), \
            listening(_qrscp_cmd(qport, "--db", root / "db", "--aet", "ARCHIVE", "--dest",
                                 f"DEST={HOST}:{dport}", "--dest",
                                 f"DCMTKDEST={HOST}:{tport}", "--timeout", "20"),
                      qport, root / "qrscp.log", env=env):
        plain = sorted(p for p in files.values() if p.name != "in5.dcm")
        for option, paths in (("-R", plain), ("-xy", [src / "in5.dcm"])):
            proc = run([dcmtk("storescu"), *TIMEOUTS, "-aec", "ARCHIVE", option, HOST, qport,
                        *paths], timeout=60)
            assert proc.returncode == 0, proc.stdout + proc.stderr
        yield dict(root=root, port=qport, files=files, studies=studies)


def _dcmtk_q(tool: str, setup, *args) -> str:
    proc = run([dcmtk(tool), *TIMEOUTS, "-aec", "ARCHIVE", "-aet", "DCMTKSCU", *map(str, args),
                HOST, setup["port"]], timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "E:" not in out, out[-3000:]
    return out


def _values(out: str, tag: str) -> list[str]:
    """Values of ``tag`` (e.g. "0020,000d") in findscu's printed responses."""
    return [v.strip("\x00 ") for v in re.findall(rf"\({tag}\) \w\w \[([^\]]*)\]", out, flags=re.I)]


def test_findscu_each_level_both_models(setup):
    files, studies = setup["files"], setup["studies"]
    out = _dcmtk_q("findscu", setup, "-P", "-k", "QueryRetrieveLevel=PATIENT", "-k",
                   "PatientID", "-k", "PatientName")
    assert sorted(_values(out, "0010,0020")) == ["PAT-A", "PAT-B"]
    out = _dcmtk_q("findscu", setup, "-P", "-k", "QueryRetrieveLevel=STUDY", "-k",
                   "PatientID=PAT-A", "-k", "StudyInstanceUID")
    assert sorted(_values(out, "0020,000d")) == sorted(studies[:2])
    out = _dcmtk_q("findscu", setup, "-S", "-k", "QueryRetrieveLevel=STUDY", "-k",
                   "StudyInstanceUID", "-k", "ModalitiesInStudy", "-k", "StudyDate=20240101-")
    assert sorted(_values(out, "0020,000d")) == sorted(studies)
    out = _dcmtk_q("findscu", setup, "-S", "-k", "QueryRetrieveLevel=SERIES", "-k",
                   f"StudyInstanceUID={studies[0]}", "-k", "SeriesInstanceUID", "-k", "Modality")
    assert len(_values(out, "0020,000e")) == 2
    out = _dcmtk_q("findscu", setup, "-S", "-k", "QueryRetrieveLevel=IMAGE", "-k",
                   f"StudyInstanceUID={studies[1]}", "-k",
                   "SeriesInstanceUID=" + _series_of(files, studies[1])[0], "-k", "SOPInstanceUID")
    assert len(_values(out, "0008,0018")) == 1
    # a hierarchical image query without the unique keys above: A900
    proc = run([dcmtk("findscu"), *TIMEOUTS, "-v", "-aec", "ARCHIVE", "-S", "-k",
                "QueryRetrieveLevel=IMAGE", "-k", "SOPInstanceUID", HOST, setup["port"]])
    text = (proc.stdout + proc.stderr).lower()
    assert "datasetdoesnotmatchsopclass" in text or "a900" in text, text[-2000:]
    assert _values(proc.stdout + proc.stderr, "0008,0018") == []


def _series_of(files, study: str) -> list[str]:
    found = []
    for path in files.values():
        ds = dicomcore.read(path, stop_before_pixels=True)
        if str(ds.StudyInstanceUID) == study:
            found.append(str(ds.SeriesInstanceUID))
    return found


def _of_study(files, study: str) -> dict[str, Path]:
    return {uid: p for uid, p in files.items()
            if str(dicomcore.read(p, stop_before_pixels=True).StudyInstanceUID) == study}


def _compare(expected: dict[str, Path], folder: Path, *, same_syntax: bool = True) -> None:
    """Every expected instance is in ``folder`` with the same values and pixel bytes (and,
    for C-MOVE, the transfer syntax it was stored in; C-GET uses the syntax the
    requestor's context accepted, so a stored implicit file may arrive explicit)."""
    got = by_instance_uid([p for p in dicom_files(folder)])
    assert set(expected) <= set(got), (sorted(expected), sorted(got))
    for uid, path in expected.items():
        own = str(dicomcore.read(path, stop_before_pixels=True).file_meta.get(0x00020010))
        assert_same(path, got[uid], transfer_syntax=own if same_syntax else None)


def test_findscu_cancel(setup):
    out = _dcmtk_q("findscu", setup, "-S", "--cancel", "1", "-k", "QueryRetrieveLevel=STUDY",
                   "-k", "StudyInstanceUID")
    # With 3 matches the SCP may have sent them all before the C-CANCEL arrives (the
    # race is inherent); what counts here is that findscu's C-CANCEL-RQ is taken
    # without error and the association ends normally.  Deterministic mid-stream
    # cancels (1000 matches) are in tests/ae/test_qr_scp.py.
    assert len(_values(out, "0020,000d")) <= 3, out[-2000:]


def test_movescu_to_dicomcore_and_dcmtk_storescp(setup):
    files, studies, root = setup["files"], setup["studies"], setup["root"]
    _dcmtk_q("movescu", setup, "-S", "-aem", "DEST", "-k", "QueryRetrieveLevel=STUDY",
             "-k", f"StudyInstanceUID={studies[2]}")
    _compare(_of_study(files, studies[2]), root / "dest")
    _dcmtk_q("movescu", setup, "-P", "-aem", "DCMTKDEST", "-k", "QueryRetrieveLevel=PATIENT",
             "-k", "PatientID=PAT-A")
    expected = {u: p for u, p in files.items()
                if str(dicomcore.read(p, stop_before_pixels=True).PatientID) == "PAT-A"}
    _compare(expected, root / "dcmtk-dest")
    proc = run([dcmtk("movescu"), *TIMEOUTS, "-aec", "ARCHIVE", "-S", "-aem", "NOWHERE",
                "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={studies[0]}",
                HOST, setup["port"]])
    assert "movedestinationunknown" in (proc.stdout + proc.stderr).lower(), proc.stderr


def test_getscu_into_folder(setup, tmp_path):
    files, studies = setup["files"], setup["studies"]
    out = tmp_path / "got"
    out.mkdir()
    _dcmtk_q("getscu", setup, "-S", "-od", out, "-k", "QueryRetrieveLevel=STUDY", "-k",
             f"StudyInstanceUID={studies[1]}")
    _compare(_of_study(files, studies[1]), out, same_syntax=False)
    out2 = tmp_path / "got2"
    out2.mkdir()
    series = _series_of(files, studies[0])[0]
    _dcmtk_q("getscu", setup, "-P", "-od", out2, "-k", "QueryRetrieveLevel=SERIES", "-k",
             "PatientID=PAT-A", "-k", f"StudyInstanceUID={studies[0]}", "-k",
             f"SeriesInstanceUID={series}")
    expected = {u: p for u, p in files.items()
                if str(dicomcore.read(p, stop_before_pixels=True).SeriesInstanceUID) == series}
    _compare(expected, out2, same_syntax=False)
    assert len(dicom_files(out2)) == len(expected)


def test_pynetdicom_scu_find_move_get(setup, tmp_path):
    pynetdicom = pytest.importorskip("pynetdicom")
    pydicom = pytest.importorskip("pydicom")
    from pynetdicom import build_role, evt
    from pynetdicom.sop_class import (CTImageStorage, MRImageStorage,
                                      SecondaryCaptureImageStorage,
                                      StudyRootQueryRetrieveInformationModelFind as FIND,
                                      StudyRootQueryRetrieveInformationModelGet as GET,
                                      StudyRootQueryRetrieveInformationModelMove as MOVE)

    files, studies, root = setup["files"], setup["studies"], setup["root"]
    ae = pynetdicom.AE(ae_title="PYNETDICOM")
    ae.acse_timeout, ae.dimse_timeout, ae.network_timeout = 10, 20, 20
    for uid in (FIND, GET, MOVE):
        ae.add_requested_context(uid)
    storage = (CTImageStorage, MRImageStorage, SecondaryCaptureImageStorage)
    for uid in storage:
        ae.add_requested_context(uid, [EXPLICIT, IMPLICIT, JPEG_BASELINE])
    got = tmp_path / "pyget"
    got.mkdir()

    def on_store(event):
        event.dataset.file_meta = event.file_meta
        event.dataset.save_as(got / f"{event.request.AffectedSOPInstanceUID}.dcm",
                              enforce_file_format=True)
        return 0x0000

    assoc = ae.associate(HOST, setup["port"], ae_title="ARCHIVE",
                         ext_neg=[build_role(uid, scp_role=True) for uid in storage],
                         evt_handlers=[(evt.EVT_C_STORE, on_store)])
    assert assoc.is_established
    try:
        q = pydicom.Dataset()
        q.QueryRetrieveLevel = "STUDY"
        q.StudyInstanceUID = ""
        q.PatientID = ""
        found = [ident.StudyInstanceUID for status, ident in assoc.send_c_find(q, FIND)
                 if status and status.Status == 0xFF00]
        assert sorted(found) == sorted(studies)
        q = pydicom.Dataset()
        q.QueryRetrieveLevel = "STUDY"
        q.StudyInstanceUID = studies[0]
        results = [status for status, _ in assoc.send_c_get(q, GET)]
        assert results[-1].Status == 0
        _compare(_of_study(files, studies[0]), got, same_syntax=False)
        results = [status for status, _ in assoc.send_c_move(q, "DEST", MOVE)]
        assert results[-1].Status == 0
        assert results[-1].NumberOfCompletedSuboperations == len(_of_study(files, studies[0]))
        _compare(_of_study(files, studies[0]), root / "dest")
    finally:
        assoc.release()


def _held_body(setup, uid: str) -> bytes:
    """The data set of the archive's own file for ``uid`` (after its meta)."""
    import sqlite3

    db = sqlite3.connect(str(setup["root"] / "db" / "index.sqlite"))
    try:
        [(path,)] = db.execute("SELECT path FROM instance WHERE SOPInstanceUID = ?", (uid,))
    finally:
        db.close()
    return _body(setup["root"] / "db" / path)


def _body(path: Path) -> bytes:
    meta = dicomcore.read(path, stop_before_pixels=True).file_meta
    return path.read_bytes()[132 + 12 + int(meta.get(0x00020000)):]


def _counts(out: str) -> tuple[int, int]:
    completed = re.findall(r"Number of Completed Suboperations\s*:\s*(\d+)", out)
    failed = re.findall(r"Number of Failed Suboperations\s*:\s*(\d+)", out)
    return int(completed[-1]), int(failed[-1])


def test_getscu_jpeg_instance_goes_or_fails_alone(setup, tmp_path):
    """getscu proposes what it proposes.  By default only uncompressed syntaxes: the
    JPEG instance cannot go (no lossless way), fails alone, and the final status is
    B000 with the counts; the CT beside it arrives.  With ``+xy`` (JPEG Baseline
    preferred; ``+B``: written as received) it arrives as the archive holds it."""
    files, studies = setup["files"], setup["studies"]
    jpeg = next(u for u, p in files.items() if p.name == "in5.dcm")
    expected = _of_study(files, studies[2])
    assert jpeg in expected and len(expected) == 2
    plain = tmp_path / "plain"
    plain.mkdir()
    out = _dcmtk_q("getscu", setup, "-v", "-S", "-od", plain, "-k", "QueryRetrieveLevel=STUDY",
                   "-k", f"StudyInstanceUID={studies[2]}")
    assert "SubOperationsCompleteOneOrMoreFailures" in out, out[-2000:]  # B000
    assert _counts(out) == (1, 1), out[-2000:]
    got = by_instance_uid(dicom_files(plain))
    assert set(got) == set(expected) - {jpeg}
    jpeg8 = tmp_path / "jpeg8"
    jpeg8.mkdir()
    out = _dcmtk_q("getscu", setup, "-v", "+xy", "+B", "-S", "-od", jpeg8, "-k",
                   "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={studies[2]}")
    got = by_instance_uid(dicom_files(jpeg8))
    assert set(got) == set(expected) and _counts(out) == (2, 0), out[-2000:]
    assert str(dicomcore.read(got[jpeg], stop_before_pixels=True).file_meta.get(
        0x00020010)) == JPEG_BASELINE
    assert _body(got[jpeg]) == _held_body(setup, jpeg)
