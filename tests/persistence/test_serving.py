"""Prediction as a server runs it: one question at a time, without numba.

Plain float arrays skip ``validate_data`` (the one-question fast path); the
oracle is the validated path itself, forced by patching the fast path out,
and scikit-learn's own ``validate_data(reset=False)``, whose errors and
warnings each method must still give.
"""

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import validate_data

import skfusion._base
from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import make_squad2_scores
from skfusion.persistence import save_calibrator

X, Y = make_squad2_scores(n_questions=400, random_state=0)
NAMES = [f"s{j}" for j in range(X.shape[1])]
METHODS = {
    TorchLogisticFusion: (
        "predict",
        "decision_function",
        "predict_proba",
        "predict_log_proba",
    ),
    MarginThresholdClassifier: ("predict", "decision_function"),
}


def fitted(cls, X=X, y=Y):
    if cls is TorchLogisticFusion:
        return cls(n_restarts=2, n_steps=30, random_state=0).fit(X, y)
    return cls(null_column=[0, 1], span_column=[2, 3]).fit(X, y)


FITTED = {
    (cls, dtype): fitted(cls, X.astype(dtype))
    for cls in METHODS
    for dtype in (np.float64, np.float32)
}


def slow_path(monkeypatch):
    """Send every input through validate_data, as before the fast path."""
    monkeypatch.setattr(skfusion._base, "_plain_rows", lambda estimator, X: None)


def count_validations(monkeypatch):
    calls = []

    def counting(*args, **kwargs):
        calls.append(1)
        return validate_data(*args, **kwargs)

    monkeypatch.setattr(skfusion._base, "validate_data", counting)
    return calls


rows = st.sampled_from([np.float64, np.float32]).flatmap(
    lambda dtype: hnp.arrays(
        dtype,
        st.tuples(st.integers(1, 8), st.just(X.shape[1])),
        elements=st.floats(-30, 30, width=32),
    )
)


@pytest.mark.parametrize("cls", list(METHODS), ids=lambda c: c.__name__)
@pytest.mark.parametrize("fit_dtype", [np.float64, np.float32])
@settings(max_examples=60, deadline=None)
@given(rows=rows)
def test_fast_path_equals_validated_path_and_batch(cls, fit_dtype, rows):
    model = FITTED[cls, fit_dtype]
    with pytest.MonkeyPatch.context() as patch:
        calls = count_validations(patch)
        fast = {m: getattr(model, m)(rows) for m in METHODS[cls]}
        one_by_one = {
            m: [getattr(model, m)(rows[i : i + 1])[0] for i in range(len(rows))]
            for m in METHODS[cls]
        }
        assert not calls, "a plain float array went through validate_data"
    with pytest.MonkeyPatch.context() as patch:
        slow_path(patch)
        calls = count_validations(patch)
        for method, value in fast.items():
            validated = getattr(model, method)(rows)
            assert validated.dtype == value.dtype
            assert_array_equal(validated, value, strict=True)
            # Each row alone gives the bits it gets in the batch.
            assert_array_equal(np.array(one_by_one[method]), value)
        assert calls


@pytest.mark.parametrize("cls", list(METHODS), ids=lambda c: c.__name__)
def test_fast_path_matches_the_model_arithmetic(cls):
    # An oracle outside the code: numpy's own matrix product and sums.
    model = FITTED[cls, np.float64]
    rows = X[:50]
    if cls is TorchLogisticFusion:
        expected = rows @ model.coef_.ravel() + model.intercept_[0]
    else:
        expected = rows[:, 0] + rows[:, 1] - rows[:, 2] - rows[:, 3]
        expected = expected - model.best_threshold_
    np.testing.assert_allclose(model.decision_function(rows), expected, rtol=1e-12)


def bad_inputs():
    """Inputs next to the fast path's, each rejected by validate_data."""
    nan, inf = X[:1].copy(), X[:1].copy()
    nan[0, 1], inf[0, 2] = np.nan, -np.inf
    return {
        "too few columns": X[:1, :-1].copy(),
        "too many columns": np.hstack([X[:1], X[:1]]),
        "NaN": nan,
        "NaN float32": nan.astype(np.float32),
        "infinity": inf,
        "no rows": X[:0].copy(),
        "one-dimensional": X[0].copy(),
        "three-dimensional": X[None, :1].copy(),
        "complex": X[:1].astype(np.complex128),
        "strings": X[:1].astype(str).astype(object) + "x",
        "list of wrong width": [[1.0, 2.0]],
    }


