import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numba import njit
from numpy.testing import assert_allclose
from scipy.special import expit

from skfusion._solvers._fused import _sigmoid


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
