"""Per-question paired tests of two rules' out-of-fold decisions."""

import itertools

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from sklearn.utils import check_random_state

from ..metrics import squad2_credit
from ._fold_tests import all_equal, holm_flags, measured_rate

# What each test assumes, as the reports label it.
MCNEMAR_ASSUMES = (
    "per-question: questions independent (paragraphs and articles ignored) and "
    "the pooled out-of-fold decisions held fixed; exact binomial test on the "
    "questions only one rule gets right"
)
_QUESTION_ASSUMES = (
    "per-question: {unit}s independent{together}; the pooled out-of-fold "
    "decisions held fixed; {method}"
)

# Up to this many distinct (sum, size) groups, resamples are drawn as
# counts per kind.
_FEW_KINDS = 512
# Resamples drawn at once: bounds the (chunk, n_groups) arrays of drawn
# groups to about 32 MB each.
_CELLS_PER_CHUNK = 4_000_000


def mcnemar_exact(correct_a: ArrayLike, correct_b: ArrayLike) -> dict:
    """Test two classifiers' paired right/wrong outcomes exactly (McNemar).

    Parameters
    ----------
    correct_a, correct_b : array-like of shape (n_questions,) of bool
        Whether each question is right under rule a and under rule b (for
        EM: a credit of 1).

    Returns
    -------
    result : dict
        ``a_only`` (questions a gets right and b wrong), ``b_only`` (the
        reverse) and ``p``, the two-sided exact p-value of "each of these
        discordant questions is equally likely to favour a or b".

    See Also
    --------
    paired_bootstrap_ci : A confidence interval for a difference of means.

    Notes
    -----
    Given ``n = a_only + b_only`` discordant questions, ``a_only`` is
    Binomial(n, 1/2) under the null hypothesis, and
    ``p = min(1, 2 P(X <= min(a_only, b_only)))`` (McNemar, Psychometrika 12,
    1947; the exact form is statsmodels' ``mcnemar(exact=True)``). The test
    treats questions as independent and the two fitted rules as fixed: it
    says whether these decisions differ on questions like these, not
    whether another training run would.

    Examples
    --------
    >>> from skfusion.model_selection import mcnemar_exact
    >>> a = [True] * 12 + [False] * 2 + [True] * 30
    >>> b = [False] * 12 + [True] * 2 + [True] * 30
    >>> result = mcnemar_exact(a, b)
    >>> result["a_only"], result["b_only"], round(result["p"], 4)
    (12, 2, 0.0129)
    """
    a = _as_bool(correct_a, "correct_a")
    b = _as_bool(correct_b, "correct_b")
    if a.shape != b.shape:
        raise ValueError(
            f"correct_a and correct_b must have the same length; got {a.size} "
            f"and {b.size}."
        )
    a_only, b_only = int(np.sum(a & ~b)), int(np.sum(~a & b))
    n = a_only + b_only
    p = 1.0 if n == 0 else min(1.0, 2 * stats.binom.cdf(min(a_only, b_only), n, 0.5))
    return {"a_only": a_only, "b_only": b_only, "p": float(p)}


def _as_bool(values, name):
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-d; got shape {values.shape}.")
    if values.dtype != bool and not np.isin(values, (0, 1)).all():
        raise ValueError(f"{name} must hold booleans (or 0 and 1 only).")
    return values.astype(bool)


