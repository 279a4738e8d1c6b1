"""Test-session set-up shared by tests/ and the doctests in skfusion/."""

import importlib.util
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


_HAS_TORCH = importlib.util.find_spec("torch") is not None

# The torch engine's module and the notebook's loop (the torch tests' oracle)
# import torch at their top; neither has doctests, and the tests that use
# them are marked `torch`.
collect_ignore = (
    [] if _HAS_TORCH else ["skfusion/_solvers/_torch.py", "tests/_notebook_loop.py"]
)
# skfusion.onnx's examples run skl2onnx and onnxruntime, the optional `onnx`
# extra; tests/test_onnx.py skips with a reason where they are absent.
if not all(importlib.util.find_spec(m) for m in ("skl2onnx", "onnxruntime")):
    collect_ignore.append("skfusion/onnx.py")


def pytest_addoption(parser):
    """Add ``--torch-device``, to run the torch engine's tests on a GPU."""
    parser.addoption(
        "--torch-device",
        default="cpu",
        help="device on which the engine-agreement tests run the torch engine "
        "(default: cpu); e.g. cuda, where one is available",
    )


@pytest.fixture
def torch_device(request):
    """Return the device the engine tests give the torch engine."""
    return request.config.getoption("--torch-device")


def pytest_collection_modifyitems(config, items):
    """Skip the tests marked ``torch`` where torch is not installed.

    torch is the optional ``torch`` extra; everything else must pass
    without it, so only the tests that use it say so with the marker.
    """
    if _HAS_TORCH:
        return
    skip = pytest.mark.skip(
        reason="needs torch (in a clone: pip install -e '.[torch]')"
    )
    for item in items:
        if item.get_closest_marker("torch") is not None:
            item.add_marker(skip)
