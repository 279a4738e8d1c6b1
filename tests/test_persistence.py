import pytest
from numpy.testing import assert_array_equal

from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import FEATURE_NAMES, make_squad2_scores
from skfusion.persistence import (
    check_feature_names,
    load_calibrator,
    save_calibrator,
    squad_predictions,
)

X, Y = make_squad2_scores(n_questions=800, random_state=0)


@pytest.mark.parametrize("suffix", ["joblib", "skops"])
@pytest.mark.parametrize(
    "estimator",
    [TorchLogisticFusion(n_restarts=3, random_state=0), MarginThresholdClassifier()],
    ids=["fusion", "margin"],
)
def test_calibrators_reload_and_predict_identically(tmp_path, suffix, estimator):
    estimator.fit(X, Y)
    path = tmp_path / f"calibrator.{suffix}"
    save_calibrator(estimator, FEATURE_NAMES, path)
    loaded, names = load_calibrator(path)
    assert names == list(FEATURE_NAMES)
    assert_array_equal(loaded.decision_function(X), estimator.decision_function(X))
    with pytest.raises(ValueError, match="X has 3 features"):
        loaded.predict(X[:, :3])


def test_skops_file_with_foreign_types_is_refused(tmp_path):
    import os

    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    path = tmp_path / "evil.skops"
    bundle = {
        "format": "skfusion.calibrator/1",
        "model": FunctionTransformer(os.system),
        "feature_names": [],
    }
    sio.dump(bundle, path)
    with pytest.raises(ValueError, match=r"does not trust: \['posix\.system'\]"):
        load_calibrator(path)


def test_a_foreign_joblib_file_is_not_a_calibrator(tmp_path):
    import joblib

    joblib.dump({"something": 1}, tmp_path / "x.joblib")
    with pytest.raises(ValueError, match="not a skfusion calibrator"):
        load_calibrator(tmp_path / "x.joblib")


def test_column_names_must_match():
    check_feature_names(["a", "b"], ["a", "b"])
    with pytest.raises(ValueError, match=r"trained on columns \['a', 'b'\]"):
        check_feature_names(["a", "b"], ["b", "a"])


def test_squad_predictions_squad_style_or_booleans():
    assert squad_predictions(["q1", "q2"], [True, False], ["x", "an answer"]) == {
        "q1": "",
        "q2": "an answer",
    }
    assert squad_predictions(["q1", "q2"], [True, False]) == {"q1": True, "q2": False}
    # An unknown span is never written as "no answer" behind the caller's back.
    with pytest.raises(ValueError, match=r"1 answered question\(s\) have no known"):
        squad_predictions(["q1", "q2"], [True, False], ["x", None])


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
