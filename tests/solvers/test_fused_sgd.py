import threading

import numpy as np
import pytest
from joblib import Parallel, cpu_count, delayed, parallel_config
from numpy.testing import assert_allclose, assert_array_equal
from threadpoolctl import threadpool_limits

from skfusion._solvers._common import _linear_init_parameters
from skfusion._solvers._fused import (
    BLOCK_ROWS,
    _n_threads,
    _run_fused_sgd,
    _run_threads,
)
from skfusion._solvers._reference import _run_reference_sgd

SCHEDULE = dict(learning_rate=0.3, n_steps=40, warmup_steps=10)


def validation_style_problem(n_samples, n_features, dtype=np.float64):
    """Rows that serve either the loss or the accuracy, with uneven weights."""
    rng = np.random.RandomState(n_features * n_samples)
    X = rng.normal(size=(n_samples, n_features)).astype(dtype)
    y = (X @ rng.normal(size=n_features) + rng.normal(size=n_samples) > 0) * 1.0
    fit_weight = rng.randint(0, 3, size=n_samples) * 1.0
    fit_weight[0] = 1.0
    eval_weight = np.where(fit_weight > 0, 0.0, 1.0 + rng.rand(n_samples))
    eval_weight[-1] = 1.0
    return X, y, fit_weight, eval_weight


# The numpy reference solver is the oracle of the numba kernel in every
# environment, torch or not: any change to the schedule, the update or the
# accuracy shows here.
@pytest.mark.parametrize("n_features", [1, 3, 4, 6])
@pytest.mark.parametrize("n_samples", [7, BLOCK_ROWS, 2 * BLOCK_ROWS + 13])
def test_kernel_computes_the_reference_solvers_steps(n_features, n_samples):
    problem = validation_style_problem(n_samples, n_features)
    init = _linear_init_parameters(np.random.RandomState(0), n_features, 5)
    acc, hist = _run_fused_sgd(*problem, init, **SCHEDULE)
    ref_acc, ref_hist = _run_reference_sgd(*problem, init, **SCHEDULE)
    assert hist.shape == ref_hist.shape == (40, n_features + 1, 5)
    assert_allclose(hist, ref_hist, rtol=1e-12, atol=1e-13)
    assert_allclose(acc, ref_acc, rtol=0, atol=1e-13)


@pytest.mark.parametrize(
    "schedule",
    [
        dict(learning_rate=0.05, n_steps=30, warmup_steps=0),
        dict(learning_rate=1.0, n_steps=12, warmup_steps=11),
        dict(learning_rate=0.3, n_steps=5, warmup_steps=5),
    ],
)
def test_kernel_follows_the_reference_schedule(schedule):
    problem = validation_style_problem(300, 3)
    init = _linear_init_parameters(np.random.RandomState(1), 3, 2)
    acc, hist = _run_fused_sgd(*problem, init, **schedule)
    ref_acc, ref_hist = _run_reference_sgd(*problem, init, **schedule)
    assert_allclose(hist, ref_hist, rtol=1e-12, atol=1e-13)
    assert_allclose(acc, ref_acc, rtol=0, atol=1e-13)


def test_float32_kernel_agrees_with_the_reference_to_float32_rounding():
    problem = validation_style_problem(5000, 4, dtype=np.float32)
    init = _linear_init_parameters(np.random.RandomState(0), 4, 4)
    acc, hist = _run_fused_sgd(*problem, init, **SCHEDULE)
    ref_acc, ref_hist = _run_reference_sgd(*problem, init, **SCHEDULE)
    assert_allclose(hist, ref_hist, atol=1e-5)
    # A row whose logit is within rounding of 0 may flip: at most a few.
    assert np.abs(acc - ref_acc).max() <= 3 * problem[3].max() / problem[3].sum()


