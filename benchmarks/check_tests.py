"""Error rates of every test ``skfusion compare`` prints, on SQuAD 2.0-shaped data.

Each simulation draws a dev set with SQuAD 2.0 dev's structure (35
articles, 1,204 paragraphs, 11,873 questions; half unanswerable) and two
readers whose margins and answers share a difficulty that is correlated
within paragraphs and articles, each reader adding errors of its own that
are correlated there too. BERT's rule, tuned for EM, on reader A's margin
and on reader B's is compared as ``skfusion compare`` compares rules: the
corrected fold t-test with folds over questions, paragraphs and articles,
then, on the article-grouped comparison's pooled out-of-fold decisions,
McNemar's test, the paired bootstrap and the cluster-robust t-test over
questions, paragraphs and articles.

Under "null" the two readers are drawn alike (no true difference: which is
ahead is chance, new articles included); under "power" reader A's own
errors are smaller. Each rate is the share of simulations in which the
test rejects at 0.05 (for the bootstrap: its 95% interval excludes 0), with
its Monte Carlo standard error. A test whose false-positive rate exceeds
0.065 is not used to say "significant" (skfusion's
``MEASURED_FALSE_POSITIVE_RATES`` holds the rates the user guide shows).

Run: ``python -m benchmarks.check_tests [--simulations 200] [--jobs 2]``
(about 2.5 s per simulation and core); the user guide's table is of
``--simulations 500 --power-simulations 150 --jobs 1``.
"""

import argparse
import time

import numpy as np
from joblib import Parallel, delayed

from benchmarks._common import machine_line
from skfusion import MarginThresholdClassifier
from skfusion.datasets._simulate import _group_sizes
from skfusion.metrics import squad2_credit
from skfusion.model_selection import (
    cluster_robust_ttest,
    compare_estimators,
    mcnemar_exact,
    paired_bootstrap_ci,
)
from skfusion.model_selection._fold_tests import RATE_LIMIT

N_ARTICLES, N_PARAGRAPHS, N_QUESTIONS = 35, 1204, 11873
# Standard deviations of the shared difficulty and of each reader's own
# errors, at the article, paragraph and question level.
SHARED = (0.5, 0.5, 1.0)
OWN = (0.3, 0.3, 0.8)
# Under "power", reader A's own errors are scaled by this.
BETTER = 0.8
UNITS = ("question", "paragraph", "article")


def dev_set(rng, better):
    """One simulated dev set: scores, labels, EM of each reader, groups."""
    paragraphs_per_article = _group_sizes(rng, N_PARAGRAPHS, N_ARTICLES)
    questions_per_paragraph = _group_sizes(rng, N_QUESTIONS, N_PARAGRAPHS)
    paragraph = np.repeat(np.arange(N_PARAGRAPHS), questions_per_paragraph)
    article = np.repeat(np.arange(N_ARTICLES), paragraphs_per_article)[paragraph]

    def clustered(sd):
        return (
            rng.normal(0, sd[0], N_ARTICLES)[article]
            + rng.normal(0, sd[1], N_PARAGRAPHS)[paragraph]
            + rng.normal(0, sd[2], N_QUESTIONS)
        )

    unanswerable = rng.random_sample(N_QUESTIONS) < 1 / (
        1 + np.exp(-rng.normal(0, 0.5, N_PARAGRAPHS)[paragraph])
    )
    difficulty = clustered(SHARED)
    margins, em = [], []
    for scale in (better, 1.0):
        noise = difficulty + scale * clustered(OWN)
        margins.append(np.where(unanswerable, 1.5, -1.5) + noise)
        right = rng.random_sample(N_QUESTIONS) < 1 / (1 + np.exp(-(1.5 - noise)))
        em.append(np.where(unanswerable, 0.0, right.astype(float)))
    return np.column_stack(margins), unanswerable, em, article, paragraph


