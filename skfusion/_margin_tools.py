"""The margin rule's columns, by name or index, and its direction check."""

import warnings
from numbers import Integral

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import clone
from sklearn.metrics import roc_auc_score


def _column_positions(name, spec, n_features, feature_names):
    items = spec if isinstance(spec, list) else [spec]
    if not items:
        raise ValueError(f"{name}=[] names no column; give at least one.")
    positions = []
    for item in items:
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
            positions.append(int(found[0]))
        elif isinstance(item, bool) or not isinstance(item, Integral):
            raise ValueError(
                f"{name} must hold column indices or names, got {item!r} "
                f"({type(item).__name__})."
            )
        elif not -n_features <= item < n_features:
            raise ValueError(
                f"{name}={item} is out of range for X with {n_features} feature(s): "
                f"use an index in [{-n_features}, {n_features - 1}]."
            )
        else:
            positions.append(int(item) % n_features)
    if len(set(positions)) < len(positions):
        raise ValueError(f"{name}={spec!r} names the same column twice.")
    return positions


def _margin_positions(null_column, span_column, n_features, feature_names):
    null = _column_positions("null_column", null_column, n_features, feature_names)
    if span_column is None:
        return null, None
    span = _column_positions("span_column", span_column, n_features, feature_names)
    if set(null) & set(span):
        raise ValueError(
            f"null_column={null_column!r} and span_column={span_column!r} share a "
            f"column of X with {n_features} feature(s); use span_column=None if "
            "the null column(s) already hold the margin."
        )
    return null, span


def margin_column_indices(
    feature_names, null_column=0, span_column=-1
) -> tuple[list[int], list[int] | None]:
    """Return the column positions of a margin rule's null and span scores.

    As `MarginThresholdClassifier` resolves them (errors included) when
    fitted on a DataFrame of columns `feature_names`, e.g. a loader's
    ``margin_columns`` into positions in its ``data``.

    Parameters
    ----------
    feature_names : array-like of str
        The names of the columns of `X`.
    null_column, span_column : int, str or list of int or str
        As for `MarginThresholdClassifier`; a `span_column` of None means none.

    Returns
    -------
    null, span : list of int
        Non-negative positions of the null and span score columns (span None
        where `span_column` is None).

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
    return _margin_positions(null_column, span_column, names.shape[0], names)


def _formula(rule, feature_names, n_features):
    """Write the rule's margin as text, e.g. ``(a + b) - c``."""
    names = [f"X[:, {i}]" for i in range(n_features)]
    names = names if feature_names is None else [str(n) for n in feature_names]
    null, span = margin_column_indices(names, rule.null_column, rule.span_column)

    def total(columns):
        text = " + ".join(names[i] for i in columns)
        return f"({text})" if len(columns) > 1 and span is not None else text

    return total(null) if span is None else f"{total(null)} - {total(span)}"


def check_margin_direction(
    rule, X: ArrayLike, y: ArrayLike, *, feature_names=None
) -> float:
    """Warn where a margin rule's margin is lower for unanswerable questions.

    BERT's margin is higher for unanswerable questions; a ROC AUC below 0.5,
    usually swapped labels or columns, a tuned threshold would hide.

    Parameters
    ----------
    rule : MarginThresholdClassifier
        The rule (fitted or not) whose columns give the margin.
    X : array-like of shape (n_samples, n_features)
        Reader scores.
    y : array-like of shape (n_samples,) of bool
        True (or the rule's positive class) where the question has no answer.
    feature_names : array-like of str, default=None
        Names of the columns of an array `X`.

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
    # At threshold 0 the decision function is the margin, signed to classes_[1].
    targets = dict.fromkeys(("target_precision", "target_noans_recall", "confidence"))
    at_zero = clone(rule).set_params(threshold=0.0, **targets)
    if feature_names is not None and not hasattr(X, "columns"):
        columns = margin_column_indices(
            feature_names, rule.null_column, rule.span_column
        )
        at_zero.set_params(null_column=columns[0], span_column=columns[1])
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
