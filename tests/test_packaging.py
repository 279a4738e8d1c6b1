"""What the installed package promises: one version, its licence, optional extras."""

import ast
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

import skfusion

PACKAGE = Path(skfusion.__file__).parent


def test_metadata_version_is_the_package_version():
    assert importlib.metadata.version("skfusion") == skfusion.__version__


def test_metadata_declares_the_licence_file():
    metadata = importlib.metadata.metadata("skfusion")
    assert metadata["License-Expression"] == "BSD-3-Clause"
    assert "LICENSE" in metadata.get_all("License-File")


@pytest.mark.parametrize("package, extra", [("torch", "torch")])
def test_an_optional_package_is_an_extra_not_a_dependency(package, extra):
    requirements = importlib.metadata.requires("skfusion")
    found = [r for r in requirements if r.split(";")[0].strip().startswith(package)]
    assert found, f"the {extra} extra is missing"
    assert all(f'extra == "{extra}"' in r for r in found), found


def private_sklearn_imports(path):
    """Yield ``module.name`` for each private scikit-learn name `path` imports."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            module, names = node.module or "", [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            module, names = "", [a.name for a in node.names]
        else:
            continue
        for name in names:
            dotted = f"{module}.{name}".strip(".")
            parts = dotted.split(".")
            if parts[0] == "sklearn" and any(p.startswith("_") for p in parts[1:]):
                yield dotted


def test_private_sklearn_names_are_imported_only_by_compat():
    found = {
        str(path.relative_to(PACKAGE)): list(private_sklearn_imports(path))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "_compat.py"
    }
    assert {path: names for path, names in found.items() if names} == {}
    # The check itself sees what _compat.py imports.
    assert "sklearn.base._fit_context" in private_sklearn_imports(
        PACKAGE / "_compat.py"
    )


# A finder first in line makes `import torch` raise ModuleNotFoundError, as in
# an environment without the extra, whether torch is installed or not.
WITHOUT_TORCH = """
import sys

class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoTorch())
from skfusion import TorchLogisticFusion
from skfusion.datasets import make_squad2_scores

X, y = make_squad2_scores(n_questions=300, random_state=0)
# The default CPU fit and prediction need no torch.
clf = TorchLogisticFusion(n_restarts=2, random_state=0).fit(X, y)
assert clf.predict(X).shape == y.shape
for params in [{"engine": "torch"}, {"device": "cuda"}]:
    try:
        TorchLogisticFusion(**params).fit(X, y)
    except ImportError as exc:
        print(exc)
"""


def _python_lines(code):
    """The lines `code` prints, run by this Python in a fresh process."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()


def test_torch_without_the_extra_is_an_import_error_naming_it():
    out = _python_lines(WITHOUT_TORCH)
    asked = ["engine='torch' with device='cpu'", "engine='auto' with device='cuda'"]
    assert len(out) == len(asked), out
    for line, needed_by in zip(out, asked, strict=True):
        assert line.startswith(f"{needed_by} needs PyTorch, which could not be ")
        assert "https://pytorch.org" in line
        assert "pip install -e '.[torch]'" in line


def imported_top_level_modules(path):
    """The top-level names of every module `path` imports, at any depth."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0]
        elif isinstance(node, ast.Import):
            yield from (alias.name.partition(".")[0] for alias in node.names)


def test_tests_never_import_benchmarks():
    # The sdist ships tests/ but not benchmarks/: its suite must collect
    # alone (.ci/run's package stage collects it from the unpacked sdist).
    tests = Path(__file__).parent
    importing = [
        path.name
        for path in [*sorted(tests.rglob("*.py")), tests.parent / "conftest.py"]
        if "benchmarks" in set(imported_top_level_modules(path))
    ]
    assert importing == []
    # The check itself sees an import of benchmarks.
    bench = tests.parent / "benchmarks" / "bench_features.py"
    if bench.exists():
        assert "benchmarks" in set(imported_top_level_modules(bench))
