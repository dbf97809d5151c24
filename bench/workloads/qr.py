"""Query/Retrieve workloads: C-FIND and C-GET against three Q/R SCPs.

The same archive of small instances (``studies`` x 100, one series per study) is
served by dicomcore's ``qrscp`` (SQLite index), DCMTK ``dcmqrscp`` (fork mode, its
own index filled with ``dcmqridx``; an index.dat past 32 MiB only logs "DB ALERT"
messages, silenced with ``--log-level fatal``) and pynetdicom's ``qrscp`` app
(SQLAlchemy over SQLite, filled by C-STORE).  The client is always dicomcore's
SCU, so only the servers differ.  Each server runs as its own process.

* study-level C-FIND matching every study (responses/s);
* image-level C-FIND matching every instance: the Study Root model is
  hierarchical, so one query per study (Study and Series Instance UID given,
  SOP Instance UID universal), all on one association; responses summed;
* C-GET of one 100-instance study into a folder (instances/s).

Populated archives are kept under ``bench/data/qr/<count>`` and reused.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

import dicomcore
from dicomcore.ae import qr_contexts

from ..harness import Contender, Result, measure
from .network import (EXPLICIT, SECONDARY_CAPTURE, _wait_for_port, dcmtk, free_port,
                      tiny_image)

DATA = Path(__file__).resolve().parents[1] / "data" / "qr"
PER_STUDY = 100
HOST = "127.0.0.1"
MAX_PDU = 131072
UID_ROOT = "1.2.826.0.1.3680043.10.1078.80"


def _study_uid(s: int) -> str:
    return f"{UID_ROOT}.1.{s}"


def _series_uid(s: int) -> str:
    return f"{UID_ROOT}.2.{s}"


def _write_files(folder: Path, studies: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    ds = tiny_image()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.StudyDate = "20240131"
    ds.StudyTime = "120000"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.PatientBirthDate = ""
    ds.PatientSex = "O"
    ds.StudyID = "1"
    ds.SeriesNumber = "1"
    files = []
    for s in range(studies):
        ds.PatientName = f"Bench^Patient{s:03d}"
        ds.PatientID = f"QRB{s:03d}"
        ds.StudyInstanceUID = _study_uid(s)
        ds.SeriesInstanceUID = _series_uid(s)
        for i in range(PER_STUDY):
            ds.SOPInstanceUID = f"{UID_ROOT}.3.{s}.{i}"
            ds.InstanceNumber = str(i + 1)
            path = folder / f"{s:03d}_{i:03d}.dcm"
            dicomcore.write(path, ds)
            files.append(path)
    return files


@contextmanager
def _process(command: list, port: int, log: Path, cwd: str | None = None) -> Iterator[int]:
    env = dict(os.environ, TCP_NODELAY="1")
    with open(log, "ab") as out:
        proc = subprocess.Popen([str(c) for c in command], env=env, stdout=out,
                                stderr=subprocess.STDOUT, cwd=cwd)
    try:
        _wait_for_port(port, proc, 60)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _dicomcore_server(root: Path) -> Iterator[int]:
    port = free_port()
    return _process([sys.executable, "-m", "dicomcore", "qrscp", port, "--db", root / "db",
                     "--host", HOST, "--max-pdu", MAX_PDU, "--aet", "DCQRSCP"],
                    port, root / "server.log")


def _dcmtk_server(root: Path) -> Iterator[int]:
    port = free_port()
    cfg = root / "dcmqrscp.cfg"
    cfg.write_text(f"""
