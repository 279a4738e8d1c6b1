"""What a calibrator file may hold, how it is written, read and checked.

A file from someone else must run no code when loaded, nor ask for more than
a prediction costs. A ``.skops`` file is rebuilt only from types skops
trusts plus skfusion's two estimators; a joblib or pickle file can run
anything while it loads, so it is read only with ``allow_pickle``. The
format is told by the file's first bytes, never by its name. What loads is
then checked as `fit` leaves it: structure, fitted numbers, one prediction.
"""

import importlib.util
import io
import numbers
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import sklearn
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils.validation import check_is_fitted

from .. import __version__
from .._fusion import TorchLogisticFusion
from .._io import atomic_write, file_kind
from .._margin import MarginThresholdClassifier
from ..datasets._base import short

FORMAT = "skfusion.calibrator/1"
# The only types a .skops calibrator may hold beyond those skops trusts.
TRUSTED_TYPES = (
    "skfusion._fusion.TorchLogisticFusion",
    "skfusion._margin.MarginThresholdClassifier",
)
_ESTIMATORS = (TorchLogisticFusion, MarginThresholdClassifier)
# The steps a Pipeline may hold before skfusion's classifier: each maps a row
# to a row of the same width in linear time, whatever numbers it holds. skops
# trusts ~200 estimators, many of which can ask for any memory or time
# (PolynomialFeatures(degree=120) wants gigabytes for 60 questions).
STEPS = (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler)
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
# A calibrator is kilobytes; the bound keeps a hostile file (or a zip whose
# members inflate to gigabytes) from exhausting memory.
MAX_BYTES = 256 * 2**20
_SKOPS = 'needs skops: pip install skops (or pip install -e ".[skops]" in a clone)'


def versions():
    """Return the versions a calibrator depends on, saved in and checked on files."""
    return {"skfusion": __version__, "scikit-learn": sklearn.__version__,
            "numpy": np.__version__}  # fmt: skip


def writer(path):
    """Return ``dump(bundle, file)`` for `path`'s suffix (any case), or raise."""
    suffix = Path(path).suffix.lower()
    if suffix == ".skops" and importlib.util.find_spec("skops") is None:
        raise ImportError(f"{path}: writing .skops files {_SKOPS}.")
    if suffix in (".skops", *_PICKLE_SUFFIXES):
        return _write_skops if suffix == ".skops" else _write_joblib
    raise ValueError(
        f"{path}: expected a calibrator file name ending in .skops (safe to "
        f"share), or {', '.join(_PICKLE_SUFFIXES)} (a pickle, for your own use)."
    )


def _write_skops(bundle, file):
    import skops.io

    skops.io.dump(bundle, file)


def _write_joblib(bundle, file):
    import joblib

    joblib.dump(bundle, file)


def write(bundle, path, force):
    """Write `bundle` to `path` in its suffix's format, atomically."""
    dump = writer(path)
    with atomic_write(path, "wb", force=force) as file:
        dump(bundle, file)


def read(path, allow_pickle):
    """Return the object in a regular calibrator file, running no code by default."""
    # O_NONBLOCK: opening a FIFO with no writer returns at once, to be refused.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    kind = file_kind(os.fstat(fd).st_mode)
    if kind != "a regular file":
        os.close(fd)
        raise ValueError(f"{path} is {kind}, expected a calibrator file.")
    with open(fd, "rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(
            f"{path}: larger than {MAX_BYTES // 2**20} MiB, expected a "
            "calibrator file (kilobytes)."
        )
    if data.startswith(b"PK\x03\x04"):
        return _read_skops(path, data)
    if not allow_pickle:
        raise ValueError(
            f"{path}: not a .skops file; joblib and pickle files can run any code "
            "while they load, so skfusion loads them only with allow_pickle=True "
            "(skfusion predict --allow-pickle), for files from a source you trust; "
            "save calibrators as .skops to share them."
        )
    import joblib

    return joblib.load(io.BytesIO(data))


def _read_skops(path, data):
    """Load a skops archive holding only trusted types; refuse anything else."""
    try:
        import skops.io as sio
    except ImportError as exc:
        raise ImportError(f"{path}: reading .skops files {_SKOPS}.") from exc
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(member.file_size for member in archive.infolist())
        if inflated > MAX_BYTES:
            raise ValueError(f"inflates to {inflated} bytes")
        foreign = sorted(set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES))
        if not foreign:
            return sio.loads(data, trusted=list(TRUSTED_TYPES))
    except Exception as exc:  # zipfile, JSON and skops' own errors alike
        raise ValueError(f"{path}: not a readable .skops file ({exc}).") from None
    raise ValueError(
        f"{path} holds types skfusion does not trust: {foreign}; a calibrator "
        "holds only skfusion's estimators and types skops trusts."
    )


def _parts(model):
    """Return the steps of `model` before its final estimator, that, and what it wraps.

    A FixedThresholdClassifier wraps a classifier (`estimator`, and the
    `estimator_` it predicts with), each perhaps frozen.
    """
    steps, final = [], model
    if type(model) is Pipeline:
        *steps, final = [step for _, step in model.steps]
    inner = [final]
    if type(final) is FixedThresholdClassifier:
        inner = [final.estimator, getattr(final, "estimator_", final.estimator)]
        inner = [e.estimator if type(e) is FrozenEstimator else e for e in inner]
    return [s for s in steps if s not in (None, "passthrough")], final, inner


