"""scikit-learn estimators for the no-answer decision of extractive QA readers."""

import importlib

__version__ = "0.1.0"  # pyproject.toml reads it from here
# Loaded on first use (PEP 562): the command can catch Ctrl-C while it imports.
_EXPORTS = {
    "MarginThresholdClassifier": "._margin",
    "TorchLogisticFusion": "._fusion",
    "check_margin_direction": "._margin_tools",
    "margin_column_indices": "._margin_tools",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    """Return a public name, importing its module on first use."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    """List the public names with the module's own."""
    return sorted({*globals(), *_EXPORTS})
