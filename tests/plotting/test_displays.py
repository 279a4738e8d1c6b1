"""RiskCoverageDisplay against a brute-force sweep of the thresholds."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import make_squad2_scores

matplotlib = pytest.importorskip("matplotlib", reason="the plot extra is absent")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skfusion.plotting import RiskCoverageDisplay  # noqa: E402

X, Y = make_squad2_scores(n_questions=800, random_state=3)


def brute_force_curve(y, score, credit, weight):
    """(coverage, risk) of answering ``score <= t`` for every distinct score t."""
    points = []
    for t in np.unique(score):
        answered = score <= t
        right = np.where(y, 0.0, 1.0) if credit is None else credit
        covered = weight[answered].sum()
        if covered > 0:
            precision = (weight * right)[answered].sum() / covered
            points.append((covered / weight.sum(), 1 - precision))
    return np.array(points)


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(-4, 4),
            st.booleans(),
            st.sampled_from([1.0, 2.0]),
            st.sampled_from([0.0, 0.5, 1.0]),
        ),
        min_size=1,
        max_size=25,
    ),
    use_credit=st.booleans(),
)
def test_curve_is_every_threshold(rows, use_credit):
    score, y, weight, credit = (np.array(c) for c in zip(*rows, strict=True))
    credit = np.where(y, 0.0, credit) if use_credit else None
    display = RiskCoverageDisplay.from_predictions(
        y, score.astype(float), answer_credit=credit, sample_weight=weight
    )
    expected = brute_force_curve(y, score, credit, weight)
    assert_allclose(np.c_[display.coverage, display.risk], expected, atol=1e-12)
    for t, coverage in zip(display.thresholds, display.coverage, strict=True):
        assert weight[score <= t].sum() / weight.sum() == pytest.approx(coverage)
    plt.close("all")


def test_from_estimator_marks_the_rules_own_decisions():
    em = np.where(Y, 0.0, (np.random.RandomState(0).rand(len(Y)) < 0.8) * 1.0)
    rule = MarginThresholdClassifier(target_precision=0.75).fit(X, Y, answer_credit=em)
    display = RiskCoverageDisplay.from_estimator(rule, X, Y, answer_credit=em)
    answered = ~rule.predict(X)
    coverage, risk = display.operating_point
    assert coverage == pytest.approx(answered.mean())
    assert risk == pytest.approx(1 - em[answered].mean())
    assert risk <= 0.25
    # The operating point is on the curve: the most coverage within the risk.
    within = display.coverage[display.risk <= 0.25 + 1e-12]
    assert coverage == pytest.approx(within.max())
    assert display.ax_.get_xlabel().startswith("coverage")
    assert_array_equal(display.line_.get_xdata(), display.coverage)
    assert display.point_ is not None and display.figure_ is display.ax_.figure
    plt.close("all")


def test_fusion_and_a_string_positive_label():
    # "no_answer" sorts first: the decision function points the other way.
    labels = np.where(Y, "no_answer", "yes")
    fusion = TorchLogisticFusion(n_restarts=2, random_state=0).fit(X, labels)
    _, ax = plt.subplots()
    display = RiskCoverageDisplay.from_estimator(
        fusion, X, labels, pos_label="no_answer", ax=ax, name="fusion"
    )
    assert display.ax_ is ax and display.line_.get_label() == "fusion"
    expected = RiskCoverageDisplay.from_predictions(
        Y, -fusion.decision_function(X), ax=ax
    )
    assert_allclose(display.risk, expected.risk)
    plt.close("all")
