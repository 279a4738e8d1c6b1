import os
import pickle
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.model_selection import train_test_split

import skfusion
from skfusion import TorchLogisticFusion
from skfusion._solvers._common import _linear_init_parameters, _warmup_linear_lr
from skfusion._solvers._reference import _run_reference_sgd
from skfusion.datasets import make_squad2_scores

try:
    import torch

    from tests._notebook_loop import notebook_run
except ImportError:  # the tests marked `torch` are skipped then (conftest.py)
    torch = None

ENGINES = ["numba", pytest.param("torch", marks=pytest.mark.torch)]

FITTED = [
    "coef_",
    "intercept_",
    "classes_",
    "best_score_",
    "best_restart_",
    "best_step_",
    "restart_scores_",
    "accuracy_curve_",
    "n_iter_",
]


@pytest.fixture
def on_engine(engine, torch_device):
    """Parameters that select `engine`, the torch one on ``--torch-device``."""
    return {"engine": engine, "device": torch_device if engine == "torch" else "cpu"}


@pytest.fixture(scope="module")
def scores():
    return make_squad2_scores(n_questions=3000, random_state=0)


def notebook_snapshot(curves):
    """The notebook's rule: a step is kept when strictly better than the best
    so far, across restarts run one after the other."""
    best, kept = -np.inf, None
    for restart, curve in enumerate(curves):
        for step, acc in enumerate(curve):
            if acc > best:
                best, kept = acc, (restart, step)
    return kept


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_keeps_the_reference_solvers_snapshot(scores, dtype):
    # The numpy reference solver in X's precision is the oracle without torch.
    X, y = scores[0].astype(dtype), scores[1]
    clf = TorchLogisticFusion(n_restarts=4, random_state=7).fit(X, y)
    init = _linear_init_parameters(np.random.RandomState(7), X.shape[1], 4)
    w = np.ones(len(y))
    curves, history = _run_reference_sgd(
        X, y * 1.0, w, w, init, learning_rate=0.3, n_steps=100, warmup_steps=10
    )
    # float32 sums in another order may flip a logit within rounding of 0.
    one_question = 1e-12 if dtype == np.float64 else 1.0 / len(y) + 1e-12
    assert_allclose(clf.accuracy_curve_, curves, atol=one_question)
    restart, step = notebook_snapshot(clf.accuracy_curve_)
    assert (clf.best_restart_, clf.best_step_) == (restart, step)
    assert clf.n_iter_ == step + 1
    assert_allclose(clf.restart_scores_, clf.accuracy_curve_.max(axis=1), atol=0)
    assert clf.best_score_ == clf.accuracy_curve_[restart, step]
    if dtype == np.float64:
        assert notebook_snapshot(curves) == (restart, step)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert_allclose(clf.coef_[0], history[step, :-1, restart], rtol=tol, atol=tol)
    assert_allclose(clf.intercept_, history[step, -1:, restart], rtol=tol, atol=tol)


@pytest.mark.torch  # the notebook's loop is the oracle
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_keeps_the_notebook_loops_snapshot(scores, dtype, on_engine):
    X, y = scores[0].astype(dtype), scores[1]
    n_restarts = 4
    clf = TorchLogisticFusion(n_restarts=n_restarts, random_state=7, **on_engine)
    clf.fit(X, y)

    init = _linear_init_parameters(np.random.RandomState(7), X.shape[1], n_restarts)
    runs = [notebook_run(X, y, init[:-1, r], init[-1, r]) for r in range(n_restarts)]
    curves = np.array([curve for curve, _ in runs])
    # The notebook trains in float32 whatever X is: a logit within rounding
    # of 0 (seen: 9e-7) can take either sign in another precision or
    # summation order, on any CPU, so one question per step may differ; a
    # snapshot may then move to a step or restart within one question of it.
    one_question = 1.0 / len(y) + 1e-12
    assert_allclose(clf.accuracy_curve_, curves, atol=one_question)
    assert_allclose(clf.restart_scores_, curves.max(axis=1), atol=one_question)
    assert clf.best_score_ >= curves.max() - one_question
    restart, step = clf.best_restart_, clf.best_step_
    assert curves[restart, step] >= curves.max() - one_question
    assert_allclose(clf.coef_[0], runs[restart][1][step, :-1], atol=1e-5)
    assert_allclose(clf.intercept_, runs[restart][1][step, -1:], atol=1e-5)


def test_init_is_within_nn_linear_bounds():
    init = _linear_init_parameters(np.random.RandomState(0), 9, 500)
    assert init.shape == (10, 500)
    assert np.abs(init).max() <= 1 / 3
    assert np.abs(init).max() > 0.32  # uses the whole range, not a narrower one


