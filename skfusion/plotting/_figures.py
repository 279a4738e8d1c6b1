"""Figures of the no-answer decision, each drawn on a given Axes (or a new figure)."""

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._io import atomic_write
from .._margin import _cut_scores
from ._displays import _axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_threshold_curve(
    margin, y, threshold, *, scoring="accuracy", ax=None
) -> "Axes":
    """Plot the score of ``margin > t`` against ``t``, the threshold marked.

    The curve steps at every distinct margin, as the exact search of
    `MarginThresholdClassifier` scores every cut; BERT's default 0 is marked.

    Parameters
    ----------
    margin : array-like of shape (n_questions,)
        Null score minus best span score of each question.
    y : array-like of shape (n_questions,) of bool
        True where the question is unanswerable.
    threshold : float
        The threshold to mark, e.g. a fitted rule's ``best_threshold_``.
    scoring : {"accuracy", "balanced_accuracy", "f1"}, default="accuracy"
        The score drawn, unanswerable being f1's positive class.
    ax : matplotlib.axes.Axes or None, default=None
        Where to draw; None draws on a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    See Also
    --------
    skfusion.MarginThresholdClassifier : Finds the threshold at the curve's maximum.
    plot_margin_histograms : The margins the curve is computed from.

    Examples
    --------
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.datasets import make_squad2_scores
    >>> from skfusion.plotting import plot_threshold_curve
    >>> X, y = make_squad2_scores(n_questions=500, random_state=0)
    >>> rule = MarginThresholdClassifier().fit(X, y)
    >>> margin = X[:, 0] - X[:, -1]
    >>> ax = plot_threshold_curve(margin, y, rule.best_threshold_)
    >>> ax.get_xlabel()
    'threshold on null - best span'
    """
    ax = _axes(ax)
    margin, y = np.asarray(margin, float), np.asarray(y, bool)
    m, scores = _cut_scores(margin, y, None, scoring)
    # Cut k's score holds from the k-th smallest margin to the next one.
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
    ax.legend(loc="best")
    return ax


