"""The estimators under joblib's parallel backends and a dask cluster."""

import numpy as np
import pytest
from joblib import parallel_config
from numpy.testing import assert_array_equal
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import make_squad2_scores

X, Y = make_squad2_scores(n_questions=1500, random_state=0)
CV = StratifiedKFold(4, shuffle=True, random_state=0)
GRID = {"learning_rate": [0.1, 0.3], "warmup_steps": [0, 10]}


def fusion():
    return TorchLogisticFusion(n_restarts=3, n_steps=40, random_state=0)


def run_both():
    scores = {
        name: cross_val_score(est, X, Y, cv=CV, n_jobs=2)
        for name, est in (("fusion", fusion()), ("margin", MarginThresholdClassifier()))
    }
    search = GridSearchCV(fusion(), GRID, cv=CV, n_jobs=2).fit(X, Y)
    return scores, search.cv_results_["mean_test_score"], search.best_params_


@pytest.fixture(scope="module")
def serial():
    with parallel_config(backend="sequential"):
        return run_both()


def assert_same(result, expected):
    (scores, grid_scores, best), (exp_scores, exp_grid, exp_best) = result, expected
    for name in exp_scores:
        assert_array_equal(scores[name], exp_scores[name])
    assert_array_equal(grid_scores, exp_grid)
    assert best == exp_best


# "threading" runs fits side by side in one process: the numba kernel
# releases the GIL and must not share state between concurrent fits.
@pytest.mark.parametrize("backend", ["loky", "multiprocessing", "threading"])
def test_joblib_backends_match_serial(backend, serial):
    with parallel_config(backend=backend):
        assert_same(run_both(), serial)


def test_dask_local_cluster_matches_serial(serial):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with distributed.get_task_stream(client) as stream:
            with parallel_config(backend="dask"):
                result = run_both()
    # The fits really ran as tasks on the cluster's worker processes.
    assert len({task["worker"] for task in stream.data}) == 2
    assert_same(result, serial)
    assert np.isfinite(result[1]).all()
