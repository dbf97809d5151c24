"""What the tools say (issue #12 point 16), seen as a user sees it: separate processes,
DCMTK programs as the peers.  Servers print one line per association when it ends and
the path of each stored file; clients are silent but for results and errors by default,
say each step with ``-v`` and every PDU with ``--trace``; ``store``/``get``/``move`` draw a
live progress line on a terminal and print one summary line anywhere else; "listening"
is printed only once the port is bound; a port out of range is a usage error.

Servers on 127.0.0.1 only, ports chosen at run time, every process stopped by the test
that started it; every wait bounded."""
from __future__ import annotations

import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers

import dicomcore  # noqa: E402
from interop.netutil import (HOST, REPO, cli_env, dcmtk, dicom_files, dicomcore_cmd,  # noqa: E402
                             free_port, have_dcmtk, listening, make_instance, run)

needs_dcmtk = pytest.mark.skipif(not have_dcmtk(), reason="DCMTK is not installed")
CT_SMALL = REPO / "tests" / "data" / "ct_small.dcm"
_WHEN = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


def cli(*args, timeout: float = 60):
    return run(dicomcore_cmd(*args), env=cli_env(), timeout=timeout)


def wait_for_lines(log: Path, pattern: str, count: int = 1, timeout: float = 15.0) -> list[str]:
    """The lines of ``log`` matching ``pattern``, once there are ``count`` of them: a
    server prints its association line when the peer's close arrives, which may be a
    moment after the peer has exited."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in log.read_text(errors="replace").splitlines()
                 if re.search(pattern, line)]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def data_set_bytes(path: Path) -> int:
    """The bytes after the File Meta Information: what C-STORE carries (same syntax)."""
    raw = path.read_bytes()
    group_length = int.from_bytes(raw[140:144], "little")  # (0002,0000) UL, explicit LE
    return len(raw) - (144 + group_length)


def _files(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"img{number}.dcm"
        dicomcore.write(path, make_instance(number))
        paths.append(path)
    return paths


# --- servers: one line per association, each stored path ---------------------------------

@needs_dcmtk
def test_storescp_says_each_association_and_each_stored_file(tmp_path):
    """storescu, echoscu and echoscu --abort against ``dicomcore storescp``: a line each
    with time, peer, titles, contexts accepted of proposed, how it ended, instances and
    bytes, duration; and the final path of the stored file."""
    port, log, out = free_port(), tmp_path / "scp.log", tmp_path / "out"
    with listening(dicomcore_cmd("storescp", port, "--out", out, "--host", HOST, "--aet",
                                 "ARCHIVE"), port, log, env=cli_env()):
        store = run([dcmtk("storescu"), "-R", "-aet", "SENDER", "-aec", "ARCHIVE", HOST, port,
                     CT_SMALL])
        assert store.returncode == 0, store.stderr
        stored_line = wait_for_lines(log, r"SENDER -> ARCHIVE")
        echo = run([dcmtk("echoscu"), "-aet", "PINGER", "-aec", "ARCHIVE", HOST, port])
        assert echo.returncode == 0, echo.stderr
        aborted = run([dcmtk("echoscu"), "--abort", "-aet", "ABORTER", HOST, port])
        assert aborted.returncode == 0, aborted.stderr
        wait_for_lines(log, r"ABORTER")
    text = log.read_text(errors="replace")
    [stored] = dicom_files(out)
    assert f"stored {stored}" in text.splitlines(), text
    size = data_set_bytes(CT_SMALL)
    # storescu -R proposes the file's class in the syntaxes it can send: all accepted.
    assert re.fullmatch(rf"{_WHEN} association 127\.0\.0\.1:\d+ SENDER -> ARCHIVE: "
                        rf"(\d+) of \1 context\(s\) accepted; released; 1 instance\(s\), "
                        rf"{size} bytes; \d+\.\d\d s", stored_line[0]), stored_line
    [echo_line] = wait_for_lines(log, r"PINGER -> ARCHIVE")
    assert re.fullmatch(rf"{_WHEN} association 127\.0\.0\.1:\d+ PINGER -> ARCHIVE: 1 of 1 "
                        r"context\(s\) accepted; released; 0 instance\(s\), 0 bytes; "
                        r"C-ECHO 1; \d+\.\d\d s", echo_line), echo_line
    [abort_line] = wait_for_lines(log, r"ABORTER")
    assert "ABORTER -> ANY-SCP" in abort_line and "aborted by the peer (A-ABORT)" in abort_line
    # the wait_for_port probe (a connection with no A-ASSOCIATE-RQ) is not an association
    assert "connection 127.0.0.1" not in text, text
    assert "Traceback" not in text


@needs_dcmtk
def test_qrscp_says_each_association_with_its_requests(tmp_path):
    port, log, db = free_port(), tmp_path / "qr.log", tmp_path / "db"
    with listening(dicomcore_cmd("qrscp", port, "--db", db, "--host", HOST, "--aet",
                                 "ARCHIVE"), port, log, env=cli_env()):
        store = run([dcmtk("storescu"), "-aet", "SENDER", "-aec", "ARCHIVE", HOST, port,
                     CT_SMALL])
        assert store.returncode == 0, store.stderr
        find = run([dcmtk("findscu"), "-S", "-aet", "FINDER", "-aec", "ARCHIVE", "-k",
                    "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID", HOST, port])
        assert find.returncode == 0, find.stderr
        [find_line] = wait_for_lines(log, r"FINDER -> ARCHIVE")
        [store_line] = wait_for_lines(log, r"SENDER -> ARCHIVE")
    text = log.read_text(errors="replace")
    assert "qrscp ARCHIVE listening on 127.0.0.1:" in text
    [archived] = [p for p in dicom_files(db) if p.suffix == ".dcm"]
    assert f"stored {archived}" in text.splitlines(), text
    assert "; released; 1 instance(s), " in store_line, store_line
    assert re.search(r"; released; 0 instance\(s\), 0 bytes; C-FIND 1; \d+\.\d\d s$",
                     find_line), find_line


# --- "listening" only once bound; ports checked ------------------------------------------

@pytest.mark.parametrize("command", ["storescp", "qrscp"])
def test_port_in_use_is_an_error_and_never_listening(tmp_path, command):
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        where = ("--out", tmp_path / "o") if command == "storescp" else ("--db", tmp_path / "d")
        proc = cli(command, port, *where, "--host", HOST, timeout=30)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "listening" not in proc.stdout + proc.stderr
    assert proc.stderr.strip() == (f"dicomcore {command}: cannot listen on {HOST}:{port}: "
                                   "Address already in use"), proc.stderr
    assert "Traceback" not in proc.stderr and "Errno" not in proc.stderr


@pytest.mark.parametrize("args", [("storescp", "70000", "--out", "o"),
                                  ("qrscp", "65536", "--db", "d"),
                                  ("echo", HOST, "70000"), ("echo", HOST, "0"),
                                  ("store", HOST, "-1", "x.dcm"),
                                  ("find", HOST, "99999"), ("get", HOST, "http", "--out", "o"),
                                  ("move", HOST, "70000", "--dest", "X")])
def test_port_out_of_range_is_a_usage_error(tmp_path, args):
    proc = run(dicomcore_cmd(*args), env=cli_env(), timeout=30)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "usage: dicomcore" in proc.stderr and "argument port:" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_listen_port_zero_prints_the_bound_port(tmp_path):
    """Port 0: any free port; "listening" names the one bound (so it is usable)."""
    log = tmp_path / "scp.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(dicomcore_cmd("storescp", 0, "--out", tmp_path / "o",
                                              "--host", HOST), stdout=out,
                                stderr=subprocess.STDOUT, env=cli_env(), cwd=str(REPO))
        try:
            [line] = wait_for_lines(log, "listening on")
            port = int(re.search(r"listening on 127\.0\.0\.1:(\d+),", line)[1])
            assert port > 0
            echo = cli("echo", HOST, port, "--timeout", "10")
            assert echo.returncode == 0, echo.stderr
        finally:
            proc.terminate()
            proc.wait(10)


# --- clients: silent, -v, --trace ---------------------------------------------------------

@needs_dcmtk
def test_client_verbosity_levels(tmp_path):
    port = free_port()
    with listening([dcmtk("storescp"), "-aet", "STORESCP", "-od", tmp_path, port], port,
                   tmp_path / "dcmtk.log"):
        quiet = cli("echo", HOST, port, "--aec", "STORESCP", "--timeout", "10")
        verbose = cli("echo", HOST, port, "--aec", "STORESCP", "--timeout", "10", "-v",
                      "--repeat", "2")
        trace = cli("echo", HOST, port, "--aec", "STORESCP", "--timeout", "10", "--trace")
    for proc in (quiet, verbose, trace):
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == f"C-ECHO {HOST}:{port} STORESCP: success"
    assert quiet.stderr == ""
    lines = verbose.stderr.splitlines()
    assert lines == [
        f"dicomcore.ae: association with {HOST}:{port} (STORESCP) accepted: 1 of 1 "
        "presentation context(s)",
        "C-ECHO 1: 0000H Success", "C-ECHO 2: 0000H Success",
        f"dicomcore.ae: association with {HOST}:{port} released"], verbose.stderr
    assert "PDU-type" not in verbose.stderr
    assert "PDU-type: 01H (A-ASSOCIATE-RQ)" in trace.stderr
    assert "accepted: 1 of 1" in trace.stderr  # --trace says what -v says, and more
    assert len(trace.stderr.splitlines()) > 4 * len(lines)


@needs_dcmtk
def test_store_verbose_lists_each_file_default_does_not(tmp_path):
    port = free_port()
    files = _files(tmp_path / "send", 3)
    (tmp_path / "got").mkdir()
    with listening([dcmtk("storescp"), "-od", tmp_path / "got", port], port,
                   tmp_path / "dcmtk.log"):
        quiet = cli("store", HOST, port, *files, "--timeout", "20")
        verbose = cli("store", HOST, port, *files, "--timeout", "20", "-v")
    assert quiet.returncode == verbose.returncode == 0, (quiet.stderr, verbose.stderr)
    assert quiet.stderr == ""
    per_file = [line for line in verbose.stderr.splitlines() if line.startswith("[")]
    assert [line.split(" ", 1)[0] for line in per_file] == ["[1/3]", "[2/3]", "[3/3]"]


# --- progress: a summary line off a terminal, a live line on one -------------------------

def _summary_pattern(verb: str, done: int, total: int, failed: int = 0) -> str:
    return (rf"{verb} {done} of {total} file\(s\), {failed} failed; "
            r"[\d.]+ (bytes|kB|MB|GB) in \d+\.\d\d s, ([\d.]+ (bytes|kB|MB|GB)/s|-)")


@needs_dcmtk
def test_store_progress_is_one_summary_line_when_not_a_terminal(tmp_path):
    port = free_port()
    files = _files(tmp_path / "send", 4)
    total = sum(p.stat().st_size for p in files)
    with listening([dcmtk("storescp"), "-od", tmp_path, port], port, tmp_path / "d.log"):
        proc = cli("store", HOST, port, *files, "--timeout", "20")
    assert proc.returncode == 0, proc.stderr
    [line] = proc.stdout.splitlines()
    assert re.fullmatch(_summary_pattern("sent", 4, 4), line), line
    assert f" {total / 1000:.1f} kB in " in line, (line, total)
    assert "\r" not in proc.stdout and "\x1b" not in proc.stdout


def _run_on_a_terminal(args: list, timeout: float = 60.0) -> tuple[int, str]:
    """Run with stdout (and stderr) on a pseudo-terminal; all it wrote, and its status."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(args, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL,
                                env=cli_env(), cwd=str(REPO))
    finally:
        os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the last writer closed the terminal
                    data = b""
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        status = proc.wait(max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        os.close(master)
    return status, b"".join(chunks).decode(errors="replace")


@needs_dcmtk
def test_store_progress_is_a_live_line_on_a_terminal(tmp_path):
    port = free_port()
    files = _files(tmp_path / "send", 3)
    with listening([dcmtk("storescp"), "-od", tmp_path, port], port, tmp_path / "d.log"):
        status, text = _run_on_a_terminal(dicomcore_cmd("store", HOST, port, *files,
                                                        "--timeout", "20"))
    assert status == 0, text
    # drawn in place (carriage return, erase line), then replaced by the summary
    draws = text.split("\r\x1b[K")
    assert len(draws) >= 3, repr(text)  # at least one live line and the final one
    assert re.match(r"sent \d of 3 file\(s\), 0 failed; ", draws[1]), repr(text)
    final = draws[-1].strip()
    assert re.fullmatch(_summary_pattern("sent", 3, 3), final), repr(text)


@needs_dcmtk
def test_get_and_move_progress_summaries(tmp_path):
    """``get`` counts files and bytes received; ``move`` the peer's counts (the files
    go to the destination): one summary line each when stdout is not a terminal."""
    qport, dport = free_port(), free_port()
    db, dest, got = tmp_path / "db", tmp_path / "dest", tmp_path / "got"
    files = _files(tmp_path / "send", 2)
    study = str(dicomcore.read(files[0]).StudyInstanceUID)
    for path in files[1:]:  # one study
        ds = dicomcore.read(path)
        ds.StudyInstanceUID = study
        dicomcore.write(path, ds)
    with listening(dicomcore_cmd("storescp", dport, "--out", dest, "--host", HOST,
                                 "--aet", "DEST"), dport, tmp_path / "dest.log", env=cli_env()), \
            listening(dicomcore_cmd("qrscp", qport, "--db", db, "--host", HOST, "--aet", "QR",
                                    "--dest", f"DEST={HOST}:{dport}"), qport,
                      tmp_path / "qr.log", env=cli_env()):
        assert cli("store", HOST, qport, "--aec", "QR", *files).returncode == 0
        get = cli("get", HOST, qport, "--aec", "QR", "--out", got, "-k",
                  "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}")
        move = cli("move", HOST, qport, "--aec", "QR", "--dest", "DEST", "-k",
                   "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}")
    assert get.returncode == 0 and move.returncode == 0, (get.stderr, move.stderr)
    [line] = get.stdout.splitlines()
    assert re.fullmatch(_summary_pattern("received", 2, 2), line), line
    received = sum(p.stat().st_size for p in dicom_files(got))
    assert f" {received / 1000:.1f} kB in " in line, (line, received)
    [line] = move.stdout.splitlines()
    assert re.fullmatch(r"moved 2 of 2 file\(s\), 0 failed; \d+\.\d\d s, "
                        r"([\d.]+ file\(s\)/s|-)", line), line
    assert len(dicom_files(dest)) == 2
    assert "remaining" not in get.stderr + move.stderr  # pending counts: -v only


@needs_dcmtk
def test_an_association_refused_for_the_limit_has_its_line(tmp_path):
    port, log = free_port(), tmp_path / "scp.log"
    with listening(dicomcore_cmd("storescp", port, "--out", tmp_path / "o", "--host", HOST,
                                 "--max-associations", "1", "-v"), port, log, env=cli_env()):
        # listening() probed the port: that connection holds the one place until its end
        # is seen (-v says so), which on a loaded machine may be after HOLDER arrives
        assert wait_for_lines(log, "closed before an A-ASSOCIATE-RQ")
        ae = dicomcore.ApplicationEntity("HOLDER", acse_timeout=10, dimse_timeout=10)
        with ae.associate(HOST, port) as held:  # the one allowed, held open
            assert held.echo() == 0
            refused = run([dcmtk("echoscu"), "-aet", "LATECOMER", HOST, port])
            assert refused.returncode != 0
            [line] = wait_for_lines(log, r"association 127\.0\.0\.1:\d+ LATECOMER")
        wait_for_lines(log, r"association 127\.0\.0\.1:\d+ HOLDER")
    assert re.fullmatch(rf"{_WHEN} association 127\.0\.0\.1:\d+ LATECOMER -> ANY-SCP: 0 of 1 "
                        r"context\(s\) accepted; rejected: 1 association\(s\) already active "
                        r"\(local limit exceeded\); 0 instance\(s\), 0 bytes; \d+\.\d\d s",
                        line), line
    [held_line] = wait_for_lines(log, r"association 127\.0\.0\.1:\d+ HOLDER")
    assert "; released; " in held_line and "C-ECHO 1" in held_line


@needs_dcmtk
def test_storescp_verbose_adds_each_step(tmp_path):
    port, log = free_port(), tmp_path / "scp.log"
    with listening(dicomcore_cmd("storescp", port, "--out", tmp_path / "o", "--host", HOST,
                                 "-v"), port, log, env=cli_env()):
        echo = run([dcmtk("echoscu"), "-aet", "PINGER", HOST, port])
        assert echo.returncode == 0, echo.stderr
        [line] = wait_for_lines(log, r"association 127\.0\.0\.1:\d+ PINGER")
    text = log.read_text(errors="replace")
    assert re.search(r"dicomcore\.ae: association from PINGER \(127\.0\.0\.1:\d+\) accepted: "
                     r"1 of 1 presentation context\(s\)", text), text
    assert "PDU-type" not in text  # that is --trace
    # -v also shows connections that never asked for an association (the port probe)
    assert re.search(r"connection 127\.0\.0\.1:\d+: closed before an A-ASSOCIATE-RQ", text)


def test_an_idle_association_aborted_by_us_says_so(tmp_path):
    port, log = free_port(), tmp_path / "scp.log"
    with listening(dicomcore_cmd("storescp", port, "--out", tmp_path / "o", "--host", HOST,
                                 "--idle-timeout", "1"), port, log, env=cli_env()):
        ae = dicomcore.ApplicationEntity("IDLER", acse_timeout=10, dimse_timeout=10)
        assoc = ae.associate(HOST, port)
        try:
            lines = wait_for_lines(log, "IDLER")  # the server gives up on us after 1 s
        finally:
            assoc.abort()
    assert len(lines) == 1 and "; aborted by us: idle for 1 s; " in lines[0], lines
