"""The research notebook's pickle of scores and labels, read without running code."""

import collections
import io
import pickle
import zipfile

import numpy as np
from sklearn.utils import Bunch

from .._compat import _import_torch
from ._base import check_same_ids, few, frame_bunch, reader_bunch
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
        if (module, name) in self._TORCH:
            _torch()
            return super().find_class(module, name)
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load {module}.{name}: the scores pickle may hold only "
            "dicts, lists, numbers, strings and numpy or torch arrays."
        )


def _read_content(path):
    """Unpickle `path` safely: torch.save files through torch's own loader."""
    if zipfile.is_zipfile(path):
        return _torch().load(path, weights_only=True, map_location="cpu")
    with open(path, "rb") as f:
        content = _RestrictedUnpickler(f).load()
    if isinstance(content, int) and content == _TORCH_LEGACY_MAGIC:
        return _torch().load(path, weights_only=True, map_location="cpu")
    return content


def _as_numpy(value):
    """Turn a torch tensor (any dtype, with or without grad) into float64."""
    if type(value).__module__.startswith("torch"):
        return value.detach().cpu().double().numpy()
    return value


def _score_row(value, path, qid):
    """One question's scores as float64, refusing strings, bools and objects."""
    value = _as_numpy(value)
    if isinstance(value, (list, tuple)):
        numeric = all(
            isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, (bool, np.bool_))
            for v in value
        )
        value = np.array(value, dtype=np.float64) if numeric else None
    elif isinstance(value, np.ndarray) and value.dtype.kind not in "iuf":
        value = None
    if not isinstance(value, np.ndarray):
        raise ValueError(
            f"{path}: the scores of question {qid!r} are not a list or array of "
            "numbers."
        )
    return value.astype(np.float64).ravel()


def _label(value, path, qid):
    """Return a label as bool: a bool or 0/1 (python, numpy or torch)."""
    value = _as_numpy(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer, float, np.floating)) and value in (0, 1):
        return bool(value)
    raise ValueError(
        f"{path}: the label of question {qid!r} is {value!r}; expected a bool "
        "(True = unanswerable) or 0/1."
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
        straight into `~skfusion.MarginThresholdClassifier`. Needs pandas.
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
    check_same_ids(ids, scores, "scores")
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
        straight into `~skfusion.MarginThresholdClassifier`. Needs pandas.
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