def paired_bootstrap_ci(
    credit_a: ArrayLike,
    credit_b: ArrayLike,
    *,
    groups=None,
    min_groups: int = 20,
    n_resamples: int = 10000,
    confidence_level: float = 0.95,
    random_state=0,
) -> dict:
    """Bootstrap an interval for a paired difference of mean per-question credit.

    Parameters
    ----------
    credit_a, credit_b : array-like of shape (n_questions,)
        Each question's score under rule a and rule b (EM, F1 or 0/1
        accuracy), on the same questions.
    groups : array-like of shape (n_questions,), dict or None, default=None
        Each question's group (its article, say), or a dict of such arrays
        from the coarsest level to the finest (``{"article": titles,
        "paragraph": contexts}``): whole groups of the coarsest level with
        at least `min_groups` groups are resampled, since questions on one
        text are not independent. None, or no level with enough groups,
        resamples single questions.
    min_groups : int, default=20
        Fewest groups a level needs to be resampled: a bootstrap over a
        handful of groups is too narrow (with 2 groups its interval is the
        range of two means).
    n_resamples : int, default=10000
        Bootstrap resamples.
    confidence_level : float, default=0.95
        Coverage of the interval.
    random_state : int, RandomState instance or None, default=0
        Seed of the resampling; the same seed gives the same interval.

    Returns
    -------
    result : dict
        ``mean_difference`` (mean of a minus mean of b), ``ci_low`` and
        ``ci_high`` (percentile interval), ``confidence_level``,
        ``n_resamples``, ``resampled`` (the level's name, "group" for a
        single array, or "question"), ``n_groups`` (how many of them) and
        ``skipped`` (each coarser level passed over, with its number of
        groups).

    See Also
    --------
    cluster_robust_ttest : A t-interval over the same groups.
    mcnemar_exact : An exact test for right/wrong outcomes.

    Notes
    -----
    Each resample draws ``n_groups`` groups with replacement and takes the
    difference of the mean credit over all the questions drawn: the paired
    bootstrap of Koehn ("Statistical Significance Tests for Machine
    Translation Evaluation", EMNLP 2004), over groups as Field and Welsh
    ("Bootstrapping clustered data", JRSS B 69, 2007) resample clusters.
    The pooled out-of-fold decisions are held fixed: the interval reflects
    which questions were asked, not retraining. With few groups the
    percentile interval is too narrow; the user guide gives its measured
    error rate.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.model_selection import paired_bootstrap_ci
    >>> rng = np.random.RandomState(0)
    >>> a = rng.rand(400) < 0.75
    >>> b = a & (rng.rand(400) < 0.95)
    >>> result = paired_bootstrap_ci(a, b, groups=np.arange(400) // 8)
    >>> result["n_groups"], result["resampled"], result["ci_low"] > 0
    (50, 'group', True)
    """
    d, unit, index, n_groups, skipped = _paired_groups(
        credit_a, credit_b, groups, min_groups
    )
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level={confidence_level} must be in (0, 1).")
    if (
        isinstance(n_resamples, bool)
        or int(n_resamples) != n_resamples
        or (n_resamples < 1)
    ):
        raise ValueError(f"n_resamples={n_resamples!r} must be a positive integer.")
    sums = np.bincount(index, weights=d, minlength=n_groups)
    sizes = np.bincount(index, minlength=n_groups).astype(float)
    draws = _resampled_means(sums, sizes, int(n_resamples), random_state)
    tail = (1 - confidence_level) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return {
        "mean_difference": float(np.mean(d)),
        "ci_low": float(low),
        "ci_high": float(high),
        "confidence_level": float(confidence_level),
        "n_resamples": int(n_resamples),
        "resampled": unit,
        "n_groups": n_groups,
        "skipped": skipped,
    }


