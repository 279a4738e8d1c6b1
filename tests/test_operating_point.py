"""Operating points chosen by a constraint, against brute force over all cuts."""

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from scipy.stats import norm

from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion._sweep import threshold_at_cut
from skfusion.datasets import make_squad2_scores
from skfusion.model_selection import fixed_operating_point

TARGETS = st.sampled_from([None, 0.0, 0.3, 0.5, 0.6, 2 / 3, 0.75, 0.8, 0.9, 1.0])


@st.composite
def questions(draw):
    n = draw(st.integers(2, 30))
    values = draw(st.lists(st.integers(-5, 5), min_size=1, max_size=6))
    margin = np.array(draw(st.lists(st.sampled_from(values), min_size=n, max_size=n)))
    y = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    # Integer weights and credits in halves: every sum below is exact.
    weight = np.array(
        draw(st.lists(st.sampled_from([0, 1, 2, 3]), min_size=n, max_size=n))
    )
    y[:2] = [False, True]
    weight[:2] = np.maximum(weight[:2], 1)
    credit = np.array(
        draw(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=n, max_size=n))
    )
    credit[y & (credit > 0)] = 0.0  # an unanswerable question's span is wrong
    use_credit = draw(st.booleans())
    return margin.astype(float), y, weight.astype(float), credit if use_credit else None


def operating_point(margin, y, weight, credit, null):
    """Weighted coverage, precision of the answered and NoAns recall."""
    answered = ~null
    right = np.where(y, 0.0, 1.0) if credit is None else credit
    covered = weight[answered].sum()
    precision = (weight * right)[answered].sum() / covered if covered else None
    recall = weight[y & null].sum() / weight[y].sum()
    return covered, precision, recall


def brute_force_best_coverage(margin, y, weight, credit, target_p, target_r):
    """Most weighted coverage over every threshold that meets the targets."""
    best = 0.0
    for t in np.concatenate([[margin.min() - 1], np.unique(margin)]):
        covered, precision, recall = operating_point(
            margin, y, weight, credit, margin > t
        )
        ok_p = target_p is None or precision is None or precision >= target_p
        ok_r = target_r is None or recall >= target_r
        if ok_p and ok_r:
            best = max(best, covered)
    return best


@settings(max_examples=400, deadline=None)
@given(data=questions(), target_p=TARGETS, target_r=TARGETS)
def test_constrained_threshold_is_the_brute_force_optimum(data, target_p, target_r):
    assume((target_p, target_r) != (None, None))
    margin, y, weight, credit = data
    rule = MarginThresholdClassifier(
        span_column=None, target_precision=target_p, target_noans_recall=target_r
    )
    best = brute_force_best_coverage(margin, y, weight, credit, target_p, target_r)
    if best == 0 and target_p is not None:
        # Answering nothing has no precision: an error names the best one.
        with pytest.raises(ValueError, match="not reachable on the fit data"):
            rule.fit(margin[:, None], y, sample_weight=weight, answer_credit=credit)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        rule.fit(margin[:, None], y, sample_weight=weight, answer_credit=credit)
    null = rule.predict(margin[:, None])
    covered, precision, recall = operating_point(margin, y, weight, credit, null)
    assert covered == best
    if target_p is not None and precision is not None:
        assert precision >= target_p
    if target_r is not None:
        assert recall >= target_r
    for value in np.unique(margin):  # equal margins on the same side
        assert np.unique(null[margin == value]).size == 1


def test_precision_target_trades_coverage_on_simulated_data():
    X, y = make_squad2_scores(n_questions=3000, random_state=0)
    coverage = []
    for target in (0.8, 0.9, 0.95):
        rule = MarginThresholdClassifier(target_precision=target).fit(X, y)
        answered = ~rule.predict(X)
        assert np.mean(~y[answered]) >= target
        coverage.append(answered.mean())
    assert coverage[0] > coverage[1] > coverage[2] > 0


def test_unreachable_target_is_an_error_naming_the_best_precision():
    X = np.array([[0.0], [1.0], [2.0]])
    y = np.array([True, False, True])
    rule = MarginThresholdClassifier(span_column=None, target_precision=1.0)
    # Answering the first two questions gives 1/2, all three 1/3.
    with pytest.raises(
        ValueError, match=r"best precision of the answered .* is 0\.5\."
    ):
        rule.fit(X, y)
    # A recall target alone is met by answering nothing: a warning says so.
    rule = MarginThresholdClassifier(span_column=None, target_noans_recall=1.0)
    with pytest.warns(UserWarning, match="target_noans_recall=1.0 on the fit data"):
        rule.fit(X, y)
    assert rule.predict(X).all()


