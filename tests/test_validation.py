"""Bad input: a clear ValueError, and a previously fitted estimator unharmed."""

import contextlib
import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import validate_data

import skfusion._base
from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import make_squad2_scores

X, Y = make_squad2_scores(n_questions=300, random_state=0)


def estimators():
    return [
        TorchLogisticFusion(n_restarts=2, n_steps=20, random_state=0),
        MarginThresholdClassifier(),
    ]


def with_nan(X):
    X = X.copy()
    X[3, 1] = np.nan
    return X


def with_inf(X):
    X = X.copy()
    X[5, 0] = np.inf
    return X


BAD_FITS = {
    "nan": (lambda: (with_nan(X), Y), "Input X contains NaN"),
    "inf": (lambda: (with_inf(X), Y), "Input X contains infinity"),
    "empty": (lambda: (X[:0], Y[:0]), "0 sample"),
    "one-dimensional": (lambda: (X[:, 0], Y), "Expected 2D array, got 1D array"),
    "three classes": (
        lambda: (X, np.arange(len(Y)) % 3),
        "Only binary classification is supported; y has 3 classes",
    ),
    "one class": (lambda: (X, np.ones(len(Y))), "only one class"),
    "regression target": (
        lambda: (X, np.linspace(0, 1, len(Y))),
        "Unknown label type: continuous",
    ),
    "mismatched lengths": (
        lambda: (X, Y[:-1]),
        "inconsistent numbers of samples",
    ),
}


@pytest.mark.parametrize("estimator", estimators(), ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("case", sorted(BAD_FITS))
def test_bad_fit_input_is_a_clear_error_and_keeps_the_fit(estimator, case):
    make, message = BAD_FITS[case]
    estimator.fit(X, Y)
    before = estimator.decision_function(X)
    with pytest.raises(ValueError, match=message):
        estimator.fit(*make())
    assert_array_equal(estimator.decision_function(X), before)
    assert estimator.n_features_in_ == X.shape[1]


@pytest.mark.parametrize("estimator", estimators(), ids=lambda e: type(e).__name__)
def test_failed_refit_on_other_width_keeps_the_fit(estimator):
    estimator.fit(X, Y)
    before = estimator.predict(X)
    with pytest.raises(ValueError, match="only one class"):
        estimator.fit(X[:, :3], np.zeros(len(Y)))
    assert_array_equal(estimator.predict(X), before)


@pytest.mark.parametrize("estimator", estimators(), ids=lambda e: type(e).__name__)
def test_wrong_number_of_features_at_predict(estimator):
    estimator.fit(X, Y)
    with pytest.raises(ValueError, match=r"X has 3 features, but .* is expecting 4"):
        estimator.predict(X[:, :3])


@pytest.mark.parametrize("estimator", estimators(), ids=lambda e: type(e).__name__)
@pytest.mark.parametrize(
    ("labels", "named"),
    [(Y, "True"), (np.where(Y, "no answer", "answer"), "'no answer'")],
)
def test_weights_that_leave_one_class_are_a_clear_error(estimator, labels, named):
    weight = np.where(labels == labels[Y][0], 1.0, 0.0)
    with pytest.raises(ValueError, match=f"only class {named} has any"):
        estimator.fit(X, labels, sample_weight=weight)
    # Zero weights on some rows of each class are fine.
    weight[:: len(weight) // 10] = 0.0
    weight[~Y] = 1.0
    weight[0] = 0.0
    assert estimator.fit(X, labels, sample_weight=weight).classes_.size == 2


@pytest.mark.parametrize("estimator", estimators(), ids=lambda e: type(e).__name__)
def test_negative_sample_weight(estimator):
    with pytest.raises(ValueError, match="Negative values in data passed to"):
        estimator.fit(X, Y, sample_weight=-np.ones(len(Y)))


@pytest.mark.parametrize(
    ("estimator", "message"),
    [
        (TorchLogisticFusion(n_restarts=0), "'n_restarts' parameter"),
        (TorchLogisticFusion(learning_rate=-1.0), "'learning_rate' parameter"),
        (TorchLogisticFusion(validation_fraction=1.5), "'validation_fraction'"),
        (TorchLogisticFusion(warmup_steps=-1), "'warmup_steps' parameter"),
        (MarginThresholdClassifier(threshold="best"), "'threshold' parameter"),
        (MarginThresholdClassifier(threshold=np.inf), "'threshold' parameter"),
        (MarginThresholdClassifier(scoring="roc_auc"), "'scoring' parameter"),
        (MarginThresholdClassifier(null_column=1.5), "'null_column' parameter"),
    ],
)
def test_invalid_parameters(estimator, message):
    with pytest.raises(ValueError, match=message):
        estimator.fit(X, Y)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"null_column": 4},
            r"null_column=4 is out of range for X with 4 feature\(s\)",
        ),
        ({"span_column": -5}, r"span_column=-5 is out of range"),
        ({"null_column": 3}, "share a column"),
    ],
)
def test_column_indices_out_of_range(params, message):
    clf = MarginThresholdClassifier().fit(X, Y)
    before = clf.best_threshold_
    with pytest.raises(ValueError, match=message):
        clf.set_params(**params).fit(X, Y)
    assert clf.best_threshold_ == before


