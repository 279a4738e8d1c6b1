"""Calibrator files (``.skops`` to share: loading one runs no code), predictions."""

from ._calibrator import (
    InconsistentVersionWarning,
    check_feature_names,
    load_calibrator,
    save_calibrator,
)
from ._predictions import no_answer_decisions, resolve_unknown_spans, squad_predictions
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