def one_simulation(seed, better, n_resamples):
    """Whether each test rejects on one simulated dev set, and the difference."""
    rng = np.random.RandomState(seed)
    X, y, em, article, paragraph = dev_set(rng, better)
    rules = {
        "A": MarginThresholdClassifier(null_column=0, span_column=None),
        "B": MarginThresholdClassifier(null_column=1, span_column=None),
    }
    credit = dict(zip(rules, em, strict=True))
    levels = {
        "question": None,
        "paragraph": {"paragraph": paragraph},
        "article": {"article": article, "paragraph": paragraph},
    }
    rejects, comparison = {}, None
    for unit, groups in levels.items():
        comparison = compare_estimators(
            rules, X, y, em=credit, groups=groups, tune="squad_em", random_state=seed
        )
        assert comparison.fold_groups["by"] == unit
        (fold,) = comparison.pairwise_tests()
        rejects[f"fold_t:{unit}"] = fold["p"] <= 0.05
    # The report's per-question tests: the article-grouped comparison's
    # first repeat, pooled.
    a, b = (squad2_credit(comparison.predicted_null[r][0], y, credit[r]) for r in rules)
    rejects["mcnemar:question"] = mcnemar_exact(a == 1, b == 1)["p"] <= 0.05
    for unit, groups in levels.items():
        groups = None if groups is None else {unit: groups[unit]}
        boot = paired_bootstrap_ci(
            a, b, groups=groups, n_resamples=n_resamples, random_state=seed
        )
        rejects[f"bootstrap:{unit}"] = boot["ci_low"] > 0 or boot["ci_high"] < 0
        rejects[f"cluster_t:{unit}"] = (
            cluster_robust_ttest(a, b, groups=groups)["p"] <= 0.05
        )
    return rejects, float(np.mean(comparison.em["A"]) - np.mean(comparison.em["B"]))


def rates(results):
    """Rejection rate and its Monte Carlo standard error, per test."""
    table = {}
    for key in results[0][0]:
        hits = np.array([r[key] for r, _ in results], dtype=float)
        table[key] = (hits.mean(), np.sqrt(hits.mean() * (1 - hits.mean()) / hits.size))
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=200)
    parser.add_argument("--power-simulations", type=int, default=None)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    n_power = args.power_simulations or max(1, args.simulations // 2)
    start = time.perf_counter()
    runs = {}
    for scenario, better, n in (
        ("null", 1.0, args.simulations),
        ("power", BETTER, n_power),
    ):
        seeds = (
            args.seed * 1_000_000
            + (0 if scenario == "null" else 500_000)
            + np.arange(n)
        )
        runs[scenario] = Parallel(n_jobs=args.jobs)(
            delayed(one_simulation)(int(s), better, args.resamples) for s in seeds
        )
    null, power = rates(runs["null"]), rates(runs["power"])
    gain = np.array([d for _, d in runs["power"]])
    print(
        f"\n{args.simulations} simulations without a true difference, {n_power} with "
        f"reader A's own errors x{BETTER} (out-of-fold EM gain {gain.mean():+.4f} "
        f"+- {gain.std(ddof=1) / np.sqrt(gain.size):.4f}); {args.resamples} bootstrap "
        f"resamples; {time.perf_counter() - start:.0f} s\n"
    )
    header = ("test", "unit", "false-positive rate", "power", "says significant")
    rows = []
    for key, (rate, se) in null.items():
        test, unit = key.split(":")
        usable = "yes" if rate <= RATE_LIMIT else "no"
        p, p_se = power[key]
        rows.append(
            (test, unit, f"{rate:.3f} ± {se:.3f}", f"{p:.3f} ± {p_se:.3f}", usable)
        )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("=" * w for w in widths)
    print(line)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    print(line)
    measured = {key: round(float(rate), 3) for key, (rate, _) in null.items()}
    print(f"\nMEASURED_FALSE_POSITIVE_RATES = {measured}")
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
