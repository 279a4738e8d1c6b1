"""Calibrator files and SQuAD-style predictions.

A calibrator file holds a fitted estimator together with the names of the
score columns it was trained on, so that applying it to other columns is an
error rather than silently wrong predictions, and the versions of skfusion,
scikit-learn and numpy that saved it. ``.skops`` is the format to share:
loading one runs no code. joblib and pickle files can run any code while they
load, so `load_calibrator` reads them only with ``allow_pickle=True``.
"""

import numbers
import warnings

import numpy as np
from numpy.typing import ArrayLike
from sklearn.exceptions import InconsistentVersionWarning as _SklearnVersionWarning

from ..datasets._base import few
from . import _file as _calibrator


class InconsistentVersionWarning(_SklearnVersionWarning):
    """Warning raised when a calibrator is loaded under other versions.

    A subclass of scikit-learn's warning of the same name, so that a filter
    on either catches it, with the same wording, for the versions of
    skfusion, scikit-learn and numpy that a calibrator file records.

    Parameters
    ----------
    path : str
        The calibrator file.
    original_versions : dict of str to str
        The versions that saved it, by package name.
    current_versions : dict of str to str
        The versions loading it.

    See Also
    --------
    load_calibrator : Issues this warning.
    sklearn.exceptions.InconsistentVersionWarning : The warning of scikit-learn.

    Examples
    --------
    >>> import warnings
    >>> from skfusion.persistence import InconsistentVersionWarning
    >>> warning = InconsistentVersionWarning(
    ...     path="calibrator.skops",
    ...     original_versions={"scikit-learn": "1.6.0"},
    ...     current_versions={"scikit-learn": "1.7.0"},
    ... )
    >>> print(warning)  # doctest: +NORMALIZE_WHITESPACE
    Trying to load calibrator calibrator.skops saved with scikit-learn 1.6.0
    when using scikit-learn 1.7.0. This might lead to breaking code or invalid
    results. Use at your own risk.
    """

    def __init__(self, *, path, original_versions, current_versions):
        super().__init__(
            estimator_name=str(path),
            current_sklearn_version=current_versions.get("scikit-learn"),
            original_sklearn_version=original_versions.get("scikit-learn"),
        )
        self.path = str(path)
        self.original_versions = dict(original_versions)
        self.current_versions = dict(current_versions)

    def __str__(self):
        def listed(versions):
            return ", ".join(f"{name} {v}" for name, v in versions.items())

        return (
            f"Trying to load calibrator {self.path} saved with "
            f"{listed(self.original_versions)} when using "
            f"{listed(self.current_versions)}. This might lead to breaking code or "
            "invalid results. Use at your own risk."
        )


def save_calibrator(estimator, feature_names, path) -> None:
    """Write a fitted estimator and its column names to a calibrator file.

    Parameters
    ----------
    estimator : estimator
        A fitted `~skfusion.TorchLogisticFusion` or
        `~skfusion.MarginThresholdClassifier`, or a
        `~sklearn.pipeline.Pipeline` ending in one, fitted on labels
        False/True or 0/1 (True/1 meaning unanswerable).
    feature_names : sequence of str or None
        The names of the score columns it was trained on. None takes the
        estimator's ``feature_names_in_``, which fitting on a pandas
        DataFrame sets (``as_frame=True`` of the loaders); where both are
        known, they must agree.
    path : str or path-like
        The suffix, in any case, picks the format: ``.skops`` is written
        with skops (``pip install skops``, or
        ``pip install -e ".[skops]"`` in a clone of skfusion) and is the one to share;
        ``.joblib``, ``.pkl`` and ``.pickle`` are written with joblib, for
        your own use. The file is written to a temporary file beside `path`
        that replaces it only once complete: an interrupted or failed write
        leaves any previous file as it was.

    Raises
    ------
    ValueError
        If `estimator` is not such a classifier, the suffix is none of
        those above, or `feature_names` is None for an estimator fitted
        without feature names, or differs from its ``feature_names_in_``.
    ImportError
        If the suffix is ``.skops`` and skops is not installed.

    See Also
    --------
    load_calibrator : Reads the file back.

    Examples
    --------
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.persistence import load_calibrator, save_calibrator
    >>> rule = MarginThresholdClassifier(span_column=None)
    >>> rule = rule.fit([[-2.0], [-1.0], [1.5], [3.0]], [False, False, True, True])
    >>> save_calibrator(rule, ["null_odds"], "calibrator.skops")
    >>> model, names = load_calibrator("calibrator.skops")
    >>> names, model.best_threshold_
    (['null_odds'], 0.25)
    """
    _calibrator.writer(path)  # an unknown suffix or a missing skops first
    bundle = {
        "format": _calibrator.FORMAT,
        "model": estimator,
        "feature_names": _feature_names(estimator, feature_names),
        "versions": _calibrator.versions(),
    }
    _calibrator.check_bundle(bundle, f"save_calibrator({type(estimator).__name__})")
    _calibrator.write(bundle, path)


