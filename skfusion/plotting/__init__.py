"""Figures of the no-answer decision (needs matplotlib: the ``plot`` extra).

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
