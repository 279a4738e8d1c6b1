import json
import os
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skfusion import MarginThresholdClassifier
from skfusion.datasets import (
    exact_match,
    f1_overlap,
    load_csv,
    load_seed_pickle,
    load_squad_outputs,
    make_squad2_scores,
    normalize_answer,
)

try:
    import torch
except ImportError:  # the tests marked `torch` are skipped then (conftest.py)
    torch = None


def test_simulator_defaults_match_squad2_dev_and_the_seeds_accuracy():
    X, y = make_squad2_scores(random_state=0)
    assert X.shape == (11873, 4)
    assert y.sum() == 5945
    accuracy = MarginThresholdClassifier().fit(X, y).best_score_
    assert 0.78 <= accuracy <= 0.82


def test_simulator_is_deterministic_and_seed_dependent():
    a = make_squad2_scores(n_questions=500, random_state=3)
    b = make_squad2_scores(n_questions=500, random_state=3)
    c = make_squad2_scores(n_questions=500, random_state=4)
    assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


def test_longer_windows_leave_fewer_multi_window_questions():
    """Shorter windows split more contexts, which lowers the null minimum."""
    X_long, _ = make_squad2_scores(n_questions=3000, random_state=0)
    X_short, _ = make_squad2_scores(
        n_questions=3000, max_seq_length=128, doc_stride=64, random_state=0
    )
    assert X_short[:, 0].mean() < X_long[:, 0].mean()


def test_simulator_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n_unanswerable=20"):
        make_squad2_scores(n_questions=10, n_unanswerable=20)


@pytest.mark.parametrize(
    ("gold", "pred", "em", "f1"),
    [
        ("The Eiffel Tower", "eiffel tower!", 1, 1.0),
        ("Paris, France", "Paris", 0, 2 / 3),
        ("a cat", "the dog", 0, 0.0),
        ("", "", 1, 1.0),
    ],
)
def test_squad_normalisation_em_and_f1(gold, pred, em, f1):
    assert exact_match(gold, pred) == em
    assert f1_overlap(gold, pred) == pytest.approx(f1)
    assert normalize_answer("  An  Apple, the  pie ") == "apple pie"


# --- the seed's pickle format -------------------------------------------------


def seed_pickle(path, scores):
    content = {
        "scores": {f"q{i}": s for i, s in enumerate(scores)},
        "labels": {f"q{i}": bool(i % 2) for i in range(len(scores))},
    }
    path.write_bytes(pickle.dumps(content))
    return path


@pytest.mark.parametrize(
    "make_row",
    [
        lambda r: list(r),
        lambda r: np.asarray(r, dtype=np.float32),
        pytest.param(
            lambda r: torch.tensor(r, dtype=torch.float32),
            marks=pytest.mark.torch,
        ),
    ],
    ids=["lists", "numpy", "torch"],
)
def test_seed_pickle_round_trip(tmp_path, make_row):
    X, _ = make_squad2_scores(n_questions=20, random_state=0)
    path = seed_pickle(tmp_path / "scores.pkl", [make_row(r) for r in X])
    data = load_seed_pickle(path)
    assert data.feature_names == ["joint_null", "start_null", "end_null", "best_span"]
    assert_allclose(data.data, X, rtol=1e-6)
    assert_array_equal(data.target, np.arange(20) % 2 == 1)
    assert list(data.ids[:2]) == ["q0", "q1"]
    assert data.margin_columns == (0, 3)


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned-by-pickle",))


def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"scores": Exploit(), "labels": {}}))
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load posix\.system"):
        load_seed_pickle(path)
    assert not (tmp_path / "pwned-by-pickle").exists()


def test_seed_pickle_with_mismatched_ids_counts_them(tmp_path):
    path = tmp_path / "s.pkl"
    content = {
        "scores": {"a": [1.0] * 4, "x": [1.0] * 4, "y": [1.0] * 4},
        "labels": {"a": True, "b": False, "c": False},
    }
    path.write_bytes(pickle.dumps(content))
    with pytest.raises(
        ValueError, match=r"2 question\(s\) lack scores, e\.g\. 'b', 'c'"
    ):
        load_seed_pickle(path)


def test_ragged_scores_are_counted(tmp_path):
    path = seed_pickle(
        tmp_path / "s.pkl", [[1.0, 2, 3, 4], [1.0, 2, 3], [1.0, 2, 3, 4]]
    )
    with pytest.raises(
        ValueError, match=r"1 question\(s\) have other than 4 scores, e\.g\. 'q1'"
    ):
        load_seed_pickle(path)


def test_non_finite_scores_are_counted(tmp_path):
    path = seed_pickle(tmp_path / "s.pkl", [[1.0, 2.0, 3.0, np.nan], [1.0, 2, 3, 4]])
    with pytest.raises(ValueError, match=r"1 question\(s\) have non-finite scores"):
        load_seed_pickle(path)


# --- run_squad / run_qa outputs ------------------------------------------------


