"""Several runs and extra score files, joined on question ids."""

import json

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skfusion.cli import main
from skfusion.datasets import load_reader_outputs
from tests import _writers as writers
from tests._builders import scaled_run, squad_dev, write_json


@pytest.fixture
def two_runs(tmp_path):
    """A run_qa run and a legacy run_squad run of other logits, and dev."""
    examples, features, golds = writers.model_outputs(20, 80)
    _, other, _ = writers.model_outputs(21, 80)
    files = ("predictions", "nbest_predictions", "null_odds")
    a = writers.postprocess_qa_predictions(examples, features)
    writers.write(
        tmp_path / "ckpt_a",
        {k: f"eval_{k}.json" for k in files},
        dict(
            zip(("predictions", "nbest_predictions", "null_odds"), a[:3], strict=True)
        ),
    )
    b = writers.compute_predictions_logits(examples, other)
    writers.write(
        tmp_path / "ckpt_b",
        {k: f"{k}_.json" for k in files},
        dict(zip(files, b[:3], strict=True)),
    )
    dev = write_json(tmp_path / "dev-v2.0.json", squad_dev(golds))
    return {
        "a": tmp_path / "ckpt_a",
        "b": tmp_path / "ckpt_b",
        "dev": dev,
        "odds": (a[2], b[2]),
        "best": (a[3], b[3]),
    }


def _margin(data, columns):
    null, span = columns
    names = data.feature_names
    return data.data[:, [names.index(c) for c in null]].sum(axis=1) - data.data[
        :, [names.index(c) for c in span]
    ].sum(axis=1)


def test_runs_join_with_prefixed_columns_and_the_primarys_answers(two_runs):
    paths = [two_runs["a"], two_runs["b"]]
    data = load_reader_outputs(paths, dev=two_runs["dev"])
    alone = [load_reader_outputs(p, dev=two_runs["dev"]) for p in paths]
    assert data.feature_names[:4] == [f"ckpt_a__{c}" for c in alone[0].feature_names]
    assert data.feature_names[4:] == [f"ckpt_b__{c}" for c in alone[1].feature_names]
    assert_array_equal(data.data, np.hstack([alone[0].data, alone[1].data]))
    assert data.primary == "ckpt_a" and data.span_text == alone[0].span_text
    assert_array_equal(data.em, alone[0].em)
    assert data.margin_columns == data.run_margins["ckpt_a"]
    # Each run's margin is still its reader's own null_odds.
    for name, odds in zip(("ckpt_a", "ckpt_b"), two_runs["odds"], strict=True):
        margin = _margin(data, data.run_margins[name])
        np.testing.assert_allclose(margin, [odds[q] for q in data.ids], atol=1e-5)
    swapped = load_reader_outputs(
        paths, dev=two_runs["dev"], names=["x", "y"], primary="y"
    )
    assert swapped.feature_names[0] == "y__null_start_logit"
    assert swapped.span_text == [two_runs["best"][1][q] for q in swapped.ids]
    assert swapped.margin_columns[0] == ["y__null_start_logit", "y__null_end_logit"]


def test_extra_score_file_is_a_column(two_runs, tmp_path):
    rng = np.random.RandomState(0)
    ids = json.loads((two_runs["a"] / "eval_null_odds.json").read_text())
    verifier = {q: float(rng.rand()) for q in reversed(list(ids))}
    path = write_json(tmp_path / "verifier.json", verifier)
    data = load_reader_outputs(
        two_runs["a"], dev=two_runs["dev"], scores={"verifier": path}
    )
    assert data.feature_names[-1] == "verifier"
    assert data.feature_names[0] == "null_start_logit"  # one run: no prefix
    assert_array_equal(data.data[:, -1], [verifier[q] for q in data.ids])
    del verifier["q3"]
    write_json(path, verifier)
    with pytest.raises(
        ValueError, match=r"1 question\(s\) lack .*verifier.json, e.g. 'q3'"
    ):
        load_reader_outputs(
            two_runs["a"], dev=two_runs["dev"], scores={"verifier": path}
        )
    with pytest.warns(
        UserWarning, match=r"Kept the 79 question\(s\) present in every run"
    ):
        data = load_reader_outputs(
            two_runs["a"],
            dev=two_runs["dev"],
            scores={"verifier": path},
            subset="intersection",
        )
    assert "q3" not in set(data.ids) and len(data.em) == 79
    write_json(path, {**verifier, "q3": "0.5"})
    with pytest.raises(
        ValueError, match=r"verifier.json: question 'q3': verifier is '0.5'"
    ):
        load_reader_outputs(
            two_runs["a"], dev=two_runs["dev"], scores={"verifier": path}
        )


