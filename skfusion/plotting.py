"""Figures of the no-answer decision (needs matplotlib: ``pip install skfusion[plot]``).

Each function draws on a given Axes (or a new figure) and returns the Axes.
"""

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._margin import _cut_scores

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def plot_threshold_curve(
    margin, y, threshold, *, scoring="accuracy", ax=None
) -> "Axes":
    """Score of ``margin > t`` against ``t``, with the chosen threshold marked.

    Parameters
    ----------
    margin : array of shape (n,)
    y : array of shape (n,) of bool, True for unanswerable
    threshold : float
    scoring : {"accuracy", "balanced_accuracy", "f1"}
    ax : matplotlib Axes or None
    """
    ax = _axes(ax)
    margin, y = np.asarray(margin, float), np.asarray(y, bool)
    m, scores = _cut_scores(margin, y, np.ones_like(margin), scoring)
    # Cut k's score holds from the k-th smallest margin up to the next one;
    # cuts inside a group of equal margins cannot be made and are left out.
    cuts = np.concatenate([[m[0] - 1], m])
    possible = np.isfinite(scores)
    ax.step(cuts[possible], scores[possible], where="post", lw=1.2, label=scoring)
    best = scores.max()
    ax.axvline(threshold, color="C3", ls="--", label=f"threshold {threshold:.3f}")
    ax.axvline(0.0, color="0.5", ls=":", label="BERT default 0")
    ax.set(
        xlabel="threshold on null - best span",
        ylabel=scoring,
        title=f"{scoring} against threshold (best {best:.4f})",
    )
    ax.legend(loc="lower right")
    return ax


def plot_margin_histograms(margin, y, threshold, *, ax=None) -> "Axes":
    """Histograms of the margin for answerable and unanswerable questions."""
    ax = _axes(ax)
    margin, y = np.asarray(margin, float), np.asarray(y, bool)
    bins = np.histogram_bin_edges(margin, bins=60)
    ax.hist(margin[~y], bins=bins, alpha=0.6, label="answerable")
    ax.hist(margin[y], bins=bins, alpha=0.6, label="unanswerable")
    ax.axvline(threshold, color="C3", ls="--", label=f"threshold {threshold:.3f}")
    ax.set(
        xlabel="null - best span", ylabel="questions", title="Margin by answerability"
    )
    ax.legend()
    return ax


def plot_restart_curves(fusion, *, ax=None) -> "Axes":
    """Each restart's accuracy after every step, the kept snapshot marked."""
    ax = _axes(ax)
    curve = fusion.accuracy_curve_
    steps = np.arange(1, curve.shape[1] + 1)
    for r, accuracy in enumerate(curve):
        kept = r == fusion.best_restart_
        ax.plot(
            steps,
            accuracy,
            lw=1.8 if kept else 0.8,
            color="C3" if kept else "0.6",
            alpha=1 if kept else 0.6,
            zorder=2 if kept else 1,
        )
    ax.plot(
        fusion.best_step_ + 1,
        fusion.best_score_,
        "o",
        color="C3",
        ms=8,
        label=f"kept: restart {fusion.best_restart_}, step {fusion.best_step_ + 1}",
    )
    low = np.percentile(curve[:, curve.shape[1] // 10 :], 1)
    ax.set_ylim(low - 0.005, curve.max() + 0.005)
    ax.set(
        xlabel="step",
        ylabel="selection accuracy",
        title=f"{curve.shape[0]} restarts of TorchLogisticFusion",
    )
    ax.legend(loc="lower right")
    return ax


def plot_fold_weights(coefs, feature_names, *, intercepts=None, ax=None) -> "Axes":
    """Fused weights of every cross-validation fold, one line per fold."""
    ax = _axes(ax)
    coefs = np.asarray(coefs, float)
    labels = list(feature_names)
    if intercepts is not None:
        coefs = np.column_stack([coefs, intercepts])
        labels.append("intercept")
    x = np.arange(len(labels))
    for row in coefs:
        ax.plot(x, row, "o-", color="C0", alpha=0.35, lw=0.8)
    ax.plot(x, coefs.mean(axis=0), "s-", color="C3", lw=2, label="mean over folds")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xticks(x, labels, rotation=20)
    ax.set(ylabel="weight", title=f"Fused weights in {len(coefs)} folds")
    ax.legend()
    return ax


def save_comparison_figures(
    folder, margin_rule, fusion, fold_models, feature_names, X, y, *, dpi=110
) -> list:
    """Write the four figures of ``skfusion compare --plot`` as PNG files.

    Parameters
    ----------
    folder : str or path-like
        Created if needed.
    margin_rule : MarginThresholdClassifier
        Fitted on `X`, `y`: gives the margin and its threshold.
    fusion : TorchLogisticFusion
        Fitted on `X`, `y`: gives the restart curves.
    fold_models : list of TorchLogisticFusion
        The fusion fitted on each cross-validation fold.
    feature_names : list of str
        Names of the columns of `X`.
    X : array-like of shape (n_questions, n_features)
        Score columns.
    y : array-like of shape (n_questions,) of bool
        True where the question is unanswerable.
    dpi : int, default=110
        Resolution of the PNG files.

    Returns
    -------
    paths : list of Path
        ``threshold.png``, ``margin_histograms.png``, ``restart_curves.png``
        and ``fold_weights.png`` in `folder`.
    """
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    threshold = margin_rule.best_threshold_
    margin = margin_rule.decision_function(X) + threshold
    figures = {
        "threshold.png": lambda ax: plot_threshold_curve(margin, y, threshold, ax=ax),
        "margin_histograms.png": lambda ax: plot_margin_histograms(
            margin, y, threshold, ax=ax
        ),
        "restart_curves.png": lambda ax: plot_restart_curves(fusion, ax=ax),
        "fold_weights.png": lambda ax: plot_fold_weights(
            [m.coef_[0] for m in fold_models],
            feature_names,
            intercepts=[m.intercept_[0] for m in fold_models],
            ax=ax,
        ),
    }
    paths = []
    for name, draw in figures.items():
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        draw(ax)
        fig.tight_layout()
        fig.savefig(folder / name, dpi=dpi)
        plt.close(fig)
        paths.append(folder / name)
    return paths
