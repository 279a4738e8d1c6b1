"""Per-question paired tests: McNemar's exact test and the paired bootstrap."""

import itertools
import math
from fractions import Fraction
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

from skfusion import MarginThresholdClassifier
from skfusion.datasets import load_articles, make_squad2_scores
from skfusion.datasets._dev import read_dev_articles
from skfusion.metrics import squad2_credit
from skfusion.model_selection import _question_tests as _paired_tests
from skfusion.model_selection import (
    compare_estimators,
    holm_adjust,
    mcnemar_exact,
    paired_bootstrap_ci,
)
from tests._builders import squad_dev, squad_v2_records, write_json

X, Y = make_squad2_scores(n_questions=900, random_state=1)


def exact_mcnemar_p(a_only, b_only):
    """Two-sided exact McNemar p-value, summed in exact fractions."""
    n, k = a_only + b_only, min(a_only, b_only)
    tail = Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2**n)
    return float(min(Fraction(1), 2 * tail))


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(st.booleans(), st.booleans()), max_size=120))
def test_mcnemar_matches_the_exact_binomial_sum_and_scipy(pairs):
    a = np.array([p[0] for p in pairs], dtype=bool)
    b = np.array([p[1] for p in pairs], dtype=bool)
    result = mcnemar_exact(a, b)
    a_only = sum(x and not y for x, y in pairs)
    b_only = sum(y and not x for x, y in pairs)
    assert (result["a_only"], result["b_only"]) == (a_only, b_only)
    assert result["p"] == pytest.approx(exact_mcnemar_p(a_only, b_only), rel=1e-9)
    if a_only + b_only:
        scipy_p = stats.binomtest(a_only, a_only + b_only, 0.5).pvalue
        assert result["p"] == pytest.approx(scipy_p, rel=1e-9)


def test_mcnemar_matches_statsmodels():
    # statsmodels is not a test dependency (too heavy for one check);
    # scipy's binomtest above is the oracle that always runs.
    contingency = pytest.importorskip(
        "statsmodels.stats.contingency_tables",
        reason="statsmodels is not installed: the exact test is checked "
        "against scipy.stats.binomtest instead",
    )
    rng = np.random.RandomState(0)
    for _ in range(50):
        a, b = rng.rand(2, rng.randint(1, 300)) < rng.rand(2, 1)
        table = [[np.sum(a & b), np.sum(a & ~b)], [np.sum(~a & b), np.sum(~a & ~b)]]
        expected = contingency.mcnemar(table, exact=True).pvalue
        assert mcnemar_exact(a, b)["p"] == pytest.approx(expected, rel=1e-9)


def test_mcnemar_refuses_other_input():
    with pytest.raises(ValueError, match="same length"):
        mcnemar_exact([True, False], [True])
    with pytest.raises(ValueError, match="booleans"):
        mcnemar_exact([0.5, 1.0], [1.0, 1.0])


def exact_bootstrap_quantiles(diff, groups, levels):
    """Quantiles of the grouped bootstrap distribution, by enumeration.

    Every ordered draw of G groups out of G is equally likely.
    """
    labels = np.unique(groups)
    sums = np.array([diff[groups == g].sum() for g in labels])
    sizes = np.array([np.sum(groups == g) for g in labels])
    values = [
        sums[list(draw)].sum() / sizes[list(draw)].sum()
        for draw in itertools.product(range(labels.size), repeat=labels.size)
    ]
    return np.quantile(values, levels, method="inverted_cdf")


