"""The research notebook's pickle of scores and labels, read without running code."""

import collections
import io
import math
import pickle
import sys
import zipfile

import numpy as np
from sklearn.utils import Bunch

from .._compat import _import_torch
from ._base import check_same_ids, few, frame_bunch, reader_bunch, short
from ._json import read_bytes
from ._pickle_scan import MAX_BYTES, MAX_ROW, PickleBoundsError, check_zip, scan
from ._simulate import FEATURE_NAMES

# The first object of a torch.save file in torch's legacy (non-zip) format.
_TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def _torch():
    return _import_torch("A file of torch tensors")


def _safe_torch_storage(data):
    """Rebuild a pickled torch storage with torch's weights-only loader.

    torch's own ``torch.storage._load_from_bytes`` loads with
    ``weights_only=False``, which would run code.
    """
    return _torch().load(io.BytesIO(data), weights_only=True)


def _refuse(what):
    raise pickle.UnpicklingError(
        f"Refusing {what}: the scores pickle may hold only numbers, strings, "
        f"containers and arrays of at most {MAX_ROW} numbers."
    )


def _number_dtype(dtype):
    """Return `dtype` if it is a plain bool, integer or float dtype, else refuse."""
    try:
        dtype = np.dtype(dtype)
    except (TypeError, ValueError):
        _refuse(f"numpy dtype {short(dtype)}")
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.shape:
        _refuse(f"numpy dtype {short(dtype)}")
    return dtype


def _small_shape(shape):
    if not isinstance(shape, tuple) or not all(
        isinstance(n, int) and 0 <= n <= MAX_ROW for n in shape
    ):
        _refuse(f"array shape {short(shape)}")
    if math.prod(shape) > MAX_ROW:
        _refuse(f"array shape {short(shape)}")
    return shape


def _encode_latin1(text, encoding="latin1"):
    if not isinstance(text, str) or encoding != "latin1":
        _refuse(f"_codecs.encode({short(text)}, {short(encoding)})")
    return text.encode("latin1")


def _bounded(name, real):
    """Wrap numpy's array builder `real` to check dtypes and sizes first."""
    if name == "dtype":
        return lambda spec, *args: real(_number_dtype(spec), *args)
    if name == "_reconstruct":

        def reconstruct(subtype, shape, dtype):
            if subtype is not np.ndarray:
                _refuse(f"array type {short(subtype)}")
            return real(subtype, _small_shape(shape), _number_dtype(dtype))

        return reconstruct
    if name == "scalar":
        return lambda dtype, *args: real(_number_dtype(dtype), *args)
    if name == "_frombuffer":
        return lambda buf, dtype, shape, order: real(
            buf, _number_dtype(dtype), _small_shape(shape), order
        )
    if name == "encode":
        return _encode_latin1
    return real


def _rebuild_tensor(storage, offset, size, stride, *args):
    _small_shape(tuple(size))
    return _torch()._utils._rebuild_tensor_v2(storage, offset, size, stride, *args)


