"""Calibrator files: a fitted estimator with what it was fitted on."""

import importlib.util
import io
import numbers
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import sklearn
from sklearn import preprocessing as pp
from sklearn.exceptions import InconsistentVersionWarning as _SklearnVersionWarning
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .. import __version__
from .._fusion import TorchLogisticFusion
from .._io import atomic_write, file_kind
from .._margin import MarginThresholdClassifier
from ..datasets._base import short

FORMAT = "skfusion.calibrator/1"
_ESTIMATORS = (TorchLogisticFusion, MarginThresholdClassifier)
TRUSTED_TYPES = [f"{c.__module__}.{c.__name__}" for c in _ESTIMATORS]
# Steps mapping a row to a row of its width in linear time: of the ~200
# estimators skops trusts, many can ask for any memory (PolynomialFeatures).
STEPS = (pp.StandardScaler, pp.MinMaxScaler, pp.MaxAbsScaler, pp.RobustScaler)
MAX_BYTES = 256 * 2**20
_SKOPS = 'needs skops: pip install skops (or pip install -e ".[skops]" in a clone)'


class InconsistentVersionWarning(_SklearnVersionWarning):
    """Warning raised when a calibrator is loaded under other versions.

    Of skfusion, scikit-learn or numpy; a subclass of scikit-learn's warning
    of that name, so that one filter catches both.

    Parameters
    ----------
    path : str
        The calibrator file.
    original_versions, current_versions : dict of str to str
        The versions that saved it and those loading it, by package name.

    See Also
    --------
    load_calibrator : Issues this warning.
    sklearn.exceptions.InconsistentVersionWarning : The warning of scikit-learn.

    Examples
    --------
    >>> from skfusion.persistence import InconsistentVersionWarning
    >>> print(InconsistentVersionWarning(path="c.skops", original_versions={
    ...     "numpy": "1.26.4"}, current_versions={"numpy": "2.1.0"}))
    Trying to load calibrator c.skops saved with numpy 1.26.4 when using numpy
    2.1.0. This might lead to breaking code or invalid results. Use at your own
    risk.
    """

    def __init__(self, *, path, original_versions, current_versions):
        super().__init__(
            estimator_name=str(path),
            current_sklearn_version=current_versions.get("scikit-learn"),
            original_sklearn_version=original_versions.get("scikit-learn"),
        )
        self.path = str(path)
        self.original_versions = dict(original_versions)
        self.current_versions = dict(current_versions)

    def __str__(self):
        then, now = (
            ", ".join(f"{name} {v}" for name, v in versions.items())
            for versions in (self.original_versions, self.current_versions)
        )
        return (
            f"Trying to load calibrator {self.path} saved with {then} when using "
            f"{now}. This might lead to breaking code or invalid results. Use at "
            "your own risk."
        )


def save_calibrator(
    estimator, feature_names, path, *, reader=None, score_kind=None, force=False
) -> None:
    """Write a fitted estimator and what it was fitted on to a calibrator file.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`~skfusion.TorchLogisticFusion` or
        :class:`~skfusion.MarginThresholdClassifier`, a
        :class:`~sklearn.model_selection.FixedThresholdClassifier` of one, or
        a :class:`~sklearn.pipeline.Pipeline` ending in either whose earlier
        steps are ``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler``,
        ``RobustScaler`` or ``"passthrough"``; labels False/True or 0/1, True/1
        meaning unanswerable.
    feature_names : sequence of str or None
        The score columns' names; None takes its ``feature_names_in_``, which,
        where known, they must equal.
    path : str or path-like
        Its suffix, in any case, picks the format: ``.skops`` (needs skops) to
        share; ``.joblib``, ``.pkl``, ``.pickle`` (joblib's) for your own use.
        Written atomically; an existing `path` must be a regular file (else
        OSError), whose permissions are kept.
    reader, score_kind : str or None, default=None
        The fit data's, as the loaders give them, for `load_calibrator`.
    force : bool, default=False
        Whether to replace a read-only `path`, as ``cp --force`` does.

    See Also
    --------
    load_calibrator : Reads the file back.

    Examples
    --------
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.persistence import load_calibrator, save_calibrator
    >>> rule = MarginThresholdClassifier(span_column=None)
    >>> rule = rule.fit([[-2.0], [-1.0], [1.5], [3.0]], [False, False, True, True])
    >>> save_calibrator(rule, ["null_odds"], "calibrator.skops")
    >>> model, names = load_calibrator("calibrator.skops")
    >>> names, model.best_threshold_
    (['null_odds'], 0.25)
    """
    dump = writer(path)
    bundle = {"format": FORMAT, "model": estimator, "versions": _versions(),
              "feature_names": _feature_names(estimator, feature_names),
              "reader": reader, "score_kind": score_kind}  # fmt: skip
    _check_bundle(bundle, f"save_calibrator({type(estimator).__name__})")
    with atomic_write(path, "wb", force=force) as file:
        dump(bundle, file)