@settings(max_examples=25, deadline=None)
@given(
    data=st.data(),
    n_groups=st.integers(2, 5),
    seed=st.integers(0, 2**31 - 1),
    few_kinds=st.sampled_from([0, 512]),
)
def test_grouped_bootstrap_matches_the_enumerated_distribution(
    data, n_groups, seed, few_kinds
):
    # few_kinds=0 takes the general path (groups drawn one by one), 512 the
    # multinomial over groups of equal (sum, size).
    sizes = data.draw(st.lists(st.integers(1, 4), min_size=n_groups, max_size=n_groups))
    groups = np.repeat(np.arange(n_groups) * 7, sizes)  # labels need not be 0..G-1
    a = np.array(
        data.draw(st.lists(st.floats(0, 1), min_size=groups.size, max_size=groups.size))
    )
    b = np.array(
        data.draw(st.lists(st.floats(0, 1), min_size=groups.size, max_size=groups.size))
    )
    with mock.patch.object(_paired_tests, "_FEW_KINDS", few_kinds):
        result = paired_bootstrap_ci(
            a, b, groups=groups, min_groups=2, n_resamples=20000, random_state=seed
        )
    # The Monte Carlo quantile at 2.5% has a standard error of about 0.1%
    # in level: 1.5% either side of it is far beyond chance.
    low = exact_bootstrap_quantiles(a - b, groups, [0.01, 0.04])
    high = exact_bootstrap_quantiles(a - b, groups, [0.96, 0.99])
    assert low[0] - 1e-12 <= result["ci_low"] <= low[1] + 1e-12
    assert high[0] - 1e-12 <= result["ci_high"] <= high[1] + 1e-12
    assert result["mean_difference"] == pytest.approx(np.mean(a - b))
    assert result["n_groups"] == n_groups and result["resampled"] == "group"


@pytest.mark.parametrize("few_kinds", [0, 512])
def test_question_bootstrap_agrees_with_scipy(few_kinds):
    rng = np.random.RandomState(0)
    a = (rng.rand(2000) < 0.7).astype(float)
    b = np.where(rng.rand(2000) < 0.1, 1 - a, a)
    with mock.patch.object(_paired_tests, "_FEW_KINDS", few_kinds):
        ours = paired_bootstrap_ci(a, b, n_resamples=20000, random_state=0)
    theirs = stats.bootstrap(
        (a - b,),
        np.mean,
        n_resamples=20000,
        method="percentile",
        random_state=1,
    ).confidence_interval
    # Different random streams: agreement to Monte Carlo error (the
    # interval is about 0.03 wide; its ends move by ~0.0005 between seeds).
    assert ours["ci_low"] == pytest.approx(theirs.low, abs=0.002)
    assert ours["ci_high"] == pytest.approx(theirs.high, abs=0.002)
    assert ours["n_groups"] == 2000 and ours["resampled"] == "question"


def test_articles_widen_the_interval_when_their_questions_move_together():
    rng = np.random.RandomState(0)
    groups = np.repeat(np.arange(60), 20)
    # Whether rule a beats rule b depends on the article.
    article_effect = rng.normal(0, 0.3, 60)[groups]
    diff = np.clip(article_effect + rng.normal(0, 0.1, groups.size), -1, 1)
    grouped = paired_bootstrap_ci(diff, np.zeros_like(diff), groups=groups)
    single = paired_bootstrap_ci(diff, np.zeros_like(diff))
    assert grouped["ci_high"] - grouped["ci_low"] > 3 * (
        single["ci_high"] - single["ci_low"]
    )


def test_bootstrap_is_reproducible_and_seeded():
    rng = np.random.RandomState(0)
    a, b = rng.rand(2, 500)
    first = paired_bootstrap_ci(a, b, random_state=3, n_resamples=3000)
    assert first == paired_bootstrap_ci(a, b, random_state=3, n_resamples=3000)
    assert first != paired_bootstrap_ci(a, b, random_state=4, n_resamples=3000)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_groups": 1}, "min_groups=1 must be an integer >= 2"),
        ({"groups": np.arange(3)}, "one entry per question"),
        ({"n_resamples": 0}, "positive integer"),
        ({"confidence_level": 1.0}, "must be in"),
    ],
)
def test_bootstrap_refuses_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        paired_bootstrap_ci(np.ones(4), np.zeros(4), **kwargs)


def rules():
    return {
        "tuned": MarginThresholdClassifier(),
        "zero": MarginThresholdClassifier(threshold=0.0),
        "high": MarginThresholdClassifier(threshold=2.0),
    }


