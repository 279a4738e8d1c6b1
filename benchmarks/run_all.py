"""Run every benchmark and print its tables: ``python -m benchmarks.run_all``.

``--quick`` stops the scaling benchmark at 10^6 rows (the 10^7-row fit
alone takes a few minutes on 2 cores).
"""

import argparse

from benchmarks import (
    bench_features,
    bench_fit,
    bench_scaling,
    bench_threads,
    bench_threshold,
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    bench_fit.main(["--device", "cpu"])
    if args.device != "cpu":
        bench_fit.main(["--device", args.device])
    bench_threshold.main([])
    bench_threads.main([])
    bench_features.main([])
    bench_scaling.main(["--max-rows", str(10**6 if args.quick else 10**7)])


if __name__ == "__main__":
    main()