def writer(path):
    """Return ``dump(bundle, file)`` for `path`'s suffix (any case), or raise."""
    suffix = Path(path).suffix.lower()
    if suffix == ".skops" and importlib.util.find_spec("skops") is None:
        raise ImportError(f"{path}: writing .skops files {_SKOPS}.")
    if suffix not in (".skops", ".joblib", ".pkl", ".pickle"):
        raise ValueError(
            f"{path}: expected a calibrator file name ending in .skops (safe to "
            "share), or .joblib, .pkl, .pickle (a pickle, for your own use)."
        )
    return _write_skops if suffix == ".skops" else _write_joblib


def _write_skops(bundle, file):
    import skops.io

    skops.io.dump(bundle, file)


def _write_joblib(bundle, file):
    import joblib

    joblib.dump(bundle, file)


def _versions():
    return {"skfusion": __version__, "scikit-learn": sklearn.__version__,
            "numpy": np.__version__}  # fmt: skip


def _feature_names(estimator, feature_names):
    try:
        fitted = getattr(estimator, "feature_names_in_", None)
    except (IndexError, TypeError):
        # scikit-learn 1.6.0's Pipeline of no steps, or of steps not pairs:
        # _check_bundle refuses it next, naming what was expected.
        fitted = None
    fitted = None if fitted is None else [str(name) for name in fitted]
    names = None if feature_names is None else [str(n) for n in feature_names]
    if names is None and fitted is None:
        raise ValueError(
            "feature_names=None takes the estimator's feature_names_in_, but "
            f"this {type(estimator).__name__} was fitted without feature "
            "names: give the score columns' names, or fit on a DataFrame."
        )
    if None not in (names, fitted) and names != fitted:
        raise ValueError(
            f"feature_names={names} differ from the columns the estimator was "
            f"fitted on, feature_names_in_={fitted}."
        )
    return fitted if names is None else names