class _RestrictedUnpickler(pickle.Unpickler):
    """Admit plain containers, numbers, strings, numpy and torch arrays only."""

    _ALLOWED = {
        ("builtins", "dict"),
        ("builtins", "list"),
        ("builtins", "tuple"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "float"),
        ("builtins", "int"),
        ("builtins", "bool"),
        ("builtins", "str"),
        ("builtins", "complex"),
        ("collections", "OrderedDict"),
        # Protocol 2 writes bytes as _codecs.encode(text, "latin1").
        ("_codecs", "encode"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        # Protocol 5 rebuilds arrays from a buffer.
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
    }
    _TORCH = {
        ("torch._utils", "_rebuild_tensor_v2"),
        ("torch._utils", "_rebuild_parameter"),
    }

    def find_class(self, module, name):
        if (module, name) == ("torch.storage", "_load_from_bytes"):
            return _safe_torch_storage
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            _torch()
            return _rebuild_tensor
        if (module, name) in self._TORCH:
            _torch()
            return super().find_class(module, name)
        if (module, name) in self._ALLOWED:
            return _bounded(name, super().find_class(module, name))
        raise pickle.UnpicklingError(
            f"Refusing to load {module}.{name}: the scores pickle may hold only "
            "dicts, lists, numbers, strings and numpy or torch arrays."
        )


def _torch_load(raw):
    return _torch().load(io.BytesIO(raw), weights_only=True, map_location="cpu")


def _unpickle(raw):
    """Unpickle `raw` within bounds: torch.save files through torch's loader."""
    if zipfile.is_zipfile(io.BytesIO(raw)):
        check_zip(io.BytesIO(raw))
        return _torch_load(raw)
    scan(raw)
    content = _RestrictedUnpickler(io.BytesIO(raw)).load()
    if isinstance(content, int) and content == _TORCH_LEGACY_MAGIC:
        # Legacy torch.save: magic, protocol, system info, the object, and
        # the storage keys are five pickles, followed by raw storage bytes.
        end = 0
        for _ in range(5):
            end = scan(raw, end)
        return _torch_load(raw)
    return content


def _read_content(path):
    """Read and unpickle `path`; every fault is one line naming the file."""
    raw = read_bytes(path, what="a pickle of scores", limit=MAX_BYTES)
    try:
        return _unpickle(raw)
    except ImportError:
        raise
    except PickleBoundsError as exc:
        raise ValueError(
            f"{path}: refused unread: {exc}; expected a pickle of plain scores."
        ) from None
    except pickle.UnpicklingError as exc:
        raise pickle.UnpicklingError(f"{path}: {_one_line(exc)}") from None
    except Exception as exc:  # a damaged pickle can fail in any way
        raise ValueError(
            f"{path}: not a readable pickle of scores ({type(exc).__name__}: "
            f"{_one_line(exc)})."
        ) from None


def _one_line(exc, width=300):
    text = " ".join(str(exc).split())
    return text if len(text) <= width else text[:width] + "..."


def _as_numpy(value, path, qid):
    """Turn a torch tensor (any dtype, with or without grad) into float64."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        if value.numel() > MAX_ROW:
            raise ValueError(
                f"{path}: question {short(qid)} has {value.numel()} scores; "
                f"expected at most {MAX_ROW}."
            )
        return value.detach().cpu().double().numpy()
    return value


def _number_list(values):
    """`values` as float64, or None unless all are numbers within float's range."""
    numeric = all(
        isinstance(v, (int, float, np.integer, np.floating))
        and not isinstance(v, (bool, np.bool_))
        for v in values
    )
    try:
        return np.array(values, dtype=np.float64) if numeric else None
    except OverflowError:  # an int beyond float's range
        return None


def _score_row(value, path, qid):
    """One question's scores as float64, refusing strings, bools and objects."""
    value = _as_numpy(value, path, qid)
    if isinstance(value, (list, tuple)) and len(value) > MAX_ROW:
        value = None
    elif isinstance(value, (list, tuple)):
        value = _number_list(value)
    elif isinstance(value, np.ndarray) and (
        value.dtype.kind not in "iuf" or value.size > MAX_ROW
    ):
        value = None
    if not isinstance(value, np.ndarray):
        raise ValueError(
            f"{path}: the scores of question {short(qid)} are not a list or array "
            f"of at most {MAX_ROW} numbers."
        )
    return value.astype(np.float64).ravel()


def _label(value, path, qid):
    """Return a label as bool: a bool or 0/1 (python, numpy or torch)."""
    value = _as_numpy(value, path, qid)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer, float, np.floating)) and value in (0, 1):
        return bool(value)
    raise ValueError(
        f"{path}: the label of question {short(qid)} is {short(value)}; expected a "
        "bool (True = unanswerable) or 0/1."
    )


