"""The reader's choice from well-formed n-best lists, in whole-file array passes.

`nbest_columns` calls `plain_columns` first; it returns None wherever a list
is not plain (a missing key, a JSON integer, a non-finite score, a question
without a null candidate...), and the checked per-candidate pass then gives
the same columns or the error naming the file and the question. The
selection is that pass's: the first candidate of highest ``start + end``
summed in the file's precision, as numpy adds in that precision elementwise
exactly as it adds two scalars.
"""

import itertools
import operator
from operator import itemgetter

import numpy as np

_PLACEHOLDER_TEXT = "empty"


def plain_columns(nbest, ids, kind, keys, precision):
    """Return ``(X, span_text, no_span, dtype)``, or None if a list is not plain.

    `keys` are the score keys of `kind`, `precision` the function that picks
    the coarsest float type holding every score exactly.
    """
    found = _plain_entries(nbest, ids, keys)
    if found is None:
        return None
    counts, flat, texts, cols = found
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    seg = np.repeat(np.arange(len(counts)), counts)
    empty = np.array(list(map(operator.not_, texts)), dtype=bool)
    placeholder = _placeholders(texts, cols)
    if kind == "log_probs":
        dtype = precision(np.concatenate([c[~empty] for c in cols]))
        null = []
    else:
        dtype = precision(np.concatenate(cols))
        nulls = _null_mask(flat, empty)
        if nulls is None:
            return None
        first_null = _first_per_segment(nulls, seg, len(counts))
        if (first_null < 0).any():
            return None  # the checked pass names the question
        null = [c[first_null] for c in cols]
    valid = ~empty & ~placeholder
    best, has = _best_spans(cols, valid, seg, starts, dtype)
    no_span = ~has
    fill = _no_span_rows(kind, placeholder, seg, starts, len(counts))
    best = np.where(has, best, fill)
    span = [
        np.where(best >= 0, c[np.maximum(best, 0)], 0.0) for c in cols
    ]  # a missing placeholder scores 0.0
    span_text = [
        texts[i] if ok else None
        for i, ok in zip(best.tolist(), has.tolist(), strict=True)
    ]
    return np.column_stack([*null, *span]), span_text, no_span, dtype


def _plain_entries(nbest, ids, keys):
    """Candidate counts, texts and score arrays; None unless all are plain."""
    try:
        lists = [nbest[q] for q in ids]
        if set(map(type, lists)) != {list}:
            return None
        counts = np.fromiter(map(len, lists), dtype=np.intp, count=len(lists))
        if not counts.all():
            return None
        flat = list(itertools.chain.from_iterable(lists))
        # A value that is not an object fails the lookups: a TypeError.
        texts = list(map(itemgetter("text"), flat))
        if set(map(type, texts)) != {str}:
            return None
        scores = [list(map(itemgetter(key), flat)) for key in keys]
    except (KeyError, TypeError):
        return None
    if any(set(map(type, s)) != {float} for s in scores):
        return None  # integers, booleans, strings, null: the checked pass
    cols = [np.array(s, dtype=np.float64) for s in scores]
    if not all(np.isfinite(c).all() for c in cols):
        return None
    return counts, flat, texts, cols


def _placeholders(texts, cols):
    """Where a candidate is the readers' ``{"text": "empty"}`` scored 0."""
    mask = cols[0] == 0.0
    for c in cols[1:]:
        mask &= c == 0.0
    for i in np.flatnonzero(mask).tolist():
        mask[i] = texts[i] == _PLACEHOLDER_TEXT
    return mask


def _null_mask(flat, empty):
    """Where a candidate is a null one: text "" and offsets [0, 0] if given.

    None where an offsets value is odd: the checked pass deals with it.
    """
    mask = empty.copy()
    try:
        for i in np.flatnonzero(empty).tolist():
            mask[i] = list(flat[i].get("offsets") or [0, 0]) == [0, 0]
    except Exception:
        return None
    return mask


def _first_per_segment(mask, seg, n):
    """Index of the first True of `mask` in each segment, -1 where none."""
    first = np.full(n, -1, dtype=np.intp)
    hits = np.flatnonzero(mask)
    if hits.size:
        owner = seg[hits]
        lead = np.concatenate(([True], owner[1:] != owner[:-1]))
        first[owner[lead]] = hits[lead]
    return first


def _best_spans(cols, valid, seg, starts, dtype):
    """First candidate of highest total per question, and which have one."""
    total = cols[0].astype(dtype)
    for c in cols[1:]:
        total = total + c.astype(dtype)
    total = np.where(valid, total, -np.inf).astype(dtype, copy=False)
    has = np.logical_or.reduceat(valid, starts)
    top = np.maximum.reduceat(total, starts)
    best = _first_per_segment(valid & (total == top[seg]), seg, len(starts))
    return best, has


def _no_span_rows(kind, placeholder, seg, starts, n):
    """Return the candidate scoring a question without span (-1: none, 0.0)."""
    if kind == "log_probs":
        return starts  # the beam-search readers' first entry
    return _first_per_segment(placeholder, seg, n)
