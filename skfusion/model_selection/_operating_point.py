"""A classifier put at an operating point of its decision function."""

import numpy as np
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import FixedThresholdClassifier, train_test_split

from .._margin import MarginThresholdClassifier
from ._cross_validate import take_rows


def fixed_operating_point(
    estimator,
    X,
    y,
    *,
    target_precision=None,
    target_noans_recall=None,
    confidence=None,
    answer_credit=None,
    calibration_size=0.5,
    random_state=0,
):
    """Fit a classifier and put it at the operating point the targets ask for.

    Parameters
    ----------
    estimator : estimator
        An unfitted classifier whose ``decision_function`` is high for
        "no answer" (``classes_[1]``), such as :class:`~skfusion.TorchLogisticFusion`.
    X : array-like or DataFrame of shape (n_questions, n_features)
        Score columns.
    y : array-like of shape (n_questions,) of bool
        True where the question is unanswerable.
    target_precision, target_noans_recall, confidence : float or None
        As :class:`~skfusion.MarginThresholdClassifier` takes them.
    answer_credit : array-like of shape (n_questions,) or None, default=None
        Each question's EM if answered; None counts answerable as right.
    calibration_size : float in (0, 1), default=0.5
        With `confidence`, the share of questions (stratified by `y`) kept
        out of the fit to choose the threshold on.
    random_state : int, default=0
        Seed of that split.

    Returns
    -------
    classifier : sklearn.model_selection.FixedThresholdClassifier
        The fitted estimator, frozen, at the threshold.

    See Also
    --------
    skfusion.MarginThresholdClassifier : Finds the threshold.

    Notes
    -----
    The exact search of :class:`~skfusion.MarginThresholdClassifier` runs on the
    decision function; scikit-learn's ``FixedThresholdClassifier`` predicts
    "no answer" where the decision is at least its threshold, the next float
    above ours. A guarantee (Learn then Test) needs scores that did not see
    their calibration questions: with `confidence`, the estimator is fitted
    on the others. Without, all is fitted and chosen in sample.

    Examples
    --------
    >>> from skfusion import TorchLogisticFusion
    >>> from skfusion.datasets import make_squad2_scores
    >>> from skfusion.model_selection import fixed_operating_point
    >>> X, y = make_squad2_scores(n_questions=2000, random_state=0)
    >>> point = fixed_operating_point(
    ...     TorchLogisticFusion(n_restarts=2, random_state=0),
    ...     X, y, target_precision=0.85, confidence=0.9,
    ... )
    >>> bool((~y[~point.predict(X)]).mean() >= 0.85)
    True
    """
    y = np.asarray(y, dtype=bool)
    credit = None if answer_credit is None else np.asarray(answer_credit, dtype=float)
    fit_rows = calibration = np.arange(y.size)
    if confidence is not None:
        fit_rows, calibration = train_test_split(
            fit_rows, test_size=calibration_size, stratify=y, random_state=random_state
        )
    model = clone(estimator).fit(take_rows(X, fit_rows), y[fit_rows])
    decision = model.decision_function(take_rows(X, calibration))
    point = MarginThresholdClassifier(
        span_column=None,
        target_precision=target_precision,
        target_noans_recall=target_noans_recall,
        confidence=confidence,
    ).fit(
        np.asarray(decision, dtype=float)[:, None],
        y[calibration],
        answer_credit=None if credit is None else credit[calibration],
    )
    return FixedThresholdClassifier(
        FrozenEstimator(model),
        threshold=float(np.nextafter(point.best_threshold_, np.inf)),
        response_method="decision_function",
    ).fit(X, y)
