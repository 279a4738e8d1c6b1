"""TorchLogisticFusion.fit against the seed loop and LogisticRegression.

Targets (issue 3): at least 30x faster than the seed notebook's loop, and
within 2x of ``LogisticRegression().fit``, on SQuAD-2.0-sized data
(11,873 x 4) with default parameters.

Run: ``python -m benchmarks.bench_fit [--device cuda] [--repeats 5]``
"""

import argparse

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from benchmarks._common import machine_line, median_seconds, print_table
from benchmarks.seed_loop import seed_fit
from skfusion import TorchLogisticFusion
from skfusion.datasets import make_squad2_scores


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"--device {args.device}: CUDA is not available here; skipped.")
        return

    X, y = make_squad2_scores(random_state=0)
    X32 = X.astype(np.float32)
    seed_X, seed_Y = torch.FloatTensor(X32), torch.BoolTensor(y)
    candidates = {
        "seed notebook loop (float32, torch default threads)": (
            lambda: seed_fit(seed_X, seed_Y),
            lambda: seed_fit(seed_X, seed_Y)[0],
        ),
    }
    for name, data in (("float32", X32), ("float64", X)):
        est = TorchLogisticFusion(random_state=0, device=args.device)
        candidates[f"TorchLogisticFusion.fit ({name} X, {args.device})"] = (
            lambda est=est, data=data: est.fit(data, y),
            lambda est=est, data=data: est.fit(data, y).score(data, y),
        )
    lr = LogisticRegression()
    candidates["sklearn LogisticRegression().fit (float64 X)"] = (
        lambda: lr.fit(X, y),
        lambda: lr.fit(X, y).score(X, y),
    )

    times = {
        name: median_seconds(fit, repeats=args.repeats)
        for name, (fit, _) in candidates.items()
    }
    seed_time = times[next(iter(times))]
    lr_time = times[list(times)[-1]]
    rows = [
        (
            name,
            f"{times[name] * 1e3:.1f}",
            f"{seed_time / times[name]:.1f}x",
            f"{times[name] / lr_time:.2f}",
            f"{accuracy():.4f}",
        )
        for name, (_, accuracy) in candidates.items()
    ]
    print_table(
        f"Fit on {X.shape[0]} x {X.shape[1]} simulated SQuAD 2.0 dev scores "
        f"(median of {args.repeats} after a warm-up)",
        [
            "fit",
            "median ms",
            "speed-up vs seed",
            "time / LogisticRegression",
            "training accuracy",
        ],
        rows,
    )
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
