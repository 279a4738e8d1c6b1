"""The notebook's training loop for all restarts at once in torch (GPUs).

The restarts' parameters are one matrix's columns; the gradient is the closed
form ``X1.T @ (scale * (sigmoid(z) - y))``, without autograd.
"""

import numpy as np
import torch

from ._common import (
    _accuracy_from_gains,
    _learning_rates,
    _loss_scale_and_offset,
    _signed_eval_weights,
)

# Bytes of each (n_restarts, rows) work buffer: in cache on the CPU, on a GPU
# only bounding memory (`python -m benchmarks.bench_device_buffer`).
WORK_BUFFER_BYTES = 1 << 20
DEVICE_WORK_BUFFER_BYTES = 64 << 20


class _ChunkedProblem:
    """Per chunk of rows, ``X1.T`` (``X1 = [X, 1]``), ``(scale * X1).T``, signs."""

    def __init__(self, X, y, fit_weight, eval_weight, n_restarts, device, chunk_rows):
        dtype = torch.float32 if X.dtype == np.float32 else torch.float64
        scale = fit_weight / fit_weight.sum()
        _, offset = _loss_scale_and_offset(X, y, fit_weight)
        sign = _signed_eval_weights(y, eval_weight, X.dtype)
        self.chunks = []
        for start in range(0, X.shape[0], chunk_rows):
            rows = slice(start, start + chunk_rows)
            X1_T = np.ones((X.shape[1] + 1, X[rows].shape[0]))
            X1_T[:-1] = X[rows].T
            chunk = (X1_T, X1_T * scale[rows], sign[rows])
            self.chunks.append(
                [torch.as_tensor(a, dtype=dtype, device=device) for a in chunk]
            )
        shape = (2, n_restarts, min(chunk_rows, X.shape[0]))
        self.buffers = torch.empty(shape, dtype=dtype, device=device)
        self.grad = torch.empty((len(offset), n_restarts), dtype=dtype, device=device)
        self.offset = torch.as_tensor(offset[:, None], dtype=dtype, device=device)

    def forward(self, params_T, *, with_grad):
        """Return the accuracy gain over "all negative" (float64), and the gradient."""
        gained = torch.zeros(
            len(params_T), dtype=torch.float64, device=self.grad.device
        )
        for i, (X1_T, weighted_T, sign) in enumerate(self.chunks):
            logits, predicted = self.buffers[:, :, : X1_T.shape[1]]
            torch.mm(params_T, X1_T, out=logits)
            # Summed per chunk, then in float64: float32 counts stay exact.
            gained += torch.gt(logits, 0, out=predicted) @ sign
            if with_grad:  # the y part of the gradient is the constant offset
                probabilities_T = torch.sigmoid_(logits).T
                if i == 0:
                    torch.mm(weighted_T, probabilities_T, out=self.grad)
                else:
                    self.grad.addmm_(weighted_T, probabilities_T)
        return gained, self.grad.sub_(self.offset) if with_grad else None


def _chunk_rows(buffer_bytes, n_restarts, dtype):
    """Rows per chunk whose ``(n_restarts, rows)`` work buffer fills `buffer_bytes`."""
    return max(256, buffer_bytes // (n_restarts * np.dtype(dtype).itemsize))


def _run_batched_sgd(
    X, y, fit_weight, eval_weight, init_params, *, device, max_threads=1,
    chunk_rows=None, **schedule,
):  # fmt: skip
    """Train as `_reference` specifies, on a torch `device`."""
    # One thread: skinny products gain nothing from more, and spin-waiting
    # OpenMP threads slow down on busy cores (benchmarks.bench_threads).
    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, min(threads, max_threads)))
    try:
        if chunk_rows is None:
            on_cpu = torch.device(device).type == "cpu"
            buffer = WORK_BUFFER_BYTES if on_cpu else DEVICE_WORK_BUFFER_BYTES
            chunk_rows = _chunk_rows(buffer, init_params.shape[1], X.dtype)
        problem = _ChunkedProblem(
            X, y, fit_weight, eval_weight, init_params.shape[1], device, chunk_rows
        )
        params_T = torch.tensor(init_params.T, dtype=problem.grad.dtype, device=device)
        lrs = _learning_rates(**schedule)
        history = params_T.new_empty((lrs.size, *params_T.shape))
        gains = torch.empty(lrs.size, len(params_T), dtype=torch.float64, device=device)
        for step, lr in enumerate(lrs.tolist()):
            # The pass at `step` measures step - 1's parameters.
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
    finally:
        torch.set_num_threads(threads)