def load_notebook_pickle(path, *, as_frame=False) -> Bunch:
    """Load the research notebook's ``{'scores': ..., 'labels': ...}`` pickle.

    Parameters
    ----------
    path : str or path-like
        A pickle (any protocol from 2 to 5) or a ``torch.save`` file holding
        a dict with ``'scores'``, ``{question id: row of scores}``, and
        ``'labels'``, ``{question id: True if unanswerable}``. Rows may be
        lists of numbers, numpy arrays or torch tensors (any dtype, with or
        without grad); labels must be bools or 0/1.

    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame whose columns are
        ``feature_names``, ``target`` a pandas Series named
        "unanswerable", and ``frame`` a DataFrame of both (as scikit-learn's
        loaders return them); the names in ``margin_columns`` then go
        straight into :class:`~skfusion.MarginThresholdClassifier`. Needs pandas.
        With False, ``frame`` is None.

    Returns
    -------
    data : Bunch
        As `load_reader_outputs` returns it: ``data``, ``feature_names``
        (the notebook's ``joint_null``, ``start_null``, ``end_null``,
        ``best_span`` for four columns, else ``x0``, ``x1``, ...),
        ``target``, ``ids`` (in the labels' order), ``margin_columns``
        (the first and the last column: ``joint_null - best_span``, the
        notebook's BERT rule), ``DESCR``; ``em``, ``f1``, ``span_text`` and
        ``no_span`` are None.

    See Also
    --------
    load_reader_outputs : Loads any supported file, this one included.

    Notes
    -----
    The file is read with a restricted unpickler, which refuses anything but
    plain containers, numbers, strings and numpy or torch arrays before it
    can run; torch storages and ``torch.save`` files go through torch's
    ``weights_only`` loader. The format is that of the notebook
    KNOT-FIT-BUT/JointSpanExtraction, analysis/squad2_noans_tuning.ipynb.

    Examples
    --------
    >>> import pickle
    >>> from skfusion.datasets import load_notebook_pickle
    >>> content = {"scores": {"q1": [0.6, -2.6, -3.1, 9.6],
    ...                       "q2": [8.7, 5.2, 5.5, 4.8]},
    ...            "labels": {"q1": False, "q2": True}}
    >>> with open("scores.pkl", "wb") as f:
    ...     pickle.dump(content, f)
    >>> data = load_notebook_pickle("scores.pkl")
    >>> data.data.shape, data.target.tolist()
    ((2, 4), [False, True])
    """
    content = _read_content(path)
    if not isinstance(content, dict) or not {"scores", "labels"} <= set(content):
        raise ValueError(f"{path}: expected a dict with 'scores' and 'labels'.")
    scores, labels = content["scores"], content["labels"]
    if not isinstance(scores, dict) or not isinstance(labels, dict):
        raise ValueError(
            f"{path}: expected 'scores' and 'labels' to be dicts keyed by question id."
        )
    ids = list(labels)
    odd_ids = [q for q in ids if isinstance(q, bool) or not isinstance(q, (str, int))]
    if odd_ids:
        raise ValueError(
            f"{path}: {len(odd_ids)} question id(s) are neither strings nor "
            f"integers, e.g. {few(odd_ids)}."
        )
    check_same_ids(ids, scores, "scores", path)
    rows = [_score_row(scores[q], path, q) for q in ids]
    width = collections.Counter(r.size for r in rows).most_common(1)[0][0]
    odd = [q for q, r in zip(ids, rows, strict=True) if r.size != width]
    if odd:
        raise ValueError(
            f"{path}: {len(odd)} question(s) have other than {width} scores, "
            f"e.g. {few(odd)}."
        )
    names = FEATURE_NAMES if width == 4 else [f"x{i}" for i in range(width)]
    bunch = reader_bunch(
        np.array(rows),
        names,
        [_label(labels[q], path, q) for q in ids],
        ids,
        margin_columns=([names[0]], [names[-1]] if width > 1 else None),
        descr=f"Notebook pickle: {path}",
        source=path,
    )
    return frame_bunch(bunch, as_frame)


def load_seed_pickle(path, *, as_frame=False) -> Bunch:
    """Load the notebook's pickle; an alias of `load_notebook_pickle`.

    Parameters
    ----------
    path : str or path-like
        See `load_notebook_pickle`.

    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame whose columns are
        ``feature_names``, ``target`` a pandas Series named
        "unanswerable", and ``frame`` a DataFrame of both (as scikit-learn's
        loaders return them); the names in ``margin_columns`` then go
        straight into :class:`~skfusion.MarginThresholdClassifier`. Needs pandas.
        With False, ``frame`` is None.

    Returns
    -------
    data : Bunch
        See `load_notebook_pickle`.

    See Also
    --------
    load_notebook_pickle : The loader this name stands for.

    Examples
    --------
    >>> import pickle
    >>> from skfusion.datasets import load_seed_pickle
    >>> content = {"scores": {"q1": [0.6, 9.6], "q2": [8.7, 4.8]},
    ...            "labels": {"q1": False, "q2": True}}
    >>> with open("scores.pkl", "wb") as f:
    ...     pickle.dump(content, f)
    >>> load_seed_pickle("scores.pkl").feature_names
    ['x0', 'x1']
    """
    return load_notebook_pickle(path, as_frame=as_frame)
