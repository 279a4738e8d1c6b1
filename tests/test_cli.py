import json
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skfusion.cli import main
from skfusion.datasets import make_squad2_scores
from tests.test_datasets import squad_files


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def seed_pickle(tmp_path):
    X, y = make_squad2_scores(n_questions=600, random_state=0)
    content = {
        "scores": {f"q{i}": list(r) for i, r in enumerate(X)},
        "labels": {f"q{i}": bool(v) for i, v in enumerate(y)},
    }
    path = tmp_path / "scores.pkl"
    path.write_bytes(pickle.dumps(content))
    return path


def test_compare_on_bundled_data_json(capsys):
    status, out, err = run(
        capsys, "compare", "--folds", "3", "--repeats", "1", "--json"
    )
    assert status == 0
    result = json.loads(out)
    names = [row["estimator"] for row in result["summary"]]
    assert names == [
        "TorchLogisticFusion",
        "MarginThreshold (tuned)",
        "MarginThreshold (t=0)",
        "LogisticRegression",
    ]
    assert all(0.6 < row["accuracy"] < 0.9 for row in result["summary"])
    assert len(result["pairwise_tests"]) == 6
    assert all(0 <= t["p"] <= 1 for t in result["pairwise_tests"])
    assert "fold 3/3 fitted" in err


def test_compare_table_and_quiet(capsys, seed_pickle):
    status, out, err = run(
        capsys, "compare", str(seed_pickle), "--folds", "3", "--repeats", "2", "-q"
    )
    assert status == 0
    assert err == ""
    assert "MarginThreshold (tuned)" in out
    assert "corrected resampled t-test" in out


def test_too_few_questions_to_cross_validate(capsys, tmp_path):
    p = squad_files(tmp_path)
    status, _, err = run(
        capsys, "compare", str(tmp_path), "--dev", str(p["dev"]), "--folds", "2"
    )
    assert status == 1
    assert err == (
        "skfusion compare: error: 2-fold CV needs at least 2 questions of each "
        "class; the data has 1 of the rarer one.\n"
    )


def test_compare_reports_em_and_f1_when_known(capsys, tmp_path):
    X, y = make_squad2_scores(n_questions=300, random_state=2)
    rng = np.random.RandomState(0)
    # F1 is 1 wherever EM is: an exact match overlaps fully.
    f1 = np.where(rng.uniform(size=300) < 0.6, 1.0, np.round(rng.uniform(size=300), 2))
    rows = [
        ",".join(map(str, [*r, int(u), float(c == 1.0), c]))
        for r, u, c in zip(X, y, f1, strict=True)
    ]
    path = tmp_path / "s.csv"
    path.write_text("\n".join(["a,b,c,d,unanswerable,em,f1", *rows]) + "\n")
    status, out, err = run(capsys, "compare", str(path), "--json", "-q")
    assert status == 0, err
    for row in json.loads(out)["summary"]:
        assert 0 < row["em"] <= row["f1"] <= 1


def test_fit_then_predict_round_trip(capsys, tmp_path, seed_pickle):
    for suffix in ("joblib", "skops"):
        model = tmp_path / f"calibrator.{suffix}"
        status, _, err = run(
            capsys, "fit", str(seed_pickle), "--model", "margin", "-o", str(model)
        )
        assert status == 0, err
        out_file = tmp_path / "predictions.json"
        status, _, err = run(
            capsys, "predict", str(model), str(seed_pickle), "-o", str(out_file)
        )
        assert status == 0, err
        predictions = json.loads(out_file.read_text())
        assert len(predictions) == 600
        assert set(predictions.values()) <= {True, False}


def test_predict_writes_squad_answers_when_spans_are_known(capsys, tmp_path):
    p = squad_files(tmp_path)
    model = tmp_path / "m.joblib"
    args = [str(tmp_path), "--dev", str(p["dev"])]
    assert run(capsys, "fit", *args, "--model", "margin", "-o", str(model))[0] == 0
    out_file = tmp_path / "out.json"
    assert run(capsys, "predict", str(model), *args, "-o", str(out_file))[0] == 0
    assert json.loads(out_file.read_text()) == {
        "q1": "Seine",
        "q2": "",
        "q3": "in 1887",
    }


