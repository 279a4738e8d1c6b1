"""Damaged files: every loader and the command give a result or one line.

Valid files of each kind (a reader's run from `write_squad_example`, dev
files in both formats, a CSV table, the notebook's pickle) are damaged the
ways files are: random bytes, truncation, a flipped byte, a value of
another type, a key given twice, a hostile CSV cell. The oracle does not
depend on the loaders: a damaged file must load into finite scores, or fail
with an error of the documented types whose text is one bounded line naming
the file; the command must exit 0, or 1 or 2 with one line on stderr and no
traceback, and must leave an existing output file as it was.

Set SKFUSION_FUZZ_REPORT=path to write how each class of damage ended, and
SKFUSION_FUZZ_EXAMPLES=n for a longer, random campaign.
"""

import collections
import contextlib
import csv
import io
import json
import os
import pickle
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
from tests._damage import (
    REFUSED,
    byte_damage,
    csv_damage,
    json_damage,
    pickle_damage,
)

# SKFUSION_FUZZ_EXAMPLES=n runs n random examples per test instead of the
# same 60 every run (CI's), for a longer campaign.
CAMPAIGN = int(os.environ.get("SKFUSION_FUZZ_EXAMPLES", 0))
FUZZ = settings(
    max_examples=CAMPAIGN or 60,
    deadline=None,
    derandomize=not CAMPAIGN,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LINE = 1000  # an error line longer than this is megabytes' first inch
ERRORS = (ValueError, OSError, pickle.UnpicklingError)
OUTCOMES = collections.Counter()


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
        # predictions.json beside the n-best lists: read and checked too.
        "predictions-beside-nbest": (
            run["predictions"],
            json_damage,
            reader(folder, dev=run["dev"]),
        ),
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
     "predictions-beside-nbest", "csv", "pkl"],
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
    output = files["root"] / "kept.joblib"  # a writable calibrator name
    output.write_bytes(b"an older calibrator")
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
