"""BLAS threads next to fits: ``n_jobs=2`` inside a fit after LogisticRegression.

``skfusion compare`` fits ``LogisticRegression`` and ``TorchLogisticFusion``
one after the other in one process. After each ``LogisticRegression().fit``
the BLAS library's worker threads (OpenBLAS's, bundled with numpy and scipy)
keep spinning for a while and take cores from the next fit's own threads.
Targets: ``TorchLogisticFusion(n_jobs=2)`` at least 1.5x ``n_jobs=1`` when
interleaved with ``LogisticRegression().fit``, with BLAS limited to one
thread (as `compare_estimators` runs every fit and prediction) and without;
and `compare_estimators` no slower with the limit than without.

Every table is one run: its settings alternate round by round (medians of
``--repeats`` rounds after a warm-up round), so ratios within a table hold
even on a machine that other work keeps busy; absolute times do not.

Run: ``python -m benchmarks.bench_blas_threads [--repeats 7]``
"""

import argparse
import contextlib
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info, threadpool_limits

from benchmarks._common import interleaved_medians, machine_line, print_table
from skfusion import MarginThresholdClassifier, TorchLogisticFusion, _cross_validate
from skfusion.datasets import make_squad2_scores
from skfusion.model_selection import compare_estimators


def _blas_line():
    libraries = [
        f"{info['internal_api']} {info['version']} ({info['num_threads']} threads)"
        for info in threadpool_info()
        if info["user_api"] == "blas"
    ]
    return ", ".join(libraries) or "none found"


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


def logistic_regression_fit(X, y, repeats):
    """LogisticRegression's own fit with and without the limit."""

    def fit(limited):
        with _limit(limited):
            LogisticRegression().fit(X, y)

    times = interleaved_medians(
        {limited: lambda lim=limited: fit(lim) for limited in (0, 1)},
        repeats=repeats,
    )
    print_table(
        f"LogisticRegression().fit alone, median of {repeats} interleaved rounds",
        ["BLAS threads as found ms", "one BLAS thread ms", "speed-up of the limit"],
        [
            (
                f"{times[0] * 1e3:.1f}",
                f"{times[1] * 1e3:.1f}",
                f"{times[0] / times[1]:.2f}x",
            )
        ],
    )


def compare_with_and_without_limit(X, y, repeats):
    """compare_estimators as `skfusion compare` calls it, limit on and off."""
    limited = _cross_validate.one_blas_thread

    def compare(limit, n_jobs):
        # The private switch: the module's limit or none at all.
        _cross_validate.one_blas_thread = limited if limit else contextlib.nullcontext
        try:
            estimators = {
                "fusion": TorchLogisticFusion(random_state=0, n_jobs=n_jobs),
                "margin": MarginThresholdClassifier(),
                "logistic": LogisticRegression(),
            }
            compare_estimators(estimators, X, y, n_splits=5, n_repeats=1)
        finally:
            _cross_validate.one_blas_thread = limited

    settings = {(lim, n): None for lim in (0, 1) for n in (None, 2)}
    times = interleaved_medians(
        {key: lambda key=key: compare(*key) for key in settings},
        repeats=repeats,
    )
    rows = [
        (
            f"TorchLogisticFusion(n_jobs={n})",
            f"{times[0, n] * 1e3:.0f}",
            f"{times[1, n] * 1e3:.0f}",
            f"{times[0, n] / times[1, n]:.2f}x",
        )
        for n in (None, 2)
    ]
    print_table(
        "compare_estimators (TorchLogisticFusion, MarginThresholdClassifier, "
        "LogisticRegression; 5 folds x 1 repeat), median of "
        f"{repeats} interleaved rounds",
        ["fusion", "BLAS threads as found ms", "one BLAS thread ms", "speed-up"],
        rows,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    X, y = make_squad2_scores(random_state=0)
    LogisticRegression().fit(X, y)  # loads scipy's BLAS before it is listed
    print(f"\nBLAS: {_blas_line()}")
    fit_after_logistic_regression(X, y, args.repeats)
    logistic_regression_fit(X, y, args.repeats)
    compare_with_and_without_limit(X, y, args.repeats)
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
