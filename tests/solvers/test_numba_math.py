import llvmlite.binding as llvm
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numba import njit
from numpy.testing import assert_allclose
from scipy.special import expit

from skfusion._solvers._numba_math import _prefer_wide_vectors, _sigmoid


@njit
def sigmoid_of(z):
    out = np.empty_like(z)
    for i in range(z.shape[0]):
        out[i] = _sigmoid(z[i])
    return out


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.float32,
        st.integers(1, 300),
        elements=st.floats(-200, 200, width=32, allow_subnormal=False),
    )
)
def test_float32_sigmoid_matches_expit(z):
    # Absolute error is what the gradient sums see; relative error keeps
    # the small tail (z << 0) accurate too.
    expected = expit(z.astype(np.float64))
    got = sigmoid_of(z).astype(np.float64)
    assert_allclose(got, expected, rtol=4e-7, atol=1e-37)


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.float64,
        st.integers(1, 300),
        elements=st.floats(-800, 800, allow_subnormal=False),
    )
)
def test_float64_sigmoid_matches_expit(z):
    assert_allclose(sigmoid_of(z), expit(z), rtol=1e-14, atol=1e-300)


def test_sigmoid_saturates_without_nan_or_overflow():
    for dtype in (np.float32, np.float64):
        z = np.array([-1e30, -1e4, -50, 0, 50, 1e4, 1e30], dtype=dtype)
        got = sigmoid_of(z)
        assert np.isfinite(got).all()
        assert got[3] == 0.5
        assert got[-1] == 1 and got[0] < 1e-37
        assert np.all(np.diff(got) >= 0)


@njit(cache=False, fastmath=True)  # reassociation lets the sum vectorise
def wide_sum_of_squares(x):
    _prefer_wide_vectors()
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i] * x[i]
    return total


@njit(cache=False, fastmath=True)  # reassociation lets the sum vectorise
def default_sum_of_squares(x):
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i] * x[i]
    return total


def test_the_vector_width_hint_reaches_the_compiled_code():
    x = np.arange(1000.0)
    assert wide_sum_of_squares(x) == default_sum_of_squares(x)
    [ir] = wide_sum_of_squares.inspect_llvm().values()
    assert '"prefer-vector-width"="512"' in ir
    [default_ir] = default_sum_of_squares.inspect_llvm().values()
    assert "prefer-vector-width" not in default_ir
    if "+avx512f" in llvm.get_host_cpu_features().flatten().split(","):
        [asm] = wide_sum_of_squares.inspect_asm().values()
        assert "zmm" in asm
