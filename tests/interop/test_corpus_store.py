"""pydicom's whole corpus sent with C-STORE into DCMTK's storescp (issue #12, 1-3).

Every file pydicom reads goes through ``dicomcore store`` in one run; each is either
accepted, and what storescp wrote carries the data set's SOP Instance UID (in its meta
and its data set), or refused, and then /usr/bin/storescu refuses that file too for
a reason of the file's own (DCMTK reads no SOP UIDs in it, or cannot read it).  The
files with a stale File Meta also go through ``Association.store``.

127.0.0.1 only, ports chosen at run time, storescp stopped by the test that started it.
"""
from __future__ import annotations

import re
import warnings
from collections import Counter
from pathlib import Path

import pydicom
import pytest

import dicomcore

from .corpus import ROOT, dicom_files, ids
from .netutil import HOST, cli_env, dcmtk, dicomcore_cmd, free_port, listening, run

# Cannot share the one-association run: DCMTK's storescp aborts the association when a
# data set ends early, which would fail the files after them.  Each is sent alone below.
CUT_SHORT = {
    "test_files/MR_truncated.dcm": "Pixel Data (7FE0,0010) runs past the end of the file",
    "test_files/rtplan_truncated.dcm": "the file ends inside (300A,012C)",
}
# storescu's words for a file DCMTK will not send: no SOP UIDs read, or not readable.
DCMTK_REFUSES = re.compile(r"No SOP Class or Instance UID in file|Bad DICOM file")
_LINE = re.compile(r"^\[\d+/\d+\] (.*?): (.*)$")