def squad_files(tmp_path):
    """A three-question dev set with a reader's output files."""
    dev = {
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": "...",
                        "qas": [
                            {"id": "q1", "answers": [{"text": "the Seine"}]},
                            {"id": "q2", "answers": [], "is_impossible": True},
                            {"id": "q3", "answers": [{"text": "1889"}]},
                        ],
                    }
                ],
            }
        ]
    }

    def entry(text, start, end):
        return {"text": text, "start_logit": start, "end_logit": end}

    nbest = {
        "q1": [entry("Seine", 4.0, 3.0), entry("", 1.0, 0.5), entry("river", 1, 1)],
        "q2": [entry("Paris", 2.0, 1.0), entry("", 3.0, 2.5)],
        "q3": [entry("", 0.0, 0.0), entry("in 1887", 3.0, 2.0)],
    }
    files = {
        "dev": dev,
        "nbest": nbest,
        "null_odds": {"q1": -5.5, "q2": 2.5, "q3": -5.0},
        "predictions": {"q1": "Seine", "q2": "", "q3": "in 1887"},
    }
    paths = {}
    for name, content in files.items():
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(content))
    return paths


def test_squad_outputs_give_scores_labels_and_credit(tmp_path):
    p = squad_files(tmp_path)
    data = load_squad_outputs(p["dev"], nbest=p["nbest"], null_odds=p["null_odds"])
    assert data.feature_names == ["null_score", "best_span_score", "null_odds"]
    assert_allclose(data.data[:, 0], [1.5, 5.5, 0.0])
    assert_allclose(data.data[:, 1], [7.0, 3.0, 5.0])
    assert_array_equal(data.target, [False, True, False])
    assert_allclose(data.em, [1.0, 1.0, 0.0])  # "Seine" = "the Seine"
    assert_allclose(data.f1, [1.0, 1.0, 0.0])
    assert data.span_text == ["Seine", "Paris", "in 1887"]
    assert data.margin_columns == (0, 1)


def test_null_odds_alone_is_the_margin(tmp_path):
    p = squad_files(tmp_path)
    data = load_squad_outputs(
        p["dev"], null_odds=p["null_odds"], predictions=p["predictions"]
    )
    assert data.feature_names == ["null_odds"]
    assert data.margin_columns == (0, None)
    # q2's prediction is "", but q2 is unanswerable, so credit is still known.
    assert_allclose(data.em, [1.0, 1.0, 0.0])
    clf = MarginThresholdClassifier(span_column=None).fit(data.data, data.target)
    assert_array_equal(clf.predict(data.data), data.target)


def test_squad_outputs_with_unknown_ids_fail_clearly(tmp_path):
    p = squad_files(tmp_path)
    p["null_odds"].write_text(json.dumps({"q1": 1.0, "q2": 2.0, "zz": 3.0}))
    with pytest.raises(
        ValueError, match=r"1 question\(s\) lack null odds, e\.g\. 'q3'"
    ):
        load_squad_outputs(p["dev"], null_odds=p["null_odds"])


def test_duplicate_dev_ids_fail_clearly(tmp_path):
    p = squad_files(tmp_path)
    dev = json.loads(p["dev"].read_text())
    qas = dev["data"][0]["paragraphs"][0]["qas"]
    qas.append(dict(qas[0]))
    p["dev"].write_text(json.dumps(dev))
    with pytest.raises(ValueError, match=r"1 duplicate question id\(s\), e\.g\. 'q1'"):
        load_squad_outputs(p["dev"], null_odds=p["null_odds"])


# --- CSV ----------------------------------------------------------------------


def test_csv_with_named_columns_and_credit(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(
        "id,null,span,unanswerable,em\n"
        "a,1.5,3.0,false,1\n"
        "b,4.0,1.0,true,1\n"
        "c,0.5,2.0,0,0\n"
    )
    data = load_csv(path, id_column="id")
    assert data.feature_names == ["null", "span"]
    assert_array_equal(data.target, [False, True, False])
    assert_allclose(data.em, [1, 1, 0])
    assert data.f1 is None
    assert list(data.ids) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "id,x,unanswerable\na,1,true\na,2,false\n",
            r"1 duplicate id\(s\), e\.g\. 'a'",
        ),
        ("id,x,label\na,1,true\n", r"column\(s\) \['unanswerable'\] not found"),
        ("id,x,unanswerable\na,1,maybe\n", "Row 2: label 'maybe'"),
        ("id,x,unanswerable\na,inf,true\n", "non-finite scores"),
        ("id,x,unanswerable\na,abc,true\n", "a score is not a number"),
    ],
)
def test_bad_csv_fails_clearly(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_csv(path, id_column="id")


def test_written_example_loads_back_consistently(tmp_path):
    from skfusion.datasets import write_squad_example

    paths = write_squad_example(tmp_path, n_questions=300, random_state=1)
    data = load_squad_outputs(
        paths["dev"], nbest=paths["nbest"], null_odds=paths["null_odds"]
    )
    assert data.data.shape == (300, 3)
    # null_odds.json is exactly null score minus best span score.
    assert_allclose(data.data[:, 2], data.data[:, 0] - data.data[:, 1])
    answerable = ~data.target
    assert set(np.unique(data.em[answerable])) == {0.0, 1.0}
    assert (data.f1 >= data.em).all()
    assert (data.em[data.target] == 1).all()
