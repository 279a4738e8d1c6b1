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


def test_grid_search_over_fusion_parameters(scores):
    X, y = scores
    grid = GridSearchCV(
        small_fusion(), {"learning_rate": [0.1, 0.3], "warmup_steps": [0, 10]}, cv=3
    ).fit(X, y)
    assert set(grid.best_params_) == {"learning_rate", "warmup_steps"}
    assert grid.best_estimator_.coef_.shape == (1, 4)


def test_grid_search_over_margin_parameters(scores):
    X, y = scores
    grid = GridSearchCV(
        MarginThresholdClassifier(),
        {"null_column": [0, 1, 2], "scoring": ["accuracy", "f1"]},
        cv=3,
    ).fit(X, y)
    assert grid.best_params_["null_column"] in (0, 1, 2)


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
