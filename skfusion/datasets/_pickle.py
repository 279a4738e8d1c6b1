"""The research notebook's pickle of scores and labels, read without running code.

pickle's Python unpickler, restricted: numeric numpy and torch arrays through
checked builders, any other global refused before it runs, containers counted
against the file's size and tuples bounded before a dict hashes them (memo
references make ``t = (t, t)`` 40 times a key of 2**40 leaves).
"""

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
from ._simulate import FEATURE_NAMES

MAX_BYTES = 64 * 2**20  # the notebook's pickle of SQuAD 2.0 dev is about 1 MB
MAX_ROW = 4096  # scores of one question (the notebook's are four), values of a key
MAX_DEPTH = 64
_TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # the first pickle of torch's old format


class PickleBoundsError(ValueError):
    """A pickle beyond the bounds of a file of scores."""


class _Refused(pickle.UnpicklingError):
    """A value the scores pickle may not hold, refused unbuilt."""


def _refuse(what):
    raise _Refused(
        f"Refusing {what}: the scores pickle may hold only numbers, strings, "
        f"containers and arrays of at most {MAX_ROW} numbers."
    )


def _number_dtype(spec):
    dtype = np.dtype(spec) if isinstance(spec, (str, bytes, np.dtype)) else None
    if dtype is None or dtype.kind not in "biuf" or dtype.fields or dtype.shape:
        _refuse(f"numpy dtype {short(spec)}")
    return dtype


def _small_shape(shape):
    small = isinstance(shape, tuple) and all(
        isinstance(n, int) and 0 <= n <= MAX_ROW for n in shape
    )
    if not small or math.prod(shape) > MAX_ROW:
        _refuse(f"array shape {short(shape)}")
    return shape


def _encode_latin1(text, encoding="latin1"):
    """Protocol 2's bytes: ``_codecs.encode(text, "latin1")``."""
    if not isinstance(text, str) or encoding != "latin1":
        _refuse(f"_codecs.encode({short(text)}, {short(encoding)})")
    return text.encode("latin1")


# numpy's pickle builders, wherever this numpy keeps them, checking first.
_reconstruct = np.zeros(0).__reduce__()[0]
_scalar = np.float64(0).__reduce__()[0]
_frombuffer = np.zeros(1).__reduce_ex__(5)[0]
_NUMPY = {
    "ndarray": np.ndarray,
    "dtype": lambda spec, *args: np.dtype(_number_dtype(spec), *args),
    "_reconstruct": lambda subtype, shape, dtype: _reconstruct(
        subtype if subtype is np.ndarray else _refuse(f"array type {short(subtype)}"),
        _small_shape(shape),
        _number_dtype(dtype),
    ),
    "scalar": lambda dtype, *args: _scalar(_number_dtype(dtype), *args),
    "_frombuffer": lambda buf, dtype, shape, order: _frombuffer(
        buf, _number_dtype(dtype), _small_shape(shape), order
    ),
}


def _torch():
    return _import_torch("A file of torch tensors")


def _rebuild_tensor(storage, offset, size, *args):
    return _torch()._utils._rebuild_tensor_v2(
        storage, offset, _small_shape(tuple(size)), *args
    )


def _bounded(load):
    """Wrap a container-building opcode: count containers, bound its tuples."""

    def load_bounded(self):
        load(self)
        self.containers -= 1
        if self.containers < 0:
            raise PickleBoundsError("it builds more containers than its size holds")
        # Walked before a dict key or == does: too large or too deep to hash.
        stack, count = [(self.stack[-1], 1)], 0
        while stack:
            value, depth = stack.pop()
            count += 1
            if depth > MAX_DEPTH:
                raise PickleBoundsError(f"it nests values more than {MAX_DEPTH} deep")
            if count > MAX_ROW:
                raise PickleBoundsError(
                    f"it builds more than {MAX_ROW} values in one tuple (references "
                    "to shared values repeat them)"
                )
            if type(value) is tuple:
                stack += [(v, depth + 1) for v in value]

    return load_bounded


