from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from skfusion import MarginThresholdClassifier
from skfusion.datasets import make_squad2_scores

METRICS = {
    "accuracy": accuracy_score,
    "balanced_accuracy": balanced_accuracy_score,
    "f1": f1_score,
}


def brute_force_best(margin, y, weight, scoring):
    """Score every cut ``margin > t`` with sklearn's own metric."""
    cuts = np.concatenate([[margin.min() - 1.0], np.unique(margin)])
    return max(METRICS[scoring](y, margin > t, sample_weight=weight) for t in cuts)


@st.composite
def margins_labels_weights(draw, weights=(0.0, 0.5, 1.0, 2.0, 3.7)):
    n = draw(st.integers(2, 40))
    # Few distinct values, so that ties between margins are common.
    values = draw(st.lists(st.floats(-50, 50), min_size=1, max_size=8))
    margin = np.array(draw(st.lists(st.sampled_from(values), min_size=n, max_size=n)))
    y = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    weight = np.array(draw(st.lists(st.sampled_from(weights), min_size=n, max_size=n)))
    # Both classes present with positive weight, as fit requires.
    y[:2] = [False, True]
    weight[:2] = np.maximum(weight[:2], 1.0)
    return margin, y, weight


@settings(max_examples=300, deadline=None)
@given(data=margins_labels_weights(), scoring=st.sampled_from(sorted(METRICS)))
def test_auto_threshold_is_the_exact_optimum(data, scoring):
    margin, y, weight = data
    clf = MarginThresholdClassifier(span_column=None, scoring=scoring)
    clf.fit(margin[:, None], y, sample_weight=weight)
    best = brute_force_best(margin, y, weight, scoring)
    assert clf.best_score_ == pytest.approx(best, rel=1e-9, abs=1e-12)
    achieved = METRICS[scoring](y, clf.predict(margin[:, None]), sample_weight=weight)
    assert achieved == pytest.approx(best, rel=1e-9, abs=1e-12)
    assert np.isfinite(clf.best_threshold_)


@settings(max_examples=200, deadline=None)
@given(data=margins_labels_weights())
def test_threshold_sits_halfway_between_distinct_neighbours(data):
    margin, y, weight = data
    clf = MarginThresholdClassifier(span_column=None).fit(margin[:, None], y, weight)
    t = clf.best_threshold_
    used = np.unique(margin[weight > 0])
    below, above = used[used <= t], used[used > t]
    if below.size and above.size:
        assert t == pytest.approx((below.max() + above.min()) / 2)
    # Equal margins always fall on the same side.
    predicted = clf.predict(margin[:, None])
    for value in np.unique(margin):
        assert np.unique(predicted[margin == value]).size == 1


def test_zero_weight_samples_create_no_cut():
    margin = np.array([0.0, 1.0, 2.0, 3.0])[:, None]
    y = np.array([0, 1, 0, 1])
    weight = np.array([1.0, 0.0, 0.0, 1.0])
    clf = MarginThresholdClassifier(span_column=None).fit(
        margin, y, sample_weight=weight
    )
    assert clf.best_threshold_ == 1.5  # halfway between the weighted 0 and 3


def test_margin_is_null_minus_span_and_rule_is_strict():
    X = np.array([[5.0, 0.0, 3.0], [1.0, 0.0, 4.0], [4.0, 0.0, 1.0]])
    clf = MarginThresholdClassifier(null_column=0, span_column=2, threshold=2.0)
    clf.fit(X, [0, 0, 1])
    assert_array_equal(clf.decision_function(X), [0.0, -5.0, 1.0])
    # A margin equal to the threshold is not "greater": BERT's run_squad rule.
    assert_array_equal(clf.predict(X), [0, 0, 1])
    assert clf.best_threshold_ == 2.0
    assert clf.best_score_ == 1.0


def test_threshold_is_not_cancelled_by_shifting_every_column():
    """The notebook added its threshold to every column, which cancels out."""
    X, y = make_squad2_scores(n_questions=2000, random_state=0)
    clf = MarginThresholdClassifier().fit(X, y)
    shifted = MarginThresholdClassifier().fit(X + 0.752, y)
    assert shifted.best_threshold_ == pytest.approx(clf.best_threshold_)
    low = MarginThresholdClassifier(threshold=-5.0).fit(X, y).predict(X)
    high = MarginThresholdClassifier(threshold=5.0).fit(X, y).predict(X)
    assert low.mean() > high.mean()


def test_a_fixed_threshold_is_used_and_scored_as_given():
    X, y = make_squad2_scores(n_questions=5000, random_state=1)
    default = MarginThresholdClassifier(threshold=0.0).fit(X, y)
    margin = X[:, 0] - X[:, 3]
    assert default.best_threshold_ == 0.0
    assert_array_equal(default.predict(X), margin > 0)
    assert default.best_score_ == pytest.approx(accuracy_score(y, margin > 0))


