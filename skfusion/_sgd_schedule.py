"""The seed loop's initialisation and learning-rate schedule, for both engines."""

import numpy as np


def _warmup_linear_lr(step, *, n_steps, warmup_steps):
    """Learning-rate multiplier of `get_linear_schedule_with_warmup` at `step`.

    Step 0 has multiplier 0 when there is a warm-up: the seed's first
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
