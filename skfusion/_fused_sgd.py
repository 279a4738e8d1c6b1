"""The notebook's training loop as one fused, compiled CPU kernel (numba).

The torch engine (`_batched_sgd`) needs five separate passes over a
``(n_restarts, n_samples)`` matrix per step (logits, the accuracy's
comparison and product, sigmoid, gradient product), and torch's sigmoid
alone costs about 1 ns per element here: half a default fit. This kernel
walks the rows in cache-sized blocks and, per block and restart, computes
the logits and accuracy gain in one vectorised loop and the sigmoid and
gradient sums in another, while the block sits in L1; no
``n_samples x n_restarts`` matrix exists at all. It computes what the torch
engine computes; only rounding differs.

Restarts are independent, so `n_jobs` threads each train a contiguous range
of them (the kernel releases the GIL). A restart's arithmetic is the same
code on the same data whichever thread runs it, so the result is
bit-identical for every number of threads.

The kernel is compiled for the dtype of X on first use, and that compile
costs far more than the training, so its shape is kept cheap to compile
(numba's compile events measured it): one compiled training function with
its two block loops inlined into it, one level deep (a separately compiled
function costs its own LLVM pipeline, each level of inlining its own
pass), the sigmoid its own small function, and arrays written element by
element (an array assignment compiles the formatting of its shape-mismatch
error message, seconds on a first compile).
"""

import threading

import numpy as np
from joblib import effective_n_jobs
from numba import njit, types
from numba.extending import intrinsic, overload

from ._compat import _openmp_effective_n_threads
from ._sgd_common import (
    _accuracy_from_gains,
    _gradient_offset,
    _learning_rates,
    _signed_eval_weights,
)

# Rows per block: a float64 block's features, weights and logits (7 x 512
# x 8 bytes, 28 KiB) stay in L1 while every restart passes over them.
BLOCK_ROWS = 512

# `fastmath` minus the no-NaN/no-inf assumptions, which would make the
# result of a diverging fit undefined rather than merely NaN. Reassociation
# is what lets the reductions vectorise; the sigmoids are compiled without
# it, so that LLVM keeps their rounding tricks and two-part ln 2 as written.
_FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
_EXACT_FASTMATH = _FASTMATH - {"reassoc"}


def _jit(inline="never", fastmath=_FASTMATH):
    """`numba.njit`, cached on disk where numba finds a writable place.

    With a read-only package directory and no writable home (a container
    running as an unprivileged user), numba has nowhere to cache and its
    ``cache=True`` raises; the function is then compiled in memory, once
    per process.
    """
    options = {"fastmath": fastmath, "error_model": "numpy", "nogil": True}

    def decorate(function):
        if inline == "always":
            # Inlined into its caller's compiled code; never compiled alone.
            return njit(inline="always", **options)(function)
        try:
            return njit(cache=True, **options)(function)
        except RuntimeError as exc:
            if "no locator available" not in str(exc):
                raise
            return njit(cache=False, **options)(function)

    return decorate


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
_float32_as_int32 = _bitcast(types.float32, types.int32)
_int64_as_float64 = _bitcast(types.int64, types.float64)
_float64_as_int64 = _bitcast(types.float64, types.int64)

# Adding 1.5 * 2**23 (2**52 for float64) to |v| < 2**22 rounds v to an
# integer n in the low mantissa bits; with the exponent bias added too, the
# low bits are the exponent field of 2**n, and subtracting it back gives n.
# That replaces a floor and a float-to-integer conversion.
_ROUND32 = np.float32(1.5 * 2**23 + 127)
_ROUND64 = 1.5 * 2**52 + 1023


@_jit(fastmath=_EXACT_FASTMATH)
def _sigmoid32(z):
    # Cephes' expf on -z: exp(n ln2 + r) = 2**n * p(r), |r| <= ln2 / 2, then
    # 1 / (1 + e). Clamping keeps 2**n a normal float; sigmoid is 0 or 1 to
    # float32 precision well inside the clamp. Clamping z before negating
    # it lets LLVM fold the negation into the multiply-adds.
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
    two_n = _int32_as_float32(np.int32(_float32_as_int32(shifted) << np.int32(23)))
    return np.float32(1.0) / (np.float32(1.0) + p * two_n)


@_jit(fastmath=_EXACT_FASTMATH)
def _sigmoid64(z):
    # Cephes' exp on -z: exp(r) = N / D with a Pade approximant, so that
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
    two_n = _int64_as_float64(_float64_as_int64(shifted) << np.int64(52))
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


