"""What `load_reader_outputs` costs over a plain ``json.load`` of its files.

The loader reads a run's ``nbest_predictions.json``, ``null_odds.json`` and
``predictions.json`` and the dev file, checks every value and key, picks
each question's best span, checks the other files against it and scores it
against the gold answers. The baseline parses the same files with
``json.load`` and keeps them, nothing checked. Times are medians of
interleaved rounds after a warm-up. Memory is the peak resident set size
each adds, measured alone in a fresh process (Linux's VmHWM, reset before
the call through /proc/self/clear_refs). Sizes: SQuAD 2.0 dev (11,873
questions) and about its train set (130,000).

Run: ``python -m benchmarks.bench_load_outputs [--repeats 5] [--sizes 11873]``
"""

import argparse
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from benchmarks._common import interleaved_medians, machine_line, print_table
from skfusion.datasets import load_reader_outputs, write_squad_example

SIZES = (11_873, 130_000)

# One measurement in a fresh process: how much the call adds to the peak RSS.
CHILD = """
import sys
from benchmarks._common import memory_mib, reset_peak_memory
from benchmarks.bench_load_outputs import json_load, loader

what, folder, dev, *paths = sys.argv[1:]
before = memory_mib("VmRSS")
reset_peak_memory()
result = json_load(paths) if what == "json" else loader(folder, dev)
print(memory_mib("VmHWM") - before)
"""


def json_load(paths):
    parsed = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            parsed.append(json.load(f))
    return parsed


def loader(folder, dev):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the simulator's no-span questions
        return load_reader_outputs(folder, dev=dev)


def _peak_rss(what, folder, dev, paths):
    """MiB the call `what` adds to a fresh process's peak resident set."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(folder), str(dev), *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.split()[-1])


def _row(n, folder, repeats):
    paths = write_squad_example(folder, n_questions=n)
    read = [paths[k] for k in ("nbest", "null_odds", "predictions", "dev")]
    t = interleaved_medians(
        {"json": lambda: json_load(read), "loader": lambda: loader(folder, read[-1])},
        repeats=repeats,
    )
    peak = {w: _peak_rss(w, folder, read[-1], read) for w in ("json", "loader")}
    size = sum(p.stat().st_size for p in read)
    return [
        f"{n:,}",
        f"{size / 2**20:.0f} MiB",
        str(repeats),
        f"{t['json']:.2f}",
        f"{t['loader']:.2f}",
        f"{t['loader'] / t['json']:.2f}x",
        f"{peak['json']:.0f}",
        f"{peak['loader']:.0f}",
        f"{peak['loader'] / peak['json']:.2f}x",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args(argv)
    print(machine_line())
    rows = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            repeats = args.repeats if n <= 20_000 else max(1, args.repeats // 2)
            rows.append(_row(n, Path(tmp) / "run", repeats))
    print_table(
        "load_reader_outputs vs json.load of the same files: median s, peak RSS MiB",
        ["questions", "files", "rounds", "json.load", "loader", "loader/json",
         "json MiB", "loader MiB", "loader/json MiB"],
        rows,
    )  # fmt: skip


if __name__ == "__main__":
    main()
