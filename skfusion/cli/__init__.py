"""The skfusion command: compare, fit and apply no-answer calibrators.

Run "skfusion --help"; "skfusion compare" without data runs on bundled
simulated SQuAD 2.0 dev scores.
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
