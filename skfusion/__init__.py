"""scikit-learn estimators for the no-answer decision of extractive QA readers."""

from ._fusion import TorchLogisticFusion
from ._margin import MarginThresholdClassifier

__all__ = ["MarginThresholdClassifier", "TorchLogisticFusion"]
__version__ = "0.1.0"
