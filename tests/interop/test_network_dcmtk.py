"""dicomcore's network stack against DCMTK's echoscu, storescu and storescp.

Both directions, every transfer syntax storescu can be asked to propose for the files
we make (implicit, explicit, big endian, deflated, RLE, JPEG Baseline stored untouched),
a folder sent recursively, and TLS.  Every stored instance is read back and compared
with what was sent, value by value, pixel bytes by hash.

DCMTK's programs are called by their full path: pynetdicom installs wrapper scripts
named echoscu/storescu/storescp that may come first on PATH.
"""
from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest

import dicomcore
from dicomcore.transport import client_context, server_context

from .netutil import (BIG, CT, DEFLATED, EXPLICIT, HOST, IMPLICIT, JPEG_BASELINE, MR, RLE,
                      assert_same, by_instance_uid, cli_env, dcmtk, dicom_files,
                      dicomcore_cmd, encapsulated_instance, free_port, have_dcmtk, leftovers,
                      listening, make_certificates, make_instance, run, serving)

pytestmark = pytest.mark.skipif(not have_dcmtk(), reason="DCMTK is not installed")

TIMEOUTS = ["-to", "10", "-ta", "10", "-td", "20"]


def _write(folder: Path, name: str, ds, ts: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    dicomcore.write(path, ds, transfer_syntax=ts)
    return path


def _rle_file(folder: Path, number: int) -> Path:
    """An RLE Lossless file made by DCMTK's dcmcrle from one of ours."""
    plain = _write(folder / "plain", f"plain{number}.dcm", make_instance(number, seed=7),
                   EXPLICIT)
    out = folder / f"rle{number}.dcm"
    run([dcmtk("dcmcrle"), plain, out], check=True)
    assert str(dicomcore.read(out).file_meta.get(0x00020010)) == RLE
    return out


def _files(folder: Path, ts: str, count: int = 2) -> list[Path]:
    if ts == RLE:
        return [_rle_file(folder, n) for n in range(count)]
    if ts == JPEG_BASELINE:
        return [_write(folder, f"jpeg{n}.dcm", encapsulated_instance(
            n, [b"\xff\xd8 frame %d \xff\xd9" % n, b"second fragment" + bytes([n])]), ts)
            for n in range(count)]
    return [_write(folder, f"f{n}.dcm", make_instance(n, sop_class=MR if n % 2 else
                                                     "1.2.840.10008.5.1.4.1.1.2"), ts)
            for n in range(count)]


def _storescu(port: int, *args) -> subprocess.CompletedProcess:
    """storescu with ``args`` (options as strings, files and folders as Paths)."""
    proc = run([dcmtk("storescu"), *TIMEOUTS, "-aec", "DICOMCORE", *_options(args), HOST,
                str(port), *_paths(args)], timeout=90)
    assert proc.returncode == 0, (proc.args, proc.stdout[-3000:], proc.stderr[-3000:])
    assert "E:" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


def _options(args) -> list[str]:
    return [str(a) for a in args if not isinstance(a, Path)]


def _paths(args) -> list[str]:
    return [str(a) for a in args if isinstance(a, Path)]


def _check_stored(sent: list[Path], out: Path, ts_of=lambda path: None) -> None:
    stored = by_instance_uid(dicom_files(out))
    assert len(stored) == len(sent), (sorted(stored), sent)
    for path in sent:
        uid = str(dicomcore.read(path, stop_before_pixels=True).SOPInstanceUID)
        assert uid in stored, f"{path} ({uid}) was not stored"
        assert_same(path, stored[uid], transfer_syntax=ts_of(path))
    assert not leftovers(out), leftovers(out)


# --- DCMTK as requestor, dicomcore as acceptor --------------------------------------------

@pytest.fixture
def scp(tmp_path):
    """An in-process dicomcore Storage SCP: (port, output folder)."""
    out = tmp_path / "received"
    ae = dicomcore.ApplicationEntity("DICOMCORE", acse_timeout=10, idle_timeout=20)
    with serving(ae, storage_dir=str(out)) as server:
        yield server.address[1], out


@pytest.fixture
def cli_scp(tmp_path):
    """``python -m dicomcore storescp`` as a process: (port, output folder)."""
    out = tmp_path / "received-cli"
    port = free_port()
    with listening(dicomcore_cmd("storescp", port, "--out", out, "--host", HOST,
                                 "--timeout", "20"),
                   port, tmp_path / "storescp.log", env=cli_env()) as proc:
        yield port, out
        assert proc.poll() is None, "storescp died while serving"


def test_echoscu_against_storescp_process(cli_scp):
    port, _ = cli_scp
    proc = run([dcmtk("echoscu"), *TIMEOUTS, "-v", "-aec", "DICOMCORE", HOST, port,
                "--repeat", "3"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("Received Echo Response (Success)") == 3, proc.stderr


def test_echoscu_against_in_process_server(scp):
    port, _ = scp
    proc = run([dcmtk("echoscu"), *TIMEOUTS, "-v", HOST, port])
    assert proc.returncode == 0 and "Received Echo Response (Success)" in proc.stderr, \
        proc.stderr


def test_storescu_folder_to_storescp_process(cli_scp, tmp_path):
    """storescu +sd +r of a folder tree, mixed syntaxes, to the storescp command."""
    port, out = cli_scp
    tree = tmp_path / "tree"
    sent = _files(tree / "a", EXPLICIT, 3) + _files(tree / "b" / "c", IMPLICIT, 2)
    _storescu(port, "+sd", "+r", "-xe", tree)
    stored = by_instance_uid(dicom_files(out))
    assert len(stored) == len(sent)
    for path in sent:
        assert_same(path, stored[str(dicomcore.read(path).SOPInstanceUID)])


# option, file syntax, syntax expected on the wire (and so in the stored file)
STORESCU_CASES = [
    ("-xi", IMPLICIT, IMPLICIT),
    ("-xe", EXPLICIT, EXPLICIT),
    ("-xb", BIG, BIG),
    ("-xd", DEFLATED, DEFLATED),
    ("-xr", RLE, RLE),
    ("-xy", JPEG_BASELINE, JPEG_BASELINE),
    ("-xi", EXPLICIT, IMPLICIT),  # storescu converts: only implicit was proposed
]


@pytest.mark.parametrize("option,file_ts,wire_ts", STORESCU_CASES,
                         ids=[f"{o}-{f.rsplit('.', 1)[-1]}" for o, f, _ in STORESCU_CASES])
def test_storescu_transfer_syntaxes(scp, tmp_path, option, file_ts, wire_ts):
    port, out = scp
    sent = _files(tmp_path / "send", file_ts, 2)
    proc = _storescu(port, "-v", option, *sent)
    assert proc.stderr.count("Received Store Response (Success)") == 2, proc.stderr
    _check_stored(sent, out, lambda path: wire_ts)


def test_storescu_large_instance_and_small_pdu(scp, tmp_path):
    """A 4 MB instance in 4 KB PDUs (storescu --max-send-pdu)."""
    port, out = scp
    path = _write(tmp_path, "big.dcm", make_instance(1, rows=1024, columns=2048), EXPLICIT)
    _storescu(port, "--max-send-pdu", "4096", "-xe", path)
    _check_stored([path], out, lambda p: EXPLICIT)


# --- dicomcore as requestor, DCMTK as acceptor --------------------------------------------

@pytest.fixture
def dcmtk_scp(tmp_path):
    """DCMTK's storescp accepting every syntax: (port, output folder).

    (storescp 3.6.7 has no option to bind one address; we only ever connect to 127.0.0.1.)
    """
    out = tmp_path / "dcmtk-received"
    out.mkdir()
    port = free_port()
    with listening([dcmtk("storescp"), "-v", "+xa", "-ta", "10", "-td", "20", "-aet",
                    "STORESCP", "-od", out, port], port, tmp_path / "dcmtk-storescp.log"):
        yield port, out


def test_dicomcore_echo_to_dcmtk_storescp(dcmtk_scp):
    port, _ = dcmtk_scp
    proc = run(dicomcore_cmd("echo", HOST, port, "--aec", "STORESCP", "--timeout", "10",
                             "--repeat", "2"), env=cli_env())
    assert proc.returncode == 0, proc.stderr
    assert "success" in proc.stdout


def test_dicomcore_store_files_to_dcmtk_storescp(dcmtk_scp, tmp_path):
    port, out = dcmtk_scp
    sent = (_files(tmp_path / "i", IMPLICIT, 2) + _files(tmp_path / "e", EXPLICIT, 2)
            + _files(tmp_path / "b", BIG, 1) + _files(tmp_path / "d", DEFLATED, 1)
            + _files(tmp_path / "r", RLE, 1) + _files(tmp_path / "j", JPEG_BASELINE, 1))
    proc = run(dicomcore_cmd("store", HOST, port, "--aec", "STORESCP", "--timeout", "20",
                             *sent), env=cli_env(), timeout=90)
    assert proc.returncode == 0, proc.stderr
    assert f"sent {len(sent)} of {len(sent)}" in proc.stdout, proc.stdout
    # each file went in its own syntax (storescp writes what it received: +t= default)
    _check_stored(sent, out, lambda path: str(dicomcore.read(
        path, stop_before_pixels=True).file_meta.get(0x00020010)))


def test_dicomcore_store_folder_recursive_to_dcmtk_storescp(dcmtk_scp, tmp_path):
    port, out = dcmtk_scp
    tree = tmp_path / "tree"
    sent = _files(tree, EXPLICIT, 2) + _files(tree / "x" / "y", IMPLICIT, 2)
    proc = run(dicomcore_cmd("store", HOST, port, "--aec", "STORESCP", "--timeout", "20",
                             "-r", tree, "-v"), env=cli_env(), timeout=90)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("Success") == len(sent), proc.stderr  # -v: a line per file
    _check_stored(sent, out)


def test_dicomcore_api_store_datasets_to_dcmtk(dcmtk_scp):
    """Association.store(Dataset) with default contexts: encoded in an accepted syntax."""
    port, out = dcmtk_scp
    ae = dicomcore.ApplicationEntity("APIUSER", acse_timeout=10, dimse_timeout=20)
    sent = [make_instance(n) for n in range(3)]
    with ae.associate(HOST, port, ae_title="STORESCP") as assoc:
        assert assoc.echo() == 0
        for ds in sent:
            assert assoc.store(ds) == 0
    stored = by_instance_uid(dicom_files(out))
    for ds in sent:
        assert_same(ds, stored[str(ds.SOPInstanceUID)])


# --- TLS ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("pki"))


def test_dcmtk_build_has_tls():
    """This DCMTK was built with OpenSSL: the TLS tests below must run, not skip."""
    proc = run([dcmtk("echoscu"), "--version"])
    assert "OpenSSL" in proc.stdout, proc.stdout
    assert "+tls" in run([dcmtk("echoscu"), "--help"]).stdout


def test_echoscu_tls_against_storescp_process(certs, tmp_path):
    """echoscu +tls (client certificate, server verified against our CA) against
    ``dicomcore storescp --tls`` requiring client certificates."""
    out = tmp_path / "tls-out"
    port = free_port()
    with listening(dicomcore_cmd("storescp", port, "--out", out, "--host", HOST, "--tls",
                                 "--tls-cert", certs["server.pem"], "--tls-key",
                                 certs["server.key"], "--tls-ca", certs["ca.pem"]),
                   port, tmp_path / "tls.log", env=cli_env()):
        ok = run([dcmtk("echoscu"), *TIMEOUTS, "-v", "+tls", certs["client.key"],
                  certs["client.pem"], "+cf", certs["ca.pem"], HOST, port])
        assert ok.returncode == 0 and "Received Echo Response (Success)" in ok.stderr, \
            ok.stderr
        # storescu over the same TLS: an instance arrives intact
        path = _write(tmp_path / "send", "tls.dcm", make_instance(3), EXPLICIT)
        store = run([dcmtk("storescu"), *TIMEOUTS, "+tls", certs["client.key"],
                     certs["client.pem"], "+cf", certs["ca.pem"], HOST, port, path])
        assert store.returncode == 0, store.stderr
        _check_stored([path], out)
        # no client certificate: the server requires one, the association fails
        anon = run([dcmtk("echoscu"), *TIMEOUTS, "+tla", "-ic", HOST, port])
        assert anon.returncode != 0


def test_dicomcore_tls_echo_and_store_to_dcmtk(certs, tmp_path):
    """``dicomcore echo/store --tls`` against DCMTK storescp +tls verifying our client
    certificate; and a server certificate from an unknown CA is refused."""
    out = tmp_path / "dcmtk-tls"
    out.mkdir()
    port = free_port()
    with listening([dcmtk("storescp"), "-v", "+xa", "-ta", "10", "-td", "20", "+tls",
                    certs["server.key"], certs["server.pem"], "+cf", certs["ca.pem"],
                    "-od", out, port], port, tmp_path / "dcmtk-tls.log"):
        tls = ["--tls", "--tls-ca", certs["ca.pem"], "--tls-cert", certs["client.pem"],
               "--tls-key", certs["client.key"], "--timeout", "10"]
        echo = run(dicomcore_cmd("echo", HOST, port, *tls), env=cli_env())
        assert echo.returncode == 0, echo.stderr
        path = _write(tmp_path / "send", "tls.dcm", make_instance(4), EXPLICIT)
        store = run(dicomcore_cmd("store", HOST, port, *tls, path), env=cli_env())
        assert store.returncode == 0, store.stderr
        _check_stored([path], out)
        # verifying the server against a CA that did not sign it fails with one line
        other = make_certificates(tmp_path / "other-pki")
        bad = run(dicomcore_cmd("echo", HOST, port, "--tls", "--tls-ca", other["ca.pem"],
                                "--tls-cert", certs["client.pem"], "--tls-key",
                                certs["client.key"], "--timeout", "10"), env=cli_env())
        assert bad.returncode != 0
        assert len(bad.stderr.strip().splitlines()) == 1 and "TLS" in bad.stderr, bad.stderr


def test_in_process_tls_server_with_dcmtk_echoscu(certs):
    """ae.serve(tls=...) in process, DCMTK echoscu +tls without a client certificate
    check on our side (server not asking for one)."""
    ae = dicomcore.ApplicationEntity("TLSSCP", acse_timeout=10, idle_timeout=20)
    context = server_context(certs["server.pem"], certs["server.key"])
    with serving(ae, tls=context, handlers={}) as server:
        proc = run([dcmtk("echoscu"), *TIMEOUTS, "-v", "+tla", "+cf", certs["ca.pem"], HOST,
                    server.address[1]])
        assert proc.returncode == 0, proc.stderr
        # and our own client verifying the server against the CA
        client = client_context(cafile=certs["ca.pem"])
        assert isinstance(client, ssl.SSLContext)
        with dicomcore.ApplicationEntity().associate(HOST, server.address[1],
                                                     tls=client) as assoc:
            assert assoc.echo() == 0


# --- large instances: file regions out, values delivered to the file in ------------------

def test_large_instances_both_ways_with_dcmtk(tmp_path):
    """A 2 MiB instance from DCMTK storescu to our storescp (its fragments go from the
    socket to the file as they arrive), and from ``dicomcore store`` (the file read
    a piece at a time as it is sent) to DCMTK storescp: both stored intact."""
    path = _write(tmp_path / "send", "large.dcm", make_instance(5, rows=1024, columns=1024),
                  EXPLICIT)
    ours = tmp_path / "ours"
    port = free_port()
    with listening(dicomcore_cmd("storescp", port, "--out", ours, "--host", HOST),
                   port, tmp_path / "ours.log", env=cli_env()):
        store = run([dcmtk("storescu"), *TIMEOUTS, "--max-send-pdu", "131072", HOST, port,
                     path])
        assert store.returncode == 0, store.stderr
        _check_stored([path], ours)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    port = free_port()
    with listening([dcmtk("storescp"), "+xa", "--max-pdu", "131072", "-od", theirs, port],
                   port, tmp_path / "theirs.log"):
        store = run(dicomcore_cmd("store", HOST, port, "--timeout", "20", path),
                    env=cli_env())
        assert store.returncode == 0, store.stderr
        _check_stored([path], theirs)


def test_large_instance_over_tls(certs, tmp_path):
    """Over TLS the file is read a piece at a time and received without splice;
    what arrives is still what was sent."""
    path = _write(tmp_path / "send", "large-tls.dcm",
                  make_instance(6, rows=1024, columns=512), EXPLICIT)
    out = tmp_path / "tls-large"
    out.mkdir()
    ae = dicomcore.ApplicationEntity("TLSSCP", acse_timeout=10, idle_timeout=20)
    context = server_context(certs["server.pem"], certs["server.key"])
    with serving(ae, tls=context, storage_dir=str(out)) as server:
        client = client_context(cafile=certs["ca.pem"])
        with dicomcore.ApplicationEntity(max_pdu_length=65536).associate(
                HOST, server.address[1], tls=client,
                contexts=[(CT, [EXPLICIT])]) as assoc:
            assert assoc.store(path) == 0
    _check_stored([path], out)
