"""Risk-coverage display of a no-answer rule, in scikit-learn's Display style."""

import numpy as np

from .._sweep import answered_curves, threshold_at_cut


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4))
    return ax


class RiskCoverageDisplay:
    """Risk-coverage curve: how often answers are wrong, against how many.

    A no-answer rule answers the questions whose "no answer" score is at
    most a threshold; each threshold between distinct scores gives a coverage
    (the fraction answered) and a risk (the fraction of the answered that are
    wrong: unanswerable, or with ``answer_credit``, one minus their mean EM
    or F1). Build it with `from_estimator` or `from_predictions`.

    Parameters
    ----------
    coverage, risk, thresholds : ndarray of shape (n_thresholds,)
        Each point's (weighted) coverage and risk, and its threshold.
    operating_point : tuple of float or None, default=None
        ``(coverage, risk)`` of a fitted rule, marked on the curve.
    estimator_name : str or None, default=None
        Label of the curve.

    Attributes
    ----------
    line_, point_ : matplotlib.lines.Line2D
        The curve, and the operating point's marker (None if there is none).
    ax_ : matplotlib.axes.Axes
        The Axes drawn on.
    figure_ : matplotlib.figure.Figure
        The figure of `ax_`.

    See Also
    --------
    skfusion.MarginThresholdClassifier : Its ``target_precision`` picks the
        point of most coverage with a risk of at most ``1 - target``.
    sklearn.metrics.PrecisionRecallDisplay : The curve seen from "no answer".

    Notes
    -----
    Risk-coverage curves picture selective prediction (El-Yaniv and Wiener,
    JMLR 11, 2010), in QA too (Kamath, Jia and Liang, ACL 2020).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.datasets import make_squad2_scores
    >>> from skfusion.plotting import RiskCoverageDisplay
    >>> X, y = make_squad2_scores(n_questions=500, random_state=0)
    >>> rule = MarginThresholdClassifier(target_precision=0.9).fit(X, y)
    >>> display = RiskCoverageDisplay.from_estimator(rule, X, y)
    >>> coverage, risk = display.operating_point
    >>> bool(risk <= 0.1)
    True
    """

    def __init__(
        self, *, coverage, risk, thresholds, operating_point=None, estimator_name=None
    ):
        self.coverage = coverage
        self.risk = risk
        self.thresholds = thresholds
        self.operating_point = operating_point
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the curve, and the operating point if there is one.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            Where to draw; None draws on a new figure.
        name : str or None, default=None
            Label of the curve; None is `estimator_name`.
        **kwargs : dict
            Passed to ``ax.plot`` for the curve.

        Returns
        -------
        display : RiskCoverageDisplay
            This display, with `line_`, `point_`, `ax_` and `figure_`.
        """
        ax = _axes(ax)
        name = self.estimator_name if name is None else name
        (self.line_,) = ax.plot(self.coverage, self.risk, **{"label": name} | kwargs)
        self.point_ = None
        if self.operating_point is not None:
            coverage, risk = self.operating_point
            label = f"operating point: {coverage:.1%} answered, {risk:.1%} wrong"
            color = self.line_.get_color()
            (self.point_,) = ax.plot([coverage], [risk], "o", color=color, label=label)
        ax.set(
            xlabel="coverage (fraction of questions answered)",
            ylabel="risk (fraction of answers wrong)",
            xlim=(0, 1),
        )
        if name is not None or self.point_ is not None:
            ax.legend(loc="upper left")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        answer_credit=None,
        sample_weight=None,
        pos_label=None,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Plot the curve of a fitted classifier's decision function.

        Parameters
        ----------
        estimator : fitted classifier
            With ``decision_function`` and ``predict``.
        X : array-like of shape (n_questions, n_features)
            Score columns.
        y : array-like of shape (n_questions,)
            True labels; `pos_label` marks unanswerable questions.
        answer_credit : array-like of shape (n_questions,), default=None
            Each question's EM (or F1) if answered; None counts an
            answerable question as right.
        sample_weight : array-like of shape (n_questions,), default=None
            Question weights.
        pos_label : int, float, bool or str, default=None
            The label meaning "no answer"; None is ``classes_[1]``.
        name : str or None, default=None
            Label of the curve; None is the estimator's class name.
        ax : matplotlib.axes.Axes or None, default=None
            Where to draw; None draws on a new figure.
        **kwargs : dict
            Passed to ``ax.plot`` for the curve.

        Returns
        -------
        display : RiskCoverageDisplay
            The display, with the estimator's own decisions marked.
        """
        classes = estimator.classes_
        pos_label = classes[1] if pos_label is None else pos_label
        score = np.asarray(estimator.decision_function(X), dtype=float)
        score = score if pos_label == classes[1] else -score
        predicted_null = np.asarray(estimator.predict(X)) == pos_label
        unanswerable = np.asarray(y) == pos_label
        display = cls._from_scores(unanswerable, score, answer_credit, sample_weight)
        weight, answered = _weights(sample_weight, score.size), ~predicted_null
        right = ~unanswerable if answer_credit is None else answer_credit
        covered = weight[answered].sum()
        if covered > 0:  # else nothing answered: no point to mark
            risk = 1.0 - (weight * np.asarray(right, float))[answered].sum() / covered
            display.operating_point = (float(covered / weight.sum()), float(risk))
        display.estimator_name = type(estimator).__name__ if name is None else name
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_score,
        *,
        answer_credit=None,
        sample_weight=None,
        pos_label=True,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Plot the curve of "no answer" scores.

        Parameters
        ----------
        y_true : array-like of shape (n_questions,)
            True labels; `pos_label` marks unanswerable questions.
        y_score : array-like of shape (n_questions,)
            Scores whose high values mean "no answer", such as the margin.
        answer_credit, sample_weight : array-like of shape (n_questions,), \
default=None
            As for `from_estimator`.
        pos_label : int, float, bool or str, default=True
            The label meaning "no answer".
        name : str or None, default=None
            Label of the curve.
        ax : matplotlib.axes.Axes or None, default=None
            Where to draw; None draws on a new figure.
        **kwargs : dict
            Passed to ``ax.plot`` for the curve.

        Returns
        -------
        display : RiskCoverageDisplay
            The display.
        """
        unanswerable = np.asarray(y_true) == pos_label
        display = cls._from_scores(
            unanswerable, np.asarray(y_score, dtype=float), answer_credit, sample_weight
        )
        display.estimator_name = name
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def _from_scores(cls, unanswerable, score, answer_credit, sample_weight):
        if score.ndim != 1 or unanswerable.shape != score.shape:
            raise ValueError(
                f"y and the scores must have one entry per question; got shapes "
                f"{unanswerable.shape} and {score.shape}."
            )
        weight = _weights(sample_weight, score.size)
        credit = None if answer_credit is None else np.asarray(answer_credit, float)
        m, coverage, precision, _, valid = answered_curves(
            score, unanswerable, weight, credit
        )
        cuts = np.flatnonzero(valid)[1:]  # answering none has no risk to show
        return cls(
            coverage=coverage[cuts],
            risk=1.0 - precision[cuts],
            thresholds=np.array([threshold_at_cut(m, k) for k in cuts]),
        )


def _weights(sample_weight, n):
    return np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
