"""The notebook's training loop, run for all restarts at once in torch.

This is the engine for GPUs (and for ``engine="torch"`` on the CPU, where
the fused kernel of `_fused_sgd` is faster).

Each restart is a logistic regression ``sigmoid(X @ w + b)`` trained by
full-batch SGD on the (weighted) mean BCE-with-logits loss, with the
learning-rate multiplier of transformers' ``get_linear_schedule_with_warmup``,
and evaluated after every step. Stacking the restarts' parameters as the
columns of one ``(n_features + 1, n_restarts)`` matrix turns 20 sequential
loops into one loop of matrix products. The gradient is the closed form
``X.T @ (w * (sigmoid(z) - y)) / sum(w)`` of the BCE-with-logits loss, so no
autograd graph is built, and one forward pass per step gives both the
accuracy of the parameters the previous step produced and the gradient of
the next step.
"""

from contextlib import contextmanager

import numpy as np
import torch

from ._common import (
    _accuracy_from_gains,
    _gradient_offset,
    _learning_rates,
    _signed_eval_weights,
)

# Size of each (n_restarts, rows) work buffer on the CPU. It bounds memory
# whatever n_samples is, and about 1 MiB keeps a chunk's logits in the CPU's
# cache between the products and the element-wise passes over them, which
# touch every element several times per step
# (`python -m benchmarks.bench_device_buffer --device cpu` compares sizes).
WORK_BUFFER_BYTES = 1 << 20

# On a GPU each chunk costs a handful of kernel launches per step, and the
# cache argument above does not apply: chunks there are sized to bound
# memory only.
DEVICE_WORK_BUFFER_BYTES = 64 << 20


