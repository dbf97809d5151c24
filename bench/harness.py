"""Timing: contenders run interleaved, repeated, and compared by their medians.

Interleaving (A B A B ... rather than A A A B B B) spreads machine noise over
every contender alike; the median of the repeats discards outliers.  Results
are reported as rates and as ratios to the reference contender (dicomcore).
"""
from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass
class Contender:
    name: str
    run: Callable[[], int]  # does the work once; returns the number of units done
    setup: Optional[Callable[[], None]] = None


@dataclass
class Result:
    workload: str
    unit: str
    rates: dict = field(default_factory=dict)  # contender -> units per second
    notes: list = field(default_factory=list)
    statistic: str = "median"  # of the repeats, what ``rates`` holds

    def ratios(self, reference: str = "dicomcore") -> dict:
        base = self.rates.get(reference)
        return {name: (base / rate if rate else float("inf")) for name, rate in
                self.rates.items() if base is not None and name != reference}


def measure(workload: str, unit: str, contenders: list[Contender], repeats: int = 5) -> Result:
    samples: dict[str, list[float]] = {c.name: [] for c in contenders}
    for _ in range(repeats):
        for contender in contenders:
            if contender.setup:
                contender.setup()
            gc.collect()
            start = time.perf_counter()
            units = contender.run()
            elapsed = time.perf_counter() - start
            samples[contender.name].append(units / elapsed if elapsed > 0 else float("inf"))
    result = Result(workload, unit)
    for name, rates in samples.items():
        result.rates[name] = statistics.median(rates)
    return result


def report(result: Result, reference: str = "dicomcore") -> str:
    lines = [f"== {result.workload} ({result.unit}/s, {result.statistic}) =="]
    base = result.rates.get(reference)
    for name, rate in sorted(result.rates.items(), key=lambda kv: -kv[1]):
        ratio = f"  dicomcore is {base / rate:5.2f}x" if base and name != reference else ""
        lines.append(f"  {name:<24} {rate:12.1f}{ratio}")
    lines += [f"  note: {note}" for note in result.notes]
    return "\n".join(lines)