def _feature_names(estimator, feature_names):
    """Return the given names, or those the estimator was fitted on."""
    fitted = getattr(estimator, "feature_names_in_", None)
    fitted = None if fitted is None else [str(name) for name in fitted]
    if feature_names is None:
        if fitted is None:
            raise ValueError(
                "feature_names=None takes the estimator's feature_names_in_, but "
                f"this {type(estimator).__name__} was fitted without feature "
                "names: give the score columns' names, or fit on a DataFrame."
            )
        return fitted
    names = [str(name) for name in feature_names]
    if fitted is not None and names != fitted:
        raise ValueError(
            f"feature_names={names} differ from the columns the estimator was "
            f"fitted on, feature_names_in_={fitted}."
        )
    return names


def load_calibrator(path, *, allow_pickle=False) -> tuple[object, list[str]]:
    """Read a calibrator file written by `save_calibrator`.

    Parameters
    ----------
    path : str or path-like
        A calibrator file. A ``.skops`` file (told by its content, whatever
        its name) is loaded only if every type in it is one skops trusts by
        default or one of skfusion's estimators, so loading it runs no code.
    allow_pickle : bool, default=False
        Whether to load a joblib or pickle file. Loading one can run any code
        it holds: allow it only for files from a source you trust, as with
        ``numpy.load(allow_pickle=True)`` or ``torch.load(weights_only=False)``.

    Returns
    -------
    estimator : estimator
        The fitted estimator: a skfusion classifier, or a Pipeline ending in
        one, whose ``classes_`` are [False, True] or [0, 1].
    feature_names : list of str
        The names of the columns it was trained on, as recorded in the file
        (the estimator's ``feature_names_in_`` where it has them).

    Raises
    ------
    ValueError
        If the file is a pickle and `allow_pickle` is False, holds types
        skops does not trust, or holds anything but a calibrator.

    Warns
    -----
    InconsistentVersionWarning
        If the file was saved under other versions of skfusion,
        scikit-learn or numpy.

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
    bundle = _calibrator.read(path, allow_pickle)
    model, names, recorded = _calibrator.check_bundle(bundle, path)
    differences = _calibrator.version_differences(recorded)
    if differences:
        warnings.warn(
            InconsistentVersionWarning(
                path=path,
                original_versions={k: v[0] for k, v in differences.items()},
                current_versions={k: v[1] for k, v in differences.items()},
            ),
            stacklevel=2,
        )
    return model, names


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


def _prediction_keys(ids):
    """Return the ids as JSON keys (strings); ids that print alike are an error."""
    bad = [
        q
        for q in ids
        if isinstance(q, (bool, np.bool_)) or not isinstance(q, (str, numbers.Integral))
    ]
    if bad:
        raise ValueError(
            f"{len(bad)} question id(s) are neither strings nor integers, e.g. "
            f"{few(bad)}."
        )
    keys = [str(q) for q in ids]
    seen, clashes = set(), []
    for key in keys:
        if key in seen:
            clashes.append(key)
        seen.add(key)
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
        Each question's best span text; None where unknown, which is allowed
        only where "no answer" is predicted.

    Returns
    -------
    predictions : dict of str to str
        ``{id: "" or span text}``, the format of ``predictions.json`` and of
        the official evaluation script's input.

    Raises
    ------
    ValueError
        If a question predicted answerable has no span text, a span text is
        not a string, or two ids are the same once written as text.

    See Also
    --------
    no_answer_decisions : ``{id: true/false}`` where no span text is known.
    skfusion.datasets.load_reader_outputs : Gives ``ids`` and ``span_text``.

    Examples
    --------
    >>> from skfusion.persistence import squad_predictions
    >>> squad_predictions(["q1", "q2"], [True, False], ["Seine", "Paris"])
    {'q1': '', 'q2': 'Paris'}
    """
    predicted_null = np.asarray(predicted_null, dtype=bool)
    keys = _prediction_keys(ids)
    rows = list(zip(keys, predicted_null, span_text, strict=True))
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
        Question ids: strings (or integers, written as their text).
    predicted_null : array-like of shape (n_questions,) of bool
        True where "no answer" is predicted.

    Returns
    -------
    decisions : dict of str to bool
        ``{id: True or False}``, True meaning "no answer". Not the input of
        the official evaluation script, which needs answer texts.

    Raises
    ------
    ValueError
        If two ids are the same once written as text.

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
    keys = _prediction_keys(ids)
    return {q: bool(n) for q, n in zip(keys, predicted_null, strict=True)}
