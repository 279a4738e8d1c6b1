"""The skfusion command, run as a user runs it."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from skfusion import __version__
from skfusion.cli import main
from skfusion.datasets import load_reader_outputs, make_squad2_scores
from skfusion.persistence import load_calibrator
from tests import _official_eval as official
from tests._builders import random_run, squad_dev, write_json, write_run


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def strict_json(text):
    def refuse(constant):
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def eval_run(tmp_path):
    """A transformers run_qa folder (eval_ prefix) of 80 questions, and its dev."""
    golds, nbest = random_run(3, 80, signal=2.0)
    paths = write_run(tmp_path / "out", nbest, prefix="eval")
    paths["dev"] = write_json(tmp_path / "dev-v2.0.json", squad_dev(golds))
    paths["folder"] = tmp_path / "out"
    return paths


def test_compare_on_bundled_data_json(capsys):
    status, out, err = run(capsys, "compare", "--folds", 3, "--repeats", 1, "--json")
    assert status == 0, err
    result = strict_json(out)
    names = [row["estimator"] for row in result["summary"]]
    assert names == [
        "TorchLogisticFusion",
        "MarginThreshold (tuned)",
        "MarginThreshold (t=0)",
        "LogisticRegression",
    ]
    assert all(0.6 < row["accuracy"] < 0.9 for row in result["summary"])
    assert len(result["pairwise_tests"]) == 6
    assert all(0 <= t["p"] <= t["p_holm"] <= 1 for t in result["pairwise_tests"])
    assert result["n_questions"] == 11873 and result["metric"] == "accuracy"
    assert result["margin_columns"] == {"null": ["joint_null"], "span": ["best_span"]}
    assert len(result["per_fold"]["LogisticRegression"]["accuracy"]) == 3
    assert result["seed"] == 0
    assert "LogisticRegression: 3 folds fitted" in err


def test_compare_a_transformers_run_tuned_for_em(capsys, eval_run):
    status, out, err = run(
        capsys,
        "compare",
        eval_run["folder"],
        "--dev",
        eval_run["dev"],
        "--tune",
        "em",
        "--folds",
        3,
        "--repeats",
        1,
        "--json",
        "-q",
    )
    assert status == 0, err
    result = strict_json(out)
    assert result["metric"] == "em"
    assert result["feature_names"][0] == "null_start_logit"
    assert result["margin_columns"]["span"] == ["span_start_logit", "span_end_logit"]
    for row in result["summary"]:
        assert 0 < row["em"] <= row["f1"] <= 1
    status, out, _ = run(
        capsys,
        "compare",
        eval_run["folder"],
        "--dev",
        eval_run["dev"],
        "--tune",
        "em",
        "--folds",
        3,
        "--repeats",
        1,
        "-q",
    )
    assert "Paired comparison of EM" in out
    assert "Holm-adjusted for 6 tests" in out


def test_compare_table_and_quiet(capsys, notebook_pickle):
    status, out, err = run(
        capsys, "compare", notebook_pickle, "--folds", 3, "--repeats", 2, "-q"
    )
    assert status == 0
    assert err == ""
    assert "MarginThreshold (tuned)" in out
    assert "corrected resampled t-test" in out


def test_too_few_questions_to_cross_validate(capsys, squad_files, tmp_path):
    status, _, err = run(
        capsys, "compare", tmp_path, "--dev", squad_files["dev"], "--folds", 2
    )
    assert status == 1
    assert err == (
        "skfusion compare: error: 2-fold CV needs at least 2 questions of each "
        "class; the data has 1 of the rarer one.\n"
    )


def test_fit_prints_the_threshold_to_give_run_qa(capsys, eval_run, tmp_path):
    model = tmp_path / "m.skops"
    args = [eval_run["folder"], "--dev", eval_run["dev"], "--model", "margin"]
    status, out, err = run(
        capsys, "fit", *args, "--tune", "squad_em", "-o", model, "--json"
    )
    assert status == 0, err
    report = strict_json(out)
    threshold = report["null_score_diff_threshold"]
    assert report["threshold"] == threshold
    # run_qa's rule with that threshold: no answer where null_odds > threshold.
    null_odds = json.loads(eval_run["null_odds"].read_text())
    out_file = tmp_path / "predictions.json"
    status, _, err = run(capsys, "predict", model, eval_run["folder"], "-o", out_file)
    assert status == 0, err
    predictions = json.loads(out_file.read_text())
    assert [predictions[q] == "" for q in null_odds] == [
        v > threshold for v in null_odds.values()
    ]
    # The fit report is what the official script says of those predictions.
    dataset = json.loads(eval_run["dev"].read_text())["data"]
    expected = official.evaluate(dataset, predictions)
    assert report["report"] == pytest.approx(expected)
    status, out, _ = run(capsys, "fit", *args, "--tune", "squad_em", "-o", model)
    assert f"--null_score_diff_threshold {threshold:.6g}" in out
    assert "HasAns_exact" in out and "NoAns_f1" in out


def test_fit_fusion_reports_weights(capsys, eval_run, tmp_path):
    status, out, err = run(
        capsys,
        "fit",
        eval_run["folder"],
        "--dev",
        eval_run["dev"],
        "-o",
        tmp_path / "m.joblib",
        "--json",
    )
    assert status == 0, err
    report = strict_json(out)
    assert len(report["coef"]) == 4 and "null_score_diff_threshold" not in report


def test_fit_then_predict_round_trip(capsys, tmp_path, notebook_pickle):
    for suffix in ("joblib", "skops", "SKOPS"):
        model = tmp_path / f"calibrator.{suffix}"
        status, out, err = run(
            capsys, "fit", notebook_pickle, "--model", "margin", "-o", model
        )
        assert status == 0, err
        assert "threshold on joint_null - best_span" in out
        assert "null_score_diff_threshold" not in out  # not a null_odds margin
        out_file = tmp_path / "predictions.json"
        predict = ["predict", model, notebook_pickle, "-o", out_file]
        if suffix == "joblib":  # a pickle calibrator loads only if allowed
            status, _, err = run(capsys, *predict)
            assert status == 1 and "--allow-pickle" in err
            predict.append("--allow-pickle")
        # Scores without span texts give no SQuAD predictions, but decisions.
        status, _, err = run(capsys, *predict)
        assert status == 1
        assert "scores.pkl: scores only, no answer texts" in err
        assert "--decisions-only" in err and not out_file.exists()
        status, _, err = run(capsys, *predict, "--decisions-only")
        assert status == 0, err
        predictions = json.loads(out_file.read_text())
        assert len(predictions) == 600 and "q599" in predictions
        assert set(predictions.values()) <= {True, False}
        out_file.unlink()


def test_fit_report_without_credit_is_the_official_percentage(
    capsys, tmp_path, notebook_pickle
):
    model = tmp_path / "m.skops"
    argv = ["fit", notebook_pickle, "--model", "margin", "-o", model, "--json"]
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    report = strict_json(out)["report"]
    rule, _ = load_calibrator(model)
    data = load_reader_outputs(notebook_pickle)
    predicted_null = rule.predict(data.data)
    # Scores only: the official script's exact, where each answered
    # answerable question gets its gold text, is the decisions' accuracy.
    golds = {q: [] if u else ["x"] for q, u in zip(data.ids, data.target, strict=True)}
    preds = {q: "" if n else "x" for q, n in zip(data.ids, predicted_null, strict=True)}
    expected = official.evaluate(squad_dev(golds)["data"], preds)
    assert report == pytest.approx(
        {
            k.replace("exact", "accuracy"): v
            for k, v in expected.items()
            if "f1" not in k
        }
    )


def test_predict_needs_no_dev_and_writes_span_texts(capsys, squad_files, tmp_path):
    model = tmp_path / "m.skops"
    args = [tmp_path, "--dev", squad_files["dev"], "--model", "margin", "-o", model]
    assert run(capsys, "fit", *args)[0] == 0
    out_file = tmp_path / "out.json"
    assert run(capsys, "predict", model, tmp_path, "-o", out_file)[0] == 0
    assert json.loads(out_file.read_text()) == {
        "q1": "Seine",
        "q2": "",
        "q3": "in 1887",
    }


def test_predict_stops_where_an_answered_span_is_unknown(capsys, squad_files, tmp_path):
    squad_files["nbest"].unlink()  # null_odds and predictions only
    model = tmp_path / "m.skops"
    fit = ["fit", tmp_path, "--dev", squad_files["dev"], "--model", "margin"]
    # A threshold above every margin answers every question, q2 included,
    # whose predictions.json text is "".
    assert run(capsys, *fit, "-o", model)[0] == 0
    from skfusion.persistence import load_calibrator, save_calibrator

    rule, names = load_calibrator(model)
    save_calibrator(
        rule.set_params(threshold=10.0).fit([[0.0], [1.0]], [0, 1]), names, model
    )
    out_file = tmp_path / "out.json"
    status, _, err = run(capsys, "predict", model, tmp_path, "-o", out_file)
    assert status == 1
    assert "answers 1 question(s) whose span text is unknown" in err
    assert "'q2'" in err and "--missing-span-as-null" in err
    assert not out_file.exists()
    status, _, err = run(
        capsys, "predict", model, tmp_path, "-o", out_file, "--missing-span-as-null"
    )
    assert status == 0, err
    assert "1 answered question(s) without a known span: written as no answer" in err
    assert json.loads(out_file.read_text())["q2"] == ""


def test_columns_by_name_and_the_wrong_way_warning(capsys, tmp_path):
    X, y = make_squad2_scores(n_questions=400, random_state=1)
    path = tmp_path / "s.csv"
    # Columns whose names say no margin: it is never guessed from their order.
    rows = [f"{r[3]},{r[0]},{int(u)}" for r, u in zip(X, y, strict=True)]
    path.write_text("span,null,unanswerable\n" + "\n".join(rows) + "\n")
    model = tmp_path / "m.joblib"
    status, _, err = run(capsys, "fit", path, "--model", "margin", "-o", model, "-q")
    assert status == 1 and "which columns form the margin is unknown" in err
    assert "joint_null and best_span" in err and "--null-column and --span" in err
    assert run(capsys, "fit", path, "-o", model, "-q")[0] == 0  # the fusion's
    # The margin named the wrong way round.
    wrong_way = ["--null-column", "span", "--span-column", "null"]
    status, _, err = run(
        capsys, "fit", path, "--model", "margin", *wrong_way, "-o", model, "-q"
    )
    assert status == 0
    assert "warning: the margin span - null is lower for unanswerable" in err
    assert "AUC 0." in err
    status, out, err = run(
        capsys,
        "fit",
        path,
        "--model",
        "margin",
        "--null-column",
        "null",
        "--span-column",
        "span",
        "-o",
        model,
        "-q",
    )
    assert status == 0 and err == ""
    assert "threshold on null - span" in out
    status, _, err = run(
        capsys, "fit", path, "--model", "margin", "--null-column", "nul",
        "--span-column", "span", "-o", model
    )  # fmt: skip
    assert status == 1
    assert "null_column='nul' is not a column of X; its columns are" in err
    status, _, err = run(capsys, "fit", path, "--null-column", "null", "-o", model)
    assert status == 1
    assert "--model fusion uses every column" in err


def test_two_runs_need_a_prefix(capsys, eval_run, tmp_path):
    _, nbest = random_run(4, 80, signal=2.0)
    write_run(eval_run["folder"], nbest, prefix="test")
    status, _, err = run(
        capsys,
        "fit",
        eval_run["folder"],
        "--dev",
        eval_run["dev"],
        "-o",
        tmp_path / "m.joblib",
    )
    assert status == 1
    assert "outputs of 2 runs (eval_, test_)" in err
    status, _, err = run(
        capsys,
        "fit",
        eval_run["folder"],
        "--dev",
        eval_run["dev"],
        "--prefix",
        "eval",
        "-o",
        tmp_path / "m.joblib",
    )
    assert status == 0, err


def test_partial_runs_with_intersect(capsys, eval_run, tmp_path):
    dev = json.loads(eval_run["dev"].read_text())
    qas = dev["data"][0]["paragraphs"][0]["qas"]
    qas.append({**qas[0], "id": "extra"})
    write_json(eval_run["dev"], dev)
    args = [
        "fit",
        eval_run["folder"],
        "--dev",
        eval_run["dev"],
        "-o",
        tmp_path / "m.joblib",
    ]
    status, _, err = run(capsys, *args)
    assert status == 1 and "1 question(s) lack" in err
    status, _, err = run(capsys, *args, "--intersect")
    assert status == 0, err
    assert "warning: Kept the 80 question(s) present in every file" in err


def test_former_tune_names_warn_in_one_line(capsys, eval_run, tmp_path):
    args = [eval_run["folder"], "--dev", eval_run["dev"], "--model", "margin"]
    model = tmp_path / "m.skops"
    status, new, err = run(capsys, "fit", *args, "--tune", "squad_em", "-o", model)
    assert status == 0 and "deprecated" not in err
    status, old, err = run(capsys, "fit", *args, "--tune", "em", "-o", model)
    assert status == 0
    assert "warning: --tune em is deprecated and will be removed in 0.3: use " in err
    assert "--tune squad_em" in err
    assert old == new


def test_tuning_needs_credit(capsys, notebook_pickle, tmp_path):
    status, _, err = run(
        capsys, "fit", notebook_pickle, "--tune", "squad_f1", "-o", tmp_path / "m.skops"
    )
    assert status == 1
    assert "--tune squad_f1: tune='squad_f1' needs each question's f1" in err


def test_calibrator_on_other_columns_is_a_clear_error(
    capsys, tmp_path, notebook_pickle
):
    model = tmp_path / "m.skops"
    assert run(capsys, "fit", notebook_pickle, "-o", model)[0] == 0
    other = tmp_path / "other.csv"
    other.write_text("x,y,unanswerable\n1,2,true\n3,4,false\n")
    status, _, err = run(capsys, "predict", model, other, "-o", tmp_path / "p.json")
    assert status == 1
    assert "trained on columns ['joint_null'" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "missing.pkl"], "missing.pkl: no such file or folder"),
        (["compare", "pyproject.toml"], "pyproject.toml: expected a folder of reader"),
        (["predict", "nothing.joblib", "x.csv", "-o", "o.json"], "No such file"),
    ],
)
def test_bad_files_give_one_line_errors(capsys, argv, message):
    status, _, err = run(capsys, *argv)
    assert status == 1
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bad_option_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "--folds", "many"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --folds: invalid int value: 'many'" in err
    assert len(err.strip().splitlines()) == 1


def test_file_of_unexpected_shape_is_one_line(capsys, squad_files, tmp_path):
    squad_files["nbest"].unlink()
    squad_files["null_odds"].write_text('["q1", "q2", "q3"]')  # not {qid: score}
    args = ["fit", tmp_path, "--dev", squad_files["dev"], "-o", tmp_path / "m.skops"]
    status, _, err = run(capsys, *args)
    assert status == 1
    assert "null_odds.json: expected a JSON object mapping question ids" in err
    assert len(err.strip().splitlines()) == 1


def test_version_and_help(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out == f"skfusion {__version__}\n"
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    text = capsys.readouterr().out
    assert "(default: 5)" in text and "``" not in text
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = capsys.readouterr().out
    for unused in ("--dev", "--tune", "--label-column", "--seed", "--json"):
        assert unused not in text


def test_a_closed_pipe_ends_quietly(tmp_path):
    skfusion = f"{sys.executable} -m skfusion"
    command = f"{skfusion} compare --folds 2 --repeats 1 -q --json | head -1"
    done = subprocess.run(
        command, shell=True, capture_output=True, text=True, timeout=300
    )
    assert done.stdout == "{\n"
    assert done.stderr == ""


def test_plots_are_written(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    status, _, err = run(
        capsys, "compare", "--folds", 2, "--repeats", 1, "--plot", tmp_path, "-q"
    )
    assert status == 0, err
    for name in ("threshold", "margin_histograms", "restart_curves", "fold_weights"):
        png = tmp_path / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 10_000


def test_json_output_never_holds_infinity():
    from skfusion.cli._report import json_dumps

    assert strict_json(json_dumps({"t": float("inf"), "p": [float("nan"), 0.5]})) == {
        "t": None,
        "p": [None, 0.5],
    }


def dev_of_articles(eval_run, n_articles):
    """Rewrite the dev file: its 80 questions on `n_articles` one-paragraph articles."""
    dev = json.loads(eval_run["dev"].read_text())
    qas = dev["data"][0]["paragraphs"][0]["qas"]
    dev["data"] = [
        {
            "title": f"article {i}",
            "paragraphs": [{"context": "C.", "qas": qas[i::n_articles]}],
        }
        for i in range(n_articles)
    ]
    write_json(eval_run["dev"], dev)


def test_compare_reports_per_question_tests_over_articles(capsys, eval_run):
    dev_of_articles(eval_run, 20)
    args = [
        "compare",
        eval_run["folder"],
        "--dev",
        eval_run["dev"],
        "--tune",
        "squad_em",
    ]
    args += ["--folds", 3, "--repeats", 1, "--resamples", 300, "-q"]
    status, out, err = run(capsys, *args, "--json")
    assert status == 0, err
    result = strict_json(out)
    assert result["fold_groups"] == {"by": "article", "n_groups": 20}
    tests = result["question_tests"]
    assert len(tests) == 6
    for t in tests:
        assert t["metric"] == "em" and t["n_questions"] == 80
        assert t["bootstrap"]["resampled"] == t["cluster_t"]["clustered"] == "article"
        assert t["bootstrap"]["n_groups"] == 20 and t["cluster_t"]["df"] == 19
        assert t["bootstrap"]["n_resamples"] == 300
        assert "articles independent" in t["bootstrap"]["assumes"]
        assert t["mcnemar"]["p"] <= t["mcnemar"]["p_holm"] <= 1
        assert 0 <= t["n_disagree"] <= 80
    for t in result["pairwise_tests"]:
        assert (
            "fold-level: folds keep each article together (20 articles)"
            in (t["assumes"])
        )
    status, out, _ = run(capsys, *args)
    assert "Per-question paired tests of EM on repeat 1's pooled out-of-fold" in out
    assert "over 20 articles: cluster-robust t-test" in out
    assert "paired bootstrap interval (300 resamples)" in out
    assert "McNemar assumes: per-question: questions independent" in out
    assert "questions decided differently" in out


def test_compare_groups_fall_back_and_say_so(capsys, eval_run):
    # 8 articles (and so 8 paragraphs) are too few: single questions, said.
    dev_of_articles(eval_run, 8)
    args = ["compare", eval_run["folder"], "--dev", eval_run["dev"], "-q"]
    args += ["--folds", 3, "--repeats", 1, "--resamples", 200]
    status, out, err = run(capsys, *args, "--json")
    assert status == 0, err
    result = strict_json(out)
    assert result["fold_groups"] == {"by": "question", "n_groups": 80}
    boot = result["question_tests"][0]["bootstrap"]
    assert (boot["resampled"], boot["n_groups"]) == ("question", 80)
    assert boot["skipped"] == {"article": 8, "paragraph": 8}
    status, out, _ = run(capsys, *args)
    assert "8 articles are fewer than the 20 needed" in out
    assert "folds split questions at random" in out
    status, out, err = run(capsys, *args, "--groups", "none", "--json")
    assert strict_json(out)["question_tests"][0]["bootstrap"]["skipped"] == {}


def test_compare_bootstraps_questions_without_articles(capsys, notebook_pickle):
    args = ["compare", notebook_pickle, "--folds", 3, "--repeats", 1]
    status, out, err = run(capsys, *args, "--resamples", 200, "--json")
    assert status == 0, err
    assert "per-question tests over single questions: no --dev file" in err
    (first, *_) = strict_json(out)["question_tests"]
    assert first["bootstrap"]["resampled"] == "question"
    assert first["bootstrap"]["n_groups"] == 600


def test_fit_for_a_target_precision_answers_the_most(capsys, eval_run, tmp_path):
    from skfusion.datasets import load_reader_outputs

    args = ["fit", eval_run["folder"], "--dev", eval_run["dev"], "--model", "margin"]
    model = tmp_path / "m.skops"
    status, out, err = run(
        capsys, *args, "--target-precision", 0.7, "-o", model, "--json", "-q"
    )
    assert status == 0, err
    result = strict_json(out)
    point = result["operating_point"]
    assert point["target_precision"] == 0.7 and point["precision_of"] == "em"
    data = load_reader_outputs(eval_run["folder"], dev=eval_run["dev"])
    margin = data.data[:, :2].sum(axis=1) - data.data[:, 2:].sum(axis=1)
    answered = margin <= result["threshold"]
    assert point["coverage"] == pytest.approx(answered.mean())
    assert data.em[answered].mean() >= 0.7
    # Answering every question up to any larger margin falls below target.
    for t in np.unique(margin[~answered]):
        assert data.em[margin <= t].mean() < 0.7
    status, out, _ = run(capsys, *args, "--target-precision", 0.7, "-o", model, "-q")
    assert (
        "operating point for precision >= 0.7 (on the fit data only); on the fit "
        "data it answers"
    ) in out


def test_fit_and_compare_with_a_guaranteed_precision(capsys, tmp_path):
    X, y = make_squad2_scores(n_questions=3000, random_state=0)
    data = tmp_path / "scores.csv"
    lines = ["joint_null,best_span,unanswerable"]
    lines += [
        f"{a},{b},{str(bool(u)).lower()}"
        for a, b, u in zip(X[:, 0], X[:, -1], y, strict=True)
    ]
    data.write_text("\n".join(lines) + "\n")
    model = tmp_path / "m.skops"
    for kind in ("margin", "fusion"):
        args = ["fit", data, "--model", kind, "-o", model, "-q"]
        args += ["--target-precision", 0.85]
        status, out, err = run(capsys, *args, "--confidence", 0.9, "--json")
        assert status == 0, err
        point = strict_json(out)["operating_point"]
        assert point["confidence"] == 0.9 and point["measured_on"] == "fit data"
        assert point["answered_precision"] >= 0.85
        status, out, err = run(capsys, *args, "--confidence", 0.9)
        assert "with probability >= 0.9 on new questions (Learn then Test)" in out
    status, out, err = run(
        capsys, *args, "--target-precision", 0.99, "--confidence", 0.9
    )
    assert status == 1 and err.count("\n") == 1
    assert "cannot be guaranteed with confidence=0.9" in err
    assert re.search(
        r"on 1500 questions: the best precision guaranteed is 0\.\d+\.$", err
    )
    args = ["compare", data, "--folds", 3, "--repeats", 1, "--resamples", 100, "-q"]
    status, out, err = run(
        capsys, *args, "--target-precision", 0.85, "--confidence", 0.9, "--json"
    )
    assert status == 0, err
    (point,) = strict_json(out)["operating_points"]
    assert point["estimator"] == "MarginThreshold (precision >= 0.85 at 90%)"
    assert point["n_folds"] == 3 and 0 <= point["n_met"] <= 3
    assert 0 < point["coverage"] < 1
    status, out, err = run(capsys, *args, "--target-precision", 0.85)
    assert "Out of fold, MarginThreshold (precision >= 0.85): precision of the" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--model", "margin", "--tune", "squad_em", "--target-noans-recall", "0.9"],
            "--tune squad_em and a target both choose the threshold",
        ),
        (
            ["--model", "margin", "--target-precision", "1.5"],
            "--target-precision 1.5 must be in [0, 1]",
        ),
        (
            ["--model", "margin", "--confidence", "0.9"],
            "--confidence guarantees --target-precision: give it.",
        ),
        (
            ["--model", "margin", "--target-precision", "0.8", "--confidence", "1"],
            "--confidence 1.0 must be in (0, 1)",
        ),
    ],
)
def test_fit_target_misuse(capsys, eval_run, tmp_path, extra, message):
    args = ["fit", eval_run["folder"], "--dev", eval_run["dev"], *extra]
    status, _, err = run(capsys, *args, "-o", tmp_path / "m.skops", "-q")
    assert status == 1
    assert message in err and err.count("\n") == 1


def write_run_csvs(tmp_path, n_runs, *, shuffle_ids=False):
    """CSV score tables of one reader's runs: same questions, noisier scores."""
    X, y = make_squad2_scores(n_questions=300, random_state=0)
    rng = np.random.RandomState(1)
    em = np.where(y, 0, (rng.rand(len(y)) < 0.8).astype(int))
    paths = []
    for run in range(n_runs):
        noisy = X + np.random.RandomState(run).normal(0, 0.3, X.shape)
        shuffled = shuffle_ids and run > 0  # the first run gives the order
        order = rng.permutation(len(y)) if shuffled else np.arange(len(y))
        lines = ["id,joint_null,best_span,unanswerable,em"]
        lines += [
            f"q{i},{noisy[i, 0]},{noisy[i, -1]},{str(bool(y[i])).lower()},{em[i]}"
            for i in order
        ]
        path = tmp_path / f"run{run}{'_shuffled' * shuffle_ids}.csv"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def test_compare_runs_tables_and_tests_across_runs(capsys, tmp_path):
    paths = write_run_csvs(tmp_path, 3, shuffle_ids=True)
    args = ["compare-runs", *paths, "--id-column", "id", "--tune", "squad_em"]
    args += ["--folds", 3, "--repeats", 1, "-q"]
    status, out, err = run(capsys, *args, "--json")
    assert status == 0, err
    result = strict_json(out)
    assert result["runs"] == [str(p) for p in paths] and result["metric"] == "em"
    assert len(result["per_run"]) == 3 and len(result["run_tests"]) == 6
    for test in result["run_tests"]:
        assert test["n_runs"] == 3 and "independent draw" in test["assumes"]
        assert test["wins_a"] + test["wins_b"] <= 3
    assert len(result["per_run_tests"][str(paths[0])]) == 6
    # Rows in another order are put back in the first run's: the same folds.
    in_order = write_run_csvs(tmp_path, 3)
    args[1:4] = in_order
    status, out, _ = run(capsys, *args, "--json")
    unshuffled = strict_json(out)
    for row, other in zip(result["per_run"], unshuffled["per_run"], strict=True):
        assert {k: v for k, v in row.items() if k != "run"} == {
            k: v for k, v in other.items() if k != "run"
        }
    status, out, _ = run(capsys, *args)
    assert "Mean out-of-fold EM per run" in out
    assert "Across 3 runs: paired t-test and Wilcoxon signed-rank test" in out


