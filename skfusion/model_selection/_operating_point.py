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
        An unfitted classifier with a ``decision_function`` whose high values
        mean ``classes_[1]``, "no answer" (a `~skfusion.TorchLogisticFusion`,
        say).
    X : array-like or DataFrame of shape (n_questions, n_features)
        Score columns.
    y : array-like of shape (n_questions,) of bool
        True where the question is unanswerable.
    target_precision, target_noans_recall : float in [0, 1] or None
        The targets, as `~skfusion.MarginThresholdClassifier` takes them.
    confidence : float in (0, 1) or None, default=None
        With `target_precision`: guarantee it on new questions with this
        probability. None fits and meets the targets on all of `X` (in
        sample).
    answer_credit : array-like of shape (n_questions,) or None, default=None
        Each question's EM (or F1) if answered; None counts an answerable
        question as right.
    calibration_size : float in (0, 1), default=0.5
        With `confidence`, the share of the questions (stratified by `y`)
        kept out of the fit to choose the threshold on.
    random_state : int, default=0
        Seed of that split.

    Returns
    -------
    classifier : sklearn.model_selection.FixedThresholdClassifier
        The fitted estimator, frozen, with the threshold on its decision
        function.

    See Also
    --------
    skfusion.MarginThresholdClassifier : Finds the threshold, here on the
        decision function.

    Notes
    -----
    The exact search of `~skfusion.MarginThresholdClassifier` runs on the
    decision function; scikit-learn's ``FixedThresholdClassifier`` then
    applies it (it predicts the positive class where the decision is at
    least its threshold, so it gets the next float above ours). A guarantee
    (Learn then Test) needs scores that did not see the questions it is
    calibrated on, so with `confidence` the estimator is fitted on the other
    questions only.

    Examples
    --------
    >>> from skfusion import TorchLogisticFusion
    >>> from skfusion.datasets import make_squad2_scores
    >>> from skfusion.model_selection import fixed_operating_point
    >>> X, y = make_squad2_scores(n_questions=2000, random_state=0)
    >>> fusion = TorchLogisticFusion(n_restarts=2, random_state=0)
    >>> point = fixed_operating_point(
    ...     fusion, X, y, target_precision=0.85, confidence=0.9
    ... )
    >>> answered = ~point.predict(X)
    >>> bool((~y[answered]).mean() >= 0.85)
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
