"""Honest comparison of no-answer rules: identical folds and corrected tests."""

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from sklearn.model_selection import RepeatedStratifiedKFold

from ..metrics._tuning import _tune_metric, _tuning_weights
from ._cross_validate import cross_validate_one, record_folds, record_questions
from ._fold_tests import pairwise_tests
from ._question_tests import question_tests
from ._tables import METRICS, fold_rows, summary_rows


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
    answer_credit : dict of str to ndarray, default={}
        Each question's ``"em"`` and ``"f1"`` if its best span is answered.
    groups : ndarray of shape (n_questions,) or None, default=None
        Each question's article, which `question_tests` resamples whole.
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
    groups: np.ndarray | None = None
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
            ``t``, ``p``, ``p_holm``, ``significant`` (``p_holm <= alpha``)
            and ``assumes``, what the test assumes.
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
            Seed of the bootstrap; every pair gets the same resamples.

        Returns
        -------
        tests : list of dict
            One per pair: ``a``, ``b``, ``metric``, ``repeat``,
            ``n_questions``, ``n_disagree`` (questions whose no-answer
            decisions differ), ``bootstrap`` (`paired_bootstrap_ci`'s result
            over articles where `groups` is known, else over questions, plus
            ``excludes_zero`` and ``assumes``) and ``mcnemar``
            (`mcnemar_exact`'s result plus ``p_holm``, ``significant`` and
            ``assumes``; None for a credit that is not 0 or 1, as F1).
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
    em: ArrayLike | None = None,
    f1: ArrayLike | None = None,
    groups: ArrayLike | None = None,
    tune: str = "accuracy",
    n_splits: int = 5,
    n_repeats: int = 3,
    random_state: int = 0,
    n_jobs: int | None = None,
    return_estimator: bool = True,
    return_indices: bool = False,
    progress=None,
) -> Comparison:
    """Fit every estimator on the same repeated stratified k-fold splits.

    Parameters
    ----------
    estimators : dict of str to estimator
        Classifiers to compare, by name; each predicts True for "no answer".
    X : array-like of shape (n_questions, n_features)
        Score columns.
    y : array-like of shape (n_questions,) of bool
        True where the question is unanswerable.
    em, f1 : array-like of shape (n_questions,), default=None
        Each question's EM / F1 if its best span is the answer; give them
        for out-of-fold SQuAD 2.0 EM / F1.
    groups : array-like of shape (n_questions,), default=None
        Each question's article (a dev file's title), kept for the
        per-question bootstrap of `Comparison.question_tests`, which then
        resamples whole articles; the folds do not use it.
    tune : {"accuracy", "squad_em", "squad_f1"}, default="accuracy"
        What every fit maximises: with "squad_em" or "squad_f1" (SQuAD 2.0's
        EM or F1) each fit gets the sample weights that make its weighted
        accuracy that total.

        .. deprecated:: 0.1
           ``"em"`` and ``"f1"`` are deprecated and will be removed in 0.3.
    n_splits : int, default=5
        Folds per repeat.
    n_repeats : int, default=3
        Repeats, each with another shuffle.
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

    Notes
    -----
    Every estimator sees the same training and test questions in each fold,
    so per-fold differences are paired: each estimator is cross-validated
    by `sklearn.model_selection.cross_validate` on the same list of splits.
    Fits and predictions run with BLAS limited to one thread
    (`threadpoolctl`): with a handful of score columns BLAS threads gain
    nothing, and their spinning workers would take the cores that the
    fits' own threads or joblib's workers use. ``fit_seconds`` times the
    fit alone; before the folds each estimator is fitted once, untimed, on
    a few questions, so that one-off costs (the numba kernel's compilation)
    are not counted in the first fold, except in a joblib worker process,
    where its first fit pays them. With "squad_em" or "squad_f1", the weights come
    from `skfusion.metrics.squad2_sample_weight`: weighted accuracy is then
    the SQuAD total up to a constant, so the margin rule's exact threshold
    search maximises it.

    Examples
    --------
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.datasets import make_squad2_scores
    >>> from skfusion.model_selection import compare_estimators
    >>> X, y = make_squad2_scores(n_questions=600, random_state=0)
    >>> result = compare_estimators(
    ...     {"tuned": MarginThresholdClassifier(),
    ...      "t=0": MarginThresholdClassifier(threshold=0.0)},
    ...     X, y, n_splits=3, n_repeats=1,
    ... )
    >>> len(result.accuracy["tuned"]), len(result.pairwise_tests())
    (3, 1)
    """
    tune = _tune_metric(tune)  # the score key: "accuracy", "em" or "f1"
    X, y = np.asarray(X), np.asarray(y, dtype=bool)
    weight = _tuning_weights(y, tune, em, f1)
    cv = RepeatedStratifiedKFold(
        n_splits=n_splits, n_repeats=n_repeats, random_state=random_state
    )
    splits = list(cv.split(X, y))
    result = Comparison(names=list(estimators), tune=tune, unanswerable=y)
    result.n_train, result.n_test = len(splits[0][0]), len(splits[0][1])
    record_questions(result, em, f1, groups, n_repeats)
    if return_indices:
        result.indices = {
            "train": [train for train, _ in splits],
            "test": [test for _, test in splits],
        }
    for name, estimator in estimators.items():
        folds = cross_validate_one(
            estimator, X, y, splits, weight=weight, n_jobs=n_jobs
        )
        record_folds(result, name, folds, X, n_splits)
        if return_estimator:
            result.fitted[name] = [model.estimator_ for model in folds["models"]]
        if progress is not None:
            seconds = folds["fit_seconds"]
            progress(
                f"{name}: {len(seconds)} folds fitted, {np.mean(seconds):.3f} s per fit"
            )
    return result
