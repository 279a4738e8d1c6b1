"""The torch engine's work-buffer size on a device, against fit time.

The torch engine walks the rows in chunks whose ``(n_restarts, rows)``
work buffers hold a fixed number of bytes. On the CPU 1 MiB keeps a chunk
in cache (`_batched_sgd.WORK_BUFFER_BYTES`); on a GPU every chunk costs
kernel launches at every step, so the chunks there are larger
(`_batched_sgd.DEVICE_WORK_BUFFER_BYTES`). This measures the engine with
the default schedule (20 restarts, 100 steps) for several buffer sizes.

Run: ``python -m benchmarks.bench_device_buffer --device cuda``
"""

import argparse

import numpy as np
import torch

from benchmarks._common import machine_line, median_seconds, print_table
from skfusion._solvers._common import _linear_init_parameters
from skfusion._solvers._torch import (
    DEVICE_WORK_BUFFER_BYTES,
    _chunk_rows,
    _run_batched_sgd,
)
from skfusion.datasets import make_squad2_scores

BUFFER_MIB = (1, 16, 64, 256, 1024)
ROWS = (10**5, 10**6, 10**7)


def _fit_seconds(X, y, device, buffer_bytes, repeats):
    n_restarts = 20
    init = _linear_init_parameters(np.random.RandomState(0), X.shape[1], n_restarts)
    weight = np.ones(len(y))
    chunk_rows = _chunk_rows(buffer_bytes, n_restarts, X.dtype)

    def fit():
        # Returns numpy arrays: the copy back waits for the device.
        _run_batched_sgd(
            X,
            y,
            weight,
            weight,
            init,
            device=device,
            chunk_rows=chunk_rows,
            learning_rate=0.3,
            n_steps=100,
            warmup_steps=10,
        )

    return median_seconds(fit, repeats=repeats, warmup=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"--device {args.device}: CUDA is not available here; skipped.")
        return
    rows = []
    for n_rows in ROWS:
        X, y = make_squad2_scores(n_questions=n_rows, random_state=0)
        for dtype in ("float32", "float64"):
            data = X.astype(dtype)
            repeats = 3 if n_rows < 10**7 else 1
            times = [
                _fit_seconds(data, y, args.device, mib << 20, repeats)
                for mib in BUFFER_MIB
            ]
            rows.append((f"{n_rows:,}", dtype, *(f"{t:.3f}" for t in times)))
    print_table(
        f"torch engine on {args.device}: fit seconds by work-buffer size "
        f"(default {DEVICE_WORK_BUFFER_BYTES >> 20} MiB; median of 3, "
        "one run at 10^7 rows)",
        ["rows", "X", *(f"{mib} MiB" for mib in BUFFER_MIB)],
        rows,
    )
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
