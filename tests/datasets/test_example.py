import json
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skfusion.datasets import (
    load_reader_outputs,
    make_squad2_scores,
    write_squad_example,
)
from tests._official_eval import evaluate, f1


def read_dev(path):
    """``[(id, context, [(text, answer_start)], unanswerable)]`` of a dev file."""
    if path.suffix == ".jsonl":
        rows = []
        for line in path.read_text().splitlines():
            r = json.loads(line)
            answers = list(zip(*r["answers"].values(), strict=True))
            rows.append((r["id"], r["context"], answers, not answers))
        return rows
    rows = []
    for article in json.loads(path.read_text())["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = [(a["text"], a["answer_start"]) for a in qa["answers"]]
                rows.append((qa["id"], paragraph["context"], answers, not answers))
    return rows


def per_head_columns(nbest, ids):
    """What a reader-output loader makes of run_qa's nbest file.

    Null logits from the null entry (text ""), span logits from the best
    non-null entry by start + end: run_qa's fake "empty" entry included.
    """
    rows = []
    for qid in ids:
        entries = nbest[qid]
        null = next(e for e in entries if e["text"] == "")
        spans = [e for e in entries if e["text"] != ""]
        best = max(spans, key=lambda e: e["start_logit"] + e["end_logit"])
        rows.append(
            [
                null["start_logit"],
                null["end_logit"],
                best["start_logit"],
                best["end_logit"],
            ]
        )
    return np.array(rows)


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    folder = tmp_path_factory.mktemp("example")
    paths = write_squad_example(folder, random_state=3)
    files = {k: json.loads(p.read_text()) for k, p in paths.items() if k != "dev"}
    return paths, read_dev(paths["dev"]), files


@pytest.mark.parametrize(
    ("prefix", "dev_format", "names"),
    [
        (
            None,
            "squad",
            [
                "dev-v2.0.json",
                "nbest_predictions.json",
                "null_odds.json",
                "predictions.json",
            ],
        ),
        (
            "eval",
            "jsonl",
            [
                "dev-v2.0.jsonl",
                "eval_nbest_predictions.json",
                "eval_null_odds.json",
                "eval_predictions.json",
            ],
        ),
    ],
)
def test_file_names_follow_run_qa(tmp_path, prefix, dev_format, names):
    paths = write_squad_example(
        tmp_path, n_questions=30, prefix=prefix, dev_format=dev_format
    )
    assert set(paths) == {"dev", "nbest", "null_odds", "predictions"}
    assert sorted(p.name for p in paths.values()) == names
    assert sorted(p.name for p in tmp_path.iterdir()) == names


def test_both_dev_formats_hold_the_same_questions(tmp_path):
    squad = write_squad_example(tmp_path / "a", n_questions=200, random_state=1)
    jsonl = write_squad_example(
        tmp_path / "b", n_questions=200, dev_format="jsonl", random_state=1
    )
    assert read_dev(squad["dev"]) == read_dev(jsonl["dev"])
    assert squad["nbest"].read_bytes() == jsonl["nbest"].read_bytes()
    first = json.loads(jsonl["dev"].read_text().splitlines()[0])
    assert list(first) == ["id", "title", "context", "question", "answers"]
    squad_json = json.loads(squad["dev"].read_text())
    assert squad_json["version"] == "v2.0"
    qas = [qa for a in squad_json["data"] for p in a["paragraphs"] for qa in p["qas"]]
    assert all(qa["is_impossible"] == (not qa["answers"]) for qa in qas)
    assert all(("plausible_answers" in qa) == qa["is_impossible"] for qa in qas)


def test_same_random_state_gives_identical_files(tmp_path):
    a = write_squad_example(tmp_path / "a", n_questions=100, random_state=7)
    b = write_squad_example(tmp_path / "b", n_questions=100, random_state=7)
    c = write_squad_example(tmp_path / "c", n_questions=100, random_state=8)
    for key in a:
        assert a[key].read_bytes() == b[key].read_bytes()
    assert a["nbest"].read_bytes() != c["nbest"].read_bytes()


@pytest.mark.parametrize("random_state", [0, 3])
def test_nbest_gives_exactly_the_simulators_per_head_columns(tmp_path, random_state):
    paths = write_squad_example(tmp_path, n_questions=700, random_state=random_state)
    ids = [row[0] for row in read_dev(paths["dev"])]
    X, y = make_squad2_scores(
        n_questions=700, columns="per_head", random_state=random_state
    )
    nbest = json.loads(paths["nbest"].read_text())
    assert_array_equal(per_head_columns(nbest, ids), X)
    assert_array_equal([row[3] for row in read_dev(paths["dev"])], y)


def test_nbest_lists_are_built_as_run_qa_builds_them(example):
    _, dev, files = example
    fakes = 0
    for qid, context, _, _ in dev:
        entries = files["nbest"][qid]
        scores = np.array([e["start_logit"] + e["end_logit"] for e in entries])
        texts = [e["text"] for e in entries]
        assert texts.count("") == 1
        if texts[0] == "empty":  # run_qa's fake span, only when no real one
            fakes += 1
            assert len(entries) == 2 and scores[0] == 0.0
            assert list(entries[0]) == [
                "text",
                "start_logit",
                "end_logit",
                "probability",
            ]
            entries, scores, texts = entries[1:], scores[1:], texts[1:]
        else:
            assert all(t in context for t in texts)
        assert all(
            list(e) == ["start_logit", "end_logit", "text", "probability"]
            for e in entries
        )
        # Sorted, the best 20, the null entry appended last if it fell out
        # (its score is then below all of theirs).
        assert (np.diff(scores) <= 0).all()
        assert len(entries) <= 20 or (len(entries) == 21 and texts[-1] == "")
        all_scores = [e["start_logit"] + e["end_logit"] for e in files["nbest"][qid]]
        expected = np.exp(all_scores - np.max(all_scores))
        assert_allclose(
            [e["probability"] for e in files["nbest"][qid]],
            expected / expected.sum(),
            rtol=1e-12,
        )
    assert 0 < fakes < 0.02 * len(dev)
    lengths = [len(files["nbest"][row[0]]) for row in dev]
    assert np.median(lengths) == 20 and max(lengths) == 21


def test_null_odds_and_predictions_are_run_qa_s(example):
    _, dev, files = example
    answered = 0
    for qid, _, _, _ in dev:
        entries = files["nbest"][qid]
        null = next(e for e in entries if e["text"] == "")
        best = next(e for e in entries if e["text"] != "")
        null_score = null["start_logit"] + null["end_logit"]
        odds = files["null_odds"][qid]
        assert odds == null_score - best["start_logit"] - best["end_logit"]
        assert files["predictions"][qid] == ("" if odds > 0 else best["text"])
        answered += odds <= 0
    assert 0.3 * len(dev) < answered < 0.7 * len(dev)


def test_contexts_hold_their_answers_and_em_differs_from_f1(example):
    _, dev, files = example
    partial = 0
    for qid, context, answers, unanswerable in dev:
        assert all(context[s : s + len(t)] == t for t, s in answers)
        best = next(e for e in files["nbest"][qid] if e["text"] != "")
        if not unanswerable:
            overlap = max(f1(t, best["text"]) for t, _ in answers)
            partial += 0 < overlap < 1
    assert partial > 0.05 * len(dev)


@pytest.mark.parametrize("random_state", [0, 1, 2])
def test_official_script_gains_what_it_gains_on_real_readers(tmp_path, random_state):
    """Published BERT-style runs: best_exact 0-1.1 points up, at -2.5 to -5.3."""
    paths = write_squad_example(tmp_path, random_state=random_state)
    dev = json.loads(paths["dev"].read_text())["data"]
    preds = json.loads(paths["predictions"].read_text())
    odds = json.loads(paths["null_odds"].read_text())
    report = evaluate(dev, preds, odds)
    assert 0.0 <= report["best_exact"] - report["exact"] <= 3.0
    assert -6.0 <= report["best_exact_thresh"] <= 0.5
    assert report["f1"] > report["exact"]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"dev_format": "csv"}, r"dev_format='csv' is not valid"),
        ({"prefix": "a/b"}, r"prefix='a/b' is not valid"),
        ({"n_questions": 0}, r"n_questions=0 must be at least 1"),
    ],
)
def test_bad_options_fail_clearly(tmp_path, option, message):
    with pytest.raises(ValueError, match=message):
        write_squad_example(tmp_path, **option)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(("prefix", "dev_format"), [(None, "squad"), ("eval", "jsonl")])
def test_the_loader_reads_back_the_simulated_reader(tmp_path, prefix, dev_format):
    paths = write_squad_example(
        tmp_path, n_questions=400, prefix=prefix, dev_format=dev_format, random_state=2
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the few placeholder-only questions
        data = load_reader_outputs(tmp_path, dev=paths["dev"])
    X, y = make_squad2_scores(n_questions=400, columns="per_head", random_state=2)
    assert_array_equal(data.data, X)
    assert_array_equal(data.target, y)
    assert_array_equal(data.no_span, (X[:, 2:] == 0).all(axis=1))
