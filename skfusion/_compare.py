"""Cross-validated comparison of no-answer rules on identical folds."""

import time
from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from sklearn.base import clone
from sklearn.model_selection import RepeatedStratifiedKFold


def squad2_credit(predicted_null, unanswerable, answer_credit) -> np.ndarray:
    """Per-question SQuAD 2.0 EM (or F1) of a no-answer decision.

    A question predicted unanswerable scores 1 if it is, else 0; one answered
    scores its best span's credit if answerable, else 0.
    """
    return np.where(
        unanswerable,
        predicted_null.astype(float),
        np.where(predicted_null, 0.0, answer_credit),
    )


def corrected_resampled_ttest(
    differences, n_train: int, n_test: int
) -> tuple[float, float]:
    """Nadeau and Bengio's corrected resampled t-test of paired CV scores.

    The usual paired t-test treats the k x r fold scores as independent,
    which they are not: training sets overlap. The correction inflates the
    variance by ``n_test / n_train`` (Nadeau & Bengio, "Inference for the
    Generalization Error", Machine Learning 52, 2003; Bouckaert & Frank,
    PAKDD 2004, for repeated k-fold).

    Returns
    -------
    t : float
    p_value : float
        Two-sided, with ``len(differences) - 1`` degrees of freedom.
    """
    d = np.asarray(differences, dtype=float)
    k = d.size
    variance = d.var(ddof=1)
    if variance == 0:
        return (0.0, 1.0) if d.mean() == 0 else (np.copysign(np.inf, d.mean()), 0.0)
    t = d.mean() / np.sqrt((1 / k + n_test / n_train) * variance)
    return float(t), float(2 * stats.t.sf(abs(t), df=k - 1))


@dataclass
class Comparison:
    """Per-fold results of each estimator on the same folds."""

    names: list
    accuracy: dict = field(default_factory=dict)
    em: dict = field(default_factory=dict)
    f1: dict = field(default_factory=dict)
    fit_seconds: dict = field(default_factory=dict)
    fitted: dict = field(default_factory=dict)
    n_train: int = 0
    n_test: int = 0

    def pairwise_tests(self):
        """Corrected resampled t-test on accuracy for every pair."""
        tests = []
        for i, a in enumerate(self.names):
            for b in self.names[i + 1 :]:
                diff = np.subtract(self.accuracy[a], self.accuracy[b])
                t, p = corrected_resampled_ttest(diff, self.n_train, self.n_test)
                tests.append(
                    {
                        "a": a,
                        "b": b,
                        "mean_difference": float(diff.mean()),
                        "t": t,
                        "p": p,
                    }
                )
        return tests

    def summary(self):
        """Mean and standard deviation of every recorded score."""
        rows = []
        for name in self.names:
            row = {"estimator": name}
            for key, values in (
                ("accuracy", self.accuracy),
                ("em", self.em),
                ("f1", self.f1),
                ("fit_seconds", self.fit_seconds),
            ):
                if values.get(name):
                    row[key] = float(np.mean(values[name]))
                    row[f"{key}_std"] = float(np.std(values[name]))
            rows.append(row)
        return rows


def compare_estimators(
    estimators,
    X,
    y,
    *,
    em=None,
    f1=None,
    n_splits=5,
    n_repeats=3,
    random_state=0,
    progress=None,
):
    """Fit every estimator on the same repeated stratified k-fold splits.

    Parameters
    ----------
    estimators : dict of str to estimator
    X, y : arrays
    em, f1 : arrays or None
        Each question's EM / F1 of its best span (1 for unanswerable
        questions); gives out-of-fold SQuAD 2.0 EM / F1.
    progress : callable or None
        Called with a message after each fold.

    Returns
    -------
    comparison : Comparison
    """
    cv = RepeatedStratifiedKFold(
        n_splits=n_splits, n_repeats=n_repeats, random_state=random_state
    )
    result = Comparison(names=list(estimators))
    splits = list(cv.split(X, y))
    # One untimed fit each first, so that one-off costs (importing numba or
    # torch, loading or compiling the numba kernel) are not counted as fit
    # time of fold 1. It
    # takes up to 100 questions of each class: files sorted by label (the
    # seed's are) would otherwise give a one-class warm-up.
    warm_up = np.concatenate([np.flatnonzero(y == c)[:100] for c in np.unique(y)])
    for estimator in estimators.values():
        clone(estimator).fit(X[warm_up], y[warm_up])
    for fold, (train, test) in enumerate(splits, start=1):
        for name, estimator in estimators.items():
            model = clone(estimator)
            start = time.perf_counter()
            model.fit(X[train], y[train])
            elapsed = time.perf_counter() - start
            predicted_null = model.predict(X[test]).astype(bool)
            result.accuracy.setdefault(name, []).append(
                float(np.mean(predicted_null == y[test]))
            )
            result.fit_seconds.setdefault(name, []).append(elapsed)
            result.fitted.setdefault(name, []).append(model)
            for store, credit in ((result.em, em), (result.f1, f1)):
                if credit is not None:
                    per_question = squad2_credit(predicted_null, y[test], credit[test])
                    store.setdefault(name, []).append(float(per_question.mean()))
        if progress is not None:
            times = ", ".join(
                f"{n} {t[-1]:.2f} s" for n, t in result.fit_seconds.items()
            )
            progress(f"fold {fold}/{len(splits)} fitted: {times}")
        result.n_train, result.n_test = len(train), len(test)
    return result
