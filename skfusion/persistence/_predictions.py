"""What to write for answered questions whose span text is unknown."""

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils import Bunch

from .._compat import StrOptions, validate_params
from ..datasets._base import few


@validate_params(
    {
        "predicted_null": ["array-like"],
        "span_text": ["array-like"],
        "no_span": ["array-like", None],
        "ids": ["array-like", None],
        "missing_span": [StrOptions({"error", "null"})],
    },
    prefer_skip_nested_validation=True,
)
def resolve_unknown_spans(
    predicted_null: ArrayLike,
    span_text,
    *,
    no_span: ArrayLike | None = None,
    ids: ArrayLike | None = None,
    missing_span: str = "error",
) -> Bunch:
    """Decide the answered questions whose best span text is unknown.

    A question can be answered only with a span text. Where the reader
    found no candidate span (`no_span`, its placeholder ``"empty"``), the
    only answer is "no answer". Where the text is merely unknown (``""`` in
    a ``predictions.json`` without its n-best lists), writing "no answer"
    changes the decision, so it happens only with ``missing_span="null"``.

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
        What to do with answered questions whose span text is unknown for
        another reason: raise, or write them as "no answer".

    Returns
    -------
    result : Bunch
        ``predicted_null``, the decisions to write (ready for
        `squad_predictions`); ``no_span`` and ``missing``, boolean masks of
        the answered questions turned into "no answer" for each reason.

    Raises
    ------
    ValueError
        With ``missing_span="error"``, if an answered question's span text is
        unknown although the reader had a candidate span.

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
    unknown = ~predicted_null & np.array([text is None for text in span_text])
    unknown = unknown.astype(bool).reshape(predicted_null.shape)
    reader_none = np.zeros_like(unknown) if no_span is None else np.asarray(no_span)
    no_span_rows = unknown & reader_none.astype(bool)
    missing = unknown & ~no_span_rows
    if missing.any() and missing_span == "error":
        names = np.flatnonzero(missing) if ids is None else np.asarray(ids)[missing]
        raise ValueError(
            f"{int(missing.sum())} question(s) predicted answerable have no known "
            f"span text, e.g. {few(names.tolist())}: give their span texts, or "
            "missing_span='null' to write them as no answer."
        )
    return Bunch(
        predicted_null=predicted_null | unknown, no_span=no_span_rows, missing=missing
    )
