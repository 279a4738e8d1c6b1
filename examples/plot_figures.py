"""
The figures of a comparison
===========================

``skfusion compare --plot DIR`` writes four figures, made by the functions
of :mod:`skfusion.plotting`. Each draws on a matplotlib Axes, so they can
be combined as here, or written to PNG files at once with
:func:`~skfusion.plotting.save_comparison_figures`. They need matplotlib
(``pip install matplotlib``, or ``pip install -e ".[plot]"`` in a clone of
skfusion).
"""

# %%
import matplotlib.pyplot as plt

from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import FEATURE_NAMES, make_squad2_scores
from skfusion.model_selection import compare_estimators
from skfusion.plotting import (
    plot_fold_weights,
    plot_margin_histograms,
    plot_restart_curves,
    plot_threshold_curve,
)

# Simulated scores of a SQuAD 2.0 dev set: joint null logit, start and end
# null logits, best span score.
X, y = make_squad2_scores(n_questions=4000, random_state=0)
rule = MarginThresholdClassifier(null_column=0, span_column=3).fit(X, y)
fusion = TorchLogisticFusion(random_state=0).fit(X, y)
folds = compare_estimators({"fusion": fusion}, X, y, random_state=0)
margin = X[:, 0] - X[:, 3]

# %%
# The threshold and the margins
# -----------------------------
# Left: accuracy of BERT's rule against its threshold, exact at every cut;
# the tuned threshold (dashed) against BERT's default of 0 (dotted). Right:
# the margins of answerable and unanswerable questions; their overlap is
# what no threshold separates.
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
plot_threshold_curve(margin, y, rule.best_threshold_, ax=left)
plot_margin_histograms(margin, y, rule.best_threshold_, ax=right)
fig.tight_layout()

# %%
# The fused model's training
# --------------------------
# Left: the training accuracy of each of the 20 restarts (numbered from 0)
# after every SGD step (numbered from 1), and the snapshot kept; the y axis
# is cut where the restarts differ, and the inset shows every step. Right:
# the fused weights fitted on each of the 15 cross-validation folds; a
# weight whose sign changes between folds is not determined by the data.
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
plot_restart_curves(fusion, ax=left)
models = folds.fitted["fusion"]
plot_fold_weights(
    [m.coef_[0] for m in models],
    FEATURE_NAMES,
    intercepts=[m.intercept_[0] for m in models],
    ax=right,
)
fig.tight_layout()
