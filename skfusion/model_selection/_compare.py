"""Honest comparison of no-answer rules: identical folds and corrected tests."""

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedGroupKFold
from sklearn.utils import check_random_state

from .._compat import _import_pandas
from ..metrics import squad2_credit, tuning_sample_weight
from ._cross_validate import cross_validate_one, one_blas_thread, take_rows
from ._fold_tests import (
    MEASURED_FALSE_POSITIVE_RATES,
    corrected_resampled_ttest,
    holm_flags,
    pair_tests,
)
from ._question_tests import (
    cluster_robust_ttest,
    group_levels,
    grouping,
    labelled,
    mcnemar_exact,
    paired_bootstrap_ci,
)

METRICS = ("accuracy", "em", "f1")
_FOLD_TEST_ASSUMES = (
    "the per-fold differences are normal; overlapping training sets are "
    "corrected for (Nadeau & Bengio); a claim about the fitting procedure on "
    "data like these"
)
# compare_estimators' tune, and the key of the scores it names.
_TUNE = {"accuracy": "accuracy", "squad_em": "em", "squad_f1": "f1"}


@dataclass
class Comparison:
    """Per-fold results of several estimators on the same folds.

    Returned by `compare_estimators`; each dict maps an estimator's name to
    its values, one per fold in the folds' order.

    Parameters
    ----------
    names : list of str
        The estimators' names, in the order given.
    tune : {"accuracy", "em", "f1"}, default="accuracy"
        The score every fit maximised.
    accuracy, em, f1, fit_seconds : dict of str to list of float, default={}
        Out-of-fold accuracy, SQuAD 2.0 EM and F1, and fit times.
    fitted : dict of str to list of estimator, default={}
        The fitted models (with ``return_estimator=True``).
    n_train, n_test : int, default=0
        Mean training and test questions per fold.
    predicted_null : dict of str to ndarray, default={}
        Out-of-fold "no answer" decisions, ``(n_repeats, n_questions)``.
    unanswerable : ndarray of shape (n_questions,) or None, default=None
        The labels.
    answer_credit : dict, default={}
        ``{"em": {name: credit}, "f1": {...}}``, each estimator's own.
    coverage, answered_precision : dict of str to list of float, default={}
        Per fold, the share of questions answered and their mean credit (EM,
        else 1 if answerable; NaN if none is answered).
    groups : dict of str to ndarray, default={}
        Group codes of each level, coarsest first.
    min_groups : int, default=20
        Fewest groups a level needs to be used.
    fold_groups : dict, default={"by": "question", "n_groups": 0}
        What the folds kept together.
    indices : dict or None, default=None
        Every fold's ``"train"`` and ``"test"`` rows (``return_indices``).

    See Also
    --------
    compare_estimators : Runs the comparison.

    Examples
    --------
    >>> from skfusion.model_selection import Comparison
    >>> result = Comparison(
    ...     names=["a", "b"],
    ...     accuracy={"a": [0.81, 0.80, 0.82], "b": [0.79, 0.80, 0.80]},
    ...     n_train=800,
    ...     n_test=200,
    ... )
    >>> result.summary()[0]["accuracy"]
    0.81
    >>> test = result.pairwise_tests()[0]
    >>> test["a"], test["b"], round(test["mean_difference"], 4)
    ('a', 'b', 0.0133)
    """

    names: list
    tune: str = "accuracy"
    accuracy: dict = field(default_factory=dict)
    em: dict = field(default_factory=dict)
    f1: dict = field(default_factory=dict)
    fit_seconds: dict = field(default_factory=dict)
    fitted: dict = field(default_factory=dict)
    n_train: int = 0
    n_test: int = 0
    predicted_null: dict = field(default_factory=dict)
    unanswerable: np.ndarray | None = None
    answer_credit: dict = field(default_factory=dict)
    coverage: dict = field(default_factory=dict)
    answered_precision: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)
    min_groups: int = 20
    fold_groups: dict = field(default_factory=lambda: {"by": "question", "n_groups": 0})
    indices: dict | None = None

    def scores(self, metric):
        """Return each estimator's fold scores of `metric`.

        Parameters
        ----------
        metric : {"accuracy", "em", "f1"}
            Which score.

        Returns
        -------
        scores : dict of str to list of float
            Empty if not recorded.
        """
        if metric not in METRICS:
            raise ValueError(f"metric={metric!r} must be one of {METRICS}.")
        return getattr(self, metric)

    def pairwise_tests(self, metric=None, *, alpha=0.05):
        """Corrected resampled t-test of every pair, Holm-adjusted.

        Parameters
        ----------
        metric : {"accuracy", "em", "f1"} or None, default=None
            The score compared; None is the one the fits maximised.
        alpha : float, default=0.05
            Family-wise level of ``significant``.

        Returns
        -------
        tests : list of dict
            Per pair: ``a``, ``b``, ``mean_difference``, ``t``, ``p``,
            ``p_holm``, ``significant`` (None where undefined, or where the
            measured ``false_positive_rate`` exceeds 0.065) and ``assumes``.
        """
        scores = self.scores(metric or self.tune)
        if not scores:
            raise ValueError(f"No {metric or self.tune} scores were recorded.")
        by, n_groups = self.fold_groups["by"], self.fold_groups["n_groups"]
        folds = (
            "folds split questions at random, so a paragraph or article can "
            "fall on both sides"
            if by == "question"
            else f"folds keep each {by} together ({n_groups} {by}s)"
        )

        def test(a, b):
            d = np.subtract(scores[a], scores[b])
            t, p = corrected_resampled_ttest(d, self.n_train, self.n_test)
            return {
                "mean_difference": float(d.mean()),
                "t": t,
                "p": p,
                "assumes": f"fold-level: {folds}; {_FOLD_TEST_ASSUMES}",
                "false_positive_rate": MEASURED_FALSE_POSITIVE_RATES.get(
                    f"fold_t:{by}"
                ),
            }

        return pair_tests(self.names, test, alpha)

    def question_tests(
        self,
        metric=None,
        *,
        repeat=0,
        n_resamples=10000,
        confidence_level=0.95,
        alpha=0.05,
        random_state=0,
    ):
        """Per-question paired tests of every pair on pooled out-of-fold decisions.

        Parameters
        ----------
        metric : {"accuracy", "em", "f1"} or None, default=None
            The credit compared; None is the one the fits maximised.
        repeat : int, default=0
            Whose decisions (each repeat predicts every question once).
        n_resamples : int, default=10000
            Bootstrap resamples.
        confidence_level : float, default=0.95
            Coverage of the intervals.
        alpha : float, default=0.05
            Family-wise level of ``significant`` (Holm).
        random_state : int, RandomState instance or None, default=0
            Seed of the bootstrap, the same for each pair.

        Returns
        -------
        tests : list of dict
            Per pair: ``a``, ``b``, ``metric``, ``repeat``, ``n_questions``,
            ``n_disagree``, and the results of `cluster_robust_ttest`,
            `paired_bootstrap_ci` and `mcnemar_exact` (None unless the credit
            is 0 or 1) over `groups`, each with ``assumes``,
            ``false_positive_rate``, ``p_holm`` and ``significant``.
        """
        if not self.predicted_null:
            raise ValueError("No out-of-fold predictions were recorded.")
        n_repeats = next(iter(self.predicted_null.values())).shape[0]
        if not 0 <= repeat < n_repeats:
            raise ValueError(f"repeat={repeat} must be in [0, {n_repeats - 1}].")
        metric = metric or self.tune
        credits = self.answer_credit.get(metric, {})
        if metric != "accuracy" and not credits:
            raise ValueError(f"No per-question {metric} was recorded.")
        y = self.unanswerable
        decisions = {n: p[repeat] for n, p in self.predicted_null.items()}
        credit = {
            n: (d == y) * 1.0
            if metric == "accuracy"
            else squad2_credit(d, y, credits[n])
            for n, d in decisions.items()
        }
        binary = all(np.isin(c, (0.0, 1.0)).all() for c in credit.values())
        options = {
            "groups": self.groups,
            "min_groups": self.min_groups,
            "confidence_level": confidence_level,
        }
        resampling = {"n_resamples": n_resamples, "random_state": random_state}

        def test(a, b):
            boot = paired_bootstrap_ci(credit[a], credit[b], **options, **resampling)
            boot["excludes_zero"] = bool(boot["ci_low"] > 0 or boot["ci_high"] < 0)
            cluster = cluster_robust_ttest(credit[a], credit[b], **options)
            mcnemar = mcnemar_exact(credit[a] == 1, credit[b] == 1) if binary else None
            return {
                "metric": metric,
                "repeat": repeat,
                "n_questions": int(y.size),
                "n_disagree": int(np.sum(decisions[a] != decisions[b])),
                "bootstrap": labelled(boot, "bootstrap", boot["resampled"]),
                "cluster_t": labelled(cluster, "cluster_t", cluster["clustered"]),
                "mcnemar": mcnemar and labelled(mcnemar, "mcnemar", "question"),
            }

        tests = pair_tests(self.names, test, alpha, keys=())
        for key in ("cluster_t", "mcnemar"):
            holm_flags([t[key] for t in tests if t[key] is not None], alpha)
        return tests

    def target_met(self, name, target_precision):
        """Count the test folds whose answered questions met a precision target.

        Parameters
        ----------
        name : str
            The estimator.
        target_precision : float
            The target.

        Returns
        -------
        result : dict
            ``estimator``, ``target_precision``, ``n_folds``, ``n_met`` (a
            fold answering nothing meets it), mean ``coverage`` and
            ``precision``.
        """
        precision = np.array(self.answered_precision[name])
        return {
            "estimator": name,
            "target_precision": float(target_precision),
            "n_folds": int(precision.size),
            "n_met": int(np.sum(~(precision < target_precision))),
            "coverage": float(np.mean(self.coverage[name])),
            "precision": float(np.mean(precision[~np.isnan(precision)])),
        }

    def to_frame(self):
        """Return the fold scores as a pandas DataFrame, one row per fit.

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``estimator``, ``fold`` (from 0), then every recorded
            score and ``fit_seconds`` (NaN where a fold lacks one).

        Examples
        --------
        >>> from skfusion.model_selection import Comparison
        >>> result = Comparison(
        ...     names=["a", "b"],
        ...     accuracy={"a": [0.81, 0.80], "b": [0.79, 0.80]},
        ... )
        >>> frame = result.to_frame()
        >>> frame.groupby("estimator")["accuracy"].mean().round(3).to_dict()
        {'a': 0.805, 'b': 0.795}
        """
        pd = _import_pandas("Comparison.to_frame")
        keys = [k for k in (*METRICS, "fit_seconds") if getattr(self, k)]
        frames = [
            pd.DataFrame(
                {k: pd.Series(getattr(self, k).get(name), dtype=float) for k in keys}
            )
            .rename_axis("fold")
            .reset_index()
            .assign(estimator=name)
            for name in self.names
        ]
        return pd.concat(frames, ignore_index=True)[["estimator", "fold", *keys]]

    def summary(self):
        """Return the mean and (population) standard deviation of every score.

        Returns
        -------
        rows : list of dict
            Per estimator: ``estimator``, each score's mean over the folds
            and, suffixed ``_std``, its standard deviation.
        """
        rows = []
        for name in self.names:
            row = {"estimator": name}
            for key in (*METRICS, "fit_seconds"):
                if values := getattr(self, key).get(name):
                    row[key] = float(np.mean(values))
                    row[f"{key}_std"] = float(np.std(values))
            rows.append(row)
        return rows