@pytest.mark.parametrize(
    ("step", "n_steps", "warmup_steps", "expected"),
    [
        (0, 100, 10, 0.0),
        (5, 100, 10, 0.5),
        (9, 100, 10, 0.9),
        (10, 100, 10, 1.0),
        (55, 100, 10, 0.5),
        (99, 100, 10, 1 / 90),
        (100, 100, 10, 0.0),
        # No warm-up: the first step has the full rate.
        (0, 100, 0, 1.0),
        (50, 100, 0, 0.5),
        # One step of decay after the warm-up.
        (10, 11, 10, 1.0),
    ],
)
def test_warmup_linear_lr_matches_transformers_schedule(
    step, n_steps, warmup_steps, expected
):
    # transformers' get_linear_schedule_with_warmup, written out:
    # step / max(1, warmup) before the warm-up's end, then
    # max(0, (n - step) / max(1, n - warmup)).
    lr = _warmup_linear_lr(step, n_steps=n_steps, warmup_steps=warmup_steps)
    assert lr == pytest.approx(expected)


@pytest.mark.parametrize("engine", ENGINES)
def test_first_step_keeps_the_initial_parameters(scores, on_engine):
    X, y = scores
    clf = TorchLogisticFusion(n_restarts=1, n_steps=1, random_state=3, **on_engine)
    clf.fit(X, y)
    init = _linear_init_parameters(np.random.RandomState(3), X.shape[1], 1)
    assert_array_equal(clf.coef_[0], init[:-1, 0])
    assert_array_equal(clf.intercept_, init[-1:, 0])
    assert clf.best_step_ == 0
    assert clf.n_iter_ == 1


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_random_state_gives_bit_identical_fits(scores, dtype, on_engine):
    X, y = scores[0].astype(dtype), scores[1]
    a = TorchLogisticFusion(n_restarts=5, random_state=11, **on_engine).fit(X, y)
    b = TorchLogisticFusion(n_restarts=5, random_state=11, **on_engine).fit(X, y)
    for name in FITTED:
        assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    c = TorchLogisticFusion(n_restarts=5, random_state=12, **on_engine).fit(X, y)
    assert not np.array_equal(a.accuracy_curve_, c.accuracy_curve_)


@pytest.mark.parametrize("engine", ENGINES)
def test_random_state_none_uses_numpys_global_generator(scores, on_engine):
    """As in scikit-learn: np.random.seed makes fits with None reproducible."""
    X, y = scores
    fits = []
    for _ in range(2):
        np.random.seed(3)  # noqa: NPY002
        torch_state = None if torch is None else torch.random.get_rng_state()
        clf = TorchLogisticFusion(n_restarts=3, n_steps=20, **on_engine).fit(X, y)
        fits.append(clf)
        if torch is not None:  # torch's own generator is never used
            assert torch.equal(torch.random.get_rng_state(), torch_state)
    for name in FITTED:
        assert_array_equal(getattr(fits[0], name), getattr(fits[1], name), err_msg=name)
    seeded = TorchLogisticFusion(
        n_restarts=3, n_steps=20, random_state=np.random.RandomState(3), **on_engine
    ).fit(X, y)
    assert_array_equal(seeded.coef_, fits[0].coef_)


@pytest.mark.parametrize("engine", ENGINES)
def test_fitted_attributes_are_consistent(scores, on_engine):
    X, y = scores
    clf = TorchLogisticFusion(n_restarts=6, n_steps=40, random_state=0, **on_engine)
    clf.fit(X, y)
    assert clf.accuracy_curve_.shape == (6, 40)
    assert_array_equal(clf.restart_scores_, clf.accuracy_curve_.max(axis=1))
    assert clf.best_score_ == clf.restart_scores_.max()
    assert clf.best_score_ == clf.accuracy_curve_[clf.best_restart_, clf.best_step_]
    # The kept snapshot reproduces its recorded accuracy with numpy alone.
    assert clf.score(X, y) == pytest.approx(clf.best_score_, abs=1e-12)
    assert_array_equal(clf.classes_, [False, True])


def test_validation_fraction_selects_on_the_held_out_part(scores):
    X, y = scores
    clf = TorchLogisticFusion(n_restarts=3, validation_fraction=0.25, random_state=5)
    clf.fit(X, y)
    _, val = train_test_split(
        np.arange(len(y)),
        test_size=0.25,
        stratify=y.astype(float),
        random_state=np.random.RandomState(5),
    )
    assert clf.score(X[val], y[val]) == pytest.approx(clf.best_score_, abs=1e-12)
    in_sample = TorchLogisticFusion(n_restarts=3, random_state=5).fit(X, y)
    assert clf.best_score_ != in_sample.best_score_


