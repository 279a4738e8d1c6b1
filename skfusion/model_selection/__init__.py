"""Honest comparison of no-answer rules: identical folds and corrected tests."""

from ._compare import Comparison, compare_estimators
from ._fold_tests import corrected_resampled_ttest, holm_adjust
from ._question_tests import mcnemar_exact, paired_bootstrap_ci
from ._runs import RunComparison, compare_runs

__all__ = [
    "Comparison",
    "RunComparison",
    "compare_estimators",
    "compare_runs",
    "corrected_resampled_ttest",
    "holm_adjust",
    "mcnemar_exact",
    "paired_bootstrap_ci",
]
