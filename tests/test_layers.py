"""DESIGN.md's direction of imports, checked on the source with ast."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dicomcore"

# layer -> the dicomcore packages it may import besides itself and errors.
ALLOWED = {
    "dataset": set(),
    "codecs": {"dataset"},
    "pdu": set(),
    "dimse": {"dataset", "pdu"},
}
_NO_IO = {"socket", "threading", "time", "select", "ssl", "selectors", "asyncio"}
FORBIDDEN_STDLIB = {"pdu": _NO_IO, "dimse": _NO_IO}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module or "")
            else:
                # resolve relative imports against the file's package
                parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
                base = parts[:len(parts) - node.level]
                found.add(".".join(base + ((node.module,) if node.module else ())))
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_design_allows(layer):
    allowed = {"dicomcore." + name for name in ALLOWED[layer] | {layer, "errors"}} | {
        "dicomcore"}
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in _imports(path):
            if name.startswith("dicomcore"):
                top = ".".join(name.split(".")[:2])
                assert top in allowed, f"{path.name} imports {name}"
            assert name.split(".")[0] not in FORBIDDEN_STDLIB.get(layer, set()), \
                f"{path.name} imports {name}"
            if layer != "codecs":  # codecs import numpy inside functions only
                assert name.split(".")[0] not in ("numpy", "hypothesis", "pydicom"), \
                    f"{path.name} imports {name}"
        module_level = {n for node in ast.parse(path.read_text()).body
                        if isinstance(node, (ast.Import, ast.ImportFrom))
                        for n in ([a.name for a in node.names] if isinstance(node, ast.Import)
                                  else [node.module or ""])}
        assert not {n.split(".")[0] for n in module_level} & {"numpy", "hypothesis"}, \
            f"{path.name} imports numpy or hypothesis at module level"


def test_import_dicomcore_needs_the_standard_library_alone():
    probe = ("import sys, dicomcore, dicomcore.cli; "
             "print(sorted(m for m in ('numpy', 'hypothesis', 'pytest', 'pydicom', "
             "'pynetdicom') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
