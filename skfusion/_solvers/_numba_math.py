"""Numba building blocks of the fused training kernel (`_fused_sgd`).

The cached-or-in-memory `_jit` decorator, a logistic sigmoid that LLVM
vectorises in float32 and float64, and `_prefer_wide_vectors`, which lets
the kernel use the CPU's widest vectors.
"""

import numpy as np
from numba import njit, types
from numba.extending import intrinsic, overload

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


@intrinsic
def _prefer_wide_vectors(typingctx):
    """Let LLVM vectorise the calling function with 512-bit vectors.

    On AVX-512 server CPUs LLVM's X86 backend prefers 256-bit vectors
    (``prefer-256-bit``), so a float64 vector holds 4 numbers rather than
    8. The kernel is bound by its vector arithmetic, so twice the numbers
    per instruction shortens the fit on those CPUs
    (``python -m benchmarks.bench_vector_width`` compares the kernel with
    and without this request). Numba sets target features only for the whole
    process (``NUMBA_CPU_FEATURES``), so this sets LLVM's per-function
    ``"prefer-vector-width"`` attribute, the one clang's
    ``-mprefer-vector-width`` sets, on the compiled function that calls it.
    CPUs without AVX-512 are unaffected. llvmlite's attribute set accepts
    only a fixed list of keyword attributes, so the string attribute is
    added to the set directly (`tests/solvers/test_numba_math.py` checks that it
    reaches the compiled code).
    """

    def codegen(context, builder, signature, args):
        attributes = builder.function.attributes
        # Only a speed request: where a llvmlite release stores attributes
        # otherwise, the kernel compiles without it rather than failing
        # (and tests/solvers/test_numba_math.py reports that it is gone).
        if isinstance(attributes, set):
            set.add(attributes, '"prefer-vector-width"="512"')
        return context.get_dummy_value()

    return types.none(), codegen
