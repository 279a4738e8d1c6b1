"""Tuning weights and reports of no-answer decisions (`skfusion.metrics`)."""

import numpy as np
from numpy.typing import ArrayLike

from ._squad import _percent_report, squad2_report, squad2_sample_weight

_TUNE_KEYS = {"accuracy": "accuracy", "squad_em": "em", "squad_f1": "f1"}


def _tune_metric(tune):
    """Return the score key ("accuracy", "em", "f1") that `tune` names."""
    if tune not in _TUNE_KEYS:
        raise ValueError(f"tune={tune!r} must be one of {list(_TUNE_KEYS)}.")
    return _TUNE_KEYS[tune]


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
        `tune` names is required.

    Returns
    -------
    sample_weight : ndarray of shape (n_questions,) or None
        None for ``tune="accuracy"``.

    Raises
    ------
    ValueError
        If `tune` is unknown or the credit it needs is None.

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
    key = _tune_metric(tune)
    if key == "accuracy":
        return None
    credit = em if key == "em" else f1
    if credit is None:
        raise ValueError(f"tune={tune!r} needs each question's {key}.")
    return squad2_sample_weight(unanswerable, credit)


def _tuning_weights(y, key, em, f1):
    """`tuning_sample_weight` for a score key of `_tune_metric`."""
    tune = {"em": "squad_em", "f1": "squad_f1"}.get(key, key)
    return tuning_sample_weight(y, tune, em=em, f1=f1)


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
        With `em` and `f1`, `squad2_report`: the official script's keys and
        values. Without, ``accuracy`` and ``total``, then the same prefixed
        ``HasAns_`` and ``NoAns_`` (an empty subset is left out), accuracy in
        percent: the official script's ``exact`` where every answered
        question's best span is right.

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
