"""Per-question paired tests of two rules' out-of-fold decisions."""

import itertools

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from sklearn.utils import check_random_state

from ..metrics import squad2_credit
from ._fold_tests import holm_adjust

# What each test assumes, as the reports label it.
MCNEMAR_ASSUMES = (
    "per-question: questions independent (articles ignored) and the fitted "
    "rules held fixed; exact binomial test on the questions only one rule "
    "gets right"
)
_BOOTSTRAP_ASSUMES = (
    "per-question: {unit}s independent, resampled with replacement{together}; "
    "the fitted rules held fixed; percentile interval"
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
    groups: ArrayLike | None = None,
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
    groups : array-like of shape (n_questions,) or None, default=None
        The article (or paragraph) of each question: whole articles are
        resampled, since questions on one text are not independent. None
        resamples single questions.
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
        ``n_resamples``, ``n_groups`` (articles, or questions) and
        ``resampled`` ("group" or "question").

    See Also
    --------
    mcnemar_exact : An exact test for right/wrong outcomes.

    Notes
    -----
    Each resample draws ``n_groups`` groups with replacement and takes the
    difference of the mean credit over all the questions drawn (Koehn,
    "Statistical Significance Tests for Machine Translation Evaluation",
    EMNLP 2004; Dror et al., "The Hitchhiker's Guide to Testing Statistical
    Significance in NLP", ACL 2018). The fitted rules are held fixed: the
    interval reflects which questions were asked, not retraining.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.model_selection import paired_bootstrap_ci
    >>> rng = np.random.RandomState(0)
    >>> a = rng.rand(400) < 0.75
    >>> b = a & (rng.rand(400) < 0.95)
    >>> result = paired_bootstrap_ci(a, b, groups=np.arange(400) // 8)
    >>> result["n_groups"], result["ci_low"] > 0
    (50, True)
    """
    a = np.asarray(credit_a, dtype=float)
    b = np.asarray(credit_b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise ValueError(
            "credit_a and credit_b must be non-empty 1-d arrays of the same "
            f"length; got shapes {a.shape} and {b.shape}."
        )
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level={confidence_level} must be in (0, 1).")
    if (
        isinstance(n_resamples, bool)
        or int(n_resamples) != n_resamples
        or (n_resamples < 1)
    ):
        raise ValueError(f"n_resamples={n_resamples!r} must be a positive integer.")
    index, n_groups = _group_index(groups, a.size)
    sums = np.bincount(index, weights=a - b, minlength=n_groups)
    sizes = np.bincount(index, minlength=n_groups).astype(float)
    draws = _resampled_means(sums, sizes, int(n_resamples), random_state)
    tail = (1 - confidence_level) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return {
        "mean_difference": float(np.mean(a - b)),
        "ci_low": float(low),
        "ci_high": float(high),
        "confidence_level": float(confidence_level),
        "n_resamples": int(n_resamples),
        "n_groups": int(n_groups),
        "resampled": "question" if groups is None else "group",
    }


def _group_index(groups, n):
    """Map `groups` to codes 0..n_groups-1; None makes each question a group."""
    if groups is None:
        return np.arange(n), n
    groups = np.asarray(groups)
    if groups.shape != (n,):
        raise ValueError(
            f"groups must have one entry per question ({n}); got shape {groups.shape}."
        )
    _, index = np.unique(groups, return_inverse=True)
    n_groups = int(index.max()) + 1
    if n_groups < 2:
        raise ValueError(
            "groups holds a single group: a grouped bootstrap needs at least 2 "
            "(use groups=None to resample questions)."
        )
    return index.ravel(), n_groups


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
    """Run `Comparison.question_tests`: every pair, McNemar Holm-adjusted."""
    if not comparison.predicted_null:
        raise ValueError("No out-of-fold predictions were recorded.")
    n_repeats = next(iter(comparison.predicted_null.values())).shape[0]
    if not 0 <= repeat < n_repeats:
        raise ValueError(f"repeat={repeat} must be in [0, {n_repeats - 1}].")
    answer_credit = comparison.answer_credit.get(metric)
    if metric != "accuracy" and answer_credit is None:
        raise ValueError(f"No per-question {metric} was recorded.")
    y = comparison.unanswerable
    decisions = {n: p[repeat] for n, p in comparison.predicted_null.items()}
    credit = {
        n: question_credit(metric, d, y, answer_credit) for n, d in decisions.items()
    }
    binary = all(np.isin(c, (0.0, 1.0)).all() for c in credit.values())
    tests = []
    for a, b in itertools.combinations(comparison.names, 2):
        test = {
            "a": a,
            "b": b,
            "metric": metric,
            "repeat": repeat,
            "n_questions": int(y.size),
            "n_disagree": int(np.sum(decisions[a] != decisions[b])),
        }
        test["bootstrap"] = _bootstrap_entry(
            credit[a],
            credit[b],
            comparison.groups,
            n_resamples,
            confidence_level,
            random_state,
        )
        test["mcnemar"] = (
            dict(mcnemar_exact(credit[a] == 1, credit[b] == 1), assumes=MCNEMAR_ASSUMES)
            if binary
            else None
        )
        tests.append(test)
    tested = [t["mcnemar"] for t in tests if t["mcnemar"] is not None]
    for entry, adjusted in zip(
        tested, holm_adjust([t["p"] for t in tested]), strict=True
    ):
        entry["p_holm"] = float(adjusted)
        entry["significant"] = bool(adjusted <= alpha)
    return tests


def _bootstrap_entry(a, b, groups, n_resamples, confidence_level, random_state):
    result = paired_bootstrap_ci(
        a,
        b,
        groups=groups,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        random_state=random_state,
    )
    unit = "article" if groups is not None else "question"
    result["resampled"] = unit
    together = " (the questions of one article together)" if groups is not None else ""
    result["assumes"] = _BOOTSTRAP_ASSUMES.format(unit=unit, together=together)
    result["excludes_zero"] = bool(result["ci_low"] > 0 or result["ci_high"] < 0)
    return result