def test_question_tests_use_each_repeats_out_of_fold_decisions():
    rng = np.random.RandomState(0)
    em = np.where(Y, 0.0, (rng.rand(len(Y)) < 0.7).astype(float))
    groups = np.arange(len(Y)) // 9
    result = compare_estimators(
        rules(), X, Y, em=em, groups=groups, tune="squad_em", n_splits=3, n_repeats=2
    )
    # As documented: StratifiedGroupKFold, shuffled by one RandomState(0) in
    # turn for each repeat.
    rng = np.random.RandomState(0)
    splits = [
        split
        for _ in range(2)
        for split in StratifiedGroupKFold(3, shuffle=True, random_state=rng).split(
            X, Y, groups
        )
    ]
    assert result.fold_groups == {"by": "group", "n_groups": 100}
    for train, test in splits:
        assert not set(groups[train]) & set(groups[test])
    for repeat in (0, 1):
        cv = splits[3 * repeat : 3 * repeat + 3]
        decisions = {}
        for name, rule in rules().items():
            weight = np.where(Y, 1.0 - em, em)
            decisions[name] = cross_val_predict(
                rule, X, Y, cv=cv, params={"sample_weight": weight}
            )
        tests = result.question_tests(repeat=repeat, n_resamples=500)
        assert [(t["a"], t["b"]) for t in tests] == [
            ("tuned", "zero"),
            ("tuned", "high"),
            ("zero", "high"),
        ]
        for t in tests:
            da, db = decisions[t["a"]], decisions[t["b"]]
            assert t["n_disagree"] == np.sum(da != db)
            ca, cb = squad2_credit(da, Y, em), squad2_credit(db, Y, em)
            assert t["bootstrap"]["mean_difference"] == pytest.approx(np.mean(ca - cb))
            assert t["bootstrap"]["n_groups"] == t["cluster_t"]["n_groups"] == 100
            assert t["bootstrap"]["resampled"] == t["cluster_t"]["clustered"] == "group"
            assert t["mcnemar"]["a_only"] == np.sum((ca == 1) & (cb == 0))
            assert t["mcnemar"]["b_only"] == np.sum((ca == 0) & (cb == 1))
            assert "independent" in t["mcnemar"]["assumes"]
        assert_allclose(
            [t["mcnemar"]["p_holm"] for t in tests],
            holm_adjust([t["mcnemar"]["p"] for t in tests]),
        )


def test_f1_has_no_mcnemar_and_accuracy_has_no_groups():
    rng = np.random.RandomState(0)
    f1 = np.where(Y, 0.0, rng.rand(len(Y)))
    result = compare_estimators(rules(), X, Y, f1=f1, n_splits=3, n_repeats=1)
    (first, *_) = result.question_tests("f1", n_resamples=200)
    assert first["mcnemar"] is None
    assert first["bootstrap"]["resampled"] == "question"
    (first, *_) = result.question_tests("accuracy", n_resamples=200)
    assert first["mcnemar"] is not None
    with pytest.raises(ValueError, match="No per-question em"):
        result.question_tests("em")
    with pytest.raises(ValueError, match="repeat=1 must be in"):
        result.question_tests(repeat=1)
    assert all("assumes" in t for t in result.pairwise_tests())


def test_articles_of_both_dev_formats(tmp_path):
    golds = {"a": ["x"], "b": [], "c": ["y"]}
    dev = squad_dev(golds)
    article = dev["data"][0]
    moved = {"title": "Other", "paragraphs": [{"context": "C.", "qas": []}]}
    moved["paragraphs"][0]["qas"].append(article["paragraphs"][0]["qas"].pop())
    dev["data"].append(moved)
    path = write_json(tmp_path / "dev.json", dev)
    assert read_dev_articles(path) == {"a": "t", "b": "t", "c": "Other"}
    assert_array_equal(load_articles(path, ["c", "a"]), ["Other", "t"])
    assert_array_equal(
        load_articles(path, ["c", "a", "b"], level="paragraph"),
        ["Other #0", "t #0", "t #0"],
    )
    assert_array_equal(load_articles(path, ["c", "b"]), ["Other", "t"])
    with pytest.raises(ValueError, match=r"dev.json: 1 question\(s\) have no article"):
        load_articles(path, ["a", "zz"])
    records = squad_v2_records(golds)
    records[0]["title"] = "First"
    lines = "\n".join(__import__("json").dumps(r) for r in records)
    (tmp_path / "dev.jsonl").write_text(lines)
    assert read_dev_articles(tmp_path / "dev.jsonl") == {
        "a": "First",
        "b": "t",
        "c": "t",
    }
    assert_array_equal(
        load_articles(tmp_path / "dev.jsonl", ["a", "c"]), ["First", "t"]
    )