def test_validation_fraction_too_small_to_stratify_is_a_clear_error():
    X, y = make_squad2_scores(n_questions=20, random_state=0)
    with pytest.raises(ValueError, match=r"validation_fraction=0\.01 cannot give"):
        TorchLogisticFusion(validation_fraction=0.01).fit(X, y)


@pytest.mark.parametrize("engine", ENGINES)
def test_integer_sample_weight_equals_repeating_rows(scores, on_engine):
    X, y = scores[0][:400], scores[1][:400]
    w = np.random.RandomState(0).randint(0, 3, size=len(y))
    clf = TorchLogisticFusion(n_restarts=3, random_state=0, **on_engine)
    weighted = clone(clf).fit(X, y, sample_weight=w)
    repeated = clone(clf).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-10)
    assert_allclose(weighted.accuracy_curve_, repeated.accuracy_curve_, rtol=1e-12)


def test_probabilities_and_decisions_agree(scores):
    X, y = scores
    clf = TorchLogisticFusion(n_restarts=2, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.classes_[(proba[:, 1] > 0.5).astype(int)], clf.predict(X))
    assert_allclose(np.exp(clf.predict_log_proba(X)), proba)
    extreme = np.full((1, 4), 1e6)
    assert np.isfinite(clf.predict_log_proba(extreme)).all()


@pytest.mark.torch
def test_fitted_estimator_holds_no_torch_object(scores):
    X, y = scores
    clf = TorchLogisticFusion(n_restarts=2, random_state=0).fit(X, y)
    for name, value in vars(clf).items():
        assert not isinstance(value, torch.Tensor), name
        assert type(value).__module__.split(".")[0] != "torch", name


def test_saved_model_predicts_where_torch_cannot_be_imported(scores, tmp_path):
    X, y = scores
    clf = TorchLogisticFusion(n_restarts=2, random_state=0).fit(X, y)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "X.npy", X[:50])
    code = f"""
import sys, pickle, numpy as np

class BlockTorch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("torch is blocked in this test")

sys.meta_path.insert(0, BlockTorch())
clf = pickle.loads(open({str(tmp_path / "model.pkl")!r}, "rb").read())
proba = clf.predict_proba(np.load({str(tmp_path / "X.npy")!r}))[:, 1]
assert "torch" not in sys.modules
print(proba.tolist())
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert_allclose(eval(out.stdout), clf.predict_proba(X[:50])[:, 1])


@pytest.mark.torch
def test_unavailable_cuda_is_a_clear_error(scores):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here, so the error cannot be provoked")
    X, y = scores
    with pytest.raises(ValueError, match="CUDA is not available"):
        TorchLogisticFusion(device="cuda").fit(X, y)


@pytest.mark.torch
def test_unknown_device_is_a_clear_error(scores):
    X, y = scores
    with pytest.raises(ValueError, match="device='gpu0' is not a torch device"):
        TorchLogisticFusion(device="gpu0").fit(X, y)


@pytest.mark.torch
@pytest.mark.skipif(
    torch is None or not torch.cuda.is_available(), reason="needs a CUDA device"
)
def test_cuda_fit_matches_cpu_fit(scores):
    X, y = scores
    cpu = TorchLogisticFusion(n_restarts=4, random_state=0).fit(X, y)
    gpu = TorchLogisticFusion(n_restarts=4, random_state=0, device="cuda").fit(X, y)
    assert_allclose(gpu.coef_, cpu.coef_, atol=1e-8)
    assert gpu.best_score_ == cpu.best_score_


def test_verbose_reports_each_restart(scores, capsys):
    X, y = scores
    TorchLogisticFusion(n_restarts=3, verbose=1, random_state=0).fit(X, y)
    assert capsys.readouterr().out.count("best accuracy") == 3


@pytest.mark.torch
def test_fit_bounds_torch_threads_and_restores_them(scores, monkeypatch):
    from skfusion._solvers import _torch as _batched_sgd

    X, y = scores
    seen, fail = [], []
    forward = _batched_sgd._ChunkedProblem.forward

    def recording_forward(self, params, **kwargs):
        seen.append(torch.get_num_threads())
        if fail and len(seen) > 3:
            raise RuntimeError("interrupted mid-training")
        return forward(self, params, **kwargs)

    monkeypatch.setattr(_batched_sgd._ChunkedProblem, "forward", recording_forward)
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        clf = TorchLogisticFusion(
            n_restarts=2, n_steps=5, engine="torch", random_state=0
        )
        clf.fit(X, y)
        assert set(seen) == {1}
        assert torch.get_num_threads() == 2
        # A failure inside the bounded section restores the setting too.
        seen.clear()
        fail.append(True)
        with pytest.raises(RuntimeError, match="interrupted mid-training"):
            clf.fit(X, y)
        assert len(seen) == 4 and set(seen) == {1}
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


@pytest.mark.torch
def test_chunked_rows_give_the_same_fit(scores):
    from skfusion._solvers._torch import _run_batched_sgd

    X, y = scores
    y01 = y.astype(float)
    w = np.ones(len(y))
    init = _linear_init_parameters(np.random.RandomState(0), X.shape[1], 3)
    common = dict(learning_rate=0.3, n_steps=30, warmup_steps=10, device="cpu")
    whole_acc, whole_hist = _run_batched_sgd(X, y01, w, w, init, **common)
    # 3000 rows in chunks of 700: four full chunks and a short last one.
    acc, hist = _run_batched_sgd(X, y01, w, w, init, chunk_rows=700, **common)
    assert_array_equal(acc, whole_acc)
    assert_allclose(hist, whole_hist, rtol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_float32_input_trains_in_float32_close_to_float64(scores, on_engine):
    X, y = scores
    clf = TorchLogisticFusion(n_restarts=3, random_state=0, **on_engine)
    f64 = clone(clf).fit(X, y)
    f32 = clone(clf).fit(X.astype(np.float32), y)
    assert f32.coef_.dtype == np.float64  # fitted arrays are float64 either way
    assert_allclose(f32.coef_, f64.coef_, atol=1e-4)
    assert abs(f32.best_score_ - f64.best_score_) <= 2 / len(y)


@pytest.mark.torch
def test_numba_engine_refuses_other_devices(scores):
    X, y = scores
    # "meta" is a torch device that exists everywhere and is not the CPU.
    with pytest.raises(ValueError, match="engine='numba' runs on the CPU only"):
        TorchLogisticFusion(engine="numba", device="meta").fit(X, y)


def test_cpu_fit_with_the_fused_kernel_never_imports_torch(scores, tmp_path):
    # Worker processes of cross_val_score(n_jobs=...) then skip torch's import.
    np.save(tmp_path / "X.npy", scores[0][:300])
    np.save(tmp_path / "y.npy", scores[1][:300])
    code = f"""
