import errno
import os
import pickle
import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.cluster import KMeans
from sklearn.exceptions import InconsistentVersionWarning as SklearnVersionWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import FEATURE_NAMES, load_reader_outputs, make_squad2_scores
from skfusion.metrics import squad2_sample_weight
from skfusion.persistence import (
    InconsistentVersionWarning,
    calibrator_report,
    check_feature_names,
    load_calibrator,
    no_answer_decisions,
    resolve_unknown_spans,
    save_calibrator,
    squad_predictions,
)
from tests import _official_eval as official
from tests._builders import random_run, squad_dev, write_json, write_run

X, Y = make_squad2_scores(n_questions=800, random_state=0)
sio = pytest.importorskip("skops.io")


class CodeRunner:
    """Unpickling this runs code: it creates the file `marker`."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('ran')",)


def raw_bundle(model, feature_names=FEATURE_NAMES, versions=None):
    """A calibrator file's content, bypassing save_calibrator's checks."""
    from skfusion.persistence._calibrator import _versions as current

    return {
        "format": "skfusion.calibrator/1",
        "model": model,
        "feature_names": list(feature_names),
        "versions": current() if versions is None else versions,
    }


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if "skfusion-tmp" in p.name)


@pytest.mark.parametrize("suffix", ["joblib", "skops", "SKOPS", "Pkl"])
@pytest.mark.parametrize(
    "estimator",
    [TorchLogisticFusion(n_restarts=3, random_state=0), MarginThresholdClassifier()],
    ids=["fusion", "margin"],
)
def test_calibrators_reload_and_predict_identically(tmp_path, suffix, estimator):
    estimator.fit(X, Y)
    path = tmp_path / f"calibrator.{suffix}"
    save_calibrator(estimator, FEATURE_NAMES, path)
    is_skops = suffix.lower() == "skops"
    # The suffix, in any case, picks the format: .SKOPS is a zip, not a pickle.
    assert path.read_bytes().startswith(b"PK\x03\x04") == is_skops
    loaded, names = load_calibrator(path, allow_pickle=not is_skops)
    assert names == list(FEATURE_NAMES)
    assert_array_equal(loaded.decision_function(X), estimator.decision_function(X))
    with pytest.raises(ValueError, match="X has 3 features"):
        loaded.predict(X[:, :3])
    assert leftovers(tmp_path) == []


def test_a_pipeline_ending_in_a_skfusion_classifier_is_a_calibrator(tmp_path):
    pipeline = make_pipeline(StandardScaler(), TorchLogisticFusion(n_restarts=2))
    pipeline.fit(X, Y.astype(int))  # 0/1 labels, 1 = unanswerable
    save_calibrator(pipeline, FEATURE_NAMES, tmp_path / "p.skops")
    loaded, _ = load_calibrator(tmp_path / "p.skops")
    assert loaded.classes_.tolist() == [0, 1]
    assert_array_equal(loaded.predict(X), pipeline.predict(X))


def test_a_fixed_threshold_of_a_skfusion_classifier_is_a_calibrator(tmp_path):
    # What skfusion fit --target-precision saves for the fusion.
    fusion = TorchLogisticFusion(n_restarts=2, random_state=0).fit(X, Y)
    model = FixedThresholdClassifier(FrozenEstimator(fusion), threshold=0.3)
    model.fit(X, Y)
    save_calibrator(model, FEATURE_NAMES, tmp_path / "t.skops")
    loaded, _ = load_calibrator(tmp_path / "t.skops")
    assert_array_equal(loaded.predict(X), model.predict(X))
    other = FixedThresholdClassifier(LogisticRegression(), threshold=0.3).fit(X, Y)
    with pytest.raises(ValueError, match="holds a FixedThresholdClassifier, expected"):
        save_calibrator(other, FEATURE_NAMES, tmp_path / "o.skops")


@pytest.mark.hostile("error")
@pytest.mark.parametrize("name", ["c.joblib", "c.pkl", "c.skops", "c.SKOPS", "c"])
@pytest.mark.parametrize("writer", ["pickle", "joblib"])
def test_a_pickle_payload_never_runs_without_allow_pickle(tmp_path, name, writer):
    marker = tmp_path / "ran"
    path = tmp_path / name
    if writer == "pickle":
        path.write_bytes(pickle.dumps(raw_bundle(CodeRunner(marker))))
    else:
        joblib.dump(raw_bundle(CodeRunner(marker)), path)
    with pytest.raises(ValueError, match=r"allow_pickle=True \(skfusion predict"):
        load_calibrator(path)
    assert not marker.exists()
    # The oracle itself: the payload does run code once pickle is allowed.
    with pytest.raises(ValueError):
        load_calibrator(path, allow_pickle=True)
    assert marker.read_text() == "ran"


@pytest.mark.hostile("error")
@pytest.mark.parametrize(
    ("model", "foreign"),
    [
        (FunctionTransformer(os.system), "posix.system"),
        (FunctionTransformer(exec), "builtins.exec"),
        (CodeRunner("never"), "test_persistence.CodeRunner"),
    ],
    ids=["os.system", "exec", "foreign class"],
)
def test_skops_file_with_foreign_types_is_refused(tmp_path, model, foreign):
    path = tmp_path / "evil.skops"
    sio.dump(raw_bundle(model), path)
    with pytest.raises(ValueError, match="does not trust") as error:
        load_calibrator(path, allow_pickle=True)  # a .skops file never unpickles
    assert foreign in str(error.value)
    assert not (tmp_path / "never").exists()


@pytest.mark.hostile("error")
@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            MarginThresholdClassifier().fit(X, np.where(Y, 1, -1)),
            r"classes are \[-1, 1\], expected \[False, True\] or \[0, 1\]",
        ),
        (
            MarginThresholdClassifier().fit(X, np.where(Y, "yes", "no")),
            r"classes are \['no', 'yes'\]",
        ),
        (LinearRegression().fit(X, Y), "holds a LinearRegression, expected"),
        (KMeans(n_clusters=2, n_init=1).fit(X), "holds a KMeans, expected"),
        (LogisticRegression().fit(X, Y), "holds a LogisticRegression, expected"),
        (MarginThresholdClassifier(), "an unfitted MarginThresholdClassifier"),
        ({"not": "a model"}, "holds a dict, expected"),
    ],
    ids=["-1/+1", "strings", "regressor", "kmeans", "sklearn", "unfitted", "dict"],
)
def test_a_loaded_calibrator_is_validated(tmp_path, model, message):
    path = tmp_path / "odd.skops"
    sio.dump(raw_bundle(model), path)
    with pytest.raises(ValueError, match=message):
        load_calibrator(path)
    # save_calibrator refuses to write what load_calibrator would refuse.
    with pytest.raises(ValueError, match=message):
        save_calibrator(model, FEATURE_NAMES, tmp_path / "saved.skops")
    assert not (tmp_path / "saved.skops").exists()


@pytest.mark.hostile("error")
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "something/1"}, "not a skfusion calibrator"),
        ({"extra": 1}, "not a skfusion calibrator"),
        ({"feature_names": ["a", 1, "b", "c"]}, "expected a list of str"),
        ({"feature_names": ["a"]}, "takes 4 columns but names 1"),
        ({"versions": ["1.0"]}, "expected a dict of str"),
    ],
)
def test_a_file_that_is_not_a_calibrator_is_refused(tmp_path, change, message):
    bundle = raw_bundle(MarginThresholdClassifier().fit(X, Y)) | change
    sio.dump(bundle, tmp_path / "x.skops")
    with pytest.raises(ValueError, match=message):
        load_calibrator(tmp_path / "x.skops")


@pytest.mark.hostile("error")
@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not a zip", b"\x00" * 100])
def test_garbage_is_one_error(tmp_path, content):
    path = tmp_path / "c.skops"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"c\.skops: not a"):
        load_calibrator(path)


def test_calibrators_record_versions_and_warn_when_they_differ(tmp_path):
    rule = MarginThresholdClassifier().fit(X, Y)
    save_calibrator(rule, FEATURE_NAMES, tmp_path / "now.skops")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same versions: no warning
        load_calibrator(tmp_path / "now.skops")
    import sklearn

    saved = sio.load(
        tmp_path / "now.skops",
        trusted=sio.get_untrusted_types(file=tmp_path / "now.skops"),
    )
    assert saved["versions"] == {
        "skfusion": __import__("skfusion").__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
    }
    assert saved["feature_names"] == list(FEATURE_NAMES)
    old = dict(saved["versions"], **{"scikit-learn": "0.20.0"})
    sio.dump(raw_bundle(rule, versions=old), tmp_path / "old.skops")
    # A filter on scikit-learn's warning catches skfusion's too.
    with pytest.warns(SklearnVersionWarning) as record:
        model, _ = load_calibrator(tmp_path / "old.skops")
    warning = record[0].message
    assert isinstance(warning, InconsistentVersionWarning)
    assert str(warning) == (
        f"Trying to load calibrator {tmp_path / 'old.skops'} saved with "
        f"scikit-learn 0.20.0 when using scikit-learn {sklearn.__version__}. This "
        "might lead to breaking code or invalid results. Use at your own risk."
    )
    assert warning.original_sklearn_version == "0.20.0"
    assert_array_equal(model.predict(X), rule.predict(X))


def test_the_suffix_is_checked_before_anything_is_written(tmp_path, monkeypatch):
    rule = MarginThresholdClassifier().fit(X, Y)
    with pytest.raises(ValueError, match=r"expected a calibrator file name ending"):
        save_calibrator(rule, FEATURE_NAMES, tmp_path / "calibrator.json")
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "skops" else real(n)
    )
    with pytest.raises(ImportError, match="pip install skops"):
        save_calibrator(rule, FEATURE_NAMES, tmp_path / "c.Skops")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.hostile("handled")
@pytest.mark.parametrize("suffix", ["skops", "joblib"])
def test_a_failing_write_leaves_the_old_file_intact(tmp_path, monkeypatch, suffix):
    path = tmp_path / f"calibrator.{suffix}"
    rule = MarginThresholdClassifier()
    save_calibrator(rule.fit(X, Y), FEATURE_NAMES, path)
    before = path.read_bytes()

    def disk_full(bundle, file):
        file.write(b"half a calibrator")
        raise OSError(errno.ENOSPC, "No space left on device")

    from skfusion.persistence import _calibrator

    monkeypatch.setattr(_calibrator, f"_write_{suffix}", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_calibrator(rule.fit(X, ~Y), FEATURE_NAMES, path)
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_column_names_must_match():
    check_feature_names(["a", "b"], ["a", "b"])
    with pytest.raises(ValueError, match=r"trained on columns \['a', 'b'\]"):
        check_feature_names(["a", "b"], ["b", "a"])


def test_squad_predictions_are_strings():
    assert squad_predictions(["q1", "q2"], [True, False], ["x", "an answer"]) == {
        "q1": "",
        "q2": "an answer",
    }
    # An unknown span is never written as "no answer" behind the caller's back.
    with pytest.raises(ValueError, match=r"1 answered question\(s\) have no known"):
        squad_predictions(["q1", "q2"], [True, False], ["x", None])
    with pytest.raises(ValueError, match=r"1 span text\(s\) are not strings"):
        squad_predictions(["q1", "q2"], [True, False], ["x", 3.5])
    with pytest.raises(TypeError):
        squad_predictions(["q1", "q2"], [True, False])  # no span texts, no default


def test_decisions_only_and_ids_that_print_alike():
    assert no_answer_decisions(np.array(["007", "q2"], dtype=object), [1, 0]) == {
        "007": True,
        "q2": False,
    }
    assert no_answer_decisions([7, np.int64(8)], [False, True]) == {
        "7": False,
        "8": True,
    }
    with pytest.raises(ValueError, match=r"1 question id\(s\) occur twice .* '1'"):
        no_answer_decisions([1, "1", "2"], [True, False, True])
    with pytest.raises(ValueError, match=r"occur twice"):
        squad_predictions(["a", "a"], [True, True], [None, None])
    with pytest.raises(ValueError, match=r"neither strings nor integers, e.g. 1.5"):
        no_answer_decisions([1.5, True], [True, False])


def test_plotting_functions_draw():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skfusion import plotting

    rule = MarginThresholdClassifier().fit(X, Y)
    margin = X[:, 0] - X[:, 3]
    fusion = TorchLogisticFusion(n_restarts=4, random_state=0).fit(X, Y)
    axes = [
        plotting.plot_threshold_curve(margin, Y, rule.best_threshold_),
        plotting.plot_margin_histograms(margin, Y, rule.best_threshold_),
        plotting.plot_restart_curves(fusion),
        plotting.plot_fold_weights(fusion.coef_, FEATURE_NAMES),
    ]
    assert len(axes[2].lines) == 4 + 1  # one curve per restart, plus the mark
    assert axes[0].get_lines()[1].get_xdata()[0] == rule.best_threshold_
    plt.close("all")


def test_unknown_spans_are_written_as_the_policy_says():
    predicted_null = [False, False, False, True]
    span_text = ["Paris", None, None, None]
    no_span = [False, True, False, False]
    with pytest.raises(ValueError, match=r"1 question\(s\) .* e\.g\. 'q3'"):
        resolve_unknown_spans(
            predicted_null, span_text, no_span=no_span, ids=["q1", "q2", "q3", "q4"]
        )
    result = resolve_unknown_spans(
        predicted_null, span_text, no_span=no_span, missing_span="null"
    )
    assert result.predicted_null.tolist() == [False, True, True, True]
    assert result.no_span.tolist() == [False, True, False, False]
    assert result.missing.tolist() == [False, False, True, False]
    # Only a reader's "no candidate span" is written as no answer by default.
    result = resolve_unknown_spans(
        [False, False, True], ["x", None, None], no_span=[False, True, False]
    )
    assert result.predicted_null.tolist() == [False, True, True]
    assert squad_predictions(
        ["a", "b", "c"], result.predicted_null, ["x", None, None]
    ) == {"a": "x", "b": "", "c": ""}


def test_names_come_from_the_estimators_feature_names_in(tmp_path):
    pd = pytest.importorskip("pandas")
    names = ["null_a", "null_b", "span_a", "span_b"]
    frame = pd.DataFrame(X, columns=names)
    rule = MarginThresholdClassifier(
        null_column=["null_a", "null_b"], span_column="span_b"
    ).fit(frame, Y)
    path = tmp_path / "m.skops"
    save_calibrator(rule, None, path)
    model, found = load_calibrator(path)
    assert found == names
    assert_array_equal(model.predict(frame), rule.predict(frame))
    with pytest.raises(ValueError, match=r"differ from the columns the estimator"):
        save_calibrator(rule, names[::-1], path)
    plain = MarginThresholdClassifier().fit(X, Y)
    with pytest.raises(ValueError, match=r"fitted without feature names"):
        save_calibrator(plain, None, path)
    # An array-fitted estimator keeps the names the caller records.
    save_calibrator(plain, names, path)
    assert load_calibrator(path)[1] == names


def test_calibrator_report_is_the_official_script_on_the_fit_data(tmp_path):
    pytest.importorskip("pandas")
    golds, nbest = random_run(3, 80, signal=2.0)
    write_run(tmp_path / "out", nbest, prefix="eval")
    dev = write_json(tmp_path / "dev-v2.0.json", squad_dev(golds))
    data = load_reader_outputs(tmp_path / "out", dev=dev, as_frame=True)
    null, span = data.margin_columns
    rule = MarginThresholdClassifier(null_column=null, span_column=span)
    rule.fit(
        data.data, data.target, sample_weight=squad2_sample_weight(data.target, data.em)
    )
    report = calibrator_report(rule, data)
    predictions = squad_predictions(data.ids, rule.predict(data.data), data.span_text)
    expected = official.evaluate(squad_dev(golds)["data"], predictions)
    assert report["report"] == pytest.approx(expected)
    assert report["threshold"] == rule.best_threshold_
    assert report["null_score_diff_threshold"] == rule.best_threshold_
    assert report["margin"] == (
        "(null_start_logit + null_end_logit) - (span_start_logit + span_end_logit)"
    )
    fusion = TorchLogisticFusion(random_state=0, n_restarts=2, n_steps=5)
    fusion.fit(data.data, data.target)
    report = calibrator_report(fusion, data)
    assert report["coef"] == fusion.coef_[0].tolist() and "threshold" not in report
