"""Honest comparison of no-answer rules: identical folds and corrected tests."""

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedGroupKFold
from sklearn.utils import check_random_state

from ..metrics import squad2_credit, tuning_sample_weight
from ._cross_validate import cross_validate_one, one_blas_thread, take_rows
from ._fold_tests import pairwise_tests
from ._question_tests import group_levels, grouping, question_tests
from ._tables import METRICS, fold_rows, summary_rows

# compare_estimators' tune, and the key of the scores it names.
_TUNE = {"accuracy": "accuracy", "squad_em": "em", "squad_f1": "f1"}


@dataclass
class Comparison:
    """Per-fold results of several estimators on the same folds.

    Returned by `compare_estimators`, which fills it estimator by
    estimator; each dictionary maps an estimator's name to one entry per
    fold, in the order of the folds.

    Parameters
    ----------
    names : list of str
        The estimators' names, in the order they were given.
    tune : {"accuracy", "em", "f1"}, default="accuracy"
        What every fit maximised, as the key of its scores: "em" and "f1"
        are SQuAD's (``tune="squad_em"`` or ``"squad_f1"``).
    accuracy : dict of str to list of float, default={}
        Out-of-fold accuracy of the no-answer decision.
    em : dict of str to list of float, default={}
        Out-of-fold SQuAD 2.0 EM; empty without per-question credit.
    f1 : dict of str to list of float, default={}
        Out-of-fold SQuAD 2.0 F1; empty without per-question credit.
    fit_seconds : dict of str to list of float, default={}
        Fit times.
    fitted : dict of str to list of estimator, default={}
        The fitted models; empty with ``return_estimator=False``.
    n_train : int, default=0
        Training questions per fold.
    n_test : int, default=0
        Test questions per fold.
    predicted_null : dict of str to ndarray, default={}
        Out-of-fold "no answer" decisions, of shape ``(n_repeats,
        n_questions)``: each repeat predicts every question once.
    unanswerable : ndarray of shape (n_questions,) or None, default=None
        The labels the decisions are scored against.
    answer_credit : dict, default={}
        ``{"em": {name: credit}, "f1": {name: credit}}``: each question's EM
        and F1 if the estimator answers it (with its reader's best span).
    coverage, answered_precision : dict of str to list of float, default={}
        Per fold, the fraction of test questions answered and the mean
        credit (EM where given, else 1 for answerable) of those answered,
        NaN where none is: how an operating point holds out of fold.
    groups : dict of str to ndarray, default={}
        Each grouping level's group codes, coarsest first (e.g. article,
        paragraph), for the per-question tests.
    min_groups : int, default=20
        Fewest groups a level needs to be used.
    fold_groups : dict, default={"by": "question", "n_groups": 0}
        What the folds kept together: ``by`` (the level, or "question"
        where folds split questions freely) and ``n_groups``.
    indices : dict or None, default=None
        With ``return_indices=True``, ``{"train": [...], "test": [...]}``:
        every fold's row indices, as `sklearn.model_selection.cross_validate`
        returns them.

    See Also
    --------
    compare_estimators : Runs the comparison.
    corrected_resampled_ttest : The test of `pairwise_tests`.

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
        """Return the fold scores of one metric per estimator.

        Parameters
        ----------
        metric : {"accuracy", "em", "f1"}
            Which score.

        Returns
        -------
        scores : dict of str to list of float
            Each estimator's score on every fold; empty where the metric
            was not recorded.
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
            One per pair: ``a``, ``b``, ``mean_difference`` (a minus b),
            ``t``, ``p``, ``p_holm``, ``significant`` (``p_holm <= alpha``;
            None where the test is undefined, NaN ``t`` and ``p`` from
            equal differences, or where its measured false-positive rate is
            above 0.065), ``assumes`` (what the test assumes, and how the
            folds were grouped) and ``false_positive_rate`` (measured on
            data like SQuAD 2.0 dev's, None if not measured).
        """
        return pairwise_tests(self, metric or self.tune, alpha=alpha)

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
            The per-question credit compared; None is the one the fits
            maximised.
        repeat : int, default=0
            Which repeat's out-of-fold decisions: in each, every question is
            predicted once, by a model fitted without it.
        n_resamples : int, default=10000
            Bootstrap resamples.
        confidence_level : float, default=0.95
            Coverage of the bootstrap intervals.
        alpha : float, default=0.05
            Family-wise level of McNemar's ``significant`` (Holm).
        random_state : int, RandomState instance or None, default=0
            Seed of the bootstrap; each pair's resamples are drawn with it.

        Returns
        -------
        tests : list of dict
            One per pair: ``a``, ``b``, ``metric``, ``repeat``,
            ``n_questions``, ``n_disagree`` (questions whose no-answer
            decisions differ), ``bootstrap`` (`paired_bootstrap_ci`'s result
            over the coarsest level of `groups` with `min_groups` groups,
            plus ``excludes_zero``), ``cluster_t``
            (`cluster_robust_ttest`'s, over the same level, plus ``p_holm``
            and ``significant``) and ``mcnemar`` (`mcnemar_exact`'s result
            plus ``p_holm`` and ``significant``; None for a credit that is
            not 0 or 1, as F1). Each carries ``assumes`` and its measured
            ``false_positive_rate``; ``significant`` is None where that rate
            is above 0.065 or the test is undefined.
        """
        return question_tests(
            self,
            metric or self.tune,
            repeat=repeat,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            alpha=alpha,
            random_state=random_state,
        )

    def target_met(self, name, target_precision):
        """How often the out-of-fold answers of `name` met a precision target.

        Parameters
        ----------
        name : str
            The estimator.
        target_precision : float
            The precision of the answered questions it aims at.

        Returns
        -------
        result : dict
            ``estimator``, ``target_precision``, ``n_folds``, ``n_met`` (test
            folds whose answered questions reach the target; a fold with
            none answered meets it), and the mean ``coverage`` and
            ``precision`` over the folds.
        """
        precision = np.array(self.answered_precision[name])
        met = np.isnan(precision) | (precision >= target_precision)
        return {
            "estimator": name,
            "target_precision": float(target_precision),
            "n_folds": int(precision.size),
            "n_met": int(met.sum()),
            "coverage": float(np.mean(self.coverage[name])),
            "precision": float(np.nanmean(precision)),
        }

    def to_frame(self):
        """Return the fold scores as a pandas DataFrame, one row per fit.

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``estimator``, ``fold`` (the fold's position, from 0, in
            the order of `sklearn.model_selection.RepeatedStratifiedKFold`),
            then every recorded metric and ``fit_seconds``.

        Raises
        ------
        ImportError
            If pandas is not installed.

        See Also
        --------
        summary : The mean and standard deviation of each column.

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
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "Comparison.to_frame needs pandas: pip install pandas"
            ) from exc
        keys, rows = fold_rows(self)
        return pd.DataFrame(rows, columns=["estimator", "fold", *keys])

    def summary(self):
        """Return the mean and standard deviation of every recorded score.

        Returns
        -------
        rows : list of dict
            One per estimator, in the order of `names`: ``estimator`` (the
            name), then for each recorded metric and ``fit_seconds`` its
            mean over the folds and, suffixed ``_std``, its standard
            deviation (the population one, ``numpy.std``'s default).
        """
        return summary_rows(self)


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
        Score columns; a DataFrame reaches every fit as a DataFrame, so a
        rule may name its columns.
    y : array-like of shape (n_questions,) of bool
        True where the question is unanswerable.
    em, f1 : array-like of shape (n_questions,), dict or None, default=None
        Each question's EM / F1 if its best span is the answer, for
        out-of-fold SQuAD 2.0 EM / F1; a dict gives each estimator its own
        (rules on different readers answer with different spans).
    groups : array-like of shape (n_questions,), dict or None, default=None
        Each question's group, or a dict of such arrays from the coarsest
        level to the finest, e.g. ``{"article": titles, "paragraph":
        contexts}``: the folds keep each group of the coarsest level with at
        least `min_groups` groups together (questions on one text are not
        independent), and the per-question tests use the same level. None,
        or no level with enough groups, splits single questions.
    tune : {"accuracy", "squad_em", "squad_f1"}, default="accuracy"
        What every fit maximises: with "squad_em" or "squad_f1" (SQuAD 2.0's
        EM or F1) each fit gets the sample weights that make its weighted
        accuracy that total.
    n_splits : int, default=5
        Folds per repeat.
    n_repeats : int, default=3
        Repeats, each with another shuffle.
    min_groups : int, default=20
        Fewest groups a level of `groups` needs to be used (and at least
        `n_splits`).
    random_state : int, default=0
        Seed of the folds.
    n_jobs : int or None, default=None
        Folds fitted in parallel, passed to
        `sklearn.model_selection.cross_validate`; None is 1 unless in a
        `joblib.parallel_config` context, which also picks the backend
        (processes, threads, a dask cluster).
    return_estimator : bool, default=True
        Keep every fold's fitted model in `Comparison.fitted`.
    return_indices : bool, default=False
        Keep every fold's training and test rows in `Comparison.indices`.
    progress : callable or None, default=None
        Called with a message after each estimator's folds.

    Returns
    -------
    comparison : Comparison
        Out-of-fold scores, fit times and fitted models per fold, and the
        out-of-fold decisions per question.

    See Also
    --------
    corrected_resampled_ttest : How `Comparison.pairwise_tests` tests pairs.
    sklearn.model_selection.cross_validate : What runs each estimator's folds.
    sklearn.model_selection.StratifiedGroupKFold : The grouped folds.

    Notes
    -----
    Every estimator sees the same training and test questions in each fold,
    so per-fold differences are paired: each estimator is cross-validated
    by `sklearn.model_selection.cross_validate` on the same list of splits.
    Without a level of `groups` to keep together they are
    `sklearn.model_selection.RepeatedStratifiedKFold`'s; with one,
    `sklearn.model_selection.StratifiedGroupKFold`'s, shuffled anew in
    each repeat. Fits and predictions run with BLAS limited to one thread
    (`threadpoolctl`): with a handful of score columns BLAS threads gain
    nothing, and their spinning workers would take the cores that the
    fits' own threads or joblib's workers use. ``fit_seconds`` times the
    fit alone; before the folds each estimator is fitted once, untimed, on
    a few questions, so that one-off costs (the numba kernel's compilation)
    are not counted in the first fold, except in a joblib worker process,
    where its first fit pays them. With "squad_em" or "squad_f1", the
    weights come from `skfusion.metrics.squad2_sample_weight`: weighted
    accuracy is then the SQuAD total up to a constant, so the margin rule's
    exact threshold search maximises it. The weights reach each fit with
    scikit-learn's metadata routing on or off.

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
        groups=levels,
        min_groups=min_groups,
        fold_groups={"by": by, "n_groups": n_groups},
    )
    result.n_train = round(np.mean([len(train) for train, _ in splits]))
    result.n_test = round(np.mean([len(test) for _, test in splits]))
    if return_indices:
        result.indices = {
            "train": [train for train, _ in splits],
            "test": [test for _, test in splits],
        }
    for metric, credit in (("em", em), ("f1", f1)):
        if credit is not None:
            result.answer_credit[metric] = {
                name: np.asarray(credit[name] if isinstance(credit, dict) else credit)
                for name in estimators
            }
    with one_blas_thread():
        for name, estimator in estimators.items():
            credit = {m: c[name] for m, c in result.answer_credit.items()}
            weight = tuning_sample_weight(
                y, tune, em=credit.get("em"), f1=credit.get("f1")
            )
            params = {"sample_weight": weight, "answer_credit": credit.get("em")}
            folds = cross_validate_one(
                estimator, X, y, splits, params=params, n_jobs=n_jobs
            )
            _record_folds(result, name, folds, X, credit, n_splits)
            if return_estimator:
                result.fitted[name] = [m.estimator_ for m in folds["models"]]
            if progress is not None:
                seconds = folds["fit_seconds"]
                progress(
                    f"{name}: {len(seconds)} folds fitted, "
                    f"{np.mean(seconds):.3f} s per fit"
                )
    return result


def _splits(y, codes, n_splits, n_repeats, random_state):
    """Every repeat's folds; grouped ones shuffled anew in each repeat."""
    if codes is None:
        cv = RepeatedStratifiedKFold(
            n_splits=n_splits, n_repeats=n_repeats, random_state=random_state
        )
        return list(cv.split(np.zeros(y.size), y))
    rng = check_random_state(random_state)
    return [
        split
        for _ in range(n_repeats)
        for split in StratifiedGroupKFold(
            n_splits, shuffle=True, random_state=rng
        ).split(np.zeros(y.size), y, codes)
    ]


def _record_folds(result, name, folds, X, credit, n_splits):
    """Store one estimator's fold scores, fit times and decisions."""
    y = result.unanswerable
    n_repeats = len(folds["test"]) // n_splits
    result.predicted_null[name] = np.zeros((n_repeats, y.size), dtype=bool)
    result.accuracy[name] = folds["accuracy"]
    result.fit_seconds[name] = folds["fit_seconds"]
    right = credit.get("em", (~y).astype(float))
    for fold, (model, test) in enumerate(
        zip(folds["models"], folds["test"], strict=True)
    ):
        null = np.asarray(model.predict(take_rows(X, test))).astype(bool)
        result.predicted_null[name][fold // n_splits, test] = null
        for metric, values in credit.items():
            score = squad2_credit(null, y[test], values[test]).mean()
            result.scores(metric).setdefault(name, []).append(float(score))
        answered = right[test][~null]
        result.coverage.setdefault(name, []).append(float(np.mean(~null)))
        result.answered_precision.setdefault(name, []).append(
            float(answered.mean()) if answered.size else np.nan
        )
