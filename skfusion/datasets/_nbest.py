"""Scores from a reader's n-best lists, in the reader's precision, and checks."""

import warnings

import numpy as np

from ._base import few, json_number, short
from ._nbest_fast import plain_columns

# BERT's run_squad.py, transformers' run_qa.py and JointSpanExtraction put
# this entry first when a question has no valid span, and score it 0.
_PLACEHOLDER_TEXT = "empty"

# The score keys of each kind of n-best entry: independent start and end
# logits (BERT, run_qa, legacy run_squad), beam-search log-probabilities
# (XLNet/XLM), or one joint span score (JointSpanExtraction).
ENTRY_SCORES = {
    "logits": ("start_logit", "end_logit"),
    "log_probs": ("start_log_prob", "end_log_prob"),
    "joint": ("logit",),
}
_COLUMNS = {
    "logits": [
        "null_start_logit",
        "null_end_logit",
        "span_start_logit",
        "span_end_logit",
    ],
    "log_probs": ["span_start_log_prob", "span_end_log_prob"],
    "joint": ["null_score", "span_score"],
}


def entry_kind(nbest, ids):
    """Which scores the n-best entries carry: a key of `ENTRY_SCORES`."""
    keys = set()
    for qid in ids:
        entries = nbest.get(qid)
        # A list's first and last entries show its keys (a placeholder,
        # when there is one, is alone or first).
        if isinstance(entries, list) and entries:
            for entry in (entries[0], entries[-1]):
                keys.update(entry if isinstance(entry, dict) else ())
    if "start_log_prob" in keys:
        return "log_probs"
    if "logit" in keys and "start_logit" not in keys:
        return "joint"
    return "logits"


def nbest_columns(nbest, ids, path):
    """Columns, best span texts, no-span mask and precision of `ids`.

    Returns ``(kind, X, names, span_text, no_span, dtype)``. The best span is
    the first candidate (in the file's order, which is the reader's) with
    the highest score, the score summed in the coarsest precision that holds
    every score of the file exactly (float16 for a half-precision run): a
    reader sorts its candidates by that sum in its own precision, so this is
    the reader's own choice. A question without a span (only the reader's
    placeholder) gets the placeholder's scores and span text None.
    """
    kind = entry_kind(nbest, ids)
    found = plain_columns(nbest, ids, kind, ENTRY_SCORES[kind], _precision)
    if found is None:
        found = checked_columns(nbest, ids, path, kind)
    X, span_text, no_span, dtype = found
    return kind, X, _COLUMNS[kind], span_text, no_span, dtype


def checked_columns(nbest, ids, path, kind):
    """`nbest_columns`' selection, one candidate at a time, checking each."""
    dtype = _precision(_all_scores(nbest, ids, kind))
    rows, span_text = [], []
    no_span = np.zeros(len(ids), dtype=bool)
    for i, qid in enumerate(ids):
        # Checked again rather than kept: holding a few objects per candidate
        # for the whole file makes Python's garbage collector scan the parsed
        # JSON over and over (several times slower on SQuAD's dev set).
        entries = _checked_entries(nbest[qid], path, qid, kind)
        null = [] if kind == "log_probs" else _null_candidate(entries, path, qid)
        spans = [e for e in entries if e["text"] and not _is_placeholder(e)]
        if spans:
            totals = [_total(e["scores"], dtype) for e in spans]
            best = spans[max(range(len(spans)), key=totals.__getitem__)]
            span_text.append(best["text"])
        else:
            best = _no_span_scores(entries, kind)
            span_text.append(None)
            no_span[i] = True
        rows.append([*null, *best["scores"]])
    return np.array(rows, dtype=float), span_text, no_span, dtype


def _all_scores(nbest, ids, kind):
    """Every candidate's float scores, beam search's placeholder aside.

    Not checked here (`_checked_entries` does it); the placeholders' 0.0
    and JSON integers are exact in every precision.
    """
    keys, values = ENTRY_SCORES[kind], []
    for qid in ids:
        entries = nbest.get(qid)
        for e in entries if isinstance(entries, list) else ():
            if isinstance(e, dict) and (kind != "log_probs" or e.get("text")):
                values.extend(v for k in keys if type(v := e.get(k)) is float)
    return values


