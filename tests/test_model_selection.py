"""The cross-validated comparison and its tests."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.model_selection import RepeatedStratifiedKFold, cross_val_score

from skfusion import MarginThresholdClassifier
from skfusion.datasets import make_squad2_scores
from skfusion.metrics import squad2_credit, squad2_sample_weight
from skfusion.model_selection import (
    compare_estimators,
    corrected_resampled_ttest,
    holm_adjust,
)

X, Y = make_squad2_scores(n_questions=800, random_state=0)


def test_accuracy_matches_a_manual_cross_validation():
    result = compare_estimators(
        {"m": MarginThresholdClassifier()}, X, Y, n_splits=4, n_repeats=2
    )
    cv = RepeatedStratifiedKFold(n_splits=4, n_repeats=2, random_state=0)
    expected = cross_val_score(MarginThresholdClassifier(), X, Y, cv=cv)
    assert_allclose(result.accuracy["m"], expected)


def test_tuning_for_em_weights_every_fit_and_scores_em_out_of_fold():
    rng = np.random.RandomState(0)
    em = np.where(Y, 0.0, (rng.rand(len(Y)) < 0.7).astype(float))
    result = compare_estimators(
        {"m": MarginThresholdClassifier()},
        X,
        Y,
        em=em,
        tune="squad_em",
        n_splits=3,
        n_repeats=1,
    )
    weight = squad2_sample_weight(Y, em)
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=1, random_state=0)
    expected = []
    for model, (train, test) in zip(result.fitted["m"], cv.split(X, Y), strict=True):
        manual = MarginThresholdClassifier().fit(
            X[train], Y[train], sample_weight=weight[train]
        )
        assert model.best_threshold_ == manual.best_threshold_
        credit = squad2_credit(manual.predict(X[test]), Y[test], em[test])
        expected.append(credit.mean())
    assert_allclose(result.em["m"], expected)
    assert result.tune == "em"
    with pytest.raises(ValueError, match="tune='squad_f1' needs each question's f1"):
        compare_estimators({"m": MarginThresholdClassifier()}, X, Y, tune="squad_f1")
    # The former name still works, with scikit-learn's deprecation warning.
    with pytest.warns(FutureWarning, match=r"tune='em' was deprecated.*0\.3"):
        old = compare_estimators(
            {"m": MarginThresholdClassifier()},
            X,
            Y,
            em=em,
            tune="em",
            n_splits=3,
            n_repeats=1,
        )
    assert old.em == result.em and old.tune == "em"
    with pytest.raises(ValueError, match=r"tune='f1_score' must be one of"):
        compare_estimators({"m": MarginThresholdClassifier()}, X, Y, tune="f1_score")


def test_corrected_t_test_is_wider_than_the_naive_one():
    d = np.array([0.01, 0.02, 0.015, 0.005, 0.012, 0.018])
    _, p = corrected_resampled_ttest(d, n_train=800, n_test=200)
    naive = stats.ttest_1samp(d, 0).pvalue
    assert naive < p < 1


def holm_rejects(p, alpha):
    """Holm's step-down procedure, as stated: reject while p_(i) <= alpha/(m-i)."""
    rejected = np.zeros(len(p), dtype=bool)
    for i, k in enumerate(np.argsort(p, kind="stable")):
        if p[k] > alpha / (len(p) - i):
            break
        rejected[k] = True
    return rejected


@settings(max_examples=300, deadline=None)
@given(
    p=st.lists(st.floats(0, 1), min_size=1, max_size=8),
    alpha=st.floats(0.001, 0.5),
)
def test_holm_adjusted_p_values_reject_as_the_procedure_does(p, alpha):
    p = np.array(p)
    adjusted = holm_adjust(p)
    assert ((adjusted >= p) & (adjusted <= 1)).all()
    # Away from the boundary (where rounding decides), the same rejections.
    near = np.isclose(adjusted, alpha, rtol=1e-9)
    assert ((adjusted <= alpha) == holm_rejects(p, alpha))[~near].all()


def test_pairwise_tests_are_holm_adjusted_over_all_pairs():
    rules = {
        "tuned": MarginThresholdClassifier(),
        "zero": MarginThresholdClassifier(threshold=0.0),
        "high": MarginThresholdClassifier(threshold=3.0),
    }
    result = compare_estimators(rules, X, Y, n_splits=3, n_repeats=2)
    tests = result.pairwise_tests()
    assert [(t["a"], t["b"]) for t in tests] == [
        ("tuned", "zero"),
        ("tuned", "high"),
        ("zero", "high"),
    ]
    assert_allclose([t["p_holm"] for t in tests], holm_adjust([t["p"] for t in tests]))
    assert all(t["significant"] == (t["p_holm"] <= 0.05) for t in tests)


def test_works_on_data_sorted_by_label():
    order = np.argsort(Y, kind="stable")  # all answerable first, as in the notebook
    result = compare_estimators(
        {"m": MarginThresholdClassifier()}, X[order], Y[order], n_splits=3, n_repeats=1
    )
    assert len(result.accuracy["m"]) == 3
