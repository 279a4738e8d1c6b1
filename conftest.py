"""Test-session set-up shared by tests/ and the doctests in skfusion/."""

import os

# scikit-learn's check_array_api_input needs SciPy's array API support, which
# SciPy reads from the environment once, at import: set it before anything
# imports scipy so that check runs instead of being skipped.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
