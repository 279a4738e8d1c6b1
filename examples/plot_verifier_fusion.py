"""
Replace a verifier's fixed weights (Retro-Reader)
=================================================

Retro-Reader (Zhang, Yang and Zhao, AAAI 2021; code in cooelf/AwesomeMRC)
answers SQuAD 2.0 with two models. A *sketchy reader* (``run_cls.py``) reads
each question and writes ``cls_score.json``: the mean over the question's
windows of ``logit[1] - logit[0]``, a class score that is higher for "no
answer". An *intensive reader* (``run_squad_av.py``) writes BERT-style n-best
lists and null odds. ``run_verifier.py`` then merges the two with fixed
weights: "no answer" where the mean of ``cls_score`` and ``null_odds`` is
above ``--thresh`` (0).

Here the weights are learned instead, and both are compared on the same
folds, scored on questions they did not see. The outputs are simulated (the
reader of :func:`~skfusion.datasets.write_squad_example` and the verifier of
:func:`~skfusion.datasets.make_squad2_ensemble`, which see the same
questions): the numbers below are properties of the simulation, and the
comparison is the one to run on your own readers' files.
"""

# %%
# Both readers' files in one folder
# ---------------------------------
# ``run_verifier.py`` reads ``cls_score.json``, ``null_odds.json`` and
# ``nbest_predictions.json`` from one folder; the simulated intensive reader
# writes the last two (and ``predictions.json``) under those names, and the
# sketchy reader's class score is the log-odds of the simulated verifier,
# written as ``run_cls.py`` writes it. The loader reads such a folder as
# Retro-Reader's: the intensive reader's per-head logits, then ``cls_score``;
# its margin (``data.margin_columns``) is the intensive reader's.
import json
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import logit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import (
    load_articles,
    load_reader_outputs,
    make_squad2_ensemble,
    write_squad_example,
)
from skfusion.model_selection import compare_estimators

n_questions = 11873  # SQuAD 2.0 dev's size
folder = Path(tempfile.mkdtemp()) / "retro_reader"
paths = write_squad_example(folder, n_questions=n_questions, random_state=0)
verifier = make_squad2_ensemble(n_questions, n_readers=1, random_state=0)
ids = list(json.loads(paths["null_odds"].read_text()))  # the dev file's order
cls_score = dict(zip(ids, logit(verifier.data[:, -1]).tolist(), strict=True))
(folder / "cls_score.json").write_text(json.dumps(cls_score, indent=4) + "\n")

with warnings.catch_warnings():  # a few questions without a span: counted
    warnings.simplefilter("ignore")
    data = load_reader_outputs(folder, dev=paths["dev"])
print(data.reader, data.score_kind)
print(data.feature_names)
# Questions of one article (and paragraph) are not independent draws.
groups = {
    level: load_articles(paths["dev"], data.ids, level=level)
    for level in ("article", "paragraph")
}


# %%
# ``run_verifier.py``'s rule
# --------------------------
# ``get_score1`` averages ``cof[0] * cls_score`` and ``cof[1] * null_odds``
# (``cof = [1, 1]``) and blanks the answer where the mean exceeds
# ``--thresh``. Its answer is the n-best text of highest probability, which
# is ``""`` wherever the intensive reader's null score beats its best span
# (``null_odds > 0``): those questions get no answer whatever the mean.
def verifier_inputs(X):
    """Return the columns run_verifier.py reads: null_odds and cls_score."""
    X = np.asarray(X)
    return np.column_stack([X[:, 0] + X[:, 1] - X[:, 2] - X[:, 3], X[:, 4]])


class RunVerifierRule(ClassifierMixin, BaseEstimator):
    """run_verifier.py's fixed-weight rule; fitting learns nothing."""

    def __init__(self, cof=(1.0, 1.0), thresh=0.0):
        self.cof = cof
        self.thresh = thresh

    def fit(self, X, y):
        """Learn nothing: the weights and the threshold are fixed."""
        self.classes_ = np.array([False, True])
        return self

    def predict(self, X):
        """Return True ("no answer") where run_verifier.py writes ""."""
        null_odds, cls = verifier_inputs(X).T
        mean = (self.cof[0] * cls + self.cof[1] * null_odds) / 2
        return (mean > self.thresh) | (null_odds > 0)