def test_fit_tuned_for_em_uses_the_credit(capsys, tmp_path):
    path = tmp_path / "s.csv"
    rng = np.random.RandomState(0)
    X, y = make_squad2_scores(n_questions=400, random_state=1)
    em = (rng.uniform(size=400) < 0.7).astype(int)
    lines = ["a,b,c,d,unanswerable,em"] + [
        ",".join(map(str, [*row, int(label), e]))
        for row, label, e in zip(X, y, em, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    model = tmp_path / "m.joblib"
    status, _, err = run(
        capsys, "fit", str(path), "--model", "margin", "--tune", "em", "-o", str(model)
    )
    assert status == 0, err
    status, _, err = run(
        capsys, "fit", str(path), "--model", "fusion", "--tune", "em", "-o", str(model)
    )
    assert status == 0, err
    status, _, err = run(
        capsys, "fit", str(path), "--model", "margin", "--tune", "f1", "-o", str(model)
    )
    assert status == 1
    assert "--tune f1 needs per-question f1" in err


def test_calibrator_on_other_columns_is_a_clear_error(capsys, tmp_path, seed_pickle):
    model = tmp_path / "m.joblib"
    assert run(capsys, "fit", str(seed_pickle), "-o", str(model))[0] == 0
    other = tmp_path / "other.csv"
    other.write_text("x,y,unanswerable\n1,2,true\n3,4,false\n")
    status, _, err = run(capsys, "predict", str(model), str(other), "-o", "p.json")
    assert status == 1
    assert "trained on columns ['joint_null'" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "missing.pkl"], "missing.pkl: no such file or folder"),
        (["compare", "setup.cfg.txt"], "no such file"),
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


def test_file_of_unexpected_shape_is_one_line(capsys, tmp_path):
    p = squad_files(tmp_path)
    p["null_odds"].write_text('["q1", "q2", "q3"]')  # a list, not {qid: score}
    args = ["fit", str(tmp_path), "--dev", str(p["dev"]), "-o", str(tmp_path / "m")]
    status, _, err = run(capsys, *args)
    assert status == 1
    assert "TypeError" in err
    assert "Traceback" not in err


def test_plots_are_written(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    status, _, err = run(
        capsys,
        "compare",
        "--folds",
        "2",
        "--repeats",
        "1",
        "--plot",
        str(tmp_path),
        "-q",
    )
    assert status == 0, err
    for name in ("threshold", "margin_histograms", "restart_curves", "fold_weights"):
        png = tmp_path / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 10_000


def test_compare_accuracy_matches_a_manual_cross_validation():
    from sklearn.model_selection import RepeatedStratifiedKFold, cross_val_score

    from skfusion import MarginThresholdClassifier
    from skfusion._compare import compare_estimators

    X, y = make_squad2_scores(n_questions=800, random_state=0)
    result = compare_estimators(
        {"m": MarginThresholdClassifier()}, X, y, n_splits=4, n_repeats=2
    )
    cv = RepeatedStratifiedKFold(n_splits=4, n_repeats=2, random_state=0)
    expected = cross_val_score(MarginThresholdClassifier(), X, y, cv=cv)
    assert_allclose(result.accuracy["m"], expected)


def test_corrected_t_test_is_wider_than_the_naive_one():
    from scipy import stats

    from skfusion._compare import corrected_resampled_ttest

    d = np.array([0.01, 0.02, 0.015, 0.005, 0.012, 0.018])
    _, p = corrected_resampled_ttest(d, n_train=800, n_test=200)
    naive = stats.ttest_1samp(d, 0).pvalue
    assert naive < p < 1


def test_compare_works_on_data_sorted_by_label():
    from skfusion import MarginThresholdClassifier
    from skfusion._compare import compare_estimators

    X, y = make_squad2_scores(n_questions=3000, random_state=0)
    order = np.argsort(y, kind="stable")  # all answerable first, as in the seed
    result = compare_estimators(
        {"m": MarginThresholdClassifier()}, X[order], y[order], n_splits=3, n_repeats=1
    )
    assert len(result.accuracy["m"]) == 3
