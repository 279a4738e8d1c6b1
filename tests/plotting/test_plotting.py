"""What the figures of skfusion.plotting tell a reader."""

import numpy as np
import pytest

from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import make_squad2_scores

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")
plotting = pytest.importorskip("skfusion.plotting")


@pytest.fixture(scope="module")
def scores():
    X, y, _ = make_squad2_scores(grouped=True, random_state=0)
    return X, y  # the README's figures' data


def test_threshold_legend_leaves_the_curve_visible(scores):
    X, y = scores
    rule = MarginThresholdClassifier(null_column=0, span_column=3).fit(X, y)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))  # as save_comparison_figures
    margin = X[:, 0] - X[:, 3]
    plotting.plot_threshold_curve(margin, y, rule.best_threshold_, ax=ax)
    fig.tight_layout()
    fig.canvas.draw()
    box = ax.get_legend().get_window_extent()
    curve = ax.lines[0].get_xydata()
    points = ax.transData.transform(curve)
    inside = (
        (points[:, 0] >= box.x0)
        & (points[:, 0] <= box.x1)
        & (points[:, 1] >= box.y0)
        & (points[:, 1] <= box.y1)
    )
    assert not inside.any()
    plt.close(fig)


@pytest.mark.parametrize("validation_fraction", [None, 0.2])
def test_restart_curves_say_what_they_show(scores, validation_fraction):
    X, y = scores
    fusion = TorchLogisticFusion(
        n_restarts=6, validation_fraction=validation_fraction, random_state=0
    ).fit(X[:3000], y[:3000])
    fig, ax = plt.subplots()
    plotting.plot_restart_curves(fusion, ax=ax)
    held_out = validation_fraction is not None
    assert ax.get_ylabel() == ("held-out" if held_out else "training") + " accuracy"
    (label,) = [t.get_text() for t in ax.get_legend().get_texts()]
    assert label == (
        f"kept: restart {fusion.best_restart_} (of 0-5), "
        f"step {fusion.best_step_ + 1} (of 1-{fusion.n_steps})"
    )
    # The main axes may cut the first steps; the inset shows every value.
    (inset,) = ax.child_axes
    low, high = inset.get_ylim()
    curve = fusion.accuracy_curve_
    assert low <= curve.min() and curve.max() <= high
    assert ax.get_ylim()[1] >= curve.max()
    plt.close(fig)


def test_fold_weights_label_both_axes():
    ax = plotting.plot_fold_weights(np.ones((3, 2)), ["a", "b"], intercepts=[0] * 3)
    assert ax.get_xlabel() and ax.get_ylabel() == "weight"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "intercept"]
    plt.close(ax.figure)