@_jit(inline="always")
def _block_logits_and_gain(XT, signed_eval, W, r, z):
    """Set `z` to restart `r`'s logits on one block; return its accuracy gain.

    Features 0-3 and the bias are one vectorised loop (the data are padded
    to at least four features); any further ones are added first.
    """
    n_features, n_rows = XT.shape
    b = W[r, n_features]
    extra = n_features > 4
    if extra:
        for i in range(n_rows):
            z[i] = b
        for k in range(4, n_features):
            w = W[r, k]
            for i in range(n_rows):
                z[i] += w * XT[k, i]
    w0, w1, w2, w3 = W[r, 0], W[r, 1], W[r, 2], W[r, 3]
    zero = z.dtype.type(0)
    gain = zero
    for i in range(n_rows):
        start = z[i] if extra else b
        logit = start + w0 * XT[0, i] + w1 * XT[1, i] + w2 * XT[2, i] + w3 * XT[3, i]
        z[i] = logit
        gain += signed_eval[i] if logit > 0 else zero
    return gain


@_jit(inline="always")
def _block_gradient(XT, fit_scale, grad, r, z):
    """Add ``X1.T @ (fit_scale * sigmoid(z))`` on one block to ``grad[r]``.

    Overwrites `z`. The logits have a loop of their own because the
    sigmoid's long dependency chain, without theirs in front of it, lets the
    CPU overlap more rows.
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
    grad[r, 0] += g0
    grad[r, 1] += g1
    grad[r, 2] += g2
    grad[r, 3] += g3
    grad[r, n_features] += gb
    for k in range(4, n_features):
        total = zero
        for i in range(n_rows):
            total += XT[k, i] * z[i]
        grad[r, k] += total


@_jit()
def _train_restarts(blocks, grad_offset, W, lrs, first, stop, gains, history, scratch):
    """Run every step for restarts ``first`` to ``stop - 1`` (rows of `W`).

    ``gains[r, s]`` is restart r's accuracy gain after step s. Writes only
    those restarts' rows of `W`, `gains` and `history`, and of the scratch
    arrays ``(gain, grad, z)``. Per-block sums are in the working precision
    and are added up in float64, so float32 counts and sums over millions
    of rows stay accurate.
    """
    blocks_XT, blocks_scale, blocks_sign = blocks
    gain, grad, z = scratch
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
                for r in range(first, stop):
                    gain[r] += _block_logits_and_gain(XT, sign, W, r, z)
                    if lr > 0:
                        _block_gradient(XT, scale, grad, r, z)
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


def _unshared_empty(shape, dtype):
    """Return an empty C-contiguous array whose cache lines hold nothing else.

    Each thread writes its scratch arrays on every block; numpy may place
    small arrays of two threads side by side, and a cache line written by
    both moves between the cores on every write (measured: a float32 fit on
    two threads took 10-15% longer). 128 bytes of padding on each side
    cover a cache line and its prefetched neighbour.
    """
    dtype = np.dtype(dtype)
    size, pad = int(np.prod(shape)), 128 // dtype.itemsize
    return np.empty(size + 2 * pad, dtype)[pad : pad + size].reshape(shape)


def _n_threads(n_jobs, n_restarts):
    """Threads to train `n_restarts` on, for scikit-learn's `n_jobs`.

    joblib's convention: ``None`` is one thread unless a joblib
    `parallel_config` says otherwise, -1 all cores. ``None`` and negative
    values also stay within the limit that joblib's process workers and
    threadpoolctl set for OpenMP, so that fits inside ``cross_val_score(...,
    n_jobs=k)`` do not oversubscribe the cores; an explicit count is taken
    as given. Never more threads than restarts.
    """
    n_threads = effective_n_jobs(n_jobs)
    if n_jobs is None or n_jobs < 0:
        limit = _openmp_effective_n_threads(only_physical_cores=False)
        n_threads = min(n_threads, limit)
    return max(1, min(n_threads, n_restarts))


def _run_threads(train, n_restarts, n_threads):
    """Call ``train(first, stop)`` on `n_threads` contiguous restart ranges.

    The calling thread takes the first range and one new thread each of the
    others; the first error raised in any of them is raised here.
    """
    bounds = [n_restarts * t // n_threads for t in range(n_threads + 1)]
    errors = []

    def run(first, stop):
        try:
            train(first, stop)
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=bounds[t : t + 2])
        for t in range(1, n_threads)
    ]
    for thread in threads:
        thread.start()
    run(*bounds[:2])
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


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
    blocks = _row_blocks(X, fit_scale, _signed_eval_weights(y, eval_weight))
    del fit_scale  # the blocks hold what training needs; at 10^7 rows, 80 MB
    lrs = _learning_rates(learning_rate, n_steps=n_steps, warmup_steps=warmup_steps)
    gains = np.empty((n_restarts, n_steps))
    history = np.empty((n_restarts, n_steps, W.shape[1]))

    def train(first, stop):
        scratch = (
            _unshared_empty(n_restarts, np.float64),
            _unshared_empty(W.shape, np.float64),
            _unshared_empty(BLOCK_ROWS, X.dtype),
        )
        _train_restarts(
            blocks, grad_offset, W, lrs, first, stop, gains, history, scratch
        )

    _run_threads(train, n_restarts, _n_threads(n_jobs, n_restarts))
    accuracy = _accuracy_from_gains(gains.T, y, eval_weight)
    return accuracy, history[:, :, used].transpose(1, 2, 0)
