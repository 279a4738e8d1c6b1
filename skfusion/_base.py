"""What both estimators share: checks in `fit` and `predict`, the target, tags."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import _check_sample_weight

FLOATS = (np.float64, np.float32)  # X's precisions, kept as they are


def _row_chunks(X, n_rows=1 << 16):
    """Yield each chunk of rows and its values: its copies then stay in cache."""
    for start in range(0, X.shape[0], n_rows):
        rows = slice(start, start + n_rows)
        yield rows, X[rows]


def _plain_rows(estimator, X):
    """Return X's values if ``validate_data(reset=False)`` would pass them as is."""
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
    """Return ``classes_`` of a binary target whose classes both weigh something."""
    if y.dtype == bool:  # binary, without type_of_target's and unique's sorts
        classes, y_type = np.array([False, True])[[not y.all(), y.any()]], "binary"
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
    """Base of skfusion's classifiers: `fit` calls `_fit_checked`, it `_fit`."""

    def _fit_checked(self, X, y, sample_weight, **fit_params):
        # validate_data(reset=True) sets n_features_in_ before later checks
        # can fail: a failed refit would expect the rejected data's shape.
        saved = dict(self.__dict__)
        try:
            X, y = validate_data(self, X, y, dtype=list(FLOATS))
            if sample_weight is not None:
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=np.float64, ensure_non_negative=True
                )
            classes = _check_binary_target(y, sample_weight)
            self._fit(X, y, sample_weight, classes, **fit_params)
            self.classes_ = classes
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        return self

    def _validated_rows(self, X):
        # Plain float rows skip validate_data, most of a one-question call.
        rows = _plain_rows(self, X)
        if rows is None:
            check_is_fitted(self)
            rows = validate_data(self, X, dtype=list(FLOATS), reset=False)
        return rows

    def _labels(self, positive):
        labels = np.where(positive, self.classes_[1], self.classes_[0])
        return labels.astype(self.classes_.dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = False
        return tags
