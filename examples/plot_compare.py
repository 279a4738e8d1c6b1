"""
Compare the no-answer rules honestly
====================================

A rule tuned and scored on the same dev questions looks better than it is.
:func:`~skfusion.model_selection.compare_estimators` fits every rule on the
same repeated stratified folds, which keep each article of the dev file
together, and scores each on the questions it did not see, with accuracy
and SQuAD 2.0 EM and F1; the corrected resampled t-test then says which
differences the folds support, and a cluster-robust t-test over articles
which the pooled out-of-fold decisions support. This is what ``skfusion
compare`` runs.
"""

# %%
# A reader's output files
# -----------------------
# :func:`~skfusion.datasets.write_squad_example` writes a simulated reader's
# output folder and the dev answers; replace the folder with your reader's.
# Where an n-best list holds no span, only the readers' placeholder
# ``"empty"``, the loader warns with how many such questions there are: they
# can only be answered ``""``.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from skfusion.datasets import load_articles, load_reader_outputs, write_squad_example
from skfusion.model_selection import compare_estimators, no_answer_rules

folder = Path(tempfile.mkdtemp()) / "example"
paths = write_squad_example(folder)
data = load_reader_outputs(folder, dev=paths["dev"])
print(data.feature_names)
print(data.margin_columns)
# Questions of one article (and paragraph) are not independent draws.
groups = {
    level: load_articles(paths["dev"], data.ids, level=level)
    for level in ("article", "paragraph")
}

# %%
# Four rules on the same folds
# ----------------------------
# BERT's rule subtracts the summed span logits from the summed null logits
# (``data.margin_columns``); with a tuned threshold and with BERT's default
# of 0. The fused models weigh every column. ``no_answer_rules`` builds the
# rules ``skfusion compare`` runs; the data frame keeps the column names the
# rules use.
frame = load_reader_outputs(folder, dev=paths["dev"], as_frame=True)
estimators, _ = no_answer_rules(data.margin_columns, random_state=0)
result = compare_estimators(
    estimators, frame.data, data.target, em=data.em, f1=data.f1, groups=groups
)
print(result.fold_groups)
for row in result.summary():
    print(
        f"{row['estimator']:<25} accuracy {row['accuracy']:.4f}"
        f"  EM {row['em']:.4f}  F1 {row['f1']:.4f}"
    )

# %%
# Which differences are real?
# ---------------------------
# Fold scores are not independent (the training sets overlap), so the plain
# paired t-test is too optimistic; the corrected test of Nadeau and Bengio
# widens the variance by ``n_test / n_train``, and Holm's adjustment keeps
# the chance of any false "significant" among the six pairs at 5%. Per
# question, the cluster-robust t-test treats articles, not questions, as
# the independent units.
verdicts = {True: "significant", False: "not significant", None: "no verdict"}
fold_tests = result.pairwise_tests("accuracy")
question_tests = result.question_tests("accuracy", n_resamples=1000)
for fold, question in zip(fold_tests, question_tests, strict=True):
    cluster = question["cluster_t"]
    print(
        f"{fold['a']} vs {fold['b']}: {fold['mean_difference']:+.4f}, folds: Holm "
        f"p = {fold['p_holm']:.3g} ({verdicts[fold['significant']]}); "
        f"{cluster['n_groups']} articles: Holm p = {cluster['p_holm']:.3g} "
        f"({verdicts[cluster['significant']]})"
    )

# %%
# The folds, pair by pair
# -----------------------
# Each line is one fold: the same questions scored by every rule. Lines that
# cross a lot mean the folds disagree on which rule is better.
fig, ax = plt.subplots(figsize=(7, 4))
names = list(result.accuracy)
scores = np.array([result.accuracy[name] for name in names])
ax.plot(np.arange(len(names)), scores, color="0.6", lw=0.8)
ax.plot(np.arange(len(names)), scores.mean(axis=1), "s", color="C3", label="mean")
ax.set_xticks(np.arange(len(names)), [n.replace(" (", "\n(") for n in names])
ax.set(ylabel="out-of-fold accuracy", title=f"{scores.shape[1]} folds")
ax.legend()
fig.tight_layout()
