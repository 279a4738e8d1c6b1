"""
Save a calibrator and apply it to new questions
===============================================

Fit a no-answer calibrator on dev questions, save it with the names of the
columns it was trained on, and apply it to a new run of the reader to write
SQuAD-style predictions: ``""`` for "no answer", else the best span. These
are the steps of ``skfusion fit`` and ``skfusion predict``.
"""

# %%
# Fit on the dev questions
# ------------------------
import json
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from skfusion import TorchLogisticFusion
from skfusion.datasets import load_reader_outputs, write_squad_example
from skfusion.persistence import (
    check_feature_names,
    load_calibrator,
    save_calibrator,
    squad_predictions,
)

work = Path(tempfile.mkdtemp())
dev_paths = write_squad_example(work / "dev_run", random_state=0)
dev = load_reader_outputs(work / "dev_run", dev=dev_paths["dev"])
fusion = TorchLogisticFusion(random_state=0).fit(dev.data, dev.target)

# %%
# Save it
# -------
# ``.skops`` files are the format to share: loading one runs no code and
# refuses any type that is not skops' default or one of skfusion's
# estimators. ``.joblib`` and ``.pkl`` files are pickles, which
# ``load_calibrator`` reads only with ``allow_pickle=True``, for files from a
# source you trust. A fitted estimator holds only numpy arrays: loading it
# needs neither torch state nor a GPU. The file records the columns, the
# reader and the score kind the calibrator was fitted on.
save_calibrator(
    fusion,
    dev.feature_names,
    work / "calibrator.skops",
    reader=dev.reader,
    score_kind=dev.score_kind,
)
model, feature_names = load_calibrator(work / "calibrator.skops")
print(type(model).__name__, feature_names)

# %%
# Apply it to a new run
# ---------------------
# A new run of the reader has no gold answers: ``target`` is None. Given the
# data, ``load_calibrator`` refuses columns other than those the calibrator
# was trained on, or scores of another reader or score kind.
write_squad_example(work / "new_run", n_questions=300, random_state=1)
new = load_reader_outputs(work / "new_run")
model, feature_names = load_calibrator(work / "calibrator.skops", data=new)
predicted_null = model.predict(new.data)
predictions = squad_predictions(new.ids, predicted_null, new.span_text)
(work / "predictions.json").write_text(json.dumps(predictions, indent=1))
print(f"{predicted_null.sum()} of {len(predicted_null)} predicted unanswerable")
print(dict(list(predictions.items())[:4]))

# %%
# Columns that do not match are an error, not silently wrong predictions:
try:
    check_feature_names(feature_names, ["null_odds"])
except ValueError as error:
    print(error)

# %%
# What the calibrator outputs
# ---------------------------
# The fused logistic model gives a probability of "no answer", a smooth
# function of all the columns; it predicts "no answer" above 0.5. Drawn
# against BERT's margin (null minus best span), the spread of the
# probabilities at one margin is what the fusion makes of the columns
# beyond their difference.
null = [new.feature_names.index(name) for name in new.margin_columns[0]]
span = [new.feature_names.index(name) for name in new.margin_columns[1]]
margin = new.data[:, null].sum(axis=1) - new.data[:, span].sum(axis=1)
proba = model.predict_proba(new.data)[:, 1]
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(margin, proba, s=8, c=np.where(predicted_null, "C1", "C0"))
ax.axhline(0.5, color="0.5", ls=":")
ax.set(
    xlabel="null - best span",
    ylabel="P(no answer)",
    title="The saved calibrator on a new run",
)
fig.tight_layout()
