"""The one home of scikit-learn's private names, and of optional imports."""

from sklearn.base import _fit_context
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "Interval",
    "LinearClassifierMixin",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "_import_pandas",
    "_import_torch",
    "_openmp_effective_n_threads",
    "validate_params",
]


def _import_torch(needed_by):
    """Import torch, or raise an ImportError naming what needs it and the extra."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            f"{needed_by} needs PyTorch, which could not be imported ({exc}). "
            "Install the torch build for your platform (https://pytorch.org; "
            "its CPU index for a CPU-only machine), or, in a clone of skfusion, "
            "the torch extra: pip install -e '.[torch]'."
        ) from exc
    return torch


def _import_pandas(needed_by):
    """Import pandas, or raise an ImportError that says what needs it."""
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            f"{needed_by} needs pandas, which could not be imported ({exc}): "
            "pip install pandas."
        ) from exc
    return pandas
