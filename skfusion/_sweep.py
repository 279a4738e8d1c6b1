"""Operating points: the largest cut of the sorted margins meeting a constraint."""

import warnings

import numpy as np
from scipy import stats
from scipy.special import xlogy


def threshold_at_cut(m, k):
    """Return the threshold halfway across cut `k` of the sorted margins `m`."""
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
    """Sorted margins; coverage, precision, NoAns recall and validity per cut."""
    keep = weight > 0  # a zero-weight question creates no cut
    order = np.argsort(margin[keep])
    m = margin[keep].take(order)
    w = weight[keep].take(order)
    pos = unanswerable[keep].take(order)
    c = (~pos).astype(float) if credit is None else credit[keep].take(order)
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
    """Return the threshold answering the most within the constraints."""
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


def guaranteed_threshold(margin, unanswerable, weight, credit, targets, confidence):
    """Learn then Test: answer the most with precision guaranteed at `confidence`."""
    # Candidate j answers the margins below the j-th smallest: given it, they
    # are a sample of new questions below it; Bonferroni over the n candidates.
    target_precision, target_noans_recall = targets
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
    """P-values of "each candidate's risk exceeds `alpha`": binomial, else HB."""
    tail = stats.binom.cdf(np.ceil(losses - 1e-9), n, alpha)
    if binary:
        return tail
    r = np.minimum(losses / n, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = xlogy(r, r / alpha) + xlogy(1 - r, (1 - r) / (1 - alpha))
    return np.minimum(np.exp(-n * h), np.e * tail)


def _constraints(target_precision, target_noans_recall):
    targets = dict(
        target_precision=target_precision, target_noans_recall=target_noans_recall
    )
    return " and ".join(f"{k}={v}" for k, v in targets.items() if v is not None)


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