def load_calibrator(
    path, *, allow_pickle=False, data=None, force=False
) -> tuple[object, list[str]]:
    """Read a calibrator file written by `save_calibrator`.

    The file must be a regular file holding a calibrator as `fit` leaves it
    (classes [False, True] or [0, 1], fitted numbers finite and of `fit`'s
    shapes), else ValueError.

    Parameters
    ----------
    path : str or path-like
        A calibrator file. A ``.skops`` file (told by its content) is loaded
        only if it holds no type but skops' trusted ones and skfusion's
        estimators: loading it runs no code.
    allow_pickle : bool, default=False
        Whether to load a joblib or pickle file, which can run any code it
        holds: only for files from a source you trust, as with
        ``numpy.load(allow_pickle=True)``.
    data : Bunch, default=None
        The data to apply it to, from a loader of `skfusion.datasets`: its
        ``feature_names`` must be the calibrator's, and its ``reader`` and
        ``score_kind`` those it was fitted on, where both sides know them.
    force : bool, default=False
        Whether `data` of another reader or score kind only warns.

    Returns
    -------
    estimator : estimator
        The fitted estimator, as `save_calibrator` takes it.
    feature_names : list of str
        The names of the columns it was trained on.

    Warns
    -----
    InconsistentVersionWarning
        If the file was saved under other versions.

    See Also
    --------
    save_calibrator : Writes the file.
    check_feature_names : Checks new data's columns against ``feature_names``.

    Examples
    --------
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.persistence import load_calibrator, save_calibrator
    >>> rule = MarginThresholdClassifier(threshold=0.0)
    >>> rule = rule.fit([[0.5, 2.0], [3.0, 1.0]], [False, True])
    >>> save_calibrator(rule, ["null", "span"], "calibrator.skops")
    >>> model, names = load_calibrator("calibrator.skops")
    >>> names, model.predict([[4.0, 1.0]])
    (['null', 'span'], array([ True]))
    """
    bundle = _check_bundle(_read(path, allow_pickle), path)
    names, saved = bundle["feature_names"], bundle["versions"]
    now = {k: v for k, v in _versions().items() if saved.get(k) != v}
    if now:
        then = {k: saved.get(k, "unknown") for k in now}
        warning = InconsistentVersionWarning(
            path=path, original_versions=then, current_versions=now
        )
        warnings.warn(warning, stacklevel=2)
    if data is not None and list(data.feature_names) != names:
        raise ValueError(f"{path}: {_other_columns(names, data.feature_names)}")
    other = [(k, bundle.get(k), data.get(k)) for k in ("reader", "score_kind")
             if data is not None and None not in (bundle.get(k), data.get(k))
             and bundle.get(k) != data.get(k)]  # fmt: skip
    if other:
        message = (
            f"{path} was fitted on {', '.join(f'{k} {a!r}' for k, a, _ in other)}, "
            f"but the data are of {', '.join(f'{k} {b!r}' for k, _, b in other)}: "
            "its threshold or weights mean nothing on another reader's scores; "
            "fit one on this reader's dev outputs"
        )
        if not force:
            raise ValueError(f"{message}, or force=True (--force) to apply it anyway.")
        warnings.warn(f"{message}; applied anyway (force).", stacklevel=2)
    return bundle["model"], names


def _other_columns(expected, found):
    return (
        f"The calibrator was trained on columns {list(expected)}, but the data "
        f"has {list(found)}."
    )


def check_feature_names(expected, found) -> None:
    """Raise unless `found` are the columns a calibrator was trained on.

    Parameters
    ----------
    expected, found : sequence of str
        The calibrator's and the data's column names; other names, or another
        order, raise a ValueError showing both.

    See Also
    --------
    load_calibrator : Gives the names, and checks them given ``data``.

    Examples
    --------
    >>> from skfusion.persistence import check_feature_names
    >>> check_feature_names(["null_odds"], ["null_odds"])
    >>> check_feature_names(["null_odds"], ["joint_null", "best_span"])
    Traceback (most recent call last):
    ...
    ValueError: The calibrator was trained on columns ['null_odds'], but the data ...
    """
    if list(expected) != list(found):
        raise ValueError(_other_columns(expected, found))


def _read(path, allow_pickle):
    # O_NONBLOCK: opening a FIFO with no writer returns at once, to be refused.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    found = os.fstat(fd)
    if file_kind(found.st_mode) != "a regular file":
        os.close(fd)
        raise ValueError(
            f"{path} is {file_kind(found.st_mode)}, expected a calibrator file."
        )
    with open(fd, "rb") as f:
        data = f.read(MAX_BYTES + 1) if found.st_size <= MAX_BYTES else f.read(0)
    if found.st_size > MAX_BYTES or len(data) > MAX_BYTES:
        raise ValueError(
            f"{path}: larger than {MAX_BYTES // 2**20} MiB, expected a "
            "calibrator file (kilobytes)."
        )
    if not data.startswith(b"PK\x03\x04") and not allow_pickle:
        raise ValueError(
            f"{path}: not a .skops file; joblib and pickle files can run any code "
            "while they load, so skfusion loads them only with allow_pickle=True "
            "(skfusion predict --allow-pickle), for files from a source you trust; "
            "save calibrators as .skops to share them."
        )
    if not data.startswith(b"PK\x03\x04"):
        import joblib

        return joblib.load(io.BytesIO(data))
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
            return sio.loads(data, trusted=TRUSTED_TYPES)
    except Exception as exc:  # zipfile, JSON and skops' own errors alike
        raise ValueError(f"{path}: not a readable .skops file ({exc}).") from None
    raise ValueError(
        f"{path} holds types skfusion does not trust: {foreign}; a calibrator "
        "holds only skfusion's estimators and types skops trusts."
    )


