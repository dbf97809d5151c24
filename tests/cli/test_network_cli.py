"""``dicomcore echo``, ``store`` and ``storescp`` as a user runs them: separate processes
(``python -m dicomcore``), exit status 0 on success, non-zero with a one-line reason on
failure, ``--trace`` output, progress and summary.  Servers on 127.0.0.1 only, ports
chosen at run time, every process and server stopped by the test that started it."""
from __future__ import annotations

import re
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers

import dicomcore  # noqa: E402
from interop.netutil import (EXPLICIT, HOST, IMPLICIT, assert_same, by_instance_uid,  # noqa: E402
                             cli_env, dicom_files, dicomcore_cmd, free_port, listening,
                             make_instance, run, serving)


def _ae(title="DICOMCORE"):
    return dicomcore.ApplicationEntity(title, acse_timeout=10, dimse_timeout=20,
                                       idle_timeout=20)


def cli(*args, timeout: float = 60):
    return run(dicomcore_cmd(*args), env=cli_env(), timeout=timeout)


def one_line_failure(proc, *words: str) -> str:
    """Non-zero status and exactly one line on stderr containing ``words``."""
    assert proc.returncode != 0, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.fixture
def scp(tmp_path):
    out = tmp_path / "out"
    with serving(_ae("ANY-SCP"), storage_dir=str(out)) as server:
        yield server.address[1], out


def _files(folder: Path, count: int, ts: str = EXPLICIT) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"img{number}.dcm"
        dicomcore.write(path, make_instance(number), transfer_syntax=ts)
        paths.append(path)
    return paths


# --- echo ---------------------------------------------------------------------------------

