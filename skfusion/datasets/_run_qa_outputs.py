"""What transformers' run_qa writes for a question, and its files' names.

The n-best list and null odds that ``postprocess_qa_predictions``
(examples/pytorch/question-answering/utils_qa.py) builds from a question's
top start and end logits, for `write_squad_example`'s simulated reader.
"""

import numpy as np

# transformers' run_qa defaults (postprocess_qa_predictions).
N_BEST_SIZE = 20
MAX_ANSWER_LENGTH = 30


def _entry(start_logit, end_logit, text):
    """Make an nbest entry before its probability, keys in run_qa's order."""
    return {"start_logit": start_logit, "end_logit": end_logit, "text": text}


def _nbest_entries(context, offsets, starts, ends, null_logits):
    """Build a question's nbest list as transformers' run_qa builds it.

    Every valid (start, end) pair of the top positions and the null
    candidate are sorted by ``start_logit + end_logit``; the best
    `N_BEST_SIZE` are kept, the null one appended if it fell out, a fake
    "empty" span put first when no real span is left, and each entry gets
    the softmax of the listed scores as its probability.
    """
    prelim = [
        (ls + le, _entry(ls, le, context[offsets[s][0] : offsets[e][1]]))
        for s, ls in starts
        for e, le in ends
        if s <= e < s + MAX_ANSWER_LENGTH
    ]
    null = _entry(*null_logits, "")
    prelim.append((sum(null_logits), null))
    kept = sorted(prelim, key=lambda p: p[0], reverse=True)[:N_BEST_SIZE]
    if not any(entry is null for _, entry in kept):
        kept.append((sum(null_logits), null))
    if len(kept) == 1:
        kept.insert(0, (0.0, {"text": "empty", "start_logit": 0.0, "end_logit": 0.0}))
    scores = np.array([score for score, _ in kept])
    exp_scores = np.exp(scores - scores.max())
    probabilities = exp_scores / exp_scores.sum()
    return [
        {**entry, "probability": float(p)}
        for (_, entry), p in zip(kept, probabilities, strict=True)
    ]


def _null_odds(nbest):
    """run_qa's score difference: null score minus the best non-null span's."""
    null = next(e for e in nbest if e["text"] == "")
    best = next(e for e in nbest if e["text"] != "")
    null_score = null["start_logit"] + null["end_logit"]
    return float(null_score - best["start_logit"] - best["end_logit"]), best["text"]


def _output_names(prefix):
    """run_qa's output file names, ``{prefix}_`` in front when given."""
    names = {
        "nbest": "nbest_predictions.json",
        "null_odds": "null_odds.json",
        "predictions": "predictions.json",
    }
    if prefix is None:
        return names
    return {key: f"{prefix}_{name}" for key, name in names.items()}
