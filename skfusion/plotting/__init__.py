"""Figures of the no-answer decision (needs matplotlib).

matplotlib is the ``plot`` extra: ``pip install matplotlib``, or
``pip install -e ".[plot]"`` in a clone of skfusion.

Each function draws on a given Axes (or a new figure) and returns the Axes.
"""

from ._displays import RiskCoverageDisplay
from ._figures import (
    plot_fold_weights,
    plot_margin_histograms,
    plot_restart_curves,
    plot_threshold_curve,
    save_comparison_figures,
)

__all__ = [
    "RiskCoverageDisplay",
    "plot_fold_weights",
    "plot_margin_histograms",
    "plot_restart_curves",
    "plot_threshold_curve",
    "save_comparison_figures",
]
