"""What `load_reader_outputs` costs over a plain ``json.load`` of its files.

The loader reads a run's ``nbest_predictions.json`` and ``null_odds.json``
(its ``predictions.json`` is not read beside n-best lists) and the dev
file, checks every value and key, picks each question's best span and
scores it against the gold answers. It parses with orjson where the
``fast`` extra is installed (``loader``) and with ``json`` alone otherwise
(``loader, json only``, timed by hiding orjson). The baseline parses the
same files with ``json.load`` and keeps them, nothing checked; it is timed
as called (its cost then depends on how many objects the process already
holds, through the cyclic garbage collector's passes) and with the
collector paused, as the loader pauses it, which is ``json.load`` at its
fastest. Times are medians of interleaved rounds after a warm-up. Memory
is the peak resident set size each adds, measured alone in a fresh process
(Linux's VmHWM, reset before the call through /proc/self/clear_refs):
orjson reserves a buffer of about 12 times the text it parses up front and
touches only part of it, so tracemalloc's count of allocated bytes would
overstate what it uses, and resident memory is what a machine runs out of.
Sizes: SQuAD 2.0 dev (11,873 questions) and about
its train set (130,000).

Run: ``python -m benchmarks.bench_load_outputs [--repeats 5] [--large-repeats 3]``
"""

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from unittest import mock

from benchmarks._common import interleaved_medians, machine_line, print_table
from skfusion.datasets import _fast_json, load_reader_outputs, write_squad_example
from skfusion.datasets._json import paused_gc

SIZES = (11_873, 130_000)

# One measurement in a fresh process: how much the call adds to the peak RSS.
CHILD = """
import json, sys, warnings
from unittest import mock
from benchmarks._common import memory_mib, reset_peak_memory
from skfusion.datasets import _fast_json, load_reader_outputs

what, folder, dev, *paths = sys.argv[1:]

def call():
    if what == "json":
        return [json.load(open(p, encoding="utf-8")) for p in paths]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_reader_outputs(folder, dev=dev)

with mock.patch.object(_fast_json, "orjson", None if what == "json only" else
                       _fast_json.orjson):
    before = memory_mib("VmRSS")
    reset_peak_memory()
    result = call()
    print(memory_mib("VmHWM") - before)
"""


def _plain(paths, pause_gc=False):
    def load():
        parsed = []
        with paused_gc() if pause_gc else contextlib.nullcontext():
            for path in paths:
                with open(path, encoding="utf-8") as f:
                    parsed.append(json.load(f))
        return parsed

    return load


def _loader(folder, dev, json_only=False):
    def load():
        hidden = mock.patch.object(_fast_json, "orjson", None)
        with (
            warnings.catch_warnings(),
            hidden if json_only else contextlib.nullcontext(),
        ):
            warnings.simplefilter("ignore")  # the simulator's no-span questions
            return load_reader_outputs(folder, dev=dev)

    return load


def _peak_rss(what, folder, dev, paths):
    """MiB the call `what` adds to a fresh process's peak resident set."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(folder), str(dev), *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.split()[-1])


def _rows(n, folder, repeats):
    """The time row and the memory row of one size."""
    paths = write_squad_example(folder, n_questions=n)
    read = [paths["nbest"], paths["null_odds"], paths["dev"]]
    fns = {
        "json": _plain(read),
        "json, GC paused": _plain(read, pause_gc=True),
        "loader": _loader(folder, paths["dev"]),
        "json only": _loader(folder, paths["dev"], json_only=True),
    }
    t = interleaved_medians(fns, repeats=repeats)
    peaks = {
        w: _peak_rss(w, folder, paths["dev"], read)
        for w in ("json", "loader", "json only")
    }
    size = sum(p.stat().st_size for p in read)
    times = [
        f"{n:,}",
        f"{size / 2**20:.0f} MiB",
        str(repeats),
        f"{t['json']:.2f}",
        f"{t['json, GC paused']:.2f}",
        f"{t['loader']:.2f}",
        f"{t['loader'] / t['json']:.2f}x",
        f"{t['loader'] / t['json, GC paused']:.2f}x",
        f"{t['json only']:.2f}",
        f"{t['json only'] / t['json, GC paused']:.2f}x",
    ]
    memory = [
        f"{n:,}",
        *(f"{peaks[w]:.0f}" for w in ("json", "loader", "json only")),
        f"{peaks['loader'] / peaks['json']:.2f}x",
        f"{peaks['json only'] / peaks['json']:.2f}x",
    ]
    return times, memory


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--large-repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args(argv)
    print(machine_line())
    if _fast_json.orjson is None:
        print("orjson is not installed (the fast extra): the loader uses json alone.")
    time_rows, memory_rows = [], []
    for n in args.sizes:
        repeats = args.repeats if n <= 20_000 else args.large_repeats
        with tempfile.TemporaryDirectory() as tmp:
            times, memory = _rows(n, Path(tmp) / "run", repeats)
        time_rows.append(times)
        memory_rows.append(memory)
    print_table(
        "load_reader_outputs vs json.load of the same files (median s)",
        ["questions", "files", "rounds", "json.load", "json.load, GC paused",
         "loader", "loader/json", "loader/json, GC paused",
         "loader, json only", "json only/json, GC paused"],
        time_rows,
    )  # fmt: skip
    print_table(
        "Peak memory each adds, alone in a fresh process (peak RSS, MiB)",
        ["questions", "json.load", "loader", "loader, json only",
         "loader/json.load", "json only/json.load"],
        memory_rows,
    )  # fmt: skip


if __name__ == "__main__":
    main()
