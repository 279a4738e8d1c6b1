"""Every public function and class has a numpydoc docstring that matches it.

Modelled on scikit-learn's sklearn/tests/test_docstrings.py (numpydoc's
validation of each public object) and imbalanced-learn's
imblearn/tests/test_docstring_parameters.py (each public module walked, and
every fitted attribute documented).
"""

import importlib
import inspect

import numpy as np
import pandas as pd
import pytest
from numpydoc.docscrape import ClassDoc
from numpydoc.validate import validate

import skfusion
from skfusion.datasets import make_squad2_scores
from tests._public_api import public_modules, public_objects

# numpydoc's checks that do not apply here (the codes are listed in
# numpydoc's documentation, "Built-in validation checks"):
IGNORED_EVERYWHERE = {
    # The summary starts on the line of the opening quotes, as ruff's
    # pydocstyle (numpy convention) wants it.
    "GL01",
    "GL02",
    # A Returns entry names what it returns ("X : ndarray"), as in
    # scikit-learn.
    "RT02",
}
# Sections scikit-learn asks of classes only; the project's guide also asks
# See Also and Examples of every public function, but a one-line summary
# is enough for a function whose parameters say the rest.
IGNORED_FOR_FUNCTIONS = {"ES01"}
IGNORED_FOR_METHODS = {"ES01", "SA01", "EX01"}

# Objects whose docstrings are known to fail, by public name, with the
# errors; each is tested as a strict xfail, so that fixing it shows. None
# today.
XFAIL: dict[str, str] = {}


def docstring_targets():
    """Yield ``(public name, kind)`` for objects and their own methods."""
    for obj, path in sorted(public_objects().items(), key=lambda item: item[1]):
        if inspect.isfunction(obj):
            yield path, "function"
            continue
        yield path, "class"
        for name, member in vars(obj).items():
            if not name.startswith("_") and (
                inspect.isfunction(member) or isinstance(member, property)
            ):
                yield f"{path}.{name}", "method"


def params_with_xfail():
    return [
        pytest.param(
            path,
            kind,
            id=path,
            marks=pytest.mark.xfail(reason=XFAIL[path], strict=True)
            if path in XFAIL
            else (),
        )
        for path, kind in docstring_targets()
    ]


def filtered_errors(errors, kind):
    ignored = set(IGNORED_EVERYWHERE)
    ignored |= {"function": IGNORED_FOR_FUNCTIONS, "method": IGNORED_FOR_METHODS}.get(
        kind, set()
    )
    return [(code, message) for code, message in errors if code not in ignored]


def test_public_modules_declare_all():
    missing = [
        m
        for m in public_modules()
        if not hasattr(importlib.import_module(m), "__all__")
    ]
    assert not missing, f"public modules without __all__: {missing}"


def test_the_walk_finds_the_public_api():
    # Guards the walk itself: a broken walk would make every test below vacuous.
    names = set(public_objects().values())
    assert {
        "skfusion.TorchLogisticFusion",
        "skfusion.MarginThresholdClassifier",
        "skfusion.metrics.exact_match",
        "skfusion.plotting.plot_threshold_curve",
        "skfusion.model_selection.Comparison",
        "skfusion.datasets.load_reader_outputs",
    } <= names
    assert "skfusion.datasets.exact_match" not in names


@pytest.mark.parametrize("path, kind", params_with_xfail())
def test_docstring(path, kind):
    result = validate(path)
    errors = filtered_errors(result["errors"], kind)
    assert not errors, f"{path} ({result['file']}):\n" + "\n".join(
        f"  {code}: {message}" for code, message in errors
    )


def test_the_filter_keeps_what_matters():
    # A docstring that leaves out a parameter and the returns must fail.
    errors = dict(filtered_errors(validate(f"{__name__}._bad")["errors"], "function"))
    assert {"PR01", "RT01", "SA01", "EX01"} <= set(errors)


def _bad(x, y):
    """Return something."""
    return x + y


def fitted_attributes(estimator):
    return {
        name
        for name in vars(estimator)
        if name.endswith("_") and not name.startswith("_")
    }


@pytest.mark.parametrize(
    "estimator",
    [skfusion.MarginThresholdClassifier(), skfusion.TorchLogisticFusion(n_restarts=2)],
    ids=type,
)
def test_fitted_attributes_are_documented(estimator):
    # Fit on a DataFrame so that feature_names_in_ exists too.
    X, y = make_squad2_scores(n_questions=200, random_state=0)
    X = pd.DataFrame(X, columns=[f"score_{i}" for i in range(X.shape[1])])
    estimator.fit(X, np.asarray(y))
    documented = {
        attribute.name for attribute in ClassDoc(type(estimator))["Attributes"]
    }
    assert documented == fitted_attributes(estimator)