def test_extreme_scores_saturate_as_in_the_reference():
    # Logits of 1e300 x 1e300 overflow; the kernel's clamped sigmoid must
    # give the gradient of the exact one.
    X = np.array([[1e300, 0.0], [-1e300, 1.0], [3e299, -2.0]])
    y = np.array([0.0, 1.0, 1.0])
    w = np.ones(3)
    init = _linear_init_parameters(np.random.RandomState(0), 2, 4)
    acc, hist = _run_fused_sgd(X, y, w, w, init, **SCHEDULE)
    ref_acc, ref_hist = _run_reference_sgd(X, y, w, w, init, **SCHEDULE)
    assert np.isfinite(hist).all() and np.abs(hist).max() > 1e290
    assert_allclose(hist, ref_hist, rtol=1e-12)
    assert_array_equal(acc, ref_acc)


def run_both_engines(X, y, fit_weight, eval_weight, device, n_restarts=4):
    """Train with the numba kernel and with the torch engine on `device`."""
    from skfusion._solvers._torch import _run_batched_sgd

    init = _linear_init_parameters(np.random.RandomState(0), X.shape[1], n_restarts)
    schedule = dict(learning_rate=0.3, n_steps=40, warmup_steps=10)
    fused = _run_fused_sgd(X, y, fit_weight, eval_weight, init, **schedule)
    batched = _run_batched_sgd(
        X, y, fit_weight, eval_weight, init, device=device, **schedule
    )
    return fused, batched


@pytest.mark.torch  # the torch engine is the oracle
@pytest.mark.parametrize("n_features", [1, 3, 4, 6])
@pytest.mark.parametrize("n_samples", [7, BLOCK_ROWS, 2 * BLOCK_ROWS + 13])
def test_engines_compute_the_same_steps(n_features, n_samples, torch_device):
    rng = np.random.RandomState(n_features * n_samples)
    X = rng.normal(size=(n_samples, n_features))
    y = (X @ rng.normal(size=n_features) + rng.normal(size=n_samples) > 0) * 1.0
    # Validation-style weights: each row serves the loss or the accuracy.
    fit_weight = rng.randint(0, 3, size=n_samples) * 1.0
    fit_weight[0] = 1.0
    eval_weight = np.where(fit_weight > 0, 0.0, 1.0 + rng.rand(n_samples))
    eval_weight[-1] = 1.0
    (fused_acc, fused_hist), (acc, hist) = run_both_engines(
        X, y, fit_weight, eval_weight, torch_device
    )
    assert fused_hist.shape == hist.shape == (40, n_features + 1, 4)
    assert_allclose(fused_hist, hist, rtol=1e-9, atol=1e-12)
    assert_allclose(fused_acc, acc, rtol=0, atol=1e-12)


@pytest.mark.torch  # the torch engine is the oracle
def test_float32_engines_agree_to_float32_rounding(torch_device):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(5000, 4)).astype(np.float32)
    y = (X.sum(axis=1) + rng.normal(size=5000) > 0) * 1.0
    w = np.ones(5000)
    (fused_acc, fused_hist), (acc, hist) = run_both_engines(X, y, w, w, torch_device)
    assert_allclose(fused_hist, hist, atol=1e-5)
    # A row whose logit is within rounding of 0 may flip: at most a few.
    assert np.abs(fused_acc - acc).max() <= 3 / 5000


@pytest.mark.torch  # the torch engine is the oracle
def test_extreme_scores_saturate_as_in_the_torch_engine(torch_device):
    # Logits of 1e300 x 1e300 overflow; the clamped sigmoid must still give
    # the gradient torch's exact sigmoid gives.
    X = np.array([[1e300, 0.0], [-1e300, 1.0], [3e299, -2.0]])
    y = np.array([0.0, 1.0, 1.0])
    w = np.ones(3)
    (fused_acc, fused_hist), (acc, hist) = run_both_engines(X, y, w, w, torch_device)
    assert np.isfinite(fused_hist).all()
    assert np.abs(fused_hist).max() > 1e290
    assert_allclose(fused_hist, hist, rtol=1e-12)
    assert_array_equal(fused_acc, acc)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_features", [2, 6])
