"""The fits of `compare_estimators`: `cross_validate` with one BLAS thread.

Score columns are a handful, so a BLAS thread pool speeds nothing up here;
its workers only spin after each call (OpenBLAS's do for about 0.1 s) and
take the cores that a fit's own threads (``TorchLogisticFusion(n_jobs=2)``)
or joblib's workers need. Every fit and prediction therefore runs with BLAS
limited to one thread (benchmarks/bench_blas_threads.py measures it).
"""

import os
import threading
import time
from contextlib import contextmanager

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.model_selection import cross_validate
from threadpoolctl import ThreadpoolController

from ..metrics import squad2_credit


class _SharedBlasLimit:
    """One BLAS thread while any caller of this process is inside.

    threadpoolctl's limit is process-wide: with joblib's threading backend
    several fits enter and leave it at once, and the first to leave would
    restore the threads under the others (or the last would restore a limit
    it saw as the original). Callers are counted instead: the first one in
    sets the limit, the last one out restores it.

    Finding the loaded libraries takes milliseconds, longer than a margin
    rule's fit, so each process looks once, at its first limit (a joblib
    worker has imported scikit-learn, and so numpy's and scipy's BLAS, by
    then), and reuses what it found: setting a limit then takes
    microseconds. A BLAS loaded later in the process is not limited.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._inside = 0
        self._limiter = None
        self._controller = None
        self._pid = None

    def _libraries(self):
        if self._pid != os.getpid():  # a forked child has its own libraries
            self._controller, self._pid = ThreadpoolController(), os.getpid()
        return self._controller

    @contextmanager
    def __call__(self):
        with self._lock:
            if self._inside == 0:
                self._limiter = self._libraries().limit(limits=1, user_api="blas")
            self._inside += 1
        try:
            yield
        finally:
            with self._lock:
                self._inside -= 1
                if self._inside == 0:
                    self._limiter.restore_original_limits()
                    self._limiter = None


one_blas_thread = _SharedBlasLimit()


class _OneBlasThread(MetaEstimatorMixin, BaseEstimator):
    """Fit and predict `estimator` with one BLAS thread; time the fit alone.

    Wrapping each fit (rather than the whole comparison) holds the limit
    in every joblib worker, whichever the backend. ``fit_seconds_`` leaves
    out the limit's own set-up, which a worker process pays on each fit.
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y, **fit_params):
        model = clone(self.estimator)
        with one_blas_thread():
            start = time.perf_counter()
            model.fit(X, y, **fit_params)
            self.fit_seconds_ = time.perf_counter() - start
        self.estimator_ = model
        return self

    def predict(self, X):
        with one_blas_thread():
            return self.estimator_.predict(X)


def _warm_up(estimator, X, y):
    """Fit `estimator` once, untimed, on up to 100 questions per class.

    One-off costs of this process (imports, loading or compiling the numba
    kernel) are then not counted as fit time of the first fold; taking both
    classes keeps files sorted by label from giving a one-class warm-up.
    """
    rows = np.concatenate([np.flatnonzero(y == c)[:100] for c in np.unique(y)])
    clone(estimator).fit(X[rows], y[rows])


def cross_validate_one(estimator, X, y, splits, *, weight, n_jobs):
    """`cross_validate` of `estimator` on `splits` under one BLAS thread.

    Returns the fitted `_OneBlasThread` of every fold, each fold's test
    rows, accuracy and fit seconds, in the order of `splits`.
    """
    with one_blas_thread():
        _warm_up(estimator, X, y)
        cv = cross_validate(
            _OneBlasThread(estimator),
            X,
            y,
            cv=splits,
            scoring="accuracy",
            n_jobs=n_jobs,
            params=None if weight is None else {"sample_weight": weight},
            return_estimator=True,
            return_indices=True,
            error_score="raise",
        )
    return {
        "models": list(cv["estimator"]),
        "test": list(cv["indices"]["test"]),
        "accuracy": [float(s) for s in cv["test_score"]],
        "fit_seconds": [model.fit_seconds_ for model in cv["estimator"]],
    }


def out_of_fold_decisions(models, X, tests):
    """Each fold model's "no answer" decisions on its test rows."""
    with one_blas_thread():
        return [
            np.asarray(model.predict(X[test])).astype(bool)
            for model, test in zip(models, tests, strict=True)
        ]


def out_of_fold_score(predicted_null, unanswerable, credit):
    """Return the mean SQuAD 2.0 credit of one fold's decisions."""
    return float(squad2_credit(predicted_null, unanswerable, credit).mean())


def record_questions(result, em, f1, groups, n_repeats):
    """Set up the per-question record: credits, groups, decision arrays."""
    n = result.unanswerable.size
    for metric, credit in (("em", em), ("f1", f1)):
        if credit is not None:
            result.answer_credit[metric] = np.asarray(credit, dtype=float)
    if groups is not None:
        result.groups = np.asarray(groups)
        if result.groups.shape != (n,):
            raise ValueError(
                f"groups must have one entry per question ({n}); got shape "
                f"{result.groups.shape}."
            )
    for name in result.names:
        result.predicted_null[name] = np.zeros((n_repeats, n), dtype=bool)


def record_folds(result, name, folds, X, n_splits):
    """Store one estimator's fold scores, fit times and decisions."""
    y = result.unanswerable
    decisions = out_of_fold_decisions(folds["models"], X, folds["test"])
    result.accuracy[name] = folds["accuracy"]
    result.fit_seconds[name] = folds["fit_seconds"]
    for fold, (test, predicted_null) in enumerate(
        zip(folds["test"], decisions, strict=True)
    ):
        result.predicted_null[name][fold // n_splits, test] = predicted_null
        for metric, credit in result.answer_credit.items():
            score = out_of_fold_score(predicted_null, y[test], credit[test])
            result.scores(metric).setdefault(name, []).append(score)
