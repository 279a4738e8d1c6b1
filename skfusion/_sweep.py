"""Operating points: the cut of the sorted margins that meets a constraint.

A rule answers the questions whose margin is at most the threshold and
predicts "no answer" for the others. Sorting the margins once, cumulative
sums give, for every cut, how much is answered, how much of it is right and
how many unanswerable questions are flagged; the largest cut that meets the
constraints answers the most.
"""

import warnings

import numpy as np
from scipy import stats
from scipy.special import xlogy


def threshold_at_cut(m, k):
    """Return a threshold that answers the first `k` of the sorted margins `m`.

    It sits halfway between the margins on either side of the cut (where
    floats allow), below all of them for ``k = 0`` and above for ``k = n``.
    """
    if k == m.size:
        # Past 2**53, m[-1] + 1.0 may round back to m[-1].
        return float(max(m[-1] + 1.0, np.nextafter(m[-1], np.inf)))
    if k == 0:
        low, high = min(m[0] - 1.0, np.nextafter(m[0], -np.inf)), m[0]
    else:
        low, high = m[k - 1], m[k]
    mid = low + (high - low) / 2
    # Between adjacent floats the halfway point rounds to one of them.
    return float(mid if low <= mid < high else low)


def answered_curves(margin, unanswerable, weight, credit=None):
    """Coverage, precision of the answered and NoAns recall at every cut.

    Parameters
    ----------
    margin, unanswerable, weight : ndarray of shape (n,)
        The score whose high values mean "no answer", the labels and
        non-negative weights; zero-weight questions are dropped, so they
        create no cut.
    credit : ndarray of shape (n,) or None
        Each question's credit if answered (its EM or F1); None is 1 for an
        answerable question and 0 for an unanswerable one.

    Returns
    -------
    m : ndarray of shape (n_kept,)
        The sorted margins.
    coverage, precision, noans_recall : ndarray of shape (n_kept + 1,)
        At the cut answering the first ``k`` sorted margins: the weighted
        fraction answered, the weighted mean credit of the answered (NaN
        where none is) and the weighted fraction of unanswerable questions
        flagged.
    valid : ndarray of shape (n_kept + 1,) of bool
        Whether the cut falls between distinct margins (or at either end).
    """
    keep = weight > 0
    order = np.argsort(margin[keep], kind="stable")
    m = margin[keep][order]
    w = weight[keep][order]
    pos = unanswerable[keep][order]
    c = (~pos).astype(float) if credit is None else credit[keep][order]
    answered = np.concatenate([[0.0], np.cumsum(w)])
    right = np.concatenate([[0.0], np.cumsum(w * c)])
    missed = np.concatenate([[0.0], np.cumsum(np.where(pos, w, 0.0))])
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = right / answered
        noans_recall = (missed[-1] - missed) / missed[-1]
    valid = np.ones(m.size + 1, dtype=bool)
    valid[1:-1] = m[1:] != m[:-1]
    return m, answered / answered[-1], precision, noans_recall, valid


def constrained_threshold(
    margin, unanswerable, weight, credit, target_precision, target_noans_recall
):
    """Return the threshold that answers the most within the constraints.

    Answering nothing meets every constraint (no answered question is
    wrong, every unanswerable one is flagged), so a threshold always exists;
    a warning says when nothing else does.
    """
    m, _, precision, recall, valid = answered_curves(
        margin, unanswerable, weight, credit
    )
    feasible = valid.copy()
    if target_precision is not None:
        feasible[1:] &= precision[1:] >= target_precision
    if target_noans_recall is not None:
        feasible &= recall >= target_noans_recall
    k = int(np.flatnonzero(feasible).max())
    if k == 0 and target_precision is not None:
        reachable = valid[1:].copy()
        if target_noans_recall is not None:
            reachable &= recall[1:] >= target_noans_recall
        best = np.max(precision[1:][reachable], initial=0.0)
        raise ValueError(
            f"target_precision={target_precision} is not reachable on the fit data: "
            f"the best precision of the answered questions is {best:.4g}"
            + ("" if target_noans_recall is None else f" with {target_noans_recall=}")
            + "."
        )
    if k == 0:
        warnings.warn(
            "No threshold that answers any question meets "
            + _constraints(target_precision, target_noans_recall)
            + " on the fit data: the rule predicts no answer everywhere.",
            UserWarning,
            stacklevel=4,
        )
    return threshold_at_cut(m, k)


