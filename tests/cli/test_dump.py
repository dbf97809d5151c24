"""``dicomcore dump``: text like dcmdump, offsets, exit status."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dicomcore.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"


def test_dump_shows_elements_nesting_and_offsets(capsys):
    assert main(["dump", str(DATA / "ct_small.dcm"), "--offsets"]) == 0
    out = capsys.readouterr().out
    assert "(0010,0010) PN [Müller^Jürgen]" in out
    assert "(0008,1140) SQ (Sequence #=1" in out
    assert "  (FFFE,E000) na (Item #1" in out
    # offsets: the first meta element starts right after the preamble and DICM
    assert any(line.split()[:2] == ["132", "(0002,0000)"] for line in out.splitlines())


def test_dump_of_a_bad_file_fails_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\x00")
    assert main(["dump", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.dcm" in err[0] and "offset" in err[0]


def test_python_dash_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "dicomcore", "dump",
                             str(DATA / "ct_small.dcm")], capture_output=True, text=True)
    assert result.returncode == 0 and "PixelData" in result.stdout