def test_null_odds_column_is_used_as_the_margin():
    X, y = make_squad2_scores(n_questions=1000, random_state=2)
    margin = X[:, :1] - X[:, 3:]
    from_columns = MarginThresholdClassifier().fit(X, y)
    from_margin = MarginThresholdClassifier(span_column=None).fit(margin, y)
    assert from_margin.best_threshold_ == pytest.approx(from_columns.best_threshold_)
    assert_array_equal(from_margin.predict(margin), from_columns.predict(X))


@settings(max_examples=60, deadline=None)
@given(
    margin=st.lists(st.sampled_from([-1.5, -0.5, 0.0, 0.5, 2.0]), min_size=2),
    threshold=st.sampled_from([-0.5, 0.0, 0.5]),
    pos_first=st.booleans(),
)
def test_predicts_pos_label_exactly_where_the_margin_exceeds_the_threshold(
    margin, threshold, pos_first
):
    # BERT's rule, with margins equal to the threshold: "no answer" only
    # where margin > threshold, whichever class pos_label is.
    X = np.array(margin)[:, None]
    y = np.array(["answer", "none"] * len(margin))[: len(margin)]
    pos, other = ("answer", "none") if pos_first else ("none", "answer")
    clf = MarginThresholdClassifier(
        span_column=None, threshold=threshold, pos_label=pos
    ).fit(X, y)
    expected = np.where(X[:, 0] > threshold, pos, other)
    assert_array_equal(clf.predict(X), expected)
    # decision_function is signed towards classes_[1] ("none").
    sign = 1 if pos == "none" else -1
    assert_array_equal(clf.decision_function(X), sign * (X[:, 0] - threshold))


def test_pos_label_first_class_flips_the_decision_sign():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array(["answer", "answer", "none", "none"])
    clf = MarginThresholdClassifier(span_column=None, pos_label="none").fit(X, y)
    assert_array_equal(clf.predict(X), y)
    flipped_y = np.array(["none", "none", "answer", "answer"])
    flipped = MarginThresholdClassifier(span_column=None, pos_label="answer")
    flipped.fit(X, flipped_y)
    assert_array_equal(flipped.predict(X), flipped_y)
    # decision_function stays signed towards classes_[1] ("none").
    assert (flipped.decision_function(X)[:2] > 0).all()
    with pytest.raises(ValueError, match="pos_label='maybe' is not a valid label"):
        MarginThresholdClassifier(span_column=None, pos_label="maybe").fit(X, y)


def squad2_total(margin, answerable_credit, unanswerable, threshold):
    """SQuAD 2.0 EM (or F1) total: 1 for a right "no answer", else the span's."""
    predicted_null = margin > threshold
    return np.where(
        unanswerable, predicted_null, np.where(predicted_null, 0.0, answerable_credit)
    ).sum()


@pytest.mark.parametrize("credit", ["em", "f1"])
def test_em_or_f1_weights_give_the_squad2_optimal_threshold(credit):
    rng = np.random.RandomState(0)
    X, y = make_squad2_scores(n_questions=3000, random_state=3)
    if credit == "em":
        per_question = (rng.uniform(size=y.size) < 0.7).astype(float)
    else:
        per_question = np.round(rng.uniform(size=y.size), 2)
    weight = np.where(y, 1.0, per_question)
    clf = MarginThresholdClassifier().fit(X, y, sample_weight=weight)
    margin = X[:, 0] - X[:, 3]
    cuts = np.concatenate([[margin.min() - 1], np.unique(margin)])
    best = max(squad2_total(margin, per_question, y, t) for t in cuts)
    assert squad2_total(margin, per_question, y, clf.best_threshold_) == pytest.approx(
        best
    )


def test_float_threshold_is_used_as_is():
    X, y = make_squad2_scores(n_questions=500, random_state=4)
    clf = MarginThresholdClassifier(threshold=-1.25).fit(X, y)
    assert clf.best_threshold_ == -1.25
    assert_allclose(clf.decision_function(X), X[:, 0] - X[:, 3] + 1.25)


def per_head_scores():
    """Four per-head columns whose BERT margin is (a + b) - (c + d)."""
    X, y = make_squad2_scores(n_questions=1500, random_state=0)
    rng = np.random.RandomState(0)
    split = rng.uniform(0.3, 0.7, size=(len(y), 2))
    null, span = X[:, 0], X[:, 3]
    heads = np.column_stack(
        [
            null * split[:, 0],
            null * (1 - split[:, 0]),
            span * split[:, 1],
            span * (1 - split[:, 1]),
        ]
    )
    return heads, y


def test_columns_by_list_are_summed_as_bert_sums_the_heads():
    X, y = per_head_scores()
    margin = (X[:, 0] + X[:, 1]) - (X[:, 2] + X[:, 3])
    by_list = MarginThresholdClassifier(null_column=[0, 1], span_column=[2, 3]).fit(
        X, y
    )
    on_margin = MarginThresholdClassifier(span_column=None).fit(margin[:, None], y)
    assert by_list.best_threshold_ == on_margin.best_threshold_
    assert_array_equal(by_list.predict(X), on_margin.predict(margin[:, None]))


