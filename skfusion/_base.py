"""What both estimators repeat in `fit`: validation, weights, target, tags."""

from contextlib import contextmanager

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import validate_data

from ._compat import _check_sample_weight


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


# The targets `check_classification_targets` accepts; calling it only where
# y is of another type avoids computing type_of_target(y) twice per fit.
_CLASSIFICATION_TARGETS = (
    "binary",
    "multiclass",
    "multiclass-multioutput",
    "multilabel-indicator",
    "multilabel-sequences",
)


def _plain_rows(estimator, X, dtypes=(np.float64, np.float32)):
    """Return `X` if ``validate_data(reset=False)`` would pass it unchanged.

    That is a C-contiguous 2-D numpy array (not a subclass) of one of
    `dtypes` in native byte order, with at least one row, the fitted number
    of columns and only finite values, given to an estimator fitted without
    feature names (with them, a plain array earns scikit-learn's warning).
    Anything else returns None, and the caller validates as usual: every
    error and warning stays scikit-learn's own. A fitted ``n_features_in_``
    also means `check_is_fitted` would pass.
    """
    state = estimator.__dict__
    if (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.shape[0] > 0
        and X.shape[1] == state.get("n_features_in_")
        and "feature_names_in_" not in state
        and X.dtype in dtypes
        and X.flags.c_contiguous
        and np.isfinite(X).all()
    ):
        return X
    return None


def _check_binary_target(y, sample_weight):
    """Return ``classes_`` after checking `y` is a binary classification target.

    Both classes must carry positive total weight: a problem that sample
    weights reduce to one class has no decision to learn.
    """
    y_type = type_of_target(y, input_name="y")
    if y_type not in _CLASSIFICATION_TARGETS:
        check_classification_targets(y)  # raises scikit-learn's own error
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
    weighted = sample_weight > 0
    if not weighted.all():
        kept = classes[[weighted[y == c].any() for c in classes]]
        if kept.size < 2:
            raise ValueError(
                "This classifier needs samples of 2 classes with non-zero "
                f"sample_weight, but only class {kept.tolist()[0]!r} has any."
            )
    return classes


class _BinaryScoreClassifier(ClassifierMixin, BaseEstimator):
    """Base of skfusion's classifiers: binary targets over dense score columns.

    Subclasses implement ``_fit(X, y, sample_weight, classes)``, which sets
    the fitted attributes, and call `_fit_checked` from their `fit`. If any
    check or `_fit` raises, every attribute is restored: the estimator is
    left exactly as it was, fitted or not.
    """

    # Precisions `fit` accepts as they are; other inputs become the first.
    _fit_dtypes = (np.float64,)

    def _fit_checked(self, X, y, sample_weight, **fit_params):
        with _restore_state_on_failure(self):
            X, y = validate_data(self, X, y, dtype=list(self._fit_dtypes))
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
            classes = _check_binary_target(y, sample_weight)
            self._fit(X, y, sample_weight, classes, **fit_params)
            self.classes_ = classes
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = False
        return tags
