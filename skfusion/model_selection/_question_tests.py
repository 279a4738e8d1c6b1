"""Per-question paired tests of two rules' out-of-fold decisions."""

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from sklearn.utils import check_random_state

from ._fold_tests import MEASURED_FALSE_POSITIVE_RATES, all_equal

_ASSUMES = (
    "per-question: {unit}s independent{together}; the pooled out-of-fold "
    "decisions held fixed; {method}"
)
_METHODS = {
    "bootstrap": "resampled with replacement, percentile interval",
    "cluster_t": "t-interval over {unit} totals with G - 1 degrees of freedom",
}
MCNEMAR_ASSUMES = (
    "per-question: questions independent (paragraphs and articles ignored) and "
    "the pooled out-of-fold decisions held fixed; exact binomial test on the "
    "questions only one rule gets right"
)
# Up to this many distinct (sum, size) groups, resamples are drawn as
# counts per kind.
_FEW_KINDS = 512
# Resamples drawn at once: bounds the (chunk, n_groups) arrays to ~32 MB.
_CELLS_PER_CHUNK = 4_000_000


def mcnemar_exact(correct_a: ArrayLike, correct_b: ArrayLike) -> dict:
    """Test two classifiers' paired right/wrong outcomes exactly (McNemar).

    Parameters
    ----------
    correct_a, correct_b : array-like of shape (n_questions,) of bool
        Whether each question is right under rule a and under rule b.

    Returns
    -------
    result : dict
        ``a_only`` (right under a only), ``b_only`` (under b only) and ``p``,
        two-sided exact p-value of "a discordant question favours a or b
        equally".

    See Also
    --------
    cluster_robust_ttest : A test that allows for correlated questions.

    Notes
    -----
    Under the null, ``a_only`` is Binomial(a_only + b_only, 1/2): ``p =
    min(1, 2 P(X <= min(a_only, b_only)))`` (McNemar, Psychometrika 12, 1947;
    statsmodels' ``mcnemar(exact=True)``). Questions are taken as independent.

    Examples
    --------
    >>> from skfusion.model_selection import mcnemar_exact
    >>> a = [True] * 12 + [False] * 2 + [True] * 30
    >>> b = [False] * 12 + [True] * 2 + [True] * 30
    >>> result = mcnemar_exact(a, b)
    >>> result["a_only"], result["b_only"], round(result["p"], 4)
    (12, 2, 0.0129)
    """
    a, b = np.asarray(correct_a), np.asarray(correct_b)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(
            "correct_a and correct_b must be 1-d and have the same length; got "
            f"shapes {a.shape} and {b.shape}."
        )
    if not (np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all()):
        raise ValueError("correct_a and correct_b must hold booleans (or 0 and 1).")
    a, b = a.astype(bool), b.astype(bool)
    a_only, b_only = int(np.sum(a & ~b)), int(np.sum(~a & b))
    n = a_only + b_only
    p = 1.0 if n == 0 else min(1.0, 2 * stats.binom.cdf(min(a_only, b_only), n, 0.5))
    return {"a_only": a_only, "b_only": b_only, "p": float(p)}


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
        Each question's score (EM, F1 or 0/1 accuracy) under rule a and b.
    groups : array-like of shape (n_questions,), dict or None, default=None
        Each question's group, or a dict of such arrays, coarsest first
        (``{"article": titles, "paragraph": contexts}``): whole groups of the
        coarsest level with at least `min_groups` groups are resampled; else
        single questions.
    min_groups : int, default=20
        Fewest groups a level needs (over a few, the interval is too narrow).
    n_resamples : int, default=10000
        Bootstrap resamples.
    confidence_level : float, default=0.95
        Coverage of the interval.
    random_state : int, RandomState instance or None, default=0
        Seed of the resampling.

    Returns
    -------
    result : dict
        ``mean_difference`` (a minus b), ``ci_low``, ``ci_high`` (percentile
        interval), ``confidence_level``, ``n_resamples``, ``resampled`` (the
        level's name, "group" for one array, or "question"), ``n_groups`` and
        ``skipped`` (the coarser levels passed over, with their sizes).

    See Also
    --------
    cluster_robust_ttest : A t-interval over the same groups.

    Notes
    -----
    Each resample draws ``n_groups`` groups with replacement and takes the
    mean difference over their questions (Koehn, EMNLP 2004; clusters as in
    Field and Welsh, JRSS B 69, 2007).

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
    d, unit, sums, sizes, skipped = _group_sums(credit_a, credit_b, groups, min_groups)
    _check_level(confidence_level)
    if isinstance(n_resamples, bool) or not int(n_resamples) == n_resamples >= 1:
        raise ValueError(f"n_resamples={n_resamples!r} must be a positive integer.")
    rng = check_random_state(random_state)
    kinds, counts = np.unique(np.c_[sums, sizes], axis=0, return_counts=True)
    if kinds.shape[0] <= _FEW_KINDS:
        # Groups of equal (sum, size) are interchangeable: draw how many of
        # each kind, O(kinds) per resample (0/1 credits: 3 kinds of question).
        drawn = rng.multinomial(sums.size, counts / sums.size, size=int(n_resamples))
        draws = (drawn @ kinds[:, 0]) / (drawn @ kinds[:, 1])
    else:
        rows, draws = max(1, _CELLS_PER_CHUNK // sums.size), []
        for start in range(0, int(n_resamples), rows):
            size = (min(rows, n_resamples - start), sums.size)
            picked = rng.randint(sums.size, size=size)
            draws.append(sums[picked].sum(axis=1) / sizes[picked].sum(axis=1))
        draws = np.concatenate(draws)
    tail = (1 - confidence_level) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return {
        "mean_difference": float(np.mean(d)),
        "ci_low": float(low),
        "ci_high": float(high),
        "confidence_level": float(confidence_level),
        "n_resamples": int(n_resamples),
        "resampled": unit,
        "n_groups": sums.size,
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
        Each question's score under rule a and rule b.
    groups : array-like of shape (n_questions,), dict or None, default=None
        The clusters, chosen as `paired_bootstrap_ci` chooses its groups.
    min_groups : int, default=20
        Fewest clusters a level needs.
    confidence_level : float, default=0.95
        Coverage of the interval.

    Returns
    -------
    result : dict
        ``mean_difference``, ``ci_low``, ``ci_high``, ``confidence_level``,
        ``t``, ``p`` (two-sided), ``df`` (``n_groups - 1``), ``clustered``
        (the level), ``n_groups`` and ``skipped``; NaN ``t``, ``p`` and
        interval where every cluster's mean difference is the same.

    See Also
    --------
    paired_bootstrap_ci : A percentile interval over the same groups.

    Notes
    -----
    With cluster totals ``D_g``, sizes ``n_g``, ``N`` questions and mean ``m
    = sum D_g / N``, ``var(m) = G / (G - 1) * sum (D_g - m n_g)**2 / N**2``
    (CR1) and ``t = m / sqrt(var(m))`` has ``G - 1`` degrees of freedom
    (Cameron and Miller, Journal of Human Resources 50, 2015). Over single
    questions it is the paired t-test.

    Examples
    --------
    >>> from skfusion.model_selection import cluster_robust_ttest
    >>> a = [1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0]
    >>> b = [1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0]
    >>> result = cluster_robust_ttest(a, b, groups=[0, 0, 1, 1, 2, 2] * 2, min_groups=3)
    >>> result["df"], round(result["mean_difference"], 3), round(result["p"], 3)
    (2, 0.333, 0.184)
    """
    _, unit, totals, sizes, skipped = _group_sums(
        credit_a, credit_b, groups, min_groups
    )
    _check_level(confidence_level)
    g, mean = totals.size, totals.sum() / sizes.sum()
    t = p = half = np.nan
    if not all_equal(totals / sizes):
        se = np.sqrt(g / (g - 1) * np.sum((totals - mean * sizes) ** 2)) / sizes.sum()
        t, p = mean / se, 2 * stats.t.sf(abs(mean / se), g - 1)
        half = se * stats.t.ppf((1 + confidence_level) / 2, g - 1)
    return {
        "mean_difference": float(mean),
        "ci_low": float(mean - half),
        "ci_high": float(mean + half),
        "confidence_level": float(confidence_level),
        "t": float(t),
        "p": float(p),
        "df": g - 1,
        "clustered": unit,
        "n_groups": g,
        "skipped": skipped,
    }


def _check_level(confidence_level):
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level={confidence_level} must be in (0, 1).")


def group_levels(groups, n):
    """Return each grouping level's codes 0..G-1, coarsest first; {} for None."""
    named = groups if isinstance(groups, dict) else {"group": groups}
    levels = {}
    for name, values in ({} if groups is None else named).items():
        values = np.asarray(values)
        if values.shape != (n,):
            raise ValueError(
                f"groups[{name!r}] must have one entry per question ({n}); got "
                f"shape {values.shape}."
            )
        levels[name] = np.unique(values, return_inverse=True)[1].ravel()
    return levels


def grouping(levels, n, min_groups):
    """Return (name, codes, size) of the coarsest level of `min_groups`, and skips.

    Without one: ``("question", None, n)``.
    """
    if isinstance(min_groups, bool) or int(min_groups) != min_groups or min_groups < 2:
        raise ValueError(f"min_groups={min_groups!r} must be an integer >= 2.")
    skipped = {}
    for name, codes in levels.items():
        if codes.max() + 1 >= min_groups:
            return name, codes, int(codes.max()) + 1, skipped
        skipped[name] = int(codes.max()) + 1
    return "question", None, n, skipped


def _group_sums(credit_a, credit_b, groups, min_groups):
    """Return the differences, the level, its groups' sums and sizes, the skips."""
    a, b = np.asarray(credit_a, dtype=float), np.asarray(credit_b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape or a.size < 2:
        raise ValueError(
            "credit_a and credit_b must be 1-d, of the same length, at least 2; "
            f"got shapes {a.shape} and {b.shape}."
        )
    unit, codes, n_groups, skipped = grouping(
        group_levels(groups, a.size), a.size, min_groups
    )
    codes = np.arange(a.size) if codes is None else codes
    sums = np.bincount(codes, weights=a - b, minlength=n_groups)
    return a - b, unit, sums, np.bincount(codes, minlength=n_groups) * 1.0, skipped


def labelled(result, test, unit):
    """Add what `test` assumes over `unit`, and its measured false-positive rate."""
    together = "" if unit == "question" else f" (the questions of one {unit} together)"
    result["assumes"] = (
        MCNEMAR_ASSUMES
        if test == "mcnemar"
        else _ASSUMES.format(
            unit=unit, together=together, method=_METHODS[test].format(unit=unit)
        )
    )
    result["false_positive_rate"] = MEASURED_FALSE_POSITIVE_RATES.get(f"{test}:{unit}")
    return result
