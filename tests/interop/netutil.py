"""Network test helpers: free ports, bounded process runs, servers that always stop.

Rules these helpers keep for every network test: 127.0.0.1 only; ports chosen at run
time; every process and server started is stopped in a ``finally``; every wait has a
deadline (an external process is polled until its port accepts connections, nothing
else is waited for by sleeping).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional, Sequence

import dicomcore
from dicomcore import Dataset

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
SC = "1.2.840.10008.5.1.4.1.1.7"
VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT = "1.2.840.10008.1.2"
EXPLICIT = "1.2.840.10008.1.2.1"
DEFLATED = "1.2.840.10008.1.2.1.99"
BIG = "1.2.840.10008.1.2.2"
RLE = "1.2.840.10008.1.2.5"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"


# --- ports and processes ----------------------------------------------------------------

def free_port() -> int:
    """A port nobody listens on right now (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(port: int, proc: Optional[subprocess.Popen] = None,
                  timeout: float = 15.0) -> None:
    """Poll until ``port`` accepts connections; fail early if ``proc`` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{proc.args} exited with {proc.returncode} before listening")
        if port_open(port):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listening on {HOST}:{port} after {timeout} s")


def stop(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """Terminate ``proc`` (this one process, by its id); kill it if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


@contextlib.contextmanager
def listening(args: Sequence[str], port: int, log: Path, *, env: Optional[dict] = None,
              timeout: float = 15.0) -> Iterator[subprocess.Popen]:
    """Start a server process, wait for its port, yield it; always stop it.

    Its stdout and stderr go to ``log`` (a file: no pipe can fill up and block it).
    """
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(a) for a in args], stdout=out, stderr=subprocess.STDOUT,
                                env=env, cwd=str(REPO))
        try:
            wait_for_port(port, proc, timeout)
            yield proc
        finally:
            stop(proc)


