"""SQuAD-style predictions, and what to write where a span text is unknown."""

import collections
import numbers

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils import Bunch

from .._compat import StrOptions, validate_params
from ..datasets._base import few


@validate_params(
    {"predicted_null": ["array-like"], "span_text": ["array-like"],
     "no_span": ["array-like", None], "ids": ["array-like", None],
     "missing_span": [StrOptions({"error", "null"})]},
    prefer_skip_nested_validation=True,
)  # fmt: skip
def resolve_unknown_spans(
    predicted_null: ArrayLike,
    span_text,
    *,
    no_span: ArrayLike | None = None,
    ids: ArrayLike | None = None,
    missing_span: str = "error",
) -> Bunch:
    """Decide the answered questions whose best span text is unknown.

    Where the reader found no candidate span (`no_span`, its ``"empty"``
    placeholder), the only answer is "no answer". Where the text is merely
    unknown (``""`` in a ``predictions.json`` without n-best lists), writing
    "no answer" changes the decision: only with ``missing_span="null"``.

    Parameters
    ----------
    predicted_null : array-like of shape (n_questions,) of bool
        True where "no answer" is predicted.
    span_text : list of str or None
        Each question's best span text; None where unknown.
    no_span : array-like of shape (n_questions,) of bool, default=None
        True where the reader had no candidate span; None means none such.
    ids : array-like of shape (n_questions,), default=None
        Question ids, named in the error; None names row positions.
    missing_span : {"error", "null"}, default="error"
        For the other answered questions of unknown span text: raise
        ValueError, or write them as "no answer".

    Returns
    -------
    result : Bunch
        ``predicted_null``, the decisions to write; ``no_span`` and
        ``missing``, masks of the answered questions turned into "no answer"
        for each reason.

    See Also
    --------
    squad_predictions : Writes the decisions with the span texts.

    Examples
    --------
    >>> from skfusion.persistence import resolve_unknown_spans
    >>> result = resolve_unknown_spans(
    ...     [False, False, True], ["Paris", None, None], no_span=[False, True, False]
    ... )
    >>> result.predicted_null, result.no_span
    (array([False,  True,  True]), array([False,  True, False]))
    """
    predicted_null = np.asarray(predicted_null, dtype=bool)
    unknown = ~predicted_null & np.array([text is None for text in span_text], bool)
    unknown = unknown.reshape(predicted_null.shape)
    no_span = unknown & (False if no_span is None else np.asarray(no_span, bool))
    missing = unknown & ~no_span
    if missing.any() and missing_span == "error":
        names = np.flatnonzero(missing) if ids is None else np.asarray(ids)[missing]
        raise ValueError(
            f"{int(missing.sum())} question(s) predicted answerable have no known "
            f"span text, e.g. {few(names.tolist())}: give their span texts, or "
            "missing_span='null' to write them as no answer."
        )
    return Bunch(
        predicted_null=predicted_null | unknown, no_span=no_span, missing=missing
    )


def _prediction_keys(ids):
    """Return the ids as JSON keys; ids that print alike are an error."""
    bad = [q for q in ids if isinstance(q, (bool, np.bool_))
           or not isinstance(q, (str, numbers.Integral))]  # fmt: skip
    if bad:
        raise ValueError(
            f"{len(bad)} question id(s) are neither strings nor integers, e.g. "
            f"{few(bad)}."
        )
    keys = [str(q) for q in ids]
    clashes = [key for key, n in collections.Counter(keys).items() if n > 1]
    if clashes:
        raise ValueError(
            f"{len(clashes)} question id(s) occur twice once written as text, "
            f"e.g. {few(clashes)}."
        )
    return keys


def squad_predictions(ids: ArrayLike, predicted_null: ArrayLike, span_text) -> dict:
    """SQuAD-style predictions: the answer text, or "" for "no answer".

    Parameters
    ----------
    ids : array-like of shape (n_questions,)
        Question ids: strings (or integers, written as their text).
    predicted_null : array-like of shape (n_questions,) of bool
        True where "no answer" is predicted.
    span_text : list of str or None
        Each question's best span text; None (unknown) only where "no
        answer" is predicted, else ValueError, as for a text that is not a
        string or two ids alike once written as text.

    Returns
    -------
    predictions : dict of str to str
        ``{id: "" or span text}``, the official evaluation script's input.

    See Also
    --------
    no_answer_decisions : ``{id: true/false}`` where no span text is known.

    Examples
    --------
    >>> from skfusion.persistence import squad_predictions
    >>> squad_predictions(["q1", "q2"], [True, False], ["Seine", "Paris"])
    {'q1': '', 'q2': 'Paris'}
    """
    rows = list(zip(_prediction_keys(ids), np.asarray(predicted_null, bool), span_text,
                    strict=True))  # fmt: skip
    unknown = [q for q, null, text in rows if not null and text is None]
    if unknown:
        raise ValueError(
            f"{len(unknown)} answered question(s) have no known span text, e.g. "
            f"{few(unknown)}."
        )
    odd = [q for q, _, text in rows if text is not None and not isinstance(text, str)]
    if odd:
        raise ValueError(
            f"{len(odd)} span text(s) are not strings, e.g. for {few(odd)}."
        )
    return {q: "" if null else text for q, null, text in rows}


def no_answer_decisions(ids: ArrayLike, predicted_null: ArrayLike) -> dict:
    """Map each question id to its decision, True where "no answer" is predicted.

    Parameters
    ----------
    ids : array-like of shape (n_questions,)
        Question ids: strings (or integers, written as their text); two alike
        once written as text are a ValueError.
    predicted_null : array-like of shape (n_questions,) of bool
        True where "no answer" is predicted.

    Returns
    -------
    decisions : dict of str to bool
        ``{id: True or False}``; not the official script's input, which needs
        answer texts.

    See Also
    --------
    squad_predictions : The answer texts, where span texts are known.

    Examples
    --------
    >>> from skfusion.persistence import no_answer_decisions
    >>> no_answer_decisions(["q1", "q2"], [True, False])
    {'q1': True, 'q2': False}
    """
    predicted_null = np.asarray(predicted_null, dtype=bool)
    return dict(zip(_prediction_keys(ids), predicted_null.tolist(), strict=True))