def _total(scores, dtype):
    """Return the sum the reader sorts by, ``start + end``, in its precision."""
    if dtype is np.float64:
        return sum(scores)  # Python floats are float64
    total = dtype(scores[0])
    for score in scores[1:]:
        total = total + dtype(score)
    return total


def _precision(values):
    """Return the coarsest float type that holds every value exactly."""
    values = np.asarray(values, dtype=np.float64)
    for dtype in (np.float16, np.float32):
        with np.errstate(over="ignore"):
            if np.array_equal(values.astype(dtype).astype(np.float64), values):
                return dtype
    return np.float64


def _is_placeholder(entry):
    return entry["text"] == _PLACEHOLDER_TEXT and not any(entry["scores"])


def _no_span_scores(entries, kind):
    """Return the placeholder (how the reader scores a question without span)."""
    if kind == "log_probs":
        # run_qa_beam_search writes {"text": "", "start_logit": -1e-6, ...},
        # the legacy XLNet code {"text": "", "start_log_prob": -1e6, ...}.
        return entries[0]
    placeholders = [e for e in entries if _is_placeholder(e)]
    return (
        placeholders[0]
        if placeholders
        else {"scores": (0.0,) * len(ENTRY_SCORES[kind])}
    )


def _checked_entries(entries, path, qid, kind):
    """Return ``{"text", "scores", "offsets"}`` per entry; raise on bad types."""
    keys = ENTRY_SCORES[kind]
    if not isinstance(entries, list) or not entries:
        raise ValueError(
            f"{path}: question {short(qid)}: expected a non-empty list of candidates "
            f"(objects with text, {', '.join(keys)}), found {short(entries)}."
        )
    checked = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            raise ValueError(
                f"{path}: question {short(qid)}: candidate {short(entry)} lacks a "
                f"string 'text'; expected objects with text, {', '.join(keys)}."
            )
        own = keys
        if kind == "log_probs" and keys[0] not in entry and entry["text"] == "":
            own = ENTRY_SCORES["logits"]  # run_qa_beam_search's placeholder
        scores = (_number(entry.get(own[0]), path, qid, own[0]),)
        if len(own) == 2:
            scores += (_number(entry.get(own[1]), path, qid, own[1]),)
        checked.append(
            {"text": entry["text"], "scores": scores, "offsets": entry.get("offsets")}
        )
    return checked


def _number(value, path, qid, key):
    # Finite floats, nearly every score, skip the full check.
    if type(value) is float and value - value == 0.0:
        return value
    return json_number(value, path, qid, key)


def _null_candidate(entries, path, qid):
    """Return the scores of the entry with text "" (offsets [0, 0] where given)."""
    nulls = [
        e
        for e in entries
        if e["text"] == "" and list(e.get("offsets") or [0, 0]) == [0, 0]
    ]
    if not nulls:
        raise ValueError(
            f'{path}: question {short(qid)} has no null candidate (text ""): expected '
            "the n-best lists of a reader run with version_2_with_negative."
        )
    return nulls[0]["scores"]


def reader_null_odds(X, kind, dtype):
    """null_odds as the reader computes it, in its precision and order.

    transformers and BERT write ``(null_start + null_end) - span_start -
    span_end``; JointSpanExtraction ``null - span``.
    """
    X = X.astype(dtype)
    if kind == "joint":
        return (X[:, 0] - X[:, 1]).astype(np.float64)
    return (((X[:, 0] + X[:, 1]) - X[:, 2]) - X[:, 3]).astype(np.float64)


def warn_null_odds_mismatch(null_odds, X, kind, dtype, ids, path):
    """Warn, with a count, where null_odds is not null score minus span score.

    The tolerance is the reader's own rounding: three operations in its
    precision (float16 for a half-precision run), or 1e-4, whichever is
    larger; a mismatch beyond it means the files come from different runs.
    """
    expected = reader_null_odds(X, kind, dtype)
    bound = 2 * np.finfo(dtype).eps * np.abs(X).sum(axis=1)
    off = np.abs(null_odds - expected) > np.maximum(
        bound, 1e-4 + 1e-5 * np.abs(expected)
    )
    if off.any():
        warnings.warn(
            f"{path}: for {off.sum()} question(s) null_odds is not the n-best's "
            f"null - best span score, e.g. {few(np.asarray(ids, dtype=object)[off])}; "
            "using the n-best's scores.",
            UserWarning,
            stacklevel=7,
        )
