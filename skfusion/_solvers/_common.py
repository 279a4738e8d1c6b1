"""What both training engines share.

The notebook loop's initialisation and learning-rate schedule, and the terms of
the gradient and of the accuracy that do not change from step to step.
"""

import numpy as np


def _warmup_linear_lr(step, *, n_steps, warmup_steps):
    """Learning-rate multiplier of `get_linear_schedule_with_warmup` at `step`.

    Step 0 has multiplier 0 when there is a warm-up: the notebook's first
    optimizer step leaves the parameters where they were initialised.
    """
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    return max(0.0, (n_steps - step) / max(1, n_steps - warmup_steps))


def _learning_rates(learning_rate, *, n_steps, warmup_steps):
    """Return the learning rate of every step, as a float64 array."""
    return np.array(
        [
            learning_rate
            * _warmup_linear_lr(step, n_steps=n_steps, warmup_steps=warmup_steps)
            for step in range(n_steps)
        ]
    )


def _linear_init_parameters(rng, n_features, n_restarts):
    """Draw restarts' parameters as `torch.nn.Linear(n_features, 1)` would.

    `nn.Linear` uses kaiming-uniform with ``a=sqrt(5)`` for the weight and
    uniform bias, both of which reduce to ``U(-1/sqrt(n_features),
    1/sqrt(n_features))``. Rows are the weights then the bias; columns are
    restarts.
    """
    bound = 1.0 / np.sqrt(n_features)
    return rng.uniform(-bound, bound, size=(n_restarts, n_features + 1)).T


def _gradient_offset(X, y, fit_scale):
    """Return ``(fit_scale * X1).T @ y``, with ``X1 = [X, 1]``, in float64.

    The gradient of the weighted mean BCE-with-logits loss is
    ``(fit_scale * X1).T @ (sigmoid(X1 @ w) - y)``; this is its constant part.
    einsum rather than BLAS: a matrix-vector product wakes BLAS's thread
    pool, whose threads compete with the fit's own for the cores (a cost
    that grows with the machine's load), and its order of summation may
    depend on the number of BLAS threads, which would break bit-identical
    fits.
    """
    scaled_y = fit_scale * y
    return np.append(np.einsum("ij,i->j", X, scaled_y), scaled_y.sum())


def _signed_eval_weights(y, eval_weight):
    """Weights that turn the accuracy into one sum over predicted positives.

    A row is correct when ``[y == 0] + (2y - 1) * [z > 0]`` is 1, so the
    weighted accuracy is a constant (`_accuracy_from_gains`) plus the sum of
    ``eval_weight * (2y - 1)`` over the rows with a positive logit.
    """
    return eval_weight * (2.0 * y - 1.0)


def _accuracy_from_gains(gains, y, eval_weight):
    """Turn ``(n_steps, n_restarts)`` gains into ``(n_restarts, n_steps)`` accuracy."""
    return (gains.T + eval_weight[y == 0].sum()) / eval_weight.sum()
