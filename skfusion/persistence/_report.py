"""What a fitted calibrator does on its fit data: threshold, weights, scores."""

import numpy as np
from sklearn.model_selection import FixedThresholdClassifier

from .._margin import MarginThresholdClassifier
from .._margin_tools import _formula, margin_column_indices
from ..datasets._formats import fusion_advice, threshold_advice
from ..metrics import no_answer_report


def margin_names(rule, data):
    """Return the (null, span) column names of a margin rule on `data`."""
    names = list(data.feature_names)
    null, span = margin_column_indices(names, rule.null_column, rule.span_column)
    return [names[i] for i in null], None if span is None else [names[i] for i in span]


def calibrator_report(estimator, data, *, targets=None) -> dict:
    """Describe a fitted calibrator and score it on a loader's data.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`~skfusion.MarginThresholdClassifier`, a
        :class:`~skfusion.TorchLogisticFusion`, or a
        :class:`~sklearn.model_selection.FixedThresholdClassifier` around a
        frozen fusion (an operating point).
    data : Bunch
        A loader's data of `skfusion.datasets`, with labels (``em`` and
        ``f1`` may be None).
    targets : dict, default=None
        The ``target_precision``, ``target_noans_recall`` and ``confidence``
        that chose the threshold, if any.

    Returns
    -------
    report : dict
        ``n_questions``, ``feature_names`` and ``report`` (the decisions'
        :func:`~skfusion.metrics.no_answer_report`). A margin rule adds
        ``margin`` (a formula of column names), ``threshold``, ``reader``,
        ``score_kind`` and, for the reader's own margin, ``apply`` (where the
        threshold goes) and the reader's option. A fusion adds ``coef``,
        ``intercept``, at an operating point ``decision_threshold``, and on
        Retro-Reader's files what replaces ``run_verifier.py``'s fixed
        weights (``apply``, ``cof``, ``thresh``). With `targets`:
        ``operating_point`` (the targets, confidence included; coverage,
        answered precision and NoAns recall on `data`).

    See Also
    --------
    skfusion.metrics.no_answer_report : The scores.
    save_calibrator : Saves the calibrator.

    Examples
    --------
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.datasets import load_reader_outputs, write_squad_example
    >>> from skfusion.persistence import calibrator_report
    >>> paths = write_squad_example("example", n_questions=200)
    >>> data = load_reader_outputs(paths["null_odds"], dev=paths["dev"])
    >>> rule = MarginThresholdClassifier(span_column=None).fit(data.data, data.target)
    >>> report = calibrator_report(rule, data)
    >>> report["margin"], report["threshold"] == rule.best_threshold_
    ('null_odds', True)
    >>> report["report"]["total"], sorted(report["report"])[:2]  # no EM: no n-best
    (200, ['HasAns_accuracy', 'HasAns_total'])
    """
    unanswerable = np.asarray(data.target, dtype=bool)
    em, f1 = (None if v is None else np.asarray(v, float) for v in (data.em, data.f1))
    predicted_null = np.asarray(estimator.predict(data.data)).astype(bool)
    content = {
        "n_questions": len(unanswerable),
        "feature_names": list(data.feature_names),
        "report": no_answer_report(predicted_null, unanswerable, em, f1),
    }
    if isinstance(estimator, MarginThresholdClassifier):
        null, span = margin_names(estimator, data)
        reader, threshold = data.get("reader"), estimator.best_threshold_
        formula = _formula(estimator, data.feature_names, len(data.feature_names))
        content.update(margin=formula, threshold=threshold,
                       reader=reader, score_kind=data.get("score_kind"))  # fmt: skip
        if (null, span) == tuple(data.margin_columns or ()) and (
            reader or span is None
        ):
            extra, content["apply"] = threshold_advice(reader, null[0], threshold)
            content.update(extra)
    else:
        fusion = estimator
        if isinstance(estimator, FixedThresholdClassifier):
            fusion = estimator.estimator.estimator
            content["decision_threshold"] = float(estimator.threshold)
        content["coef"] = fusion.coef_[0].tolist()
        content["intercept"] = float(fusion.intercept_[0])
        weights = content["coef"], content["intercept"]
        extra, apply = fusion_advice(data.get("reader"), data.feature_names, *weights)
        if apply and "decision_threshold" not in content:
            content.update(extra, apply=apply)
    if targets:
        answered = ~predicted_null
        right = (~unanswerable).astype(float) if em is None else em
        precision = float(right[answered].mean()) if answered.any() else None
        content["operating_point"] = {
            "target_precision": targets.get("target_precision"),
            "target_noans_recall": targets.get("target_noans_recall"),
            "precision_of": "answerable" if em is None else "em",
            "coverage": float(answered.mean()),
            "answered_precision": precision,
            "noans_recall": float(predicted_null[unanswerable].mean()),
            "confidence": targets.get("confidence"),
        }
    return content