def test_bad_names_and_partial_runs(two_runs, tmp_path):
    paths = [two_runs["a"], two_runs["b"]]
    with pytest.raises(ValueError, match=r"has 1 name\(s\) for 2 run\(s\)"):
        load_reader_outputs(paths, names=["x"])
    with pytest.raises(ValueError, match=r"expected distinct, non-empty names"):
        load_reader_outputs(paths, names=["x", "x"])
    with pytest.raises(ValueError, match=r"primary='z' is not one of the runs"):
        load_reader_outputs(paths, primary="z")
    odds = json.loads((two_runs["b"] / "null_odds_.json").read_text())
    nbest = json.loads((two_runs["b"] / "nbest_predictions_.json").read_text())
    for q in ("q0", "q1"):
        del odds[q], nbest[q]
    (two_runs["b"] / "predictions_.json").unlink()
    write_json(two_runs["b"] / "null_odds_.json", odds)
    write_json(two_runs["b"] / "nbest_predictions_.json", nbest)
    with pytest.raises(
        ValueError, match=r"2 question\(s\) lack ckpt_b, e.g. 'q0', 'q1'"
    ):
        load_reader_outputs(paths)
    with pytest.warns(UserWarning, match=r"dropped 2 of ckpt_a, 0 of ckpt_b"):
        data = load_reader_outputs(paths, subset="intersection")
    assert list(data.ids) == [f"q{i}" for i in range(2, 80)]


def test_cli_compares_each_runs_rule_and_the_fusion(two_runs, tmp_path, capsys):
    verifier = {
        q: 0.5 for q in json.loads((two_runs["a"] / "eval_null_odds.json").read_text())
    }
    score = write_json(tmp_path / "verifier.json", verifier)
    data = [str(two_runs["a"]), str(two_runs["b"]), "--dev", str(two_runs["dev"])]
    argv = [
        "compare",
        *data,
        "--score",
        f"verifier={score}",
        "--folds",
        "2",
        "--repeats",
        "1",
        "--json",
        "-q",
    ]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    names = [row["estimator"] for row in result["summary"]]
    assert "MarginThreshold ckpt_b (tuned)" in names and "TorchLogisticFusion" in names
    assert (
        result["feature_names"][-1] == "verifier" and len(result["feature_names"]) == 9
    )
    model = tmp_path / "m.skops"
    assert main(["fit", *data, "-o", str(model), "-q"]) == 0
    out = tmp_path / "predictions.json"
    assert (
        main(
            [
                "predict",
                str(model),
                str(two_runs["a"]),
                str(two_runs["b"]),
                "-o",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    assert len(json.loads(out.read_text())) == 80
    capsys.readouterr()
    assert main(["predict", str(model), str(two_runs["a"]), "-o", str(out), "-q"]) == 1
    assert main(["compare", *data, "--score", "verifier", "-q"]) == 1
    assert "--score 'verifier': expected NAME=FILE" in capsys.readouterr().err


def _copy(folder, copy):
    copy.mkdir()
    for path in folder.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    return copy


@pytest.mark.parametrize("make", ["same-path", "symlink", "copy", "own-file"])
def test_the_same_run_twice_is_an_error_naming_both(two_runs, tmp_path, capsys, make):
    run = other = two_runs["a"]
    if make == "symlink":
        other = tmp_path / "link"
        other.symlink_to(run)
    elif make == "copy":  # byte-identical files
        other = _copy(run, tmp_path / "copy")
    elif make == "own-file":  # the run's own null_odds, as a second run
        other = run / "eval_null_odds.json"
    with pytest.raises(ValueError, match="are the same run") as info:
        load_reader_outputs([run, other], names=["x", "y"], dev=two_runs["dev"])
    assert str(run) in str(info.value) and str(other) in str(info.value)
    argv = ["fit", run, other, "--names", "x,y", "--dev", two_runs["dev"], "-q"]
    assert main([str(a) for a in [*argv, "-o", tmp_path / "m.skops"]]) == 1
    assert "are the same run" in capsys.readouterr().err


def test_two_runs_of_one_name_point_to_names(two_runs, tmp_path):
    copy = tmp_path / "other" / two_runs["a"].name
    copy.parent.mkdir()
    scaled_run(two_runs["a"], copy)
    with pytest.raises(ValueError, match=r"give them with names= \(--names on"):
        load_reader_outputs([two_runs["a"], copy], dev=two_runs["dev"])