def _fitted_shapes(model):
    """Return the shape `fit` gives each fitted number of `model`; () a scalar."""
    n = model.n_features_in_
    if type(model) is TorchLogisticFusion:
        r, s = model.n_restarts, model.n_steps
        return {"coef_": (1, n), "intercept_": (1,), "best_score_": (),
                "restart_scores_": (r,), "accuracy_curve_": (r, s),
                "best_restart_": (), "best_step_": (), "n_iter_": ()}  # fmt: skip
    if type(model) is MarginThresholdClassifier:
        return {"best_threshold_": (), "best_score_": ()}
    if type(model) is FixedThresholdClassifier:
        auto = isinstance(model.threshold, str) and model.threshold == "auto"
        return {} if auto else {"threshold": ()}
    return {  # the scalers: one number per column
        name: (n,)
        for name, value in vars(model).items()
        if name.endswith("_") and not name.startswith("_")
        if isinstance(value, np.ndarray) and value.dtype.kind in "fc"
    }


def _problem(value, shape):
    """Say how `value` differs from finite real numbers of shape `shape`, or None."""
    real = isinstance(value, (numbers.Real, np.ndarray)) and not isinstance(
        value, (bool, np.bool_)
    )
    array = np.asarray(value if real else None)
    if array.dtype.kind not in "fiu":
        return f"a {type(value).__name__}"
    if array.shape != shape:
        return f"of shape {array.shape}"
    return None if np.isfinite(array).all() else "not finite (NaN or infinity)"


def _check_fitted(model, names, where):
    """Raise unless `model` is fitted on the columns `names` as `fit` leaves it."""
    try:
        check_is_fitted(model)
    except Exception:
        raise ValueError(
            f"{where} holds an unfitted {type(model).__name__}, expected a fitted one."
        ) from None
    n = model.n_features_in_
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n != len(names):
        raise ValueError(
            f"{where}: the calibrator takes {short(n)} columns but names {len(names)}."
        )
    fitted = getattr(model, "feature_names_in_", None)
    if fitted is not None and [str(name) for name in fitted] != names:
        raise ValueError(
            f"{where}: the calibrator was fitted on columns {short(list(fitted))} but "
            f"names {names}."
        )
    for attribute, shape in _fitted_shapes(model).items():
        problem = _problem(getattr(model, attribute, None), shape)
        if problem:
            raise ValueError(
                f"{where}: {type(model).__name__}.{attribute} is {problem}, "
                f"expected finite numbers of shape {shape}, as fit gives."
            )


def check_estimator(model, names, where):
    """Raise unless `model` is a calibrator fitted on the columns `names`.

    A skfusion classifier, a FixedThresholdClassifier of one, or a Pipeline
    of `STEPS` ending in either, fitted as `fit` leaves them, with classes
    [0, 1] (or [False, True]), and able to predict a row of zeros. An
    attribute of a type no check foresaw fails as one error naming `where`.
    """
    try:
        return _check_estimator(model, names, where)
    except Exception as exc:
        if str(exc).startswith(str(where)):
            raise
        raise ValueError(
            f"{where}: not a calibrator as fit leaves one "
            f"({type(exc).__name__}: {' '.join(str(exc).split())[:300]})."
        ) from None


def _check_estimator(model, names, where):
    """Raise unless `model` is a calibrator; `check_estimator` without the net."""
    try:
        steps, final, inner = _parts(model)
    except (AttributeError, TypeError, ValueError):  # a Pipeline's steps, broken
        steps, final, inner = [], model, [None]
    if not all(type(e) in _ESTIMATORS for e in inner):
        raise ValueError(
            f"{where} holds a {type(model).__name__}, expected a skfusion classifier "
            "(TorchLogisticFusion or MarginThresholdClassifier), a Pipeline "
            "ending in one, or a FixedThresholdClassifier of one."
        )
    refused = [type(s).__name__ for s in steps if type(s) not in STEPS]
    if refused:
        raise ValueError(
            f"{where}: the Pipeline holds {', '.join(refused)} before its classifier; "
            "a calibrator's pipeline may only rescale the columns first, with "
            f"{', '.join(s.__name__ for s in STEPS)} or 'passthrough'."
        )
    for part in {id(p): p for p in [*steps, final, *inner]}.values():
        _check_fitted(part, names, where)
    classes = np.asarray(getattr(final, "classes_", None))
    if classes.dtype.kind not in "biu" or classes.tolist() != [0, 1]:
        raise ValueError(
            f"{where}: the calibrator's classes are {short(classes.tolist())}, "
            "expected [False, True] or [0, 1], True/1 meaning unanswerable."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "X does not have valid names"
        model.predict(np.zeros((1, len(names))))  # fails as check_estimator says
    return model


def check_bundle(bundle, path):
    """Raise unless `bundle` is a calibrator file's content; return its parts."""
    keys = {"format", "model", "feature_names", "versions"}
    if (
        not isinstance(bundle, dict)
        or bundle.get("format") != FORMAT
        or not keys <= set(bundle) <= keys | {"reader", "score_kind"}
    ):
        raise ValueError(f"{path} is not a skfusion calibrator file.")
    names, recorded = bundle["feature_names"], bundle["versions"]
    source = {key: bundle.get(key) for key in ("reader", "score_kind")}
    for key, value, expected, ok in [
        ("feature_names", names, "a list of str",
         isinstance(names, list) and all(isinstance(n, str) for n in names)),
        ("versions", recorded, "a dict of str", isinstance(recorded, dict)
         and all(isinstance(x, str) for item in recorded.items() for x in item)),
        ("reader or score_kind", source, "str or None",
         all(v is None or isinstance(v, str) for v in source.values())),
    ]:  # fmt: skip
        if not ok:
            raise ValueError(f"{path}: {key} is {short(value)}, expected {expected}.")
    return check_estimator(bundle["model"], names, path), names, recorded, source


def version_differences(recorded):
    """``{package: (saved, current)}`` for each version that differs."""
    current = versions()
    return {
        name: (recorded.get(name, "unknown"), now)
        for name, now in current.items()
        if recorded.get(name) != now
    }
