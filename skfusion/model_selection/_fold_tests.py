"""Paired t-tests of fold (or run) scores, Holm's adjustment, measured rates."""

import itertools

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

# False-positive rates at level 0.05 of each test, by the unit it treats as
# independent, measured by benchmarks/check_tests.py on simulated data with
# SQuAD 2.0 dev's structure (the user guide's table, with the command and
# Monte Carlo errors). A test above RATE_LIMIT is not used to say
# "significant".
MEASURED_FALSE_POSITIVE_RATES = {
    "fold_t:question": 0.148,
    "fold_t:paragraph": 0.128,
    "fold_t:article": 0.044,
    "mcnemar:question": 0.244,
    "bootstrap:question": 0.238,
    "cluster_t:question": 0.248,
    "bootstrap:paragraph": 0.216,
    "cluster_t:paragraph": 0.210,
    "bootstrap:article": 0.074,
    "cluster_t:article": 0.060,
}
RATE_LIMIT = 0.065


def all_equal(values):
    """Whether the values are equal up to rounding: no variance to test."""
    values = np.asarray(values, dtype=float)
    return bool(np.ptp(values) <= 1e-12 * max(1.0, np.abs(values).max()))


def corrected_resampled_ttest(
    differences: ArrayLike, n_train: int, n_test: int
) -> tuple[float, float]:
    """Nadeau and Bengio's corrected resampled t-test of paired CV scores.

    Parameters
    ----------
    differences : array-like of shape (n_folds,)
        Per-fold score of one model minus another's, on the same folds.
    n_train, n_test : int
        Training and test questions per fold; ``n_test=0`` gives the
        plain one-sample t-test.

    Returns
    -------
    t, p_value : float
        The corrected t statistic and its two-sided p-value with ``n_folds
        - 1`` degrees of freedom; both NaN where all differences are equal.

    See Also
    --------
    holm_adjust : Adjusts the p-values of several such tests.

    Notes
    -----
    Training sets overlap, so the variance of the mean is inflated from
    ``1 / k`` to ``1 / k + n_test / n_train`` (Nadeau and Bengio, Machine
    Learning 52, 2003; Bouckaert and Frank, PAKDD 2004, for repeated k-fold).

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
        Unadjusted p-values of a family of tests; NaN (undefined) stays NaN
        and is not counted.

    Returns
    -------
    adjusted : ndarray of shape (n_tests,)
        In the order given: rejecting where at most ``alpha`` keeps the
        chance of any false rejection at most ``alpha``.

    See Also
    --------
    corrected_resampled_ttest : The test whose p-values are adjusted.

    Notes
    -----
    Sorted ascending, ``p_(i)`` becomes ``max_{j <= i} min(1, (m - j + 1)
    p_(j))`` (Holm, Scandinavian Journal of Statistics 6, 1979).

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
    """Set each test's ``{key}_holm`` and ``significant`` (None if unusable)."""
    for test, adjusted in zip(tests, holm_adjust([t[key] for t in tests]), strict=True):
        rate = test.get("false_positive_rate")
        usable = not np.isnan(adjusted) and (rate is None or rate <= RATE_LIMIT)
        if test[key] is not None and np.isnan(test[key]):
            test["undefined"] = "all differences equal"
        test[f"{key}_holm"] = float(adjusted)
        test["significant" if key == "p" else f"significant_{key[2:]}"] = (
            bool(adjusted <= alpha) if usable else None
        )


def pair_tests(names, test, alpha, keys=("p",)):
    """Run ``test(a, b)`` on every pair of `names`, Holm-adjusting each key."""
    tests = [
        {"a": a, "b": b, **test(a, b)} for a, b in itertools.combinations(names, 2)
    ]
    for key in keys:
        holm_flags(tests, alpha, key)
    return tests
