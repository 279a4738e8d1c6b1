"""BERT's SQuAD 2.0 no-answer rule: a threshold on the null-score margin."""

from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike

from ._base import _BinaryScoreClassifier, _row_chunks
from ._compat import Interval, StrOptions, _fit_context
from ._margin_tools import _margin_positions
from ._sweep import (
    check_answer_credit,
    constrained_threshold,
    guaranteed_threshold,
    threshold_at_cut,
)


def _confusion_scores(fn, tn, positives, negatives, scoring):
    """Score the confusion matrices of given weighted false and true negatives."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if scoring == "accuracy":
            score = np.subtract(tn, fn)
            score += positives
            score /= positives + negatives
        elif scoring == "balanced_accuracy":
            score = np.subtract(positives, fn) / positives
            score += tn / negatives
            score /= 2
        else:  # f1, 2 tp / (2 tp + fp + fn), 0 where 0 / 0 as in sklearn
            score = 2 * np.subtract(positives, fn)
            score /= score + (negatives - tn) + fn
            score = np.nan_to_num(score, nan=0.0, copy=np.ndim(score) == 0)
    return score


def _cut_scores(margin, positive, weight, scoring):
    """Return the sorted margins and each cut's score (-inf inside equal margins)."""
    if weight is not None and not (weight > 0).all():
        keep = weight > 0
        margin, positive, weight = margin[keep], positive[keep], weight[keep]
    order = np.argsort(margin)  # any sort: no cut falls inside equal margins
    m, positive = margin.take(order), positive.take(order)
    fn = np.zeros(m.size + 1)
    if weight is None:
        del order
        np.cumsum(positive, dtype=float, out=fn[1:])
        tn = np.arange(m.size + 1, dtype=float)
        tn -= fn
    else:
        weight = weight.take(order)
        np.cumsum(np.where(positive, weight, 0.0), out=fn[1:])
        tn = np.concatenate([[0.0], np.cumsum(np.where(positive, 0.0, weight))])
    scores = _confusion_scores(fn, tn, fn[-1], tn[-1], scoring)
    scores[1:-1][m[1:] == m[:-1]] = -np.inf
    return m, scores


def _column_sum(X, positions):
    """Sum the columns of X at `positions` in float64, left to right."""
    # A fixed order gives each row the same bits alone or in a batch.
    total = X[:, positions[0]].astype(np.float64)
    for position in positions[1:]:
        total += X[:, position]
    return total


