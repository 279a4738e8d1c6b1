"""Calibrator files and SQuAD-style predictions.

A calibrator file holds a fitted estimator together with the names of the
score columns it was trained on, so that applying it to other columns is an
error rather than silently wrong predictions. joblib is what users expect;
skops is the safe format, which refuses to load unknown types.
"""

from pathlib import Path

import joblib
import numpy as np
from numpy.typing import ArrayLike

from .datasets._base import few

__all__ = [
    "check_feature_names",
    "load_calibrator",
    "save_calibrator",
    "squad_predictions",
]

FORMAT = "skfusion.calibrator/1"
# The only types a .skops calibrator may contain beyond skops' defaults.
_TRUSTED_TYPES = {
    "skfusion._fusion.TorchLogisticFusion",
    "skfusion._margin.MarginThresholdClassifier",
}


def save_calibrator(estimator, feature_names, path) -> None:
    """Write a fitted estimator and its column names to a calibrator file.

    Parameters
    ----------
    estimator : estimator
        A fitted skfusion estimator.
    feature_names : sequence of str
        The names of the score columns it was trained on.
    path : str or path-like
        ``*.skops`` is written with skops (``pip install skops``, or
        ``pip install -e ".[skops]"`` in a clone of skfusion), anything else
        with joblib.

    See Also
    --------
    load_calibrator : Reads the file back.

    Examples
    --------
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.persistence import load_calibrator, save_calibrator
    >>> rule = MarginThresholdClassifier(span_column=None)
    >>> rule = rule.fit([[-2.0], [-1.0], [1.5], [3.0]], [False, False, True, True])
    >>> save_calibrator(rule, ["null_odds"], "calibrator.joblib")
    >>> model, names = load_calibrator("calibrator.joblib")
    >>> names, model.best_threshold_
    (['null_odds'], 0.25)
    """
    bundle = {
        "format": FORMAT,
        "model": estimator,
        "feature_names": [str(name) for name in feature_names],
    }
    if Path(path).suffix == ".skops":
        import skops.io as sio

        sio.dump(bundle, path)
    else:
        joblib.dump(bundle, path)


def load_calibrator(path) -> tuple[object, list[str]]:
    """Read a calibrator file written by `save_calibrator`.

    Parameters
    ----------
    path : str or path-like
        A ``*.skops`` file, loaded only if every type in it is one skops
        trusts by default or one of skfusion's estimators, or a joblib file
        (which, like any pickle, must come from a trusted source).

    Returns
    -------
    estimator : estimator
        The fitted estimator.
    feature_names : list of str
        The names of the columns it was trained on.

    See Also
    --------
    save_calibrator : Writes the file.
    check_feature_names : Checks new data against ``feature_names``.

    Examples
    --------
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.persistence import load_calibrator, save_calibrator
    >>> rule = MarginThresholdClassifier(threshold=0.0)
    >>> rule = rule.fit([[0.5, 2.0], [3.0, 1.0]], [False, True])
    >>> save_calibrator(rule, ["null", "span"], "calibrator.skops")
    >>> model, names = load_calibrator("calibrator.skops")
    >>> names, model.predict([[4.0, 1.0]])
    (['null', 'span'], array([ True]))
    """
    if Path(path).suffix == ".skops":
        import skops.io as sio

        unknown = set(sio.get_untrusted_types(file=path))
        if unknown - _TRUSTED_TYPES:
            raise ValueError(
                f"{path} holds types skfusion does not trust: "
                f"{sorted(unknown - _TRUSTED_TYPES)}."
            )
        bundle = sio.load(path, trusted=sorted(unknown))
    else:
        bundle = joblib.load(path)
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise ValueError(f"{path} is not a skfusion calibrator file.")
    return bundle["model"], list(bundle["feature_names"])


def check_feature_names(expected, found) -> None:
    """Raise unless `found` are the columns a calibrator was trained on.

    Parameters
    ----------
    expected : sequence of str
        The calibrator's column names.
    found : sequence of str
        The data's column names.

    Raises
    ------
    ValueError
        If the names or their order differ; the message shows both.

    See Also
    --------
    load_calibrator : Gives the names a calibrator was trained on.

    Examples
    --------
    >>> from skfusion.persistence import check_feature_names
    >>> check_feature_names(["null_odds"], ["null_odds"])
    >>> check_feature_names(["null_odds"], ["joint_null", "best_span"])
    Traceback (most recent call last):
    ...
    ValueError: The calibrator was trained on columns ['null_odds'], but the data ...
    """
    if list(expected) != list(found):
        raise ValueError(
            f"The calibrator was trained on columns {list(expected)}, but the data "
            f"has {list(found)}."
        )


def squad_predictions(
    ids: ArrayLike, predicted_null: ArrayLike, span_text: list | None = None
) -> dict:
    """SQuAD-style predictions: the answer text, or "" for "no answer".

    Parameters
    ----------
    ids : array-like of shape (n_questions,)
        Question ids.
    predicted_null : array-like of shape (n_questions,) of bool
        True where "no answer" is predicted.
    span_text : list of str or None, default=None
        Each question's best span text. Without it, each id maps to its
        decision, True for "no answer".

    Returns
    -------
    predictions : dict
        ``{id: "" or span text}``, the format of ``predictions.json`` and of
        the official evaluation script's input; ``{id: bool}`` without
        `span_text`.

    Raises
    ------
    ValueError
        If a question predicted answerable has no span text (None).

    See Also
    --------
    skfusion.datasets.load_reader_outputs : Gives ``ids`` and ``span_text``.

    Examples
    --------
    >>> from skfusion.persistence import squad_predictions
    >>> squad_predictions(["q1", "q2"], [True, False], ["Seine", "Paris"])
    {'q1': '', 'q2': 'Paris'}
    """
    predicted_null = np.asarray(predicted_null, dtype=bool)
    if span_text is None:
        return {str(q): bool(n) for q, n in zip(ids, predicted_null, strict=True)}
    unknown = [
        q
        for q, null, text in zip(ids, predicted_null, span_text, strict=True)
        if not null and text is None
    ]
    if unknown:
        raise ValueError(
            f"{len(unknown)} answered question(s) have no known span text, e.g. "
            f"{few(unknown)}."
        )
    return {
        str(q): "" if null else text
        for q, null, text in zip(ids, predicted_null, span_text, strict=True)
    }
