"""The notebook's training loop as one fused, compiled CPU kernel (numba).

Each step copies the rows, a block at a time and transposed, into an L1
buffer; per pair of restarts (two independent dependency chains sharing each
load), one vectorised loop computes the logits and accuracy gains, another
the sigmoids and gradient sums, unrolled over four features (zero-padded;
more have loops of their own). `n_jobs` threads each train a range of pairs,
the same code per restart, so the bits do not depend on the split.
"""

from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import numpy as np
from joblib import effective_n_jobs
from numba import types
from numba.extending import intrinsic, overload

from .._compat import _openmp_effective_n_threads
from ._common import (
    _accuracy_from_gains,
    _learning_rates,
    _loss_scale_and_offset,
    _signed_eval_weights,
)
from ._numba_math import _FASTMATH, _jit

# Rows per block: a float64 block's four features, two weights and two
# restarts' logits (8 x 512 x 8 bytes, 32 KiB) stay in L1.
BLOCK_ROWS = 512

# libm's scalar exp keeps LLVM from vectorising (fits 5.5x as long); Cephes'
# exp written out vectorises, without reassociation, which would break it.
_EXACT_FASTMATH = _FASTMATH - {"reassoc"}
_SAME_WIDTH = {
    types.float32: types.int32,
    types.int32: types.float32,
    types.float64: types.int64,
    types.int64: types.float64,
}


@intrinsic
def _reinterpret(typingctx, value):
    """Reinterpret a float's bits as the integer of its width, or back."""
    if value not in _SAME_WIDTH:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(signature.return_type))

    return _SAME_WIDTH[value](value), codegen


# Adding 1.5 * 2**23 (2**52 for float64) to |v| < 2**22 rounds v to an
# integer n in the low mantissa bits; with the exponent bias added, they are
# the exponent field of 2**n; subtracting it gives n back.
_ROUND32 = np.float32(1.5 * 2**23 + 127)
_ROUND64 = 1.5 * 2**52 + 1023


@_jit(fastmath=_EXACT_FASTMATH)
def _sigmoid32(z):
    # Cephes' expf of -z, exp(n ln2 + r) = 2**n p(r), |r| <= ln2 / 2, then
    # 1 / (1 + e); the clamp keeps 2**n normal, where sigmoid is 0 or 1.
    x = -min(max(z, np.float32(-88.0)), np.float32(87.0))
    shifted = x * np.float32(1.44269504088896341) + _ROUND32
    n = shifted - _ROUND32
    r = x - n * np.float32(0.693359375) - n * np.float32(-2.12194440e-4)
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    p = p * r * r + r + np.float32(1.0)
    two_n = _reinterpret(np.int32(_reinterpret(shifted) << np.int32(23)))
    return np.float32(1.0) / (np.float32(1.0) + p * two_n)


@_jit(fastmath=_EXACT_FASTMATH)
def _sigmoid64(z):
    # Cephes' exp of -z as a Pade approximant N / D, so that
    # 1 / (1 + 2**n N / D) = D / (D + 2**n N) costs one division.
    x = -min(max(z, -708.0), 708.0)
    shifted = x * 1.4426950408889634073599 + _ROUND64
    n = shifted - _ROUND64
    r = x - n * 6.93145751953125e-1 - n * 1.42860682030941723212e-6
    rr = r * r
    pr = r * ((1.26177193074810590878e-4 * rr + 3.02994407707441961300e-2) * rr + 1.0)
    q = (
        (3.00198505138664455042e-6 * rr + 2.52448340349684104192e-3) * rr
        + 2.27265548208155028766e-1
    ) * rr + 2.0
    two_n = _reinterpret(_reinterpret(shifted) << np.int64(52))
    return (q - pr) / (q - pr + two_n * (q + pr))


def _sigmoid(z):
    """Logistic sigmoid in the precision of `z` (numba-compiled code only)."""
    raise NotImplementedError("only callable from numba-compiled code")


@overload(_sigmoid, inline="always", fastmath=_FASTMATH)
def _overload_sigmoid(z):
    sigmoid = {types.float32: _sigmoid32, types.float64: _sigmoid64}.get(z)
    return None if sigmoid is None else (lambda z: sigmoid(z))


