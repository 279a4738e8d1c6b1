"""Run every benchmark, print its tables and write them to RESULTS.md.

``python -m benchmarks.run_all`` takes about 10 minutes on 2 cores;
``--quick`` stops the scaling benchmark at 10^6 rows (the 10^7-row fit
alone takes about a minute). ``--output`` names the Markdown file written
(default ``benchmarks/RESULTS.md``; ``-`` writes none).
"""

import argparse
import contextlib
import datetime
import io
import sys
from pathlib import Path

from benchmarks import (
    bench_blas_threads,
    bench_cold_start,
    bench_features,
    bench_fit,
    bench_load_outputs,
    bench_predict_one,
    bench_scaling,
    bench_threads,
    bench_threshold,
)
from skfusion._io import atomic_write

RESULTS = Path(__file__).with_name("RESULTS.md")


class _Tee(io.TextIOBase):
    """Write to several streams at once."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for stream in self.streams:
            stream.write(text)
            stream.flush()
        return len(text)


def run(args):
    bench_fit.main(["--device", "cpu"])
    if args.device != "cpu":
        bench_fit.main(["--device", args.device])
    bench_threshold.main([])
    bench_threads.main([])
    bench_blas_threads.main([])
    bench_features.main([])
    bench_cold_start.main([])
    bench_predict_one.main([])
    bench_load_outputs.main(["--sizes", "11873"] if args.quick else [])
    bench_scaling.main(["--max-rows", str(10**6 if args.quick else 10**7)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)
    command = "python -m benchmarks.run_all" + (" --quick" if args.quick else "")
    if args.device != "cpu":
        command += f" --device {args.device}"
    tables = io.StringIO()
    with contextlib.redirect_stdout(_Tee(sys.stdout, tables)):
        run(args)
    if args.output != "-":
        today = datetime.date.today().isoformat()
        with atomic_write(args.output) as f:
            f.write(
                f"# Benchmark results\n\nOutput of `{command}` on {today}. Each "
                "comparison is a ratio of medians measured in the same run; the "
                "Machine line under each table names the CPU it came from and, "
                "with its load average, how busy the machine was. README.md and "
                "the user guide link here rather than copying these figures. "
                "Runs on other machines: `RESULTS_INTEL.md` (an earlier run on "
                "an Intel Xeon, Emerald Rapids, AVX-512) and `RESULTS_GPU.md`.\n"
                + tables.getvalue()
            )


if __name__ == "__main__":
    main()
