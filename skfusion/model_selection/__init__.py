"""Honest comparison of no-answer rules: identical folds and corrected tests."""

from ._compare import Comparison, compare_estimators
from ._fold_tests import corrected_resampled_ttest, holm_adjust
from ._operating_point import fixed_operating_point
from ._question_tests import cluster_robust_ttest, mcnemar_exact, paired_bootstrap_ci
from ._rules import no_answer_rules, rule_credit
from ._runs import RunComparison, compare_runs

__all__ = [
    "Comparison",
    "RunComparison",
    "cluster_robust_ttest",
    "compare_estimators",
    "compare_runs",
    "corrected_resampled_ttest",
    "fixed_operating_point",
    "holm_adjust",
    "mcnemar_exact",
    "no_answer_rules",
    "paired_bootstrap_ci",
    "rule_credit",
]
