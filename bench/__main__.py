"""``python -m bench [WORKLOAD...] [--quick]``: run benchmarks, print rates and ratios."""
from __future__ import annotations

import argparse
import importlib
import sys

from .harness import report

WORKLOADS = {
    "import": "bench.workloads.import_time",
    "dataset": "bench.workloads.dataset_io",
    "rle": "bench.workloads.rle",
    "network": "bench.workloads.network",
    "qr": "bench.workloads.qr",
    "large": "bench.workloads.large_file",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("workloads", nargs="*", choices=[[], *WORKLOADS], default=[],
                        metavar="WORKLOAD", help=f"any of {', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="small inputs, few repeats")
    args = parser.parse_args(argv)
    for name in args.workloads or list(WORKLOADS):
        module = importlib.import_module(WORKLOADS[name])
        for result in module.run(quick=args.quick):
            print(report(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
