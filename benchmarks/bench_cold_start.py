"""The first fit in a new process, with and without numba's on-disk cache.

Target: a fresh process with an empty numba cache fits 3,000 questions in
at most 3x the time of a fresh process that imports scikit-learn and fits
``LogisticRegression`` on them.

Every run is a new Python process, timed from its start to its exit by
this one; the data are read from ``.npy`` files so that no process pays
for the simulator. "Empty cache" points ``NUMBA_CACHE_DIR`` at a new, empty
folder, so numba compiles the kernel and writes it there; "warm cache"
reuses the folder of an earlier run, as every process after the first one
in an environment does. Rounds are interleaved. Numba's own compile events
(``numba.core.event``) say where an empty-cache fit's time goes.

Run: ``python -m benchmarks.bench_cold_start [--repeats 5]``
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._common import machine_line, print_table
from skfusion.datasets import make_squad2_scores

FIT_LR = """
import numpy as np
from sklearn.linear_model import LogisticRegression
X, y = np.load("{X}"), np.load("{y}")
LogisticRegression().fit(X, y)
"""

FIT_FUSION = """
import numpy as np
from skfusion import TorchLogisticFusion
X, y = np.load("{X}"), np.load("{y}")
TorchLogisticFusion(random_state=0).fit(X, y)
"""

# Where an empty-cache fit's time goes: numba's compile events, outermost
# dispatcher first, and the whole fit.
PROFILE_FUSION = """
import json, time
import numpy as np
from numba.core import event
from skfusion import TorchLogisticFusion
X, y = np.load("{X}"), np.load("{y}")
start = time.perf_counter()
with event.install_recorder("numba:compile") as compiles:
    with event.install_recorder("numba:llvm_lock") as llvm:
        TorchLogisticFusion(random_state=0).fit(X, y)
fit = time.perf_counter() - start

def total(recorder):
    starts, seconds = [], 0.0
    for ts, ev in recorder.buffer:
        if ev.is_start:
            starts.append(ts)
        else:
            begun = starts.pop()
            seconds += (ts - begun) if not starts else 0.0
    return seconds

print(json.dumps({{"fit": fit, "compile": total(compiles), "llvm": total(llvm)}}))
"""


def run_process(code, env):
    """Seconds from starting a Python process running `code` to its exit."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return seconds, out.stdout


def environment(cache_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env["NUMBA_CACHE_DIR"] = str(cache_dir)
    return env


def measure(folder, dtype, repeats):
    """Interleaved medians of the three kinds of fresh process."""
    X, y = make_squad2_scores(n_questions=3000, random_state=0)
    paths = {"X": folder / f"X_{dtype}.npy", "y": folder / "y.npy"}
    np.save(paths["X"], X.astype(dtype))
    np.save(paths["y"], y)
    warm_cache = folder / f"warm_{dtype}"
    kinds = {
        "lr": lambda: run_process(FIT_LR.format(**paths), environment(warm_cache)),
        "empty": lambda: run_process(
            FIT_FUSION.format(**paths),
            environment(tempfile.mkdtemp(dir=folder, prefix="empty_")),
        ),
        "warm": lambda: run_process(
            FIT_FUSION.format(**paths), environment(warm_cache)
        ),
    }
    times = {kind: [] for kind in kinds}
    for round_ in range(repeats + 1):  # round 0 warms the OS's file cache
        for kind, run in kinds.items():
            seconds, _ = run()
            if round_ > 0:
                times[kind].append(seconds)
    _, profile = run_process(
        PROFILE_FUSION.format(**paths),
        environment(tempfile.mkdtemp(dir=folder, prefix="empty_")),
    )
    return {k: float(np.median(v)) for k, v in times.items()}, json.loads(profile)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    rows, profile_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for dtype in ("float64", "float32"):
            times, profile = measure(Path(tmp), dtype, args.repeats)
            lr = times["lr"]
            rows.append(
                (
                    f"{dtype} X",
                    f"{lr:.2f}",
                    f"{times['empty']:.2f}",
                    f"{times['empty'] / lr:.2f}x",
                    f"{times['warm']:.2f}",
                    f"{times['warm'] / lr:.2f}x",
                )
            )
            profile_rows.append(
                (
                    f"{dtype} X",
                    f"{profile['fit']:.2f}",
                    f"{profile['compile']:.2f}",
                    f"{profile['llvm']:.2f}",
                )
            )
    print_table(
        "A fresh process fits 3,000 questions: LogisticRegression, and "
        f"TorchLogisticFusion with an empty or a warm numba cache (seconds "
        f"from process start to exit, median of {args.repeats} interleaved "
        "rounds after one warm-up round)",
        [
            "data",
            "LogisticRegression s",
            "empty cache s",
            "/ LogisticRegression",
            "warm cache s",
            "/ LogisticRegression",
        ],
        rows,
    )
    print_table(
        "Where the first fit's time goes with an empty cache (one process; "
        "numba's compile events)",
        ["data", "fit s", "numba compiling s", "of which LLVM s"],
        profile_rows,
    )
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