def compare_estimators(
    estimators: dict,
    X: ArrayLike,
    y: ArrayLike,
    *,
    em=None,
    f1=None,
    groups=None,
    tune: str = "accuracy",
    n_splits: int = 5,
    n_repeats: int = 3,
    min_groups: int = 20,
    random_state: int = 0,
    n_jobs: int | None = None,
    return_estimator: bool = True,
    return_indices: bool = False,
    progress=None,
) -> Comparison:
    """Fit every estimator on the same repeated, stratified, group-aware folds.

    Parameters
    ----------
    estimators : dict of str to estimator
        Classifiers to compare, by name; each predicts True for "no answer".
    X : array-like or DataFrame of shape (n_questions, n_features)
        Score columns; a DataFrame reaches each fit as is (columns by name).
    y : array-like of shape (n_questions,) of bool
        True where the question is unanswerable.
    em, f1 : array-like of shape (n_questions,), dict or None, default=None
        Each question's EM / F1 if its best span is the answer, or a dict of
        them by estimator (rules on different readers' spans). A fit taking
        ``answer_credit`` gets the EM.
    groups : array-like of shape (n_questions,), dict or None, default=None
        Each question's group, or a dict of such arrays, coarsest first
        (``{"article": titles, "paragraph": contexts}``): folds and
        per-question tests keep together the groups of the coarsest level
        with at least `min_groups` (and `n_splits`) groups, else questions.
    tune : {"accuracy", "squad_em", "squad_f1"}, default="accuracy"
        What every fit maximises (SQuAD 2.0's EM or F1 through weights).
    n_splits : int, default=5
        Folds per repeat.
    n_repeats : int, default=3
        Repeats, each with another shuffle.
    min_groups : int, default=20
        Fewest groups a level of `groups` needs to be used.
    random_state : int, default=0
        Seed of the folds.
    n_jobs : int or None, default=None
        Folds fitted in parallel by `sklearn.model_selection.cross_validate`.
    return_estimator : bool, default=True
        Keep every fold's fitted model in `Comparison.fitted`.
    return_indices : bool, default=False
        Keep every fold's rows in `Comparison.indices`.
    progress : callable or None, default=None
        Called with a message after each estimator's folds.

    Returns
    -------
    comparison : Comparison
        Out-of-fold scores, fit times, fitted models and decisions.

    See Also
    --------
    corrected_resampled_ttest : How `Comparison.pairwise_tests` tests pairs.
    sklearn.model_selection.StratifiedGroupKFold : The grouped folds.

    Notes
    -----
    Every estimator is cross-validated by `sklearn.model_selection.cross_validate`
    on one list of splits (`sklearn.model_selection.RepeatedStratifiedKFold`,
    or `sklearn.model_selection.StratifiedGroupKFold` shuffled anew in each
    repeat), so per-fold differences are paired. BLAS runs one thread: a few
    score columns gain nothing from more. ``fit_seconds`` times the fit
    alone, after an untimed fit on a few questions (numba's compilation).
    The weights of "squad_em" and "squad_f1" reach each fit with metadata
    routing on or off.

    Examples
    --------
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.datasets import make_squad2_scores
    >>> from skfusion.model_selection import compare_estimators
    >>> X, y = make_squad2_scores(n_questions=600, random_state=0)
    >>> result = compare_estimators(
    ...     {"tuned": MarginThresholdClassifier(),
    ...      "t=0": MarginThresholdClassifier(threshold=0.0)},
    ...     X, y, groups=[i // 10 for i in range(600)], n_splits=3, n_repeats=1,
    ... )
    >>> len(result.accuracy["tuned"]), result.fold_groups
    (3, {'by': 'group', 'n_groups': 60})
    """
    if tune not in _TUNE:
        raise ValueError(f"tune={tune!r} must be one of {list(_TUNE)}.")
    y = np.asarray(y, dtype=bool)
    levels = group_levels(groups, y.size)
    by, codes, n_groups, _ = grouping(levels, y.size, max(min_groups, n_splits))
    splits = _splits(y, codes, n_splits, n_repeats, random_state)
    result = Comparison(
        names=list(estimators),
        tune=_TUNE[tune],
        unanswerable=y,
        n_train=round(np.mean([len(train) for train, _ in splits])),
        n_test=round(np.mean([len(test) for _, test in splits])),
        groups=levels,
        min_groups=min_groups,
        fold_groups={"by": by, "n_groups": n_groups},
    )
    if return_indices:
        train, test = zip(*splits, strict=True)
        result.indices = {"train": list(train), "test": list(test)}
    for metric, credit in (("em", em), ("f1", f1)):
        if credit is not None:
            result.answer_credit[metric] = {
                name: np.asarray(credit[name] if isinstance(credit, dict) else credit)
                for name in estimators
            }
    with one_blas_thread():
        for name, estimator in estimators.items():
            credit = {m: c[name] for m, c in result.answer_credit.items()}
            params = {
                "sample_weight": tuning_sample_weight(y, tune, **credit),
                "answer_credit": credit.get("em"),
            }
            folds = cross_validate_one(estimator, X, y, splits, params, n_jobs)
            _record_folds(result, name, folds, X, credit, n_splits)
            if return_estimator:
                result.fitted[name] = [m.estimator_ for m in folds["models"]]
            if progress is not None:
                seconds = np.mean(folds["fit_seconds"])
                progress(f"{name}: {len(splits)} folds fitted, {seconds:.3f} s per fit")
    return result


