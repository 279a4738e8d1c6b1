"""Input checks and state guards shared by the skfusion estimators."""

import numbers
from contextlib import contextmanager

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target


@contextmanager
def _restore_state_on_failure(estimator):
    """Undo every attribute change `fit` made if it raises.

    `validate_data(reset=True)` sets ``n_features_in_`` before later checks
    can fail; without this, a failed refit would leave a previously fitted
    estimator expecting the new, rejected, data's shape.
    """
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        raise


def _check_binary_target(y, sample_weight):
    """Return ``classes_`` after checking `y` is a binary classification target.

    Both classes must carry positive total weight: a problem that sample
    weights reduce to one class has no decision to learn.
    """
    check_classification_targets(y)
    y_type = type_of_target(y, input_name="y")
    classes = np.unique(y)
    if y_type != "binary":
        raise ValueError(
            "Only binary classification is supported; y has "
            f"{classes.size} classes (type_of_target(y)={y_type!r})."
        )
    if classes.size < 2:
        raise ValueError(
            "This classifier needs samples of 2 classes, but the data contains "
            f"only one class: {classes.tolist()[0]!r}."
        )
    weighted = np.unique(y[sample_weight > 0])
    if weighted.size < 2:
        raise ValueError(
            "This classifier needs samples of 2 classes with non-zero "
            f"sample_weight, but only class {weighted.tolist()[0]!r} has any."
        )
    return classes


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
    if isinstance(item, bool) or not isinstance(item, numbers.Integral):
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
