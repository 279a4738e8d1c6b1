"""The command and its files: hostile calibrators, outputs over inputs,
interrupts and failing writes never lose a file."""

import errno
import json
import os
import pickle
import signal
import stat
import subprocess
import sys

import numpy as np
import pytest

from skfusion import MarginThresholdClassifier
from skfusion.cli import main
from skfusion.persistence import save_calibrator
from tests._builders import random_run, squad_dev, write_json, write_run

pytest.importorskip("skops")


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def one_line(err):
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def leftovers(folder):
    return sorted(p.name for p in folder.rglob("*") if "skfusion-tmp" in p.name)


class CodeRunner:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('ran')",)


@pytest.fixture
def run_folder(tmp_path, capsys):
    """A run_qa folder (eval_ prefix) of 40 questions, its dev, a calibrator."""
    golds, nbest = random_run(5, 40, signal=2.0)
    paths = write_run(tmp_path / "out", nbest, prefix="eval")
    paths["dev"] = write_json(tmp_path / "dev-v2.0.json", squad_dev(golds))
    paths["folder"] = tmp_path / "out"
    paths["model"] = tmp_path / "m.skops"
    fit = ["fit", paths["folder"], "--dev", paths["dev"], "--model", "margin", "-q"]
    assert main([str(a) for a in [*fit, "-o", paths["model"]]]) == 0
    capsys.readouterr()
    return paths


@pytest.mark.hostile("error")
@pytest.mark.parametrize("name", ["cal.joblib", "cal.skops", "cal.SKOPS", "cal"])
def test_a_pickle_calibrator_runs_nothing(capsys, tmp_path, run_folder, name):
    marker = tmp_path / "ran"
    calibrator = tmp_path / name
    calibrator.write_bytes(pickle.dumps({"model": CodeRunner(marker)}))
    out_file = tmp_path / "p.json"
    status, _, err = run(
        capsys, "predict", calibrator, run_folder["folder"], "-o", out_file
    )
    assert status == 1
    assert "can run any code" in one_line(err) and "--allow-pickle" in err
    assert not marker.exists() and not out_file.exists()


INPUT_FILE, READER_NAME = "is one of the input files", "is a reader output file name in"


@pytest.mark.hostile("error")
@pytest.mark.parametrize(
    ("command", "output", "message"),
    [
        ("fit", "dev", INPUT_FILE),
        ("fit", "link_to_dev", INPUT_FILE),
        ("fit", "folder", INPUT_FILE),
        ("fit", "nbest", READER_NAME),
        ("fit", "reader_name", READER_NAME),
        ("predict", "model", INPUT_FILE),
        ("predict", "folder", INPUT_FILE),
        ("predict", "nbest", READER_NAME),
        ("predict", "reader_name", READER_NAME),
    ],
)
def test_an_output_that_is_an_input_is_refused_before_any_work(
    capsys, monkeypatch, tmp_path, run_folder, command, output, message
):
    (tmp_path / "link_to_dev").symlink_to(run_folder["dev"])
    paths = {
        **run_folder,
        "link_to_dev": tmp_path / "link_to_dev",
        # Not there yet, but the loader would read it as a reader file.
        "reader_name": run_folder["folder"] / "predictions.json",
    }
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    def no_work(*args, **kwargs):
        raise AssertionError("the data was loaded before the output was checked")

    monkeypatch.setattr("skfusion.cli._main.load_reader_outputs", no_work)
    monkeypatch.setattr("skfusion.cli._main.load_calibrator", no_work)
    if command == "fit":
        argv = ["fit", run_folder["folder"], "--dev", run_folder["dev"]]
    else:
        argv = ["predict", run_folder["model"], run_folder["folder"]]
    status, _, err = run(capsys, *argv, "-o", paths[output])
    assert status == 1
    assert message in one_line(err)
    assert {p: p.read_bytes() for p in before} == before
    assert not paths["reader_name"].exists()


@pytest.mark.hostile("error")
def test_plots_over_an_input_are_refused(capsys, tmp_path, run_folder):
    dev = tmp_path / "threshold.png"
    dev.write_bytes(run_folder["dev"].read_bytes())
    argv = ["compare", run_folder["folder"], "--dev", dev, "--plot", tmp_path]
    status, _, err = run(capsys, *argv)
    assert status == 1 and "--plot" in one_line(err) and "input files" in err
    assert dev.read_bytes() == run_folder["dev"].read_bytes()


