"""Scores from a reader's n-best lists, in the reader's precision, and checks."""

import numpy as np

from ._base import few, json_number, short, warn

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


def _candidates(entries, path, qid, keys):
    """Yield each candidate's text, scores and entry, checked.

    run_qa_beam_search's placeholder (text "") has start and end logits.
    """
    if not isinstance(entries, list) or not entries:
        raise ValueError(
            f"{path}: question {short(qid)}: expected a non-empty list of candidates "
            f"(objects with text, {', '.join(keys)}), found {short(entries)}."
        )
    for entry in entries:
        text = entry.get("text") if isinstance(entry, dict) else None
        if not isinstance(text, str):
            raise ValueError(
                f"{path}: question {short(qid)}: candidate {short(entry)} lacks a "
                f"string 'text'; expected objects with text, {', '.join(keys)}."
            )
        own = keys
        if keys[0] not in entry and text == "" and keys[0] == "start_log_prob":
            own = ENTRY_SCORES["logits"]
        scores = [entry.get(key) for key in own]
        for k, value in enumerate(scores):
            # Finite floats, nearly every score, skip the full check.
            if type(value) is not float or value - value != 0.0:
                scores[k] = json_number(value, path, qid, own[k])
        yield text, scores, entry


def _is_null(text, entry):
    """Tell the null candidate: text "" (and offsets [0, 0] where given)."""
    return text == "" and list(entry.get("offsets") or [0, 0]) == [0, 0]


def _precision(values):
    """Return the coarsest float type that holds every value exactly."""
    values = np.asarray(values, dtype=np.float64)
    for dtype in (np.float16, np.float32):
        with np.errstate(over="ignore"):
            if np.array_equal(values.astype(dtype).astype(np.float64), values):
                return dtype
    return np.float64


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
    beam = kind == "log_probs"
    texts, scores, nulls, bounds = [], [], [], []
    for qid in ids:
        start = len(texts)
        for text, row, entry in _candidates(nbest[qid], path, qid, ENTRY_SCORES[kind]):
            if not beam and len(nulls) == len(bounds) and _is_null(text, entry):
                nulls.append(len(texts))
            texts.append(text)
            scores.append(row)
        if len(nulls) == len(bounds) and not beam:
            raise ValueError(
                f'{path}: question {short(qid)} has no null candidate (text ""): '
                "expected the n-best lists of a reader run with "
                "version_2_with_negative."
            )
        bounds.append((start, len(texts)))
    cells = np.array(scores, dtype=np.float64)
    # Beam search's placeholder (text "") is no candidate and no score of the run.
    dtype = _precision(cells[[bool(t) or not beam for t in texts]])
    totals = cells[:, 0].astype(dtype)
    if cells.shape[1] == 2:
        totals = totals + cells[:, 1].astype(dtype)
    totals = totals.tolist()
    placeholder = [
        t == _PLACEHOLDER_TEXT and not any(s)
        for t, s in zip(texts, scores, strict=True)
    ]
    rows, span_text = [], []
    no_span = np.zeros(len(ids), dtype=bool)
    for i, (start, stop) in enumerate(bounds):
        spans = [k for k in range(start, stop) if texts[k] and not placeholder[k]]
        if spans:
            best = max(spans, key=totals.__getitem__)  # the first of the highest
            span = scores[best]
        else:
            no_span[i] = True
            fill = [k for k in range(start, stop) if placeholder[k]] or [None]
            best = start if beam else fill[0]
            span = [0.0] * cells.shape[1] if best is None else scores[best]
        span_text.append(None if no_span[i] else texts[best])
        rows.append(span if beam else [*scores[nulls[i]], *span])
    if no_span.any():
        warn(
            f"{path}: {no_span.sum()} question(s) have no candidate span, only the "
            f"reader's placeholder, e.g. "
            f"{few(np.asarray(ids, dtype=object)[no_span])}; their span scores are "
            "the placeholder's (0.0 for 'empty'), as the reader scored them."
        )
    return kind, np.array(rows), _COLUMNS[kind], span_text, no_span, dtype


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
    precision, or 1e-4, whichever is larger; a mismatch beyond it means the
    files come from different runs.
    """
    expected = reader_null_odds(X, kind, dtype)
    bound = 2 * np.finfo(dtype).eps * np.abs(X).sum(axis=1)
    off = np.abs(null_odds - expected) > np.maximum(
        bound, 1e-4 + 1e-5 * np.abs(expected)
    )
    if off.any():
        warn(
            f"{path}: for {off.sum()} question(s) null_odds is not the n-best's "
            f"null - best span score, e.g. {few(np.asarray(ids, dtype=object)[off])}; "
            "using the n-best's scores."
        )


def warn_predictions_mismatch(predicted, span_text, no_span, ids, path):
    """Warn, with a count, where predictions.json answers other than the best span.

    "" (the reader's "no answer") and questions without a span are not compared.
    """
    pairs = zip(predicted, span_text, no_span, strict=True)
    off = np.array([p not in (None, t) and not none for p, t, none in pairs])
    if off.any():
        warn(
            f"{path}: {off.sum()} answer(s) are not the n-best's best span, e.g. "
            f"{few(np.asarray(ids, dtype=object)[off])}; using the n-best's spans."
        )
