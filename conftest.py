"""Test-session set-up shared by tests/ and the doctests in skfusion/."""

import os

import pytest

# scikit-learn's check_array_api_input needs SciPy's array API support, which
# SciPy reads from the environment once, at import: set it before anything
# imports scipy so that check runs instead of being skipped.
os.environ.setdefault("SCIPY_ARRAY_API", "1")


@pytest.fixture(autouse=True)
def _doctests_write_in_a_temporary_folder(request):
    """Run docstring examples in a fresh folder: some write files."""
    if isinstance(request.node, pytest.DoctestItem):
        tmp_path = request.getfixturevalue("tmp_path")
        request.getfixturevalue("monkeypatch").chdir(tmp_path)
