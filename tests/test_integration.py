"""The estimators inside scikit-learn's tools: CV, search, pipelines, saving."""

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import make_squad2_scores


@pytest.fixture(scope="module")
def scores():
    return make_squad2_scores(n_questions=2000, random_state=0)


def small_fusion(**params):
    return TorchLogisticFusion(n_restarts=3, n_steps=50, random_state=0, **params)


@pytest.mark.parametrize(
    "estimator", [small_fusion(), MarginThresholdClassifier()], ids=["fusion", "margin"]
)
def test_cross_val_score_parallel_equals_serial(estimator, scores):
    X, y = scores
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    serial = cross_val_score(estimator, X, y, cv=cv)
    parallel = cross_val_score(estimator, X, y, cv=cv, n_jobs=2)
    assert_array_equal(serial, parallel)
    assert serial.mean() > 0.75


def test_grid_search_finds_the_trained_fusion(scores):
    X, y = scores
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    # One step of a warm-up schedule has rate 0: the random initialisation,
    # which a grid search must rank below a trained model.
    grid = GridSearchCV(small_fusion(), {"n_steps": [1, 50]}, cv=cv).fit(X, y)
    assert grid.best_params_ == {"n_steps": 50}
    scores_1, scores_50 = grid.cv_results_["mean_test_score"]
    assert scores_50 > scores_1 + 0.05
    expected = cross_val_score(small_fusion(), X, y, cv=cv).mean()
    assert grid.best_score_ == pytest.approx(expected)


def test_grid_search_prefers_the_tuned_threshold(scores):
    X, y = scores
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    grid = GridSearchCV(
        MarginThresholdClassifier(), {"threshold": [-8.0, "tuned", 8.0]}, cv=cv
    ).fit(X, y)
    assert grid.best_params_ == {"threshold": "tuned"}
    tuned = cross_val_score(MarginThresholdClassifier(), X, y, cv=cv).mean()
    assert grid.best_score_ == pytest.approx(tuned)
    assert grid.best_estimator_.best_threshold_ == pytest.approx(
        MarginThresholdClassifier().fit(X, y).best_threshold_
    )


def test_pipeline_scaler_then_fusion(scores):
    X, y = scores
    pipe = make_pipeline(StandardScaler(), small_fusion()).fit(X, y)
    assert pipe.score(X, y) > 0.75
    assert_allclose(pipe.predict_proba(X).sum(axis=1), 1.0)


def test_calibrated_margin_rule_gives_probabilities(scores):
    X, y = scores
    calibrated = CalibratedClassifierCV(MarginThresholdClassifier(), cv=3).fit(X, y)
    proba = calibrated.predict_proba(X)[:, 1]
    assert ((proba > 0) & (proba < 1)).all()
    margin = X[:, 0] - X[:, 3]
    # Sigmoid calibration of the margin is monotone in the margin.
    order = np.argsort(margin)
    assert (np.diff(proba[order]) >= -1e-12).all()


@pytest.mark.parametrize(
    "estimator", [small_fusion(), MarginThresholdClassifier()], ids=["fusion", "margin"]
)
def test_clone_and_joblib_round_trip(estimator, scores, tmp_path):
    X, y = scores
    fitted = clone(estimator).fit(X, y)
    assert clone(fitted).get_params() == estimator.get_params()
    joblib.dump(fitted, tmp_path / "calibrator.joblib")
    loaded = joblib.load(tmp_path / "calibrator.joblib")
    assert_array_equal(loaded.predict(X), fitted.predict(X))
    assert_array_equal(loaded.decision_function(X), fitted.decision_function(X))


def test_feature_names_are_recorded_and_checked(scores):
    pd = pytest.importorskip("pandas")
    X, y = scores
    columns = ["joint_null", "start_null", "end_null", "best_span"]
    frame = pd.DataFrame(X, columns=columns)
    for estimator in (small_fusion(), MarginThresholdClassifier()):
        estimator.fit(frame, y)
        assert_array_equal(estimator.feature_names_in_, columns)
        with pytest.raises(ValueError, match="feature names"):
            estimator.predict(frame[columns[::-1]])
