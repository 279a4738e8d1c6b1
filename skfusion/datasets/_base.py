"""What every loader shares: strict JSON reading, id checks and the Bunch."""

import collections
import json
import math

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


def few(items, k=3):
    """Quote the first `k` items, for error messages that name examples."""
    return ", ".join(repr(i) for i in list(items)[:k])


def read_json(path):
    """Parse a JSON file; a decoding error is one line naming the file."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}).") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file ({exc}).") from exc


def expect_mapping(content, path, what):
    """Raise unless `content` is a JSON object ``{question id: ...}``."""
    if not isinstance(content, dict):
        raise ValueError(
            f"{path}: expected a JSON object mapping question ids to {what}, "
            f"found a JSON {_json_type(content)}."
        )
    if not content:
        raise ValueError(f"{path}: holds no questions (an empty JSON object).")
    return content


def json_number(value, path, qid, key):
    """Return `value` as a float if it is a finite JSON number, else raise.

    JSON booleans are Python bools, which are ints: they are refused, as are
    strings that hold digits; nothing is coerced.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"{path}: question {qid!r}: {key} is {value!r}, expected a JSON number."
        )
    if not math.isfinite(value):
        raise ValueError(
            f"{path}: question {qid!r}: {key} is {value!r}, expected a finite number."
        )
    return float(value)


def _json_type(value):
    names = {dict: "object", list: "array", str: "string", bool: "boolean"}
    return names.get(
        type(value), "number" if isinstance(value, (int, float)) else "null"
    )


def check_same_ids(expected, found, what):
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
        raise ValueError("; ".join(parts) + ".")


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
):
    """Assemble a loader's Bunch after checking the scores are finite.

    `reader` names the reader whose files gave the scores (a key of
    `SCORE_KINDS`, or None where unknown); ``score_kind`` follows from it.
    """
    X = np.asarray(X, dtype=np.float64).reshape(len(ids), -1)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{bad.sum()} question(s) have non-finite scores, e.g. "
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