@_jit(inline="always")
def _load_block(X, scale, sign, start, XT, weights):
    """Copy features 0-3 of the block at `start` to XT, transposed; its weights."""
    n_rows = min(BLOCK_ROWS, X.shape[0] - start)
    if X.shape[1] >= 4:  # four at a time, which vectorises
        for i in range(n_rows):
            XT[0, i] = X[start + i, 0]
            XT[1, i] = X[start + i, 1]
            XT[2, i] = X[start + i, 2]
            XT[3, i] = X[start + i, 3]
    else:
        for k in range(X.shape[1]):
            for i in range(n_rows):
                XT[k, i] = X[start + i, k]
    if n_rows == BLOCK_ROWS:
        return scale[start : start + n_rows], sign[start : start + n_rows]
    # Past the end of X, the rows that the block before left weigh nothing.
    for i in range(BLOCK_ROWS):
        weights[0, i] = scale[start + i] if i < n_rows else 0
        weights[1, i] = sign[start + i] if i < n_rows else 0
    return weights[0], weights[1]


@_jit(inline="always")
def _logits_and_gains(XT, signed_eval, W, r, za, zb):
    """Set `za`, `zb` to restarts r's and r + 1's logits (features 0-3); gains."""
    bias = W.shape[1] - 1
    a0, a1, a2, a3, ab = W[r, 0], W[r, 1], W[r, 2], W[r, 3], W[r, bias]
    b0, b1, b2, b3 = W[r + 1, 0], W[r + 1, 1], W[r + 1, 2], W[r + 1, 3]
    bb = W[r + 1, bias]
    zero = za.dtype.type(0)
    gain_a = gain_b = zero
    for i in range(XT.shape[1]):
        x0, x1, x2, x3 = XT[0, i], XT[1, i], XT[2, i], XT[3, i]
        za[i] = logit_a = ab + a0 * x0 + a1 * x1 + a2 * x2 + a3 * x3
        zb[i] = logit_b = bb + b0 * x0 + b1 * x1 + b2 * x2 + b3 * x3
        gain_a += signed_eval[i] if logit_a > 0 else zero
        gain_b += signed_eval[i] if logit_b > 0 else zero
    return gain_a, gain_b


@_jit(inline="always")
def _extra_logits_and_gains(XE, signed_eval, W, r, za, zb):
    """Add features 4 and up (`XE`) to the logits in `za`, `zb`; recount gains."""
    for k in range(XE.shape[0]):
        wa, wb = W[r, 4 + k], W[r + 1, 4 + k]
        for i in range(XE.shape[1]):
            za[i] += wa * XE[k, i]
            zb[i] += wb * XE[k, i]
    zero = za.dtype.type(0)
    gain_a = gain_b = zero
    for i in range(XE.shape[1]):
        gain_a += signed_eval[i] if za[i] > 0 else zero
        gain_b += signed_eval[i] if zb[i] > 0 else zero
    return gain_a, gain_b


@_jit(inline="always")
def _gradients(XT, fit_scale, grad, r, za, zb, keep):
    """Add ``X1.T @ (fit_scale * sigmoid(z))`` (features 0-3, bias) to `grad`."""
    # With `keep` (constant per call) it leaves fit_scale * sigmoid(z) in za,
    # zb for _extra_gradients; without, it writes nothing, vectorising better.
    zero = za.dtype.type(0)
    a0 = a1 = a2 = a3 = ab = b0 = b1 = b2 = b3 = bb = zero
    for i in range(XT.shape[1]):
        sa = fit_scale[i] * _sigmoid(za[i])
        sb = fit_scale[i] * _sigmoid(zb[i])
        if keep:
            za[i], zb[i] = sa, sb
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
    for row, sums in ((r, (a0, a1, a2, a3, ab)), (r + 1, (b0, b1, b2, b3, bb))):
        grad[row, 0] += sums[0]
        grad[row, 1] += sums[1]
        grad[row, 2] += sums[2]
        grad[row, 3] += sums[3]
        grad[row, -1] += sums[4]


@_jit(inline="always")
def _extra_gradients(XE, grad, r, sa, sb):
    """Add the gradient of features 4 and up, from ``fit_scale * sigmoid``."""
    zero = sa.dtype.type(0)
    for k in range(XE.shape[0]):
        total_a = total_b = zero
        for i in range(XE.shape[1]):
            total_a += XE[k, i] * sa[i]
            total_b += XE[k, i] * sb[i]
        grad[r, 4 + k] += total_a
        grad[r + 1, 4 + k] += total_b