def guaranteed_threshold(
    margin,
    unanswerable,
    weight,
    credit,
    target_precision,
    target_noans_recall,
    confidence,
):
    """Learn then Test: answer the most with precision guaranteed at `confidence`.

    Candidate ``j`` (``j = 1..n``) answers the questions whose margin is
    below the ``j``-th smallest margin (candidate ``n`` answers all): given
    that margin, the questions below it are a sample of new questions below
    it, so a binomial test of their errors (Hoeffding-Bentkus for credits
    between 0 and 1) is valid for it. Bonferroni over the ``n`` candidates
    bounds the chance that any kept one misses the target by ``1 -
    confidence`` (Angelopoulos et al., "Learn then Test", 2021).
    """
    if target_precision is None or target_noans_recall is not None:
        raise ValueError(
            f"confidence={confidence} guarantees target_precision: give "
            "target_precision, and no target_noans_recall."
        )
    if np.ptp(weight) > 0:
        raise ValueError(
            f"confidence={confidence} counts questions: sample_weight must be None "
            "(or equal weights)."
        )
    order = np.argsort(margin, kind="stable")
    m = margin[order]
    right = ((~unanswerable).astype(float) if credit is None else credit)[order]
    binary = bool(np.isin(right, (0.0, 1.0)).all())
    counts = np.unique(np.append(np.searchsorted(m, m[1:]), m.size))
    counts = counts[counts > 0]
    losses = counts - np.cumsum(right)[counts - 1]
    level = (1 - confidence) / m.size

    def passing(target):
        return counts[_ltt_p_values(losses, counts, 1 - target, binary) <= level]

    kept = passing(target_precision)
    if kept.size == 0:
        low, high = 0.0, target_precision
        for _ in range(50):  # bisect for the best target some candidate passes
            middle = (low + high) / 2
            low, high = (middle, high) if passing(middle).size else (low, middle)
        raise ValueError(
            f"target_precision={target_precision} cannot be guaranteed with "
            f"confidence={confidence} on {m.size} questions: the best precision "
            f"guaranteed is {low:.4g}."
        )
    k = int(kept.max())
    if k == m.size:
        return threshold_at_cut(m, k)
    return float(np.nextafter(m[k], -np.inf))  # answers the margins below m[k]


def _ltt_p_values(losses, n, alpha, binary):
    """P-values of "the risk of each candidate exceeds `alpha`" (Learn then Test).

    Exact binomial for 0/1 losses; else Hoeffding-Bentkus: the smaller of
    Hoeffding's ``exp(-n h(min(r, alpha), alpha))`` and ``e P(Bin(n, alpha)
    <= ceil(n r))``, r the mean loss.
    """
    tail = stats.binom.cdf(np.ceil(losses - 1e-9), n, alpha)
    if binary:
        return tail
    r = np.minimum(losses / n, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = xlogy(r, r / alpha) + xlogy(1 - r, (1 - r) / (1 - alpha))
    return np.minimum(np.exp(-n * h), np.e * tail)


def _constraints(target_precision, target_noans_recall):
    parts = []
    if target_precision is not None:
        parts.append(f"target_precision={target_precision}")
    if target_noans_recall is not None:
        parts.append(f"target_noans_recall={target_noans_recall}")
    return " and ".join(parts)


def check_answer_credit(answer_credit, n):
    """Validate `fit`'s per-question credit: finite, in [0, 1], one per row."""
    if answer_credit is None:
        return None
    credit = np.asarray(answer_credit, dtype=float)
    if credit.shape != (n,):
        raise ValueError(
            f"answer_credit must have one entry per sample ({n}); got shape "
            f"{credit.shape}."
        )
    if not (np.isfinite(credit).all() and (credit >= 0).all() and (credit <= 1).all()):
        raise ValueError("answer_credit must hold finite values in [0, 1].")
    return credit
