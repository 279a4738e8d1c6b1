"""TorchLogisticFusion.fit against the notebook loop and LogisticRegression.

Targets: at least 30x faster than the notebook's loop; one thread
within 2x of ``LogisticRegression().fit`` on the same X, float32 and
float64; ``n_jobs=-1`` at most as long as ``LogisticRegression().fit``, on
SQuAD-2.0-sized data (11,873 x 4) with default parameters.

Run: ``python -m benchmarks.bench_fit [--device cuda] [--repeats 5]``
"""

import argparse

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from benchmarks._common import interleaved_medians, machine_line, print_table
from skfusion import TorchLogisticFusion
from skfusion.datasets import make_squad2_scores
from tests._notebook_loop import notebook_fit

NOTEBOOK = "notebook loop (float32, torch default threads)"


def _fusion_candidates(X, y, device):
    """name: (fit, training accuracy, name of LogisticRegression on that X)."""
    # On another device the CPU's default engine stays in the table, so that
    # the device is compared with what a user would otherwise run.
    runs = [("numba", None, "cpu"), ("numba", -1, "cpu"), ("torch", None, device)]
    candidates = {}
    for dtype in ("float32", "float64"):
        data = X.astype(dtype)
        for engine, n_jobs, where in runs:
            est = TorchLogisticFusion(
                random_state=0, device=where, engine=engine, n_jobs=n_jobs
            )
            threads = "" if n_jobs is None else f", n_jobs={n_jobs}"
            name = f"TorchLogisticFusion.fit ({dtype} X, {engine}, {where}{threads})"
            candidates[name] = (
                lambda est=est, data=data: est.fit(data, y),
                lambda est=est, data=data: est.fit(data, y).score(data, y),
                f"sklearn LogisticRegression().fit ({dtype} X)",
            )
    return candidates


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"--device {args.device}: CUDA is not available here; skipped.")
        return

    X, y = make_squad2_scores(random_state=0)
    notebook_X, notebook_Y = (
        torch.FloatTensor(X.astype(np.float32)),
        torch.BoolTensor(y),
    )
    candidates = {
        NOTEBOOK: (
            lambda: notebook_fit(notebook_X, notebook_Y),
            lambda: notebook_fit(notebook_X, notebook_Y)[0],
            "sklearn LogisticRegression().fit (float32 X)",
        ),
        **_fusion_candidates(X, y, args.device),
    }
    for dtype in ("float32", "float64"):
        lr, data = LogisticRegression(), X.astype(dtype)
        candidates[f"sklearn LogisticRegression().fit ({dtype} X)"] = (
            lambda lr=lr, data=data: lr.fit(data, y),
            lambda lr=lr, data=data: lr.fit(data, y).score(data, y),
            f"sklearn LogisticRegression().fit ({dtype} X)",
        )

    times = interleaved_medians(
        {name: fit for name, (fit, _, _) in candidates.items()}, repeats=args.repeats
    )
    rows = [
        (
            name,
            f"{times[name] * 1e3:.1f}",
            f"{times[NOTEBOOK] / times[name]:.1f}x",
            f"{times[name] / times[lr_name]:.2f}",
            f"{accuracy():.4f}",
        )
        for name, (_, accuracy, lr_name) in candidates.items()
    ]
    print_table(
        f"Fit on {X.shape[0]} x {X.shape[1]} simulated SQuAD 2.0 dev scores "
        f"(median of {args.repeats} rounds after a warm-up; each round runs "
        "every fit once)",
        [
            "fit",
            "median ms",
            "speed-up vs notebook",
            "time / LogisticRegression on the same X",
            "training accuracy",
        ],
        rows,
    )
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
