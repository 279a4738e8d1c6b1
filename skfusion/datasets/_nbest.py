"""Scores from a reader's n-best lists, in the reader's precision, and checks."""

import operator

import numpy as np

from ._base import PER_HEAD_FEATURE_NAMES, few, json_number, short, warn

# What BERT, run_qa and JointSpanExtraction list first, scored 0, without a span.
_PLACEHOLDER_TEXT = "empty"
# The score keys of each kind of n-best entry: BERT's and run_qa's logits,
# XLNet/XLM's beam-search log-probabilities, JointSpanExtraction's joint score.
ENTRY_SCORES = {
    "logits": ("start_logit", "end_logit"),
    "log_probs": ("start_log_prob", "end_log_prob"),
    "joint": ("logit",),
}
_COLUMNS = {
    "logits": list(PER_HEAD_FEATURE_NAMES),
    "log_probs": ["span_start_log_prob", "span_end_log_prob"],
    "joint": ["null_score", "span_score"],
}


def entry_kind(nbest, ids):
    """Which scores the n-best entries carry: a key of `ENTRY_SCORES`."""
    keys = set()
    for qid in ids:
        entries = nbest.get(qid)
        # The first and last entries show the keys (a placeholder is first).
        if isinstance(entries, list) and entries:
            for entry in (entries[0], entries[-1]):
                keys.update(entry if isinstance(entry, dict) else ())
    if "start_log_prob" in keys:
        return "log_probs"
    if "logit" in keys and "start_logit" not in keys:
        return "joint"
    return "logits"


def _checked(entry, path, qid, keys):
    """Return a candidate's text and scores, or raise saying what is wrong."""
    text = entry.get("text") if isinstance(entry, dict) else None
    if not isinstance(text, str):
        raise ValueError(
            f"{path}: question {short(qid)}: candidate {short(entry)} lacks a "
            f"string 'text'; expected objects with text, {', '.join(keys)}."
        )
    if keys[0] == "start_log_prob" and keys[0] not in entry and text == "":
        keys = ENTRY_SCORES["logits"]  # run_qa_beam_search's placeholder
    return text, *(json_number(entry.get(k), path, qid, k) for k in keys)


def _precision(values):
    """Return the coarsest float type that holds every value exactly."""
    values = np.asarray(values, dtype=np.float64)
    for dtype in (np.float16, np.float32):
        with np.errstate(over="ignore"):
            if np.array_equal(values.astype(dtype).astype(np.float64), values):
                return dtype
    return np.float64


def nbest_columns(nbest, ids, path):
    """Return ``(kind, X, names, span_text, no_span, dtype)`` of `ids`."""
    # The best span: the first of highest score, summed in the coarsest
    # precision holding the file's scores, as the reader sorted them.
    kind = entry_kind(nbest, ids)
    keys, beam = ENTRY_SCORES[kind], kind == "log_probs"
    plain = operator.itemgetter("text", *keys)  # read in C, checked below
    candidates, nulls, starts = [], [], []
    for qid in ids:
        entries = nbest[qid]
        if not isinstance(entries, list) or not entries:
            raise ValueError(
                f"{path}: question {short(qid)}: expected a non-empty list of "
                f"candidates (objects with text, {', '.join(keys)}), found "
                f"{short(entries)}."
            )
        starts.append(len(candidates))
        for entry in entries:
            try:
                found = plain(entry)
            except (KeyError, TypeError):
                found = (None,)
            # Nearly every candidate is a string and floats (of one or two keys).
            if type(found[0]) is not str or type(found[1]) is not float or (
                type(found[-1]) is not float
            ):  # fmt: skip
                found = _checked(entry, path, qid, keys)
            # The question's null candidate: its first "" (offsets [0, 0]).
            if found[0] == "" and not beam and len(nulls) < len(starts):
                if list(entry.get("offsets") or [0, 0]) == [0, 0]:
                    nulls.append(len(candidates))
            candidates.append(found)
        if len(nulls) < len(starts) and not beam:
            raise ValueError(
                f'{path}: question {short(qid)} has no null candidate (text ""): '
                "expected the n-best lists of a reader run with "
                "version_2_with_negative."
            )
    texts, *scores = zip(*candidates, strict=True)
    texts, cells = np.array(texts, dtype=object), np.array(scores).T
    if not np.isfinite(cells).all():  # NaN and Infinity, which json reads
        k, column = np.argwhere(~np.isfinite(cells))[0]
        qid = ids[np.searchsorted(starts, k, side="right") - 1]
        json_number(cells[k, column], path, qid, keys[column])
    placeholder = (texts == _PLACEHOLDER_TEXT) & (cells == 0).all(axis=1)
    span = (texts != "") & ~placeholder
    # Beam search's placeholder (text "") is no candidate and no score of the run.
    dtype = _precision(cells[span | placeholder] if beam else cells)
    totals = cells[:, 0].astype(dtype)  # start + end, as the reader sums them
    if cells.shape[1] == 2:
        totals = totals + cells[:, 1].astype(dtype)
    # Per question, the first span of the highest total.
    question = np.repeat(np.arange(len(ids)), np.diff([*starts, len(candidates)]))
    masked = np.where(span, totals, -np.inf)
    hits = np.flatnonzero(
        span & (masked == np.maximum.reduceat(masked, starts)[question])
    )
    best = np.full(len(ids), -1)
    answerable, first = np.unique(question[hits], return_index=True)
    best[answerable] = hits[first]
    no_span = best < 0
    stops = [*starts[1:], len(candidates)]
    for i in np.flatnonzero(no_span).tolist():  # the placeholder's scores, if any
        fill = starts[i] + np.flatnonzero(placeholder[starts[i] : stops[i]])
        best[i] = starts[i] if beam else (fill[0] if fill.size else -1)
    X = np.where(best[:, None] >= 0, cells[best], 0.0)
    if not beam:
        X = np.hstack([cells[nulls], X])
    span_text = [
        None if none else t for t, none in zip(texts[best], no_span, strict=True)
    ]
    if no_span.any():
        warn(
            f"{path}: {no_span.sum()} question(s) have no candidate span, only the "
            f"reader's placeholder, e.g. "
            f"{few(np.asarray(ids, dtype=object)[no_span])}; their span scores are "
            "the placeholder's (0.0 for 'empty'), as the reader scored them."
        )
    return kind, X, _COLUMNS[kind], span_text, no_span, dtype


def warn_null_odds_mismatch(null_odds, X, kind, dtype, ids, path):
    """Warn, with a count, where null_odds is not null score minus span score."""
    # In the reader's precision and order, within its rounding or 1e-4.
    H = X.astype(dtype)
    expected = (
        H[:, 0] - H[:, 1]
        if kind == "joint"
        else ((H[:, 0] + H[:, 1]) - H[:, 2]) - H[:, 3]
    )
    expected = expected.astype(np.float64)
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
    """Warn, with a count, where an answer (not "") is not the best span."""
    pairs = zip(predicted, span_text, no_span, strict=True)
    off = np.array([p not in (None, t) and not none for p, t, none in pairs])
    if off.any():
        warn(
            f"{path}: {off.sum()} answer(s) are not the n-best's best span, e.g. "
            f"{few(np.asarray(ids, dtype=object)[off])}; using the n-best's spans."
        )
