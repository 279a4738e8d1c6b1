"""The notebook's training loop as one fused, compiled CPU kernel (numba).

The torch engine (`_batched_sgd`) needs five separate passes over a
``(n_restarts, n_samples)`` matrix per step (logits, the accuracy's
comparison and product, sigmoid, gradient product), each streaming the
matrix through memory, and the sigmoid dominates. This kernel
walks the rows in cache-sized blocks and, per block and pair of restarts,
computes the logits and accuracy gains in one vectorised loop and the
sigmoids and gradient sums in another, while the block sits in L1; no
``n_samples x n_restarts`` matrix exists at all. Two restarts per loop
share each load of the data and give the CPU two independent dependency
chains to overlap; larger groups did not make fits faster
(`python -m benchmarks.bench_fit` times fits against the torch engine,
the notebook loop and scikit-learn). The loops are kept to the first four
features, with further ones in loops of their own, so that LLVM can still
vectorise them and keep both restarts' values in registers. It computes
what the torch engine computes; only rounding differs.

Restarts are independent, so `n_jobs` threads each train a contiguous range
of pairs (the kernel releases the GIL). A restart's arithmetic is the same
code on the same data whichever thread runs it, in the same slot of the
same pair, so the result is bit-identical for every number of threads.

The kernel is compiled for the dtype of X on first use, and that compile
costs far more than the training, so its shape is kept cheap to compile
(`python -m benchmarks.bench_cold_start` reports numba's compile events):
one compiled training function with
its block loops inlined into it, one level deep (a separately compiled
function costs its own LLVM pipeline, each level of inlining its own
pass), the loops for features beyond four compiled only where there are
such features, the sigmoid its own small function, and arrays written
element by element (an array assignment compiles the formatting of its
shape-mismatch error message, seconds on a first compile).
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from joblib import effective_n_jobs

from .._compat import _openmp_effective_n_threads
from ._common import (
    _accuracy_from_gains,
    _gradient_offset,
    _learning_rates,
    _signed_eval_weights,
)
from ._numba_math import _jit, _prefer_wide_vectors, _sigmoid

# Rows per block: a float64 block's four features, two weights and the two
# restarts' logits (8 x 512 x 8 bytes, 32 KiB) stay in L1 while every pair
# of restarts passes over them.
BLOCK_ROWS = 512


@_jit(inline="always")
def _block_logits_and_gains(XT, signed_eval, W, r, r2, za, zb):
    """Set `za`, `zb` to restarts r's and r2's logits on one block.

    Returns their accuracy gains. Covers features 0-3 and the bias (the last
    column of `W`) in one vectorised loop; `_block_extra_logits_and_gains`
    adds any further features.
    """
    n_rows = XT.shape[1]
    bias = W.shape[1] - 1
    a0, a1, a2, a3, ab = W[r, 0], W[r, 1], W[r, 2], W[r, 3], W[r, bias]
    b0, b1, b2, b3, bb = W[r2, 0], W[r2, 1], W[r2, 2], W[r2, 3], W[r2, bias]
    zero = za.dtype.type(0)
    gain_a = gain_b = zero
    for i in range(n_rows):
        x0, x1, x2, x3 = XT[0, i], XT[1, i], XT[2, i], XT[3, i]
        logit_a = ab + a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3
        logit_b = bb + b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3
        za[i] = logit_a
        zb[i] = logit_b
        sign = signed_eval[i]
        gain_a += sign if logit_a > 0 else zero
        gain_b += sign if logit_b > 0 else zero
    return gain_a, gain_b


@_jit(inline="always")
def _block_extra_logits_and_gains(XE, signed_eval, W, r, r2, za, zb):
    """Add features 4 and up (`XE`) to the logits in `za`, `zb`; recount gains."""
    n_extra, n_rows = XE.shape
    for k in range(n_extra):
        wa, wb = W[r, 4 + k], W[r2, 4 + k]
        for i in range(n_rows):
            za[i] += wa * XE[k, i]
            zb[i] += wb * XE[k, i]
    zero = za.dtype.type(0)
    gain_a = gain_b = zero
    for i in range(n_rows):
        gain_a += signed_eval[i] if za[i] > 0 else zero
        gain_b += signed_eval[i] if zb[i] > 0 else zero
    return gain_a, gain_b


@_jit(inline="always")
def _block_gradients(XT, fit_scale, grad, r, r2, za, zb, keep):
    """Add ``X1.T @ (fit_scale * sigmoid(z))`` on features 0-3 and the bias.

    `za`, `zb` hold restarts r's and r2's logits; where ``r2 == r`` the
    second is not added. With `keep` (a constant at each call) the loop
    also overwrites them with ``fit_scale * sigmoid(z)`` for
    `_block_extra_gradients`; without, it writes nothing, which LLVM
    vectorises better. The logits have a loop of their own because the
    sigmoid's long dependency chain, without theirs in front of it, lets
    the CPU overlap more rows.
    """
    n_rows = XT.shape[1]
    bias = grad.shape[1] - 1
    zero = za.dtype.type(0)
    a0 = a1 = a2 = a3 = ab = zero
    b0 = b1 = b2 = b3 = bb = zero
    for i in range(n_rows):
        scale = fit_scale[i]
        sa = scale * _sigmoid(za[i])
        sb = scale * _sigmoid(zb[i])
        if keep:
            za[i] = sa
            zb[i] = sb
        x0, x1, x2, x3 = XT[0, i], XT[1, i], XT[2, i], XT[3, i]
        a0 += x0 * sa
        a1 += x1 * sa
        a2 += x2 * sa
        a3 += x3 * sa
        ab += sa
        b0 += x0 * sb
        b1 += x1 * sb
        b2 += x2 * sb
        b3 += x3 * sb
        bb += sb
    grad[r, 0] += a0
    grad[r, 1] += a1
    grad[r, 2] += a2
    grad[r, 3] += a3
    grad[r, bias] += ab
    if r2 != r:
        grad[r2, 0] += b0
        grad[r2, 1] += b1
        grad[r2, 2] += b2
        grad[r2, 3] += b3
        grad[r2, bias] += bb


@_jit(inline="always")
def _block_extra_gradients(XE, grad, r, r2, sa, sb):
    """Add the gradient of features 4 and up, from ``fit_scale * sigmoid``."""
    n_extra, n_rows = XE.shape
    zero = sa.dtype.type(0)
    for k in range(n_extra):
        total_a = total_b = zero
        for i in range(n_rows):
            total_a += XE[k, i] * sa[i]
            total_b += XE[k, i] * sb[i]
        grad[r, 4 + k] += total_a
        if r2 != r:
            grad[r2, 4 + k] += total_b


@_jit()
def _train_restarts(
    blocks, extra, grad_offset, W, lrs, first, stop, gains, history, scratch
):
    """Run every step for restarts ``first`` to ``stop - 1`` (rows of `W`).

    Restarts go through the block loops in pairs ``(first, first + 1)``,
    ``(first + 2, first + 3)``, ...; an odd last one is paired with itself.
    `extra` holds the features beyond four, or is None, and then numba
    compiles this function without the code for them. ``gains[r, s]`` is
    restart r's accuracy gain after step s. Writes only those restarts'
    rows of `W`, `gains` and `history`, and of the scratch arrays
    ``(gain, grad, z)``. Per-block sums are in the working precision and
    are added up in float64, so float32 counts and sums over millions of
    rows stay accurate.
    """
    _prefer_wide_vectors()
    blocks_XT, blocks_scale, blocks_sign = blocks
    gain, grad, z = scratch
    za, zb = z[0], z[1]
    n_steps = lrs.shape[0]
    # Pass `step` measures the parameters of step - 1 (an extra last pass
    # those of the last step) and, if the step's rate is not 0, computes
    # the gradient; a zero-rate first step (the warm-up's) needs no pass.
    for step in range(n_steps + 1):
        lr = lrs[step] if step < n_steps else 0.0
        if step > 0 or lr > 0:
            for r in range(first, stop):
                gain[r] = 0.0
                for k in range(W.shape[1]):
                    grad[r, k] = 0.0
            for blk in range(blocks_XT.shape[0]):
                XT, scale, sign = blocks_XT[blk], blocks_scale[blk], blocks_sign[blk]
                for r in range(first, stop, 2):
                    r2 = min(r + 1, stop - 1)
                    gain_a, gain_b = _block_logits_and_gains(XT, sign, W, r, r2, za, zb)
                    if extra is not None:
                        gain_a, gain_b = _block_extra_logits_and_gains(
                            extra[blk], sign, W, r, r2, za, zb
                        )
                    gain[r] += gain_a
                    if r2 != r:
                        gain[r2] += gain_b
                    if lr > 0:
                        if extra is None:
                            _block_gradients(XT, scale, grad, r, r2, za, zb, False)
                        else:
                            _block_gradients(XT, scale, grad, r, r2, za, zb, True)
                            _block_extra_gradients(extra[blk], grad, r, r2, za, zb)
            if step > 0:
                for r in range(first, stop):
                    gains[r, step - 1] = gain[r]
        if step == n_steps:
            break
        # Element by element, not as arrays (see the module's docstring).
        for r in range(first, stop):
            for k in range(W.shape[1]):
                if lr > 0:
                    W[r, k] -= lr * (grad[r, k] - grad_offset[k])
                history[r, step, k] = W[r, k]


def _row_blocks(X, fit_scale, signed_eval):
    """Lay the rows out as contiguous blocks of `BLOCK_ROWS`, for the kernel.

    Returns ``(n_blocks, 4, BLOCK_ROWS)`` features 0-3, transposed within
    each block; ``(n_blocks, n_features - 4, BLOCK_ROWS)`` further features,
    or None; and ``(n_blocks, BLOCK_ROWS)`` loss scales and signed accuracy
    weights, all in the precision of `X`. The kernel's main loops take four
    features, so fewer are padded with zero features, whose weights get
    zero gradient and add nothing to the logits; padding rows have zero
    weights and so add nothing either.
    """
    n_samples, n_features = X.shape
    n_blocks = -(-n_samples // BLOCK_ROWS)
    blocks = np.zeros((n_blocks, 4, BLOCK_ROWS), dtype=X.dtype)
    extra = None
    if n_features > 4:
        extra = np.zeros((n_blocks, n_features - 4, BLOCK_ROWS), dtype=X.dtype)
    # Block by block, so that no second full copy of X exists at any time.
    for b, start in enumerate(range(0, n_samples, BLOCK_ROWS)):
        rows = X[start : start + BLOCK_ROWS].T
        blocks[b, : rows.shape[0], : rows.shape[1]] = rows[:4]
        if extra is not None:
            extra[b, :, : rows.shape[1]] = rows[4:]
    padded_rows = n_blocks * BLOCK_ROWS

    def row_weights(weights):
        padded = np.zeros(padded_rows, dtype=X.dtype)
        padded[:n_samples] = weights
        return padded.reshape(n_blocks, BLOCK_ROWS)

    return blocks, extra, row_weights(fit_scale), row_weights(signed_eval)


def _unshared_empty(shape, dtype):
    """Return an empty C-contiguous array whose cache lines hold nothing else.

    Each thread writes its scratch arrays on every block; numpy may place
    small arrays of two threads side by side, and a cache line written by
    both moves between the cores on every write (false sharing), slowing
    every thread. 128 bytes of padding on each side cover a cache line and
    its prefetched neighbour.
    """
    dtype = np.dtype(dtype)
    size, pad = int(np.prod(shape)), 128 // dtype.itemsize
    return np.empty(size + 2 * pad, dtype)[pad : pad + size].reshape(shape)


def _n_pairs(n_restarts):
    """Pairs the kernel trains `n_restarts` in; an odd last one is alone."""
    return -(-n_restarts // 2)


def _n_threads(n_jobs, n_restarts):
    """Threads to train `n_restarts` on, for scikit-learn's `n_jobs`.

    joblib's convention: ``None`` is one thread unless a joblib
    `parallel_config` says otherwise, -1 all cores. ``None`` and negative
    values also stay within the limit that joblib's process workers and
    threadpoolctl set for OpenMP, so that fits inside ``cross_val_score(...,
    n_jobs=k)`` do not oversubscribe the cores; an explicit count is taken
    as given. Never more threads than pairs of restarts, the kernel's unit
    of work.
    """
    n_threads = effective_n_jobs(n_jobs)
    if n_jobs is None or n_jobs < 0:
        limit = _openmp_effective_n_threads(only_physical_cores=False)
        n_threads = min(n_threads, limit)
    return max(1, min(n_threads, _n_pairs(n_restarts)))


def _run_threads(train, n_restarts, n_threads):
    """Call ``train(first, stop)`` on `n_threads` contiguous restart ranges.

    Ranges hold whole pairs (they start at even restarts), so every split
    pairs the restarts alike and a restart's arithmetic never depends on
    it. The calling thread takes the first range and a pool thread each of
    the others; an error raised in any of them is raised here.
    """
    n_pairs = _n_pairs(n_restarts)
    bounds = [
        min(2 * (n_pairs * t // n_threads), n_restarts) for t in range(n_threads + 1)
    ]
    if n_threads == 1:
        train(*bounds)
        return
    with ThreadPoolExecutor(max_workers=n_threads - 1) as pool:
        others = [pool.submit(train, *bounds[t : t + 2]) for t in range(1, n_threads)]
        train(*bounds[:2])
        for other in others:
            other.result()


def _run_fused_sgd(
    X,
    y,
    fit_weight,
    eval_weight,
    init_params,
    *,
    learning_rate,
    n_steps,
    warmup_steps,
    n_jobs=None,
):
    """Train every restart for `n_steps` and record what the notebook records.

    Takes and returns what `_batched_sgd._run_batched_sgd` does: `X` sets
    the working precision; `accuracy` is ``(n_restarts, n_steps)`` and
    `history` ``(n_steps, n_features + 1, n_restarts)``, float64. `n_jobs`
    is scikit-learn's (see `_n_threads`); it changes no bit of the result.
    """
    n_features = X.shape[1]
    n_restarts = init_params.shape[1]
    fit_scale = fit_weight / fit_weight.sum()
    used = np.r_[np.arange(n_features), -1]
    # One row per restart, so that threads write disjoint rows.
    W = np.zeros((n_restarts, max(n_features, 4) + 1), dtype=X.dtype)
    W[:, used] = init_params.T
    grad_offset = np.zeros(W.shape[1])
    grad_offset[used] = _gradient_offset(X, y, fit_scale)
    XT, extra, scale, sign = _row_blocks(
        X, fit_scale, _signed_eval_weights(y, eval_weight)
    )
    del fit_scale  # the blocks hold what training needs; at 10^7 rows, 80 MB
    lrs = _learning_rates(learning_rate, n_steps=n_steps, warmup_steps=warmup_steps)
    gains = np.empty((n_restarts, n_steps))
    history = np.empty((n_restarts, n_steps, W.shape[1]))

    def train(first, stop):
        scratch = (
            _unshared_empty(n_restarts, np.float64),
            _unshared_empty(W.shape, np.float64),
            _unshared_empty((2, BLOCK_ROWS), X.dtype),
        )
        _train_restarts(
            (XT, scale, sign),
            extra,
            grad_offset,
            W,
            lrs,
            first,
            stop,
            gains,
            history,
            scratch,
        )

    _run_threads(train, n_restarts, _n_threads(n_jobs, n_restarts))
    accuracy = _accuracy_from_gains(gains.T, y, eval_weight)
    return accuracy, history[:, :, used].transpose(1, 2, 0)