@_jit()
def _train_restarts(X, extra, scale, sign, offset, W, lrs, first, stop, out, scratch):
    """Run every step for restarts ``first`` to ``stop - 1``, in pairs.

    An odd last restart pairs with `W`'s spare row; per-block sums are added
    in float64. `extra` buffers features beyond four (None without).
    """
    gains, history = out
    gain, grad, XT, weights, z = scratch
    za, zb = z[0], z[1]
    n_steps = lrs.shape[0]
    # Pass `step` measures step - 1's parameters and, at a nonzero rate,
    # computes the gradient; a zero-rate first step needs no pass.
    for step in range(n_steps + 1):
        lr = lrs[step] if step < n_steps else 0.0
        if step > 0 or lr > 0:
            for r in range(first, stop + (stop - first) % 2):
                gain[r] = 0.0
                for k in range(W.shape[1]):
                    grad[r, k] = 0.0
            for start in range(0, X.shape[0], BLOCK_ROWS):
                blk_scale, blk_sign = _load_block(X, scale, sign, start, XT, weights)
                if extra is not None:
                    for k in range(extra.shape[0]):
                        for i in range(min(BLOCK_ROWS, X.shape[0] - start)):
                            extra[k, i] = X[start + i, 4 + k]
                for r in range(first, stop, 2):
                    gain_a, gain_b = _logits_and_gains(XT, blk_sign, W, r, za, zb)
                    if extra is not None:
                        gain_a, gain_b = _extra_logits_and_gains(
                            extra, blk_sign, W, r, za, zb
                        )
                    gain[r] += gain_a
                    gain[r + 1] += gain_b
                    if lr > 0:
                        if extra is None:
                            _gradients(XT, blk_scale, grad, r, za, zb, False)
                        else:
                            _gradients(XT, blk_scale, grad, r, za, zb, True)
                            _extra_gradients(extra, grad, r, za, zb)
            for r in range(first, stop):
                if step > 0:
                    gains[r, step - 1] = gain[r]
        if step == n_steps:
            break
        for r in range(first, stop):
            for k in range(W.shape[1]):
                if lr > 0:
                    W[r, k] -= lr * (grad[r, k] - offset[k])
                history[r, step, k] = W[r, k]


def _unshared_zeros(shape, dtype):
    """Zeros on cache lines of their own, so that threads share no line."""
    # 128 bytes each side cover a line and its prefetched neighbour.
    size, pad = int(np.prod(shape)), 128 // np.dtype(dtype).itemsize
    return np.zeros(size + 2 * pad, dtype)[pad : pad + size].reshape(shape)


def _n_threads(n_jobs, n_restarts):
    """Threads for `n_jobs`: joblib's, within threadpoolctl's, one per pair."""
    n_threads = effective_n_jobs(n_jobs)
    if n_jobs is None or n_jobs < 0:
        limit = _openmp_effective_n_threads(only_physical_cores=False)
        n_threads = min(n_threads, limit)
    return max(1, min(n_threads, -(-n_restarts // 2)))


def _run_threads(train, n_restarts, n_threads):
    """Call ``train(first, stop)`` on contiguous ranges of pairs, a thread each."""
    n_pairs = -(-n_restarts // 2)
    bounds = [
        min(2 * (n_pairs * t // n_threads), n_restarts) for t in range(n_threads + 1)
    ]
    if n_threads == 1:
        return train(*bounds)
    with ThreadPoolExecutor(n_threads) as pool:
        for task in [pool.submit(train, *pair) for pair in pairwise(bounds)]:
            task.result()


def _run_fused_sgd(
    X, y, fit_weight, eval_weight, init_params, *, n_jobs=None, **schedule
):
    """Train as `_reference` specifies; `n_jobs` changes no bit of the result."""
    X = np.ascontiguousarray(X)  # one compiled layout
    n_features, n_restarts = X.shape[1], init_params.shape[1]
    used = np.r_[np.arange(n_features), -1]
    # A row per restart, and a spare one, so that threads write disjoint rows.
    W = np.zeros((n_restarts + 1, max(n_features, 4) + 1), dtype=X.dtype)
    W[:n_restarts, used] = init_params.T
    offset = np.zeros(W.shape[1])
    scale, offset[used] = _loss_scale_and_offset(X, y, fit_weight)
    sign = _signed_eval_weights(y, eval_weight, X.dtype)
    lrs = _learning_rates(**schedule)
    out = np.empty((n_restarts, lrs.size)), np.empty((n_restarts, lrs.size, W.shape[1]))

    def train(first, stop):
        extra = None
        if n_features > 4:
            extra = _unshared_zeros((n_features - 4, BLOCK_ROWS), X.dtype)
        gain, grad = _unshared_zeros(len(W), float), _unshared_zeros(W.shape, float)
        blocks = [_unshared_zeros((n, BLOCK_ROWS), X.dtype) for n in (4, 2, 2)]
        args = (X, extra, scale, sign, offset, W, lrs, first, stop, out)
        _train_restarts(*args, (gain, grad, *blocks))

    _run_threads(train, n_restarts, _n_threads(n_jobs, n_restarts))
    accuracy = _accuracy_from_gains(out[0].T, y, eval_weight)
    return accuracy, out[1][:, :, used].transpose(1, 2, 0)
