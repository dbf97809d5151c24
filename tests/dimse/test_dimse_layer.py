"""DESIGN.md for dimse: imports dataset, pdu and errors only; no sockets, threads, clocks, files."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "dicomcore"
ALLOWED = {"dicomcore", "dicomcore.dataset", "dicomcore.pdu", "dicomcore.errors", "dicomcore.dimse"}
FORBIDDEN = {"socket", "threading", "time", "select", "ssl", "selectors", "asyncio", "os",
             "io", "pathlib", "shutil", "tempfile", "numpy", "hypothesis", "pydicom", "pynetdicom"}
MODULES = sorted((PACKAGE / "dimse").glob("*.py"))


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against dicomcore.dimse
                base = ["dicomcore", "dimse"][:3 - node.level]
                found.add(".".join(base + ([node.module] if node.module else [])))
            else:
                found.add(node.module or "")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_imports(path):
    for name in _imports(path):
        if name.startswith("dicomcore"):
            assert ".".join(name.split(".")[:2]) in ALLOWED, f"{path.name} imports {name}"
        assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_file_access_and_small_modules(path):
    tree = ast.parse(path.read_text())
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert "open" not in names and "print" not in names
    assert len(path.read_text().splitlines()) < 500
