"""Logistic fusion of a reader's no-answer scores, trained as the notebook does."""

from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, log_expit
from sklearn.utils import check_random_state

from ._base import _BinaryScoreClassifier, _row_chunks
from ._compat import Interval, LinearClassifierMixin, StrOptions, _fit_context
from ._solvers._common import _linear_init_parameters
from ._solvers._setup import _fit_and_eval_weights, _resolve_engine


def _linear_scores(X, coef, intercept):
    """``X @ coef.T + intercept`` in float64, summed column by column, no copy of X."""
    # A fixed order (not BLAS's, which depends on rows and CPU) gives every
    # row the same bits whatever the batch, and an ONNX graph can repeat it.
    weights, scores = coef[0], np.empty(X.shape[0])
    for rows, chunk in _row_chunks(X):
        columns = chunk.T.astype(np.float64, order="C")
        out = np.multiply(columns[0], weights[0], out=scores[rows])
        for j in range(1, X.shape[1]):
            out += np.multiply(columns[j], weights[j], out=columns[j])
        out += intercept[0]
    return scores


class TorchLogisticFusion(LinearClassifierMixin, _BinaryScoreClassifier):
    """Logistic regression fused over score columns, trained as the notebook trains it.

    Fits ``P(y = classes_[1] | x) = sigmoid(x @ coef_.T + intercept_)`` by the
    research notebook's loop: full-batch SGD on the (weighted) mean
    BCE-with-logits loss, a linear warm-up then decay of the learning rate,
    and the parameters of the best accuracy after any step of any random
    restart kept. The restarts train together, on the CPU in one compiled
    kernel, on a GPU as batched PyTorch operations.

    Parameters
    ----------
    n_restarts : int, default=20
        Number of independent random initialisations.
    n_steps : int, default=100
        Optimizer steps per restart (``num_training_steps`` of the schedule).
    learning_rate : float, default=0.3
        Peak SGD learning rate.
    warmup_steps : int, default=10
        Steps of linear warm-up from 0 to `learning_rate`, which then decays
        linearly to 0 at `n_steps`.
    validation_fraction : float in (0, 1) or None, default=None
        If set, a stratified held-out part of the fit data chooses the
        snapshots, and the loss uses the rest; None selects on the training
        data, as the notebook.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial parameters and the validation split.
    device : str, default="cpu"
        The CPU, or a torch device such as ``"cuda:1"`` (torch engine).
    engine : {"auto", "numba", "torch"}, default="auto"
        ``"numba"``: a fused CPU kernel, compiled on first use and cached on
        disk; ``"torch"``: batched torch operations on `device`; ``"auto"``:
        numba on the CPU, torch elsewhere. They differ only in rounding.
    n_jobs : int, default=None
        Threads the ``"numba"`` engine trains the restarts on, in pairs, with
        bit-identical fitted attributes for every value. ``None`` is 1 unless
        in a :obj:`joblib.parallel_config` context, ``-1`` all cores; both
        keep within joblib's and threadpoolctl's limits, so that fits in
        ``cross_val_score(..., n_jobs=k)`` do not oversubscribe the cores.
        The ``"torch"`` engine trains on one CPU thread or on the GPU.
    verbose : int, default=0
        If positive, print each restart's best accuracy after fitting.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features)
        Weights of the kept snapshot.
    intercept_ : ndarray of shape (1,)
        Bias of the kept snapshot.
    classes_ : ndarray of shape (2,)
        Class labels; ``classes_[1]`` is the positive class.
    n_features_in_ : int
        Number of features seen during `fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when `X` has string column names.
    best_score_ : float
        Selection accuracy of the kept snapshot.
    best_restart_ : int
        Index of the kept restart.
    best_step_ : int
        0-based step after which the kept snapshot was taken.
    restart_scores_ : ndarray of shape (n_restarts,)
        Best selection accuracy of each restart.
    accuracy_curve_ : ndarray of shape (n_restarts, n_steps)
        Selection accuracy after every step of every restart.
    n_iter_ : int
        SGD steps that produced the kept snapshot (``best_step_ + 1``).

    See Also
    --------
    MarginThresholdClassifier : BERT's null-score-difference threshold rule.
    sklearn.linear_model.LogisticRegression : The same model, fit to the
        optimum of the regularised log-loss rather than for best accuracy.

    Notes
    -----
    Training follows the research notebook KNOT-FIT-BUT/JointSpanExtraction,
    ``analysis/squad2_noans_tuning.ipynb`` (cell 9), step for step: parameters
    drawn as `torch.nn.Linear` draws them, ``U(-1/sqrt(d), 1/sqrt(d))`` (from
    `random_state`, restart by restart, weights then bias); the learning-rate
    multiplier of transformers' `get_linear_schedule_with_warmup`, ``step /
    warmup_steps`` then ``(n_steps - step) / (n_steps - warmup_steps)``, so
    that the first step has rate 0; a snapshot whenever the accuracy after a
    step is strictly better than before, and the strictly best across
    restarts: the first wins a tie (with an accuracy of 0 throughout, the
    first step's). With `sample_weight`, the loss is ``sum(w * loss) /
    sum(w)`` and accuracy is weighted alike. Arithmetic runs in the precision
    of `X`, not copied: float32 `X` trains in the notebook's own precision,
    about twice as fast (the user guide's *Speed* section). Selecting
    snapshots on training accuracy, the default, overfits the selection:
    compare estimators by cross-validation, or set `validation_fraction`.
    The BERT rule generalised is Devlin et al.'s (NAACL 2019, section 4.3).

    Examples
    --------
    >>> from skfusion import TorchLogisticFusion
    >>> from skfusion.datasets import make_squad2_scores
    >>> X, y = make_squad2_scores(n_questions=500, random_state=0)
    >>> clf = TorchLogisticFusion(n_restarts=5, random_state=0).fit(X, y)
    >>> clf.coef_.shape
    (1, 4)
    >>> bool(clf.score(X, y) > 0.7)
    True
    """

    _parameter_constraints: dict = {
        "n_restarts": [Interval(Integral, 1, None, closed="left")],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "warmup_steps": [Interval(Integral, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "random_state": ["random_state"],
        "device": [str],
        "engine": [StrOptions({"auto", "numba", "torch"})],
        "n_jobs": [
            Interval(Integral, None, -1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        n_restarts=20,
        n_steps=100,
        learning_rate=0.3,
        warmup_steps=10,
        validation_fraction=None,
        random_state=None,
        device="cpu",
        engine="auto",
        n_jobs=None,
        verbose=0,
    ):
        self.n_restarts = n_restarts
        self.n_steps = n_steps
        self.learning_rate = learning_rate
        self.warmup_steps = warmup_steps
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.device = device
        self.engine = engine
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> "TorchLogisticFusion":
        """Train all restarts and keep the best-accuracy snapshot.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Score columns.
        y : array-like of shape (n_samples,)
            Binary target; ``classes_[1]`` ("no answer") is the positive class.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the loss and of the accuracy.

        Returns
        -------
        self : TorchLogisticFusion
            The fitted estimator.
        """
        return self._fit_checked(X, y, sample_weight)

    def _fit(self, X, y, sample_weight, classes):
        engine, device = _resolve_engine(self.engine, self.device)
        rng = check_random_state(self.random_state)
        y = y == classes[1]
        # Ones in X's precision: a float32 fit holds less.
        weight = np.ones(y.shape, X.dtype) if sample_weight is None else sample_weight
        weights = _fit_and_eval_weights(y, weight, self.validation_fraction, rng)
        init = _linear_init_parameters(rng, X.shape[1], self.n_restarts)
        schedule = dict(
            learning_rate=self.learning_rate,
            n_steps=self.n_steps,
            warmup_steps=self.warmup_steps,
        )
        # numba's and torch's imports take seconds, and predicting needs neither.
        if engine == "numba":
            from ._solvers._fused import _run_fused_sgd as solver

            options = {"n_jobs": self.n_jobs}
        else:
            from ._solvers._torch import _run_batched_sgd as solver

            options = {"device": device}
        curve, history = solver(X, y, *weights, init, **options, **schedule)
        # argmax's first maximum: the notebook's "strictly better" snapshots.
        best_steps, restart_scores = curve.argmax(axis=1), curve.max(axis=1)
        best_restart = int(restart_scores.argmax())
        best_step = int(best_steps[best_restart])
        if self.verbose:
            for r, score in enumerate(restart_scores):
                print(f"restart {r}: best accuracy {score:.5f} at step {best_steps[r]}")
        self.coef_ = history[best_step, None, :-1, best_restart].copy()
        self.intercept_ = history[best_step, -1:, best_restart].copy()
        self.best_score_ = float(restart_scores[best_restart])
        self.best_restart_ = best_restart
        self.best_step_ = best_step
        self.restart_scores_ = restart_scores
        self.accuracy_curve_ = curve
        self.n_iter_ = best_step + 1

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Return the log-odds of ``classes_[1]``, ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Score columns.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            Positive where ``classes_[1]`` is predicted; a row's bits do not
            depend on the rows given with it.
        """
        return _linear_scores(self._validated_rows(X), self.coef_, self.intercept_)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict ``classes_[1]`` where the log-odds are positive.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Score columns.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        return self._labels(self.decision_function(X) > 0)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Probability of each class, from the fitted logistic model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Score columns.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns follow ``classes_``.
        """
        decision = self.decision_function(X)
        return np.column_stack([expit(-decision), expit(decision)])

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Log of `predict_proba`, finite where ``log(predict_proba)`` underflows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Score columns.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, 2)
            Columns follow ``classes_``.
        """
        decision = self.decision_function(X)
        return np.column_stack([log_expit(-decision), log_expit(decision)])
