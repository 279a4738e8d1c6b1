"""
Serve a calibrator with ONNX Runtime
====================================

Convert a fitted calibrator to ONNX and answer questions with ONNX Runtime,
which needs neither scikit-learn, numba nor torch on the server. The graph
repeats the estimator's arithmetic: its labels are ``predict``'s and its
probabilities agree with ``predict_proba`` to rounding. Needs the ``onnx``
extra: ``pip install -e ".[onnx]"`` in a clone of skfusion.
"""

# %%
# Fit a calibrator on the dev questions
# -------------------------------------
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort

from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import load_reader_outputs, write_squad_example
from skfusion.onnx import to_onnx

work = Path(tempfile.mkdtemp())
dev_paths = write_squad_example(work / "dev_run", random_state=0)
dev = load_reader_outputs(work / "dev_run", dev=dev_paths["dev"])
fusion = TorchLogisticFusion(random_state=0).fit(dev.data, dev.target)

# %%
# Convert it and write the ONNX file
# ----------------------------------
# The example input fixes the graph's input: float64 columns, as many as the
# calibrator was trained on. float64 keeps the estimator's precision.
onx = to_onnx(fusion, dev.data)
(work / "calibrator.onnx").write_bytes(onx.SerializeToString())
print([i.name for i in onx.graph.input], [o.name for o in onx.graph.output])

# %%
# Serve it
# --------
# On the server only onnxruntime and numpy are needed. The columns must come
# in the order of ``dev.feature_names``: the graph does not know the names.
session = ort.InferenceSession(
    str(work / "calibrator.onnx"), providers=["CPUExecutionProvider"]
)
write_squad_example(work / "new_run", n_questions=300, random_state=1)
new = load_reader_outputs(work / "new_run")
label, proba = session.run(None, {"X": new.data})
print(f"{label.sum()} of {len(label)} predicted unanswerable")
print("labels equal predict:", bool((label == fusion.predict(new.data)).all()))
print(
    "largest probability difference:",
    float(np.abs(proba - fusion.predict_proba(new.data)).max()),
)

# %%
# One question at a time
# ----------------------
# A server gets one question per request: a (1, n_features) array.
one_label, one_proba = session.run(None, {"X": new.data[:1]})
print(new.ids[0], one_label[0], one_proba[0])

# %%
# BERT's rule
# -----------
# :class:`~skfusion.MarginThresholdClassifier` has no probabilities: its graph
# outputs the labels and ``scores``, ``[-d, d]`` for its
# ``decision_function`` ``d``.
null, span = dev.margin_columns
names = dev.feature_names
rule = MarginThresholdClassifier(
    null_column=[names.index(n) for n in null],
    span_column=[names.index(n) for n in span],
).fit(dev.data, dev.target)
rule_session = ort.InferenceSession(
    to_onnx(rule, dev.data).SerializeToString(), providers=["CPUExecutionProvider"]
)
rule_label, scores = rule_session.run(None, {"X": new.data})
print("labels equal predict:", bool((rule_label == rule.predict(new.data)).all()))

# %%
# What each calibrator says
# -------------------------
# ONNX Runtime's outputs against skfusion's own, question by question.
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
axes[0].scatter(fusion.predict_proba(new.data)[:, 1], proba[:, 1], s=8)
axes[0].set(
    xlabel="predict_proba (skfusion)",
    ylabel="probabilities (ONNX Runtime)",
    title="TorchLogisticFusion",
)
axes[1].scatter(rule.decision_function(new.data), scores[:, 1], s=8, c="C1")
axes[1].set(
    xlabel="decision_function (skfusion)",
    ylabel="scores (ONNX Runtime)",
    title="MarginThresholdClassifier",
)
fig.tight_layout()
