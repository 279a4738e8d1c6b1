"""The cross-validated comparison and its tests."""

import statistics
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joblib import parallel_config
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    RepeatedStratifiedKFold,
    cross_val_score,
    cross_validate,
)
from threadpoolctl import threadpool_info, threadpool_limits

from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import make_squad2_scores
from skfusion.metrics import squad2_credit, squad2_sample_weight
from skfusion.model_selection import (
    Comparison,
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
    # The former spelling "em", never released, is refused like any other.
    with pytest.raises(ValueError, match=r"tune='em' must be one of"):
        compare_estimators({"m": MarginThresholdClassifier()}, X, Y, em=em, tune="em")
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
    for t in tests:
        # Folds over single questions: a measured false-positive rate above
        # 0.065 on SQuAD-shaped data, so no verdict.
        assert t["false_positive_rate"] > 0.065 and t["significant"] is None
    grouped = compare_estimators(
        rules, X, Y, groups=np.arange(len(Y)) // 30, n_splits=3, n_repeats=2
    )
    for t in grouped.pairwise_tests():  # a user's groups: not measured
        assert t["false_positive_rate"] is None
        assert t["significant"] == (t["p_holm"] <= 0.05)


def test_works_on_data_sorted_by_label():
    order = np.argsort(Y, kind="stable")  # all answerable first, as in the notebook
    result = compare_estimators(
        {"m": MarginThresholdClassifier()}, X[order], Y[order], n_splits=3, n_repeats=1
    )
    assert len(result.accuracy["m"]) == 3


FOLD_SCORES = st.lists(st.floats(0, 1), min_size=2, max_size=10)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), n_estimators=st.integers(1, 3))
def test_summary_means_and_stds_are_those_of_the_folds(data, n_estimators):
    names = [f"e{i}" for i in range(n_estimators)]
    recorded = {
        key: {name: data.draw(FOLD_SCORES) for name in names}
        for key in ("accuracy", "em", "f1", "fit_seconds")
    }
    rows = Comparison(names=names, **recorded).summary()
    assert [row["estimator"] for row in rows] == names
    for row, name in zip(rows, names, strict=True):
        assert len(row) == 1 + 2 * len(recorded)
        for key, scores in recorded.items():
            # The population standard deviation over the folds, as documented.
            assert row[key] == pytest.approx(statistics.fmean(scores[name]))
            assert row[f"{key}_std"] == pytest.approx(
                statistics.pstdev(scores[name]), abs=1e-12
            )


def test_to_frame_has_one_row_per_fit():
    pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    em = np.where(Y, 0.0, (rng.rand(len(Y)) < 0.7).astype(float))
    result = compare_estimators(
        {"m": MarginThresholdClassifier(), "z": MarginThresholdClassifier(threshold=0)},
        X,
        Y,
        em=em,
        n_splits=3,
        n_repeats=2,
    )
    frame = result.to_frame()
    assert list(frame.columns) == ["estimator", "fold", "accuracy", "em", "fit_seconds"]
    assert frame["estimator"].tolist() == ["m"] * 6 + ["z"] * 6
    assert frame["fold"].tolist() == list(range(6)) * 2
    for name in ("m", "z"):
        rows = frame[frame["estimator"] == name]
        for key in ("accuracy", "em", "fit_seconds"):
            assert rows[key].tolist() == getattr(result, key)[name]


def test_to_frame_names_pandas_when_it_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"to_frame needs pandas.*pip install pandas"):
        Comparison(names=["a"], accuracy={"a": [0.5, 0.6]}).to_frame()


def small_rules():
    return {
        "fusion": TorchLogisticFusion(n_restarts=2, n_steps=30, random_state=0),
        "margin": MarginThresholdClassifier(),
        "logistic": LogisticRegression(),
    }


def assert_same_comparison(result, expected):
    assert result.names == expected.names
    for name in expected.names:
        assert result.accuracy[name] == expected.accuracy[name]
        assert result.em[name] == expected.em[name]
        assert_array_equal(result.predicted_null[name], expected.predicted_null[name])
        pairs = zip(result.fitted[name], expected.fitted[name], strict=True)
        for model, other in pairs:
            assert_array_equal(model.predict(X), other.predict(X))
            assert_array_equal(getattr(model, "coef_", 0), getattr(other, "coef_", 0))


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_any_joblib_backend_gives_the_serial_comparison(backend):
    em = np.where(Y, 0.0, 1.0)
    options = {"em": em, "tune": "squad_em", "n_splits": 3, "n_repeats": 1}
    serial = compare_estimators(small_rules(), X, Y, **options)
    with parallel_config(backend=backend):
        parallel = compare_estimators(small_rules(), X, Y, n_jobs=2, **options)
    assert_same_comparison(parallel, serial)