def test_echo_success(scp):
    port, _ = scp
    proc = cli("echo", HOST, port, "--timeout", "10", "--repeat", "2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"C-ECHO {HOST}:{port} ANY-SCP: success"
    assert proc.stderr == ""


def test_echo_nobody_listening():
    port = free_port()
    one_line_failure(cli("echo", HOST, port, "--timeout", "5"), "cannot connect",
                     f"{HOST}:{port}")


def test_echo_rejected_called_ae_title():
    ae = _ae("ARCHIVE")
    with serving(ae, policy=ae.policy(require_called_ae_title=True)) as server:
        line = one_line_failure(cli("echo", HOST, server.address[1], "--aec", "WRONG",
                                    "--timeout", "10"), "rejected")
        assert "called-AE-title-not-recognized" in line
        ok = cli("echo", HOST, server.address[1], "--aec", "ARCHIVE", "--timeout", "10")
        assert ok.returncode == 0, ok.stderr


def test_echo_tls_to_plain_server_fails_in_one_line(scp):
    port, _ = scp
    one_line_failure(cli("echo", HOST, port, "--tls", "--tls-no-verify", "--timeout", "5"),
                     "TLS")


def test_trace_prints_pdus_and_state_transitions(scp):
    port, _ = scp
    proc = cli("echo", HOST, port, "--trace", "--timeout", "10")
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr
    for pdu in ("A-ASSOCIATE-RQ", "A-ASSOCIATE-AC", "P-DATA-TF", "A-RELEASE-RQ",
                "A-RELEASE-RP"):
        assert pdu in err, f"{pdu} not traced:\n{err[:3000]}"
    assert "ANY-SCP" in err and "1.2.840.10008.1.1" in err  # fields: title, abstract syntax
    transitions = re.findall(r"(Sta\d+) --(Evt\d+)/([A-Z0-9-]+)--> (Sta\d+)", err)
    assert ("Sta1", "Evt1", "AE-1", "Sta4") in transitions, transitions
    assert any(t[0] == "Sta5" and t[3] == "Sta6" for t in transitions), transitions
    assert transitions[-1][3] == "Sta1", transitions
    assert "C-ECHO" not in proc.stdout.replace("C-ECHO " + HOST, "")  # trace is stderr only


# --- store --------------------------------------------------------------------------------

def test_store_recursive_progress_and_summary(scp, tmp_path):
    port, out = scp
    tree = tmp_path / "tree"
    sent = _files(tree, 2) + _files(tree / "sub" / "deeper", 2, IMPLICIT)
    proc = cli("store", HOST, port, "-r", tree, "--timeout", "20", "-v")
    assert proc.returncode == 0, proc.stderr
    progress = [line for line in proc.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 4, proc.stderr
    for number, line in enumerate(progress, 1):
        assert line.startswith(f"[{number}/4] ") and "Success" in line, line
    assert proc.stdout.strip().splitlines()[-1].startswith("sent 4 of 4 file(s), 0 failed; ")
    stored = by_instance_uid(dicom_files(out))
    for path in sent:
        assert_same(path, stored[str(dicomcore.read(path).SOPInstanceUID)])


def test_store_folder_without_recursive_sends_nothing(scp, tmp_path):
    port, _ = scp
    _files(tmp_path / "tree", 1)
    proc = cli("store", HOST, port, tmp_path / "tree", "--timeout", "10")
    assert proc.returncode != 0
    assert "use -r" in proc.stderr and "no files to send" in proc.stderr


def test_store_missing_file_fails_with_one_line(scp, tmp_path):
    port, _ = scp
    missing = tmp_path / "no-such-file.dcm"
    one_line_failure(cli("store", HOST, port, missing, "--timeout", "10"), "no-such-file.dcm")


def test_store_missing_file_among_others(scp, tmp_path):
    """One missing file among good ones: reported, the others still stored, status 1."""
    port, out = scp
    good = _files(tmp_path / "good", 2)
    missing = tmp_path / "no-such-file.dcm"
    proc = cli("store", HOST, port, good[0], missing, good[1], "--timeout", "10")
    assert proc.returncode != 0
    assert "no-such-file.dcm" in proc.stderr and "Traceback" not in proc.stderr
    assert len(dicom_files(out)) == 2, proc.stderr
    assert proc.stdout.strip().startswith("sent 2 of 3 file(s), 1 failed; ")


def test_store_not_dicom_file(scp, tmp_path):
    port, _ = scp
    junk = tmp_path / "junk.txt"
    junk.write_text("not a DICOM file\n" * 20)
    proc = cli("store", HOST, port, junk, "--timeout", "10")
    assert proc.returncode != 0 and "junk.txt" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_store_failure_status_counts_as_failed(tmp_path):
    with serving(_ae(), storage_dir=str(tmp_path / "o"),
                 on_store=lambda instance: 0xA700) as server:
        proc = cli("store", HOST, server.address[1], *_files(tmp_path / "f", 2),
                   "--timeout", "10")
    assert proc.returncode == 1
    assert proc.stderr.count("A700") == 2, proc.stderr
    assert proc.stdout.strip().startswith("sent 0 of 2 file(s), 2 failed; ")


def test_store_nobody_listening(tmp_path):
    [path] = _files(tmp_path, 1)
    one_line_failure(cli("store", HOST, free_port(), path, "--timeout", "5"),
                     "cannot connect")


# --- storescp -----------------------------------------------------------------------------

def test_storescp_process_receives_with_layout(tmp_path):
    out = tmp_path / "received"
    port = free_port()
    log = tmp_path / "storescp.log"
    with listening(dicomcore_cmd("storescp", port, "--out", out, "--host", HOST, "--layout",
                                 "patient", "--aet", "ARCHIVE", "-v"),
                   port, log, env=cli_env()):
        sent = _files(tmp_path / "send", 3)
        proc = cli("store", HOST, port, "--aec", "ARCHIVE", "--aet", "SENDER", *sent,
                   "--timeout", "20")
        assert proc.returncode == 0, proc.stderr
    for path in sent:
        ds = dicomcore.read(path)
        stored = out / ds.PatientID / f"{ds.SOPInstanceUID}.dcm"
        got = assert_same(path, stored)
        assert got.file_meta.get(0x00020016) == "SENDER"
    text = log.read_text(errors="replace")
    assert "listening" in text and text.count("stored") == 3, text


def test_storescp_port_in_use_fails_in_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = cli("storescp", port, "--out", tmp_path / "o", "--host", HOST, timeout=20)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("storescp ")]
    assert len(errors) == 1 and "in use" in errors[0], proc.stderr


def test_storescp_tls_needs_a_certificate(tmp_path):
    proc = cli("storescp", free_port(), "--out", tmp_path / "o", "--host", HOST, "--tls",
               timeout=20)
    assert proc.returncode != 0 and "--tls-cert" in proc.stderr
    assert "Traceback" not in proc.stderr
