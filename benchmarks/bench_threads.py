"""Threads inside a fit, fitting under CPU contention and under parallel CV.

Targets: ``n_jobs=2`` at least 1.6x faster than one thread for 20 restarts
on 2 idle cores, with bit-identical fitted attributes; fitting must not
collapse when other processes are busy, as the notebook loop's torch threads
do; ``cross_val_score(cv=5, n_jobs=2)`` must not be slower than
``n_jobs=1``, and an estimator with ``n_jobs=-1`` inside its workers must
not oversubscribe the cores.

Run: ``python -m benchmarks.bench_threads [--repeats 5]``
"""

import argparse
import multiprocessing as mp
import time

import numpy as np
import torch
from joblib import Parallel, delayed, parallel_config
from sklearn.model_selection import cross_val_score

from benchmarks._common import (
    interleaved_medians,
    machine_line,
    median_seconds,
    print_table,
)
from skfusion import TorchLogisticFusion
from skfusion._solvers._fused import _n_threads
from skfusion.datasets import make_squad2_scores
from tests._notebook_loop import notebook_fit


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


def threads_in_one_fit(X, y, repeats):
    """n_jobs=1 against n_jobs=2 and -1, interleaved, with a check of the bits."""
    rows = []
    for dtype in ("float32", "float64"):
        data = X.astype(dtype)
        fits = {
            n_jobs: TorchLogisticFusion(random_state=0, n_jobs=n_jobs)
            for n_jobs in (1, 2, -1)
        }
        times = interleaved_medians(
            {n: lambda e=est, d=data: e.fit(d, y) for n, est in fits.items()},
            repeats=max(repeats, 9),
        )
        same = all(
            np.array_equal(est.accuracy_curve_, fits[1].accuracy_curve_)
            and np.array_equal(est.coef_, fits[1].coef_)
            for est in fits.values()
        )
        rows.append(
            (
                f"TorchLogisticFusion.fit ({dtype} X, 20 restarts)",
                f"{times[1] * 1e3:.1f}",
                f"{times[2] * 1e3:.1f}",
                f"{times[1] / times[2]:.2f}x",
                f"{times[-1] * 1e3:.1f}",
                f"{times[1] / times[-1]:.2f}x",
                "yes" if same else "NO",
            )
        )
    print_table(
        "Restarts split over threads inside one fit (numba engine, idle "
        "machine; median of interleaved rounds)",
        [
            "fit",
            "n_jobs=1 ms",
            "n_jobs=2 ms",
            "speed-up",
            "n_jobs=-1 ms",
            "speed-up",
            "bit-identical fits",
        ],
        rows,
    )


def busy_machine(X, y, repeats):
    """Each fit on an idle machine and with two other processes spinning."""
    X32 = X.astype(np.float32)
    notebook_X, notebook_Y = torch.FloatTensor(X32), torch.BoolTensor(y)
    fusion = TorchLogisticFusion(random_state=0)
    threaded = TorchLogisticFusion(random_state=0, n_jobs=-1)
    torch_engine = TorchLogisticFusion(random_state=0, engine="torch")
    fits = {
        "notebook loop (torch default threads)": lambda: notebook_fit(
            notebook_X, notebook_Y
        ),
        "TorchLogisticFusion.fit (float32 X, numba)": lambda: fusion.fit(X32, y),
        "TorchLogisticFusion.fit (float64 X, numba)": lambda: fusion.fit(X, y),
        "TorchLogisticFusion.fit (float64 X, numba, n_jobs=-1)": lambda: threaded.fit(
            X, y
        ),
        "TorchLogisticFusion.fit (float32 X, torch)": lambda: torch_engine.fit(X32, y),
    }
    rows = []
    for name, fit in fits.items():
        idle = median_seconds(fit, repeats=repeats)
        with BusyCores(2):
            busy = median_seconds(fit, repeats=repeats)
        rows.append(
            (name, f"{idle * 1e3:.0f}", f"{busy * 1e3:.0f}", f"{busy / idle:.1f}x")
        )
    print_table(
        "One fit, idle machine vs. two other processes spinning on the 2 cores",
        ["fit", "idle ms", "busy ms", "slow-down"],
        rows,
    )


def threads_per_fit_in_workers(backend, n_jobs):
    """How many threads a fit with `n_jobs` uses inside 2 joblib workers."""
    counts = Parallel(n_jobs=2, backend=backend)(
        delayed(_n_threads)(n_jobs, 20) for _ in range(2)
    )
    return "/".join(str(c) for c in counts)


def parallel_cross_validation(X, y, repeats):
    """cross_val_score with n_jobs=1 and 2, for one-thread and n_jobs=-1 fits."""
    rows = []
    for dtype in ("float32", "float64"):
        data = X.astype(dtype)
        for inner in (None, -1):
            fusion = TorchLogisticFusion(random_state=0, n_jobs=inner)

            def cv(n_jobs, backend, fusion=fusion, data=data):
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
                repeats=max(repeats, 9),
            )
            threads = (
                f"{threads_per_fit_in_workers('loky', inner)} loky, "
                f"{threads_per_fit_in_workers('threading', inner)} threading"
            )
            rows.append(
                (
                    f"{dtype} X, TorchLogisticFusion(n_jobs={inner})",
                    threads,
                    f"{times['serial'] * 1e3:.0f}",
                    f"{times['loky'] * 1e3:.0f}",
                    f"{times['serial'] / times['loky']:.2f}x",
                    f"{times['threading'] * 1e3:.0f}",
                    f"{times['serial'] / times['threading']:.2f}x",
                )
            )
    print_table(
        "cross_val_score(cv=5) of TorchLogisticFusion: n_jobs=1 vs n_jobs=2 "
        "with processes (loky) and with threads; threads per fit as the "
        "estimator resolves its n_jobs inside each of the 2 workers; median "
        "of interleaved rounds",
        [
            "estimator",
            "threads per fit in the workers",
            "n_jobs=1 ms",
            "n_jobs=2 loky ms",
            "speed-up",
            "n_jobs=2 threading ms",
            "speed-up",
        ],
        rows,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    X, y = make_squad2_scores(random_state=0)
    threads_in_one_fit(X, y, args.repeats)
    busy_machine(X, y, args.repeats)
    parallel_cross_validation(X, y, args.repeats)
    print(f"\ntorch.get_num_threads() after all fits: {torch.get_num_threads()}")
    print(f"Machine: {machine_line()}")


if __name__ == "__main__":
    main()
