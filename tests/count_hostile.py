"""Count the hostile inputs the suite tries, by class of outcome.

Each test case marked ``@pytest.mark.hostile(outcome)`` tries one hostile or
broken input: ``error`` ends in one clean line naming the file, ``handled``
in the right result with no file lost. Run ``python -m tests.count_hostile``
(extra arguments go to pytest, e.g. a test file); nothing is run, only
collected. The fuzz tests of tests/test_fuzz.py draw more inputs at run
time: their outcomes are written by ``SKFUSION_FUZZ_REPORT=path``.
"""

import collections
import sys

import pytest


class _Count:
    def __init__(self):
        self.outcomes = collections.Counter()
        self.files = collections.Counter()

    def pytest_collection_modifyitems(self, items):
        for item in items:
            for mark in item.iter_markers("hostile"):
                self.outcomes[mark.args[0]] += 1
                self.files[item.path.name, mark.args[0]] += 1


if __name__ == "__main__":
    count = _Count()
    args = ["--collect-only", "-qq", "-m", "hostile"]
    status = pytest.main([*args, *(sys.argv[1:] or ["tests"])], plugins=[count])
    for (name, outcome), n in sorted(count.files.items()):
        print(f"{name:<32} {outcome:<8} {n:>5}")
    total = sum(count.outcomes.values())
    print(f"{'total':<32} " + ", ".join(f"{k} {v}" for k, v in count.outcomes.items()))
    print(f"{'':<32} {'all':<8} {total:>5}")
    sys.exit(0 if status in (0, 5) else status)
