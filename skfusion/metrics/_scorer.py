"""SQuAD 2.0 EM and F1 as scikit-learn scorers, fed by metadata routing."""

import numpy as np
import sklearn
from numpy.typing import ArrayLike
from sklearn.metrics import make_scorer

from ._squad import squad2_credit

_METRICS = ("em", "f1")


def squad2_score(
    y_true: ArrayLike, y_pred: ArrayLike, *, answer_credit: ArrayLike, pos_label=True
) -> float:
    """Compute the SQuAD 2.0 EM (or F1) of no-answer decisions, as a fraction.

    Parameters
    ----------
    y_true : array-like of shape (n_questions,)
        True labels; `pos_label` marks unanswerable questions.
    y_pred : array-like of shape (n_questions,)
        Predicted labels; `pos_label` means "no answer".
    answer_credit : array-like of shape (n_questions,)
        Each question's EM (or F1) if its best span is the answer.
    pos_label : int, float, bool or str, default=True
        The label meaning "no answer".

    Returns
    -------
    score : float
        The official script's ``exact`` (or ``f1``) divided by 100.

    See Also
    --------
    make_squad2_scorer : This score as a scorer for cross-validation.
    squad2_credit : The per-question credit that is averaged.

    Examples
    --------
    >>> from skfusion.metrics import squad2_score
    >>> squad2_score([True, False, False], [True, False, True],
    ...              answer_credit=[0.0, 1.0, 1.0])
    0.666...
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    credit = np.asarray(answer_credit, dtype=float)
    if not y_true.shape == y_pred.shape == credit.shape:
        raise ValueError(
            "y_true, y_pred and answer_credit must have one entry per question; "
            f"got shapes {y_true.shape}, {y_pred.shape} and {credit.shape}."
        )
    predicted_null = y_pred == pos_label
    return float(squad2_credit(predicted_null, y_true == pos_label, credit).mean())


def make_squad2_scorer(metric: str = "em", *, pos_label=True):
    """Make a scorer of SQuAD 2.0 EM or F1 that takes the credit as metadata.

    Parameters
    ----------
    metric : {"em", "f1"}, default="em"
        The per-question credit the scorer requests by name, as in
        ``cross_validate(..., params={"em": em})``.
    pos_label : int, float, bool or str, default=True
        The label meaning "no answer".

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, **{metric: credit})``: `squad2_score`.

    See Also
    --------
    squad2_score : The score function.
    skfusion.metrics.squad2_sample_weight : Weights that make a fit
        maximise the same total.

    Notes
    -----
    The credit reaches the scorer by scikit-learn's metadata routing
    (``sklearn.set_config(enable_metadata_routing=True)``). To fit for EM
    too, route `squad2_sample_weight` to ``fit`` with
    ``estimator.set_fit_request(sample_weight=True)``.

    Examples
    --------
    >>> import numpy as np
    >>> import sklearn
    >>> from sklearn.model_selection import cross_validate
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.datasets import make_squad2_scores
    >>> from skfusion.metrics import make_squad2_scorer
    >>> X, y = make_squad2_scores(n_questions=600, random_state=0)
    >>> em = np.where(y, 0.0, np.random.RandomState(0).rand(600) < 0.8)
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     scores = cross_validate(
    ...         MarginThresholdClassifier(), X, y, cv=3,
    ...         scoring=make_squad2_scorer("em"), params={"em": em},
    ...     )
    >>> scores["test_score"].shape
    (3,)
    """
    if metric not in _METRICS:
        raise ValueError(f"metric={metric!r} must be one of {_METRICS}.")
    if not sklearn.get_config()["enable_metadata_routing"]:
        raise RuntimeError(
            "make_squad2_scorer needs metadata routing, to pass each question's "
            f"{metric} to the scorer: call "
            "sklearn.set_config(enable_metadata_routing=True) first (or use "
            "sklearn.config_context(enable_metadata_routing=True))."
        )
    scorer = make_scorer(squad2_score, pos_label=pos_label)
    return scorer.set_score_request(answer_credit=metric)
