"""Saving fitted calibrators: joblib, as users expect, or skops, the safe format.

A calibrator file holds the fitted estimator together with the names of the
score columns it was trained on, so that applying it to other columns is an
error rather than silently wrong predictions.
"""

from pathlib import Path

import joblib
import numpy as np

FORMAT = "skfusion.calibrator/1"
# The only types a .skops calibrator may contain beyond skops' defaults.
_TRUSTED_TYPES = {
    "skfusion._fusion.TorchLogisticFusion",
    "skfusion._margin.MarginThresholdClassifier",
}


def save_calibrator(estimator, feature_names, path) -> None:
    """Write `estimator` and its column names to `path` (.skops or joblib)."""
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
    """Read a calibrator file; return ``(estimator, feature_names)``.

    A .skops file is loaded only if every type in it is one skops trusts by
    default or one of skfusion's estimators.
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
    """Raise unless `found` are the columns the calibrator was trained on."""
    if list(expected) != list(found):
        raise ValueError(
            f"The calibrator was trained on columns {list(expected)}, but the data "
            f"has {list(found)}."
        )


def predictions_json(ids, predicted_null, span_text=None) -> dict:
    """SQuAD-style predictions: "" or the span text, else True/False per id."""
    predicted_null = np.asarray(predicted_null, dtype=bool)
    if span_text is not None:
        return {
            str(q): "" if null else (text or "")
            for q, null, text in zip(ids, predicted_null, span_text, strict=True)
        }
    return {str(q): bool(null) for q, null in zip(ids, predicted_null, strict=True)}
