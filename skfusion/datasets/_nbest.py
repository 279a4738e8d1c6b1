"""Per-head scores from a reader's n-best lists, and their null_odds check."""

import warnings

import numpy as np

from ._base import few, json_number, short

# BERT's run_squad.py and transformers' run_qa.py put this entry first when a
# question has no valid span, and score it 0 + 0 in null_odds.
_PLACEHOLDER_TEXT = "empty"


def nbest_columns(nbest, ids, path):
    """Per-head columns, best span texts and the no-span mask of `ids`.

    Returns ``(X, span_text, no_span)``: X holds, per question, the start
    and end logits of the null candidate (text "") and of the best non-null
    candidate by start + end logit (the first on a tie, as the readers'
    sorted lists give it). A question whose only non-null entry is the
    readers' placeholder ``{"text": "empty", 0.0, 0.0}`` has no span: its
    span logits are 0.0, as the readers score the placeholder, and its span
    text is None.
    """
    X = np.empty((len(ids), 4))
    span_text, no_span = [], np.zeros(len(ids), dtype=bool)
    for i, qid in enumerate(ids):
        entries = _checked_entries(nbest[qid], path, qid)
        null = _null_candidate(entries, path, qid)
        spans = [e for e in entries if e["text"] and not _is_placeholder(e)]
        if spans:
            best = max(spans, key=lambda e: e["start_logit"] + e["end_logit"])
            X[i] = null["start_logit"], null["end_logit"], *_logits(best)
            span_text.append(best["text"])
        else:
            X[i] = null["start_logit"], null["end_logit"], 0.0, 0.0
            span_text.append(None)
            no_span[i] = True
    return X, span_text, no_span


def _logits(entry):
    return entry["start_logit"], entry["end_logit"]


def _is_placeholder(entry):
    return entry["text"] == _PLACEHOLDER_TEXT and _logits(entry) == (0.0, 0.0)


def _checked_entries(entries, path, qid):
    """Return the entries with their logits as floats; raise on bad types."""
    if not isinstance(entries, list) or not entries:
        raise ValueError(
            f"{path}: question {short(qid)}: expected a non-empty list of candidates "
            f"(objects with text, start_logit, end_logit), found {short(entries)}."
        )
    checked = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            raise ValueError(
                f"{path}: question {short(qid)}: candidate {short(entry)} lacks a "
                "string 'text'; expected objects with text, start_logit, end_logit."
            )
        checked.append(
            {
                **entry,
                "start_logit": json_number(
                    entry.get("start_logit"), path, qid, "start_logit"
                ),
                "end_logit": json_number(
                    entry.get("end_logit"), path, qid, "end_logit"
                ),
            }
        )
    return checked


def _null_candidate(entries, path, qid):
    """Return the entry with text "" (and offsets [0, 0] where given)."""
    nulls = [
        e for e in entries if e["text"] == "" and e.get("offsets", [0, 0]) == [0, 0]
    ]
    if not nulls:
        raise ValueError(
            f'{path}: question {short(qid)} has no null candidate (text ""): expected '
            "the n-best lists of a reader run with version_2_with_negative."
        )
    return nulls[0]


def warn_null_odds_mismatch(null_odds, X, ids, path):
    """Warn, with a count, where null_odds is not null score minus span score.

    transformers and BERT write ``null_odds = null - (span start + end)``
    from the same logits as the n-best lists, in float32 or float64; a
    mismatch beyond rounding means the two files come from different runs.
    """
    computed = (X[:, 0] + X[:, 1]) - (X[:, 2] + X[:, 3])
    off = ~np.isclose(null_odds, computed, rtol=1e-5, atol=1e-4)
    if off.any():
        warnings.warn(
            f"{path}: for {off.sum()} question(s) null_odds is not the n-best's "
            f"null - best span score, e.g. {few(np.asarray(ids, dtype=object)[off])}; "
            "using the n-best's per-head scores.",
            UserWarning,
            stacklevel=3,
        )