def test_return_estimator_and_indices():
    result = compare_estimators(
        {"m": MarginThresholdClassifier()},
        X,
        Y,
        n_splits=3,
        n_repeats=2,
        return_estimator=False,
        return_indices=True,
    )
    assert result.fitted == {}
    splits = list(
        RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0).split(X, Y)
    )
    assert len(result.indices["train"]) == len(result.indices["test"]) == 6
    for (train, test), got_train, got_test in zip(
        splits, result.indices["train"], result.indices["test"], strict=True
    ):
        assert_array_equal(got_train, train)
        assert_array_equal(got_test, test)
    assert len(result.question_tests(repeat=1, n_resamples=100)) == 0  # one rule
    default = compare_estimators({"m": MarginThresholdClassifier()}, X, Y, n_repeats=1)
    assert len(default.fitted["m"]) == 5 and default.indices is None


def blas_threads():
    return {
        info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"
    }


class BlasProbe(ClassifierMixin, BaseEstimator):
    """Records the BLAS thread counts it sees, wherever it runs."""

    def fit(self, X, y, sample_weight=None):
        self.fit_threads_ = blas_threads()
        self.predict_threads_ = []
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        self.predict_threads_.append(blas_threads())
        return np.zeros(len(X), dtype=bool)


@pytest.mark.parametrize("backend", ["sequential", "threading", "loky"])
def test_fits_and_predictions_run_with_one_blas_thread(backend):
    if not blas_threads():
        pytest.skip("threadpoolctl finds no BLAS library to limit")
    # Two BLAS threads everywhere, loky's workers included, unless limited.
    inner = {"inner_max_num_threads": 2} if backend == "loky" else {}
    config = parallel_config(backend=backend, **inner)
    with threadpool_limits(limits=2, user_api="blas"), config:
        if blas_threads() != {2}:
            pytest.skip("this machine's BLAS does not run 2 threads")
        result = compare_estimators(
            {"p": BlasProbe()}, X, Y, n_splits=4, n_repeats=1, n_jobs=2
        )
        plain = cross_validate(BlasProbe(), X, Y, n_jobs=2, return_estimator=True)
        # The threads that were there before come back, even when threads of
        # one process entered and left the limit side by side.
        assert blas_threads() == {2}
    assert all(model.fit_threads_ == {2} for model in plain["estimator"])
    for model in result.fitted["p"]:
        assert model.fit_threads_ == {1}
        # Predicted by the scorer and for the per-question decisions.
        assert model.predict_threads_ == [{1}, {1}]


@settings(max_examples=100, deadline=None)
@given(
    d=st.lists(st.floats(-0.1, 0.1), min_size=2, max_size=30).filter(
        lambda d: statistics.variance(d) > 1e-12
    ),
    n_test=st.integers(10, 1000),
    k=st.integers(2, 10),
)
def test_corrected_t_test_is_nadeau_and_bengios(d, n_test, k):
    n_train = (k - 1) * n_test
    t, p = corrected_resampled_ttest(d, n_train, n_test)
    # Nadeau and Bengio's corrected variance, 1/J + n_test/n_train times the
    # sample variance (n - 1 in the denominator), as in scikit-learn's example
    # "Statistical comparison of models using grid search".
    corrected = (1 / len(d) + n_test / n_train) * statistics.variance(d)
    expected_t = statistics.fmean(d) / corrected**0.5
    assert t == pytest.approx(expected_t, rel=1e-9)
    assert p == pytest.approx(2 * stats.t.sf(abs(expected_t), len(d) - 1), rel=1e-7)


def test_corrected_t_test_by_hand():
    # mean 0.01125, sample variance 2.1875e-4 / 3, factor 1/4 + 200/800.
    t, _ = corrected_resampled_ttest([0.01, 0.02, 0.0, 0.015], 800, 200)
    assert t == pytest.approx(0.01125 / (0.5 * 2.1875e-4 / 3) ** 0.5)
    assert round(t, 3) == 1.863
