"""DESIGN: dicomcore.pdu imports nothing of dicomcore but errors, and does no I/O or timekeeping."""
from __future__ import annotations

import ast
from pathlib import Path

PDU_DIR = Path(__file__).parents[2] / "dicomcore" / "pdu"
FORBIDDEN = {"socket", "threading", "time", "select", "selectors", "ssl", "asyncio", "os", "io",
             "pathlib", "shutil", "tempfile", "subprocess", "multiprocessing", "datetime",
             "hypothesis", "numpy"}
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval", "__import__"}


def _modules() -> list[Path]:
    files = sorted(PDU_DIR.glob("*.py"))
    assert files, PDU_DIR
    return files


def test_imports_follow_the_layering():
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level == 1:  # from .items import ...: inside dicomcore.pdu
                    continue
                assert node.level == 0, f"{path.name}: relative import outside dicomcore.pdu"
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in FORBIDDEN, f"{path.name} imports {name}"
                if top == "dicomcore":
                    assert name in ("dicomcore.errors",) or name.startswith("dicomcore.pdu"), \
                        f"{path.name} imports {name}"


def test_no_file_access_or_printing():
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls {node.func.id}"


def test_modules_stay_small():
    for path in _modules():
        assert len(path.read_text(encoding="utf-8").splitlines()) < 700, path.name
