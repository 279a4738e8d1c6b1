"""The tables of a `Comparison`'s scores: one row per fit, or per estimator."""

import numpy as np

METRICS = ("accuracy", "em", "f1")


def fold_rows(comparison):
    """Return the recorded columns, and a row per estimator and fold.

    A fold missing from one column (recorded for some metrics only) is NaN
    there.
    """
    keys = [k for k in (*METRICS, "fit_seconds") if getattr(comparison, k)]
    rows = []
    for name in comparison.names:
        per_fold = {k: getattr(comparison, k).get(name, []) for k in keys}
        for fold in range(max(map(len, per_fold.values()), default=0)):
            row = {"estimator": name, "fold": fold}
            for key, values in per_fold.items():
                row[key] = values[fold] if fold < len(values) else np.nan
            rows.append(row)
    return keys, rows


def summary_rows(comparison):
    """Return each estimator's mean and standard deviation of every score."""
    rows = []
    for name in comparison.names:
        row = {"estimator": name}
        for key in (*METRICS, "fit_seconds"):
            values = getattr(comparison, key).get(name)
            if values:
                row[key] = float(np.mean(values))
                row[f"{key}_std"] = float(np.std(values))
        rows.append(row)
    return rows
