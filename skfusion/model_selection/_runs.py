"""Comparison of no-answer rules over several runs of one reader."""

import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ._compare import compare_estimators
from ._fold_tests import all_equal, holm_flags

RUN_TEST_ASSUMES = (
    "across runs: each run (checkpoint or seed) an independent draw of the "
    "reader's training; t-test: the per-run differences are normal; "
    "Wilcoxon: they are symmetric about their median; a claim about "
    "training the reader again, on these questions"
)


@dataclass
class RunComparison:
    """Cross-validated comparisons of the same rules on several runs.

    Returned by `compare_runs`: one `Comparison` per run of a reader
    (checkpoints, or training seeds), on the same folds.

    Parameters
    ----------
    names : list of str
        The estimators' names.
    runs : list of str
        The runs' names, in the order given.
    comparisons : dict of str to Comparison, default={}
        Each run's comparison.

    See Also
    --------
    compare_runs : Runs the comparisons.
    Comparison : One run's comparison.

    Examples
    --------
    >>> from skfusion.model_selection import Comparison, RunComparison
    >>> runs = {
    ...     f"seed{i}": Comparison(
    ...         names=["a", "b"], accuracy={"a": [0.8 + d], "b": [0.79]}
    ...     )
    ...     for i, d in enumerate([0.01, 0.02, 0.015, 0.005])
    ... }
    >>> result = RunComparison(["a", "b"], list(runs), runs)
    >>> result.per_run()[0]
    {'run': 'seed0', 'a': 0.81, 'b': 0.79}
    >>> test = result.run_tests()[0]
    >>> test["wins_a"], test["wins_b"], round(test["p_t"], 4)
    (4, 0, 0.0061)
    """

    names: list
    runs: list
    comparisons: dict = field(default_factory=dict)

    def per_run(self, metric=None):
        """Return each run's mean out-of-fold score of every estimator.

        Parameters
        ----------
        metric : {"accuracy", "em", "f1"} or None, default=None
            The score; None is the one the fits maximised.

        Returns
        -------
        rows : list of dict
            One per run: ``run``, then each estimator's name with its mean
            score over the folds.
        """
        rows = []
        for run in self.runs:
            comparison = self.comparisons[run]
            scores = comparison.scores(metric or comparison.tune)
            if not scores:
                raise ValueError(f"Run {run!r} recorded no {metric} scores.")
            row = {"run": run}
            row.update({n: float(np.mean(scores[n])) for n in self.names})
            rows.append(row)
        return rows

    def run_tests(self, metric=None, *, alpha=0.05):
        """Test every pair over the runs: paired t-test and Wilcoxon, Holm.

        Parameters
        ----------
        metric : {"accuracy", "em", "f1"} or None, default=None
            The score; None is the one the fits maximised.
        alpha : float, default=0.05
            Family-wise level of the ``significant_*`` flags.

        Returns
        -------
        tests : list of dict
            One per pair: ``a``, ``b``, ``n_runs``, ``mean_difference`` (a
            minus b, averaged over runs), ``wins_a`` and ``wins_b`` (runs on
            which each is ahead), ``t``, ``p_t``, ``p_t_holm``,
            ``significant_t`` (one-sample t-test of the per-run
            differences; ``t`` and ``p_t`` NaN and ``significant_t`` None
            where all differences are equal), ``p_wilcoxon``,
            ``p_wilcoxon_holm``, ``significant_wilcoxon`` (Wilcoxon's
            signed-rank test; None where every difference is zero) and
            ``assumes``.
        """
        rows = self.per_run(metric)
        tests = []
        for a, b in itertools.combinations(self.names, 2):
            d = np.array([row[a] - row[b] for row in rows])
            t, p_t = _t_test(d)
            tests.append(
                {
                    "a": a,
                    "b": b,
                    "n_runs": int(d.size),
                    "mean_difference": float(d.mean()),
                    "wins_a": int(np.sum(d > 0)),
                    "wins_b": int(np.sum(d < 0)),
                    "t": t,
                    "p_t": p_t,
                    "p_wilcoxon": _wilcoxon(d),
                    "assumes": RUN_TEST_ASSUMES,
                }
            )
        for key in ("p_t", "p_wilcoxon"):
            holm_flags(tests, alpha, key)
        return tests


def _t_test(d):
    """One-sample t-test of the differences; NaN where they are all equal."""
    if d.size < 2 or all_equal(d):
        return np.nan, np.nan
    result = stats.ttest_1samp(d, 0.0)
    return float(result.statistic), float(result.pvalue)


def _wilcoxon(d):
    """Two-sided signed-rank p-value, or None where every difference is 0."""
    if not np.any(d != 0):
        return None
    with warnings.catch_warnings():
        # scipy warns that ties or zeros make it leave the exact distribution.
        warnings.simplefilter("ignore", UserWarning)
        return float(stats.wilcoxon(d).pvalue)


def compare_runs(runs, estimators, **kwargs):
    """Compare the same rules on several runs of one reader.

    Parameters
    ----------
    runs : dict of str to mapping
        One entry per run (a checkpoint, or a training seed) of the same
        reader on the same questions, such as the Bunch of
        `skfusion.datasets.load_reader_outputs`: ``data`` (the score
        columns), ``target`` and, if known, ``em``, ``f1`` and ``groups``.
    estimators : dict of str to estimator
        The rules compared on every run.
    **kwargs : dict
        Passed to `compare_estimators` for every run (``tune``,
        ``n_splits``, ``n_repeats``, ``random_state``, ``progress``): every
        run gets the same folds where it has the same labels.

    Returns
    -------
    result : RunComparison
        Each run's `Comparison`, with `RunComparison.per_run` and
        `RunComparison.run_tests` across runs.

    See Also
    --------
    compare_estimators : The comparison on one run.

    Notes
    -----
    Different runs of one reader differ by their training randomness; a
    gain that holds on one checkpoint may not on the next (Reimers and
    Gurevych, "Reporting Score Distributions Makes a Difference", EMNLP
    2017). The tests across runs take each run's mean out-of-fold score as
    one observation. This is not fusing several readers: each run is
    calibrated on its own scores.

    Examples
    --------
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.datasets import make_squad2_scores
    >>> from skfusion.model_selection import compare_runs
    >>> runs = {}
    >>> for seed in range(3):
    ...     X, y = make_squad2_scores(n_questions=400, random_state=seed)
    ...     runs[f"seed{seed}"] = {"data": X, "target": y}
    >>> result = compare_runs(
    ...     runs,
    ...     {"tuned": MarginThresholdClassifier(),
    ...      "t=0": MarginThresholdClassifier(threshold=0.0)},
    ...     n_splits=3, n_repeats=1,
    ... )
    >>> len(result.per_run()), result.run_tests()[0]["n_runs"]
    (3, 3)
    """
    if len(runs) < 2:
        raise ValueError(f"compare_runs needs at least 2 runs; got {len(runs)}.")
    comparisons = {}
    for name, run in runs.items():
        comparisons[name] = compare_estimators(
            estimators,
            run["data"],
            run["target"],
            em=run.get("em"),
            f1=run.get("f1"),
            groups=run.get("groups"),
            **kwargs,
        )
    return RunComparison(list(estimators), list(runs), comparisons)