@contextmanager
def _bounded_torch_threads(max_threads):
    """Run torch's CPU ops on at most `max_threads` threads, then restore.

    `torch.get_num_threads` already reflects threadpoolctl limits on torch's
    OpenMP runtime, so taking the minimum respects them too.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, min(previous, max_threads)))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class _ChunkedProblem:
    """Training data laid out for the two skinny products of every step.

    Per chunk of rows it holds ``X1.T``, with ``X1 = [X, 1]``, for the
    logits; the loss-weighted ``(fit_w * X1).T`` for the gradient; and the
    signed evaluation weights for the accuracy. Logits are laid out
    restarts-by-rows: on the development CPU the logits product ran about
    twice as fast that way round as rows-by-restarts. One pair of
    ``(n_restarts, chunk_rows)``
    work buffers serves every chunk, so memory beyond the data itself does
    not grow with n_samples.
    """

    def __init__(
        self, X, y, fit_weight, eval_weight, n_restarts, *, dtype, device, chunk_rows
    ):
        def as_tensor(a):
            return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=device)

        self.chunks = []
        fit_scale = fit_weight / fit_weight.sum()
        # The accuracy gain is then one matrix-vector product with the 0/1
        # predictions.
        signed_eval = _signed_eval_weights(y, eval_weight)
        for start in range(0, X.shape[0], chunk_rows):
            rows = slice(start, start + chunk_rows)
            X1 = np.hstack([X[rows], np.ones((X[rows].shape[0], 1))])
            weighted_T = (X1 * fit_scale[rows, None]).T
            self.chunks.append(
                (as_tensor(X1.T), as_tensor(weighted_T), as_tensor(signed_eval[rows]))
            )
        n_params = X.shape[1] + 1
        self.buffers = torch.empty(
            (2, n_restarts, min(chunk_rows, X.shape[0])), dtype=dtype, device=device
        )
        self.grad = torch.empty((n_params, n_restarts), dtype=dtype, device=device)
        self.gained = torch.empty(n_restarts, dtype=torch.float64, device=device)
        self.grad_offset = as_tensor(_gradient_offset(X, y, fit_scale))[:, None]

    def forward(self, params_T, *, with_grad):
        """Return the accuracy gain over "all negative", and the gradient.

        `params_T` is ``(n_restarts, n_features + 1)``; the gradient comes
        back as ``(n_features + 1, n_restarts)``. Both results live in
        buffers that the next call overwrites.
        """
        gained = self.gained.zero_()
        for i, (X1_T, weighted_T, signed_eval) in enumerate(self.chunks):
            logits, predicted = self.buffers[:, :, : X1_T.shape[1]]
            torch.mm(params_T, X1_T, out=logits)
            torch.gt(logits, 0, out=predicted)
            # Summed per chunk, then in float64: float32 counts stay exact.
            gained += predicted @ signed_eval
            if with_grad:
                # The gradient is (fit_w * X1).T @ (sigmoid(z) - y); the
                # constant y part was computed once, as grad_offset.
                probabilities_T = torch.sigmoid_(logits).T
                if i == 0:
                    torch.mm(weighted_T, probabilities_T, out=self.grad)
                else:
                    self.grad.addmm_(weighted_T, probabilities_T)
        if not with_grad:
            return gained, None
        return gained, self.grad.sub_(self.grad_offset)


def _chunk_rows(buffer_bytes, n_restarts, dtype):
    """Rows per chunk whose ``(n_restarts, rows)`` work buffer fills `buffer_bytes`."""
    return max(256, buffer_bytes // (n_restarts * np.dtype(dtype).itemsize))


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
    max_threads=1,
    chunk_rows=None,
):
    """Train every restart for `n_steps` and record what the notebook records.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Arithmetic runs in this precision.
    y : ndarray of shape (n_samples,) of 0/1
    fit_weight, eval_weight : ndarray of shape (n_samples,)
        Sample weights of the loss and of the accuracy; zero where a row is
        not used for that purpose (the validation split).
    init_params : ndarray of shape (n_features + 1, n_restarts)
    max_threads : int
        Upper bound on torch's intra-op threads while training. One is the
        default because the products, ``(restarts, features)`` by
        ``(features, rows)``, are too skinny to gain from more threads, and
        torch's OpenMP threads spin-wait for each other, so a fit on several
        of them slows down many times over when other processes hold the
        cores, where a one-thread fit only shares its core
        (``python -m benchmarks.bench_threads`` measures fits on an idle and
        a busy machine).
    chunk_rows : int or None
        Rows per chunk; None sizes each work buffer to `WORK_BUFFER_BYTES`
        on the CPU and to `DEVICE_WORK_BUFFER_BYTES` on other devices.

    Returns
    -------
    accuracy : ndarray of shape (n_restarts, n_steps)
        Evaluation accuracy of the parameters after each step.
    history : ndarray of shape (n_steps, n_features + 1, n_restarts)
        The parameters after each step.
    """
    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    if chunk_rows is None:
        on_cpu = torch.device(device).type == "cpu"
        buffer_bytes = WORK_BUFFER_BYTES if on_cpu else DEVICE_WORK_BUFFER_BYTES
        chunk_rows = _chunk_rows(buffer_bytes, init_params.shape[1], X.dtype)
    with _bounded_torch_threads(max_threads):
        problem = _ChunkedProblem(
            X,
            y,
            fit_weight,
            eval_weight,
            init_params.shape[1],
            dtype=dtype,
            device=device,
            chunk_rows=chunk_rows,
        )
        params_T = torch.as_tensor(init_params.T, dtype=dtype, device=device).clone()
        history = torch.empty((n_steps, *params_T.shape), dtype=dtype, device=device)
        gains = torch.empty(
            (n_steps, params_T.shape[0]), dtype=torch.float64, device=device
        )
        lrs = _learning_rates(learning_rate, n_steps=n_steps, warmup_steps=warmup_steps)
        for step, lr in enumerate(lrs.tolist()):
            # The pass at `step` measures the parameters of step - 1; a
            # zero-rate first step (the warm-up's) changes nothing, so its
            # pass would be wasted.
            if step > 0 or lr > 0:
                gained, grad = problem.forward(params_T, with_grad=lr > 0)
                if step > 0:
                    gains[step - 1] = gained
            if lr > 0:
                params_T.sub_(grad.T, alpha=lr)
            history[step] = params_T
        gains[-1], _ = problem.forward(params_T, with_grad=False)
        accuracy = _accuracy_from_gains(gains.cpu().numpy(), y, eval_weight)
        history = history.cpu().numpy().astype(np.float64)
        return accuracy, history.transpose(0, 2, 1)
