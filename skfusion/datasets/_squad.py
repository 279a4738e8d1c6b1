"""SQuAD 2.0's answer normalisation and per-question EM and F1.

These follow the official SQuAD 2.0 evaluation script (``evaluate-v2.0.py``)
so that weights computed here give the same EM and F1 as the leaderboard.
"""

import collections
import re
import string

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation and articles, and squash white space."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(gold: str, prediction: str) -> int:
    """1 if the normalised strings are equal, else 0."""
    return int(normalize_answer(gold) == normalize_answer(prediction))


def f1_overlap(gold: str, prediction: str) -> float:
    """Token-overlap F1 of the normalised strings, as the official script."""
    gold_tokens = normalize_answer(gold).split()
    pred_tokens = normalize_answer(prediction).split()
    if not gold_tokens or not pred_tokens:
        return float(gold_tokens == pred_tokens)
    common = collections.Counter(gold_tokens) & collections.Counter(pred_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def read_dev_answers(dev: dict) -> dict[str, list[str]]:
    """Map each question id of a SQuAD 2.0 dataset to its gold answers.

    An unanswerable question (``is_impossible``, or no answer whose
    normalised text is non-empty) maps to an empty list. Duplicate ids are
    an error.
    """
    answers, duplicates = {}, []
    for article in dev.get("data", []):
        for paragraph in article.get("paragraphs", []):
            for qa in paragraph.get("qas", []):
                qid = qa["id"]
                if qid in answers:
                    duplicates.append(qid)
                golds = [a["text"] for a in qa.get("answers", [])]
                golds = [g for g in golds if normalize_answer(g)]
                answers[qid] = [] if qa.get("is_impossible") else golds
    if duplicates:
        raise ValueError(
            f"The dev file has {len(duplicates)} duplicate question id(s), "
            f"e.g. {_few(duplicates)}."
        )
    if not answers:
        raise ValueError("The dev file holds no questions (expected SQuAD's 'data').")
    return answers


def best_span_credit(golds: list[str], span_text: str) -> tuple[int, float]:
    """EM and F1 of `span_text` against an answerable question's golds."""
    return (
        max(exact_match(g, span_text) for g in golds),
        max(f1_overlap(g, span_text) for g in golds),
    )


def _few(items, k=3):
    return ", ".join(repr(i) for i in list(items)[:k])
