"""Fit time and peak memory of TorchLogisticFusion from 10^3 to 10^7 rows.

Target: from 10^5 to 10^7 rows the time grows at most about
linearly (at most 120x for 100x the rows), peak memory at 10^7 rows
stays under 2.5 GB, and what a fit holds beyond X (the peak resident set
during the fit less the resident set before it) is at most 1.5x X, in
float64 and in float32.

Each size runs in a fresh process. Peak memory is that process's peak
resident set size during the fit (data, torch and Python included): Linux's
VmHWM, reset just before the fit by writing 5 to /proc/self/clear_refs.
The default engine is measured: the fused numba kernel, on one thread;
with ``--device cuda``, the torch engine on that device, whose peak memory
(torch's allocator, ``torch.cuda.max_memory_allocated``) is reported too.

Run: ``python -m benchmarks.bench_scaling [--max-rows 10000000] [--device cuda]``
"""

import argparse
import json
import subprocess
import sys

from benchmarks._common import machine_line, print_table

CHILD = """
import json, sys
import numpy as np
from benchmarks._common import median_seconds, memory_mib, reset_peak_memory
from skfusion import TorchLogisticFusion
from skfusion.datasets import make_squad2_scores

n, repeats, device = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
dtype = sys.argv[4]
X, y = make_squad2_scores(n_questions=n, random_state=0)
X = X.astype(dtype)
# A small fit first, of the same dtype, so that no measured fit pays for
# importing numba or torch, compiling or loading the kernel or starting CUDA.
TorchLogisticFusion(n_restarts=1, n_steps=2, device=device).fit(X[:50], y[:50])
est = TorchLogisticFusion(random_state=0, device=device)

before = memory_mib("VmRSS")
reset_peak_memory()
warmup = 1 if n <= 10**6 else 0
if device != "cpu":
    import torch
    torch.cuda.reset_peak_memory_stats()
seconds = median_seconds(lambda: est.fit(X, y), repeats=repeats, warmup=warmup)
result = {"seconds": seconds, "rss_before": before, "peak": memory_mib("VmHWM")}
result["x_over_X"] = (result["peak"] - before) * 2**20 / X.nbytes
if device != "cpu":
    result["device_peak"] = torch.cuda.max_memory_allocated() / 2**20
print(json.dumps({**result, "accuracy": est.best_score_}))
"""


def measure(n_rows, repeats, device, dtype):
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(n_rows), str(repeats), device, dtype],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.splitlines()[-1])


def _rows(results, repeats, on_device):
    """One table row per size and dtype; growth is relative to 10^5 rows."""
    rows = []
    for (n, dtype), r in results.items():
        base = results.get((10**5, dtype))
        growth = f"{r['seconds'] / base['seconds']:.1f}x" if base and n >= 10**5 else ""
        row = [f"{n:,}", dtype, f"{r['seconds']:.3f}", growth]
        row += [f"{r['rss_before']:.0f}", f"{r['peak']:.0f}", f"{r['x_over_X']:.2f}"]
        if on_device:
            row.append(f"{r['device_peak']:.0f}")
        rows.append((*row, f"{r['accuracy']:.4f}", repeats[n]))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-rows", type=int, default=10**7)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    sizes = [n for n in (10**3, 10**4, 10**5, 10**6, 10**7) if n <= args.max_rows]
    # Medians of 5 up to 10^5 rows; the large sizes take tens of seconds a
    # fit, where run-to-run noise is small against the time itself.
    repeats = {10**3: 5, 10**4: 5, 10**5: 5, 10**6: 3, 10**7: 1}
    results = {
        (n, dtype): measure(n, repeats[n], args.device, dtype)
        for dtype in ("float64", "float32")
        for n in sizes
    }
    on_device = args.device != "cpu"
    header = ["rows", "X", "fit s (median)", "time / time at 10^5"]
    header += ["RSS before fit MiB", "peak RSS during fit MiB", "(peak - before) / X"]
    if on_device:
        header.append(f"peak {args.device} memory MiB")
    engine = f"torch engine on {args.device}" if on_device else "numba engine"
    print_table(
        f"TorchLogisticFusion.fit scaling (4 features, defaults, {engine})",
        [*header, "training accuracy", "runs"],
        _rows(results, repeats, on_device),
    )
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
