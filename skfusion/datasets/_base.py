"""What every loader shares: strict JSON reading, id checks and the Bunch."""

import collections
import math
import reprlib

import numpy as np
from sklearn.utils import Bunch

from .._compat import _import_pandas
from ._formats import SCORE_KINDS

# Column names of the per-head scores of a BERT-style reader (one start and
# one end head), as `load_reader_outputs` and `features_from_logits` give them.
PER_HEAD_FEATURE_NAMES = (
    "null_start_logit",
    "null_end_logit",
    "span_start_logit",
    "span_end_logit",
)
PER_HEAD_MARGIN_COLUMNS = (
    ["null_start_logit", "null_end_logit"],
    ["span_start_logit", "span_end_logit"],
)


def short(value, width=60):
    """Return a repr of `value` cut to about `width` characters, for any size.

    Error messages quote ids and values from files that may hold megabytes
    in one string or list; ``reprlib`` cuts them before building the text.
    """
    cut = reprlib.Repr()
    cut.maxstring = cut.maxother = width
    cut.maxlist = cut.maxtuple = cut.maxdict = cut.maxset = 4
    cut.maxlevel = 2
    text = " ".join(cut.repr(value).splitlines())  # numpy's reprs span lines
    return text if len(text) <= width + 10 else text[:width] + "...'"


def few(items, k=3):
    """Quote the first `k` items (each cut short), for error messages."""
    quoted = []
    for item in items:
        if len(quoted) == k:
            break
        quoted.append(short(item, 40))
    return ", ".join(quoted)


def json_number(value, path, qid, key):
    """Return `value` as a float if it is a finite JSON number, else raise.

    JSON booleans are Python bools, which are ints: they are refused, as are
    strings that hold digits; nothing is coerced.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"{path}: question {short(qid)}: {key} is {short(value)}, expected a "
            "JSON number."
        )
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float's range
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(
            f"{path}: question {short(qid)}: {key} is {short(value)}, expected a "
            "finite number."
        )
    return number


def check_same_ids(expected, found, what, path=None):
    """Raise naming the ids that one source has and the other lacks."""
    found_set, expected_set = set(found), set(expected)
    missing = [q for q in expected if q not in found_set]
    extra = [q for q in found if q not in expected_set]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} question(s) lack {what}, e.g. {few(missing)}")
        if extra:
            parts.append(f"{len(extra)} id(s) in {what} are unknown, e.g. {few(extra)}")
        lead = "" if path is None else f"{path}: "
        raise ValueError(lead + "; ".join(parts) + ".")


def check_unique(ids, path):
    """Raise naming duplicated ids."""
    duplicates = [q for q, count in collections.Counter(ids).items() if count > 1]
    if duplicates:
        raise ValueError(
            f"{path}: {len(duplicates)} duplicate question id(s), e.g. "
            f"{few(duplicates)}."
        )


def reader_bunch(
    X,
    feature_names,
    target,
    ids,
    *,
    margin_columns,
    em=None,
    f1=None,
    span_text=None,
    no_span=None,
    reader=None,
    descr="",
    source=None,
):
    """Assemble a loader's Bunch after checking the scores are finite.

    `reader` names the reader whose files gave the scores (a key of
    `SCORE_KINDS`, or None where unknown); ``score_kind`` follows from it.
    """
    X = np.asarray(X, dtype=np.float64).reshape(len(ids), -1)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise ValueError(
            ("" if source is None else f"{source}: ")
            + f"{bad.sum()} question(s) have non-finite scores, e.g. "
            f"{few(np.asarray(ids, dtype=object)[bad])}."
        )
    return Bunch(
        data=X,
        feature_names=list(feature_names),
        target=None if target is None else np.asarray(target, dtype=bool),
        ids=np.asarray(ids, dtype=object),
        em=None if em is None else np.asarray(em, dtype=float),
        f1=None if f1 is None else np.asarray(f1, dtype=float),
        span_text=span_text,
        no_span=None if no_span is None else np.asarray(no_span, dtype=bool),
        margin_columns=margin_columns,
        reader=reader,
        score_kind=SCORE_KINDS.get(reader),
        DESCR=descr,
    )


def frame_bunch(bunch, as_frame):
    """Return `bunch` with ``frame``, and with pandas ``data`` if `as_frame`.

    As scikit-learn's loaders: ``data`` a DataFrame whose columns are the
    feature names, ``target`` a Series named "unanswerable", and ``frame``
    both side by side (``data`` alone without labels); ``frame`` is None
    for arrays.
    """
    if not as_frame:
        bunch.frame = None
        return bunch
    pd = _import_pandas("as_frame=True")
    data = pd.DataFrame(bunch.data, columns=list(bunch.feature_names))
    bunch.data, bunch.frame = data, data
    if bunch.target is not None:
        bunch.target = pd.Series(bunch.target, name="unanswerable")
        bunch.frame = pd.concat([data, bunch.target], axis=1)
    return bunch
