"""Hostile and broken calibrator files: one table, each a clean error.

A calibrator file from someone else runs no code (test_persistence.py), and
also asks for no more than a prediction costs: only regular files are read,
pipelines hold only the steps `save_calibrator` lists, and every fitted
number must be finite and of the shape `fit` gives. Each case of `BROKEN`
damages a fitted calibrator one way, writes it with skops (so every type in
it is one skops trusts) and expects `load_calibrator` to refuse it in one
line naming the file; `save_calibrator` refuses to write it.
"""

import os
import socket
import threading
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)

from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import FEATURE_NAMES, make_squad2_scores
from skfusion.persistence import _calibrator, load_calibrator, save_calibrator

sio = pytest.importorskip("skops.io")
X, Y = make_squad2_scores(n_questions=60, random_state=0)
NAMES = list(FEATURE_NAMES)


def raw_bundle(model, **change):
    """A calibrator file's content, bypassing save_calibrator's checks."""
    from skfusion.persistence._calibrator import _versions as versions

    return {"format": "skfusion.calibrator/1", "model": model,
            "feature_names": NAMES, "versions": versions(), **change}  # fmt: skip


def fusion():
    return TorchLogisticFusion(n_restarts=2, n_steps=6, random_state=0).fit(X, Y)


def rule():
    return MarginThresholdClassifier().fit(X, Y)


def changed(model, **attributes):
    """`model` with its attributes set as a hostile file sets them."""
    for name, value in attributes.items():
        setattr(model, name, value)
    return model


def scaled(**attributes):
    model = make_pipeline(StandardScaler(), fusion()).fit(X, Y)
    changed(model.steps[0][1], **attributes)
    return model


def operating_point(**attributes):
    model = FixedThresholdClassifier(FrozenEstimator(fusion()), threshold=0.3)
    return changed(model.fit(X, Y), **attributes)


def polynomial():
    """Fitted small; the file asks for degree 120: 4.19 GiB on 60 questions."""
    model = make_pipeline(PolynomialFeatures(2), rule()).fit(X, Y)
    model.steps[0][1].degree = 120
    return model


NAN, INF = float("nan"), float("inf")
# Each way a calibrator is broken, and what the error says.
BROKEN = {
    "polynomial degree 120": (polynomial, "holds PolynomialFeatures before"),
    "function step": (
        lambda: make_pipeline(FunctionTransformer(np.tanh), rule()).fit(X, Y),
        "holds FunctionTransformer before its classifier",
    ),
    "column transformer": (
        lambda: make_pipeline(
            ColumnTransformer([("keep", "passthrough", [0, 1, 2, 3])]), rule()
        ).fit(X, Y),
        "holds ColumnTransformer before its classifier",
    ),
    "logistic regression step": (
        lambda: make_pipeline(LogisticRegression(), rule()),
        "holds LogisticRegression before",
    ),
    "nan threshold": (lambda: changed(rule(), best_threshold_=NAN), "not finite"),
    "inf threshold": (lambda: changed(rule(), best_threshold_=INF), "not finite"),
    "str threshold": (
        lambda: changed(rule(), best_threshold_="0.5"),
        r"best_threshold_ is a str, expected finite numbers of shape \(\)",
    ),
    "bool threshold": (lambda: changed(rule(), best_threshold_=True), "is a bool"),
    "array threshold": (
        lambda: changed(rule(), best_threshold_=np.zeros(3)),
        r"best_threshold_ is of shape \(3,\)",
    ),
    "nan coefficients": (
        lambda: changed(fusion(), coef_=np.full((1, 4), NAN)),
        r"coef_ is not finite",
    ),
    "coefficients cut to one": (
        lambda: changed(fusion(), coef_=np.ones((1, 1))),
        r"coef_ is of shape \(1, 1\), expected finite numbers of shape \(1, 4\)",
    ),
    "empty coefficients": (
        lambda: changed(fusion(), coef_=np.ones((1, 0))),
        r"coef_ is of shape \(1, 0\)",
    ),
    "flat coefficients": (
        lambda: changed(fusion(), coef_=np.ones(4)),
        r"coef_ is of shape \(4,\)",
    ),
    "object coefficients": (
        lambda: changed(fusion(), coef_=np.array([["1", "2", "3", "4"]])),
        "coef_ is a ndarray",
    ),
    "nan intercept": (
        lambda: changed(fusion(), intercept_=np.array([NAN])),
        "intercept_ is not finite",
    ),
    "truncated accuracy curve": (
        lambda: changed(fusion(), accuracy_curve_=np.zeros((2, 3))),
        r"accuracy_curve_ is of shape \(2, 3\), expected .* \(2, 6\)",
    ),
    "empty restart scores": (
        lambda: changed(fusion(), restart_scores_=np.array([])),
        r"restart_scores_ is of shape \(0,\)",
    ),
    "nan best score": (lambda: changed(rule(), best_score_=NAN), "best_score_"),
    "no threshold": (
        lambda: changed(rule(), best_threshold_=None),
        "best_threshold_ is a NoneType",
    ),
    "huge width": (
        lambda: changed(fusion(), n_features_in_=10**12),
        "takes 1000000000000 columns but names 4",
    ),
    "width a float": (
        lambda: changed(fusion(), n_features_in_=4.0),
        "takes 4.0 columns but names 4",
    ),
    "no classes": (lambda: changed(rule(), classes_=None), "classes are None"),
    "three classes": (
        lambda: changed(rule(), classes_=np.array([0, 1, 2])),
        r"classes are \[0, 1, 2\]",
    ),
    "null column out of range": (
        lambda: changed(rule(), null_column=99),
        "not a calibrator as fit leaves one .*out of range",
    ),
    "scaler cut": (
        lambda: scaled(scale_=np.ones(2)),
        r"StandardScaler.scale_ is of shape \(2,\)",
    ),
    "scaler nan": (
        lambda: scaled(mean_=np.full(4, NAN)),
        "StandardScaler.mean_ is not finite",
    ),
    "scaler of other width": (
        lambda: scaled(n_features_in_=3),
        "takes 3 columns but names 4",
    ),
    "operating point nan": (
        lambda: operating_point(threshold=NAN),
        "FixedThresholdClassifier.threshold is not finite",
    ),
    "operating point of another model": (
        lambda: operating_point(estimator_=LogisticRegression().fit(X, Y)),
        "holds a FixedThresholdClassifier, expected",
    ),
    "pipeline of no steps": (
        lambda: changed(make_pipeline(rule()), steps=[]),
        "holds a Pipeline, expected",
    ),
    "pipeline steps not pairs": (
        lambda: changed(make_pipeline(rule()), steps=[("a",)]),
        "holds a Pipeline, expected",
    ),
}