def test_targets_need_an_auto_threshold_and_a_valid_credit():
    X, y = make_squad2_scores(n_questions=200, random_state=0)
    rule = MarginThresholdClassifier(threshold=0.0, target_precision=0.9)
    with pytest.raises(ValueError, match="need threshold='tuned'"):
        rule.fit(X, y)
    rule = MarginThresholdClassifier(target_precision=0.9)
    with pytest.raises(ValueError, match="one entry per sample"):
        rule.fit(X, y, answer_credit=np.ones(3))
    with pytest.raises(ValueError, match=r"finite values in \[0, 1\]"):
        rule.fit(X, y, answer_credit=np.full(len(y), 2.0))
    with pytest.raises(ValueError, match="target_precision"):
        MarginThresholdClassifier(target_precision=1.5).fit(X, y)


def test_fused_model_at_an_operating_point_is_the_brute_force_optimum():
    X, y = make_squad2_scores(n_questions=1500, random_state=4)
    em = np.where(y, 0.0, (np.random.RandomState(0).rand(len(y)) < 0.8) * 1.0)
    fusion = TorchLogisticFusion(n_restarts=3, random_state=0).fit(X, y)
    fixed = fixed_operating_point(
        TorchLogisticFusion(n_restarts=3, random_state=0),
        X,
        y,
        answer_credit=em,
        target_precision=0.85,
    )
    null = fixed.predict(X)
    decision = fusion.decision_function(X)
    ones = np.ones(len(y))
    covered, precision, _ = operating_point(decision, y, ones, em, null)
    assert precision >= 0.85
    assert covered == brute_force_best_coverage(decision, y, ones, em, 0.85, None)
    # The wrapper is scikit-learn's, around the fusion fitted on all of X.
    assert_array_equal(fixed.estimator.estimator.coef_, fusion.coef_)


@settings(max_examples=200, deadline=None)
@given(
    base=st.sampled_from([0.0, 1.0, -3.5, 1e17, -1e17, 2.0**60, 1e300]),
    steps=st.lists(st.integers(0, 3), min_size=1, max_size=6),
    data=st.data(),
)
def test_threshold_at_cut_answers_exactly_the_first_k_margins(base, steps, data):
    # Margins a few ulps apart (or far beyond 2**53): the threshold must
    # still split them, whatever rounding does to halfway points and +-1.
    m = [base]
    for step in steps:
        value = m[-1]
        for _ in range(step):
            value = np.nextafter(value, np.inf)
        m.append(value)
    m = np.unique(np.array(m))
    k = data.draw(st.integers(0, m.size))
    threshold = threshold_at_cut(m, k)
    assert np.isfinite(threshold)
    assert (m <= threshold).sum() == k  # answered: margin at most the threshold


