"""Files written with ordinary permissions (issue #12 point 15): ``write``, ``convert``,
``storescp``, ``qrscp``, ``get`` and ``move`` create files as ``open()`` would, mode 0666
less the umask (0644 under 022, 0600 under 077; ``mkstemp``'s 0600 whatever the umask
was the fault), and a file replaced (``convert`` in place) keeps its mode.

Each process runs under the umask of the case (set in the child, so this process's
stays as it was); servers on 127.0.0.1, free ports, every process stopped."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared helpers

import dicomcore  # noqa: E402
from dicomcore.dataset.partfile import part_file  # noqa: E402
from interop.netutil import (HOST, cli_env, dcmtk, dicom_files, free_port,  # noqa: E402
                             have_dcmtk, leftovers, listening, make_instance, run)

CASES = [(0o022, 0o644), (0o077, 0o600), (0o027, 0o640)]
IDS = [f"umask{mask:03o}" for mask, _ in CASES]


def umasked(mask: int, *args: object) -> list[str]:
    """``python -m dicomcore ARGS`` run under ``umask mask``."""
    code = ("import os, sys; os.umask(int(sys.argv[1], 8)); from dicomcore.cli import main; "
            "sys.exit(main(sys.argv[2:]))")
    return [sys.executable, "-c", code, f"{mask:o}", *[str(a) for a in args]]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _instances(folder: Path, count: int, study: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        path = folder / f"img{number}.dcm"
        dicomcore.write(path, make_instance(number, study_uid=study))
        paths.append(path)
    return paths


@pytest.mark.parametrize("mask, expected", CASES, ids=IDS)
def test_write_honours_the_umask(tmp_path, mask, expected):
    target = tmp_path / "new.dcm"
    code = ("import os, sys, dicomcore; os.umask(int(sys.argv[1], 8)); "
            "from interop.netutil import make_instance; "
            "dicomcore.write(sys.argv[2], make_instance(1))")
    env = cli_env()
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1]) + os.pathsep + env["PYTHONPATH"]
    run([sys.executable, "-c", code, f"{mask:o}", target], env=env, check=True)
    assert mode(target) == expected
    assert not leftovers(tmp_path)


@pytest.mark.parametrize("kept", [0o640, 0o600, 0o604], ids=oct)
def test_write_over_a_file_keeps_its_mode(tmp_path, kept):
    """Whatever the umask: a file replaced keeps the mode it had, as writing into it
    would have (never wider, even for a moment: see part_file)."""
    target = tmp_path / "old.dcm"
    dicomcore.write(target, make_instance(1))
    os.chmod(target, kept)
    dicomcore.write(target, make_instance(2))
    assert mode(target) == kept
    assert dicomcore.read(target).InstanceNumber == 2


def test_part_file_never_wider_than_the_mode_it_keeps(tmp_path):
    fd, path = part_file(str(tmp_path), 0o600)
    try:
        assert stat.S_IMODE(os.fstat(fd).st_mode) == 0o600
    finally:
        os.close(fd)
        os.unlink(path)
    with pytest.raises(OSError) as caught:  # named by the folder, not a temporary name
        part_file(str(tmp_path / "missing"))
    assert caught.value.filename == str(tmp_path / "missing")


@pytest.mark.parametrize("mask, expected", CASES, ids=IDS)
def test_convert_honours_the_umask_and_in_place_keeps_the_mode(tmp_path, mask, expected):
    source = tmp_path / "in.dcm"
    dicomcore.write(source, make_instance(3))
    os.chmod(source, 0o640)
    run(umasked(mask, "convert", source, tmp_path / "out.dcm", "--ts", "implicit"),
        env=cli_env(), check=True)
    assert mode(tmp_path / "out.dcm") == expected
    tree = tmp_path / "tree"
    run(umasked(mask, "convert", tmp_path / "out.dcm", tree / "a" / "b.dcm", "--ts", "big"),
        env=cli_env(), check=True)
    assert mode(tree / "a" / "b.dcm") == expected
    run(umasked(mask, "convert", source, source, "--ts", "rle"), env=cli_env(), check=True)
    assert mode(source) == 0o640  # in place: the file's own mode, whatever the umask
    assert str(dicomcore.read(source).file_meta.TransferSyntaxUID) == "1.2.840.10008.1.2.5"
    assert not leftovers(tmp_path)


@pytest.mark.skipif(not have_dcmtk(), reason="DCMTK is not installed")
@pytest.mark.parametrize("mask, expected", CASES[:2], ids=IDS[:2])
def test_servers_and_retrieves_honour_the_umask(tmp_path, mask, expected):
    """storescp and qrscp (files from DCMTK's storescu), C-GET into a folder, and C-MOVE
    to a storescp: every file written has 0666 less that process's umask."""
    sport, qport, dport = free_port(), free_port(), free_port()
    out, db, got, dest = (tmp_path / n for n in ("out", "db", "got", "dest"))
    study = dicomcore.generate_uid()
    files = _instances(tmp_path / "send", 2, study)
    env = cli_env()
    with listening(umasked(mask, "storescp", sport, "--out", out, "--host", HOST), sport,
                   tmp_path / "s.log", env=env), \
            listening(umasked(mask, "storescp", dport, "--out", dest, "--host", HOST,
                              "--aet", "DEST"), dport, tmp_path / "d.log", env=env), \
            listening(umasked(mask, "qrscp", qport, "--db", db, "--host", HOST, "--aet", "QR",
                              "--dest", f"DEST={HOST}:{dport}"), qport, tmp_path / "q.log",
                      env=env):
        for port, aec in ((sport, "ANY-SCP"), (qport, "QR")):
            sent = run([dcmtk("storescu"), "-aec", aec, HOST, port, *files])
            assert sent.returncode == 0, sent.stderr
        keys = ("-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}")
        run(umasked(mask, "get", HOST, qport, "--aec", "QR", "--out", got, *keys), env=env,
            check=True)
        run(umasked(mask, "move", HOST, qport, "--aec", "QR", "--dest", "DEST", *keys),
            env=env, check=True)
    written = {"storescp": dicom_files(out), "get": dicom_files(got),
               "move (at its storescp)": dicom_files(dest),
               "qrscp": [p for p in dicom_files(db) if p.suffix == ".dcm"]}
    for where, paths in written.items():
        assert len(paths) == 2, (where, paths)
        assert {mode(p) for p in paths} == {expected}, (where, [oct(mode(p)) for p in paths])
