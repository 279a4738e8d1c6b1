"""Fold-level tests of paired cross-validation scores."""

import itertools

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

# What the fold-level test assumes, as the reports label it.
_FOLD_TEST_ASSUMES = (
    "fold-level: {folds}; the per-fold differences are normal; overlapping "
    "training sets are corrected for (Nadeau & Bengio); a claim about the "
    "fitting procedure on data like these"
)

# False-positive rates at level 0.05 of each test, by the unit it treats as
# independent, measured by benchmarks/check_tests.py on simulated data with
# SQuAD 2.0 dev's structure (the user guide's table, with the command and
# Monte Carlo errors). A test above RATE_LIMIT is not used to say
# "significant".
MEASURED_FALSE_POSITIVE_RATES = {}
RATE_LIMIT = 0.065


def measured_rate(test):
    """Return the measured false-positive rate of ``"test:unit"``, or None."""
    return MEASURED_FALSE_POSITIVE_RATES.get(test)


def all_equal(values):
    """Whether the values are equal up to rounding: no variance to test."""
    values = np.asarray(values, dtype=float)
    return bool(np.ptp(values) <= 1e-12 * max(1.0, np.abs(values).max()))


def fold_test_assumes(fold_groups):
    """Say what the fold test assumes, given how the folds were grouped."""
    by, n_groups = fold_groups["by"], fold_groups["n_groups"]
    folds = (
        "folds split questions at random, so a paragraph or article can fall on "
        "both sides"
        if by == "question"
        else f"folds keep each {by} together ({n_groups} {by}s)"
    )
    return _FOLD_TEST_ASSUMES.format(folds=folds)


def corrected_resampled_ttest(
    differences: ArrayLike, n_train: int, n_test: int
) -> tuple[float, float]:
    """Nadeau and Bengio's corrected resampled t-test of paired CV scores.

    Parameters
    ----------
    differences : array-like of shape (n_folds,)
        Per-fold score of one model minus that of another, on the same
        folds of a (repeated) k-fold cross-validation.
    n_train : int
        Training questions per fold.
    n_test : int
        Test questions per fold.

    Returns
    -------
    t : float
        The corrected t statistic; NaN where all differences are equal (no
        variance: the test is undefined).
    p_value : float
        Two-sided, with ``n_folds - 1`` degrees of freedom; NaN with `t`.

    See Also
    --------
    holm_adjust : Adjusts the p-values of several such tests.

    Notes
    -----
    The usual paired t-test treats the fold scores as independent, which
    they are not: training sets overlap, so it is too optimistic. The
    correction inflates the variance of the mean from ``1 / k`` to
    ``1 / k + n_test / n_train`` (Nadeau and Bengio, "Inference for the
    Generalization Error", Machine Learning 52, 2003; Bouckaert and Frank,
    "Evaluating the Replicability of Significance Tests for Comparing
    Learning Algorithms", PAKDD 2004, for repeated k-fold).

    Examples
    --------
    >>> from skfusion.model_selection import corrected_resampled_ttest
    >>> t, p = corrected_resampled_ttest([0.01, 0.02, 0.0, 0.015], 800, 200)
    >>> round(t, 3), round(p, 3)
    (1.863, 0.159)
    """
    d = np.asarray(differences, dtype=float)
    k = d.size
    if k < 2 or all_equal(d):
        return np.nan, np.nan
    t = d.mean() / np.sqrt((1 / k + n_test / n_train) * d.var(ddof=1))
    return float(t), float(2 * stats.t.sf(abs(t), df=k - 1))


def holm_adjust(p_values: ArrayLike) -> np.ndarray:
    """Adjust p-values for multiple tests by Holm's step-down method.

    Parameters
    ----------
    p_values : array-like of shape (n_tests,)
        Unadjusted p-values of a family of tests.

    Returns
    -------
    adjusted : ndarray of shape (n_tests,)
        Holm-adjusted p-values, in the order given: reject a test at level
        ``alpha`` where its adjusted p-value is at most ``alpha``, and the
        chance of any false rejection in the family stays at most ``alpha``.
        A NaN p-value (an undefined test) stays NaN and is not counted.

    See Also
    --------
    corrected_resampled_ttest : The test whose p-values are adjusted.

    Notes
    -----
    With the p-values sorted ascending, ``p_(i)`` becomes
    ``max_{j <= i} min(1, (m - j + 1) p_(j))`` (Holm, "A Simple Sequentially
    Rejective Multiple Test Procedure", Scandinavian Journal of Statistics
    6, 1979).

    Examples
    --------
    >>> from skfusion.model_selection import holm_adjust
    >>> holm_adjust([0.01, 0.04, 0.03]).round(3)
    array([0.03, 0.06, 0.06])
    """
    p = np.asarray(p_values, dtype=float)
    defined = np.flatnonzero(~np.isnan(p))
    order = defined[np.argsort(p[defined], kind="stable")]
    scaled = p[order] * (order.size - np.arange(order.size))
    adjusted = np.full_like(p, np.nan)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted


def holm_flags(tests, alpha, key="p"):
    """Set each test's Holm-adjusted ``{key}_holm`` and ``significant``.

    ``significant`` is None where the test is undefined (NaN p-value, then
    ``undefined`` says why), and where its measured false-positive rate is
    above `RATE_LIMIT`.
    """
    for test, adjusted in zip(tests, holm_adjust([t[key] for t in tests]), strict=True):
        rate = test.get("false_positive_rate")
        usable = not np.isnan(adjusted) and (rate is None or rate <= RATE_LIMIT)
        if test[key] is not None and np.isnan(test[key]):
            test["undefined"] = "all differences equal"
        test[f"{key}_holm"] = float(adjusted)
        test["significant" if key == "p" else f"significant_{key[2:]}"] = (
            bool(adjusted <= alpha) if usable else None
        )


def pairwise_tests(comparison, metric, *, alpha):
    """Run `Comparison.pairwise_tests`: every pair, Holm-adjusted."""
    scores = comparison.scores(metric)
    if not scores:
        raise ValueError(f"No {metric} scores were recorded.")
    assumes = fold_test_assumes(comparison.fold_groups)
    rate = measured_rate(f"fold_t:{comparison.fold_groups['by']}")
    tests = []
    for a, b in itertools.combinations(comparison.names, 2):
        diff = np.subtract(scores[a], scores[b])
        t, p = corrected_resampled_ttest(diff, comparison.n_train, comparison.n_test)
        tests.append(
            {
                "a": a,
                "b": b,
                "mean_difference": float(diff.mean()),
                "t": t,
                "p": p,
                "assumes": assumes,
                "false_positive_rate": rate,
            }
        )
    holm_flags(tests, alpha)
    return tests
