"""The seed notebook's training loop, run for all restarts at once in torch.

Each restart is a logistic regression ``sigmoid(X @ w + b)`` trained by
full-batch SGD on the (weighted) mean BCE-with-logits loss, with the
learning-rate multiplier of transformers' ``get_linear_schedule_with_warmup``,
and evaluated after every step. Stacking the restarts' parameters as the
columns of one ``(n_features + 1, n_restarts)`` matrix turns 20 sequential
loops into one loop of matrix products. The gradient is the closed form
``X.T @ (sigmoid(z) - y)`` of the BCE-with-logits loss, so no autograd graph
is built, and one forward pass per step gives both the accuracy of the
parameters the previous step produced and the gradient of the next step.
"""

import numpy as np
import torch


def _warmup_linear_lr(step, *, n_steps, warmup_steps):
    """Learning-rate multiplier of `get_linear_schedule_with_warmup` at `step`.

    Step 0 has multiplier 0 when there is a warm-up: the seed's first
    optimizer step leaves the parameters where they were initialised.
    """
    if step < warmup_steps:
        return step / max(1, warmup_steps)
    return max(0.0, (n_steps - step) / max(1, n_steps - warmup_steps))


def _linear_init_parameters(rng, n_features, n_restarts):
    """Draw restarts' parameters as `torch.nn.Linear(n_features, 1)` would.

    `nn.Linear` uses kaiming-uniform with ``a=sqrt(5)`` for the weight and
    uniform bias, both of which reduce to ``U(-1/sqrt(n_features),
    1/sqrt(n_features))``. Rows are the weights then the bias; columns are
    restarts.
    """
    bound = 1.0 / np.sqrt(n_features)
    return rng.uniform(-bound, bound, size=(n_restarts, n_features + 1)).T


def _forward_pass(X1, params, fit_weight, target, signed_eval_weight, chunk_rows):
    """Return the evaluation accuracy numerator and the gradient at `params`.

    The numerator counts, with evaluation weights, how many more correct
    predictions ``z > 0`` each restart makes than "predict the negative class
    everywhere" would; rows are processed in chunks so memory stays bounded.
    """
    n_restarts = params.shape[1]
    grad = torch.zeros_like(params)
    gained = torch.zeros(n_restarts, dtype=params.dtype, device=params.device)
    for start in range(0, X1.shape[0], chunk_rows):
        rows = slice(start, start + chunk_rows)
        logits = X1[rows] @ params
        gained += signed_eval_weight[rows] @ (logits > 0).to(params.dtype)
        residual = torch.sigmoid(logits).sub_(target[rows, None])
        residual.mul_(fit_weight[rows, None])
        grad += X1[rows].T @ residual
    return gained, grad


def _run_batched_sgd(
    X,
    y,
    fit_weight,
    eval_weight,
    init_params,
    *,
    learning_rate,
    n_steps,
    warmup_steps,
    device,
    chunk_rows=65536,
):
    """Train every restart for `n_steps` and record what the seed records.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) of 0/1
    fit_weight, eval_weight : ndarray of shape (n_samples,)
        Sample weights of the loss and of the accuracy; zero where a row is
        not used for that purpose (the validation split).
    init_params : ndarray of shape (n_features + 1, n_restarts)

    Returns
    -------
    accuracy : ndarray of shape (n_restarts, n_steps)
        Evaluation accuracy of the parameters after each step.
    history : ndarray of shape (n_steps, n_features + 1, n_restarts)
        The parameters after each step.
    """
    dtype = torch.float64

    def as_tensor(a):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=device)

    X1 = as_tensor(np.hstack([X, np.ones((X.shape[0], 1))]))
    target = as_tensor(y)
    fit_w = as_tensor(fit_weight / fit_weight.sum())
    # correct(z) = [y == 0] + (2y - 1) * [z > 0], so accuracy is a constant
    # plus one matrix-vector product with the 0/1 predictions.
    signed_eval = as_tensor(eval_weight * (2.0 * y - 1.0))
    eval_total = eval_weight.sum()
    baseline = eval_weight[y == 0].sum()

    params = as_tensor(init_params).clone()
    history = torch.empty((n_steps, *params.shape), dtype=dtype, device=device)
    gains = torch.empty((n_steps, params.shape[1]), dtype=dtype, device=device)
    _, grad = _forward_pass(X1, params, fit_w, target, signed_eval, chunk_rows)
    for step in range(n_steps):
        lr = learning_rate * _warmup_linear_lr(
            step, n_steps=n_steps, warmup_steps=warmup_steps
        )
        params.sub_(grad, alpha=lr)
        history[step] = params
        gains[step], grad = _forward_pass(
            X1, params, fit_w, target, signed_eval, chunk_rows
        )
    accuracy = (gains.T.cpu().numpy() + baseline) / eval_total
    return accuracy, history.cpu().numpy()