def test_margin_overflow_is_a_clear_error():
    big = X.copy()
    big[0] = [1.7e308, 0.0, 0.0, -1.7e308]
    with pytest.raises(ValueError, match="overflows"):
        MarginThresholdClassifier().fit(big, Y)


@pytest.mark.parametrize("estimator", estimators(), ids=lambda e: type(e).__name__)
def test_a_failed_first_fit_leaves_the_estimator_unfitted(estimator):
    # validate_data sets n_features_in_ before the target check fails.
    with pytest.raises(ValueError, match="only one class"):
        estimator.fit(X, np.ones(len(Y)))
    assert not hasattr(estimator, "n_features_in_")
    for method in ("predict", "decision_function"):
        with pytest.raises(NotFittedError):
            getattr(estimator, method)(X)


def test_a_dataframe_of_the_fitted_columns_skips_validation_with_equal_results(
    monkeypatch,
):
    pd = pytest.importorskip("pandas")
    names = ["a", "b", "c", "d"]
    frame = pd.DataFrame(X, columns=names)
    calls = []

    def counting(*args, **kwargs):
        calls.append(1)
        return validate_data(*args, **kwargs)

    plain = [frame.iloc[:7], frame.iloc[:7].astype(np.float32)]
    for estimator in estimators():
        estimator.fit(frame, Y)
        # The oracle: the validated path, with the fast path patched out.
        monkeypatch.setattr(skfusion._base, "_plain_rows", lambda *args: None)
        expected = [estimator.decision_function(rows) for rows in plain]
        monkeypatch.undo()
        monkeypatch.setattr(skfusion._base, "validate_data", counting)
        for rows, validated in zip(plain, expected, strict=True):
            assert_array_equal(estimator.decision_function(rows), validated)
        assert not calls
        # Other frames take scikit-learn's checks, errors and warnings.
        for rows in (
            frame.iloc[:7][names[::-1]],
            frame.iloc[:7].astype(pd.SparseDtype("float64", 0.0)),
            frame.iloc[:7].astype({"a": "Float64"}),
        ):
            with contextlib.suppress(ValueError, TypeError), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                estimator.decision_function(rows)
        assert len(calls) == 3
        calls.clear()
        monkeypatch.undo()


def exactly(message):
    """A pytest.raises `match` for the whole message, word for word."""
    return "^" + re.escape(message) + "$"


