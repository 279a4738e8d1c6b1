"""Operating points: the cut of the sorted margins that meets a constraint.

A rule answers the questions whose margin is at most the threshold and
predicts "no answer" for the others. Sorting the margins once, cumulative
sums give, for every cut, how much is answered, how much of it is right and
how many unanswerable questions are flagged; the largest cut that meets the
constraints answers the most.
"""

import warnings

import numpy as np


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
    # Any sort will do: no cut falls inside a run of equal margins.
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
    if k == 0:
        warnings.warn(
            "No threshold that answers any question meets "
            + _constraints(target_precision, target_noans_recall)
            + " on the fit data: the rule predicts no answer everywhere.",
            UserWarning,
            stacklevel=4,
        )
    return threshold_at_cut(m, k)


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