# %%
# Five rules on the same folds
# ----------------------------
# Each reader alone with a tuned threshold; the fixed equal weights, at
# ``--thresh 0`` and with a tuned threshold; the logistic fusion of the two
# scores ``run_verifier.py`` reads (two learned weights and an intercept);
# and the fusion of every column (the intensive reader's four logits and the
# class score).
estimators = {
    "run_verifier.py (cof [1, 1], thresh 0)": RunVerifierRule(),
    "intensive reader (tuned)": MarginThresholdClassifier(
        null_column=[0, 1], span_column=[2, 3]
    ),
    "sketchy reader (tuned)": MarginThresholdClassifier(
        null_column=[4], span_column=None
    ),
    "equal weights (tuned)": MarginThresholdClassifier(
        null_column=[0, 1, 4], span_column=[2, 3]
    ),
    "fusion of null_odds, cls_score": make_pipeline(
        FunctionTransformer(verifier_inputs), TorchLogisticFusion(random_state=0)
    ),
    "fusion of every column": TorchLogisticFusion(random_state=0),
}
result = compare_estimators(
    estimators, data.data, data.target, em=data.em, f1=data.f1, groups=groups
)
for row in result.summary():
    print(
        f"{row['estimator']:<40} accuracy {row['accuracy']:.4f}"
        f"  EM {row['em']:.4f}  F1 {row['f1']:.4f}"
    )

# %%
# Which differences are real: the corrected resampled t-test over the 5 x 3
# folds (which keep each article together), and the cluster-robust t-test
# over articles on the pooled out-of-fold decisions, each Holm-adjusted over
# all pairs.
fixed = "run_verifier.py (cof [1, 1], thresh 0)"
verdicts = {True: "significant", False: "not significant", None: "no verdict"}
fold_tests = result.pairwise_tests("accuracy")
question_tests = result.question_tests("accuracy", n_resamples=1000)
for fold, question in zip(fold_tests, question_tests, strict=True):
    if fixed not in (fold["a"], fold["b"]):
        continue
    cluster = question["cluster_t"]
    other = fold["b"] if fold["a"] == fixed else fold["a"]
    sign = 1 if fold["a"] == fixed else -1
    print(
        f"{other}: {-sign * fold['mean_difference']:+.4f} over the fixed rule; "
        f"folds: Holm p = {fold['p_holm']:.3g} ({verdicts[fold['significant']]}); "
        f"{cluster['n_groups']} articles: Holm p = {cluster['p_holm']:.3g} "
        f"({verdicts[cluster['significant']]})"
    )

# %%
# The weights that replace ``cof = [1, 1]``
# -----------------------------------------
# Fitted on all the questions, the two-score fusion says "no answer" where
# ``w_odds * null_odds + w_cls * cls_score + b > 0``: ``run_verifier.py``'s
# rule with ``cof = [w_cls, w_odds]`` (for ``--input_null_files
# cls_score.json,null_odds.json``) and ``--thresh -b / 2``, except that
# ``run_verifier.py`` still blanks every question whose intensive reader
# has ``null_odds > 0``; ``skfusion predict`` applies the fitted rule alone.
# ``skfusion fit --model fusion`` on a folder holding ``cls_score.json`` and
# ``null_odds.json`` prints these values.
two_scores = estimators["fusion of null_odds, cls_score"].fit(data.data, data.target)
(w_odds, w_cls), b = two_scores[-1].coef_[0], two_scores[-1].intercept_[0]
print(f"cof = [{w_cls:.4f}, {w_odds:.4f}], --thresh {-b / 2:.4f}")

# %%
# Fixed against learned
# ---------------------
# Each question by its two scores. Below the dashed line and left of the
# dotted one ``run_verifier.py`` answers; below the solid line the learned
# weights answer.
null_odds, cls = verifier_inputs(data.data).T
fig, ax = plt.subplots(figsize=(6.5, 5))
for label, color, name in ((False, "C0", "answerable"), (True, "C3", "unanswerable")):
    keep = data.target == label
    ax.scatter(null_odds[keep], cls[keep], s=2, alpha=0.3, color=color, label=name)
x = np.linspace(*np.percentile(null_odds, [0.5, 99.5]), 2)
ax.plot(x, -x, "k--", lw=1, label="run_verifier.py: mean = 0")
ax.axvline(0, color="k", ls=":", lw=1, label="null_odds = 0")
ax.plot(x, -(w_odds * x + b) / w_cls, "k-", lw=1.5, label="learned weights")
ax.set(
    xlabel="intensive reader's null_odds",
    ylabel="sketchy reader's cls_score",
    ylim=np.percentile(cls, [0.5, 99.5]),
)
ax.legend(loc="lower left", markerscale=4, fontsize="small")
fig.tight_layout()
