"""Hand-picked mutants of the comparison code, each run against its tests.

Each mutant changes one documented behaviour of `compare_estimators`, its
`Comparison`, the BLAS limit or the fold tests; the tests of
``tests/model_selection/test_model_selection.py`` and
``tests/model_selection/test_paired_tests.py`` must
fail on every one. A mutation tool (mutmut, cosmic-ray) explores more
mutants but takes hours on 2 cores; these are the ones a reviewer named and
the ones the cross_validate rewrite could break.

The source file is edited in place and restored after each run: run it on
a clean checkout, never while editing. Run:
``python -m benchmarks.mutants_compare``
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = [
    "tests/model_selection/test_model_selection.py",
    "tests/model_selection/test_paired_tests.py",
]
PYTEST = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]

MUTANTS = [
    (
        "model_selection/_compare.py",
        'row[f"{key}_std"] = float(np.std(values))',
        'row[f"{key}_std"] = float(np.std(values, ddof=1))',
    ),
    (
        "model_selection/_compare.py",
        'row[f"{key}_std"] = float(np.std(values))',
        'row[f"{key}_std"] = float(np.std(self.accuracy[name]))',
    ),
    (
        "model_selection/_compare.py",
        "row[key] = float(np.mean(values))",
        "row[key] = float(np.median(values))",
    ),
    (
        "model_selection/_compare.py",
        "row[key] = values[fold] if fold < len(values) else np.nan",
        "row[key] = values[-1 - fold] if fold < len(values) else np.nan",
    ),
    (
        "model_selection/_compare.py",
        '"train": [train for train, _ in splits],',
        '"train": [test for _, test in splits],',
    ),
    (
        "model_selection/_compare.py",
        'result.fitted[name] = [model.estimator_ for model in folds["models"]]',
        'result.fitted[name] = [m.estimator_ for m in folds["models"]][::-1]',
    ),
    (
        "model_selection/_cross_validate.py",
        "result.predicted_null[name][fold // n_splits, test]",
        "result.predicted_null[name][0, test]",
    ),
    (
        "model_selection/_cross_validate.py",
        "out_of_fold_score(predicted_null, y[test], credit[test])",
        "out_of_fold_score(predicted_null, y[test], 1 - credit[test])",
    ),
    (
        "model_selection/_cross_validate.py",
        'params=None if weight is None else {"sample_weight": weight},',
        "params=None,",
    ),
    (
        "model_selection/_cross_validate.py",
        "        with one_blas_thread():\n"
        "            return self.estimator_.predict(X)",
        "        return self.estimator_.predict(X)",
    ),
    (
        "model_selection/_cross_validate.py",
        "        with one_blas_thread():\n            start = time.perf_counter()",
        "        if True:\n            start = time.perf_counter()",
    ),
    (
        "model_selection/_cross_validate.py",
        "if self._inside == 0:\n                    self._limiter.restore",
        "if True:\n                    self._limiter.restore",
    ),
    (
        "model_selection/_fold_tests.py",
        "(1 / k + n_test / n_train) * variance",
        "(1 / k + n_train / n_test) * variance",
    ),
    (
        "model_selection/_fold_tests.py",
        "(1 / k + n_test / n_train) * variance",
        "(1 / k) * variance",
    ),
    (
        "model_selection/_fold_tests.py",
        "variance = d.var(ddof=1)",
        "variance = d.var(ddof=0)",
    ),
    (
        "model_selection/_fold_tests.py",
        "scaled = p[order] * (p.size - np.arange(p.size))",
        "scaled = p[order] * p.size",
    ),
    (
        "model_selection/_fold_tests.py",
        "np.minimum(1.0, np.maximum.accumulate(scaled))",
        "np.minimum(1.0, scaled)",
    ),
]


def _write(path, text):
    """Replace `path` atomically, so an interrupted run leaves no half file."""
    temporary = path.with_name(path.name + ".mutant-tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def run_mutant(module, old, new):
    """Apply one mutant, run the tests, restore; True if a test failed."""
    path = ROOT / "skfusion" / module
    source = path.read_text()
    if source.count(old) != 1:
        raise SystemExit(f"{module}: the mutated line is gone: {old!r}")
    try:
        _write(path, source.replace(old, new))
        tests = subprocess.run(
            [*PYTEST, *TESTS],
            cwd=ROOT,
            capture_output=True,
        )
    finally:
        _write(path, source)
    return tests.returncode != 0


def main():
    survivors = []
    for module, old, new in MUTANTS:
        killed = run_mutant(module, old, new)
        print(f"{'killed  ' if killed else 'SURVIVED'} {module}: {new.strip()!r}")
        if not killed:
            survivors.append(new)
    print(f"\n{len(MUTANTS) - len(survivors)} of {len(MUTANTS)} mutants killed")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