def binomial_cdf(k, n, p):
    """P(Binomial(n, p) <= k), summed in exact fractions."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def learn_then_test_brute_force(margin, right, target, confidence):
    """Answered count of each candidate "answer iff margin < x" kept by LTT."""
    n = margin.size
    alpha = 1 - Fraction(target).limit_denominator(10**6)
    level = (1 - Fraction(confidence).limit_denominator(10**6)) / n
    kept = []
    for x in [*np.unique(margin)[1:], np.inf]:
        answered = margin < x
        c, losses = int(answered.sum()), int((~right[answered]).sum())
        if binomial_cdf(losses, c, alpha) <= level:
            kept.append(c)
    return kept


@settings(max_examples=150, deadline=None)
@given(
    margin=st.lists(st.integers(-6, 6), min_size=5, max_size=60),
    data=st.data(),
    target=st.sampled_from([0.3, 0.5, 0.6, 0.75, 0.9]),
    confidence=st.sampled_from([0.5, 0.8, 0.9]),
)
def test_guaranteed_threshold_is_learn_then_test_by_brute_force(
    margin, data, target, confidence
):
    margin = np.array(margin, dtype=float)
    # Right answers more likely at low margins, as for a reader.
    right = np.array([data.draw(st.booleans()) or m < -2 for m in margin], dtype=bool)
    right[:2] = [True, False]  # both classes
    y = ~right  # answerable = right: the precision of the answered
    kept = learn_then_test_brute_force(margin, right, target, confidence)
    rule = MarginThresholdClassifier(
        span_column=None, target_precision=target, confidence=confidence
    )
    if not kept:
        with pytest.raises(ValueError, match="cannot be guaranteed"):
            rule.fit(margin[:, None], y)
        return
    rule.fit(margin[:, None], y)
    answered = ~rule.predict(margin[:, None])
    assert answered.sum() == max(kept)
    assert np.all(margin[answered][:, None] < margin[~answered])


def test_guaranteed_precision_holds_on_new_questions():
    # Margins N(-1, 1) for answerable and N(1, 1) for unanswerable questions,
    # half each: answering margins below t has precision
    # Phi(t + 1) / (Phi(t + 1) + Phi(t - 1)).
    rng = np.random.RandomState(0)
    target, confidence, misses = 0.75, 0.8, 0
    for _ in range(300):
        y = rng.rand(600) < 0.5
        margin = np.where(y, 1.0, -1.0) + rng.randn(600)
        rule = MarginThresholdClassifier(
            span_column=None, target_precision=target, confidence=confidence
        ).fit(margin[:, None], y)
        t = rule.best_threshold_
        precision = norm.cdf(t + 1) / (norm.cdf(t + 1) + norm.cdf(t - 1))
        misses += precision < target
    # At most 1 - confidence = 20% of fits miss it; 3 Monte Carlo standard
    # errors (2.3%) above that is far beyond chance.
    assert misses / 300 <= 0.2 + 3 * (0.2 * 0.8 / 300) ** 0.5
    # In sample (no confidence), about half of the fits would miss it.
    in_sample = MarginThresholdClassifier(span_column=None, target_precision=target)
    t = in_sample.fit(margin[:, None], y).best_threshold_
    assert t > rule.best_threshold_


def test_unreachable_guarantee_names_the_best_precision_guaranteed():
    rng = np.random.RandomState(1)
    y = rng.rand(300) < 0.5
    margin = np.where(y, 1.0, -1.0) + rng.randn(300)
    rule = MarginThresholdClassifier(
        span_column=None, target_precision=0.99, confidence=0.9
    )
    with pytest.raises(ValueError, match="guaranteed is") as error:
        rule.fit(margin[:, None], y)
    best = float(str(error.value).rstrip(".").split()[-1])
    # Clopper-Pearson: the best lower bound, at level 0.1 / 300, over the cuts.
    order = np.argsort(margin)
    right = np.cumsum(~y[order])
    n = np.arange(1, 301)
    bounds = stats.beta.ppf(0.1 / 300, right, n - right + 1)
    assert best == pytest.approx(
        np.nanmax([*bounds[:-1][np.diff(margin[order]) > 0], bounds[-1]]),
        abs=1e-3,
    )
    with pytest.raises(ValueError, match="sample_weight must be None"):
        MarginThresholdClassifier(target_precision=0.5, confidence=0.9).fit(
            np.c_[margin, np.zeros(300)], y, sample_weight=rng.rand(300)
        )
    with pytest.raises(ValueError, match="give target_precision"):
        MarginThresholdClassifier(span_column=None, confidence=0.9).fit(
            margin[:, None], y
        )


def test_learn_then_test_agrees_with_mapie():
    risk_control = pytest.importorskip(
        "mapie.risk_control",
        reason="MAPIE (an optional test dependency: pip install mapie, which "
        "needs scipy>=1.10) is not installed; the brute force above checks the "
        "same procedure",
    )
    rng = np.random.RandomState(0)
    for seed in range(5):
        rng = np.random.RandomState(seed)
        n = 300
        y = rng.rand(n) < 0.5
        margin = np.round(np.where(y, 1.0, -1.0) + rng.randn(n), 1)
        right = (~y).astype(int)
        m = np.sort(margin)
        # The candidates: answer margins below each sorted margin but the
        # first, and answer all: MAPIE answers where -margin >= lambda.
        params = np.array([*(-np.nextafter(m[1:], -np.inf)), -np.inf])
        controller = risk_control.BinaryClassificationController(
            predict_function=lambda X: np.c_[X[:, 0], -X[:, 0]],
            risk="precision",
            target_level=0.75,
            confidence_level=0.9,
            list_predict_params=params,
            fwer_method="bonferroni",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            controller.calibrate(margin[:, None], right)
        ours = MarginThresholdClassifier(
            span_column=None, target_precision=0.75, confidence=0.9
        ).fit(margin[:, None], y)
        assert_array_equal(
            controller.predict(margin[:, None]) == 1, ~ours.predict(margin[:, None])
        )


def test_hoeffding_bentkus_p_values_agree_with_mapie():
    methods = pytest.importorskip(
        "mapie.risk_control.methods",
        reason="MAPIE (optional: pip install mapie, needs scipy>=1.10) is not "
        "installed",
    )
    from skfusion._sweep import _ltt_p_values

    rng = np.random.RandomState(0)
    n = rng.randint(5, 400, size=50)
    losses = np.round(rng.rand(50) * n * 0.4, 1)  # F1-style losses in [0, n]
    # MAPIE takes ceil(n * (losses / n)), which rounding can lift past an
    # integer number of losses; compare where it does not.
    kept = np.ceil(n * (losses / n)) == np.ceil(losses - 1e-9)
    kept &= np.ceil(n * (np.floor(losses) / n)) == np.floor(losses)
    assert kept.sum() > 40
    n, losses = n[kept], losses[kept]
    for alpha in (0.05, 0.1, 0.25):
        theirs = methods.compute_hoeffding_bentkus_p_value(
            losses / n, n.astype(float), alpha, binary=False
        )[:, 0]
        assert_allclose(
            _ltt_p_values(losses, n, alpha, binary=False), theirs, rtol=1e-9
        )
        # With 0/1 losses, the exact binomial tail (MAPIE's binary p-value).
        whole = np.floor(losses)
        theirs = methods.compute_hoeffding_bentkus_p_value(
            whole / n, n.astype(float), alpha, binary=True
        )[:, 0]
        assert_allclose(_ltt_p_values(whole, n, alpha, binary=True), theirs, rtol=1e-9)
