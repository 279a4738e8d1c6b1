"""What every loader shares: quotes for errors, id checks, warnings, the Bunch."""

import collections
import contextlib
import gc
import math
import reprlib
import sys
import warnings

import numpy as np
from sklearn.utils import Bunch

from .._compat import _import_pandas
from ._formats import SCORE_KINDS

# The per-head scores of a BERT-style reader (one start and one end head),
# as `load_reader_outputs` and `features_from_logits` name them.
PER_HEAD_FEATURE_NAMES = (
    "null_start_logit",
    "null_end_logit",
    "span_start_logit",
    "span_end_logit",
)
# scikit-learn's ColumnTransformer separates a part's name from a column's.
SEPARATOR = "__"
# The margins known by their columns' names, first match first: (null
# columns, span columns or None).
KNOWN_MARGINS = (
    (list(PER_HEAD_FEATURE_NAMES[:2]), list(PER_HEAD_FEATURE_NAMES[2:])),
    (["null_odds"], None),
    (["joint_null"], ["best_span"]),
    (["null_score"], ["best_span_score"]),
    (["null_score"], ["span_score"]),
    (["answer_class_score"], None),
    (["na_prob"], None),
    (["cls_score"], None),
    (["null_probability"], ["span_probability"]),
)


def margin_by_name(columns):
    """Return the first of `KNOWN_MARGINS` whose columns `columns` hold, or None."""
    return next(
        (m for m in KNOWN_MARGINS if {*m[0], *(m[1] or ())} <= set(columns)), None
    )


def known_margin_columns(data):
    """Return ``data.margin_columns``; where unknown, raise saying how to name them."""
    if data.margin_columns is not None:
        return data.margin_columns
    known = "; ".join(
        " and ".join(", ".join(part) for part in m if part) for m in KNOWN_MARGINS
    )
    raise ValueError(
        f"{data.DESCR}: which columns form the margin is unknown: none of "
        f"{short(data.feature_names, 120)} is a set skfusion understands ({known}); "
        "name the margin's columns so, or give them with null_column= and "
        "span_column= (--null-column and --span-column on the command line)."
    )


@contextlib.contextmanager
def paused_gc():
    """Pause the cyclic garbage collector for a block."""
    # Parsed JSON holds no reference cycles, but each of the collector's
    # passes walks it all: a run loads about a third faster without them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def warn(message):
    """Warn naming the first caller outside skfusion, as `stacklevel` would."""
    level, frame = 1, sys._getframe(0)
    while frame is not None and frame.f_globals["__name__"].startswith("skfusion"):
        level, frame = level + 1, frame.f_back
    warnings.warn(message, UserWarning, stacklevel=level)


def short(value, width=60):
    """Return a repr of `value` cut to about `width` characters, whatever its size."""
    cut = reprlib.Repr()
    cut.maxstring = cut.maxother = width
    cut.maxlist = cut.maxtuple = cut.maxdict = cut.maxset = 4
    cut.maxlevel = 2
    text = " ".join(cut.repr(value).splitlines())  # numpy's reprs span lines
    return text if len(text) <= width + 10 else text[:width] + "...'"


def few(items, k=3):
    """Quote the first `k` items, each cut short, for error messages."""
    return ", ".join(short(item, 40) for _, item in zip(range(k), items, strict=False))


def json_number(value, path, qid, key):
    """Return `value` as a float if it is a finite JSON number (not a bool)."""
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    try:
        number = float(value) if is_number else math.nan
    except OverflowError:  # an integer beyond float's range
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(
            f"{path}: question {short(qid)}: {key} is {short(value)}, expected a "
            + ("finite number." if is_number else "JSON number.")
        )
    return number


def check_same_ids(expected, found, what, path=None, reference=None):
    """Raise naming the ids `found` lacks or adds; `reference` names `expected`."""
    found_set, expected_set = set(found), set(expected)
    missing = [q for q in expected if q not in found_set]
    extra = [q for q in found if q not in expected_set]
    if not (missing or extra):
        return
    parts = []
    if missing:
        parts.append(f"{len(missing)} question(s) lack {what}, e.g. {few(missing)}")
    if extra:
        unknown = "are unknown" + (f" to {reference}" if reference else "")
        parts.append(f"{len(extra)} id(s) in {what} {unknown}, e.g. {few(extra)}")
    if reference:  # the caller can keep the common questions
        parts.append(
            "to keep the questions all hold, give subset='intersection' "
            "(--intersect on the command line)"
        )
    raise ValueError(("" if path is None else f"{path}: ") + "; ".join(parts) + ".")


def common_ids(named, subset, unit, reference=None):
    """Return the first's ids of ``[(name, ids), ...]``: all, or those all hold."""
    ids = named[0][1]
    if subset == "strict":
        for name, found in named[1:]:
            check_same_ids(ids, found, name, reference=reference)
        return ids
    kept = set(ids).intersection(*(set(found) for _, found in named[1:]))
    ids = [q for q in ids if q in kept]
    if not ids:
        raise ValueError(f"{', '.join(n for n, _ in named)}: no question id in common.")
    if len(ids) < max(len(found) for _, found in named):
        dropped = ", ".join(f"{len(found) - len(ids)} of {n}" for n, found in named)
        kept = f"Kept the {len(ids)} question(s) present in every {unit}"
        warn(f"{kept}; dropped {dropped}.")
    return ids


def check_unique(ids, path):
    duplicates = [q for q, count in collections.Counter(ids).items() if count > 1]
    if duplicates:
        raise ValueError(
            f"{path}: {len(duplicates)} duplicate question id(s), e.g. "
            f"{few(duplicates)}."
        )


def reader_bunch(X, feature_names, target, ids, *, margin_columns, source=None, **kw):
    """Return a loader's Bunch once its scores are finite; `kw` as its fields."""
    X = np.asarray(X, dtype=np.float64).reshape(len(ids), -1)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise ValueError(
            ("" if source is None else f"{source}: ")
            + f"{bad.sum()} question(s) have non-finite scores, e.g. "
            f"{few(np.asarray(ids, dtype=object)[bad])}."
        )

    def array(key, dtype):
        return None if kw.get(key) is None else np.asarray(kw[key], dtype=dtype)

    return Bunch(
        data=X,
        feature_names=list(feature_names),
        target=None if target is None else np.asarray(target, dtype=bool),
        ids=np.asarray(ids, dtype=object),
        em=array("em", float),
        f1=array("f1", float),
        span_text=kw.get("span_text"),
        no_span=array("no_span", bool),
        margin_columns=margin_columns,
        reader=kw.get("reader"),
        score_kind=kw.get("score_kind") or SCORE_KINDS.get(kw.get("reader")),
        DESCR=kw.get("descr", ""),
    )


def frame_bunch(bunch, as_frame):
    """Return `bunch` with ``frame``, and pandas ``data`` and ``target`` if asked."""
    bunch.frame = None
    if as_frame:
        pd = _import_pandas("as_frame=True")
        bunch.data = bunch.frame = pd.DataFrame(bunch.data, columns=bunch.feature_names)
        if bunch.target is not None:
            bunch.target = pd.Series(bunch.target, name="unanswerable")
            bunch.frame = pd.concat([bunch.data, bunch.target], axis=1)
    return bunch
