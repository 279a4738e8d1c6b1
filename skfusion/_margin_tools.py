"""The margin rule's columns, by name or index, and its direction check."""

import warnings
from numbers import Integral

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import clone
from sklearn.metrics import roc_auc_score


def _column_positions(name, spec, n_features, feature_names):
    """Return the non-negative positions of the column(s) `spec` names.

    `spec` is an index, a feature name, or a non-empty list of them; names
    need the feature names that a DataFrame's columns give at `fit`.
    """
    items = spec if isinstance(spec, list) else [spec]
    if not items:
        raise ValueError(f"{name}=[] names no column; give at least one.")
    positions = [_one_position(name, item, n_features, feature_names) for item in items]
    if len(set(positions)) < len(positions):
        raise ValueError(f"{name}={spec!r} names the same column twice.")
    return positions


def _one_position(name, item, n_features, feature_names):
    if isinstance(item, str):
        if feature_names is None:
            raise ValueError(
                f"{name}={item!r} is a column name, but X has no feature names: "
                "fit on a pandas DataFrame, or give column indices."
            )
        found = np.flatnonzero(np.asarray(feature_names) == item)
        if found.size == 0:
            raise ValueError(
                f"{name}={item!r} is not a column of X; its columns are "
                f"{list(feature_names)}."
            )
        return int(found[0])
    if isinstance(item, bool) or not isinstance(item, Integral):
        raise ValueError(
            f"{name} must hold column indices or names, got {item!r} "
            f"({type(item).__name__})."
        )
    if not -n_features <= item < n_features:
        raise ValueError(
            f"{name}={item} is out of range for X with {n_features} feature(s): "
            f"use an index in [{-n_features}, {n_features - 1}]."
        )
    return int(item) % n_features


def margin_column_indices(
    feature_names, null_column=0, span_column=-1
) -> tuple[list[int], list[int] | None]:
    """Return the column positions of a margin rule's null and span scores.

    The same resolution as `MarginThresholdClassifier` applies to its
    `null_column` and `span_column` when fitted on a DataFrame whose columns
    are `feature_names`, with the same errors: use it to turn the names of a
    loader's ``margin_columns`` into positions of its ``data`` array.

    Parameters
    ----------
    feature_names : array-like of str
        The names of the columns of `X`.
    null_column : int, str or list of int or str, default=0
        As for `MarginThresholdClassifier`.
    span_column : int, str, list of int or str, or None, default=-1
        As for `MarginThresholdClassifier`; None means no span column.

    Returns
    -------
    null : list of int
        Non-negative positions of the null score column(s).
    span : list of int or None
        Positions of the span score column(s), or None.

    Raises
    ------
    ValueError
        If a name is not a feature name, an index is out of range, or a
        column is named twice.

    See Also
    --------
    MarginThresholdClassifier : The rule that sums these columns.

    Examples
    --------
    >>> from skfusion import margin_column_indices
    >>> margin_column_indices(["best_span", "joint_null"], "joint_null", [0])
    ([1], [0])
    """
    names = np.asarray(feature_names, dtype=object)
    n_features = names.shape[0]
    null = _column_positions("null_column", null_column, n_features, names)
    if span_column is None:
        return null, None
    return null, _column_positions("span_column", span_column, n_features, names)


def _formula(rule, feature_names, n_features):
    names = (
        [f"X[:, {i}]" for i in range(n_features)]
        if feature_names is None
        else [str(n) for n in feature_names]
    )
    null, span = margin_column_indices(names, rule.null_column, rule.span_column)
    text = " + ".join(names[i] for i in null)
    if span is None:
        return text
    if len(null) > 1:
        text = f"({text})"
    spans = " + ".join(names[i] for i in span)
    return f"{text} - ({spans})" if len(span) > 1 else f"{text} - {spans}"


def check_margin_direction(
    rule, X: ArrayLike, y: ArrayLike, *, feature_names=None
) -> float:
    """Warn where a margin rule's margin is lower for unanswerable questions.

    BERT's margin, the null score minus the best span score, is higher for
    unanswerable questions. A ROC AUC below 0.5 means the opposite, which
    usually comes from swapped labels or swapped null and span columns; a
    tuned threshold would then hide the mistake behind a poor score.

    Parameters
    ----------
    rule : MarginThresholdClassifier
        The rule (fitted or not) whose columns give the margin.
    X : array-like of shape (n_samples, n_features)
        Reader scores; a DataFrame's columns name the columns in the warning.
    y : array-like of shape (n_samples,) of bool
        True (or the rule's positive class) where the question has no answer.
    feature_names : array-like of str, default=None
        Names of the columns of `X`, for the rule's column names and the
        warning, where `X` is an array; None takes a DataFrame's columns.

    Returns
    -------
    auc : float
        ROC AUC of the margin for telling unanswerable questions apart.

    Warns
    -----
    UserWarning
        If `auc` is below 0.5.

    See Also
    --------
    MarginThresholdClassifier : The rule checked.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion import MarginThresholdClassifier, check_margin_direction
    >>> X = np.array([[2.0, 5.0], [1.0, 4.0], [6.0, 1.0], [7.0, 3.0]])
    >>> y = np.array([False, False, True, True])
    >>> check_margin_direction(MarginThresholdClassifier(), X, y)
    1.0
    """
    # At threshold 0 the decision function is the margin itself, signed
    # towards the positive class, and the rule resolves its own columns.
    at_zero = clone(rule).set_params(
        threshold=0.0, target_precision=None, target_noans_recall=None, confidence=None
    )
    if feature_names is not None and not hasattr(X, "columns"):
        null, span = margin_column_indices(
            feature_names, rule.null_column, rule.span_column
        )
        at_zero.set_params(null_column=null, span_column=span)
    at_zero.fit(X, y)
    auc = float(roc_auc_score(y, at_zero.decision_function(X)))
    if auc < 0.5:
        names = getattr(at_zero, "feature_names_in_", feature_names)
        formula = _formula(rule, names, at_zero.n_features_in_)
        warnings.warn(
            f"the margin {formula} is lower for unanswerable questions than for "
            f"answerable ones (AUC {auc:.3f} < 0.5): are the labels or the null "
            "and span columns swapped?",
            UserWarning,
            stacklevel=2,
        )
    return auc