@pytest.mark.hostile("error")
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_calibrator_is_one_error_naming_the_file(tmp_path, case):
    build, message = BROKEN[case]
    path = tmp_path / "c.skops"
    sio.dump(raw_bundle(build()), path)
    with pytest.raises(ValueError, match=message) as error:
        load_calibrator(path)
    assert str(error.value).startswith(str(path)), error.value
    assert "\n" not in str(error.value) and len(str(error.value)) < 600
    with pytest.raises(ValueError, match=message):
        save_calibrator(build(), NAMES, tmp_path / "saved.skops")
    assert not (tmp_path / "saved.skops").exists()


ALLOWED = {
    "passthrough": lambda: make_pipeline("passthrough", fusion()),
    **{
        step.__name__: lambda step=step: make_pipeline(step(), fusion())
        for step in (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler)
    },
    "operating point": lambda: FixedThresholdClassifier(
        FrozenEstimator(fusion()), threshold=0.3
    ),
    "operating point, auto": lambda: FixedThresholdClassifier(
        FrozenEstimator(fusion())
    ),
}


@pytest.mark.parametrize("case", sorted(ALLOWED))
def test_the_documented_steps_load(tmp_path, case):
    model = ALLOWED[case]().fit(X, Y)
    save_calibrator(model, NAMES, tmp_path / "c.skops")
    loaded, _ = load_calibrator(tmp_path / "c.skops")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def _fifo(path):
    os.mkfifo(path)


def _socket(path):
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    return server


# What a calibrator path may be besides a file, and the error.
NOT_FILES = {
    "fifo": (_fifo, "is a FIFO"),
    "folder": (os.mkdir, "is a folder"),
    "socket": (_socket, r"No such device or address|is a socket"),
    "device": (lambda path: path.symlink_to("/dev/zero"), "is a character device"),
}


@pytest.mark.hostile("error")
@pytest.mark.parametrize("case", sorted(NOT_FILES))
def test_only_a_regular_file_is_read_and_nothing_blocks(tmp_path, case):
    make, message = NOT_FILES[case]
    path = tmp_path / "c.skops"
    kept = make(path)
    outcome = []

    def load():
        try:
            load_calibrator(path)
        except (ValueError, OSError) as exc:
            outcome.append(exc)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(30)
    if thread.is_alive():  # blocked opening the FIFO: let it go, then fail
        with open(path, "wb"):
            pass
        pytest.fail("load_calibrator blocked on a FIFO")
    assert len(outcome) == 1 and str(path) in str(outcome[0])
    assert outcome[0].args and __import__("re").search(message, str(outcome[0]))
    if kept is not None:
        kept.close()


@pytest.fixture
def reader_calibrator(tmp_path):
    path = tmp_path / "c.skops"
    save_calibrator(
        rule(), NAMES, path, reader="run_squad", score_kind="logit difference"
    )
    return path


