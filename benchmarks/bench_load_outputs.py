"""What `load_reader_outputs` costs over a plain ``json.load`` of its files.

The loader reads a run's ``nbest_predictions.json`` and ``null_odds.json``
(its ``predictions.json`` is not read beside n-best lists) and the dev
file, checks every value and key, picks each question's best span and
scores it against the gold answers. The baseline parses the same files with
``json.load`` and keeps them, nothing checked; it is timed as called (its
cost then depends on how many objects the process already holds, through
the cyclic garbage collector's passes) and with the collector paused, as the
loader pauses it, which is ``json.load`` at its fastest. Times are medians of
interleaved rounds after a warm-up; peak memory is tracemalloc's, each
measured alone. Sizes: SQuAD 2.0 dev (11,873 questions) and about its
train set (130,000).

Run: ``python -m benchmarks.bench_load_outputs [--repeats 5] [--large-repeats 3]``
"""

import argparse
import contextlib
import json
import tempfile
import tracemalloc
import warnings
from pathlib import Path

from benchmarks._common import interleaved_medians, machine_line, print_table
from skfusion.datasets import load_reader_outputs, write_squad_example
from skfusion.datasets._json import paused_gc

SIZES = (11_873, 130_000)


def _plain(paths, pause_gc=False):
    def load():
        parsed = []
        with paused_gc() if pause_gc else contextlib.nullcontext():
            for path in paths:
                with open(path, encoding="utf-8") as f:
                    parsed.append(json.load(f))
        return parsed

    return load


def _loader(folder, dev):
    def load():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the simulator's no-span questions
            return load_reader_outputs(folder, dev=dev)

    return load


def _peak(fn):
    tracemalloc.start()
    try:
        result = fn()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def _row(n, folder, repeats):
    paths = write_squad_example(folder, n_questions=n)
    read = [paths["nbest"], paths["null_odds"], paths["dev"]]
    fns = {
        "json": _plain(read),
        "json, GC paused": _plain(read, pause_gc=True),
        "loader": _loader(folder, paths["dev"]),
    }
    t = interleaved_medians(fns, repeats=repeats)
    peaks = {}
    for name in ("json", "loader"):
        fn = fns[name]
        peaks[name], result = _peak(fn)
        del result
    size = sum(p.stat().st_size for p in read)
    return [
        f"{n:,}", f"{size / 2**20:.0f} MiB", str(repeats),
        f"{t['json']:.2f}", f"{t['json, GC paused']:.2f}", f"{t['loader']:.2f}",
        f"{t['loader'] / t['json']:.2f}x", f"{t['loader'] / t['json, GC paused']:.2f}x",
        f"{peaks['json'] / 2**20:.0f}", f"{peaks['loader'] / 2**20:.0f}",
        f"{peaks['loader'] / peaks['json']:.2f}x",
    ]  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--large-repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args(argv)
    print(machine_line())
    rows = []
    for n in args.sizes:
        repeats = args.repeats if n <= 20_000 else args.large_repeats
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(_row(n, Path(tmp) / "run", repeats))
    print_table(
        "load_reader_outputs vs json.load of the same files (median s, peak MiB)",
        ["questions", "files", "rounds", "json.load", "json.load, GC paused",
         "loader", "loader/json", "loader/json, GC paused",
         "json peak", "loader peak", "peak ratio"],
        rows,
    )  # fmt: skip


if __name__ == "__main__":
    main()
