"""scikit-learn estimators for the no-answer decision of extractive QA readers."""

from ._fusion import TorchLogisticFusion
from ._margin import MarginThresholdClassifier
from ._margin_tools import check_margin_direction, margin_column_indices

__all__ = [
    "MarginThresholdClassifier",
    "TorchLogisticFusion",
    "check_margin_direction",
    "margin_column_indices",
]
# The one place the version is written: pyproject.toml reads it from here
# (statically, without importing the package).
__version__ = "0.1.0"