def plot_margin_histograms(margin, y, threshold, *, ax=None) -> "Axes":
    """Plot histograms of the margin of answerable and unanswerable questions.

    Their overlap is what no threshold can separate.

    Parameters
    ----------
    margin : array-like of shape (n_questions,)
        Null score minus best span score of each question.
    y : array-like of shape (n_questions,) of bool
        True where the question is unanswerable.
    threshold : float
        The threshold to mark.
    ax : matplotlib.axes.Axes or None, default=None
        Where to draw; None draws on a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    See Also
    --------
    plot_threshold_curve : The score of every threshold on the same margins.

    Examples
    --------
    >>> from skfusion.datasets import make_squad2_scores
    >>> from skfusion.plotting import plot_margin_histograms
    >>> X, y = make_squad2_scores(n_questions=500, random_state=0)
    >>> ax = plot_margin_histograms(X[:, 0] - X[:, -1], y, threshold=0.0)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['answerable', 'unanswerable', 'threshold 0.000']
    """
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
    """Plot each restart's accuracy after every step, the kept snapshot marked.

    The accuracy selecting the snapshot (held-out with
    ``validation_fraction``); the main axes zoom in on where the restarts
    differ, an inset shows every step. Restarts count from 0 as
    ``best_restart_``, steps from 1 (step ``k``: after ``k`` updates).

    Parameters
    ----------
    fusion : TorchLogisticFusion
        A fitted estimator.
    ax : matplotlib.axes.Axes or None, default=None
        Where to draw; None draws on a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    See Also
    --------
    skfusion.TorchLogisticFusion : The estimator whose training record is drawn.

    Examples
    --------
    >>> from skfusion import TorchLogisticFusion
    >>> from skfusion.datasets import make_squad2_scores
    >>> from skfusion.plotting import plot_restart_curves
    >>> X, y = make_squad2_scores(n_questions=500, random_state=0)
    >>> fusion = TorchLogisticFusion(n_restarts=5, random_state=0).fit(X, y)
    >>> ax = plot_restart_curves(fusion)
    >>> len(ax.get_lines())  # one line per restart, and the kept snapshot
    6
    """
    ax = _axes(ax)
    curve = fusion.accuracy_curve_
    n_restarts = curve.shape[0]
    overview = ax.inset_axes([0.56, 0.1, 0.4, 0.36])
    for axes in (ax, overview):
        for r, accuracy in enumerate(curve):
            kept = r == fusion.best_restart_
            axes.plot(
                np.arange(1, curve.shape[1] + 1),
                accuracy,
                lw=1.8 if kept else 0.8,
                color="C3" if kept else "0.6",
                alpha=1 if kept else 0.6,
                zorder=2 if kept else 1,
            )
        axes.plot(fusion.best_step_ + 1, fusion.best_score_, "o", color="C3", ms=7)
    kept = (
        f"kept: restart {fusion.best_restart_} (of 0-{n_restarts - 1}), "
        f"step {fusion.best_step_ + 1} (of 1-{curve.shape[1]})"
    )
    ax.lines[-1].set_label(kept)
    low = np.percentile(curve[:, curve.shape[1] // 10 :], 1)
    ax.set_ylim(low - 0.002, curve.max() + 0.004)
    overview.set_facecolor((1, 1, 1, 0.85))  # curves behind it stay visible
    overview.tick_params(labelsize=7)
    overview.set_title("every step, full y range", fontsize=8)
    held_out = getattr(fusion, "validation_fraction", None) is not None
    ax.set(
        xlabel="SGD step",
        ylabel=f"{'held-out' if held_out else 'training'} accuracy",
        title=f"{n_restarts} restarts of TorchLogisticFusion (y axis cut: see inset)",
    )
    ax.legend(loc="upper right", fontsize=8)
    return ax


def plot_fold_weights(coefs, feature_names, *, intercepts=None, ax=None) -> "Axes":
    """Plot the fused weights of every cross-validation fold, one line per fold.

    A weight's spread across folds shows how much it depends on the questions
    it was fitted on; sizes compare only at equal scales of the raw scores.

    Parameters
    ----------
    coefs : array-like of shape (n_folds, n_features)
        Each fold's weights, e.g. its `TorchLogisticFusion`'s ``coef_[0]``.
    feature_names : list of str
        The name of each weight.
    intercepts : array-like of shape (n_folds,) or None, default=None
        Each fold's intercept, drawn as one more weight.
    ax : matplotlib.axes.Axes or None, default=None
        Where to draw; None draws on a new figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    See Also
    --------
    skfusion.model_selection.compare_estimators : Keeps each fold's fitted
        models in ``Comparison.fitted``.

    Examples
    --------
    >>> from skfusion.plotting import plot_fold_weights
    >>> ax = plot_fold_weights([[1.0, -0.5], [1.1, -0.4]], ["null", "span"])
    >>> ax.get_title()
    'Fused weights in 2 folds'
    """
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
    ax.set(
        xlabel="score column (and the intercept)",
        ylabel="weight",
        title=f"Fused weights in {len(coefs)} folds",
    )
    ax.legend()
    return ax


def save_comparison_figures(
    folder, margin_rule, fusion, fold_models, feature_names, X, y, *, dpi=110
) -> list:
    """Write the four figures of ``skfusion compare --plot`` as PNG files.

    Parameters
    ----------
    folder : str or path-like
        Created if needed; each figure is written atomically.
    margin_rule, fusion : MarginThresholdClassifier, TorchLogisticFusion
        Fitted on `X`, `y`.
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
        In `folder`, the figures of `plot_threshold_curve`,
        `plot_margin_histograms`, `plot_restart_curves` and
        `plot_fold_weights`.

    See Also
    --------
    skfusion.model_selection.compare_estimators : Gives the fold models.

    Examples
    --------
    >>> from skfusion import MarginThresholdClassifier, TorchLogisticFusion
    >>> from skfusion.datasets import FEATURE_NAMES, make_squad2_scores
    >>> from skfusion.model_selection import compare_estimators
    >>> from skfusion.plotting import save_comparison_figures
    >>> X, y = make_squad2_scores(n_questions=500, random_state=0)
    >>> fusion = TorchLogisticFusion(n_restarts=5, random_state=0)
    >>> result = compare_estimators({"fusion": fusion}, X, y, n_repeats=1)
    >>> rule, fusion = MarginThresholdClassifier().fit(X, y), fusion.fit(X, y)
    >>> folds = result.fitted["fusion"]
    >>> paths = save_comparison_figures("out", rule, fusion, folds, FEATURE_NAMES, X, y)
    >>> [path.name for path in paths]
    ['threshold.png', 'margin_histograms.png', 'restart_curves.png', 'fold_weights.png']
    """
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    threshold = margin_rule.best_threshold_
    margin = margin_rule.decision_function(X) + threshold
    coefs = [m.coef_[0] for m in fold_models]
    bias = [m.intercept_[0] for m in fold_models]
    figures = {
        "threshold.png": partial(plot_threshold_curve, margin, y, threshold),
        "margin_histograms.png": partial(plot_margin_histograms, margin, y, threshold),
        "restart_curves.png": partial(plot_restart_curves, fusion),
        "fold_weights.png": partial(
            plot_fold_weights, coefs, feature_names, intercepts=bias
        ),
    }
    paths = []
    for name, plot in figures.items():
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        try:
            plot(ax=ax)
            fig.tight_layout()
            with atomic_write(folder / name, "wb") as file:
                fig.savefig(file, format="png", dpi=dpi)
        finally:
            plt.close(fig)
        paths.append(folder / name)
    return paths