FRAME_NAMES = ["null", "s1", "s2", "span"]
MESSAGES = [
    (
        lambda: MarginThresholdClassifier().fit(X, np.arange(len(Y)) % 3),
        "Only binary classification is supported; y has 3 classes "
        "(type_of_target(y)='multiclass').",
    ),
    (
        lambda: MarginThresholdClassifier().fit(X, np.full(len(Y), "yes")),
        "This classifier needs samples of 2 classes, but the data contains only "
        "one class: 'yes'.",
    ),
    (
        lambda: MarginThresholdClassifier().fit(X, Y, sample_weight=Y * 1.0),
        "This classifier needs samples of 2 classes with non-zero sample_weight, "
        "but only class True has any.",
    ),
    (
        lambda: MarginThresholdClassifier(null_column=[0, 1], span_column=[1]).fit(
            X, Y
        ),
        "null_column=[0, 1] and span_column=[1] share a column of X with 4 "
        "feature(s); use span_column=None if the null column(s) already hold the "
        "margin.",
    ),
    (
        lambda: MarginThresholdClassifier(pos_label="maybe").fit(X, Y),
        "pos_label='maybe' is not a valid label: it should be one of [False, True].",
    ),
    (
        lambda: MarginThresholdClassifier(threshold=0.5, target_precision=0.9).fit(
            X, Y
        ),
        "threshold=0.5 is fixed: target_precision and target_noans_recall choose "
        "a threshold, so they need threshold='tuned'.",
    ),
    (
        lambda: MarginThresholdClassifier(null_column=[]).fit(X, Y),
        "null_column=[] names no column; give at least one.",
    ),
    (
        lambda: MarginThresholdClassifier(span_column="span").fit(X, Y),
        "span_column='span' is a column name, but X has no feature names: fit on a "
        "pandas DataFrame, or give column indices.",
    ),
    (
        lambda: MarginThresholdClassifier(null_column="nul").fit(
            pytest.importorskip("pandas").DataFrame(X, columns=FRAME_NAMES), Y
        ),
        "null_column='nul' is not a column of X; its columns are "
        "['null', 's1', 's2', 'span'].",
    ),
    (
        lambda: MarginThresholdClassifier(span_column=[2.0]).fit(X, Y),
        "span_column must hold column indices or names, got 2.0 (float).",
    ),
    (
        lambda: MarginThresholdClassifier(span_column=True).fit(X, Y),
        "span_column must hold column indices or names, got True (bool).",
    ),
    (
        lambda: MarginThresholdClassifier(null_column=-5).fit(X, Y),
        "null_column=-5 is out of range for X with 4 feature(s): use an index in "
        "[-4, 3].",
    ),
    (
        lambda: MarginThresholdClassifier(span_column=[3, -1]).fit(X, Y),
        "span_column=[3, -1] names the same column twice.",
    ),
    (
        lambda: TorchLogisticFusion(validation_fraction=0.01).fit(X[:20], Y[:20]),
        "validation_fraction=0.01 cannot give a stratified split of 20 samples: ",
    ),
]


@pytest.mark.parametrize(("fit", "message"), MESSAGES)
def test_error_messages_word_for_word(fit, message):
    # Each message names the value and what was expected, in full.
    pattern = exactly(message)
    if message.endswith(": "):  # scikit-learn's own reason follows
        pattern = "^" + re.escape(message)
    with pytest.raises(ValueError, match=pattern):
        fit()


def test_all_zero_training_weights_of_a_split_are_a_clear_error():
    # Weight only on the rows that the seeded split holds out.
    clf = TorchLogisticFusion(validation_fraction=0.5, random_state=0)
    _, held_out = train_test_split(
        np.arange(len(Y)),
        test_size=0.5,
        stratify=Y,
        random_state=np.random.RandomState(0),
    )
    weight = np.zeros(len(Y))
    weight[held_out] = 1.0
    with pytest.raises(
        ValueError,
        match=exactly(
            "The sample weights of the training or the validation part are all "
            "zero; change validation_fraction or random_state."
        ),
    ):
        clf.fit(X, Y, sample_weight=weight)
