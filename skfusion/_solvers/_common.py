"""What the engines share: initialisation, schedule, the loss's constant parts."""

import numpy as np


def _warmup_linear_lr(step, *, n_steps, warmup_steps):
    """Learning-rate multiplier of `get_linear_schedule_with_warmup` at `step`."""
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    return max(0.0, (n_steps - step) / max(1, n_steps - warmup_steps))


def _learning_rates(*, learning_rate, n_steps, warmup_steps):
    schedule = {"n_steps": n_steps, "warmup_steps": warmup_steps}
    return np.array(
        [learning_rate * _warmup_linear_lr(s, **schedule) for s in range(n_steps)]
    )


def _linear_init_parameters(rng, n_features, n_restarts):
    """Draw ``U(-1/sqrt(d), 1/sqrt(d))`` as `torch.nn.Linear(d, 1)`, per column."""
    bound = 1.0 / np.sqrt(n_features)
    return rng.uniform(-bound, bound, size=(n_restarts, n_features + 1)).T


def _loss_scale_and_offset(X, y, fit_weight):
    """Each row's share of the loss, in X's precision, and ``(scale * X1).T @ y``."""
    # einsum, not BLAS, whose threads compete with the fit's and set the order.
    scale = fit_weight / fit_weight.sum(dtype=np.float64)
    scaled_y = scale * y
    offset = np.append(np.einsum("ij,i->j", X, scaled_y), scaled_y.sum())
    del scaled_y
    return scale.astype(X.dtype, copy=False), offset


def _signed_eval_weights(y, eval_weight, dtype):
    """``eval_weight * (2y - 1)``: the accuracy gain of predicting a row positive."""
    sign = eval_weight.astype(dtype)
    return np.negative(sign, out=sign, where=y == 0)


def _accuracy_from_gains(gains, y, eval_weight):
    """Turn ``(n_steps, n_restarts)`` gains into ``(n_restarts, n_steps)`` accuracy."""
    # A row is right where [y == 0] + (2y - 1) [z > 0] is 1.
    negatives = eval_weight[y == 0].sum(dtype=np.float64)
    return (gains.T + negatives) / eval_weight.sum(dtype=np.float64)