def _splits(y, codes, n_splits, n_repeats, random_state):
    """Repeated stratified folds, keeping each group of `codes` together."""
    if codes is None:
        cv = RepeatedStratifiedKFold(
            n_splits=n_splits, n_repeats=n_repeats, random_state=random_state
        )
        return list(cv.split(np.zeros(y.size), y))
    rng = check_random_state(random_state)
    cv = StratifiedGroupKFold(n_splits, shuffle=True, random_state=rng)
    return [s for _ in range(n_repeats) for s in cv.split(np.zeros(y.size), y, codes)]


def _record_folds(result, name, folds, X, credit, n_splits):
    """Store one estimator's fold scores, fit times and decisions."""
    y = result.unanswerable
    null = np.zeros((len(folds["test"]) // n_splits, y.size), bool)
    result.predicted_null[name] = null
    result.accuracy[name] = folds["accuracy"]
    result.fit_seconds[name] = folds["fit_seconds"]
    right = credit.get("em", (~y).astype(float))
    for fold, test in enumerate(folds["test"]):
        decided = np.asarray(folds["models"][fold].predict(take_rows(X, test)), bool)
        null[fold // n_splits, test] = decided
        for metric, values in credit.items():
            score = squad2_credit(decided, y[test], values[test]).mean()
            result.scores(metric).setdefault(name, []).append(float(score))
        answered = right[test][~decided]
        result.coverage.setdefault(name, []).append(float(np.mean(~decided)))
        result.answered_precision.setdefault(name, []).append(
            float(answered.mean()) if answered.size else np.nan
        )