class MarginThresholdClassifier(_BinaryScoreClassifier):
    """BERT's SQuAD 2.0 no-answer rule, with the threshold found exactly.

    The margin of a question is the null score minus the best span score,
    ``X[:, null_column].sum() - X[:, span_column].sum()``, in float64. The
    rule predicts `pos_label` ("no answer") where the margin is strictly
    greater than ``best_threshold_``, and the other class elsewhere.

    Parameters
    ----------
    null_column : int, str or list of int or str, default=0
        Column(s) of the null score, by index or, when `X` is a DataFrame, by
        name; several are summed, as BERT's ``start[0] + end[0]``.
    span_column : int, str, list of int or str, or None, default=-1
        Column(s) of the best span score, as for `null_column`; None where the
        null column holds the margin (``null_odds.json``).
    threshold : "tuned" or float, default="tuned"
        ``"tuned"`` maximises `scoring` on the fit data exactly; a float is
        used as is, like BERT's ``null_score_diff_threshold``.
    scoring : {"accuracy", "balanced_accuracy", "f1"}, default="accuracy"
        What ``threshold="tuned"`` maximises; `pos_label` is f1's positive class.
    pos_label : int, float, bool or str, default=None
        The label meaning "no answer"; ``None`` means ``classes_[1]``.
    target_precision : float in [0, 1] or None, default=None
        With ``threshold="tuned"``, answer instead the most questions whose
        answered ones are right (answerable, or by `fit`'s ``answer_credit``)
        at least this often, weighted.
    target_noans_recall : float in [0, 1] or None, default=None
        Likewise, flagging at least this fraction of the unanswerable ones;
        with both targets, both hold.
    confidence : float in (0, 1) or None, default=None
        With `target_precision`, guarantee it on new questions with this
        probability (Learn then Test, see Notes); None meets it on the fit
        data only. An unreachable target raises a ValueError naming the best
        precision reachable.

    Attributes
    ----------
    best_threshold_ : float
        The threshold on the margin.
    best_score_ : float
        `scoring` of the rule on the fit data (weighted), also where a target
        chose the threshold.
    classes_ : ndarray of shape (2,)
        Class labels.
    n_features_in_ : int
        Number of features seen during `fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when `X` has string column names.

    See Also
    --------
    TorchLogisticFusion : A logistic regression that fuses all the columns.
    sklearn.model_selection.FixedThresholdClassifier : A fixed threshold on
        another classifier's output.
    sklearn.model_selection.TunedThresholdClassifierCV : A threshold tuned by
        cross-validation over a grid.

    Notes
    -----
    The rule is BERT's for SQuAD 2.0 (Devlin et al., "BERT: Pre-training of
    Deep Bidirectional Transformers for Language Understanding", NAACL 2019,
    section 4.3; ``run_squad.py``), its threshold tuned on the dev set.
    ``threshold="tuned"`` sorts the margins once and scores every cut by
    cumulative weighted counts, in O(n log n): the lowest optimal cut wins a
    tie; the threshold lies halfway between the neighbouring distinct margins
    (equal margins fall on one side) and is finite. With `sample_weight` from
    :func:`~skfusion.metrics.squad2_sample_weight` it maximises SQuAD 2.0 EM
    (or F1) exactly, as the official script's ``find_best_thresh`` does
    without its quirks (splitting equal scores, starting from 0.0).

    The targets keep the largest cut meeting them (selective QA: Kamath, Jia
    and Liang, ACL 2020). With `confidence`, each cut's answered questions
    give an exact binomial test (Hoeffding-Bentkus for an F1 credit) of
    "precision below the target", at level ``(1 - confidence) / n``,
    Bonferroni over the ``n`` cuts (Angelopoulos, Bates, Candes, Jordan and
    Lei, "Learn then Test", 2021), for fit and new questions drawn
    independently from one distribution. Fitted with ``span_column=None`` on
    another classifier's decision function, it gives that classifier's
    threshold for ``sklearn.model_selection.FixedThresholdClassifier``.

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion import MarginThresholdClassifier
    >>> X = np.array([[2.0, 5.0], [1.0, 4.0], [6.0, 1.0], [7.0, 3.0]])
    >>> y = np.array([False, False, True, True])
    >>> clf = MarginThresholdClassifier().fit(X, y)
    >>> clf.best_threshold_  # halfway between the margins -3 and 4
    0.5
    >>> clf.predict([[3.0, 0.0], [0.0, 3.0]])
    array([ True, False])
    """

    _parameter_constraints: dict = {
        "null_column": [Integral, str, list],
        "span_column": [Integral, str, list, None],
        "threshold": [
            StrOptions({"tuned"}),
            Interval(Real, None, None, closed="neither"),
        ],
        "scoring": [StrOptions({"accuracy", "balanced_accuracy", "f1"})],
        "pos_label": [Real, str, "boolean", None],
        "target_precision": [Interval(Real, 0, 1, closed="both"), None],
        "target_noans_recall": [Interval(Real, 0, 1, closed="both"), None],
        "confidence": [Interval(Real, 0, 1, closed="neither"), None],
    }

    def __init__(
        self,
        *,
        null_column=0,
        span_column=-1,
        threshold="tuned",
        scoring="accuracy",
        pos_label=None,
        target_precision=None,
        target_noans_recall=None,
        confidence=None,
    ):
        self.null_column = null_column
        self.span_column = span_column
        self.threshold = threshold
        self.scoring = scoring
        self.pos_label = pos_label
        self.target_precision = target_precision
        self.target_noans_recall = target_noans_recall
        self.confidence = confidence

    def _margin(self, X):
        names = getattr(self, "feature_names_in_", None)
        null, span = _margin_positions(
            self.null_column, self.span_column, X.shape[1], names
        )
        margin = np.empty(X.shape[0])
        with np.errstate(over="ignore", invalid="ignore"):
            for rows, chunk in _row_chunks(X):
                margin[rows] = _column_sum(chunk, null)
                if span is not None:
                    margin[rows] -= _column_sum(chunk, span)
        if span is not None and not np.isfinite(margin).all():
            raise ValueError(
                "The margin X[:, null_column] - X[:, span_column] overflows."
            )
        return margin

    def _positive_label(self, classes):
        if self.pos_label is None:
            return classes[1]
        if self.pos_label not in classes.tolist():
            raise ValueError(
                f"pos_label={self.pos_label!r} is not a valid label: it should be "
                f"one of {classes.tolist()}."
            )
        return self.pos_label

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        answer_credit: ArrayLike | None = None,
    ) -> "MarginThresholdClassifier":
        """Find the threshold on the margin.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Reader scores, holding at least the null and best span columns.
        y : array-like of shape (n_samples,)
            Binary target; `pos_label` marks unanswerable questions.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the score that the threshold maximises.
        answer_credit : array-like of shape (n_samples,), default=None
            Each question's EM (or F1) in [0, 1] if it is answered, for
            `target_precision`; None counts an answerable question as right.

        Returns
        -------
        self : MarginThresholdClassifier
            The fitted estimator.
        """
        return self._fit_checked(X, y, sample_weight, answer_credit=answer_credit)

    def _fit(self, X, y, sample_weight, classes, answer_credit=None):
        positive = y == self._positive_label(classes)
        credit = check_answer_credit(answer_credit, y.shape[0])
        targets = (self.target_precision, self.target_noans_recall)
        if targets != (None, None) and self.threshold != "tuned":
            raise ValueError(
                f"threshold={self.threshold!r} is fixed: target_precision and "
                "target_noans_recall choose a threshold, so they need "
                "threshold='tuned'."
            )
        margin = self._margin(X)
        if targets == (None, None) and self.threshold == "tuned":
            if self.confidence is not None:
                raise ValueError(
                    f"confidence={self.confidence} guarantees target_precision: "
                    "give target_precision."
                )
            m, scores = _cut_scores(margin, positive, sample_weight, self.scoring)
            k = int(np.argmax(scores))  # the lowest optimal cut
            self.best_threshold_ = threshold_at_cut(m, k)
            self.best_score_ = float(scores[k])
            return
        weight = np.ones(y.shape) if sample_weight is None else sample_weight
        if self.confidence is not None:
            threshold = guaranteed_threshold(
                margin, positive, weight, credit, targets, self.confidence
            )
        elif targets != (None, None):
            threshold = constrained_threshold(
                margin, positive, weight, credit, *targets
            )
        else:
            threshold = float(self.threshold)
        below = margin <= threshold
        fn, tn = weight[below & positive].sum(), weight[below & ~positive].sum()
        positives = weight[positive].sum()
        score = _confusion_scores(
            fn, tn, positives, weight.sum() - positives, self.scoring
        )
        self.best_threshold_, self.best_score_ = threshold, float(score)

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Margin minus the threshold, signed towards ``classes_[1]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Reader scores.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            Positive where ``classes_[1]`` is predicted.
        """
        decision = self._margin(self._validated_rows(X)) - self.best_threshold_
        if self._positive_label(self.classes_) == self.classes_[1]:
            return decision
        return np.negative(decision, out=decision)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict `pos_label` where the margin exceeds the threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Reader scores.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        above = self._margin(self._validated_rows(X)) > self.best_threshold_
        if self._positive_label(self.classes_) != self.classes_[1]:
            np.logical_not(above, out=above)
        return self._labels(above)
