"""MarginThresholdClassifier.fit against the usual ways to find the threshold.

Targets: at least 1,000x faster than the notebook repository's
hyperopt TPE search (2,000 evaluations of ``mean((s > t) == y)``, t in
[-10, 10]) and at least 10x faster than
``TunedThresholdClassifierCV(..., cv="prefit", scoring="accuracy")`` over the
same margin, with training accuracy at least as high as both. Also compared:
the official SQuAD 2.0 evaluation script's ``find_best_thresh`` (a Python
loop over questions).

A second table holds the fit against the floor of any exact search: a plain
numpy sort-and-cumsum sweep over the same float64 margin (no ties, weights or
checks), on SQuAD 2.0 dev-sized and 100 times larger data, float64 and
float32. Target: ``fit`` within 1.3x of that sweep's time, and its peak
memory (numpy's allocations, traced by `tracemalloc`, beyond X) at most 3x X.

Run: ``python -m benchmarks.bench_threshold [--repeats 5]`` (needs hyperopt:
``pip install -e ".[bench]"``).
"""

import argparse
import warnings

import numpy as np
from sklearn.model_selection import TunedThresholdClassifierCV

from benchmarks._common import (
    interleaved_medians,
    machine_line,
    median_seconds,
    print_table,
    traced_peak_bytes,
)
from skfusion import MarginThresholdClassifier
from skfusion.datasets import make_squad2_scores


def hyperopt_threshold(margin, y, max_evals=2000):
    """The notebook repository's search: TPE over t in [-10, 10] for accuracy."""
    from hyperopt import Trials, fmin, hp, tpe

    def loss(t):
        return -np.mean((margin > t) == y)

    best = fmin(
        loss,
        hp.uniform("t", -10, 10),
        algo=tpe.suggest,
        max_evals=max_evals,
        trials=Trials(),
        rstate=np.random.default_rng(0),
        show_progressbar=False,
    )
    return best["t"]


def find_best_thresh(preds, scores, na_probs, qid_to_has_ans):
    """The official SQuAD 2.0 evaluation script's threshold search (v2.0)."""
    num_no_ans = sum(1 for k in qid_to_has_ans if not qid_to_has_ans[k])
    cur_score = num_no_ans
    best_score = cur_score
    best_thresh = 0.0
    qid_list = sorted(na_probs, key=lambda k: na_probs[k])
    for qid in qid_list:
        if qid not in scores:
            continue
        if qid_to_has_ans[qid]:
            diff = scores[qid]
        elif preds[qid]:
            diff = -1
        else:
            diff = 0
        cur_score += diff
        if cur_score > best_score:
            best_score = cur_score
            best_thresh = na_probs[qid]
    return 100.0 * best_score / len(scores), best_thresh


def official_script_threshold(margin, y):
    """Run `find_best_thresh` with every answerable question's span correct.

    With a span predicted for every question and each answerable one scored
    1, its score is the accuracy of the no-answer decision.
    """
    qids = [f"q{i}" for i in range(len(y))]
    has_ans = dict(zip(qids, ~y, strict=True))
    na_probs = dict(zip(qids, margin.tolist(), strict=True))
    preds = dict.fromkeys(qids, "a span")
    scores = {q: 1 if has_ans[q] else 0 for q in qids}
    return find_best_thresh(preds, scores, na_probs, has_ans)[1]


def tuned_threshold(X, y):
    """sklearn's TunedThresholdClassifierCV over the same margin, prefit."""
    margin_rule = MarginThresholdClassifier(threshold=0.0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # cv="prefit" is deprecated
        tuned = TunedThresholdClassifierCV(
            margin_rule, cv="prefit", refit=False, scoring="accuracy"
        ).fit(X, y)
    return tuned.best_threshold_


def numpy_sweep(X, y):
    """The floor of an exact search: one sort, one cumulative sum, one argmax."""
    # The estimator's margin, in float64 whatever X's precision: float32
    # differences would be rounded, and could tie or reorder questions.
    margin = np.subtract(X[:, 0], X[:, -1], dtype=np.float64)
    order = np.argsort(margin)
    below = np.cumsum(y[order])  # unanswerable questions at or below each cut
    correct = np.arange(1, y.size + 1) - 2 * below  # + y.sum(), a constant
    k = int(np.argmax(correct))
    return float(margin[order[k]])


def sweep_rows(repeats):
    """Fit against the plain sweep: time ratio and peak memory over X."""
    rows = []
    for n in (11873, 1187300):
        X64, y = make_squad2_scores(n_questions=n, random_state=0)
        for dtype in ("float64", "float32"):
            X = X64.astype(dtype)
            fns = {
                "fit": lambda X=X, y=y: MarginThresholdClassifier().fit(X, y),
                "sweep": lambda X=X, y=y: numpy_sweep(X, y),
            }
            times = interleaved_medians(fns, repeats=repeats)
            memory = {
                name: traced_peak_bytes(fn) / X.nbytes for name, fn in fns.items()
            }
            rows.append(
                (
                    f"{n:,} x 4 {dtype}",
                    f"{times['fit'] * 1e3:.2f}",
                    f"{times['sweep'] * 1e3:.2f}",
                    f"{times['fit'] / times['sweep']:.2f}",
                    f"{memory['fit']:.2f}",
                    f"{memory['sweep']:.2f}",
                )
            )
    return rows


def search_table(repeats):
    """Time the usual threshold searches against ours."""
    X, y = make_squad2_scores(random_state=0)
    margin = X[:, 0] - X[:, 3]
    methods = {
        "MarginThresholdClassifier.fit (exact)": (
            lambda: MarginThresholdClassifier().fit(X, y).best_threshold_,
            repeats,
        ),
        "TunedThresholdClassifierCV(cv='prefit')": (
            lambda: tuned_threshold(X, y),
            repeats,
        ),
        "official SQuAD 2.0 find_best_thresh": (
            lambda: official_script_threshold(margin, y),
            repeats,
        ),
        # About 10 s a run, so fewer repeats; its ratio dwarfs the noise.
        "notebook repository: hyperopt TPE, 2,000 evaluations": (
            lambda: hyperopt_threshold(margin, y),
            max(1, min(repeats, 3)),
        ),
    }
    times, accuracies = {}, {}
    for name, (search, runs) in methods.items():
        times[name] = median_seconds(search, repeats=runs, warmup=1)
        accuracies[name] = np.mean((margin > search()) == y)
    ours = times["MarginThresholdClassifier.fit (exact)"]
    rows = [
        (
            name,
            f"{times[name] * 1e3:.2f}",
            f"{times[name] / ours:.0f}x",
            f"{accuracies[name]:.5f}",
            methods[name][1],
        )
        for name in methods
    ]
    print_table(
        f"Threshold search on {len(y)} margins (median after a warm-up)",
        ["method", "median ms", "time / ours", "training accuracy", "runs"],
        rows,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--sweep-only", action="store_true", help="only the table against the sweep"
    )
    args = parser.parse_args(argv)

    if not args.sweep_only:
        search_table(args.repeats)
    print_table(
        "MarginThresholdClassifier().fit against a plain numpy sort-and-cumsum "
        f"sweep of the same margin (median of {args.repeats} interleaved rounds "
        "after a warm-up; peak memory traced by tracemalloc, beyond X)",
        [
            "X",
            "fit ms",
            "sweep ms",
            "fit / sweep",
            "fit peak memory / X",
            "sweep peak memory / X",
        ],
        sweep_rows(args.repeats),
    )
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