def cluster_robust_ttest(
    credit_a: ArrayLike,
    credit_b: ArrayLike,
    *,
    groups=None,
    min_groups: int = 20,
    confidence_level: float = 0.95,
) -> dict:
    """Cluster-robust t-test and interval of a paired difference of mean credit.

    Parameters
    ----------
    credit_a, credit_b : array-like of shape (n_questions,)
        Each question's score under rule a and rule b, on the same
        questions.
    groups : array-like of shape (n_questions,), dict or None, default=None
        The clusters, as for `paired_bootstrap_ci`: the coarsest level with
        at least `min_groups` groups is used, else single questions.
    min_groups : int, default=20
        Fewest clusters a level needs.
    confidence_level : float, default=0.95
        Coverage of the interval.

    Returns
    -------
    result : dict
        ``mean_difference``, ``ci_low``, ``ci_high``, ``confidence_level``,
        ``t``, ``p`` (two-sided), ``df`` (``n_groups - 1``), ``clustered``
        (the level, or "question"), ``n_groups`` and ``skipped``, as for
        `paired_bootstrap_ci`. ``t``, ``p`` and the interval are NaN where
        every cluster's mean difference is the same (no variance).

    See Also
    --------
    paired_bootstrap_ci : A percentile interval over the same groups.
    corrected_resampled_ttest : The test over folds.

    Notes
    -----
    With cluster totals ``D_g`` of the differences, sizes ``n_g``, ``N``
    questions and mean ``m = sum D_g / N``, the variance of ``m`` is
    ``G / (G - 1) * sum (D_g - m n_g)**2 / N**2`` (the CR1 sandwich of a
    regression on a constant) and ``t = m / sqrt(variance)`` has ``G - 1``
    degrees of freedom (Cameron and Miller, "A Practitioner's Guide to
    Cluster-Robust Inference", Journal of Human Resources 50, 2015). With
    single questions as clusters it is the paired t-test; with clusters of
    equal size, the t-test of the cluster means.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.model_selection import cluster_robust_ttest
    >>> rng = np.random.RandomState(0)
    >>> a = rng.rand(400) < 0.75
    >>> b = a & (rng.rand(400) < 0.95)
    >>> result = cluster_robust_ttest(a, b, groups=np.arange(400) // 8)
    >>> result["df"], result["p"] < 0.05
    (49, True)
    """
    d, unit, index, n_groups, skipped = _paired_groups(
        credit_a, credit_b, groups, min_groups
    )
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level={confidence_level} must be in (0, 1).")
    totals = np.bincount(index, weights=d, minlength=n_groups)
    sizes = np.bincount(index, minlength=n_groups).astype(float)
    mean = totals.sum() / sizes.sum()
    t = p = half = np.nan
    if not all_equal(totals / sizes):
        residual = totals - mean * sizes
        se = np.sqrt(n_groups / (n_groups - 1) * np.sum(residual**2)) / sizes.sum()
        t = mean / se
        p = 2 * stats.t.sf(abs(t), n_groups - 1)
        half = se * stats.t.ppf((1 + confidence_level) / 2, n_groups - 1)
    return {
        "mean_difference": float(mean),
        "ci_low": float(mean - half),
        "ci_high": float(mean + half),
        "confidence_level": float(confidence_level),
        "t": float(t),
        "p": float(p),
        "df": n_groups - 1,
        "clustered": unit,
        "n_groups": n_groups,
        "skipped": skipped,
    }


def group_levels(groups, n):
    """Each grouping level's codes 0..G-1, coarsest first; {} for None."""
    if groups is None:
        return {}
    named = groups if isinstance(groups, dict) else {"group": groups}
    levels = {}
    for name, values in named.items():
        values = np.asarray(values)
        if values.shape != (n,):
            raise ValueError(
                f"groups[{name!r}] must have one entry per question ({n}); got "
                f"shape {values.shape}."
            )
        levels[name] = np.unique(values, return_inverse=True)[1].ravel()
    return levels


def grouping(levels, n, min_groups):
    """Name, codes and size of the coarsest level with `min_groups` groups.

    Falls back to single questions (codes None); also returns each level
    passed over, with its number of groups.
    """
    if isinstance(min_groups, bool) or int(min_groups) != min_groups or min_groups < 2:
        raise ValueError(f"min_groups={min_groups!r} must be an integer >= 2.")
    skipped = {}
    for name, codes in levels.items():
        n_groups = int(codes.max()) + 1
        if n_groups >= min_groups:
            return name, codes, n_groups, skipped
        skipped[name] = n_groups
    return "question", None, n, skipped


