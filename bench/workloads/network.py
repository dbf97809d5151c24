"""Network workloads: association round trips and C-STORE throughput.

Servers run as separate processes (the acceptor of each implementation), so
a client and its server never share an interpreter lock; each client runs
as its users would run it.  DCMTK is run with TCP_NODELAY=1, without which
its small PDUs wait on delayed acknowledgements.

Every timed C-STORE run starts after ``os.sync()``: dirty pages left by the
previous contender (or by writing the test files) would otherwise be written
back during the next one, and on a small virtual disk that writeback decides
the result more than the code does.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

import dicomcore

from ..harness import Contender, Result, measure

VERIFICATION = "1.2.840.10008.1.1"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
EXPLICIT = "1.2.840.10008.1.2.1"


def dcmtk(tool: str) -> str:
    """DCMTK's own binary: pynetdicom installs Python apps with the same names
    (storescp, storescu, echoscu...) that may come first on PATH."""
    for folder in ("/usr/bin", "/usr/local/bin"):
        path = os.path.join(folder, tool)
        if os.path.exists(path):
            return path
    raise RuntimeError(f"DCMTK {tool} not found (apt-get install dcmtk)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early: {proc.args}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


@contextmanager
def server(kind: str, out: str, max_pdu: int = 131072
           ) -> Iterator[tuple[int, subprocess.Popen]]:
    port = free_port()
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, TCP_NODELAY="1")
    commands = {
        "dicomcore": [sys.executable, "-m", "dicomcore", "storescp", str(port), "--out", out,
                      "--host", "127.0.0.1", "--max-pdu", str(max_pdu)],
        "pynetdicom": [sys.executable, "-m", "pynetdicom", "storescp", str(port), "-od", out,
                       "--max-pdu", "131072"],
        "dcmtk": [dcmtk("storescp"), "-od", out, "+xa", "--max-pdu", "131072", str(port)],
    }
    proc = subprocess.Popen(commands[kind], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, proc)
        yield port, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def peak_rss_mb(proc: subprocess.Popen) -> float:
    with open(f"/proc/{proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def tiny_image() -> dicomcore.Dataset:
    """A Secondary Capture of 16x16 8-bit pixels: the small instance of every workload."""
    ds = dicomcore.Dataset()
    ds.SOPClassUID = SECONDARY_CAPTURE
    ds.Modality = "OT"
    ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 8, 8, 7
    ds.SamplesPerPixel, ds.PixelRepresentation = 1, 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = bytes(range(256))
    return ds


def _small_files(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    ds = tiny_image()
    ds.PatientName = "Bench^Small"
    ds.PatientID = "B1"
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.1078.70"
    files = []
    for n in range(count):
        ds.SOPInstanceUID = f"1.2.826.0.1.3680043.10.1078.71.{n}"
        path = folder / f"s{n:05d}.dcm"
        dicomcore.write(path, ds)
        files.append(path)
    return files


def _echo_workload(quick: bool) -> Result:
    from pynetdicom import AE

    rounds = 50 if quick else 300
    slow_rounds = 10 if quick else 40
    out = tempfile.mkdtemp(prefix="bench-echo-")
    with server("dicomcore", out) as (ours, _), server("pynetdicom", out) as (theirs, _):
        ae = dicomcore.ApplicationEntity()

        def dicomcore_echo() -> int:
            for _ in range(rounds):
                with ae.associate("127.0.0.1", ours, contexts=[(VERIFICATION, [EXPLICIT])]) as a:
                    assert a.echo() == 0
            return rounds

        pae = AE()
        pae.add_requested_context(VERIFICATION)

        def pynetdicom_echo() -> int:
            for _ in range(slow_rounds):
                assoc = pae.associate("127.0.0.1", theirs)
                assert assoc.is_established and assoc.send_c_echo().Status == 0
                assoc.release()
            return slow_rounds

        result = measure("associate + C-ECHO + release", "round trips",
                         [Contender("dicomcore", dicomcore_echo),
                          Contender("pynetdicom", pynetdicom_echo)], 3)
    shutil.rmtree(out, ignore_errors=True)
    return result


def _store_small_workload(quick: bool) -> Result:
    from pynetdicom import AE

    count = 200 if quick else 1000
    base = Path(tempfile.mkdtemp(prefix="bench-store-"))
    files = _small_files(base / "in", count)
    results = {}
    with server("dicomcore", str(base / "a")) as (p1, _), \
            server("pynetdicom", str(base / "b")) as (p2, _), \
            server("dcmtk", str(base / "c")) as (p3, _):
        ae = dicomcore.ApplicationEntity()

        def ours() -> int:  # as ``dicomcore store`` does: up to 16 C-STOREs in flight
            with ae.associate("127.0.0.1", p1, contexts=[(SECONDARY_CAPTURE, [EXPLICIT])],
                              max_operations=(16, 1)) as a:
                for _, status in a.store_all(files):
                    assert status == 0
            return count

        def ours_one_at_a_time() -> int:  # no async window: each waits for the last
            with ae.associate("127.0.0.1", p1, contexts=[(SECONDARY_CAPTURE, [EXPLICIT])]) as a:
                for path in files:
                    assert a.store(path) == 0
            return count

        pae = AE()
        pae.add_requested_context(SECONDARY_CAPTURE, EXPLICIT)
        datasets = [__import__("pydicom").dcmread(p) for p in files]

        def theirs() -> int:
            assoc = pae.associate("127.0.0.1", p2)
            for ds in datasets:
                assert assoc.send_c_store(ds).Status == 0
            assoc.release()
            return len(datasets)

        def storescu() -> int:
            subprocess.run([dcmtk("storescu"), "-xe", "127.0.0.1", str(p3), *map(str, files)],
                           check=True, env=dict(os.environ, TCP_NODELAY="1"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return count

        contenders = [Contender("dicomcore", ours, os.sync),
                      Contender("dicomcore, one at a time", ours_one_at_a_time, os.sync),
                      Contender("DCMTK storescu", storescu, os.sync),
                      Contender("pynetdicom", theirs, os.sync)]
        result = measure(f"C-STORE {count} small instances, one association", "instances",
                         contenders, 3)
    shutil.rmtree(base, ignore_errors=True)
    return result


def _raw_copy_mb_s(size: int, into: Optional[Path] = None) -> float:
    """The reference: one Python socket sending ``size`` bytes from memory to another
    that receives them into a buffer and drops them (no file at either end), or,
    with ``into``, writes them to that new file as a storage SCP must."""
    payload = memoryview(bytearray(size))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    received = [0]
    if into is not None:
        into.unlink(missing_ok=True)
        os.sync()

    def sink() -> None:
        conn, _ = listener.accept()
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        out = open(into, "wb", buffering=0) if into is not None else None
        with conn:
            while True:
                n = conn.recv_into(buf)
                if not n:
                    break
                received[0] += n
                if out is not None:
                    out.write(view[:n])
        if out is not None:
            out.close()

    thread = threading.Thread(target=sink)
    thread.start()
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(payload)
    thread.join()
    elapsed = time.perf_counter() - start
    listener.close()
    return size / elapsed / 1e6


def _store_big(kind: str, port: int, big: Path, ae: "dicomcore.ApplicationEntity") -> None:
    if kind == "dicomcore":
        with ae.associate("127.0.0.1", port, contexts=[(SECONDARY_CAPTURE, [EXPLICIT])]) as a:
            assert a.store(big) == 0
    elif kind == "pynetdicom":
        from pynetdicom import AE

        pae = AE()
        pae.maximum_pdu_size = 131072
        pae.add_requested_context(SECONDARY_CAPTURE, EXPLICIT)
        assoc = pae.associate("127.0.0.1", port)
        assert assoc.send_c_store(str(big)).Status == 0
        assoc.release()
    else:
        subprocess.run([dcmtk("storescu"), "-xe", "127.0.0.1", str(port), str(big)],
                       check=True, env=dict(os.environ, TCP_NODELAY="1"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _store_large_workload(quick: bool) -> Result:
    size = (64 if quick else 256) << 20
    base = Path(tempfile.mkdtemp(prefix="bench-large-"))
    ds = dicomcore.Dataset()
    ds.SOPClassUID = SECONDARY_CAPTURE
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.10.1078.80"
    ds.PatientID = "BIG"
    ds.add(0x7FE00010, "OB", os.urandom(1 << 20) * (size >> 20))
    big = base / "big.dcm"
    dicomcore.write(big, ds)
    del ds
    result = Result(f"C-STORE one {size >> 20} MB instance", "MB", statistic="best of 3")
    ae = dicomcore.ApplicationEntity(max_pdu_length=1 << 20)

    def stored(kind: str, max_pdu: int) -> Callable[[], tuple[float, float]]:
        def once() -> tuple[float, float]:
            out = base / "out"
            with server(kind, str(out), max_pdu) as (port, proc):
                os.sync()
                start = time.perf_counter()
                _store_big(kind, port, big, ae)
                rate = size / (time.perf_counter() - start) / 1e6
                peak = peak_rss_mb(proc)
            shutil.rmtree(out, ignore_errors=True)
            return rate, peak
        return once

    def into_file() -> tuple[float, float]:
        rate = _raw_copy_mb_s(size, base / "raw.bin")
        (base / "raw.bin").unlink(missing_ok=True)
        return rate, float("nan")

    # dicomcore twice: with 1 MiB PDUs, where fewer PDUs mean fewer system calls per
    # megabyte, and with DCMTK's largest (128 KiB, what its storescp accepts at most).
    contenders: dict[str, Callable[[], tuple[float, float]]] = {
        "raw Python socket copy": lambda: (_raw_copy_mb_s(size), float("nan")),
        "raw copy into a file": into_file,
        "dicomcore": stored("dicomcore", 1 << 20),
        "dicomcore, 128 KiB PDUs": stored("dicomcore", 131072),
        "pynetdicom": stored("pynetdicom", 131072),
        "DCMTK storescu->storescp": stored("dcmtk", 131072),
    }
    # Three rounds, each contender once per round, the best kept: this VM has slow
    # phases lasting seconds, and rounds spread them over every contender alike.
    peaks: dict[str, float] = {}
    for _ in range(3):
        for name, once in contenders.items():
            rate, peak = once()
            result.rates[name] = max(result.rates.get(name, 0.0), rate)
            if peak == peak:  # not NaN: a server's
                peaks[name] = max(peaks.get(name, 0.0), peak)
    result.notes.extend(f"{name}: SCP peak RSS {peak:.0f} MB" for name, peak in peaks.items())
    raw, to_file = result.rates["raw Python socket copy"], result.rates["raw copy into a file"]
    result.notes.append(f"dicomcore / raw socket copy = {result.rates['dicomcore'] / raw:.2f}; "
                        f"/ raw copy into a file = {result.rates['dicomcore'] / to_file:.2f}")
    shutil.rmtree(base, ignore_errors=True)
    return result


def run(quick: bool = False) -> list[Result]:
    return [_echo_workload(quick), _store_small_workload(quick), _store_large_workload(quick)]