class _Unpickler(pickle._Unpickler):
    """Plain data only, its containers bounded; `dry_run` for torch's pickles."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, dry_run=False):
        super().__init__(file)
        # A score row takes far more than 8 bytes: more containers nest or share.
        self.dry_run, self.containers = dry_run, file.getbuffer().nbytes // 8 + 10_000

    def find_class(self, module, name):
        top = module.partition(".")[0]
        if top == "torch" and self.dry_run:
            return lambda *args, **kwargs: None
        found = {
            ("torch.storage", "_load_from_bytes"): _torch_load,
            ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): lambda *args: (
                _torch()._utils._rebuild_parameter(*args)
            ),
            ("_codecs", "encode"): _encode_latin1,
            ("collections", "OrderedDict"): lambda: collections.OrderedDict(),
        }.get((module, name), _NUMPY.get(name) if top == "numpy" else None)
        if found is None:
            raise _Refused(
                f"Refusing to load {module}.{name}: the scores pickle may hold only "
                "dicts, lists, numbers, strings and numpy or torch arrays."
            )
        if top == "torch":
            _torch()  # without torch, an ImportError naming the extra
        return found

    def persistent_load(self, pid):
        if not self.dry_run:
            _refuse(f"persistent id {short(pid)}")

    def load_refused(self):
        _refuse("a set or an object built by its class")

    for op in (
        "EMPTY_LIST EMPTY_DICT EMPTY_TUPLE LIST DICT TUPLE TUPLE1 TUPLE2 TUPLE3".split()
    ):
        dispatch[getattr(pickle, op)[0]] = _bounded(dispatch[getattr(pickle, op)[0]])
    for op in "EMPTY_SET FROZENSET INST OBJ NEWOBJ NEWOBJ_EX".split():
        dispatch[getattr(pickle, op)[0]] = load_refused
    del op


def _torch_load(raw):
    """Return a ``torch.save`` file's content once our unpickler passed its pickles."""
    # The zip format's data.pkl (stored, as torch writes it: no zip bomb), or
    # the legacy format's five pickles (magic, protocol, system, object, keys).
    torch = _torch()
    if zipfile.is_zipfile(io.BytesIO(raw)):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            entries = archive.infolist()
            if sum(e.file_size for e in entries) > MAX_BYTES:
                raise PickleBoundsError(f"its entries hold over {MAX_BYTES} bytes")
            if any(e.compress_type != zipfile.ZIP_STORED for e in entries):
                raise PickleBoundsError(
                    "it has compressed entries, which torch.save never writes"
                )
            pickles = [e for e in entries if e.filename.endswith("data.pkl")]
            if len(pickles) != 1:
                raise PickleBoundsError("it is not a torch.save file (one data.pkl)")
            _Unpickler(io.BytesIO(archive.read(pickles[0])), dry_run=True).load()
    else:
        stream = io.BytesIO(raw)
        for _ in range(5):
            _Unpickler(stream, dry_run=True).load()
    return torch.load(io.BytesIO(raw), weights_only=True, map_location="cpu")


def _read_content(path):
    """Read and unpickle `path`; every fault is one line naming the file."""
    raw = read_bytes(path, what="a pickle of scores", limit=MAX_BYTES)
    try:
        if zipfile.is_zipfile(io.BytesIO(raw)):
            return _torch_load(raw)
        content = _Unpickler(io.BytesIO(raw)).load()
        legacy = isinstance(content, int) and content == _TORCH_LEGACY_MAGIC
        return _torch_load(raw) if legacy else content
    except ImportError:
        raise
    except PickleBoundsError as exc:
        raise ValueError(
            f"{path}: refused unread: {exc}; expected a pickle of plain scores."
        ) from None
    except _Refused as exc:
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
    """Return a torch tensor as float64 numpy, else `value`."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(value, torch.Tensor):
        return value
    if value.numel() > MAX_ROW:
        raise ValueError(
            f"{path}: question {short(qid)} has {value.numel()} scores; "
            f"expected at most {MAX_ROW}."
        )
    return value.detach().cpu().double().numpy()


def _score_row(value, path, qid):
    """Return one question's scores as float64; strings, bools and more refused."""
    value = _as_numpy(value, path, qid)
    numbers = (int, float, np.integer, np.floating)
    if (
        isinstance(value, (list, tuple))
        and len(value) <= MAX_ROW
        and all(isinstance(v, numbers) and not isinstance(v, bool) for v in value)
    ):
        try:
            value = np.array(value, dtype=np.float64)
        except OverflowError:  # an int beyond float's range
            pass
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf" or (
        value.size > MAX_ROW
    ):  # fmt: skip
        raise ValueError(
            f"{path}: the scores of question {short(qid)} are not a list or array "
            f"of at most {MAX_ROW} numbers."
        )
    return value.astype(np.float64).ravel()


def _label(value, path, qid):
    value = _as_numpy(value, path, qid)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or (
        isinstance(value, (int, np.integer, float, np.floating)) and value in (0, 1)
    ):
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
        If True, pandas ``data``, ``target`` and ``frame``, as
        `load_reader_outputs` gives them.

    Returns
    -------
    data : Bunch
        As `load_reader_outputs` returns it: ``feature_names`` are the
        notebook's ``joint_null``, ``start_null``, ``end_null``,
        ``best_span`` for four columns (else ``x0``, ``x1``, ...), ``ids``
        in the labels' order, ``margin_columns`` the first and last column
        (the notebook's BERT rule); ``em``, ``f1``, ``span_text`` and
        ``no_span`` are None.

    See Also
    --------
    load_reader_outputs : Loads any supported file, this one included.

    Notes
    -----
    A restricted unpickler refuses anything but plain containers, numbers,
    strings and numeric numpy or torch arrays before it can run, bounds what
    it hashes, and refuses files over 64 MiB; ``torch.save`` files then go
    through torch's ``weights_only`` loader. The format is that of
    KNOT-FIT-BUT/JointSpanExtraction's analysis/squad2_noans_tuning.ipynb.

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
    if not labels:
        raise ValueError(f"{path}: holds no questions (empty 'labels').")
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
        See `load_notebook_pickle`.

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
