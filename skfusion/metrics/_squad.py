"""SQuAD 2.0 answer normalisation, EM, F1 and reports, as ``evaluate-v2.0.py``."""

import collections
import re
import string

import numpy as np
from numpy.typing import ArrayLike

# str.translate deletes exactly the characters the official script filters out.
_NO_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_TUNE_KEYS = {"accuracy": "accuracy", "squad_em": "em", "squad_f1": "f1"}


def normalize_answer(text: str) -> str:
    """Normalise an answer as SQuAD does before comparing it.

    Parameters
    ----------
    text : str
        An answer or a prediction.

    Returns
    -------
    normalized : str
        Lower case, without punctuation or the articles "a", "an" and "the",
        white space squashed to one space.

    See Also
    --------
    exact_match : Compares two normalised answers.

    Notes
    -----
    The steps, in order, of ``normalize_answer`` in the official SQuAD 2.0
    script ``evaluate-v2.0.py`` (Rajpurkar, Jia and Liang, ACL 2018).

    Examples
    --------
    >>> from skfusion.metrics import normalize_answer
    >>> normalize_answer("The  Eiffel Tower!")
    'eiffel tower'
    """
    text = text.lower().translate(_NO_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(gold: str, prediction: str) -> int:
    """Exact match of a prediction against one gold answer.

    Parameters
    ----------
    gold, prediction : str
        A gold answer and a predicted one ("" for "no answer").

    Returns
    -------
    match : int
        1 if the normalised strings are equal, else 0.

    See Also
    --------
    f1_overlap : Partial credit by token overlap.

    Examples
    --------
    >>> from skfusion.metrics import exact_match
    >>> exact_match("the Seine", "Seine"), exact_match("Seine", "Paris")
    (1, 0)
    """
    return int(normalize_answer(gold) == normalize_answer(prediction))


def f1_overlap(gold: str, prediction: str) -> float:
    """Token-overlap F1 of a prediction against one gold answer.

    Parameters
    ----------
    gold, prediction : str
        A gold answer and a predicted one ("" for "no answer").

    Returns
    -------
    f1 : float
        Harmonic mean of the precision and recall of the normalised tokens;
        where either side has no tokens, 1.0 if both have none, else 0.0.

    See Also
    --------
    exact_match : All-or-nothing credit.

    Examples
    --------
    >>> from skfusion.metrics import f1_overlap
    >>> f1_overlap("river Seine", "the Seine")
    0.6666666666666666
    """
    return _token_f1(
        normalize_answer(gold).split(), normalize_answer(prediction).split()
    )


def _token_f1(gold_tokens, pred_tokens):
    if not gold_tokens or not pred_tokens:
        return float(gold_tokens == pred_tokens)
    same = sum(
        (collections.Counter(gold_tokens) & collections.Counter(pred_tokens)).values()
    )
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def answer_credit(golds: list[str], prediction: str) -> tuple[int, float]:
    """EM and F1 of one prediction against a question's gold answers.

    Parameters
    ----------
    golds : list of str
        The question's gold answers; those normalising to "" are dropped, ""
        standing alone where none is left (an unanswerable question).
    prediction : str
        The predicted answer.

    Returns
    -------
    em, f1 : int, float
        The best exact match and F1 over the gold answers.

    See Also
    --------
    squad2_credit : The credit of a no-answer decision per question.

    Examples
    --------
    >>> from skfusion.metrics import answer_credit
    >>> answer_credit(["the Seine", "river Seine"], "Seine")
    (1, 1.0)
    """
    normalized = map(normalize_answer, dict.fromkeys(golds))
    return _normalized_credit(list(normalized), normalize_answer(prediction))


def _normalized_credit(golds, pred):
    golds = [n for n in dict.fromkeys(golds) if n] or [""]
    if pred in golds:
        return 1, 1.0  # equal tokens: F1 1.0, the most it can be
    return 0, max(_token_f1(g.split(), pred.split()) for g in golds)


def _answer_credits(golds, predictions):
    """EM and F1 arrays of `answer_credit` of each prediction."""
    distinct = dict.fromkeys(g for question in golds for g in question)
    normal = dict(zip(distinct, _normalize_all(list(distinct)), strict=True))
    credit = [
        _normalized_credit([normal[g] for g in question], pred)
        for question, pred in zip(golds, _normalize_all(predictions), strict=True)
    ]
    em, f1 = zip(*credit, strict=True) if credit else ((), ())
    return np.array(em, dtype=float), np.array(f1, dtype=float)


def _normalize_all(texts):
    """``[normalize_answer(t) for t in texts]`` in a few calls on one string."""
    # NUL bounds the steps as a string's ends do (no step changes it, nor
    # treats it as a letter, a word character or space): texts holding one
    # are normalised one by one.
    joined = "\0".join(texts)
    if not texts or joined.count("\0") != len(texts) - 1:
        return list(map(normalize_answer, texts))
    joined = _ARTICLES.sub(" ", joined.lower().translate(_NO_PUNCTUATION))
    return [" ".join(text.split()) for text in joined.split("\0")]


def squad2_credit(
    predicted_null: ArrayLike, unanswerable: ArrayLike, answer_credit: ArrayLike
) -> np.ndarray:
    """Per-question SQuAD 2.0 EM (or F1) of a no-answer decision.

    Parameters
    ----------
    predicted_null : array-like of shape (n_questions,) of bool
        True where "no answer" is predicted.
    unanswerable : array-like of shape (n_questions,) of bool
        True where the question has no answer.
    answer_credit : array-like of shape (n_questions,)
        Each question's EM (or F1) if its best span is the answer, as
        `answer_credit` computes it.

    Returns
    -------
    credit : ndarray of shape (n_questions,)
        Where "no answer" is predicted, 1 if the question is unanswerable,
        else 0; elsewhere `answer_credit`.

    See Also
    --------
    squad2_report : Averages the credit as the official script reports it.

    Notes
    -----
    The official script's ``apply_no_ans_threshold``.

    Examples
    --------
    >>> from skfusion.metrics import squad2_credit
    >>> squad2_credit([True, False, True], [True, False, False], [0.0, 0.5, 1.0])
    array([1. , 0.5, 0. ])
    """
    unanswerable = np.asarray(unanswerable, dtype=bool).astype(float)
    credit = np.asarray(answer_credit, dtype=float)
    return np.where(np.asarray(predicted_null, dtype=bool), unanswerable, credit)


def squad2_sample_weight(
    unanswerable: ArrayLike, answer_credit: ArrayLike
) -> np.ndarray:
    """Sample weights under which accuracy is the SQuAD 2.0 EM (or F1) total.

    Parameters
    ----------
    unanswerable : array-like of shape (n_questions,) of bool
        True where the question has no answer.
    answer_credit : array-like of shape (n_questions,)
        As for `squad2_credit`.

    Returns
    -------
    sample_weight : ndarray of shape (n_questions,)
        What answering an answerable question gains, ``answer_credit``, and
        what "no answer" gains over answering an unanswerable one, ``1 -
        answer_credit``.

    See Also
    --------
    squad2_credit : The credit whose total the weighted accuracy tracks.

    Notes
    -----
    The SQuAD total is a constant plus the weighted number of correct
    predictions, so that maximising weighted accuracy maximises EM (or F1),
    as the official script's ``find_best_thresh`` does.

    Examples
    --------
    >>> from skfusion.metrics import squad2_sample_weight
    >>> squad2_sample_weight([True, False, False], [0.0, 1.0, 0.5])
    array([1. , 1. , 0.5])
    """
    credit = np.asarray(answer_credit, dtype=float)
    return np.where(np.asarray(unanswerable, dtype=bool), 1.0 - credit, credit)


def _percent_report(unanswerable, values):
    """Each of `values` averaged in percent, then per subset, with the counts."""
    report = {}
    for prefix, rows in (
        ("", True),
        ("HasAns_", ~unanswerable),
        ("NoAns_", unanswerable),
    ):
        rows = np.broadcast_to(rows, unanswerable.shape)
        if rows.any():
            for key, value in values.items():
                report[f"{prefix}{key}"] = 100.0 * float(value[rows].mean())
            report[f"{prefix}total"] = int(rows.sum())
    return report


def squad2_report(
    predicted_null: ArrayLike, unanswerable: ArrayLike, em: ArrayLike, f1: ArrayLike
) -> dict:
    """Summarise no-answer decisions as the official script does.

    Parameters
    ----------
    predicted_null : array-like of shape (n_questions,) of bool
        True where "no answer" is predicted.
    unanswerable : array-like of shape (n_questions,) of bool
        True where the question has no answer.
    em, f1 : array-like of shape (n_questions,)
        Each question's EM and F1 if its best span is the answer.

    Returns
    -------
    report : dict
        ``exact``, ``f1`` and ``total``, then the same prefixed ``HasAns_``
        and ``NoAns_`` (an empty subset left out), in percent: what
        ``evaluate-v2.0.py`` prints.

    See Also
    --------
    squad2_credit : The per-question credit that is averaged.

    Examples
    --------
    >>> from skfusion.metrics import squad2_report
    >>> report = squad2_report([False, True], [False, True], [1, 0], [1.0, 0.0])
    >>> report["exact"], report["HasAns_total"], report["NoAns_f1"]
    (100.0, 1, 100.0)
    """
    unanswerable = np.asarray(unanswerable, dtype=bool)
    credit = {
        k: squad2_credit(predicted_null, unanswerable, v)
        for k, v in [("exact", em), ("f1", f1)]
    }
    return _percent_report(unanswerable, credit)


def tuning_sample_weight(
    unanswerable: ArrayLike,
    tune: str,
    *,
    em: ArrayLike | None = None,
    f1: ArrayLike | None = None,
) -> np.ndarray | None:
    """Sample weights under which weighted accuracy is the metric to tune.

    Parameters
    ----------
    unanswerable : array-like of shape (n_questions,) of bool
        True where the question has no answer.
    tune : {"accuracy", "squad_em", "squad_f1"}
        The metric: accuracy of the no-answer decision (no weights), or the
        SQuAD 2.0 EM or F1 total (`squad2_sample_weight` of `em` or `f1`).
    em, f1 : array-like of shape (n_questions,), default=None
        Each question's EM and F1 if its best span is the answer; the one
        `tune` names is required (else ValueError).

    Returns
    -------
    sample_weight : ndarray of shape (n_questions,) or None
        None for ``tune="accuracy"``.

    See Also
    --------
    squad2_sample_weight : The weights of one credit.
    skfusion.model_selection.compare_estimators : Fits with these weights.

    Examples
    --------
    >>> from skfusion.metrics import tuning_sample_weight
    >>> tuning_sample_weight([True, False], "squad_f1", f1=[0.0, 0.5])
    array([1. , 0.5])
    >>> tuning_sample_weight([True, False], "accuracy") is None
    True
    """
    if tune not in _TUNE_KEYS:
        raise ValueError(f"tune={tune!r} must be one of {list(_TUNE_KEYS)}.")
    key = _TUNE_KEYS[tune]
    if key == "accuracy":
        return None
    credit = em if key == "em" else f1
    if credit is None:
        raise ValueError(f"tune={tune!r} needs each question's {key}.")
    return squad2_sample_weight(unanswerable, credit)


def no_answer_report(
    predicted_null: ArrayLike,
    unanswerable: ArrayLike,
    em: ArrayLike | None = None,
    f1: ArrayLike | None = None,
) -> dict:
    """Summarise no-answer decisions in percent, with or without EM and F1.

    Parameters
    ----------
    predicted_null : array-like of shape (n_questions,) of bool
        True where "no answer" is predicted.
    unanswerable : array-like of shape (n_questions,) of bool
        True where the question has no answer.
    em, f1 : array-like of shape (n_questions,), default=None
        Each question's EM and F1 if its best span is the answer. Without
        both, an answerable question counts as right when it is answered.

    Returns
    -------
    report : dict
        With `em` and `f1`, `squad2_report`. Without, ``accuracy`` and
        ``total``, then the same prefixed ``HasAns_`` and ``NoAns_``, in
        percent: ``exact`` where every answered question's span is right.

    See Also
    --------
    squad2_report : The report with EM and F1.

    Examples
    --------
    >>> from skfusion.metrics import no_answer_report
    >>> report = no_answer_report([True, True, False], [True, False, False])
    >>> report["accuracy"], report["HasAns_accuracy"], report["NoAns_total"]
    (66.66..., 50.0, 1)
    """
    if em is not None and f1 is not None:
        return squad2_report(predicted_null, unanswerable, em, f1)
    unanswerable = np.asarray(unanswerable, dtype=bool)
    correct = np.asarray(predicted_null, dtype=bool) == unanswerable
    return _percent_report(unanswerable, {"accuracy": correct})