def run(args: Sequence, *, timeout: float = 60.0, env: Optional[dict] = None,
        check: bool = False) -> subprocess.CompletedProcess:
    """Run a command to its end (bounded); output captured as text."""
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          errors="replace", timeout=timeout, env=env, cwd=str(REPO))
    if check:
        assert proc.returncode == 0, (args, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def cli_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def dicomcore_cmd(*args: object) -> list[str]:
    """``python -m dicomcore ARGS`` (use with ``env=cli_env()``)."""
    return [sys.executable, "-m", "dicomcore", *[str(a) for a in args]]


@lru_cache(maxsize=None)
def dcmtk(tool: str) -> str:
    """The DCMTK program ``tool``: not a same-named wrapper earlier on PATH
    (pynetdicom installs echoscu/storescu/storescp scripts of its own)."""
    for folder in os.get_exec_path():
        path = os.path.join(folder, tool)
        if os.access(path, os.X_OK) and not os.path.isdir(path):
            try:
                version = subprocess.run([path, "--version"], capture_output=True, text=True,
                                         errors="replace", timeout=10).stdout
            except (OSError, subprocess.TimeoutExpired):
                continue
            if "$dcmtk:" in version:
                return path
    raise AssertionError(f"DCMTK's {tool} is not installed")


def have_dcmtk() -> bool:
    try:
        dcmtk("storescu")
        return True
    except AssertionError:
        return False


@contextlib.contextmanager
def serving(ae: "dicomcore.ApplicationEntity", **options) -> Iterator:
    """An in-process dicomcore server on 127.0.0.1, any free port; always shut down."""
    server = ae.serve(0, HOST, block=False, **options)
    try:
        yield server
    finally:
        server.shutdown()


# --- test instances ---------------------------------------------------------------------

def make_instance(number: int = 0, *, sop_class: str = CT, rows: int = 16, columns: int = 16,
                  bits: int = 16, patient_id: str = "PID-1",
                  study_uid: Optional[str] = None, seed: int = 0) -> Dataset:
    """A small image with varied VRs and pixel bytes that depend on ``number``/``seed``."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = dicomcore.generate_uid()
    ds.StudyDate = "20240131"
    ds.Modality = {CT: "CT", MR: "MR"}.get(sop_class, "OT")
    ds.PatientName = f"Müller^Jürgen^{number}"
    ds.PatientID = patient_id
    ds.PatientAge = "042Y"
    ds.SliceThickness = "2.5"
    ds.StudyInstanceUID = study_uid or dicomcore.generate_uid()
    ds.SeriesInstanceUID = dicomcore.generate_uid()
    ds.InstanceNumber = str(number)
    ds.ImagePositionPatient = ["-125.0", "-130.5", str(number)]
    ref = Dataset()
    ref.ReferencedSOPClassUID = sop_class
    ref.ReferencedSOPInstanceUID = dicomcore.generate_uid()
    ds.ReferencedImageSequence = [ref]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = columns
    ds.BitsAllocated = bits
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    size = rows * columns * bits // 8
    block = hashlib.sha256(f"{number}/{seed}".encode()).digest()
    pixels = (block * (size // len(block) + 1))[:size]
    ds.add(0x7FE00010, "OW" if bits > 8 else "OB", pixels)
    return ds


def encapsulated_instance(number: int = 0, fragments: Sequence[bytes] = (
        b"\xff\xd8\xff\xe0 not really a JPEG stream \xff\xd9",)) -> Dataset:
    """An 8-bit instance whose Pixel Data is encapsulated with arbitrary fragment bytes
    (stored as JPEG Baseline: nobody decodes it on the way)."""
    from dicomcore.codecs.encapsulation import encapsulate

    ds = make_instance(number, sop_class=SC, bits=8)
    ds.add(0x7FE00010, "OB", encapsulate(list(fragments))).undefined_length = True
    return ds


def pixel_hash(ds: Dataset) -> Optional[str]:
    if 0x7FE00010 not in ds:
        return None
    return hashlib.sha256(bytes(ds[0x7FE00010].value)).hexdigest()


def differences(sent: Dataset, stored: Dataset) -> list[str]:
    """Every difference between two datasets outside group 0002, by value.

    VRs may differ only where one file had implicit VR: "OB or OW" elements and UN.
    """
    problems = []
    a = [t for t in sent.tags() if t >> 16 != 2]
    b = [t for t in stored.tags() if t >> 16 != 2]
    if a != b:
        problems.append(f"tags differ: only sent {[hex(t) for t in sorted(set(a) - set(b))]}, "
                        f"only stored {[hex(t) for t in sorted(set(b) - set(a))]}")
    for tag in a:
        if tag not in stored:
            continue
        x, y = sent[tag], stored[tag]
        if x.vr != y.vr and not ({x.vr, y.vr} <= {"OB", "OW", "UN"}):
            problems.append(f"{tag:08X}: VR {x.vr} vs {y.vr}")
            continue
        if x.vr == "SQ":
            if len(x.value) != len(y.value):
                problems.append(f"{tag:08X}: {len(x.value)} items vs {len(y.value)}")
                continue
            for i, (p, q) in enumerate(zip(x.value, y.value)):
                problems += [f"{tag:08X}[{i}].{d}" for d in differences(p, q)]
            continue
        xv, yv = x.value, y.value
        if isinstance(xv, (bytes, bytearray, memoryview)):
            xv, yv = bytes(xv), bytes(yv) if yv is not None else b""
        if xv != yv:
            problems.append(f"{tag:08X} {x.vr}: {xv!r:.120} vs {yv!r:.120}")
    return problems


def assert_same(sent, stored, *, transfer_syntax: Optional[str] = None) -> Dataset:
    """``stored`` (a path) holds what ``sent`` (a path or Dataset) held; returns it read."""
    expected = dicomcore.read(sent) if not isinstance(sent, Dataset) else sent
    got = dicomcore.read(stored)
    problems = differences(expected, got)
    assert not problems, f"{stored}: " + "; ".join(problems[:10])
    assert pixel_hash(expected) == pixel_hash(got), stored
    if transfer_syntax is not None:
        assert str(got.file_meta.get(0x00020010)) == transfer_syntax, (
            stored, got.file_meta.get(0x00020010), transfer_syntax)
    return got


def dicom_files(folder: Path) -> list[Path]:
    """Complete files in ``folder`` (recursive), temporary names left out."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file()
                  and not p.name.endswith(".part"))


def leftovers(folder: Path) -> list[Path]:
    """Temporary files (``.part``, dot files) anywhere under ``folder``."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file()
                  and (p.name.endswith(".part") or p.name.startswith(".")))


def by_instance_uid(paths: Sequence[Path]) -> dict[str, Path]:
    found = {}
    for path in paths:
        uid = str(dicomcore.read(path, stop_before_pixels=True).SOPInstanceUID)
        assert uid not in found, f"{uid} stored twice: {found.get(uid)} and {path}"
        found[uid] = path
    return found


# --- TLS --------------------------------------------------------------------------------

def make_certificates(folder: Path) -> dict[str, str]:
    """A CA, and a server and a client certificate it signed: paths by name."""
    if shutil.which("openssl") is None:
        raise AssertionError("the openssl command is needed to make test certificates")
    folder.mkdir(parents=True, exist_ok=True)

    def ssl_run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True,
                       timeout=60)

    ssl_run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=Test CA", "-keyout", "ca.key", "-out", "ca.pem")
    for name in ("server", "client"):
        ssl_run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout",
                f"{name}.key", "-out", f"{name}.csr")
        ssl_run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-out", f"{name}.pem")
    return {name: str(folder / name) for name in
            ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}
