"""Fold-level tests of paired cross-validation scores."""

import itertools

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

# What the fold-level test assumes, as the reports label it.
FOLD_TEST_ASSUMES = (
    "fold-level: the per-fold differences are normal; overlapping training "
    "sets are corrected for (Nadeau & Bengio); a claim about the fitting "
    "procedure on data like these"
)


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
        The corrected t statistic; infinite where all differences are equal
        and not zero.
    p_value : float
        Two-sided, with ``n_folds - 1`` degrees of freedom.

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
    variance = d.var(ddof=1)
    if variance == 0:
        return (0.0, 1.0) if d.mean() == 0 else (np.copysign(np.inf, d.mean()), 0.0)
    t = d.mean() / np.sqrt((1 / k + n_test / n_train) * variance)
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
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (p.size - np.arange(p.size))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted


def pairwise_tests(comparison, metric, *, alpha):
    """Run `Comparison.pairwise_tests`: every pair, Holm-adjusted."""
    scores = comparison.scores(metric)
    if not scores:
        raise ValueError(f"No {metric} scores were recorded.")
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
                "assumes": FOLD_TEST_ASSUMES,
            }
        )
    for test, adjusted in zip(tests, holm_adjust([t["p"] for t in tests]), strict=True):
        test["p_holm"] = float(adjusted)
        test["significant"] = bool(adjusted <= alpha)
    return tests
