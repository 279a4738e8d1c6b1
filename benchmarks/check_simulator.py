"""How the simulator meets its calibration targets, over many random states.

``python -m benchmarks.check_simulator --states 100`` prints, for both column
sets of ``make_squad2_scores`` (defaults otherwise: SQuAD 2.0 dev's 11,873
questions), the minimum, mean and maximum over the random states of:

- the tuned margin rule's accuracy on the data it is fitted to, and its
  threshold (targets 0.77-0.86 and [-6, 0.5]);
- what threshold 0 loses against it (at most 2.5 points);
- what a fused logistic regression gains over the tuned rule out of fold,
  5-fold stratified (between -0.5 and +1.5 points), for scikit-learn's
  LogisticRegression and for TorchLogisticFusion;

and, on ``write_squad_example`` folders (2,000 questions), what the official
evaluation script's logic (``tests/_official_eval.py``) reports: exact at
threshold 0, the gain of best_exact over it (target 0-3 points) and
best_exact_thresh (target [-6, 0.5]).

With ``--ensemble-states N``, on ``make_squad2_ensemble`` (two readers and a
verifier, SQuAD 2.0 dev's size), out of fold: each reader's tuned rule, the
verifier's, the tuned rule on the fixed 0.5/0.5 average of reader 0's margin
and the verifier's logit (Retro-Reader's rear verification), and what a
logistic regression gains over the best single tuned rule, on reader 0's
columns, on both readers' and on every column. No target: these describe
the simulation, not real readers.
"""

import argparse
import json
import tempfile

import numpy as np
from scipy.special import logit
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from benchmarks._common import print_table
from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import (
    make_squad2_ensemble,
    make_squad2_scores,
    write_squad_example,
)
from tests._official_eval import evaluate

RULE_COLUMNS = {
    "notebook": {"null_column": 0, "span_column": 3},
    "per_head": {"null_column": [0, 1], "span_column": [2, 3]},
}


def simulator_targets(columns, state):
    X, y = make_squad2_scores(columns=columns, random_state=state)
    rule = RULE_COLUMNS[columns]
    tuned = MarginThresholdClassifier(**rule).fit(X, y)
    zero = MarginThresholdClassifier(threshold=0.0, **rule).fit(X, y)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    tuned_oof = cross_val_score(MarginThresholdClassifier(**rule), X, y, cv=cv).mean()
    fusions = {
        "LogisticRegression": LogisticRegression(),
        "TorchLogisticFusion": TorchLogisticFusion(random_state=0),
    }
    row = {
        "tuned accuracy": tuned.best_score_,
        "tuned threshold": tuned.best_threshold_,
        "points lost at threshold 0": 100 * (tuned.best_score_ - zero.best_score_),
    }
    for name, model in fusions.items():
        oof = cross_val_score(model, X, y, cv=cv).mean()
        row[f"{name} gain, out of fold (points)"] = 100 * (oof - tuned_oof)
    return row


def _oof(model, X, y):
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    return cross_val_score(model, X, y, cv=cv).mean()


def ensemble_fusion(state):
    data = make_squad2_ensemble(random_state=state)
    X, y, names = data.data, data.target, data.feature_names
    rule = MarginThresholdClassifier(span_column=None)
    margins = {}
    for name, (null, span) in data.run_margins.items():
        columns = [names.index(c) for c in null], [names.index(c) for c in span]
        margins[name] = X[:, columns[0]].sum(axis=1) - X[:, columns[1]].sum(axis=1)
    verifier = X[:, names.index("verifier")]
    row = {f"{n} tuned rule": _oof(rule, m[:, None], y) for n, m in margins.items()}
    row["verifier tuned rule"] = _oof(rule, verifier[:, None], y)
    fixed = 0.5 * margins["reader0"] + 0.5 * logit(np.clip(verifier, 1e-12, 1 - 1e-12))
    row["fixed 0.5/0.5 reader0 + verifier"] = _oof(rule, fixed[:, None], y)
    best = max(row[f"{n} tuned rule"] for n in margins)
    for label, width in (("reader0", 4), ("both readers", 8), ("all columns", None)):
        fused = _oof(LogisticRegression(), X[:, :width], y)
        row[f"fusion of {label}: gain over best rule (points)"] = 100 * (fused - best)
    row["fusion of all: gain over fixed 0.5/0.5 (points)"] = 100 * (
        _oof(LogisticRegression(), X, y) - row["fixed 0.5/0.5 reader0 + verifier"]
    )
    return row


def official_script_on_example(state, n_questions=2000):
    with tempfile.TemporaryDirectory() as folder:
        paths = write_squad_example(folder, n_questions=n_questions, random_state=state)
        dev, preds, odds = (
            json.loads(paths[k].read_text())
            for k in ("dev", "predictions", "null_odds")
        )
    report = evaluate(dev["data"], preds, odds)
    return {
        "exact at threshold 0": report["exact"],
        "best_exact gain (points)": report["best_exact"] - report["exact"],
        "best_exact_thresh": report["best_exact_thresh"],
        "best_f1 gain (points)": report["best_f1"] - report["f1"],
        "best_f1_thresh": report["best_f1_thresh"],
    }


def summarise(title, rows):
    names = list(rows[0])
    values = {name: np.array([row[name] for row in rows]) for name in names}
    print_table(
        title,
        ["quantity", "min", "mean", "max"],
        [
            [name, f"{v.min():.4f}", f"{v.mean():.4f}", f"{v.max():.4f}"]
            for name, v in values.items()
        ],
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=100)
    parser.add_argument("--ensemble-states", type=int, default=0)
    args = parser.parse_args(argv)
    if args.ensemble_states:
        summarise(
            f"make_squad2_ensemble() (2 readers + verifier), random states 0-"
            f"{args.ensemble_states - 1}, 5-fold out-of-fold accuracy",
            [ensemble_fusion(s) for s in range(args.ensemble_states)],
        )
    if not args.states:
        return
    states = range(args.states)
    for columns in RULE_COLUMNS:
        summarise(
            f"make_squad2_scores(columns={columns!r}), random states 0-"
            f"{args.states - 1}",
            [simulator_targets(columns, s) for s in states],
        )
    summarise(
        f"Official script on write_squad_example(n_questions=2000), random "
        f"states 0-{args.states - 1}",
        [official_script_on_example(s) for s in states],
    )


if __name__ == "__main__":
    main()
