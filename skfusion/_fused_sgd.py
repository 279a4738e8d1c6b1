"""The seed's training loop as one fused, compiled CPU kernel (numba).

The torch engine (`_batched_sgd`) needs five separate passes over a
``(n_restarts, n_samples)`` matrix per step (logits, the accuracy's
comparison and product, sigmoid, gradient product), and torch's sigmoid
alone costs about 1 ns per element here: half a default fit. This kernel
walks the rows in cache-sized blocks and, per block and restart, computes
the logits and accuracy gain in one vectorised loop and the sigmoid and
gradient sums in another, while the block sits in cache, with a sigmoid
written so that LLVM vectorises it; no ``n_samples x n_restarts`` matrix
exists at all. It computes what the torch engine computes; only rounding
differs.
"""

import numpy as np
from numba import njit, types
from numba.extending import intrinsic, overload

from ._sgd_common import (
    _accuracy_from_gains,
    _gradient_offset,
    _learning_rates,
    _signed_eval_weights,
)

# Rows per block: a block's logits and features (5 x 2048 float64 is 80 KiB)
# stay in L1/L2 while every restart passes over them.
BLOCK_ROWS = 2048

# `fastmath` minus the no-NaN/no-inf assumptions, which would make the
# result of a diverging fit undefined rather than merely NaN. Reassociation
# is what lets the reductions vectorise.
_FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
_JIT = {"fastmath": _FASTMATH, "error_model": "numpy", "nogil": True, "cache": True}


def _bitcast(from_type, to_type):
    """Make an intrinsic that reinterprets `from_type` bits as `to_type`."""

    @intrinsic
    def reinterpret(typingctx, value):
        if value != from_type:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(to_type))

        return to_type(from_type), codegen

    return reinterpret


_int32_as_float32 = _bitcast(types.int32, types.float32)
_int64_as_float64 = _bitcast(types.int64, types.float64)
_float64_as_int64 = _bitcast(types.float64, types.int64)


@njit(inline="always", **_JIT)
def _sigmoid32(z):
    # Cephes' expf on -z: exp(n ln2 + r) = 2**n * p(r), |r| <= ln2 / 2, then
    # 1 / (1 + e). Clamping keeps 2**n a normal float; sigmoid is 0 or 1 to
    # float32 precision well inside the clamp.
    x = min(max(-z, np.float32(-87.0)), np.float32(88.0))
    n = np.floor(x * np.float32(1.44269504088896341) + np.float32(0.5))
    r = x - n * np.float32(0.693359375) - n * np.float32(-2.12194440e-4)
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    p = p * r * r + r + np.float32(1.0)
    two_n = _int32_as_float32(np.int32((np.int32(n) + np.int32(127)) << np.int32(23)))
    return np.float32(1.0) / (np.float32(1.0) + p * two_n)


@njit(inline="always", **_JIT)
def _sigmoid64(z):
    # Cephes' exp on -z: exp(r) = N / D with a Pade approximant, so that
    # 1 / (1 + 2**n N / D) = D / (D + 2**n N) costs one division.
    x = min(max(-z, -708.0), 708.0)
    n = np.floor(x * 1.4426950408889634073599 + 0.5)
    r = x - n * 6.93145751953125e-1 - n * 1.42860682030941723212e-6
    rr = r * r
    pr = r * ((1.26177193074810590878e-4 * rr + 3.02994407707441961300e-2) * rr + 1.0)
    q = (
        (3.00198505138664455042e-6 * rr + 2.52448340349684104192e-3) * rr
        + 2.27265548208155028766e-1
    ) * rr + 2.0
    # AVX2 has no float64 -> int64 conversion; adding 1.5 * 2**52 puts the
    # integer n in the low mantissa bits instead, where a bitcast reads it.
    n_bits = _float64_as_int64(n + 6755399441055744.0)
    two_n = _int64_as_float64((n_bits + np.int64(1023)) << np.int64(52))
    return (q - pr) / (q - pr + two_n * (q + pr))


def _sigmoid(z):
    """Logistic sigmoid in the precision of `z`; compiled through overload."""
    raise NotImplementedError("only callable from numba-compiled code")


@overload(_sigmoid, inline="always", fastmath=_FASTMATH)
def _overload_sigmoid(z):
    if z == types.float32:
        return lambda z: _sigmoid32(z)
    if z == types.float64:
        return lambda z: _sigmoid64(z)
    return None


@njit(**_JIT)
def _block_logits_and_gain(XT, signed_eval, W, r, z):
    """Set `z` to restart `r`'s logits on one block; return its accuracy gain.

    Features 0-3 and the bias are one vectorised loop (the data are padded
    to at least four features); any further ones are added first.
    """
    n_features, n_rows = XT.shape
    for i in range(n_rows):
        z[i] = 0
    for k in range(4, n_features):
        w = W[k, r]
        for i in range(n_rows):
            z[i] += w * XT[k, i]
    w0, w1, w2, w3, b = W[0, r], W[1, r], W[2, r], W[3, r], W[n_features, r]
    zero = z.dtype.type(0)
    gain = zero
    for i in range(n_rows):
        logit = z[i] + b + w0 * XT[0, i] + w1 * XT[1, i] + w2 * XT[2, i] + w3 * XT[3, i]
        z[i] = logit
        gain += signed_eval[i] if logit > 0 else zero
    return gain


