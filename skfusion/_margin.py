"""BERT's SQuAD 2.0 no-answer rule: a threshold on the null-score margin."""

import warnings
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import _BinaryScoreClassifier, _plain_rows
from ._compat import Interval, StrOptions, _fit_context
from ._margin_tools import _column_positions
from ._sweep import (
    check_answer_credit,
    constrained_threshold,
    guaranteed_threshold,
    threshold_at_cut,
)


def _confusion_scores(tp, fp, tn, fn, scoring):
    """Score each weighted confusion matrix; the arguments are aligned arrays."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if scoring == "accuracy":
            score = (tp + tn) / (tp + fp + tn + fn)
        elif scoring == "balanced_accuracy":
            score = (tp / (tp + fn) + tn / (tn + fp)) / 2
        else:  # "f1"
            score = 2 * tp / (2 * tp + fp + fn)
    # 0/0 only arises for f1 without any positive, where sklearn also gives 0.
    return np.nan_to_num(score, nan=0.0)


def _cut_scores(margin, positive, weight, scoring):
    """Score every cut of the sorted margins; return the margins and scores.

    Predictions are ``margin > threshold``. One sort orders the samples; the
    cut before sorted position ``k`` predicts the first ``k`` negative, and
    cumulative sums give every cut's weighted confusion matrix at once. Only
    cuts between distinct margins are allowed (the others score -inf), so
    equal margins always land on the same side; zero-weight samples are
    dropped first, so they create no cut.
    """
    keep = weight > 0
    order = np.argsort(margin[keep], kind="stable")
    m = margin[keep][order]
    w_pos = np.where(positive[keep], weight[keep], 0.0)[order]
    w_neg = np.where(positive[keep], 0.0, weight[keep])[order]
    fn = np.concatenate([[0.0], np.cumsum(w_pos)])
    tn = np.concatenate([[0.0], np.cumsum(w_neg)])
    tp, fp = fn[-1] - fn, tn[-1] - tn
    scores = _confusion_scores(tp, fp, tn, fn, scoring)
    scores[1:-1][m[1:] == m[:-1]] = -np.inf
    return m, scores


def _best_threshold(margin, positive, weight, scoring):
    """Return the threshold that maximises `scoring` and that score.

    The lowest optimal cut wins a tie; the threshold sits halfway between the
    margins on either side of it.
    """
    m, scores = _cut_scores(margin, positive, weight, scoring)
    k = int(np.argmax(scores))
    return threshold_at_cut(m, k), float(scores[k])


def _score_at_threshold(margin, positive, weight, threshold, scoring):
    """Weighted `scoring` of the predictions ``margin > threshold``."""
    predicted = margin > threshold
    tp = weight[predicted & positive].sum()
    fp = weight[predicted & ~positive].sum()
    tn = weight[~predicted & ~positive].sum()
    fn = weight[~predicted & positive].sum()
    return float(_confusion_scores(tp, fp, tn, fn, scoring))


def _column_sum(X, positions):
    """Sum the columns of `X` at `positions`, left to right.

    A fixed order (not a reduction, whose order numpy may choose by shape)
    gives each row the same bits alone or in a batch.
    """
    total = X[:, positions[0]]
    for position in positions[1:]:
        total = total + X[:, position]
    return total


class MarginThresholdClassifier(_BinaryScoreClassifier):
    """BERT's SQuAD 2.0 no-answer rule, with the threshold found exactly.

    The margin of a question is the null score minus the best span score,
    ``X[:, null_column].sum() - X[:, span_column].sum()`` over the named
    columns. The classifier predicts
    `pos_label` ("no answer") where the margin is strictly greater than
    ``best_threshold_``, and the other class elsewhere.

    Parameters
    ----------
    null_column : int, str or list of int or str, default=0
        Column of the null (no-answer) score, by index or, when `X` has
        feature names (a DataFrame), by name; a list names columns whose sum
        is the null score, as BERT's ``start[0] + end[0]`` is
        (``["null_start_logit", "null_end_logit"]``).
    span_column : int, str, list of int or str, or None, default=-1
        Column(s) of the best span score, as for `null_column`
        (``["span_start_logit", "span_end_logit"]``). ``None`` means the
        null column already holds the margin, as the values of a
        ``null_odds.json`` do.
    threshold : "tuned" or float, default="tuned"
        ``"tuned"`` finds the threshold that maximises `scoring` on the fit
        data exactly. A float is used as is, like BERT's
        ``null_score_diff_threshold`` (as scikit-learn's
        :class:`~sklearn.model_selection.FixedThresholdClassifier` uses its
        ``threshold``).

        .. deprecated:: 0.1
           ``"auto"``, the former name of ``"tuned"``, is deprecated and
           will be removed in 0.3.
    scoring : {"accuracy", "balanced_accuracy", "f1"}, default="accuracy"
        What ``threshold="tuned"`` maximises, with `pos_label` as the
        positive class of "f1".
    pos_label : int, float, bool or str, default=None
        The label meaning "no answer", predicted above the threshold.
        ``None`` means ``classes_[1]``.
    target_precision : float in [0, 1] or None, default=None
        With ``threshold="tuned"``, choose instead the operating point that
        answers the most questions (weighted) such that the answered ones
        are right at least this often: answerable, or with `fit`'s
        ``answer_credit``, their mean EM (or F1) at least this.
    target_noans_recall : float in [0, 1] or None, default=None
        With ``threshold="tuned"``, answer the most questions such that at
        least this (weighted) fraction of the unanswerable ones is flagged.
        With both targets, both hold.
    confidence : float in (0, 1) or None, default=None
        With `target_precision`, choose the threshold so that on new
        questions from the same distribution the precision of the answered
        ones is at least `target_precision` with probability at least
        `confidence` (Learn then Test over the fit questions, see Notes).
        None meets the targets on the fit data only. An unreachable target
        raises a ValueError naming the best precision reachable.

    Attributes
    ----------
    best_threshold_ : float
        The threshold on the margin.
    best_score_ : float
        `scoring` of the fitted rule on the fit data (weighted), also where
        a target chose the threshold.
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
    section 4.3; ``run_squad.py``): predict no answer where
    ``score_null - score_best_span > threshold``, the threshold tuned on the
    dev set.

    ``threshold="tuned"`` sorts the margins once and sweeps cumulative
    weighted counts, which scores every cut in O(n log n) time; the result is
    the optimum over all cuts, not a grid or random search. The threshold is
    placed halfway between the two neighbouring distinct margins, so equal
    margins always fall on the same side, and it is always finite.

    With ``sample_weight`` equal to each answerable question's exact match
    (or F1) of its best span and 1 for each unanswerable question, the
    weighted accuracy is the SQuAD 2.0 EM (or F1) total divided by a
    constant, so the fitted threshold maximises EM (or F1) exactly. This is
    what the official evaluation script's ``find_best_thresh`` computes,
    without its quirks: it can split a group of equal scores mid-way, and it
    starts from a threshold of 0.0, which is not "below every score" on a
    log-odds scale.

    ``target_precision`` and ``target_noans_recall`` run the same sweep and
    keep the largest cut that meets them (selective QA: Kamath, Jia and
    Liang, "Selective Question Answering under Domain Shift", ACL 2020).
    With `confidence`, each cut of the sorted margins is a candidate whose
    answered questions give an exact binomial test (Hoeffding-Bentkus for
    an F1 credit) of "precision below the target"; the rule keeps the cut
    answering the most among those that pass at level ``(1 - confidence) /
    n``, Bonferroni over the ``n`` candidates (Angelopoulos, Bates, Candes,
    Jordan and Lei, "Learn then Test: Calibrating Predictive Algorithms to
    Achieve Risk Control", 2021). It assumes the fit questions and the new
    ones are independent draws from one distribution.
    Fitted with ``span_column=None`` on another classifier's decision
    function, the rule gives that classifier's threshold for
    ``sklearn.model_selection.FixedThresholdClassifier``.

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
            StrOptions({"tuned", "auto"}, deprecated={"auto"}),
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
        """Return the null score minus the best span score of each row of `X`."""
        n_features = X.shape[1]
        names = getattr(self, "feature_names_in_", None)
        null = _column_positions("null_column", self.null_column, n_features, names)
        if self.span_column is None:
            return _column_sum(X, null)
        span = _column_positions("span_column", self.span_column, n_features, names)
        if set(null) & set(span):
            raise ValueError(
                f"null_column={self.null_column!r} and span_column="
                f"{self.span_column!r} share a column of X with {n_features} "
                "feature(s); use span_column=None if the null column(s) already "
                "hold the margin."
            )
        with np.errstate(over="ignore", invalid="ignore"):
            margin = _column_sum(X, null) - _column_sum(X, span)
        if not np.isfinite(margin).all():
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
        if self.threshold == "auto":
            warnings.warn(
                "threshold='auto' was deprecated in version 0.1 and will be "
                "removed in 0.3. Use threshold='tuned' instead.",
                FutureWarning,
                stacklevel=3,  # the caller of fit, past _fit_context
            )
        return self._fit_checked(X, y, sample_weight, answer_credit=answer_credit)

    def _fit(self, X, y, sample_weight, classes, answer_credit=None):
        positive = y == self._positive_label(classes)
        margin = self._margin(X)
        credit = check_answer_credit(answer_credit, y.shape[0])
        targets = (self.target_precision, self.target_noans_recall)
        tuned = self.threshold in ("tuned", "auto")
        if targets != (None, None) and not tuned:
            raise ValueError(
                f"threshold={self.threshold!r} is fixed: target_precision and "
                "target_noans_recall choose a threshold, so they need "
                "threshold='tuned'."
            )
        if self.confidence is not None:
            threshold = guaranteed_threshold(
                margin, positive, sample_weight, credit, *targets, self.confidence
            )
        elif targets != (None, None):
            threshold = constrained_threshold(
                margin, positive, sample_weight, credit, *targets
            )
        if self.confidence is not None or targets != (None, None):
            score = _score_at_threshold(
                margin, positive, sample_weight, threshold, self.scoring
            )
        elif tuned:
            threshold, score = _best_threshold(
                margin, positive, sample_weight, self.scoring
            )
        else:
            threshold = float(self.threshold)
            score = _score_at_threshold(
                margin, positive, sample_weight, threshold, self.scoring
            )
        self.best_threshold_, self.best_score_ = threshold, score

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
        # A plain float array of the fitted width skips validate_data, which
        # is most of the time of a one-question call; all else is validated.
        rows = _plain_rows(self, X)
        if rows is None:
            check_is_fitted(self)
            rows = validate_data(self, X, dtype=np.float64, reset=False)
        decision = self._margin(rows.astype(np.float64, copy=False)) - (
            self.best_threshold_
        )
        if self._positive_label(self.classes_) == self.classes_[1]:
            return decision
        return -decision

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
        decision = self.decision_function(X)
        if self._positive_label(self.classes_) == self.classes_[1]:
            return self.classes_[(decision > 0).astype(int)]
        # decision is signed towards classes_[1]: the margin exceeds the
        # threshold exactly where it is negative.
        return self.classes_[(decision >= 0).astype(int)]