NetworkTCPPort  = {port}
MaxPDUSize      = {MAX_PDU}
MaxAssociations = 16
HostTable BEGIN
HostTable END
VendorTable BEGIN
VendorTable END
AETable BEGIN
DCMQRSCP {root / 'db'} RW (1000, 1024mb) ANY
AETable END
""")
    # Fork mode (the default): single-process mode (-s) of dcmqrscp 3.6.7 crashes
    # when a dicomcore association ends (see tests/interop/test_qr_dcmtk_scp.py).
    # --log-level fatal: past 32 MiB of index every record read logs a "DB ALERT"
    # (see _populate); nothing else is logged by default either.
    return _process([dcmtk("dcmqrscp"), "--log-level", "fatal", "-c", cfg, port], port,
                    root / "server.log")


def _pynetdicom_server(root: Path) -> Iterator[int]:
    port = free_port()
    return _process([sys.executable, "-m", "pynetdicom", "qrscp", "-q", "--port", port,
                     "-aet", "QRSCP", "-pdu", MAX_PDU,
                     "--database-location", root / "instances.sqlite",
                     "--instance-location", root / "instances"],
                    port, root / "server.log", cwd=str(root))


SERVERS = {
    "dicomcore": (_dicomcore_server, "DCQRSCP"),
    "DCMTK dcmqrscp": (_dcmtk_server, "DCMQRSCP"),
    "pynetdicom qrscp": (_pynetdicom_server, "QRSCP"),
}
FOLDERS = {"dicomcore": "dicomcore", "DCMTK dcmqrscp": "dcmtk",
           "pynetdicom qrscp": "pynetdicom"}


def _ae() -> dicomcore.ApplicationEntity:
    return dicomcore.ApplicationEntity("BENCHSCU", acse_timeout=30, dimse_timeout=300,
                                       network_timeout=300)


def _store_all(port: int, aet: str, files: list[Path]) -> None:
    with _ae().associate(HOST, port, ae_title=aet,
                         contexts=[(SECONDARY_CAPTURE, [EXPLICIT])]) as a:
        for path in files:
            status = a.store(path)
            assert status == 0, f"C-STORE {path} -> {status:#06x}"


def _populate(base: Path, studies: int) -> None:
    """Create the files and the three archives, unless a previous run did."""
    files_dir = base / "files"
    done = base / "files.done"
    if not done.exists():
        shutil.rmtree(files_dir, ignore_errors=True)
        _write_files(files_dir, studies)
        done.touch()
    files = sorted(files_dir.glob("*.dcm"))
    for name, folder in FOLDERS.items():
        root = base / folder
        marker = root / "populated"
        if marker.exists() or (root / "too-large").exists():
            continue
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        print(f"  populating {name} archive with {len(files)} instances...",
              file=sys.stderr, flush=True)
        if name == "DCMTK dcmqrscp":
            (root / "db").mkdir()
            # dcmqridx indexes the files where they are (no copy): give it its own copies.
            own = root / "files"
            shutil.copytree(files_dir, own)
            paths = sorted(str(p) for p in own.glob("*.dcm"))
            for i in range(0, len(paths), 500):
                # Past 32 MiB of index.dat (4,172 records of 8,032 bytes) every seek
                # logs "DB ALERT: attempt to seek beyond 33554432 bytes": a sanity
                # message of DB_lseek, not a limit (the records are written and found;
                # run() checks the counts).  Only a failing dcmqridx is too large.
                done = subprocess.run([dcmtk("dcmqridx"), "--log-level", "fatal",
                                       str(root / "db"), *paths[i:i + 500]],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                if done.returncode:
                    (root / "too-large").touch()
                    break
        else:
            start, aet = SERVERS[name]
            with start(root) as port:
                _store_all(port, aet, files)
        marker.touch()


def _find_study(port: int, aet: str, expected: int) -> int:
    with _ae().associate(HOST, port, ae_title=aet,
                         **qr_contexts("study", services=("find",))) as a:
        uids = [str(ds.StudyInstanceUID) for ds in
                a.find({"StudyInstanceUID": "", "PatientID": "", "PatientName": "",
                        "StudyDate": ""}, level="STUDY")]
    # pynetdicom's qrscp app answers a STUDY query with one response per instance
    # (duplicates): count the distinct studies matched, the work every server must do.
    assert len(set(uids)) == expected, f"study-level C-FIND: {len(set(uids))} studies"
    return expected


def _find_image(port: int, aet: str, studies: int) -> int:
    n = 0
    with _ae().associate(HOST, port, ae_title=aet,
                         **qr_contexts("study", services=("find",))) as a:
        for s in range(studies):
            n += sum(1 for _ in a.find({"StudyInstanceUID": _study_uid(s),
                                        "SeriesInstanceUID": _series_uid(s),
                                        "SOPInstanceUID": "", "InstanceNumber": ""},
                                       level="IMAGE"))
    assert n == studies * PER_STUDY, f"image-level C-FIND: {n} responses"
    return n


def _get_study(port: int, aet: str, out: Path) -> int:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    with _ae().associate(HOST, port, ae_title=aet,
                         **qr_contexts("study", [SECONDARY_CAPTURE],
                                       services=("get",))) as a:
        op = a.get({"StudyInstanceUID": _study_uid(0)}, level="STUDY", out_dir=str(out))
        op.wait()
        n = len(op.received)
    assert n == PER_STUDY, f"C-GET: {n} instances received"
    return n


def run(quick: bool = False) -> list[Result]:
    studies = 10 if quick else 100
    repeats = 3 if quick else 5
    count = studies * PER_STUDY
    base = DATA / str(count)
    _populate(base, studies)
    tmp = Path(tempfile.mkdtemp(prefix="bench-qr-"))
    results = []
    try:
        dcmtk_ok = not (base / "dcmtk" / "too-large").exists()
        with ExitStack() as stack:
            ports = {"dicomcore": stack.enter_context(_dicomcore_server(base / "dicomcore"))}
            if dcmtk_ok:
                ports["DCMTK dcmqrscp"] = stack.enter_context(_dcmtk_server(base / "dcmtk"))
            ports["pynetdicom qrscp"] = stack.enter_context(
                _pynetdicom_server(base / "pynetdicom"))

            def contenders(work):
                return [Contender(name, (lambda n=name, p=port: work(n, p, SERVERS[n][1])))
                        for name, port in ports.items()]

            find_study = measure(
                f"C-FIND STUDY level, all {studies} studies of {count} instances",
                "responses",
                contenders(lambda n, p, aet: _find_study(p, aet, studies)), repeats)
            find_image = measure(
                f"C-FIND IMAGE level, all {count} instances ({studies} queries, one per "
                f"study/series, one association)", "responses",
                contenders(lambda n, p, aet: _find_image(p, aet, studies)), repeats)
            get = measure(
                f"C-GET one {PER_STUDY}-instance study (of {count})", "instances",
                contenders(lambda n, p, aet: _get_study(p, aet, tmp / FOLDERS[n])),
                repeats)
            results = [find_study, find_image, get]
        note = ("client is dicomcore's SCU for all; servers are separate processes "
                "(dcmqrscp in fork mode, pynetdicom's qrscp app over SQLAlchemy); "
                f"max PDU {MAX_PDU}")
        for r in results:
            r.notes.append(note)
            if not dcmtk_ok:
                r.notes.append(f"DCMTK dcmqrscp left out: dcmqridx failed to index {count} "
                               "instances")
        find_study.notes.append("rate counts distinct studies matched; pynetdicom's qrscp "
                                "sends one (duplicate) response per instance instead of "
                                "one per study")
        find_image.notes.append("Study Root is hierarchical: Study and Series UID given "
                                "per query, so the rate includes one C-FIND-RQ per study")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results
