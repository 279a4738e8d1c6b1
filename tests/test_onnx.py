"""ONNX Runtime serves both estimators as `predict` and `predict_proba` do."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_array_equal

from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import (
    load_reader_outputs,
    make_squad2_scores,
    write_squad_example,
)

EXTRA = 'the onnx extra (pip install -e ".[onnx]" in a clone of skfusion)'
pytest.importorskip("skl2onnx", reason=f"needs skl2onnx, {EXTRA}")
ort = pytest.importorskip("onnxruntime", reason=f"needs onnxruntime, {EXTRA}")
from skfusion.onnx import register_converters, to_onnx  # noqa: E402

X, Y = make_squad2_scores(n_questions=1500, random_state=0)
TOLERANCE = 1e-6


def run(onx, X):
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"X": X})


def reference(model, X):
    """What the ONNX graph must give: predict, and proba or [-d, d]."""
    if isinstance(model, TorchLogisticFusion):
        return model.predict(X), model.predict_proba(X)
    decision = model.decision_function(X)
    return model.predict(X), np.column_stack([-decision, decision])


def check_served(model, X):
    label, second = run(to_onnx(model, X), X)
    expected_label, expected = reference(model, X)
    assert_array_equal(label, expected_label)
    assert np.abs(second - expected).max() <= TOLERANCE
    return label, second


ESTIMATORS = {
    "fusion": lambda: TorchLogisticFusion(n_restarts=3, random_state=0),
    "fusion-validation": lambda: TorchLogisticFusion(
        n_restarts=3, validation_fraction=0.3, random_state=0
    ),
    "rule": lambda: MarginThresholdClassifier(),
    "rule-sums": lambda: MarginThresholdClassifier(
        null_column=[0, 1], span_column=[2, 3], scoring="f1"
    ),
    "rule-margin-column": lambda: MarginThresholdClassifier(
        null_column=1, span_column=None, threshold=0.5
    ),
    # pos_label the first class: the decision is negated.
    "rule-negative-label": lambda: MarginThresholdClassifier(threshold=1.0),
}
TARGETS = {
    "bool": Y,
    "int": Y.astype(int) * 3 - 1,
    "str": np.where(Y, "no answer", "answer"),
}


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("fit_dtype", [np.float64, np.float32])
@pytest.mark.parametrize("input_dtype", [np.float64, np.float32])
def test_simulator(name, target, fit_dtype, input_dtype):
    y = TARGETS[target]
    model = ESTIMATORS[name]()
    if name == "rule-negative-label":
        model.set_params(pos_label=y[~Y][0])
    model.fit(X.astype(fit_dtype), y)
    label, _ = check_served(model, X.astype(input_dtype))
    assert len(set(label.tolist())) == 2  # both classes are predicted


def test_example_data(tmp_path):
    write_squad_example(tmp_path / "dev", n_questions=600, random_state=0)
    dev = load_reader_outputs(tmp_path / "dev", dev=tmp_path / "dev" / "dev-v2.0.json")
    write_squad_example(tmp_path / "new", n_questions=400, random_state=1)
    new = load_reader_outputs(tmp_path / "new")
    frame = pd.DataFrame(dev.data, columns=dev.feature_names)
    null, span = dev.margin_columns
    for model in (
        TorchLogisticFusion(random_state=0).fit(dev.data, dev.target),
        TorchLogisticFusion(n_restarts=4, random_state=0).fit(frame, dev.target),
        MarginThresholdClassifier(null_column=null, span_column=span).fit(
            frame, dev.target
        ),
    ):
        # The graph takes a plain array; the model its DataFrame.
        new_frame = pd.DataFrame(new.data, columns=new.feature_names)
        named = hasattr(model, "feature_names_in_")
        label, second = run(to_onnx(model, new.data), new.data)
        expected_label, expected = reference(model, new_frame if named else new.data)
        assert_array_equal(label, expected_label)
        assert np.abs(second - expected).max() <= TOLERANCE


@pytest.mark.parametrize("name", ["fusion", "rule-sums"])
@settings(max_examples=40, deadline=None)
@given(
    rows=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 20), st.just(X.shape[1])),
        elements=st.floats(-40, 40),
    )
)
def test_any_rows(name, rows):
    model = FITTED[name]
    check_served(model, rows)


FITTED = {name: ESTIMATORS[name]().fit(X, Y) for name in ("fusion", "rule-sums")}


@pytest.mark.parametrize("zipmap", [True, "columns"])
def test_fusion_with_zipmap(zipmap):
    # ONNX's ZipMap takes float32 probabilities only.
    model, X32 = FITTED["fusion"], X.astype(np.float32)
    outputs = run(to_onnx(model, X32, zipmap=zipmap), X32)
    assert_array_equal(outputs[0], model.predict(X32))
    proba = model.predict_proba(X32)
    if zipmap is True:
        got = np.array([[row[c] for c in (0, 1)] for row in outputs[1]])
    else:
        got = np.column_stack(outputs[1:])
    assert np.abs(got - proba).max() <= 1e-6


def test_with_skl2onnx_directly_and_in_a_pipeline():
    import skl2onnx
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    register_converters()
    register_converters()  # twice changes nothing
    pipe = make_pipeline(
        StandardScaler(), TorchLogisticFusion(n_restarts=3, random_state=0)
    ).fit(X, Y)
    onx = skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False})
    label, proba = run(onx, X)
    assert_array_equal(label, pipe.predict(X))
    assert np.abs(proba - pipe.predict_proba(X)).max() <= TOLERANCE


@pytest.mark.parametrize(
    ("final", "dtype", "options"),
    [
        ("rule", "float64", None),
        ("rule", "float32", None),
        ("fusion", "float32", None),  # ZipMap: dictionaries of float32
        # ONNX's ZipMap takes float32 only, as for scikit-learn's classifiers.
        ("fusion", "float64", {"zipmap": False}),
    ],
)
def test_importing_skfusion_onnx_lets_plain_skl2onnx_convert_a_pipeline(
    final, dtype, options
):
    # A fresh interpreter: importing skfusion.onnx is the only registration.
    script = f"""
