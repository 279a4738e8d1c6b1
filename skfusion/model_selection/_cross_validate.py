"""The fits of `compare_estimators`: `cross_validate` with one BLAS thread.

BLAS threads only spin on a handful of score columns, taking the cores of a
fit's own threads (benchmarks/bench_blas_threads.py): this process is limited
once around all the folds, a worker process around each fit.
"""

import inspect
import os
import time
import warnings
from contextlib import nullcontext, suppress

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.metrics import accuracy_score
from sklearn.model_selection import cross_validate
from threadpoolctl import threadpool_limits


def one_blas_thread():
    """Limit BLAS to one thread in this process (threadpoolctl)."""
    return threadpool_limits(limits=1, user_api="blas")


def take_rows(X, rows):
    """Rows of an array or a DataFrame, keeping its type."""
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


class _OneBlasThread(MetaEstimatorMixin, BaseEstimator):
    """Fit and time `estimator` with one BLAS thread (process `pid` has it).

    Both fit parameters are requested, so that metadata routing passes them.
    """

    __metadata_request__fit = {"sample_weight": True, "answer_credit": True}

    def __init__(self, estimator, pid=None):
        self.estimator = estimator
        self.pid = pid

    def _limit(self):
        return nullcontext() if os.getpid() == self.pid else one_blas_thread()

    def fit(self, X, y, sample_weight=None, answer_credit=None):
        model = clone(self.estimator)
        params = {"sample_weight": sample_weight, "answer_credit": answer_credit}
        takes = inspect.signature(model.fit).parameters
        params = {k: v for k, v in params.items() if v is not None and k in takes}
        with self._limit():
            start = time.perf_counter()
            model.fit(X, y, **params)
            self.fit_seconds_ = time.perf_counter() - start
        self.estimator_ = model
        return self

    def predict(self, X):
        with self._limit():
            return self.estimator_.predict(X)

    def score(self, X, y):
        # Unweighted accuracy; its signature requests no metadata, so routed
        # tuning weights reach the fits alone.
        return accuracy_score(y, self.predict(X))


def cross_validate_one(estimator, X, y, splits, params, n_jobs):
    """Return the models, test rows, accuracy and fit seconds of every fold."""
    # An untimed fit on a few questions keeps numba's compilation out of the
    # first fold's time.
    rows = np.concatenate([np.flatnonzero(y == c)[:100] for c in np.unique(y)])
    # A target unreachable on so few questions may fail; a real fit would too.
    with suppress(ValueError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clone(estimator).fit(take_rows(X, rows), y[rows])
    cv = cross_validate(
        _OneBlasThread(estimator, os.getpid()),
        X,
        y,
        cv=splits,
        scoring=None,
        n_jobs=n_jobs,
        params={k: v for k, v in params.items() if v is not None} or None,
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
