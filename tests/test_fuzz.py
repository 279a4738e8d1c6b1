"""Damaged files: every loader and the command give a result or one line.

Valid files of each kind (a reader's run from `write_squad_example`, dev
files in both formats, a CSV table, the notebook's pickle) are damaged the
ways files are: random bytes, truncation, a flipped byte, a value of
another type, a key given twice, a hostile CSV cell. The oracle does not
depend on the loaders: a damaged file must load into finite scores, or fail
with an error of the documented types whose text is one bounded line naming
the file; the command must exit 0, or 1 or 2 with one line on stderr and no
traceback, and must leave an existing output file as it was.

Set SKFUSION_FUZZ_REPORT=path to write how each class of damage ended.
"""

import collections
import contextlib
import csv
import io
import json
import math
import os
import pickle
import re
import shutil
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skfusion.cli import main
from skfusion.datasets import (
    load_csv,
    load_reader_outputs,
    load_squad_outputs,
    make_squad2_scores,
    write_squad_example,
)
from tests._builders import GOLDS, NBEST, squad_dev, squad_v2_records, write_run

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LINE = 1000  # an error line longer than this is megabytes' first inch
ERRORS = (ValueError, OSError, pickle.UnpicklingError)
OUTCOMES = collections.Counter()

# Values a type swap puts in place of a valid one.
SWAPS = [
    None,
    True,
    0,
    -1,
    2**70,
    10**400,
    1e308,
    -0.0,
    "",
    "empty",
    "0",
    "nan",
    "x" * 5000,
    [],
    {},
    [0, 0],
    [[]],
    {"text": ""},
    {"text": "", "start_logit": 1.0},
]
# Cells a hand-edited or foreign CSV may hold.
CELLS = [
    "1_000",
    "\uff11\uff12",  # full-width digits
    "\u0663",  # an Arabic-Indic digit
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "1e999",
    "",
    " ",
    "\u00a01",
    "0x10",
    "1,5",
    "2",
    "-0.5",
    "true",
    "maybe",
    "q0",
    "x" * 5000,
]


# Numeric columns of the CSV, and what they may hold: plain decimals.
NUMERIC = {"joint_null", "best_span", "em", "f1"}
DECIMAL = re.compile(r" *[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)? *")
# Damage that must be refused, whatever else the file holds.
REFUSED = {
    "json-twice",
    "csv-header-twice",
    "csv-not-decimal",
    "csv-credit-out-of-range",
}


class Pairs(list):
    """A JSON object as (key, value) pairs, so that a key can come twice."""