def _paired_groups(credit_a, credit_b, groups, min_groups):
    """Return the differences, and the unit, codes, size and skips of groups."""
    a = np.asarray(credit_a, dtype=float)
    b = np.asarray(credit_b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape or a.size < 2:
        raise ValueError(
            "credit_a and credit_b must be 1-d arrays of the same length, at "
            f"least 2; got shapes {a.shape} and {b.shape}."
        )
    unit, codes, n_groups, skipped = grouping(
        group_levels(groups, a.size), a.size, min_groups
    )
    return a - b, unit, np.arange(a.size) if codes is None else codes, n_groups, skipped


def _resampled_means(sums, sizes, n_resamples, random_state):
    """Mean difference per question of each resample of the groups."""
    rng = check_random_state(random_state)
    n_groups = sums.size
    kinds, counts = np.unique(np.c_[sums, sizes], axis=0, return_counts=True)
    if kinds.shape[0] <= _FEW_KINDS:
        # Groups with the same (sum, size) are interchangeable: drawing
        # n_groups of them uniformly is drawing how many of each kind, a
        # multinomial, which costs O(kinds) per resample instead of
        # O(n_groups) (0/1 credits give at most 3 kinds per question).
        drawn = rng.multinomial(n_groups, counts / n_groups, size=n_resamples)
        return (drawn @ kinds[:, 0]) / (drawn @ kinds[:, 1])
    chunk = max(1, _CELLS_PER_CHUNK // n_groups)
    draws = np.empty(n_resamples)
    for start in range(0, n_resamples, chunk):
        rows = min(chunk, n_resamples - start)
        picked = rng.randint(n_groups, size=(rows, n_groups))
        draws[start : start + rows] = sums[picked].sum(axis=1) / sizes[picked].sum(
            axis=1
        )
    return draws


def question_credit(metric, predicted_null, unanswerable, answer_credit):
    """Each question's accuracy, EM or F1 under one rule's decisions."""
    if metric == "accuracy":
        return (predicted_null == unanswerable).astype(float)
    return squad2_credit(predicted_null, unanswerable, answer_credit)


def question_tests(
    comparison, metric, *, repeat, n_resamples, confidence_level, alpha, random_state
):
    """Run `Comparison.question_tests`: every pair, Holm-adjusted."""
    if not comparison.predicted_null:
        raise ValueError("No out-of-fold predictions were recorded.")
    n_repeats = next(iter(comparison.predicted_null.values())).shape[0]
    if not 0 <= repeat < n_repeats:
        raise ValueError(f"repeat={repeat} must be in [0, {n_repeats - 1}].")
    credits = comparison.answer_credit.get(metric, {})
    if metric != "accuracy" and not credits:
        raise ValueError(f"No per-question {metric} was recorded.")
    y = comparison.unanswerable
    decisions = {n: p[repeat] for n, p in comparison.predicted_null.items()}
    credit = {
        n: question_credit(metric, d, y, credits.get(n)) for n, d in decisions.items()
    }
    binary = all(np.isin(c, (0.0, 1.0)).all() for c in credit.values())
    options = {"groups": comparison.groups, "min_groups": comparison.min_groups}
    tests = []
    for a, b in itertools.combinations(comparison.names, 2):
        boot = paired_bootstrap_ci(
            credit[a],
            credit[b],
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            random_state=random_state,
            **options,
        )
        cluster = cluster_robust_ttest(
            credit[a], credit[b], confidence_level=confidence_level, **options
        )
        mcnemar = mcnemar_exact(credit[a] == 1, credit[b] == 1) if binary else None
        tests.append(
            {
                "a": a,
                "b": b,
                "metric": metric,
                "repeat": repeat,
                "n_questions": int(y.size),
                "n_disagree": int(np.sum(decisions[a] != decisions[b])),
                "bootstrap": _labelled(boot, "bootstrap", boot["resampled"]),
                "cluster_t": _labelled(cluster, "cluster_t", cluster["clustered"]),
                "mcnemar": mcnemar and _labelled(mcnemar, "mcnemar", "question"),
            }
        )
    for key in ("cluster_t", "mcnemar"):
        holm_flags([t[key] for t in tests if t[key] is not None], alpha)
    for t in tests:
        t["bootstrap"]["excludes_zero"] = bool(
            t["bootstrap"]["ci_low"] > 0 or t["bootstrap"]["ci_high"] < 0
        )
    return tests


def _labelled(result, test, unit):
    """Add what `test` assumes, and its measured false-positive rate."""
    if test == "mcnemar":
        result["assumes"] = MCNEMAR_ASSUMES
    else:
        together = {
            "question": "",
            "group": " (the questions of one group together)",
        }.get(unit, f" (the questions of one {unit} together)")
        method = {
            "bootstrap": "resampled with replacement, percentile interval",
            "cluster_t": f"t-interval over {unit} totals with G - 1 degrees of freedom",
        }[test]
        result["assumes"] = _QUESTION_ASSUMES.format(
            unit=unit, together=together, method=method
        )
    result["false_positive_rate"] = measured_rate(f"{test}:{unit}")
    return result