def data(reader, score_kind, names=NAMES):
    from sklearn.utils import Bunch

    return Bunch(feature_names=names, reader=reader, score_kind=score_kind)


@pytest.mark.hostile("error")
@pytest.mark.parametrize(
    ("reader", "score_kind", "message"),
    [
        ("beam_search", "class score", r"reader 'run_squad', score_kind 'logit"),
        ("joint_span_extraction", "logit difference", "reader 'run_squad', but"),
    ],
)
def test_data_of_another_reader_is_refused_or_with_force_warned(
    reader_calibrator, reader, score_kind, message
):
    other = data(reader, score_kind)
    with pytest.raises(ValueError, match=message) as error:
        load_calibrator(reader_calibrator, data=other)
    assert str(error.value).startswith(str(reader_calibrator))
    assert f"reader {reader!r}" in str(error.value) and "force=True" in str(error.value)
    with pytest.warns(UserWarning, match=message):
        model, names = load_calibrator(reader_calibrator, data=other, force=True)
    assert names == NAMES and model.predict(X[:2]).shape == (2,)


@pytest.mark.hostile("handled")
@pytest.mark.parametrize(
    ("reader", "score_kind"),
    [("run_squad", "logit difference"), (None, None)],
    ids=["same reader", "reader unknown"],
)
def test_data_of_the_same_or_an_unknown_reader_loads(
    reader_calibrator, reader, score_kind
):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_calibrator(reader_calibrator, data=data(reader, score_kind))


@pytest.mark.hostile("error")
def test_data_of_other_columns_is_refused_naming_the_file(reader_calibrator):
    with pytest.raises(ValueError, match=r"trained on columns \[") as error:
        load_calibrator(reader_calibrator, data=data("run_squad", None, NAMES[:2]))
    assert str(error.value).startswith(str(reader_calibrator))


def test_the_reader_and_score_kind_are_recorded(reader_calibrator, tmp_path):
    saved = sio.load(reader_calibrator, trusted=sio.get_untrusted_types(
        file=reader_calibrator))  # fmt: skip
    assert (saved["reader"], saved["score_kind"]) == ("run_squad", "logit difference")
    sio.dump(raw_bundle(rule(), reader=3), tmp_path / "r.skops")
    with pytest.raises(
        ValueError, match=r"reader or score_kind is .*, expected str or None"
    ):
        load_calibrator(tmp_path / "r.skops")
    # A file of before the records loads: reader and score kind unknown.
    sio.dump(raw_bundle(rule()), tmp_path / "old.skops")
    load_calibrator(tmp_path / "old.skops", data=data("beam_search", "class score"))


@pytest.mark.parametrize(
    "force",
    [
        pytest.param(False, marks=pytest.mark.hostile("error")),
        pytest.param(True, marks=pytest.mark.hostile("handled")),
    ],
)
def test_save_over_a_read_only_file_needs_force(tmp_path, force):
    path = tmp_path / "c.skops"
    path.write_bytes(b"an older calibrator")
    path.chmod(0o400)
    if not force:
        with pytest.raises(PermissionError, match=f"{path} is read-only"):
            save_calibrator(rule(), NAMES, path)
        assert path.read_bytes() == b"an older calibrator"
        return
    save_calibrator(rule(), NAMES, path, force=True)
    assert load_calibrator(path)[1] == NAMES
    assert oct(path.stat().st_mode & 0o777) == oct(0o400)


@pytest.mark.hostile("error")
def test_save_over_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "c.skops")
    with pytest.raises(FileExistsError, match="is a FIFO"):
        save_calibrator(rule(), NAMES, tmp_path / "c.skops")
    assert os.path.exists(tmp_path / "c.skops")


@pytest.mark.hostile("error")
@pytest.mark.parametrize("case", ["sparse 300 MiB file", "zip that inflates"])
def test_a_file_or_archive_over_the_bound_is_refused_unread(
    tmp_path, monkeypatch, case
):
    path = tmp_path / "c.skops"
    if case == "sparse 300 MiB file":
        with open(path, "wb") as f:
            f.truncate(300 * 2**20)  # no disk used; reading it would take 300 MiB
        message = "larger than 256 MiB"
    else:
        sio.dump(raw_bundle(rule()), path)
        with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("padding", bytes(10 * 2**20))  # 10 MiB in kilobytes
        with zipfile.ZipFile(path) as archive:
            inflated = sum(member.file_size for member in archive.infolist())
        size = path.stat().st_size
        assert inflated > 2 * size  # the oracle: it inflates
        # A bound the file is under, and what it inflates to is over.
        monkeypatch.setattr(_calibrator, "MAX_BYTES", (size + inflated) // 2)
        message = f"inflates to {inflated} bytes"
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=message) as error:
            load_calibrator(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(error.value).startswith(str(path))
    assert peak < 20 * 2**20  # refused without reading it whole
