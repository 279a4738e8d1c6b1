"""The `_jit` decorator of skfusion's numba kernels."""

from numba import njit

# `fastmath` minus the no-NaN/no-inf assumptions, which would make a
# diverging fit's result undefined rather than NaN; reassociation lets the
# reductions vectorise.
_FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}


def _jit(inline="never", fastmath=_FASTMATH):
    """`numba.njit`, cached on disk where numba finds a writable place."""
    options = {"fastmath": fastmath, "error_model": "numpy", "nogil": True}

    def decorate(function):
        if inline == "always":  # compiled only inside its callers
            return njit(inline="always", **options)(function)
        try:
            return njit(cache=True, **options)(function)
        except RuntimeError as exc:  # a read-only package and no home
            if "no locator available" not in str(exc):
                raise
            return njit(cache=False, **options)(function)

    return decorate
