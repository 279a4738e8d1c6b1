"""The metadata claims only what CI (.ci/run) tests."""

import re

from tests._doc_blocks import ROOT

PYPROJECT = (ROOT / "pyproject.toml").read_text()
CI = (ROOT / ".ci" / "run").read_text()


def declared_pythons():
    return set(re.findall(r'"Programming Language :: Python :: (3\.\d+)"', PYPROJECT))


def ci_pythons():
    """The versions .ci/run looks for, and the main stage's Python 3."""
    found = set(re.findall(r"\b(?:find_python|suite_without_torch) (3\.\d+)\b", CI))
    return found | {"3.11"}  # main: README's command, with python3 = 3.11


def test_declared_pythons_are_those_ci_tests():
    assert declared_pythons() == ci_pythons()
    assert declared_pythons() >= {"3.10", "3.11", "3.12", "3.13"}


def test_requires_python_is_the_oldest_ci_tests():
    (floor,) = re.findall(r'requires-python = ">=(3\.\d+)"', PYPROJECT)
    oldest = min(ci_pythons(), key=lambda v: tuple(map(int, v.split("."))))
    assert floor == oldest


def test_newer_stage_runs_in_ci():
    (stages,) = re.findall(r"for stage in ([a-z ]+); do", CI)
    assert {"main", "floors", "newer"} <= set(stages.split())
