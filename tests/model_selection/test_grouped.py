"""Grouped folds and tests, the cluster-robust t-test, routing and frames."""

import json

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from skfusion import MarginThresholdClassifier
from skfusion.cli import main
from skfusion.datasets import load_reader_outputs, make_squad2_scores
from skfusion.model_selection import (
    cluster_robust_ttest,
    compare_estimators,
    corrected_resampled_ttest,
    holm_adjust,
    paired_bootstrap_ci,
)
from tests.datasets.test_multi_runs import two_runs  # noqa: F401 (a fixture)

X, Y = make_squad2_scores(n_questions=900, random_state=2)
ARTICLE = np.arange(900) // 60  # 15 articles: too few for min_groups=20
PARAGRAPH = np.arange(900) // 6  # 150 paragraphs


def sandwich(d, groups):
    """CR1 variance of the mean of d, as the sandwich of OLS on a constant."""
    labels = np.unique(groups)
    x = np.ones((d.size, 1))
    bread = np.linalg.inv(x.T @ x)
    residual = d - d.mean()
    meat = sum(
        np.outer(
            x[groups == g].T @ residual[groups == g],
            x[groups == g].T @ residual[groups == g],
        )
        for g in labels
    )
    g = labels.size
    return float((g / (g - 1) * bread @ meat @ bread)[0, 0])


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=12),
    data=st.data(),
)
def test_cluster_t_is_the_cr1_sandwich_with_g_minus_1_df(sizes, data):
    groups = np.repeat(np.arange(len(sizes)), sizes)
    a = np.array(
        data.draw(
            st.lists(
                st.sampled_from([0.0, 0.5, 1.0]),
                min_size=groups.size,
                max_size=groups.size,
            )
        )
    )
    b = np.array(
        data.draw(
            st.lists(
                st.sampled_from([0.0, 1.0]), min_size=groups.size, max_size=groups.size
            )
        )
    )
    result = cluster_robust_ttest(a, b, groups=groups, min_groups=2)
    d = a - b
    means = [d[groups == g].mean() for g in range(len(sizes))]
    if np.ptp(means) == 0:
        assert np.isnan(result["t"]) and np.isnan(result["p"])
        return
    se = sandwich(d, groups) ** 0.5
    t = d.mean() / se
    assert result["t"] == pytest.approx(t, rel=1e-9)
    assert result["df"] == len(sizes) - 1
    assert result["p"] == pytest.approx(
        2 * stats.t.sf(abs(t), len(sizes) - 1), rel=1e-7
    )
    half = se * stats.t.ppf(0.975, len(sizes) - 1)
    assert result["ci_low"] == pytest.approx(d.mean() - half, rel=1e-9, abs=1e-12)


def test_cluster_t_reduces_to_scipys_t_tests():
    rng = np.random.RandomState(0)
    a, b = rng.rand(2, 240) < [[0.7], [0.6]]
    # Single questions: the paired t-test.
    single = cluster_robust_ttest(a, b)
    paired = stats.ttest_rel(a.astype(float), b.astype(float))
    assert single["t"] == pytest.approx(paired.statistic)
    assert single["p"] == pytest.approx(paired.pvalue)
    assert single["clustered"] == "question" and single["df"] == 239
    # Clusters of equal size: the one-sample t-test of the cluster means.
    groups = np.arange(240) // 8
    grouped = cluster_robust_ttest(a, b, groups=groups)
    means = (a.astype(float) - b).reshape(30, 8).mean(axis=1)
    expected = stats.ttest_1samp(means, 0.0)
    assert grouped["t"] == pytest.approx(expected.statistic)
    assert grouped["p"] == pytest.approx(expected.pvalue)
    half = stats.t.ppf(0.975, 29) * stats.sem(means)
    assert grouped["ci_low"] == pytest.approx(means.mean() - half)
    assert grouped["ci_high"] == pytest.approx(means.mean() + half)


