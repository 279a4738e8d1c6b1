"""Column resolution and the direction check of the margin rule."""

import re
import warnings

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from skfusion import (
    MarginThresholdClassifier,
    check_margin_direction,
    margin_column_indices,
)
from skfusion.datasets import make_squad2_scores

pd = pytest.importorskip("pandas")


@pytest.mark.parametrize(
    ("null", "span"),
    [
        ("joint_null", "best_span"),
        (["null_start", "null_end"], ["best_start", "best_end"]),
        (0, -1),
        (["joint_null", 2], None),
    ],
)
def test_indices_are_the_classifiers_own_columns(null, span):
    X, y = make_squad2_scores(n_questions=300, random_state=0)
    names = ["best_span", "joint_null", "null_start", "null_end", "best_start"]
    names += ["best_end"]
    X = np.column_stack([X, X[:, :2] + 1.0])[:, : len(names)]
    frame = pd.DataFrame(X, columns=names)
    by_name = MarginThresholdClassifier(null_column=null, span_column=span)
    by_name.fit(frame, y)
    i_null, i_span = margin_column_indices(names, null, span)
    by_index = MarginThresholdClassifier(null_column=i_null, span_column=i_span)
    by_index.fit(X, y)
    # Oracle: the margin summed by hand from the names.
    cols = {n: X[:, i] for i, n in enumerate(names)}

    def total(spec):
        items = spec if isinstance(spec, list) else [spec]
        return sum(cols[names[i]] if isinstance(i, int) else cols[i] for i in items)

    margin = total(null) - (0 if span is None else total(span))
    np.testing.assert_allclose(
        by_index.decision_function(X) + by_index.best_threshold_, margin
    )
    assert by_index.best_threshold_ == by_name.best_threshold_


def test_indices_errors_are_the_classifiers():
    with pytest.raises(ValueError, match=r"null_column='nul' is not a column of X"):
        margin_column_indices(["null", "span"], "nul", "span")
    with pytest.raises(ValueError, match=r"span_column=2 is out of range"):
        margin_column_indices(["null", "span"], 0, 2)


def test_direction_check_warns_only_the_wrong_way():
    X, y = make_squad2_scores(n_questions=400, random_state=1)
    right = MarginThresholdClassifier(null_column=0, span_column=3)
    wrong = MarginThresholdClassifier(null_column=3, span_column=0)
    margin = X[:, 0] - X[:, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_margin_direction(right, X, y) == pytest.approx(
            roc_auc_score(y, margin)
        )
    assert roc_auc_score(y, margin) > 0.5
    names = ["a", "b", "c", "d"]
    with pytest.warns(UserWarning, match=r"the margin d - a is lower.*AUC 0\.\d+"):
        auc = check_margin_direction(wrong, X, y, feature_names=names)
    assert auc == pytest.approx(1 - roc_auc_score(y, margin))
    with pytest.warns(UserWarning, match=r"the margin X\[:, 3\] - X\[:, 0\] is lower"):
        check_margin_direction(wrong, X, y)
    frame = pd.DataFrame(X, columns=names)
    by_name = MarginThresholdClassifier(null_column="d", span_column="a")
    with pytest.warns(UserWarning, match=r"the margin d - a is lower"):
        check_margin_direction(by_name, frame, y)


def test_the_direction_check_warns_below_an_auc_of_one_half_only():
    # roc_auc_score is the oracle; AUCs just below and at 0.5 are sought
    # among seeded random margins.
    rng = np.random.RandomState(0)
    found = {}
    for _ in range(500):
        X = np.column_stack([rng.randint(0, 6, size=16) * 1.0, np.zeros(16)])
        y = rng.rand(16) < 0.5
        auc = roc_auc_score(y, X[:, 0]) if 0 < y.sum() < 16 else None
        if auc is not None and (0.42 < auc < 0.5 or auc == 0.5):
            found.setdefault(auc == 0.5, (X, y, auc))
    assert set(found) == {False, True}
    rule = MarginThresholdClassifier(null_column=0, span_column=1)
    X, y, auc = found[False]
    with pytest.warns(UserWarning, match=r"is lower for unanswerable questions"):
        assert check_margin_direction(rule, X, y) == pytest.approx(auc)
    X, y, _ = found[True]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_margin_direction(rule, X, y) == 0.5


def test_default_columns_are_the_first_and_the_last():
    assert margin_column_indices(["null", "x", "span"]) == ([0], [2])
    with pytest.raises(
        ValueError,
        match=re.escape(
            "null_column='nul' is not a column of X; its columns are ['null', 'span']."
        ),
    ):
        margin_column_indices(np.array(["null", "span"]), "nul", "span")


def wrong_way_scores():
    X, y = make_squad2_scores(n_questions=400, random_state=1)
    heads = np.column_stack([X[:, 3] / 2, X[:, 3] / 2, X[:, 0] / 2, X[:, 0] / 2])
    return heads, y


@pytest.mark.parametrize(
    ("null", "span", "formula"),
    [
        (["a", "b"], ["c", "d"], "(a + b) - (c + d)"),
        (["a", "b"], "c", "(a + b) - c"),
        ("a", ["c", "d"], "a - (c + d)"),
        (["a", "b"], None, "a + b"),
    ],
)
def test_the_warning_writes_the_margin_and_points_at_the_caller(null, span, formula):
    # Names on an array X, a rule with a target: the check translates the
    # names and drops the target, and warns where it is called.
    X, y = wrong_way_scores()
    rule = MarginThresholdClassifier(
        null_column=null, span_column=span, target_precision=0.9
    )
    with pytest.warns(UserWarning) as record:
        auc = check_margin_direction(rule, X, y, feature_names=["a", "b", "c", "d"])
    [warning] = record
    assert str(warning.message) == (
        f"the margin {formula} is lower for unanswerable questions than for "
        f"answerable ones (AUC {auc:.3f} < 0.5): are the labels or the null and "
        "span columns swapped?"
    )
    assert warning.filename == __file__