@pytest.mark.hostile("error")
@pytest.mark.parametrize(
    ("output", "message"),
    [("", "is a folder, expected a file name"), ("no/m.skops", "does not exist")],
)
@pytest.mark.parametrize("command", ["fit", "predict"])
def test_an_output_that_cannot_be_written_is_refused_first(
    capsys, tmp_path, command, output, message
):
    # The inputs do not exist: an error about the output shows it came first.
    argv = [command, tmp_path / "missing.skops", tmp_path / "missing.pkl"][
        : 2 if command == "fit" else 3
    ]
    status, _, err = run(capsys, *argv, "-o", tmp_path / output)
    assert status == 1 and message in one_line(err)


def test_fit_checks_the_writer_before_loading(capsys, monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "skops" else real(n)
    )
    # The data does not exist: an error about skops shows it came first.
    argv = ["fit", tmp_path / "missing.pkl", "-o"]
    status, _, err = run(capsys, *argv, tmp_path / "m.SKOPS")
    assert status == 1 and "pip install skops" in one_line(err)
    status, _, err = run(capsys, *argv, tmp_path / "m.txt")
    assert status == 1
    assert "m.txt: expected a calibrator file name ending in .skops" in one_line(err)


def test_predict_without_span_texts_names_the_missing_file(capsys, tmp_path):
    golds, nbest = random_run(6, 30, signal=2.0)
    folder = tmp_path / "run"
    write_run(folder, nbest, prefix="eval", kinds=("null_odds",))
    dev = write_json(tmp_path / "dev.json", squad_dev(golds))
    model = tmp_path / "m.skops"
    assert (
        run(capsys, "fit", folder, "--dev", dev, "--model", "margin", "-o", model)[0]
        == 0
    )
    out_file = tmp_path / "p.json"
    status, _, err = run(capsys, "predict", model, folder, "-o", out_file)
    assert status == 1
    missing = folder / "eval_nbest_predictions.json"
    assert f"{missing} (or eval_predictions.json) is missing" in one_line(err)
    assert "--decisions-only" in err
    assert not out_file.exists()
    status, _, err = run(
        capsys, "predict", model, folder, "-o", out_file, "--decisions-only"
    )
    assert status == 0, err
    decisions = json.loads(out_file.read_text())
    assert list(decisions) == list(golds)
    assert all(isinstance(v, bool) for v in decisions.values())


def test_ids_stay_strings_and_must_not_print_alike(capsys, tmp_path):
    model = tmp_path / "m.skops"
    rule = MarginThresholdClassifier(span_column=None).fit([[-1.0], [1.0]], [0, 1])
    save_calibrator(rule, ["null_odds"], model)
    table = tmp_path / "s.csv"
    table.write_text("id,null_odds\n007,2.5\n1e3,-1\n")
    out_file = tmp_path / "p.json"
    argv = ["predict", model, table, "--id-column", "id", "--decisions-only"]
    status, _, err = run(capsys, *argv, "-o", out_file)
    assert status == 0, err
    assert out_file.read_text() == '{\n "007": true,\n "1e3": false\n}\n'
    # A pickle whose ids 1 and "1" would be one JSON key.
    scores = tmp_path / "s.pkl"
    content = {"scores": {1: [0.5], "1": [-0.5]}, "labels": {1: True, "1": False}}
    scores.write_bytes(pickle.dumps(content))
    save_calibrator(rule, ["x0"], model)  # the notebook pickle's column name
    status, _, err = run(
        capsys, "predict", model, scores, "-o", out_file, "-q", "--decisions-only"
    )
    assert status == 1
    assert "1 question id(s) occur twice once written as text, e.g. '1'" in one_line(
        err
    )
    assert json.loads(out_file.read_text()) == {"007": True, "1e3": False}


def failing_dump(error):
    def dump(content, file, **kwargs):
        file.write('{"half": ')
        raise error

    return dump


@pytest.mark.hostile("handled")
@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (
            OSError(errno.ENOSPC, "No space left on device"),
            1,
            # Every I/O error names its file (the output, here).
            "skfusion predict: error: [Errno 28] No space left on device: "
            "'{out_file}'\n",
        ),
        (KeyboardInterrupt(), 130, "skfusion predict: interrupted (SIGINT)\n"),
    ],
    ids=["disk full", "Ctrl-C"],
)
def test_a_failed_predictions_write_keeps_the_old_file(
    capsys, monkeypatch, tmp_path, run_folder, error, status, message
):
    out_file = tmp_path / "predictions.json"
    out_file.write_text('{"old": ""}\n')
    monkeypatch.setattr("skfusion.cli._main.json.dump", failing_dump(error))
    argv = ["predict", run_folder["model"], run_folder["folder"], "-q"]
    message = message.format(out_file=out_file)
    assert run(capsys, *argv, "-o", out_file) == (status, "", message)
    assert out_file.read_text() == '{"old": ""}\n'
    assert leftovers(tmp_path) == []


