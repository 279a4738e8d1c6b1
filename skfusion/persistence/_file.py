"""What a calibrator file may hold, how it is written, read and checked.

A file from someone else must run no code when loaded. A ``.skops`` file is
a zip archive that skops rebuilds only from types it trusts (plus
skfusion's two estimators); a joblib or pickle file can run anything while
it loads, so it is read only on the caller's explicit ``allow_pickle``. The
format is told by the file's first bytes, never by its name.
"""

import importlib.util
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import sklearn
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .. import __version__
from .._fusion import TorchLogisticFusion
from .._io import atomic_write
from .._margin import MarginThresholdClassifier

FORMAT = "skfusion.calibrator/1"
# The only types a .skops calibrator may hold beyond those skops trusts.
TRUSTED_TYPES = (
    "skfusion._fusion.TorchLogisticFusion",
    "skfusion._margin.MarginThresholdClassifier",
)
_ESTIMATORS = (TorchLogisticFusion, MarginThresholdClassifier)
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
# A calibrator is kilobytes; the bound keeps a hostile file (or a zip whose
# members inflate to gigabytes) from exhausting memory.
MAX_BYTES = 256 * 2**20
_ZIP_MAGIC = b"PK\x03\x04"


def versions():
    """Return the versions a calibrator depends on, saved in and checked on files."""
    return {
        "skfusion": __version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
    }


def writer(path):
    """Return ``write(bundle, file)`` for `path`'s suffix (any case), or raise.

    Called before any fit, so that a missing writer or a suffix of no known
    format is an error before the work rather than after it.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".skops":
        if importlib.util.find_spec("skops") is None:
            raise ImportError(
                f"{path}: writing .skops files needs skops: pip install skops "
                "(or pip install 'skfusion[skops]')."
            )
        return _write_skops
    if suffix in _PICKLE_SUFFIXES:
        return _write_joblib
    raise ValueError(
        f"{path}: expected a calibrator file name ending in .skops (safe to "
        f"share), or {', '.join(_PICKLE_SUFFIXES)} (a pickle, for your own use)."
    )


def _write_skops(bundle, file):
    import skops.io as sio

    sio.dump(bundle, file)


def _write_joblib(bundle, file):
    import joblib

    joblib.dump(bundle, file)


def write(bundle, path):
    """Write `bundle` to `path` in its suffix's format, atomically."""
    dump = writer(path)
    with atomic_write(path, "wb") as file:
        dump(bundle, file)


def read(path, allow_pickle):
    """Return the object in a calibrator file, running no code by default."""
    with open(path, "rb") as f:
        too_large = os.fstat(f.fileno()).st_size > MAX_BYTES
        data = b"" if too_large else f.read(MAX_BYTES + 1)
    if too_large or len(data) > MAX_BYTES:
        raise ValueError(
            f"{path}: larger than {MAX_BYTES // 2**20} MiB, expected a "
            "calibrator file (kilobytes)."
        )
    if data.startswith(_ZIP_MAGIC):
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
        raise ImportError(
            f"{path}: reading .skops files needs skops: pip install skops "
            "(or pip install 'skfusion[skops]')."
        ) from exc
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(member.file_size for member in archive.infolist())
        if inflated > MAX_BYTES:
            raise ValueError(f"inflates to {inflated} bytes")
        foreign = sorted(set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES))
    except Exception as exc:  # zipfile, JSON and skops' own errors alike
        raise ValueError(f"{path}: not a readable .skops file ({exc}).") from None
    if foreign:
        raise ValueError(
            f"{path} holds types skfusion does not trust: {foreign}; a calibrator "
            "holds only skfusion's estimators and types skops trusts."
        )
    try:
        return sio.loads(data, trusted=list(TRUSTED_TYPES))
    except Exception as exc:
        raise ValueError(f"{path}: not a readable .skops file ({exc}).") from None


def _skfusion_classifier(model):
    """Return the skfusion classifier that decides for `model`, or None.

    `model` itself, a Pipeline's last step, or the classifier inside a
    `FixedThresholdClassifier` (frozen or not), as ``skfusion fit
    --target-precision`` saves the fusion at an operating point.
    """
    if isinstance(model, Pipeline) and model.steps:
        model = model.steps[-1][1]
    if type(model) is FixedThresholdClassifier:
        model = model.estimator
        model = model.estimator if type(model) is FrozenEstimator else model
    return model if type(model) in _ESTIMATORS else None


def check_estimator(model, where):
    """Raise unless `model` is a fitted skfusion classifier, or wraps one.

    A Pipeline ending in one, or a FixedThresholdClassifier of one, is
    accepted. The classifier must say which questions are unanswerable:
    classes [False, True] or [0, 1].
    """
    final = _skfusion_classifier(model)
    if final is None:
        raise ValueError(
            f"{where} holds a {type(model).__name__}, expected a skfusion classifier "
            "(TorchLogisticFusion or MarginThresholdClassifier), a Pipeline "
            "ending in one, or a FixedThresholdClassifier of one."
        )
    try:
        check_is_fitted(final)
    except NotFittedError:
        raise ValueError(
            f"{where} holds an unfitted {type(final).__name__}, expected a fitted one."
        ) from None
    classes = np.asarray(final.classes_)
    if classes.dtype.kind not in "biu" or classes.tolist() != [0, 1]:
        raise ValueError(
            f"{where}: the calibrator's classes are {classes.tolist()}, expected "
            "[False, True] or [0, 1], True/1 meaning unanswerable."
        )
    return model


def check_bundle(bundle, path):
    """Raise unless `bundle` is a calibrator file's content; return its parts."""
    keys = {"format", "model", "feature_names", "versions"}
    if (
        not isinstance(bundle, dict)
        or bundle.get("format") != FORMAT
        or set(bundle) != keys
    ):
        raise ValueError(f"{path} is not a skfusion calibrator file.")
    names, recorded = bundle["feature_names"], bundle["versions"]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(
            f"{path}: feature_names is {names!r:.80}, expected a list of str."
        )
    if not isinstance(recorded, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in recorded.items()
    ):
        raise ValueError(
            f"{path}: versions is {recorded!r:.80}, expected a dict of str."
        )
    model = check_estimator(bundle["model"], path)
    if model.n_features_in_ != len(names):
        raise ValueError(
            f"{path}: the calibrator takes {model.n_features_in_} columns but "
            f"names {len(names)}."
        )
    fitted = getattr(model, "feature_names_in_", None)
    if fitted is not None and [str(n) for n in fitted] != names:
        raise ValueError(
            f"{path}: the calibrator was fitted on columns {list(fitted)} but "
            f"names {names}."
        )
    return model, names, recorded


def version_differences(recorded):
    """``{package: (saved, current)}`` for each version that differs."""
    current = versions()
    return {
        name: (recorded.get(name, "unknown"), now)
        for name, now in current.items()
        if recorded.get(name) != now
    }