def _oracle(path: Path) -> tuple[str, str, str]:
    """(data set SOP Class UID, data set SOP Instance UID, meta SOP Instance UID) as
    pydicom reads them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(path, force=True, stop_before_pixels=True)
    meta = ds.file_meta or {}
    return (str(ds.get("SOPClassUID", "") or ""), str(ds.get("SOPInstanceUID", "") or ""),
            str(meta.get("MediaStorageSOPInstanceUID", "") or ""))


def _storescp(port: int, out: Path):
    out.mkdir(parents=True, exist_ok=True)
    # +uf: a file per instance received, even where corpus files share a SOP Instance UID
    return [dcmtk("storescp"), "+xa", "+uf", "-ta", "10", "-td", "30", "-aet", "STORESCP",
            "-od", out, port]


def _storescu(port: int, path: Path) -> str:
    proc = run([dcmtk("storescu"), "-ta", "10", "-td", "30", "-aec", "STORESCP", HOST, port,
                path], timeout=60)
    return proc.stdout + proc.stderr


def _written(out: Path) -> Counter:
    """(SOP Instance UID, Media Storage SOP Instance UID) of every file storescp wrote:
    its meta carries the request's Affected SOP Instance UID."""
    found: Counter = Counter()
    for path in sorted(out.iterdir()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        found[str(ds.SOPInstanceUID), str(ds.file_meta.MediaStorageSOPInstanceUID)] += 1
    return found


def _stale(oracle: tuple[str, str, str]) -> bool:
    return all(oracle) and oracle[2] != oracle[1]


def test_corpus_with_dicomcore_store_into_dcmtk_storescp(tmp_path):
    files = [p for p in dicom_files() if str(p.relative_to(ROOT)) not in CUT_SHORT]
    assert len(files) == len(dicom_files()) - len(CUT_SHORT)
    port = free_port()
    out = tmp_path / "out"
    with listening(_storescp(port, out), port, tmp_path / "storescp.log"):
        proc = run(dicomcore_cmd("store", "-v", HOST, port, "--aec", "STORESCP", *files),
                   env=cli_env(), timeout=600)
        results = {}
        for line in proc.stderr.splitlines():
            match = _LINE.match(line)
            if match:
                results[Path(match.group(1))] = match.group(2)
        assert set(results) == set(files), proc.stderr[-3000:]
        accepted = [p for p in files if re.match(r"0000H|B[0-9A-F]{3}H", results[p])]
        refused = [p for p in files if p not in accepted]
        # A refusal is one DCMTK makes too: storescu on that very file.
        for path in refused:
            said = _storescu(port, path)
            assert DCMTK_REFUSES.search(said), (path, results[path], said[-1500:])
    assert f"sent {len(accepted)} of {len(files)} file(s), {len(refused)} failed" in proc.stdout
    oracle = {p: _oracle(p) for p in files}
    # Refused here, before sending (no status: the reason), exactly the files whose data
    # set lacks a SOP UID (no_meta.dcm: its stray first byte makes it no DICOM file here)...
    refused_here = {p for p in refused if not re.match(r"[0-9A-F]{4}H", results[p])}
    assert refused_here == {p for p in files if not all(oracle[p][:2])}
    # ...the rest by storescp (C000: DCMTK reads the UIDs of UN elements as no UIDs).
    assert all(results[p].startswith("C000H") for p in set(refused) - refused_here)
    # One file written per file accepted, its meta and data set naming the data set's UID.
    expected = Counter((oracle[p][1], oracle[p][1]) for p in accepted)
    assert expected - _written(out) == Counter()
    stale = [p for p in accepted if _stale(oracle[p])]
    assert len(stale) >= 6, ids(stale)
    names = {str(p.relative_to(ROOT)) for p in accepted}
    # Named by the issue: stale meta (point 1) and no meta (point 2).
    assert {"test_files/rtplan.dcm", "test_files/rtdose.dcm", "charset_files/chrJapMulti.dcm",
            "test_files/rtstruct.dcm", "test_files/ExplVR_LitEndNoMeta.dcm",
            "test_files/ExplVR_BigEndNoMeta.dcm"} <= names
    for path in stale:  # one warning line each, naming the file and both UIDs
        lines = [ln for ln in proc.stderr.splitlines() if f"{path}: Media Storage" in ln]
        assert len(lines) == 1 and oracle[path][1] in lines[0] and oracle[path][2] in lines[0]


@pytest.mark.parametrize("name", sorted(CUT_SHORT), ids=sorted(CUT_SHORT))
def test_files_cut_short_are_not_stored_as_with_storescu(tmp_path, name):
    """Refused either way, nothing written: storescu will not read it ("Bad DICOM file");
    dicomcore sends it as stored (it reads no further than the UIDs) and storescp,
    finding the data set cut short, aborts the association."""
    path = ROOT / name
    port = free_port()
    out = tmp_path / "out"
    with listening(_storescp(port, out), port, tmp_path / "storescp.log"):
        proc = run(dicomcore_cmd("store", HOST, port, "--aec", "STORESCP", path),
                   env=cli_env(), timeout=120)
        assert proc.returncode != 0
        assert "aborted" in proc.stderr, proc.stderr[-2000:]
        assert "Bad DICOM file" in _storescu(port, path)
    assert not list(out.iterdir())


def test_stale_meta_files_with_association_store(tmp_path):
    """``Association.store`` of every corpus file whose Media Storage SOP Instance UID
    is not its data set's: each accepted by storescp, written under the data set's."""
    stale = [p for p in dicom_files() if str(p.relative_to(ROOT)) not in CUT_SHORT
             and _stale(_oracle(p))]
    assert len(stale) >= 6, ids(stale)  # chrJapMulti*, badVR, rtdose*, rtplan
    from dicomcore.ae.storeplan import plan

    [batch] = plan(stale)  # the contexts these files need
    port = free_port()
    out = tmp_path / "out"
    ae = dicomcore.ApplicationEntity(acse_timeout=10, dimse_timeout=30)
    with listening(_storescp(port, out), port, tmp_path / "storescp.log"):
        with ae.associate(HOST, port, ae_title="STORESCP", contexts=batch.contexts) as assoc:
            for path in stale:
                assert assoc.store(path) == 0, path
    expected = Counter((_oracle(p)[1], _oracle(p)[1]) for p in stale)
    assert _written(out) == expected
