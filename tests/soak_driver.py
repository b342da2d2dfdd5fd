"""The soak run behind tests/test_soak.py, also runnable alone for the full numbers:

    python tests/soak_driver.py --functions 2000 --distinct 2000 --calls 100000

compiles ``--functions`` C functions (``--distinct`` different kernels: the rest are cache
hits of the same graphs), calls them ``--calls`` times in all, checks every result against
NumPy, drops each function after its calls, and prints one JSON line: resident memory and
mapped kernel libraries after the warm-up tenth and at the end, and the time taken.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import nbgraph  # noqa: E402
import nbgraph.tensor as T  # noqa: E402
from nbgraph.compile.mode import Mode  # noqa: E402


def resident_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def mapped_libraries(compiledir: str) -> int:
    with open("/proc/self/maps") as f:
        return len({line.split()[-1] for line in f if compiledir in line})


def run(functions: int, distinct: int, calls: int, compiledir: str,
        progress: bool = False) -> dict:
    nbgraph.config.compiledir = compiledir
    x = T.dvector("x")
    value = np.linspace(-1.0, 1.0, 16)
    per_function = max(1, calls // functions)
    warm = max(1, functions // 10)
    start = time.perf_counter()
    made = 0
    report: dict = {}
    for k in range(functions):
        c = 1.0 + (k % distinct) / 7.0  # a constant folded into the kernel: one per graph
        f = nbgraph.function([x], T.exp(x) * c + T.sin(x * c), mode=Mode("c", "fast_run"))
        expected = np.exp(value) * c + np.sin(value * c)
        for _ in range(per_function):
            out = f(value)
            made += 1
        np.testing.assert_allclose(out, expected, rtol=1e-13)
        del f
        if k + 1 == warm:
            gc.collect()
            report["warm_rss_kib"] = resident_kib()
            report["warm_libraries"] = mapped_libraries(compiledir)
        if progress and (k + 1) % warm == 0:  # a line per tenth, for long runs
            print(json.dumps({"functions_done": k + 1, "rss_kib": resident_kib(),
                              "libraries": mapped_libraries(compiledir),
                              "seconds": round(time.perf_counter() - start, 1)}), flush=True)
    gc.collect()
    report.update(functions=functions, distinct=distinct, calls=made,
                  end_rss_kib=resident_kib(), end_libraries=mapped_libraries(compiledir),
                  seconds=round(time.perf_counter() - start, 1))
    report["rss_growth_kib"] = report["end_rss_kib"] - report["warm_rss_kib"]
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--functions", type=int, default=2000)
    parser.add_argument("--distinct", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=100000)
    parser.add_argument("--compiledir", default=None)
    parser.add_argument("--progress", action="store_true", help="print a line per tenth")
    args = parser.parse_args()
    compiledir = args.compiledir or nbgraph.config.compiledir
    print(json.dumps(run(args.functions, args.distinct, args.calls, compiledir,
                         args.progress)))


if __name__ == "__main__":
    main()
