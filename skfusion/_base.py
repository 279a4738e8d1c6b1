"""What both estimators share: checks in `fit` and `predict`, the target, tags."""

from contextlib import contextmanager

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import _check_sample_weight

# The precisions both estimators compute in, as X gives them.
FLOATS = (np.float64, np.float32)


@contextmanager
def _restore_state_on_failure(estimator):
    """Undo every attribute `fit` set if it raises: the estimator is left as it was."""
    # validate_data(reset=True) sets n_features_in_ before later checks can
    # fail; a failed refit would otherwise expect the rejected data's shape.
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        raise


def _plain_rows(estimator, X):
    """Return X's values if ``validate_data(reset=False)`` would pass them as they are.

    That is a float array (or, for an estimator fitted with feature names, a
    pandas DataFrame of float columns with those names) of at least one row,
    the fitted width and finite values; anything else returns None, for
    scikit-learn's checks, errors and warnings. A fitted ``n_features_in_``
    also means that `check_is_fitted` would pass.
    """
    state = estimator.__dict__
    names = state.get("feature_names_in_")
    if names is not None:
        if not (
            type(X).__name__ == "DataFrame"
            and type(X).__module__.startswith("pandas")
            and X.columns.tolist() == names.tolist()
            and all(dtype in FLOATS for dtype in X.dtypes)  # no sparse column
        ):
            return None
        X = X.to_numpy()
    if (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.shape[0] > 0
        and X.shape[1] == state.get("n_features_in_")
        and X.dtype in FLOATS
        and np.isfinite(X).all()
    ):
        return X
    return None


def _check_binary_target(y, sample_weight):
    """Return ``classes_`` after checking that y is a binary target.

    Both classes must carry positive total weight: a problem that sample
    weights reduce to one class has no decision to learn.
    """
    if y.dtype == bool:  # binary without type_of_target's and unique's sorts
        classes = np.array([False, True])[[not y.all(), y.any()]]
        y_type = "binary"
    else:
        y_type = type_of_target(y, input_name="y")
        if y_type in ("continuous", "continuous-multioutput", "unknown"):
            check_classification_targets(y)  # scikit-learn's own error
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
    if sample_weight is not None and not (sample_weight > 0).all():
        kept = classes[[(sample_weight[y == c] > 0).any() for c in classes]]
        if kept.size < 2:
            raise ValueError(
                "This classifier needs samples of 2 classes with non-zero "
                f"sample_weight, but only class {kept.tolist()[0]!r} has any."
            )
    return classes


class _BinaryScoreClassifier(ClassifierMixin, BaseEstimator):
    """Base of skfusion's classifiers: binary targets over dense float scores.

    Subclasses implement ``_fit(X, y, sample_weight, classes)``, which sets
    the fitted attributes, and call `_fit_checked` from `fit`. X stays in its
    precision, float64 or float32; ``sample_weight`` is None or float64. If
    any check or `_fit` raises, the estimator is left as it was, fitted or not.
    """

    def _fit_checked(self, X, y, sample_weight, **fit_params):
        with _restore_state_on_failure(self):
            X, y = validate_data(self, X, y, dtype=list(FLOATS))
            if sample_weight is not None:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=np.float64, ensure_non_negative=True
                )
            classes = _check_binary_target(y, sample_weight)
            self._fit(X, y, sample_weight, classes, **fit_params)
            self.classes_ = classes
        return self

    def _validated_rows(self, X):
        """X's values, checked as ``validate_data(reset=False)`` checks them."""
        # A plain float array (or a DataFrame of the fitted columns) skips
        # validate_data, most of the time of a one-question call.
        rows = _plain_rows(self, X)
        if rows is None:
            check_is_fitted(self)
            rows = validate_data(self, X, dtype=list(FLOATS), reset=False)
        return rows

    def _labels(self, positive):
        """``classes_[1]`` where `positive`, else ``classes_[0]``: no index array."""
        labels = np.where(positive, self.classes_[1], self.classes_[0])
        return labels.astype(self.classes_.dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = False
        return tags
