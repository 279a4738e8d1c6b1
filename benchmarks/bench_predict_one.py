"""One-question prediction, as a server calls it, against LogisticRegression.

Target: ``predict``, ``decision_function`` and ``predict_proba`` of both
estimators on one row take at most 1/3 of ``LogisticRegression.predict`` on
the same row. Every candidate is timed in the same rounds (interleaved), as
the mean of `--calls` calls per round; the table gives the median over
`--repeats` rounds after a warm-up round. The "validated" rows give the same
row as a list, which goes through scikit-learn's ``validate_data`` as every
input did before the plain-array fast path. Where the onnx extra is installed,
ONNX Runtime's ``session.run`` on the same row is timed too, for reference.

Run: ``python -m benchmarks.bench_predict_one [--repeats 7] [--calls 300]``.
"""

import argparse

import numpy as np
from sklearn.linear_model import LogisticRegression

from benchmarks._common import interleaved_medians, machine_line, print_table
from skfusion import MarginThresholdClassifier, TorchLogisticFusion
from skfusion.datasets import make_squad2_scores

TARGET = 1 / 3


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


def candidates(X, y):
    """Name -> zero-argument call, each on the same one row of `X`."""
    lr = LogisticRegression().fit(X, y)
    fusion = TorchLogisticFusion(n_restarts=5, random_state=0).fit(X, y)
    rule = MarginThresholdClassifier(null_column=0, span_column=-1).fit(X, y)
    row = np.ascontiguousarray(X[:1])
    row32 = row.astype(np.float32)
    listed = row.tolist()
    return {
        "LogisticRegression.predict": lambda: lr.predict(row),
        "TorchLogisticFusion.predict": lambda: fusion.predict(row),
        "TorchLogisticFusion.decision_function": lambda: fusion.decision_function(row),
        "TorchLogisticFusion.predict_proba": lambda: fusion.predict_proba(row),
        "TorchLogisticFusion.predict (float32 row)": lambda: fusion.predict(row32),
        "TorchLogisticFusion.predict (validated: a list)": lambda: fusion.predict(
            listed
        ),
        "MarginThresholdClassifier.predict": lambda: rule.predict(row),
        "MarginThresholdClassifier.decision_function": lambda: rule.decision_function(
            row
        ),
        "MarginThresholdClassifier.predict (float32 row)": lambda: rule.predict(row32),
        "MarginThresholdClassifier.predict (validated: a list)": lambda: rule.predict(
            listed
        ),
        **_onnx_candidates(fusion, rule, row),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)
    X, y = make_squad2_scores(n_questions=2000, random_state=0)
    fns = {name: _repeated(fn, args.calls) for name, fn in candidates(X, y).items()}
    times = interleaved_medians(fns, repeats=args.repeats, warmup=1)
    baseline = times["LogisticRegression.predict"]
    rows = []
    for name, seconds in times.items():
        ratio = seconds / baseline
        baseline_or_validated = name.startswith(("Logistic", "ONNX")) or (
            "validated" in name
        )
        verdict = "" if baseline_or_validated else ("yes" if ratio <= TARGET else "NO")
        rows.append(
            [name, f"{seconds / args.calls * 1e6:.1f}", f"{ratio:.2f}", verdict]
        )
    print_table(
        f"One-question prediction (1 row x {X.shape[1]} float64 columns; median of "
        f"{args.repeats} interleaved rounds of {args.calls} calls after a warm-up)",
        ["call", "us per call", "x LogisticRegression.predict", "<= 1/3"],
        rows,
    )
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