def test_any_split_of_the_restarts_gives_the_same_bits(dtype, n_features):
    rng = np.random.RandomState(n_features)
    X = rng.normal(size=(2 * BLOCK_ROWS + 77, n_features)).astype(dtype)
    y = (X.sum(axis=1) + rng.normal(size=len(X)) > 0) * 1.0
    w = rng.uniform(0.5, 2, size=len(X))
    init = _linear_init_parameters(rng, n_features, 5)
    schedule = dict(learning_rate=0.3, n_steps=25, warmup_steps=5)
    serial = _run_fused_sgd(X, y, w, w, init, n_jobs=1, **schedule)
    for n_jobs in (2, 3, 5):
        acc, hist = _run_fused_sgd(X, y, w, w, init, n_jobs=n_jobs, **schedule)
        assert_array_equal(acc, serial[0])
        assert_array_equal(hist, serial[1])


@pytest.mark.parametrize(
    "n_restarts, n_threads", [(20, 2), (5, 3), (8, 4), (7, 1), (21, 4)]
)
def test_restarts_are_split_into_contiguous_pairs_one_range_per_thread(
    n_restarts, n_threads
):
    calls = []
    # Every range must be running at once for the barrier to open.
    all_running = threading.Barrier(n_threads, timeout=30)

    def train(first, stop):
        calls.append((first, stop, threading.get_ident()))
        all_running.wait()

    _run_threads(train, n_restarts, n_threads)
    ranges = sorted((first, stop) for first, stop, _ in calls)
    assert len(ranges) == n_threads
    assert [first for first, _ in ranges] == [0] + [stop for _, stop in ranges[:-1]]
    assert ranges[-1][1] == n_restarts
    # Whole pairs (an odd last restart is one of its own), spread evenly.
    assert all(first % 2 == 0 for first, _ in ranges)
    pairs = [-(-(stop - first) // 2) for first, stop in ranges]
    assert max(pairs) - min(pairs) <= 1
    assert len({thread for *_, thread in calls}) == n_threads


def test_an_error_in_a_thread_reaches_the_caller():
    def train(first, stop):
        if first > 0:
            raise MemoryError(f"restarts {first}-{stop}")

    with pytest.raises(MemoryError, match="restarts 2-4"):
        _run_threads(train, 4, 2)


def test_n_jobs_follows_joblib_and_the_inner_thread_limits():
    assert _n_threads(None, 20) == 1
    assert _n_threads(1, 20) == 1
    assert _n_threads(3, 20) == 3  # an explicit count is taken as given
    assert _n_threads(3, 5) == 3  # restarts (0, 1), (2, 3) and 4
    assert _n_threads(3, 4) == 2  # but never more threads than pairs
    assert _n_threads(2, 1) == 1
    assert _n_threads(-1, 1) == 1
    with threadpool_limits(1):
        assert _n_threads(-1, 20) == 1
        assert _n_threads(2, 20) == 2
    with parallel_config(n_jobs=2), threadpool_limits(2):
        assert _n_threads(None, 20) == min(2, cpu_count())


def test_fits_inside_joblib_workers_do_not_oversubscribe():
    # loky workers get cpu_count() // n_jobs threads for OpenMP; None is 1.
    counts = Parallel(n_jobs=2, backend="loky")(
        delayed(_n_threads)(n_jobs, 20) for n_jobs in (None, -1, -1)
    )
    assert counts == [1, max(cpu_count() // 2, 1), max(cpu_count() // 2, 1)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_logit_of_exactly_zero_predicts_the_negative_class(dtype):
    # The notebook's accuracy counts `odds > 0.0` as positive: with zero
    # parameters and no learning, every logit is 0 and every prediction 0.
    problem = validation_style_problem(300, 3, dtype=dtype)
    y, eval_weight = problem[1], problem[3]
    init = np.zeros((4, 2))
    schedule = dict(learning_rate=0.0, n_steps=3, warmup_steps=0)
    negatives = eval_weight[y == 0].sum() / eval_weight.sum()
    for solver in (_run_fused_sgd, _run_reference_sgd):
        acc, hist = solver(*problem, init, **schedule)
        assert not hist.any()
        assert_allclose(acc, negatives, rtol=1e-12)
