"""The copies of the standard the tests read (tools/copy_standard.py) are all there and
are the standard's own text: beside the repository, where it is, byte for byte."""
from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("copy_standard", REPO / "tools" / "copy_standard.py")
copy_standard = importlib.util.module_from_spec(spec)
spec.loader.exec_module(copy_standard)


def test_every_file_the_tests_read_is_copied():
    for name in copy_standard.FILES:
        path = copy_standard.TARGET / name
        assert path.is_file() and path.stat().st_size > 1000, path


def test_copies_match_the_standard_beside_the_repository_where_it_is(tmp_path):
    # On a machine without ../shared the copies stand alone; with it, they must be current.
    if not copy_standard.DEFAULT_STANDARD.is_dir():  # the copies stand alone: well formed
        header = (copy_standard.TARGET / "data-elements.tsv").read_text().splitlines()
        assert any(line.startswith("tag\t") for line in header[:10]), header[:10]
        return
    copy_standard.copy(copy_standard.DEFAULT_STANDARD, tmp_path)
    for name in copy_standard.FILES:
        assert (tmp_path / name).read_bytes() == (copy_standard.TARGET / name).read_bytes(), name
