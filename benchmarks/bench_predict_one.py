"""Prediction of one question, as a server calls it, and in bulk, against LR.

Target: ``predict``, ``decision_function`` and ``predict_proba`` of both
estimators on one row take at most 1/3 of ``LogisticRegression.predict`` on
the same row. Every candidate is timed in the same rounds (interleaved), as
the mean of `--calls` calls per round; the table gives the median over
`--repeats` rounds after a warm-up round. The "validated" rows give the same
row as a list, which goes through scikit-learn's ``validate_data``; the
"DataFrame" rows give it as a one-row pandas DataFrame to estimators fitted
on a DataFrame. Where the onnx extra is installed, ONNX Runtime's
``session.run`` on the same row is timed too, for reference.

A second table times bulk ``predict`` on 1,187,300 rows (100 times SQuAD 2.0
dev), float64 and float32, against ``LogisticRegression.predict`` on the same
X, with each call's peak memory (numpy's allocations, traced by
`tracemalloc`). Target: at most LogisticRegression's time and memory.

Run: ``python -m benchmarks.bench_predict_one [--repeats 7] [--calls 300]``.
"""

import argparse

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from benchmarks._common import (
    interleaved_medians,
    machine_line,
    print_table,
    traced_peak_bytes,
)
from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import FEATURE_NAMES, make_squad2_scores

TARGET = 1 / 3
BULK_ROWS = 1187300


def _repeated(fn, calls):
    def run():
        for _ in range(calls):
            fn()

    return run


def _onnx_candidates(fusion, rule, row):
    """ONNX Runtime on the same row, where the onnx extra is installed."""
    try:
        import onnxruntime as ort

        from skfusion.onnx import to_onnx
    except ImportError:
        return {}
    sessions = {
        name: ort.InferenceSession(
            to_onnx(model, row).SerializeToString(),
            providers=["CPUExecutionProvider"],
        )
        for name, model in (
            ("TorchLogisticFusion", fusion),
            ("MarginThresholdClassifier", rule),
        )
    }
    return {
        f"ONNX Runtime session.run ({name})": (
            lambda session=session: session.run(None, {"X": row})
        )
        for name, session in sessions.items()
    }


def _estimators(X, y):
    return {
        "LogisticRegression": LogisticRegression().fit(X, y),
        "TorchLogisticFusion": TorchLogisticFusion(n_restarts=5, random_state=0).fit(
            X, y
        ),
        "MarginThresholdClassifier": MarginThresholdClassifier(
            null_column=0, span_column=-1
        ).fit(X, y),
    }


def candidates(X, y):
    """Name -> zero-argument call, each on the same one row of `X`."""
    fitted = _estimators(X, y)
    lr = fitted.pop("LogisticRegression")
    row = np.ascontiguousarray(X[:1])
    row32 = row.astype(np.float32)
    listed = row.tolist()
    frame = pd.DataFrame(X, columns=FEATURE_NAMES)
    frame_row = frame.iloc[:1]
    calls = {"LogisticRegression.predict": lambda: lr.predict(row)}
    for name, est in fitted.items():
        named = clone(est).fit(frame, y)
        calls |= {
            f"{name}.predict": lambda est=est: est.predict(row),
            f"{name}.decision_function": lambda est=est: est.decision_function(row),
            f"{name}.predict (float32 row)": lambda est=est: est.predict(row32),
            f"{name}.predict (DataFrame row)": lambda e=named: e.predict(frame_row),
            f"{name}.predict (validated: a list)": lambda est=est: est.predict(listed),
        }
        if name == "TorchLogisticFusion":
            calls[f"{name}.predict_proba"] = lambda est=est: est.predict_proba(row)
    fusion, rule = fitted.values()
    return calls | _onnx_candidates(fusion, rule, row)


def one_row_table(repeats, n_calls):
    X, y = make_squad2_scores(n_questions=2000, random_state=0)
    fns = {name: _repeated(fn, n_calls) for name, fn in candidates(X, y).items()}
    times = interleaved_medians(fns, repeats=repeats, warmup=1)
    baseline = times["LogisticRegression.predict"]
    rows = []
    for name, seconds in times.items():
        ratio = seconds / baseline
        reference = name.startswith(("Logistic", "ONNX")) or "validated" in name
        verdict = "" if reference else ("yes" if ratio <= TARGET else "NO")
        rows.append([name, f"{seconds / n_calls * 1e6:.1f}", f"{ratio:.2f}", verdict])
    print_table(
        f"One-question prediction (1 row x {X.shape[1]} float64 columns; median of "
        f"{repeats} interleaved rounds of {n_calls} calls after a warm-up)",
        ["call", "us per call", "x LogisticRegression.predict", "<= 1/3"],
        rows,
    )


def bulk_table(repeats):
    X64, y = make_squad2_scores(n_questions=BULK_ROWS, random_state=0)
    rows = []
    for dtype in ("float64", "float32"):
        X = X64.astype(dtype)
        fitted = _estimators(X[:20000], y[:20000])
        fns = {
            name: lambda est=est, X=X: est.predict(X) for name, est in fitted.items()
        }
        times = interleaved_medians(fns, repeats=repeats, warmup=1)
        memory = {name: traced_peak_bytes(fn) for name, fn in fns.items()}
        for name in fns:
            rows.append(
                (
                    f"{name}.predict ({dtype} X)",
                    f"{times[name] * 1e3:.1f}",
                    f"{times[name] / times['LogisticRegression']:.2f}",
                    f"{memory[name] / 2**20:.1f}",
                    f"{memory[name] / memory['LogisticRegression']:.2f}",
                )
            )
    print_table(
        f"Bulk prediction ({BULK_ROWS:,} rows x 4 columns; median of {repeats} "
        "interleaved rounds after a warm-up; peak memory traced by tracemalloc)",
        [
            "call",
            "ms",
            "x LogisticRegression.predict",
            "peak memory MiB",
            "x LogisticRegression's",
        ],
        rows,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)
    one_row_table(args.repeats, args.calls)
    bulk_table(args.repeats)
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
