"""Which questions a run loads, and each one's credit for its best span.

The ids come from the dev file (else the run's first file), checked against
every file's; the credit is the EM and F1 that answering each question with
the reader's best span earns, as the official SQuAD 2.0 script scores it.
"""

import warnings

import numpy as np

from ..metrics._squad import _answer_credits
from ._base import check_same_ids


def _question_ids(sources, files, answers, dev, subset):
    """Return the questions to load: dev's (or the first file's) ids."""
    named = [(str(files[k]), list(v)) for k, v in sources.items()]
    if answers is not None:
        named.insert(0, (str(dev), list(answers)))
    ids = named[0][1]
    if subset == "intersection":
        kept = set(ids).intersection(*(set(found) for _, found in named[1:]))
        ids = [q for q in ids if q in kept]
        if not ids:
            raise ValueError(f"{', '.join(n for n, _ in named)}: no id in common.")
        dropped = [f"{len(found) - len(ids)} of {n}" for n, found in named]
        if len(ids) < max(len(found) for _, found in named):
            # Level 5 is past _load_json_outputs, _load_one and
            # load_reader_outputs: the warning names the caller's line.
            warnings.warn(
                f"Kept the {len(ids)} question(s) present in every file; dropped "
                + ", ".join(dropped)
                + ".",
                UserWarning,
                stacklevel=5,
            )
        return ids
    for name, found in named[1:]:
        check_same_ids(ids, found, name)
    return ids


def _labels_and_credit(answers, ids, run):
    """Return each question's label (unanswerable) and EM and F1 credit.

    All three are None without dev answers (new questions to predict on).
    """
    if answers is None:
        return None, None, None
    target = np.array([not answers[q] for q in ids])
    return (target, *_credit(answers, ids, run.span_text, target, run.no_span))


def _credit(answers, ids, span_text, target, no_span):
    """Per-question EM and F1 of answering with the best span.

    An answer whose text is unknown ("" in predictions.json) is taken to
    score 0 on an unanswerable question; on an answerable one it makes the
    credit unknown (None, None). A question without a span can only be
    answered "": it gets the credit of "".
    """
    if span_text is None:
        return None, None
    texts = list(span_text)
    if no_span is not None:
        for i in np.flatnonzero(no_span).tolist():
            texts[i] = ""
    unknown = np.array([text is None for text in texts], dtype=bool)
    if not target[unknown].all():
        return None, None
    known = np.flatnonzero(~unknown).tolist()
    em, f1 = np.zeros(len(ids)), np.zeros(len(ids))  # unknown texts score 0
    em[known], f1[known] = _answer_credits(
        [answers[ids[i]] for i in known], [texts[i] for i in known]
    )
    return em, f1
