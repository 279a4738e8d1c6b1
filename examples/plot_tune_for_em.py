"""
Tune the threshold for SQuAD EM or F1
=====================================

SQuAD 2.0's official script picks the threshold that maximises EM or F1,
not accuracy. Answering an answerable question gains its best span's EM
(or F1), not a full point, and answering an unanswerable one loses what
predicting "no answer" would have gained. With those gains as sample
weights, from :func:`~skfusion.metrics.squad2_sample_weight`, weighted accuracy
is the EM (or F1) total up to a constant, so
:class:`~skfusion.MarginThresholdClassifier` finds the best threshold for
EM exactly, in one sort.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from skfusion import MarginThresholdClassifier
from skfusion.datasets import load_reader_outputs, write_squad_example
from skfusion.metrics import squad2_credit, squad2_report, squad2_sample_weight
from skfusion.model_selection import compare_estimators

folder = Path(tempfile.mkdtemp()) / "example"
paths = write_squad_example(folder)
data = load_reader_outputs(folder, dev=paths["dev"])
null = [data.feature_names.index(name) for name in data.margin_columns[0]]
span = [data.feature_names.index(name) for name in data.margin_columns[1]]
X, y = data.data, data.target

# %%
# One threshold per target
# ------------------------
# The same rule fitted three times on all the questions: for accuracy, for
# EM and for F1. The report is the official script's, in percent.
rules = {}
for tune in ("accuracy", "em", "f1"):
    weight = None
    if tune != "accuracy":
        weight = squad2_sample_weight(y, data.em if tune == "em" else data.f1)
    rule = MarginThresholdClassifier(null_column=null, span_column=span)
    rules[tune] = rule.fit(X, y, sample_weight=weight)
    report = squad2_report(rule.predict(X), y, data.em, data.f1)
    print(
        f"tuned for {tune:<8} threshold {rule.best_threshold_:+.3f}: "
        f"exact {report['exact']:.2f}, f1 {report['f1']:.2f}"
    )

# %%
# EM and accuracy against the threshold
# -------------------------------------
# Every threshold between two neighbouring margins gives the same
# predictions, so scoring one threshold per gap draws the whole curve. The
# EM-tuned threshold sits at the EM curve's maximum; the accuracy-tuned one
# at the accuracy curve's.
margin = rules["accuracy"].decision_function(X) + rules["accuracy"].best_threshold_
cuts = np.sort(margin)
thresholds = np.concatenate([[cuts[0] - 1], (cuts[1:] + cuts[:-1]) / 2])
predicted = margin[None, :] > thresholds[:, None]
em = np.array([squad2_credit(p, y, data.em).mean() for p in predicted])
accuracy = (predicted == y).mean(axis=1)

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(thresholds, accuracy, label="accuracy")
ax.plot(thresholds, em, label="SQuAD EM")
for tune, color in (("accuracy", "C0"), ("em", "C1")):
    threshold = rules[tune].best_threshold_
    ax.axvline(threshold, color=color, ls="--", lw=1, label=f"tuned for {tune}")
ax.set(xlabel="threshold on null - best span", ylabel="score (in sample)")
ax.legend()
fig.tight_layout()

# %%
# Out of fold
# -----------
# The scores above are measured on the questions the thresholds were tuned
# on. ``tune="squad_em"`` makes every fit of a cross-validated comparison
# maximise EM, and scores each fold's held-out questions.
result = compare_estimators(
    {"margin rule": MarginThresholdClassifier(null_column=null, span_column=span)},
    X,
    y,
    em=data.em,
    f1=data.f1,
    tune="squad_em",
)
row = result.summary()[0]
print(f"out-of-fold EM {row['em']:.4f} ± {row['em_std']:.4f}")
