"""Calibrator files: a fitted estimator with what it was fitted on."""

import warnings

from sklearn.exceptions import InconsistentVersionWarning as _SklearnVersionWarning

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


def save_calibrator(
    estimator, feature_names, path, *, reader=None, score_kind=None, force=False
) -> None:
    """Write a fitted estimator and what it was fitted on to a calibrator file.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`~skfusion.TorchLogisticFusion` or
        :class:`~skfusion.MarginThresholdClassifier`, a
        :class:`~sklearn.model_selection.FixedThresholdClassifier` of one, or
        a :class:`~sklearn.pipeline.Pipeline` ending in either whose earlier
        steps only rescale the columns (``StandardScaler``, ``MinMaxScaler``,
        ``MaxAbsScaler``, ``RobustScaler`` or ``"passthrough"``), fitted on
        labels False/True or 0/1 (True/1 meaning unanswerable).
    feature_names : sequence of str or None
        The names of the score columns it was trained on. None takes the
        estimator's ``feature_names_in_``, which fitting on a pandas
        DataFrame sets (``as_frame=True`` of the loaders); where both are
        known, they must agree.
    path : str or path-like
        The suffix, in any case, picks the format: ``.skops`` is written
        with skops (``pip install skops``, or ``pip install -e ".[skops]"``
        in a clone of skfusion) and is the one to share; ``.joblib``,
        ``.pkl`` and ``.pickle`` are written with joblib, for your own use.
        The file is written to a temporary file beside `path` that replaces
        it only once complete: an interrupted or failed write leaves any
        previous file as it was. An existing `path` must be a regular file;
        its permissions are kept.
    reader, score_kind : str or None, default=None
        The reader and score kind of the fit data, as the loaders'
        ``reader`` and ``score_kind`` give them; `load_calibrator` refuses
        data of another. None records them as unknown.
    force : bool, default=False
        Whether to replace a read-only `path`, as ``cp --force`` does.

    Raises
    ------
    ValueError
        If `estimator` is not such a classifier, the suffix is none of
        those above, or `feature_names` is None for an estimator fitted
        without feature names, or differs from its ``feature_names_in_``.
    ImportError
        If the suffix is ``.skops`` and skops is not installed.
    OSError
        If `path` is not a regular file (a FIFO, a device), or is read-only
        and `force` is False.

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
        "reader": reader,
        "score_kind": score_kind,
    }
    _calibrator.check_bundle(bundle, f"save_calibrator({type(estimator).__name__})")
    _calibrator.write(bundle, path, force)


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


def load_calibrator(
    path, *, allow_pickle=False, data=None, force=False
) -> tuple[object, list[str]]:
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
    data : Bunch, default=None
        The data the calibrator is to be applied to, as a loader of
        `skfusion.datasets` returns it: its ``feature_names`` must be the
        calibrator's, and its ``reader`` and ``score_kind``, where both the
        file and `data` know them, those it was fitted on.
    force : bool, default=False
        Whether a `data` of another reader or score kind gives a warning
        rather than an error.

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
        skops does not trust, or anything but a calibrator as `fit` leaves
        one: not a regular file, pipeline steps other than those
        `save_calibrator` lists, fitted numbers that are not finite or not
        of the shape `fit` gives; or if `data` differs as above.

    Warns
    -----
    InconsistentVersionWarning
        If the file was saved under other versions of skfusion,
        scikit-learn or numpy.
    UserWarning
        With `force`, if `data` is of another reader or score kind.

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
    model, names, recorded, source = _calibrator.check_bundle(bundle, path)
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
    if data is not None:
        try:
            check_feature_names(names, data.feature_names)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        _check_source(path, source, data, force)
    return model, names


def _check_source(path, source, data, force):
    """Refuse (or with `force` warn about) data of another reader or score kind."""
    other = {
        key: (fitted, data.get(key))
        for key, fitted in source.items()
        if None not in (fitted, data.get(key)) and fitted != data.get(key)
    }
    if other:
        message = (
            f"{path} was fitted on "
            + ", ".join(f"{k} {a!r}" for k, (a, _) in other.items())
            + ", but the data are of "
            + ", ".join(f"{k} {b!r}" for k, (_, b) in other.items())
            + ": its threshold or weights mean nothing on another reader's "
            "scores; fit one on this reader's dev outputs"
        )
        if not force:
            raise ValueError(f"{message}, or force=True (--force) to apply it anyway.")
        warnings.warn(f"{message}; applied anyway (force).", UserWarning, stacklevel=3)


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
