"""Comparisons over several runs of one reader, against scipy and enumeration."""

import itertools

import numpy as np
import pytest
from scipy import stats
from sklearn.model_selection import RepeatedStratifiedKFold, cross_val_score

from skfusion import MarginThresholdClassifier
from skfusion.datasets import make_squad2_scores
from skfusion.model_selection import (
    Comparison,
    RunComparison,
    compare_runs,
    holm_adjust,
)

RULES = {
    "tuned": MarginThresholdClassifier(),
    "zero": MarginThresholdClassifier(threshold=0.0),
    "high": MarginThresholdClassifier(threshold=2.5),
}


def simulated_runs(n_runs):
    runs = {}
    for seed in range(n_runs):
        X, y = make_squad2_scores(n_questions=500, random_state=seed)
        runs[f"run{seed}"] = {"data": X, "target": y}
    return runs


def test_per_run_scores_are_each_runs_cross_validation():
    runs = simulated_runs(3)
    result = compare_runs(runs, RULES, n_splits=3, n_repeats=2)
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    for row, (name, run) in zip(result.per_run(), runs.items(), strict=True):
        assert row["run"] == name
        for rule_name, rule in RULES.items():
            expected = cross_val_score(rule, run["data"], run["target"], cv=cv)
            assert row[rule_name] == pytest.approx(expected.mean())
    assert result.runs == list(runs) and result.names == list(RULES)


def exact_signed_rank_p(d):
    """Two-sided exact p of the signed-rank sum, over all 2^n sign flips."""
    ranks = stats.rankdata(np.abs(d))
    observed = abs(ranks[d > 0].sum() - ranks.sum() / 2)
    flips = [
        abs(sum(r for r, s in zip(ranks, signs, strict=True) if s) - ranks.sum() / 2)
        for signs in itertools.product([False, True], repeat=d.size)
    ]
    return np.mean(np.array(flips) >= observed - 1e-9)


def made_up(scores):
    """A RunComparison over runs whose fold scores are given per rule."""
    names = list(scores)
    n_runs = len(scores[names[0]])
    comparisons = {
        f"r{i}": Comparison(names=names, accuracy={n: [scores[n][i]] for n in names})
        for i in range(n_runs)
    }
    return RunComparison(names, list(comparisons), comparisons)


def test_run_tests_match_scipy_and_the_exact_signed_rank_test():
    rng = np.random.RandomState(0)
    a = 0.80 + rng.normal(0, 0.01, 7)
    b = a - rng.normal(0.004, 0.006, 7)
    c = a + rng.normal(0.0, 0.01, 7)
    result = made_up({"a": a, "b": b, "c": c})
    tests = result.run_tests()
    for test in tests:
        x, y = {"a": a, "b": b, "c": c}[test["a"]], {"a": a, "b": b, "c": c}[test["b"]]
        paired = stats.ttest_rel(x, y)
        assert test["t"] == pytest.approx(paired.statistic)
        assert test["p_t"] == pytest.approx(paired.pvalue)
        assert test["p_wilcoxon"] == pytest.approx(exact_signed_rank_p(x - y))
        assert test["wins_a"] == np.sum(x > y) and test["wins_b"] == np.sum(x < y)
        assert test["mean_difference"] == pytest.approx(np.mean(x - y))
        assert "independent draw" in test["assumes"]
    for key in ("t", "wilcoxon"):
        np.testing.assert_allclose(
            [t[f"p_{key}_holm"] for t in tests],
            holm_adjust([t[f"p_{key}"] for t in tests]),
        )


def test_identical_and_constant_differences():
    # Binary fractions: the differences are exactly equal in floating point.
    result = made_up(
        {"a": [0.5, 0.25, 0.75], "b": [0.5, 0.25, 0.75], "c": [0.25, 0, 0.5]}
    )
    same, shifted, _ = result.run_tests()
    # No variance: the t-test is undefined, never "p = 0, significant".
    assert np.isnan(same["t"]) and np.isnan(same["p_t"]) and same["p_wilcoxon"] is None
    assert same["significant_wilcoxon"] is None and same["significant_t"] is None
    assert np.isnan(shifted["t"]) and np.isnan(shifted["p_t"])
    assert shifted["significant_t"] is None and shifted["wins_a"] == 3


def test_needs_two_runs():
    with pytest.raises(ValueError, match="at least 2 runs"):
        compare_runs(simulated_runs(1), RULES)