@njit(**_JIT)
def _block_gradient(XT, fit_scale, r, grad, z):
    """Add ``X1.T @ (fit_scale * sigmoid(z))`` on one block to ``grad[:, r]``.

    Overwrites `z`. The logits have a loop of their own because the
    sigmoid's long dependency chain, without theirs in front of it, lets the
    CPU overlap more rows: the whole pass got 15-25% faster here.
    """
    n_features, n_rows = XT.shape
    zero = z.dtype.type(0)
    g0 = g1 = g2 = g3 = gb = zero
    for i in range(n_rows):
        s = fit_scale[i] * _sigmoid(z[i])
        z[i] = s
        g0 += XT[0, i] * s
        g1 += XT[1, i] * s
        g2 += XT[2, i] * s
        g3 += XT[3, i] * s
        gb += s
    grad[0, r] += g0
    grad[1, r] += g1
    grad[2, r] += g2
    grad[3, r] += g3
    grad[n_features, r] += gb
    for k in range(4, n_features):
        total = zero
        for i in range(n_rows):
            total += XT[k, i] * z[i]
        grad[k, r] += total


@njit(**_JIT)
def _forward(blocks_XT, blocks_scale, blocks_sign, W, with_grad, gain, grad, z):
    """One pass over the rows for every restart (the columns of `W`).

    Fills `gain` with each restart's accuracy gain and, if `with_grad`,
    `grad` with ``(fit_w * X1).T @ sigmoid(z)``. Per-block sums are in the
    working precision and are added up in float64, so float32 counts and
    sums over millions of rows stay accurate.
    """
    gain[:] = 0.0
    grad[:] = 0.0
    for blk in range(blocks_XT.shape[0]):
        XT, scale, sign = blocks_XT[blk], blocks_scale[blk], blocks_sign[blk]
        for r in range(W.shape[1]):
            gain[r] += _block_logits_and_gain(XT, sign, W, r, z)
            if with_grad:
                _block_gradient(XT, scale, r, grad, z)


@njit(**_JIT)
def _train_all_restarts(blocks, scale, sign, grad_offset, W, lrs, gains, history):
    """Run every step; gains[s] is the accuracy gain after step s."""
    gain = np.empty(W.shape[1])
    grad = np.empty(W.shape)
    z = np.empty(blocks.shape[2], blocks.dtype)
    for step in range(lrs.shape[0]):
        # The pass at `step` measures the parameters of step - 1; a zero-rate
        # first step (the warm-up's) changes nothing, so it needs no pass.
        if step > 0 or lrs[step] > 0:
            _forward(blocks, scale, sign, W, lrs[step] > 0, gain, grad, z)
            if step > 0:
                gains[step - 1] = gain
        if lrs[step] > 0:
            for k in range(W.shape[0]):
                for r in range(W.shape[1]):
                    W[k, r] -= lrs[step] * (grad[k, r] - grad_offset[k])
        history[step] = W
    _forward(blocks, scale, sign, W, False, gain, grad, z)
    gains[-1] = gain


def _row_blocks(X, fit_scale, signed_eval):
    """Lay the rows out as contiguous blocks of `BLOCK_ROWS`, for the kernel.

    Returns ``(n_blocks, n_features', BLOCK_ROWS)`` features, transposed
    within each block, and ``(n_blocks, BLOCK_ROWS)`` loss scales and signed
    accuracy weights, in the precision of `X`. The kernel's fused loop takes
    four features, so fewer are padded with zero features, whose weights
    get zero gradient and add nothing to the logits; padding rows have zero
    weights and so add nothing either.
    """
    n_samples, n_features = X.shape
    n_blocks = -(-n_samples // BLOCK_ROWS)
    blocks = np.zeros((n_blocks, max(n_features, 4), BLOCK_ROWS), dtype=X.dtype)
    # Block by block, so that no second full copy of X exists at any time.
    for b, start in enumerate(range(0, n_samples, BLOCK_ROWS)):
        rows = X[start : start + BLOCK_ROWS]
        blocks[b, :n_features, : rows.shape[0]] = rows.T
    padded_rows = n_blocks * BLOCK_ROWS

    def row_weights(weights):
        padded = np.zeros(padded_rows, dtype=X.dtype)
        padded[:n_samples] = weights
        return padded.reshape(n_blocks, BLOCK_ROWS)

    return blocks, row_weights(fit_scale), row_weights(signed_eval)


def _run_fused_sgd(
    X, y, fit_weight, eval_weight, init_params, *, learning_rate, n_steps, warmup_steps
):
    """Train every restart for `n_steps` and record what the seed records.

    Takes and returns what `_batched_sgd._run_batched_sgd` does: `X` sets
    the working precision; `accuracy` is ``(n_restarts, n_steps)`` and
    `history` ``(n_steps, n_features + 1, n_restarts)``, float64.
    """
    n_features = X.shape[1]
    fit_scale = fit_weight / fit_weight.sum()
    used = np.r_[np.arange(n_features), -1]
    W = np.zeros((max(n_features, 4) + 1, init_params.shape[1]), dtype=X.dtype)
    W[used] = init_params
    grad_offset = np.zeros(W.shape[0])
    grad_offset[used] = _gradient_offset(X, y, fit_scale)
    blocks = _row_blocks(X, fit_scale, _signed_eval_weights(y, eval_weight))
    del fit_scale  # the blocks hold what training needs; at 10^7 rows, 80 MB
    gains = np.empty((n_steps, W.shape[1]))
    history = np.empty((n_steps, *W.shape))
    _train_all_restarts(
        *blocks,
        grad_offset,
        W,
        _learning_rates(learning_rate, n_steps=n_steps, warmup_steps=warmup_steps),
        gains,
        history,
    )
    return _accuracy_from_gains(gains, y, eval_weight), history[:, used]