@pytest.mark.parametrize("cls", list(METHODS), ids=lambda c: c.__name__)
@pytest.mark.parametrize("case", sorted(bad_inputs()))
def test_each_validation_error_still_fires(cls, case):
    model = FITTED[cls, np.float64]
    bad = bad_inputs()[case]
    # validate_data(reset=False) on the fitted model is the oracle.
    with pytest.raises(ValueError) as expected:
        validate_data(model, bad, reset=False)
    for method in METHODS[cls]:
        with pytest.raises(ValueError) as raised:
            getattr(model, method)(bad)
        assert str(raised.value) == str(expected.value), method


def test_feature_count_message_is_scikit_learns():
    for cls in METHODS:
        with pytest.raises(ValueError) as raised:
            FITTED[cls, np.float64].predict(X[:1, :3].copy())
        assert str(raised.value) == (
            f"X has 3 features, but {cls.__name__} is expecting 4 features as input."
        )


@pytest.mark.parametrize("cls", list(METHODS), ids=lambda c: c.__name__)
def test_not_fitted_is_still_an_error(cls):
    for method in METHODS[cls]:
        with pytest.raises(NotFittedError):
            getattr(cls(), method)(X[:1].copy())


@pytest.mark.parametrize("cls", list(METHODS), ids=lambda c: c.__name__)
def test_feature_name_checks_still_fire(cls):
    named = fitted(cls, pd.DataFrame(X, columns=NAMES))
    plain = FITTED[cls, np.float64]
    renamed = pd.DataFrame(X[:1], columns=[*NAMES[:-1], "other"])
    for method in METHODS[cls]:
        with pytest.warns(UserWarning, match="X does not have valid feature names"):
            getattr(named, method)(X[:1].copy())
        with pytest.warns(UserWarning, match="X has feature names, but"):
            getattr(plain, method)(pd.DataFrame(X[:1], columns=NAMES))
        with pytest.raises(ValueError, match="feature names should match"):
            getattr(named, method)(renamed)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            from_frame = getattr(named, method)(pd.DataFrame(X[:5], columns=NAMES))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_array_equal(from_frame, getattr(named, method)(X[:5]))


@pytest.mark.parametrize("cls", list(METHODS), ids=lambda c: c.__name__)
def test_other_layouts_take_the_validated_path_with_equal_results(cls):
    model = FITTED[cls, np.float64]
    expected = model.decision_function(X[:40])
    for layout in (
        np.asfortranarray(X[:40]),
        X[:40].astype(">f8"),
        X[:40].tolist(),
        pd.DataFrame(X[:40]),
    ):
        assert_array_equal(model.decision_function(layout), expected)
    assert_array_equal(model.decision_function(X[:40:2]), expected[::2])


BLOCK = """
import json, sys
import numpy as np

class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(name + " is not installed in this test")

sys.meta_path.insert(0, Absent())
{load}
rows = np.load({rows!r})
out = {{m: getattr(model, m)(rows).tolist() for m in {methods!r}}}
out["one"] = model.predict(rows[:1]).tolist()
out["imported"] = sorted(m for m in ("numba", "torch", "llvmlite") if m in sys.modules)
print(json.dumps(out))
"""


@pytest.mark.parametrize("cls", list(METHODS), ids=lambda c: c.__name__)
@pytest.mark.parametrize("suffix", [".joblib", ".skops"])
def test_saved_calibrator_predicts_without_numba_or_torch(cls, suffix, tmp_path):
    if suffix == ".skops":
        pytest.importorskip("skops")
    model = FITTED[cls, np.float64]
    path = tmp_path / f"calibrator{suffix}"
    save_calibrator(model, NAMES, path)
    np.save(tmp_path / "rows.npy", X[:30])
    # With .skops, skops' own import pulls in scikit-learn's torch wrapper
    # when torch is installed: there torch is blocked, as if not installed.
    blocked = ("numba", "llvmlite") + (("torch",) if suffix == ".skops" else ())
    # joblib files are read as a trusted server reads its own pickle.
    load = (
        "from skfusion.persistence import load_calibrator\n"
        f"model, names = load_calibrator({str(path)!r})"
        if suffix == ".skops"
        else f"import joblib\nmodel = joblib.load({str(path)!r})['model']"
    )
    code = BLOCK.format(
        load=load,
        blocked=blocked,
        rows=str(tmp_path / "rows.npy"),
        methods=METHODS[cls],
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    out = json.loads(run.stdout)
    assert out.pop("imported") == []
    assert out.pop("one") == model.predict(X[:1]).tolist()
    for method, value in out.items():
        assert_array_equal(np.array(value), getattr(model, method)(X[:30]))