def _check_bundle(bundle, path):
    keys = {"format", "model", "feature_names", "versions"}
    if (not isinstance(bundle, dict) or bundle.get("format") != FORMAT
            or not keys <= set(bundle) <= keys | {"reader", "score_kind"}):  # fmt: skip
        raise ValueError(f"{path} is not a skfusion calibrator file.")
    names, versions = bundle["feature_names"], bundle["versions"]
    source = {key: bundle.get(key) for key in ("reader", "score_kind")}
    for key, value, expected, ok in [
        ("feature_names", names, "a list of str",
         isinstance(names, list) and all(isinstance(n, str) for n in names)),
        ("versions", versions, "a dict of str", isinstance(versions, dict)
         and all(isinstance(x, str) for item in versions.items() for x in item)),
        ("reader or score_kind", source, "str or None",
         all(v is None or isinstance(v, str) for v in source.values())),
    ]:  # fmt: skip
        if not ok:
            raise ValueError(f"{path}: {key} is {short(value)}, expected {expected}.")
    try:
        _check_estimator(bundle["model"], names, path)
    except Exception as exc:  # an attribute of a type no check foresaw
        if str(exc).startswith(str(path)):
            raise
        raise ValueError(
            f"{path}: not a calibrator as fit leaves one "
            f"({type(exc).__name__}: {' '.join(str(exc).split())[:300]})."
        ) from None
    return bundle


def _check_estimator(model, names, where):
    """Raise unless `model` is a calibrator fitted on `names`."""
    steps, final = [], model
    if type(model) is Pipeline:
        try:
            *steps, final = [step for _, step in model.steps]
        except (TypeError, ValueError):  # not a list of pairs, or empty
            final = None
    inner = [final]
    if type(final) is FixedThresholdClassifier:
        inner = [final.estimator, getattr(final, "estimator_", final.estimator)]
        inner = [e.estimator if type(e) is FrozenEstimator else e for e in inner]
    if not all(type(e) in _ESTIMATORS for e in inner):
        raise ValueError(
            f"{where} holds a {type(model).__name__}, expected a skfusion classifier "
            "(TorchLogisticFusion or MarginThresholdClassifier), a Pipeline "
            "ending in one, or a FixedThresholdClassifier of one."
        )
    steps = [s for s in steps if s not in (None, "passthrough")]
    refused = [type(s).__name__ for s in steps if type(s) not in STEPS]
    if refused:
        raise ValueError(
            f"{where}: the Pipeline holds {', '.join(refused)} before its "
            "classifier; a calibrator's pipeline may only rescale the columns "
            f"first, with {', '.join(s.__name__ for s in STEPS)} or 'passthrough'."
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
        model.predict(np.zeros((1, len(names))))


def _check_fitted(model, names, where):
    try:
        check_is_fitted(model)
    except Exception:
        raise ValueError(
            f"{where} holds an unfitted {type(model).__name__}, expected a fitted one."
        ) from None
    n, fitted = model.n_features_in_, getattr(model, "feature_names_in_", None)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n != len(names):
        raise ValueError(
            f"{where}: the calibrator takes {short(n)} columns but names {len(names)}."
        )
    if fitted is not None and [str(name) for name in fitted] != names:
        raise ValueError(
            f"{where}: the calibrator was fitted on columns {short(list(fitted))} "
            f"but names {names}."
        )
    for attribute, shape in _fitted_shapes(model).items():
        value = getattr(model, attribute, None)
        real = isinstance(value, (numbers.Real, np.ndarray))
        array = np.asarray(value if real and not isinstance(value, bool) else None)
        problem = (
            f"a {type(value).__name__}" if array.dtype.kind not in "fiu"
            else f"of shape {array.shape}" if array.shape != shape
            else None if np.isfinite(array).all() else "not finite (NaN or infinity)"
        )  # fmt: skip
        if problem:
            raise ValueError(
                f"{where}: {type(model).__name__}.{attribute} is {problem}, "
                f"expected finite numbers of shape {shape}, as fit gives."
            )


def _fitted_shapes(model):
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
    return {name: (n,) for name, value in vars(model).items()  # the scalers
            if name.endswith("_") and not name.startswith("_")
            and isinstance(value, np.ndarray) and value.dtype.kind in "fc"}  # fmt: skip