def test_compare_runs_refuses_other_questions_and_single_runs(capsys, tmp_path):
    paths = write_run_csvs(tmp_path, 2)
    lines = paths[1].read_text().splitlines()
    paths[1].write_text("\n".join(lines[:-1]) + "\n")  # one question fewer
    status, _, err = run(capsys, "compare-runs", *paths, "--id-column", "id", "-q")
    assert status == 1
    assert "run1.csv: its questions (or labels) differ from those of" in err
    status, _, err = run(capsys, "compare-runs", paths[0], "-q")
    assert status == 1 and "needs at least 2 runs" in err
    assert "This is not fusion" in main_help("compare-runs")


def main_help(command):
    result = subprocess.run(
        [sys.executable, "-m", "skfusion", command, "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    return " ".join(result.stdout.split())


def test_fit_fusion_for_a_target_then_predict(capsys, eval_run, tmp_path):
    args = ["fit", eval_run["folder"], "--dev", eval_run["dev"]]
    model = tmp_path / "fusion.skops"
    status, out, err = run(
        capsys, *args, "--target-noans-recall", 0.8, "-o", model, "--json", "-q"
    )
    assert status == 0, err
    result = strict_json(out)
    point = result["operating_point"]
    out_file = tmp_path / "predictions.json"
    assert (
        run(capsys, "predict", model, eval_run["folder"], "-o", out_file, "-q")[0] == 0
    )
    predictions = json.loads(out_file.read_text())
    golds = official.questions(json.loads(eval_run["dev"].read_text())["data"])
    flagged = [predictions[q] == "" for q, answers in golds.items() if not answers]
    assert np.mean(flagged) == pytest.approx(point["noans_recall"])
    assert point["noans_recall"] >= 0.8
    answered = np.mean([text != "" for text in predictions.values()])
    assert answered == pytest.approx(point["coverage"])
    assert len(result["coef"]) == 4 and "decision_threshold" in result


def test_data_of_one_class_names_the_file(capsys, tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("x,unanswerable\n1.5,true\n2.5,true\n")
    status, _, err = run(capsys, "fit", path, "-o", tmp_path / "m.skops")
    assert status == 1
    assert err == (
        f"skfusion fit: error: {path}: all 2 questions are unanswerable; a "
        "no-answer rule is learnt from both kinds.\n"
    )
    assert not (tmp_path / "m.skops").exists()


def test_column_names_from_the_data_are_kept_as_written(capsys, tmp_path):
    """A header name with a tab (a damaged file) is still the margin's column."""
    path = tmp_path / "scores.csv"
    rows = "".join(f"{i},{-i},{i % 2}\n" for i in range(1, 9))
    path.write_text("joint_null\t,best_span,unanswerable\n" + rows)
    output = tmp_path / "m.skops"
    by_position = ["--null-column", "0", "--span-column", "1"]
    status, _, err = run(
        capsys, "fit", path, "--model", "margin", *by_position, "-o", output
    )
    assert status == 0, err