def dumps(value):
    if isinstance(value, Pairs):
        inner = ", ".join(f"{json.dumps(k)}: {dumps(v)}" for k, v in value)
        return "{" + inner + "}"
    if isinstance(value, dict):
        return dumps(Pairs(value.items()))
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def json_paths(value, path=()):
    """Every place in a JSON document, as a tuple of keys and indices."""
    yield path
    if isinstance(value, (dict, list)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in list(items)[:6]:  # enough places, not all of them
            yield from json_paths(child, (*path, key))


def json_damage(data, raw):
    """Replace, drop or duplicate one value of the JSON document `raw`."""
    doc = json.loads(raw)
    places = list(json_paths(doc))
    path = data.draw(st.sampled_from(places), label="path")
    how = data.draw(st.sampled_from(["swap", "drop", "twice"]), label="how")
    doc = [doc]
    parent, key = doc, 0
    for step in path:
        parent, key = parent[key], step
    if how == "drop" and path:
        del parent[key]
    elif how == "twice" and isinstance(parent[key], dict) and parent[key]:
        items = list(parent[key].items())
        items.append((items[0][0], data.draw(st.sampled_from(SWAPS))))
        parent[key] = Pairs(items)
    else:
        how = "swap"
        parent[key] = data.draw(st.sampled_from(SWAPS), label="swap")
    return f"json-{how}", dumps(doc[0]).encode()


def csv_number_damage(cell, column):
    """Name the damage `cell` does to a numeric column, or None."""
    if not DECIMAL.fullmatch(cell) or not math.isfinite(float(cell)):
        return "csv-not-decimal"
    if column in ("em", "f1") and not 0 <= float(cell) <= 1:
        return "csv-credit-out-of-range"
    return None


def csv_damage(data, raw):
    """Replace one cell (the header included) of a CSV file, or drop it."""
    rows = list(csv.reader(io.StringIO(raw.decode())))
    r = data.draw(st.integers(0, len(rows) - 1), label="row")
    c = data.draw(st.integers(0, len(rows[r]) - 1), label="column")
    if data.draw(st.booleans(), label="drop"):
        del rows[r][c]
        how = "csv-drop-cell"
    else:
        cell = data.draw(st.sampled_from(CELLS + rows[0]), label="cell")
        how = "csv-header" if r == 0 else "csv-cell"
        if r == 0 and cell in rows[0] and cell != rows[0][c]:
            how = "csv-header-twice"
        elif r > 0 and rows[0][c] in NUMERIC:
            how = csv_number_damage(cell, rows[0][c]) or how
        rows[r][c] = cell
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return how, out.getvalue().encode()


PICKLE_SWAPS = [
    None,
    "1.0",
    True,
    2**70,
    float("nan"),
    [],
    {},
    [1.0] * 5,
    (1.0, 2.0, 3.0, 4.0),
    np.array(["a", "b"]),
    np.float32(1.0),
    np.zeros((2, 2)),
    np.zeros(5000),
    np.array([1, 2, 3, 4], dtype=np.int8),
    {1, 2},
    b"x",
    complex(1, 2),
]


def pickle_damage(data, raw):
    """Swap one value of the notebook's dict, keeping a valid pickle."""
    content = pickle.loads(raw)
    part = data.draw(st.sampled_from(["scores", "labels", None]), label="part")
    value = data.draw(st.sampled_from(PICKLE_SWAPS), label="value")
    if part is None:
        content = data.draw(st.sampled_from([content["scores"], [], value]))
    else:
        qid = data.draw(st.sampled_from(list(content[part])), label="question")
        key = data.draw(st.sampled_from([qid, 7, (qid,)]), label="key")
        content[part].pop(qid)
        content[part][key] = value
    protocol = data.draw(st.integers(2, 5), label="protocol")
    return "pickle-swap", pickle.dumps(content, protocol=protocol)


def byte_damage(data, raw):
    """Random bytes, a truncation or one byte changed."""
    how = data.draw(st.sampled_from(["random", "truncate", "flip"]), label="how")
    if how == "random":
        return "bytes-random", data.draw(st.binary(max_size=300), label="bytes")
    at = data.draw(st.integers(0, max(len(raw) - 1, 0)), label="at")
    if how == "truncate":
        return "bytes-truncate", raw[:at]
    byte = data.draw(st.integers(0, 255), label="byte")
    return "bytes-flip", raw[:at] + bytes([byte]) + raw[at + 1 :]


def write_csv(path, n=24):
    X, y = make_squad2_scores(n_questions=n, random_state=0)
    rng = np.random.RandomState(0)
    with open(path, "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["id", "joint_null", "best_span", "unanswerable", "em", "f1"])
        for i, (row, label) in enumerate(zip(X, y, strict=True)):
            f1 = rng.uniform()
            out.writerow([f"q{i}", row[0], row[-1], str(label).lower(), 0, f1])
    return path


def write_pickle(path, n=24):
    X, y = make_squad2_scores(n_questions=n, random_state=1)
    content = {
        "scores": {f"q{i}": list(r) for i, r in enumerate(X)},
        "labels": {f"q{i}": bool(v) for i, v in enumerate(y)},
    }
    path.write_bytes(pickle.dumps(content))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Valid inputs of every kind, in one folder per reader run."""
    root = tmp_path_factory.mktemp("fuzz")
    run = write_squad_example(root / "run", n_questions=24, random_state=0)
    jsonl = write_squad_example(
        root / "jsonl", n_questions=24, dev_format="jsonl", random_state=0
    )
    small = write_run(root / "small", NBEST)
    small["dev"] = root / "small" / "dev-v2.0.json"
    small["dev"].write_text(json.dumps(squad_dev(GOLDS)))
    small["records"] = root / "small" / "dev.json"
    small["records"].write_text(json.dumps(squad_v2_records(GOLDS)))
    odds = root / "odds"
    odds.mkdir()
    for name in ("null_odds", "predictions", "dev"):
        shutil.copy(run[name], odds / run[name].name)
    table = write_csv(root / "scores.csv")
    notebook = write_pickle(root / "scores.pkl")
    return {"run": run, "jsonl": jsonl, "small": small, "odds": odds, "csv": table,
            "pkl": notebook, "root": root}  # fmt: skip


def cases(files):
    """``{case: (file to damage, damage, load)}``; load returns a Bunch."""
    run, small, odds = files["run"], files["small"], files["odds"]
    folder = run["nbest"].parent

    def reader(path, **kw):
        return lambda: load_reader_outputs(path, **kw)

    return {
        "nbest": (run["nbest"], json_damage, reader(folder, dev=run["dev"])),
        "null_odds": (run["null_odds"], json_damage, reader(folder, dev=run["dev"])),
        "dev-squad": (run["dev"], json_damage, reader(folder, dev=run["dev"])),
        "dev-jsonl": (
            files["jsonl"]["dev"],
            byte_damage,
            reader(files["jsonl"]["nbest"].parent, dev=files["jsonl"]["dev"]),
        ),
        "dev-records": (
            small["records"],
            json_damage,
            reader(small["nbest"], dev=small["records"]),
        ),
        "predictions": (
            odds / "predictions.json",
            json_damage,
            lambda: load_squad_outputs(
                odds / "dev-v2.0.json",
                null_odds=odds / "null_odds.json",
                predictions=odds / "predictions.json",
            ),
        ),
        "csv": (files["csv"], csv_damage, lambda: load_csv(files["csv"], id_column="id")),  # noqa: E501
        "pkl": (files["pkl"], pickle_damage, reader(files["pkl"])),
    }  # fmt: skip


@contextlib.contextmanager
def damaged(path, raw):
    """Write `raw` over `path` for the time of the block."""
    valid = path.read_bytes()
    path.write_bytes(raw)
    try:
        yield
    finally:
        path.write_bytes(valid)


def check_line(text, path):
    """One bounded line that names the file."""
    assert "\n" not in text.rstrip("\n"), text[:2000]
    assert len(text) <= LINE, text[:2000]
    assert path.name in text or str(path.parent) in text, text


def load_outcome(load, path):
    """Load; return "result" or "error" after checking either."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            data = load()
        except ERRORS as exc:
            check_line(str(exc), path)
            return "error"
    for warning in caught:
        assert len(str(warning.message)) <= LINE
        assert "\n" not in str(warning.message)
    assert data.data.ndim == 2 and data.data.shape[0] == len(data.ids) > 0
    assert np.isfinite(data.data).all()
    for credit in (data.em, data.f1):
        assert credit is None or ((credit >= 0) & (credit <= 1)).all()
    return "result"


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    target = os.environ.get("SKFUSION_FUZZ_REPORT")
    if target:
        rows = [[*key, n] for key, n in sorted(OUTCOMES.items())]
        with open(target, "w") as f:
            json.dump(rows, f, indent=1)


@pytest.mark.parametrize(
    "case",
    ["nbest", "null_odds", "dev-squad", "dev-jsonl", "dev-records", "predictions",
     "csv", "pkl"],
)  # fmt: skip
@FUZZ
@given(data=st.data())
def test_damaged_file_gives_a_result_or_one_line(files, case, data):
    path, damage, load = cases(files)[case]
    valid = path.read_bytes()
    kind, raw = (damage if data.draw(st.booleans()) else byte_damage)(data, valid)
    with damaged(path, raw):
        outcome = load_outcome(load, path)
    assert outcome == "error" or kind not in REFUSED, kind
    OUTCOMES["loader", case, kind, outcome] += 1


def run_command(argv):
    """Run the command in-process; return its status and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse's own exit
            status = exc.code
    return status, err.getvalue()


def unchanged(path):
    stat = path.stat()
    return path.read_bytes(), stat.st_mtime_ns


@pytest.mark.parametrize("case", ["nbest", "dev-squad", "csv", "pkl"])
@FUZZ
@given(data=st.data())
def test_command_on_a_damaged_file(files, case, data):
    path, damage, _ = cases(files)[case]
    run = files["run"]
    data_arg = {"nbest": run["nbest"].parent, "dev-squad": run["nbest"].parent}
    args = [data_arg.get(case, path), "--model", "margin", "-q"]
    if case in data_arg:
        args += ["--dev", run["dev"]]
    if case == "csv":
        args += ["--id-column", "id"]
    output = files["root"] / "kept.json"
    output.write_text('{"kept": true}')
    os.utime(output, ns=(10**18, 10**18))
    before = unchanged(output)
    kind, raw = (damage if data.draw(st.booleans()) else byte_damage)(
        data, path.read_bytes()
    )
    with damaged(path, raw):
        status, err = run_command(["fit", *args, "-o", output])
    if status == 0:
        assert kind not in REFUSED, kind
        OUTCOMES["fit", case, kind, "result"] += 1
        return
    assert status in (1, 2), (status, err)
    assert err.startswith("skfusion") and "error:" in err, err
    assert "Traceback" not in err and "SKFUSION_DEBUG" not in err, err
    check_line(err, path)
    assert unchanged(output) == before
    OUTCOMES["fit", case, kind, "error"] += 1


@pytest.fixture(scope="module")
def calibrator(files):
    pytest.importorskip("skops", reason="the calibrator is saved with skops")
    run = files["run"]
    path = files["root"] / "margin.skops"
    status, err = run_command(
        ["fit", run["nbest"].parent, "--dev", run["dev"], "--model", "margin",
         "-q", "-o", path]
    )  # fmt: skip
    assert status == 0, err
    return path


@FUZZ
@given(data=st.data())
def test_predict_on_damaged_reader_outputs(files, calibrator, data):
    path = files["run"]["nbest"]
    output = files["root"] / "predictions-kept.json"
    output.write_text('{"q": ""}')
    os.utime(output, ns=(10**18, 10**18))
    before = unchanged(output)
    kind, raw = (json_damage if data.draw(st.booleans()) else byte_damage)(
        data, path.read_bytes()
    )
    with damaged(path, raw):
        status, err = run_command(
            ["predict", calibrator, path.parent, "-q", "-o", output]
        )
    if status == 0:
        assert kind not in REFUSED, kind
        OUTCOMES["predict", "nbest", kind, "result"] += 1
        return
    assert status in (1, 2) and "Traceback" not in err, (status, err)
    assert "SKFUSION_DEBUG" not in err, err
    check_line(err, path)
    assert unchanged(output) == before
    OUTCOMES["predict", "nbest", kind, "error"] += 1
