"""BLAS threads in ``compare_estimators``: its one-thread limit against none.

``skfusion compare`` fits ``LogisticRegression`` and ``TorchLogisticFusion``
one after the other; BLAS worker threads (OpenBLAS's, bundled with numpy
and scipy) keep spinning after each call and take cores from the next fit's
own threads. `compare_estimators` therefore runs every fit and prediction
under one ``threadpoolctl.threadpool_limits(1, "blas")`` around all the
folds (a joblib worker process limits each fit). Target: the comparison no
slower with the limit than without, for ``TorchLogisticFusion(n_jobs=1)``
and ``n_jobs=2``. A first table times ``TorchLogisticFusion(n_jobs=2)``
against ``n_jobs=1`` right after a ``LogisticRegression().fit``, with
and without the limit.

The settings alternate round by round (medians of ``--repeats`` rounds
after a warm-up round), so the ratios hold on a machine that other work
keeps busy; absolute times do not.

Run: ``python -m benchmarks.bench_blas_threads [--repeats 5]``
"""

import argparse
import contextlib
import time
from unittest import mock

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info, threadpool_limits

from benchmarks._common import interleaved_medians, machine_line, print_table
from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import make_squad2_scores
from skfusion.model_selection import _compare, compare_estimators


def _limit(limited):
    return (
        threadpool_limits(limits=1, user_api="blas")
        if limited
        else contextlib.nullcontext()
    )


def fit_after_logistic_regression(X, y, repeats):
    """Time the fusion's fit right after a LogisticRegression fit."""
    fusion = {n: TorchLogisticFusion(random_state=0, n_jobs=n) for n in (1, 2)}
    timed = {}

    def fits(n_jobs, limited):
        with _limit(limited):
            LogisticRegression().fit(X, y)
            start = time.perf_counter()
            fusion[n_jobs].fit(X, y)
            timed.setdefault((n_jobs, limited), []).append(time.perf_counter() - start)

    interleaved_medians(
        {(n, lim): lambda n=n, lim=lim: fits(n, lim) for n in (1, 2) for lim in (0, 1)},
        repeats=repeats,
    )
    # The first entry of each list is the warm-up round's.
    median = {key: float(np.median(t[1:])) for key, t in timed.items()}
    rows = [
        (
            "one BLAS thread" if limited else "BLAS threads as found",
            f"{median[1, limited] * 1e3:.1f}",
            f"{median[2, limited] * 1e3:.1f}",
            f"{median[1, limited] / median[2, limited]:.2f}x",
        )
        for limited in (0, 1)
    ]
    print_table(
        "TorchLogisticFusion.fit (float64 X, 20 restarts) right after "
        "LogisticRegression().fit in one process, n_jobs=1 vs 2, median of "
        f"{repeats} interleaved rounds",
        ["BLAS", "n_jobs=1 ms", "n_jobs=2 ms", "speed-up of n_jobs=2"],
        rows,
    )


def compare(X, y, limited, n_jobs):
    """`compare_estimators` as `skfusion compare` runs it, limit on or off."""
    estimators = {
        "fusion": TorchLogisticFusion(random_state=0, n_jobs=n_jobs),
        "margin": MarginThresholdClassifier(),
        "logistic": LogisticRegression(),
    }
    off = mock.patch.object(_compare, "one_blas_thread", contextlib.nullcontext)
    with contextlib.nullcontext() if limited else off:
        compare_estimators(estimators, X, y, n_splits=5, n_repeats=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    X, y = make_squad2_scores(random_state=0)
    LogisticRegression().fit(X, y)  # loads scipy's BLAS before it is listed
    blas = [
        f"{i['internal_api']} {i['version']} ({i['num_threads']} threads)"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    print(f"\nBLAS: {', '.join(blas) or 'none found'}")
    fit_after_logistic_regression(X, y, args.repeats)
    settings = [(limited, n) for limited in (False, True) for n in (1, 2)]
    times = interleaved_medians(
        {key: lambda key=key: compare(X, y, *key) for key in settings},
        repeats=args.repeats,
    )
    rows = [
        (
            f"TorchLogisticFusion(n_jobs={n})",
            f"{times[False, n] * 1e3:.0f}",
            f"{times[True, n] * 1e3:.0f}",
            f"{times[False, n] / times[True, n]:.2f}x",
        )
        for n in (1, 2)
    ]
    print_table(
        "compare_estimators (TorchLogisticFusion, MarginThresholdClassifier, "
        f"LogisticRegression; 5 folds x 1 repeat), median of {args.repeats} "
        "interleaved rounds",
        ["fusion", "BLAS as found ms", "one BLAS thread ms", "speed-up of the limit"],
        rows,
    )
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
