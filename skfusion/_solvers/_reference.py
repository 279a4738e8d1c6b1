"""The solver interface, and its pure-numpy reference implementation.

Every training engine of `TorchLogisticFusion` (`_fused._run_fused_sgd`, the
numba kernel; `_torch._run_batched_sgd`, the torch engine) is a function::

    accuracy, history = solver(
        X, y, fit_weight, eval_weight, init_params,
        *, learning_rate, n_steps, warmup_steps, **engine_options,
    )

taking ``X`` of shape ``(n_samples, n_features)``, float32 or float64 (the
arithmetic runs in this precision); ``y`` of booleans or 0/1 floats;
``fit_weight`` and ``eval_weight``, the non-negative row weights of the loss
and of the accuracy; ``init_params`` of shape ``(n_features + 1,
n_restarts)``, each restart's weights then bias. It returns, in float64,
``accuracy`` of shape ``(n_restarts, n_steps)``, the ``eval_weight``-ed
accuracy of the parameters after each step (a logit above 0 predicts 1), and
``history`` of shape ``(n_steps, n_features + 1, n_restarts)``, those
parameters. Each step is one full-batch gradient step on the
``fit_weight``-ed mean binary cross-entropy at the rate of
`_common._warmup_linear_lr`. The estimator applies the snapshot rule to
`accuracy`, so it is the same for every engine. For float64 ``X`` every
engine matches this reference to rounding (the tests hold them to it).

`_run_reference_sgd` is the notebook's loop written plainly in numpy, the
oracle of the tests with and without torch; it is not tuned for speed.
"""

import numpy as np
from scipy.special import expit

from ._common import _warmup_linear_lr


def _run_reference_sgd(
    X, y, fit_weight, eval_weight, init_params, *, learning_rate, n_steps, warmup_steps
):
    """Train every restart as the notebook does, one plain numpy step at a time."""
    X1 = np.column_stack([X, np.ones(len(X), dtype=X.dtype)])
    fit_scale = (fit_weight / fit_weight.sum())[:, None]
    positive = y[:, None] == 1
    params = init_params.astype(X.dtype)
    accuracy = np.empty((init_params.shape[1], n_steps))
    history = np.empty((n_steps, *init_params.shape))
    # Scores near float64's limits overflow to +-inf logits, which the
    # sigmoid saturates as the notebook's does.
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(n_steps):
            lr = learning_rate * _warmup_linear_lr(
                step, n_steps=n_steps, warmup_steps=warmup_steps
            )
            residual = expit(X1 @ params) - y[:, None]
            params = params - (lr * (X1.T @ (fit_scale * residual))).astype(X.dtype)
            history[step] = params
            correct = (X1 @ params > 0) == positive
            accuracy[:, step] = eval_weight @ correct / eval_weight.sum()
    return accuracy, history