import numpy as np, onnxruntime as ort, skl2onnx
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
import skfusion.onnx
from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import make_squad2_scores
X, y = make_squad2_scores(n_questions=300, random_state=0)
X = X.astype({dtype!r})
final = {{"rule": MarginThresholdClassifier(), "fusion": TorchLogisticFusion(
    n_restarts=2, random_state=0)}}[{final!r}]
pipe = make_pipeline(StandardScaler(), final).fit(X, y)
onx = skl2onnx.to_onnx(pipe, X[:1], options={options!r})
session = ort.InferenceSession(onx.SerializeToString())
label = session.run(None, {{"X": X}})[0]
assert (label == pipe.predict(X)).all() and label.shape == (300,), label
print("converted")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.stdout == "converted\n", done.stderr


def test_the_error_without_skl2onnx_gives_the_clone_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # import raises
    with pytest.raises(ImportError, match=r'pip install -e "\.\[onnx\]" in a clone'):
        register_converters()


def test_errors():
    refused = r"option 'zipmap' \(it must be in \[False\]\)"
    with pytest.raises(ValueError, match=refused):
        to_onnx(FITTED["rule-sums"], X.astype(np.float32), zipmap=True)
    with pytest.raises(ValueError, match="ZipMap takes float32 probabilities"):
        to_onnx(FITTED["fusion"], X, zipmap=True)
    with pytest.raises(ValueError, match="2-D float32 or float64 array, got a 1-D"):
        to_onnx(FITTED["fusion"], X[0])
    with pytest.raises(ValueError, match="got a 2-D int64 array"):
        to_onnx(FITTED["fusion"], X.astype(np.int64))
