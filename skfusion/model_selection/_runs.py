"""Comparison of no-answer rules over several runs of one reader."""

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ._compare import compare_estimators
from ._fold_tests import corrected_resampled_ttest, pair_tests

RUN_TEST_ASSUMES = (
    "across runs: each run (checkpoint or seed) an independent draw of the "
    "reader's training; t-test: the per-run differences are normal; "
    "Wilcoxon: they are symmetric about their median; a claim about "
    "training the reader again, on these questions"
)


@dataclass
class RunComparison:
    """Cross-validated comparisons of the same rules on several runs.

    Returned by `compare_runs`: one `Comparison` per run of a reader.

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

    Examples
    --------
    >>> from skfusion.model_selection import Comparison, RunComparison
    >>> runs = {
    ...     f"seed{i}": Comparison(["a", "b"], accuracy={"a": [0.8 + d], "b": [0.79]})
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
            One per run: ``run``, then each estimator's mean score.
        """
        rows = []
        for run in self.runs:
            comparison = self.comparisons[run]
            scores = comparison.scores(metric or comparison.tune)
            if not scores:
                raise ValueError(f"Run {run!r} recorded no {metric} scores.")
            rows.append(
                {"run": run, **{n: float(np.mean(scores[n])) for n in self.names}}
            )
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
            minus b), ``wins_a`` and ``wins_b`` (runs each is ahead on),
            ``t``, ``p_t``, ``p_t_holm``, ``significant_t`` (paired t-test;
            NaN and None where all differences are equal, ``undefined``
            saying so), ``p_wilcoxon``, ``p_wilcoxon_holm``,
            ``significant_wilcoxon`` (signed-rank test; None where every
            difference is zero) and ``assumes``.
        """
        rows = self.per_run(metric)

        def test(a, b):
            d = np.array([row[a] - row[b] for row in rows])
            # Runs share no training questions: no overlap to correct for.
            t, p_t = corrected_resampled_ttest(d, n_train=1, n_test=0)
            with warnings.catch_warnings():  # ties leave the exact distribution
                warnings.simplefilter("ignore", UserWarning)
                wilcoxon = float(stats.wilcoxon(d).pvalue) if np.any(d != 0) else None
            return {
                "n_runs": int(d.size),
                "mean_difference": float(d.mean()),
                "wins_a": int(np.sum(d > 0)),
                "wins_b": int(np.sum(d < 0)),
                "t": t,
                "p_t": p_t,
                "p_wilcoxon": wilcoxon,
                "assumes": RUN_TEST_ASSUMES,
            }

        return pair_tests(self.names, test, alpha, keys=("p_t", "p_wilcoxon"))


def compare_runs(runs, estimators, **kwargs):
    """Compare the same rules on several runs of one reader.

    Parameters
    ----------
    runs : dict of str to mapping
        Each run (checkpoint or training seed) of one reader on the same
        questions, as `skfusion.datasets.load_reader_outputs` gives it:
        ``data``, ``target`` and, if known, ``em``, ``f1`` and ``groups``.
        With ``ids`` (and ``feature_names``), every run must hold the first
        run's questions, labels (and columns); its rows are put in the first
        run's order, so that every run gets the same folds.
    estimators : dict of str to estimator
        The rules compared on every run.
    **kwargs : dict
        Passed to `compare_estimators` for every run.

    Returns
    -------
    result : RunComparison
        Each run's `Comparison`, and the tests across runs.

    See Also
    --------
    compare_estimators : The comparison on one run.

    Notes
    -----
    Runs of one reader differ by their training randomness; a gain on one
    checkpoint may vanish on the next (Reimers and Gurevych, EMNLP 2017).
    Each run's mean out-of-fold score is one observation. Not fusion: each
    run is calibrated on its own scores.

    Examples
    --------
    >>> from skfusion import MarginThresholdClassifier as Rule
    >>> from skfusion.datasets import make_squad2_scores
    >>> from skfusion.model_selection import compare_runs
    >>> runs = {s: make_squad2_scores(400, random_state=s) for s in range(3)}
    >>> runs = {s: {"data": X, "target": y} for s, (X, y) in runs.items()}
    >>> result = compare_runs(runs, {"tuned": Rule(), "t=0": Rule(threshold=0.0)},
    ...                       n_splits=3, n_repeats=1)
    >>> len(result.per_run()), result.run_tests()[0]["n_runs"]
    (3, 3)
    """
    if len(runs) < 2:
        raise ValueError(f"compare_runs needs at least 2 runs; got {len(runs)}.")
    comparisons = {
        name: compare_estimators(
            estimators,
            run["data"],
            run["target"],
            **{key: run.get(key) for key in ("em", "f1", "groups")},
            **kwargs,
        )
        for name, run in _aligned(runs).items()
    }
    return RunComparison(list(estimators), list(runs), comparisons)


def _aligned(runs):
    """Each run's rows in the first run's question order, once checked alike."""
    (first_name, first), *others = runs.items()
    if first.get("ids") is None:
        return runs
    aligned = {first_name: first}
    for name, run in others:
        if list(run.get("feature_names", [])) != list(first.get("feature_names", [])):
            raise ValueError(
                f"{name}: columns {run['feature_names']} differ from those of "
                f"{first_name} ({first['feature_names']}): runs of one reader must "
                "have the same score columns."
            )
        position = {qid: i for i, qid in enumerate(run["ids"])}
        rows = np.array([position.get(qid, -1) for qid in first["ids"]])
        same = len(position) == len(rows) and (rows >= 0).all()
        if not (same and np.array_equal(run["target"][rows], first["target"])):
            raise ValueError(
                f"{name}: its questions (or labels) differ from those of "
                f"{first_name}: runs of one reader must answer the same questions "
                "(subset='intersection' of the loaders, --intersect on the command "
                "line, keeps a run's own common questions only)."
            )
        aligned[name] = {
            key: None if run.get(key) is None else run[key][rows]
            for key in ("data", "target", "em", "f1")
        }
    return aligned
