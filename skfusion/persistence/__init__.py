"""Calibrator files and SQuAD-style predictions.

A calibrator file holds a fitted estimator together with the names of the
score columns, the reader and the score kind it was trained on, so that
applying it to other data is an error rather than silently wrong
predictions, and the versions of skfusion, scikit-learn and numpy that saved
it. ``.skops`` is the format to share: loading one runs no code. joblib and
pickle files can run any code while they load, so `load_calibrator` reads
them only with ``allow_pickle=True``.
"""

from ._calibrator import (
    InconsistentVersionWarning,
    check_feature_names,
    load_calibrator,
    save_calibrator,
)
from ._predictions import (
    no_answer_decisions,
    resolve_unknown_spans,
    squad_predictions,
)
from ._report import calibrator_report

__all__ = [
    "InconsistentVersionWarning",
    "calibrator_report",
    "check_feature_names",
    "load_calibrator",
    "no_answer_decisions",
    "resolve_unknown_spans",
    "save_calibrator",
    "squad_predictions",
]
