"""A fitted classifier put at an operating point of its decision function."""

import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import FixedThresholdClassifier

from .._margin import MarginThresholdClassifier


def fixed_operating_point(estimator, X, y, *, answer_credit=None, **targets):
    """Put a fitted classifier at the operating point that `targets` ask for.

    The exact search runs on the classifier's decision function (high
    means ``classes_[1]``, "no answer"); scikit-learn's
    ``FixedThresholdClassifier`` then applies that threshold. It predicts
    the positive class where the decision is at least its threshold, so it
    gets the next float above ours, which predicts where the decision is
    strictly above.
    """
    decision = np.asarray(estimator.decision_function(X), dtype=float)[:, None]
    point = MarginThresholdClassifier(span_column=None, **targets)
    point.fit(decision, y, answer_credit=answer_credit)
    fixed = FixedThresholdClassifier(
        FrozenEstimator(estimator),
        threshold=float(np.nextafter(point.best_threshold_, np.inf)),
        response_method="decision_function",
    )
    return fixed.fit(X, y)
