"""Reading JSON with orjson (the fast extra) where it applies, or json alone."""

import contextlib
from unittest import mock

import pytest

from skfusion.datasets import _fast_json

PARSERS = ["orjson", "json"]


@contextlib.contextmanager
def parser(name):
    """Read with orjson where it applies (skip if absent), or with json alone."""
    orjson = pytest.importorskip("orjson") if name == "orjson" else None
    with mock.patch.object(_fast_json, "orjson", orjson):
        yield
