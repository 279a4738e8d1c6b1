"""What strict, bounded reading costs: loaders against plain json and pickle.

The notebook's pickle is read by pickle's Python unpickler, restricted and
bounding every dict key before it is hashed, and every JSON object is
checked for keys given twice. Each row times a loader against the
unchecked read of the same bytes (``pickle.loads``, which would run any
code in the file, or ``json.loads``), on SQuAD 2.0 dev's size, 11,873
questions; rounds are interleaved. The last rows time the refusal of the
hostile files of tests/datasets/test_pickle.py.

Run: ``python -m benchmarks.bench_loading [--repeats 5]``
"""

import argparse
import json
import pickle
import tempfile
from pathlib import Path

import numpy as np

from benchmarks._common import interleaved_medians, machine_line, print_table
from skfusion.datasets import load_notebook_pickle, write_squad_example
from skfusion.datasets._json import read_json_object

N = 11_873


def _pickles(folder):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(N, 4)), rng.uniform(size=N) < 0.5
    ids = [f"{i:024x}" for i in range(N)]
    rows = {
        "lists of floats, protocol 4": (X.tolist(), 4),
        "lists of numpy scalars, protocol 2": ([list(r) for r in X], 2),
        "numpy rows, protocol 5": (list(X), 5),
    }
    paths = {}
    for name, (scores, protocol) in rows.items():
        content = {
            "scores": dict(zip(ids, scores, strict=True)),
            "labels": dict(zip(ids, y.tolist(), strict=True)),
        }
        path = folder / f"{len(paths)}.pkl"
        path.write_bytes(pickle.dumps(content, protocol=protocol))
        paths[name] = path
    return paths


def shared_tuple_pickle(levels):
    """t[k] = (t[k-1], t[k-1]) as a dict key, as in tests/datasets/test_pickle.py."""
    ops = [b"\x80\x02}", b")q\x00"]
    for k in range(1, levels + 1):
        ops.append(b"h%ch%c\x86q%c" % (k - 1, k - 1, k))
    ops.append(b"K\x01s.")
    return b"".join(ops)


def _refusal(path):
    def refuse():
        try:
            load_notebook_pickle(path)
        except ValueError:
            return
        raise AssertionError("not refused")

    return refuse


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(machine_line())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, path in _pickles(folder).items():
            raw = path.read_bytes()
            t = interleaved_medians(
                {
                    "plain": lambda raw=raw: pickle.loads(raw),
                    "loader": lambda path=path: load_notebook_pickle(path),
                },
                repeats=args.repeats,
            )
            rows.append(
                [f"pickle, {name}", f"{len(raw) / 2**20:.1f} MiB",
                 f"{t['plain'] * 1e3:.0f}", f"{t['loader'] * 1e3:.0f}",
                 f"{t['loader'] / t['plain']:.1f}x"]
            )  # fmt: skip
        nbest = write_squad_example(folder / "run", n_questions=N)["nbest"]
        text = nbest.read_bytes()
        t = interleaved_medians(
            {
                "plain": lambda: json.loads(text),
                "loader": lambda: read_json_object(nbest, what="lists"),
            },
            repeats=args.repeats,
        )
        rows.append(
            ["nbest_predictions.json", f"{len(text) / 2**20:.1f} MiB",
             f"{t['plain'] * 1e3:.0f}", f"{t['loader'] * 1e3:.0f}",
             f"{t['loader'] / t['plain']:.1f}x"]
        )  # fmt: skip
        hostile = {
            "285-byte shared tuples (2**40 leaves)": shared_tuple_pickle(40),
            "1 MB of nested tuples": b"\x80\x02})" + b"\x85" * 1_000_000 + b"K\x01s.",
        }
        for k, (name, raw) in enumerate(hostile.items()):
            path = folder / f"hostile{k}.pkl"
            path.write_bytes(raw)
            t = interleaved_medians({"refuse": _refusal(path)}, repeats=args.repeats)
            rows.append(
                [f"refused: {name}", f"{len(raw)} B", "-",
                 f"{t['refuse'] * 1e3:.2f}", "-"]
            )  # fmt: skip
    print_table(
        "Strict loading vs unchecked reading (median ms)",
        ["file", "size", "unchecked", "loader", "loader/unchecked"],
        rows,
    )


if __name__ == "__main__":
    main()