def test_levels_fall_back_from_articles_to_paragraphs_to_questions():
    rng = np.random.RandomState(1)
    a, b = rng.rand(2, 900)
    levels = {"article": ARTICLE, "paragraph": PARAGRAPH}
    for test in (cluster_robust_ttest, paired_bootstrap_ci):
        result = test(a, b, groups=levels)
        unit = result.get("resampled", result.get("clustered"))
        assert (unit, result["n_groups"]) == ("paragraph", 150)
        assert result["skipped"] == {"article": 15}
        result = test(a, b, groups=levels, min_groups=10)
        assert result["n_groups"] == 15 and result["skipped"] == {}
        result = test(a, b, groups={"article": ARTICLE}, min_groups=16)
        assert result["n_groups"] == 900 and result["skipped"] == {"article": 15}
    # Two articles no longer give an interval over two means.
    two = paired_bootstrap_ci(a, b, groups=np.arange(900) // 450)
    assert two["resampled"] == "question"


def test_equal_differences_are_undefined_not_significant():
    t, p = corrected_resampled_ttest([0.01] * 6, 800, 200)
    assert np.isnan(t) and np.isnan(p)
    assert np.isnan(corrected_resampled_ttest([0.0] * 4, 800, 200)[1])
    assert_array_equal(
        holm_adjust([0.01, np.nan, 0.02]) == [0.02, np.nan, 0.02], [True, False, True]
    )
    rules = {"a": MarginThresholdClassifier(), "b": MarginThresholdClassifier()}
    result = compare_estimators(rules, X, Y, n_splits=3, n_repeats=1)
    (fold,) = result.pairwise_tests()
    assert np.isnan(fold["p"]) and fold["significant"] is None
    assert fold["undefined"] == "all differences equal"
    (question,) = result.question_tests(n_resamples=100)
    assert question["cluster_t"]["significant"] is None
    assert question["mcnemar"]["p"] == 1.0


def test_folds_keep_groups_together_and_say_so():
    levels = {"article": ARTICLE, "paragraph": PARAGRAPH}
    rules = {
        "m": MarginThresholdClassifier(),
        "z": MarginThresholdClassifier(threshold=0.0),
    }
    for min_groups, by, n in ((20, "paragraph", 150), (10, "article", 15)):
        result = compare_estimators(
            rules,
            X,
            Y,
            groups=levels,
            min_groups=min_groups,
            n_splits=3,
            n_repeats=2,
            return_indices=True,
        )
        assert result.fold_groups == {"by": by, "n_groups": n}
        codes = levels[by]
        for train, test in zip(
            result.indices["train"], result.indices["test"], strict=True
        ):
            assert not set(codes[train]) & set(codes[test])
        # Each repeat predicts every question once, and the repeats differ.
        assert sorted(np.concatenate(result.indices["test"][:3])) == list(range(900))
        assert any(
            not np.array_equal(x, y)
            for x, y in zip(
                result.indices["test"][:3], result.indices["test"][3:], strict=True
            )
        )
        (fold,) = result.pairwise_tests()
        assert f"folds keep each {by} together ({n} {by}s)" in fold["assumes"]


@pytest.mark.parametrize("tune", ["accuracy", "squad_em", "squad_f1"])
def test_metadata_routing_on_gives_the_same_comparison(tune):
    rng = np.random.RandomState(0)
    em = np.where(Y, 0.0, (rng.rand(len(Y)) < 0.7).astype(float))
    f1 = np.where(Y, 0.0, np.maximum(em, rng.rand(len(Y))))
    rules = {
        "m": MarginThresholdClassifier(),
        "z": MarginThresholdClassifier(threshold=0.0),
    }
    options = {"em": em, "f1": f1, "tune": tune, "n_splits": 3, "n_repeats": 1}
    plain = compare_estimators(rules, X, Y, **options)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = compare_estimators(rules, X, Y, **options)
    for name in rules:
        assert routed.em[name] == plain.em[name]
        assert [m.best_threshold_ for m in routed.fitted[name]] == [
            m.best_threshold_ for m in plain.fitted[name]
        ]
    if tune != "accuracy":  # the weights reached the fits
        unweighted = compare_estimators(rules, X, Y, n_splits=3, n_repeats=1)
        assert [m.best_threshold_ for m in routed.fitted["m"]] != [
            m.best_threshold_ for m in unweighted.fitted["m"]
        ]


def test_a_rule_by_column_names_compares_on_a_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    named = MarginThresholdClassifier(
        null_column="c0", span_column=f"c{X.shape[1] - 1}"
    )
    by_position = MarginThresholdClassifier(null_column=0, span_column=-1)
    options = {"n_splits": 3, "n_repeats": 1}
    on_frame = compare_estimators({"m": named}, frame, Y, **options)
    on_array = compare_estimators({"m": by_position}, X, Y, **options)
    assert on_frame.accuracy == on_array.accuracy
    assert list(on_frame.fitted["m"][0].feature_names_in_) == list(frame.columns)


def test_each_rule_is_scored_with_its_own_credit():
    rng = np.random.RandomState(3)
    em_a = np.where(Y, 0.0, (rng.rand(len(Y)) < 0.9).astype(float))
    em_b = np.where(Y, 0.0, (rng.rand(len(Y)) < 0.5).astype(float))
    rules = {"a": MarginThresholdClassifier(), "b": MarginThresholdClassifier()}
    result = compare_estimators(
        rules, X, Y, em={"a": em_a, "b": em_b}, n_splits=3, n_repeats=1
    )
    alone = {
        name: compare_estimators(
            {name: rules[name]}, X, Y, em=em, n_splits=3, n_repeats=1
        )
        for name, em in (("a", em_a), ("b", em_b))
    }
    for name in rules:
        assert result.em[name] == alone[name].em[name]
    assert np.mean(result.em["a"]) > np.mean(result.em["b"])


def test_every_row_names_its_run_and_uses_its_spans(capsys, two_runs):  # noqa: F811
    paths = [str(two_runs["a"]), str(two_runs["b"])]
    argv = [
        "compare",
        *paths,
        "--dev",
        str(two_runs["dev"]),
        "--folds",
        "2",
        "--repeats",
        "1",
    ]
    assert main([*argv, "--json", "-q", "--resamples", "50"]) == 0
    result = json.loads(capsys.readouterr().out)
    names = [row["estimator"] for row in result["summary"]]
    assert names == [
        "TorchLogisticFusion",
        "MarginThreshold ckpt_a (tuned)",
        "MarginThreshold ckpt_a (t=0)",
        "LogisticRegression",
        "MarginThreshold ckpt_b (tuned)",
    ]
    assert result["spans"]["MarginThreshold ckpt_b (tuned)"] == "ckpt_b"
    assert result["spans"]["TorchLogisticFusion"] == "ckpt_a"
    # ckpt_b's rule, scored with ckpt_b's own EM, as on ckpt_b alone.
    joined = load_reader_outputs(paths, dev=two_runs["dev"])
    alone = load_reader_outputs(paths[1], dev=two_runs["dev"])
    order = [list(alone.ids).index(q) for q in joined.ids]
    rule = MarginThresholdClassifier(null_column=[4, 5], span_column=[6, 7])
    expected = compare_estimators(
        {"b": rule},
        joined.data,
        joined.target,
        em=alone.em[order],
        n_splits=2,
        n_repeats=1,
    )
    assert_allclose(
        result["per_fold"]["MarginThreshold ckpt_b (tuned)"]["em"], expected.em["b"]
    )
    assert main([*argv, "-q", "--resamples", "50"]) == 0
    assert "answer with ckpt_a's" in capsys.readouterr().out
