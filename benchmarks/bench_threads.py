"""Fitting under parallel cross-validation and under CPU contention.

Target (issue 4 of the performance issue): fitting must not collapse when
other processes are busy, as the seed loop's torch threads do, and
``cross_val_score(cv=5, n_jobs=2)`` must not be slower than ``n_jobs=1``.

Run: ``python -m benchmarks.bench_threads [--repeats 5]``
"""

import argparse
import multiprocessing as mp
import time

import numpy as np
import torch
from joblib import parallel_config
from sklearn.model_selection import cross_val_score

from benchmarks._common import (
    interleaved_medians,
    machine_line,
    median_seconds,
    print_table,
)
from benchmarks.seed_loop import seed_fit
from skfusion import TorchLogisticFusion
from skfusion.datasets import make_squad2_scores


def _spin(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


class BusyCores:
    """Keep `n` other processes spinning while the block runs."""

    def __init__(self, n, seconds=600):
        self.n, self.seconds = n, seconds

    def __enter__(self):
        self.procs = [
            mp.Process(target=_spin, args=(self.seconds,), daemon=True)
            for _ in range(self.n)
        ]
        for p in self.procs:
            p.start()
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.terminate()
            p.join()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    X, y = make_squad2_scores(random_state=0)
    X32 = X.astype(np.float32)
    seed_X, seed_Y = torch.FloatTensor(X32), torch.BoolTensor(y)
    fusion = TorchLogisticFusion(random_state=0)
    torch_engine = TorchLogisticFusion(random_state=0, engine="torch")

    fits = {
        "seed notebook loop (torch default threads)": lambda: seed_fit(seed_X, seed_Y),
        "TorchLogisticFusion.fit (float32 X, numba)": lambda: fusion.fit(X32, y),
        "TorchLogisticFusion.fit (float64 X, numba)": lambda: fusion.fit(X, y),
        "TorchLogisticFusion.fit (float32 X, torch)": lambda: torch_engine.fit(X32, y),
    }
    rows = []
    for name, fit in fits.items():
        idle = median_seconds(fit, repeats=args.repeats)
        with BusyCores(2):
            busy = median_seconds(fit, repeats=args.repeats)
        rows.append(
            (name, f"{idle * 1e3:.0f}", f"{busy * 1e3:.0f}", f"{busy / idle:.1f}x")
        )
    print_table(
        "One fit, idle machine vs. two other processes spinning on the 2 cores",
        ["fit", "idle ms", "busy ms", "slow-down"],
        rows,
    )

    cv_rows = []
    for data_name, data in (("float32", X32), ("float64", X)):

        def cv(n_jobs, backend, data=data):
            with parallel_config(backend=backend):
                cross_val_score(fusion, data, y, cv=5, n_jobs=n_jobs)

        # Interleaved rounds: with ~30 ms fits, a drift of the VM's speed
        # during one setting's runs would otherwise decide the comparison.
        times = interleaved_medians(
            {
                "serial": lambda cv=cv: cv(1, "loky"),
                "loky": lambda cv=cv: cv(2, "loky"),
                "threading": lambda cv=cv: cv(2, "threading"),
            },
            repeats=max(args.repeats, 9),
        )
        cv_rows.append(
            (
                f"cross_val_score(cv=5), {data_name} X",
                f"{times['serial'] * 1e3:.0f}",
                f"{times['loky'] * 1e3:.0f}",
                f"{times['serial'] / times['loky']:.2f}x",
                f"{times['threading'] * 1e3:.0f}",
                f"{times['serial'] / times['threading']:.2f}x",
            )
        )
    print_table(
        "cross_val_score of TorchLogisticFusion (default engine): n_jobs=1 vs "
        "n_jobs=2 with processes (loky) and with threads (the numba kernel "
        "releases the GIL); median of interleaved rounds",
        [
            "run",
            "n_jobs=1 ms",
            "n_jobs=2 loky ms",
            "speed-up",
            "n_jobs=2 threading ms",
            "speed-up",
        ],
        cv_rows,
    )
    print(f"\ntorch.get_num_threads() after all fits: {torch.get_num_threads()}")
    print(f"Machine: {machine_line()}")


if __name__ == "__main__":
    main()