@pytest.mark.hostile("error")
def test_a_failed_figure_write_keeps_the_old_figure(capsys, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    figure = tmp_path / "threshold.png"
    figure.write_bytes(b"old figure")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("matplotlib.figure.Figure.savefig", disk_full)
    argv = ["compare", "--folds", 2, "--repeats", 1, "--plot", tmp_path, "-q"]
    status, _, err = run(capsys, *argv)
    assert status == 1 and "No space left on device" in one_line(err)
    assert figure.read_bytes() == b"old figure"
    assert leftovers(tmp_path) == []


@pytest.fixture(scope="module")
def large_predict(tmp_path_factory):
    """A calibrator and a CSV of 100,000 questions: a long write."""
    folder = tmp_path_factory.mktemp("large")
    rng = np.random.RandomState(0)
    odds = rng.normal(size=100_000)
    rows = "".join(f"question-{i:06d},{v:.5f}\n" for i, v in enumerate(odds))
    (folder / "s.csv").write_text("id,null_odds\n" + rows)
    rule = MarginThresholdClassifier(span_column=None).fit([[-1.0], [1.0]], [0, 1])
    # joblib (our own file), as importing skops takes seconds.
    save_calibrator(rule, ["null_odds"], folder / "m.joblib")
    return folder


# The command in a child process that signals itself at a chosen point of
# the write: as the temporary file is opened, or after its first bytes. A
# signal sent from outside could arrive after a fast write has ended.
SIGNALLING_CHILD = """
import builtins, json, os, signal, sys
import skfusion._io
from skfusion.cli import main

signum, when = int(sys.argv[1]), sys.argv[2]
# As in a terminal: a shell's background job starts with SIGINT ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
if when == "created":
    def open_then_signal(*args, **kwargs):
        os.kill(os.getpid(), signum)
        return builtins.open(*args, **kwargs)
    skfusion._io.open = open_then_signal
else:
    real_dump = json.dump
    def dump_then_signal(obj, file, **kwargs):
        file.write("{")
        file.flush()
        os.kill(os.getpid(), signum)
        real_dump(obj, file, **kwargs)
    json.dump = dump_then_signal
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.hostile("handled")
@pytest.mark.parametrize(
    ("signum", "when"),
    [
        (signal.SIGTERM, "created"),
        (signal.SIGTERM, "written"),
        (signal.SIGINT, "written"),
    ],
    ids=["SIGTERM as the file is created", "SIGTERM mid-write", "SIGINT mid-write"],
)
def test_a_signal_mid_write_keeps_the_old_file(large_predict, tmp_path, signum, when):
    out_file = tmp_path / "predictions.json"
    out_file.write_text('{"old": true}\n')
    command = [sys.executable, "-c", SIGNALLING_CHILD, int(signum), when]
    command += ["predict", "-q", "--decisions-only", "--allow-pickle"]
    command += [large_predict / "m.joblib", large_predict / "s.csv"]
    command += ["--id-column", "id", "-o", out_file]
    result = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, timeout=240
    )
    name = signal.Signals(signum).name
    assert result.returncode == 128 + signum, result.stderr
    assert result.stderr == f"skfusion predict: interrupted ({name})\n"
    assert out_file.read_text() == '{"old": true}\n'
    assert leftovers(tmp_path) == []


def _device(path):
    """A copy of /dev/null where root may make one; else a link to it."""
    if os.geteuid() == 0:
        os.mknod(path, stat.S_IFCHR | 0o666, os.stat("/dev/null").st_rdev)
    else:
        path.symlink_to("/dev/null")


# Outputs the command must refuse, naming them, and leave as they were.
REFUSED_OUTPUTS = {
    "fifo": (os.mkfifo, "is a FIFO"),
    "character device": (_device, "is a character device"),
    "read-only": (lambda p: (p.write_text("old"), p.chmod(0o444)), "is read-only"),
}


@pytest.mark.hostile("error")
@pytest.mark.parametrize("case", sorted(REFUSED_OUTPUTS))
@pytest.mark.parametrize("command", ["fit", "predict"])
def test_an_output_that_is_not_a_writable_file_is_refused(
    capsys, tmp_path, run_folder, case, command
):
    make, message = REFUSED_OUTPUTS[case]
    output = tmp_path / ("out.skops" if command == "fit" else "out.json")
    make(output)
    before = os.stat(output)
    if command == "fit":
        argv = ["fit", run_folder["folder"], "--dev", run_folder["dev"], "--model"]
        argv += ["margin"]
    else:
        argv = ["predict", run_folder["model"], run_folder["folder"]]
    status, out, err = run(capsys, *argv, "-q", "-o", output)
    assert status == 1 and out == ""
    assert f"{output} {message}" in one_line(err)
    after = os.stat(output)
    assert (after.st_mode, after.st_ino, after.st_rdev) == (
        before.st_mode,
        before.st_ino,
        before.st_rdev,
    )
    assert leftovers(tmp_path) == []


@pytest.mark.hostile("handled")
@pytest.mark.parametrize("command", ["fit", "predict"])
@pytest.mark.parametrize("mode", [0o600, 0o444])
def test_force_replaces_a_read_only_output_keeping_its_mode(
    capsys, tmp_path, run_folder, command, mode
):
    output = tmp_path / ("out.skops" if command == "fit" else "out.json")
    output.write_text("old")
    output.chmod(mode)
    if command == "fit":
        argv = ["fit", run_folder["folder"], "--dev", run_folder["dev"]]
        argv += ["--model", "margin"]
    else:
        argv = ["predict", run_folder["model"], run_folder["folder"]]
    status, _, err = run(capsys, *argv, "-q", "-o", output, "--force")
    assert status == 0, err
    assert output.read_bytes() != b"old"
    assert stat.S_IMODE(output.stat().st_mode) == mode


@pytest.mark.hostile("error")
def test_a_calibrator_of_another_reader_needs_force(capsys, tmp_path, run_folder):
    # The same column names, fitted on another reader's scores (beam search's
    # class scores) than the run_qa run it is applied to.
    from skfusion.datasets import load_reader_outputs
    from skfusion.persistence import load_calibrator

    data = load_reader_outputs(run_folder["folder"], dev=run_folder["dev"])
    assert data.reader == "run_squad"  # the oracle: the data's reader
    model, names = load_calibrator(run_folder["model"])
    other = tmp_path / "beam.skops"
    save_calibrator(model, names, other, reader="beam_search", score_kind="class score")
    out_file = tmp_path / "p.json"
    argv = ["predict", other, run_folder["folder"], "-q", "-o", out_file]
    status, _, err = run(capsys, *argv)
    assert status == 1
    assert f"{other} was fitted on reader 'beam_search'" in one_line(err)
    assert "'run_squad'" in err and "--force" in err
    assert not out_file.exists()
    status, _, err = run(capsys, *argv, "--force")
    assert status == 0, err
    assert err.startswith("skfusion predict: warning: ") and "applied anyway" in err
    assert len(json.loads(out_file.read_text())) == len(data.ids)


@pytest.mark.hostile("error")
def test_an_id_that_is_not_unicode_names_the_output_and_the_id(capsys, tmp_path):
    model = tmp_path / "m.skops"
    rule = MarginThresholdClassifier(span_column=None).fit([[-1.0], [1.0]], [0, 1])
    save_calibrator(rule, ["x0"], model)  # the notebook pickle's column name
    scores = tmp_path / "s.pkl"
    content = {"scores": {"q\ud800x": [0.5], "q2": [-0.5]}}
    scores.write_bytes(pickle.dumps({**content, "labels": {"q\ud800x": 1, "q2": 0}}))
    out_file = tmp_path / "p.json"
    out_file.write_text("{}\n")
    argv = ["predict", model, scores, "--decisions-only", "-q", "-o", out_file]
    status, _, err = run(capsys, *argv)
    assert status == 1
    assert str(out_file) in one_line(err) and "q\\ud800x" in err
    assert out_file.read_text() == "{}\n" and leftovers(tmp_path) == []


@pytest.mark.hostile("error")
def test_two_runs_of_one_name_are_told_the_option(capsys, tmp_path):
    runs = []
    for seed, parent in enumerate(("a", "b")):
        _, nbest = random_run(seed, 30, signal=2.0)
        runs.append(write_run(tmp_path / parent / "run", nbest)["nbest"].parent)
    status, _, err = run(capsys, "compare", *runs, "-q")
    assert status == 1
    assert "--names" in one_line(err)