def test_columns_by_name_need_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = per_head_scores()
    names = ["null_start", "null_end", "span_start", "span_end"]
    frame = pd.DataFrame(X, columns=names)
    by_name = MarginThresholdClassifier(
        null_column=["null_start", "null_end"], span_column=["span_start", "span_end"]
    ).fit(frame, y)
    by_index = MarginThresholdClassifier(null_column=[0, 1], span_column=[2, 3]).fit(
        X, y
    )
    assert by_name.best_threshold_ == by_index.best_threshold_
    assert_array_equal(by_name.decision_function(frame), by_index.decision_function(X))
    with pytest.raises(ValueError, match="'null_start' is a column name, but X has no"):
        MarginThresholdClassifier(null_column="null_start").fit(X, y)
    with pytest.raises(ValueError, match=r"'nope' is not a column of X; its columns"):
        MarginThresholdClassifier(span_column="nope").fit(frame, y)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"null_column": []}, r"null_column=\[\] names no column"),
        ({"null_column": [0, 0]}, "names the same column twice"),
        ({"null_column": [0, 1], "span_column": [1, 2]}, "share a column"),
        ({"null_column": [0, 1.5]}, "must hold column indices or names, got 1.5"),
        ({"span_column": 7}, r"span_column=7 is out of range"),
    ],
)
def test_bad_column_choices_are_clear_errors(params, message):
    X, y = per_head_scores()
    with pytest.raises(ValueError, match=message):
        MarginThresholdClassifier(**params).fit(X, y)


@pytest.mark.parametrize("column", [-4, -1, 0, 3])
def test_every_index_python_allows_names_a_column(column):
    X, y = make_squad2_scores(n_questions=200, random_state=0)
    clf = MarginThresholdClassifier(null_column=column, span_column=None).fit(X, y)
    assert_array_equal(clf.decision_function(X), X[:, column] - clf.best_threshold_)


@pytest.mark.parametrize("column", [-5, 4])
def test_an_index_out_of_range_names_the_range(column):
    X, y = make_squad2_scores(n_questions=200, random_state=0)
    rule = MarginThresholdClassifier(null_column=column, span_column=None)
    with pytest.raises(ValueError, match=r"use an index in \[-4, 3\]"):
        rule.fit(X, y)


def test_threshold_auto_is_refused_and_tuned_is_the_default():
    # "auto", renamed "tuned" before any release, has no alias.
    X, y = make_squad2_scores(n_questions=300, random_state=3)
    assert MarginThresholdClassifier().threshold == "tuned"
    with pytest.raises(ValueError, match="'threshold' parameter"):
        MarginThresholdClassifier(threshold="auto").fit(X, y)
    tuned = MarginThresholdClassifier(null_column=0, span_column=3).fit(X, y)
    # Brute force: no cut between sorted margins scores better.
    margin = X[:, 0] - X[:, 3]
    best = max(np.mean((margin > t) == y) for t in np.unique(margin))
    assert tuned.best_score_ >= best


def exact_cut_scores(margin, y, weight, scoring):
    """Each cut's score in exact rational arithmetic, lowest cut first.

    Cut j predicts "no answer" above the j-th smallest distinct margin of
    the samples that weigh something (cut 0: everywhere).
    """
    used = np.unique(margin[weight > 0])
    w = [Fraction(float(v)) for v in weight]
    scores = []
    for j in range(used.size + 1):
        predicted = margin > (used[j - 1] if j else -np.inf)
        tp = sum(wi for wi, p, t in zip(w, predicted, y, strict=True) if p and t)
        fp = sum(wi for wi, p, t in zip(w, predicted, y, strict=True) if p and not t)
        fn = sum(wi for wi, p, t in zip(w, predicted, y, strict=True) if t and not p)
        tn = sum(w) - tp - fp - fn
        if scoring == "accuracy":
            scores.append((tp + tn) / (tp + fp + tn + fn))
        else:
            scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0)
    return used, scores


@settings(max_examples=300, deadline=None)
@given(
    data=margins_labels_weights(weights=[0.0, 0.5, 1.0, 2.0, 4.0]),
    scoring=st.sampled_from(["accuracy", "f1"]),
)
def test_a_tie_goes_to_the_lowest_optimal_cut(data, scoring):
    # Dyadic weights keep every sum exact, so that ties are exact ties: the
    # oracle is brute force over all cuts in rational arithmetic.
    margin, y, weight = data
    clf = MarginThresholdClassifier(span_column=None, scoring=scoring)
    clf.fit(margin[:, None], y, sample_weight=weight)
    used, scores = exact_cut_scores(margin, y, weight, scoring)
    lowest = scores.index(max(scores))
    t = clf.best_threshold_
    assert (lowest == 0 or used[lowest - 1] <= t) and (
        lowest == used.size or t < used[lowest]
    )


def test_ties_between_cuts_are_common_in_the_tie_test():
    # The test above can fail: its data often hold several optimal cuts.
    rng = np.random.RandomState(0)
    ties = 0
    for _ in range(200):
        margin = rng.randint(0, 5, size=12).astype(float)
        y = rng.rand(12) < 0.5
        y[:2] = [False, True]
        _, scores = exact_cut_scores(margin, y, np.ones(12), "accuracy")
        ties += scores.count(max(scores)) > 1
    assert ties > 20