import sys, numpy as np
from skfusion import TorchLogisticFusion
X, y = np.load({str(tmp_path / "X.npy")!r}), np.load({str(tmp_path / "y.npy")!r})
TorchLogisticFusion(n_restarts=2, random_state=0).fit(X, y)
assert "torch" not in sys.modules, "torch was imported"
"""
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_n_jobs_gives_bit_identical_fits(scores, dtype):
    X, y = scores[0].astype(dtype), scores[1]
    fits = [
        TorchLogisticFusion(
            n_restarts=7, n_steps=30, random_state=0, n_jobs=n_jobs
        ).fit(X, y)
        for n_jobs in (None, 1, 2, 3, 7, -1)
    ]
    for clf in fits[1:]:
        for name in FITTED:
            assert_array_equal(getattr(clf, name), getattr(fits[0], name), name)


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2"])
def test_invalid_n_jobs_is_a_clear_error(scores, n_jobs):
    X, y = scores
    with pytest.raises(ValueError, match="'n_jobs' parameter of TorchLogisticFusion"):
        TorchLogisticFusion(n_jobs=n_jobs).fit(X, y)


def read_only_copy_of_the_package(root):
    """Copy skfusion under `root`, then make every file and folder read-only."""
    package = Path(skfusion.__file__).parent
    shutil.copytree(
        package, root / "skfusion", ignore=shutil.ignore_patterns("__pycache__")
    )
    for path in [root, *root.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)


def run_as_nobody(code, env, cwd):
    """Run `code` as user nobody, who may read every file but write none of ours.

    setpriv keeps only the capability to read and search directories, so
    the interpreter and its packages (often under root's home) stay readable.
    """
    try:
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
    except KeyError:
        uid = gid = 65534
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to switch users"
    command = [
        setpriv,
        f"--reuid={uid}",
        f"--regid={gid}",
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
        sys.executable,
        "-c",
        code,
    ]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="switching to another user (nobody) needs root",
)
def test_fits_as_a_user_who_cannot_write_a_numba_cache(scores, tmp_path):
    # A container running as nobody: read-only package, no writable home,
    # NUMBA_CACHE_DIR unset. numba has nowhere to cache and compiles in memory.
    site = tmp_path / "site"
    site.mkdir()
    read_only_copy_of_the_package(site)
    np.save(tmp_path / "X.npy", scores[0][:300])
    np.save(tmp_path / "y.npy", scores[1][:300])
    code = f"""
import os, numpy as np
import skfusion
assert skfusion.__file__.startswith({str(site)!r}), skfusion.__file__
assert os.getuid() != 0
for folder in (os.path.dirname(skfusion.__file__), os.environ["HOME"]):
    try:
        os.makedirs(os.path.join(folder, "probe"))
    except OSError:
        pass
    else:
        raise AssertionError(folder + " is writable")
from skfusion import TorchLogisticFusion
from skfusion._solvers._fused import _train_restarts
X, y = np.load({str(tmp_path / "X.npy")!r}), np.load({str(tmp_path / "y.npy")!r})
clf = TorchLogisticFusion(n_restarts=2, random_state=0).fit(X, y)
print(type(_train_restarts._cache).__name__, clf.coef_.tolist())
"""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NUMBA_", "XDG_", "PYTHON"))
    }
    env.update(HOME=str(site / "home"), PYTHONPATH=str(site))
    # From tmp_path: `python -c` puts the working directory first on sys.path.
    result = run_as_nobody(code, env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    cache_kind, coef = result.stdout.split(" ", 1)
    assert cache_kind == "NullCache"
    expected = TorchLogisticFusion(n_restarts=2, random_state=0).fit(
        scores[0][:300], scores[1][:300]
    )
    assert_array_equal(eval(coef), expected.coef_)


def test_ties_keep_the_first_best_step_and_the_first_best_restart():
    # Few questions make equal accuracies common; the oracle is the
    # notebook's rule applied by brute force to the recorded curves, and the
    # reference solver's parameters at the snapshot it names.
    step_ties = restart_ties = 0
    for seed in range(6):
        X, y = make_squad2_scores(n_questions=40, random_state=seed)
        clf = TorchLogisticFusion(n_restarts=8, n_steps=30, random_state=seed)
        clf.fit(X, y)
        curve = clf.accuracy_curve_
        restart, step = notebook_snapshot(curve)
        assert (clf.best_restart_, clf.best_step_) == (restart, step)
        init = _linear_init_parameters(np.random.RandomState(seed), X.shape[1], 8)
        w = np.ones(len(y))
        _, history = _run_reference_sgd(
            X, y * 1.0, w, w, init, learning_rate=0.3, n_steps=30, warmup_steps=10
        )
        assert_allclose(clf.coef_[0], history[step, :-1, restart], rtol=1e-12)
        step_ties += (curve[restart] == curve[restart, step]).sum() > 1
        restart_ties += (curve.max(axis=1) == curve.max()).sum() > 1
    # The rule was tested where it decides something.
    assert step_ties >= 3 and restart_ties >= 3


def test_initial_parameters_are_torch_nn_linears_draw_from_the_seed():
    # With one step, which the warm-up gives rate 0, each restart's only
    # snapshot is its initial parameters. The oracle draws its own: row r
    # of U(-1/sqrt(d), 1/sqrt(d)) of shape (n_restarts, d + 1), restart r's
    # weights then bias, from random_state, and scores them with numpy.
    X, y = make_squad2_scores(n_questions=3000, random_state=1)
    clf = TorchLogisticFusion(n_restarts=6, n_steps=1, random_state=5).fit(X, y)
    bound = 1 / np.sqrt(X.shape[1])
    drawn = np.random.RandomState(5).uniform(-bound, bound, size=(6, X.shape[1] + 1))
    accuracy = [np.mean((X @ d[:-1] + d[-1] > 0) == y) for d in drawn]
    assert_allclose(clf.accuracy_curve_[:, 0], accuracy, rtol=0, atol=1e-12)
    assert_array_equal(clf.coef_[0], drawn[clf.best_restart_, :-1])
    assert_array_equal(clf.intercept_, drawn[clf.best_restart_, -1:])


def test_a_log_odds_of_exactly_zero_predicts_the_first_class(scores):
    # As scikit-learn's linear classifiers: classes_[1] only where > 0.
    X, y = scores
    clf = TorchLogisticFusion(n_restarts=1, n_steps=2, random_state=0).fit(X, y)
    clf.intercept_ = np.zeros(1)
    rows = np.zeros((2, X.shape[1]))
    rows[1, 0] = np.sign(clf.coef_[0, 0])  # a positive log-odds
    decision = clf.decision_function(rows)
    assert decision[0] == 0.0 and decision[1] > 0
    assert_array_equal(clf.predict(rows), clf.classes_)
