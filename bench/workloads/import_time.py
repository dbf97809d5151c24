"""How long ``import X`` takes in a fresh interpreter, and what it drags in."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys

from ..harness import Result

_PROBE = ("import sys, time; t = time.perf_counter(); import {m}; "
          "d = time.perf_counter() - t; "
          "third = [n for n in ('numpy', 'pydicom', 'hypothesis', 'pytest') "
          "if n in sys.modules and n != '{m}']; print(d, ','.join(third))")


def import_seconds(module: str, repeats: int) -> tuple[float, str]:
    times, third = [], ""
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", _PROBE.format(m=module)],
                             capture_output=True, text=True, check=True).stdout.split()
        times.append(float(out[0]))
        third = out[1] if len(out) > 1 else ""
    return statistics.median(times), third


def run(quick: bool = False) -> list[Result]:
    # Installed packages carry bytecode (pip compiles them); an editable checkout may
    # not (PYTHONDONTWRITEBYTECODE), so compile first to compare like with like.
    import dicomcore

    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    os.path.dirname(dicomcore.__file__)], check=True, capture_output=True)
    repeats = 3 if quick else 9
    result = Result("import time", "imports")
    for module in ("dicomcore", "pydicom"):
        seconds, third = import_seconds(module, repeats)
        result.rates[module if module != "dicomcore" else "dicomcore"] = 1 / seconds
        result.notes.append(f"import {module}: {seconds * 1000:.1f} ms; third-party modules "
                            f"loaded: {third or 'none'}")
    return [result]
