"""load_reader_outputs on every format a reader writes, against the official logic."""

import gc
import gzip
import json
import os
import pickle

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from skfusion import MarginThresholdClassifier
from skfusion.datasets import (
    PER_HEAD_FEATURE_NAMES,
    load_reader_outputs,
    write_squad_example,
)
from skfusion.metrics import squad2_report, squad2_sample_weight
from tests import _official_eval as official
from tests._builders import (
    GOLDS,
    NBEST,
    PER_HEAD,
    entry,
    random_run,
    squad_dev,
    squad_v2_records,
    write_json,
    write_run,
)

PER_HEAD_MARGIN = (list(PER_HEAD_FEATURE_NAMES[:2]), list(PER_HEAD_FEATURE_NAMES[2:]))


def test_bert_folder_gives_per_head_columns_labels_and_credit(squad_files, tmp_path):
    data = load_reader_outputs(tmp_path, dev=squad_files["dev"])
    assert data.feature_names == list(PER_HEAD_FEATURE_NAMES)
    assert_array_equal(data.data, PER_HEAD)
    assert_array_equal(data.target, [False, True, False])
    assert list(data.ids) == ["q1", "q2", "q3"]
    # "Seine" = "the Seine"; answering unanswerable q2 with "Paris" scores 0.
    assert_array_equal(data.em, [1.0, 0.0, 0.0])
    assert_array_equal(data.f1, [1.0, 0.0, 0.0])
    assert data.span_text == ["Seine", "Paris", "in 1887"]
    assert not data.no_span.any()
    assert data.margin_columns == PER_HEAD_MARGIN
    # BERT's rule on the per-head columns is the reader's own null_odds.
    null_odds = json.loads(squad_files["null_odds"].read_text())
    margin = data.data[:, :2].sum(axis=1) - data.data[:, 2:].sum(axis=1)
    assert_allclose(margin, [null_odds[q] for q in data.ids])
    assert {"data", "feature_names", "target", "ids", "DESCR"} <= set(data)


@pytest.mark.parametrize("prefix", ["eval", "test", "predict"])
def test_transformers_prefixed_folder_reads_the_same(tmp_path, prefix):
    write_run(tmp_path, NBEST, prefix=prefix)
    dev = write_json(tmp_path / "dev.json", squad_dev(GOLDS))
    data = load_reader_outputs(tmp_path, dev=dev)
    assert_array_equal(data.data, PER_HEAD)
    assert_array_equal(data.em, [1.0, 0.0, 0.0])


def test_two_runs_in_one_folder_must_be_chosen(tmp_path):
    write_run(tmp_path, NBEST, prefix="eval")
    other = {
        q: [entry(e["text"], e["start_logit"] + 1, e["end_logit"]) for e in v]
        for q, v in NBEST.items()
    }
    write_run(tmp_path, other, prefix="test")
    with pytest.raises(ValueError, match=r"outputs of 2 runs \(eval_, test_\); choose"):
        load_reader_outputs(tmp_path)
    for chosen in ("test", "test_"):
        data = load_reader_outputs(tmp_path, prefix=chosen)
        assert_array_equal(data.data[:, 0], np.array(PER_HEAD)[:, 0] + 1)
    with pytest.raises(ValueError, match=r"no outputs with prefix 'dev'; found eval_"):
        load_reader_outputs(tmp_path, prefix="dev")
    with pytest.raises(ValueError, match=r"chooses among the runs of a folder"):
        load_reader_outputs(tmp_path / "eval_null_odds.json", prefix="eval")


@pytest.mark.parametrize("layout", ["jsonl", "json_array"])
def test_squad_v2_dataset_exports_are_dev_files(squad_files, tmp_path, layout):
    records = squad_v2_records(GOLDS)
    path = tmp_path / "validation.json"
    if layout == "jsonl":
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    else:
        write_json(path, records)
    data = load_reader_outputs(tmp_path, dev=path)
    official_json = load_reader_outputs(tmp_path, dev=squad_files["dev"])
    assert_array_equal(data.target, official_json.target)
    assert_array_equal(data.em, official_json.em)


def test_without_dev_the_questions_are_unlabelled(squad_files, tmp_path):
    data = load_reader_outputs(tmp_path)
    assert data.target is None and data.em is None and data.f1 is None
    assert data.span_text == ["Seine", "Paris", "in 1887"]


def test_single_files(squad_files):
    nbest = load_reader_outputs(squad_files["nbest"], dev=squad_files["dev"])
    assert_array_equal(nbest.data, PER_HEAD)
    odds = load_reader_outputs(squad_files["null_odds"], dev=squad_files["dev"])
    assert odds.feature_names == ["null_odds"]
    assert odds.margin_columns == (["null_odds"], None)
    assert odds.span_text is None and odds.em is None
    with pytest.raises(ValueError, match="holds predictions only"):
        load_reader_outputs(squad_files["preds"])


def test_null_odds_with_predictions_gives_credit_where_spans_are_known(
    squad_files, tmp_path
):
    squad_files["nbest"].unlink()
    data = load_reader_outputs(tmp_path, dev=squad_files["dev"])
    assert data.feature_names == ["null_odds"]
    # q2 is predicted "" but unanswerable: every answerable span is known,
    # and answering q2 is taken to score 0.
    assert data.span_text == ["Seine", None, "in 1887"]
    assert_array_equal(data.em, [1.0, 0.0, 0.0])
    clf = MarginThresholdClassifier(span_column=None).fit(data.data, data.target)
    assert_array_equal(clf.predict(data.data), data.target)


def test_placeholder_empty_entry_is_no_span(tmp_path):
    nbest = dict(NBEST)
    # run_qa's fake entry for a question without any valid span.
    nbest["q3"] = [entry("empty", 0.0, 0.0), entry("", 1.5, 2.0)]
    write_run(tmp_path, nbest, prefix="eval")
    dev = write_json(tmp_path / "dev.json", squad_dev(GOLDS))
    with pytest.warns(
        UserWarning, match=r"1 question\(s\) have no candidate span.*'q3'"
    ):
        data = load_reader_outputs(tmp_path, dev=dev)
    assert_array_equal(data.no_span, [False, False, True])
    assert_array_equal(data.data[2], [1.5, 2.0, 0.0, 0.0])
    assert data.span_text[2] is None
    assert data.em[2] == 0.0  # answering it cannot be right
    null_odds = json.loads((tmp_path / "eval_null_odds.json").read_text())
    assert data.data[2, :2].sum() - data.data[2, 2:].sum() == null_odds["q3"]


def test_null_odds_that_disagree_with_nbest_are_counted(squad_files, tmp_path):
    odds = json.loads(squad_files["null_odds"].read_text())
    odds["q2"] += 1.0
    write_json(squad_files["null_odds"], odds)
    with pytest.warns(UserWarning, match=r"for 1 question\(s\) null_odds is not.*'q2'"):
        data = load_reader_outputs(tmp_path, dev=squad_files["dev"])
    assert data.feature_names == list(PER_HEAD_FEATURE_NAMES)  # no third column


def test_partial_runs_strict_or_intersection(squad_files, tmp_path):
    golds = {**GOLDS, "q4": ["x"], "q5": []}
    dev = write_json(tmp_path / "dev-v2.0.json", squad_dev(golds))
    with pytest.raises(ValueError, match=r"2 question\(s\) lack .*'q4', 'q5'"):
        load_reader_outputs(tmp_path, dev=dev)
    with pytest.warns(UserWarning, match=r"Kept the 3 question\(s\).*dropped 2 of"):
        data = load_reader_outputs(tmp_path, dev=dev, subset="intersection")
    assert list(data.ids) == ["q1", "q2", "q3"]
    with pytest.raises(ValueError, match="subset='some'"):
        load_reader_outputs(tmp_path, dev=dev, subset="some")


def _nbest_with(q1_entries):
    return {**NBEST, "q1": q1_entries}


@pytest.mark.parametrize(
    ("nbest", "message"),
    [
        (
            _nbest_with([entry("Seine", "4.0", 3.0), entry("", 1.0, 0.5)]),
            r"nbest_predictions.json: question 'q1': start_logit is '4.0', expected "
            "a JSON number",
        ),
        (
            _nbest_with([entry("Seine", 4.0, True), entry("", 1.0, 0.5)]),
            "question 'q1': end_logit is True, expected a JSON number",
        ),
        (
            _nbest_with([entry("Seine", 4.0, 3.0)]),
            "question 'q1' has no null candidate",
        ),
        (
            {**NBEST, "q1": {"text": "Seine"}},
            "question 'q1': expected a non-empty list",
        ),
        (_nbest_with([{"start_logit": 1.0}]), "lacks a string 'text'"),
        (["q1", "q2"], "expected a JSON object mapping question ids"),
    ],
)
def test_malformed_nbest_is_a_one_line_error(tmp_path, squad_files, nbest, message):
    write_json(squad_files["nbest"], nbest)
    squad_files["null_odds"].unlink()
    with pytest.raises(ValueError, match=message) as info:
        load_reader_outputs(tmp_path, dev=squad_files["dev"])
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda qa: qa.update(is_impossible="true"),
            r"question 'q1': 'is_impossible' is 'true', expected a JSON boolean",
        ),
        (
            lambda qa: qa.update(is_impossible=True),
            "question 'q1' has is_impossible=True but 1 answer",
        ),
        (lambda qa: qa.update(answers="the Seine"), r"question 'q1': 'answers' is"),
        (lambda qa: qa.update(id=7), "the 'id' of a question is 7, expected a string"),
    ],
)
def test_malformed_dev_is_a_one_line_error(tmp_path, squad_files, change, message):
    dev = squad_dev(GOLDS)
    change(dev["data"][0]["paragraphs"][0]["qas"][0])
    write_json(squad_files["dev"], dev)
    with pytest.raises(ValueError, match=message):
        load_reader_outputs(tmp_path, dev=squad_files["dev"])


def test_broken_json_lines_name_the_line(tmp_path, squad_files):
    path = tmp_path / "dev.jsonl"
    path.write_text('{"id": "q1", "answers": {"text": []}}\n{"id": "q2", oops}\n')
    with pytest.raises(ValueError, match=r"dev.jsonl: line 2 is not valid JSON"):
        load_reader_outputs(tmp_path, dev=path)


def test_null_odds_must_be_numbers(tmp_path, squad_files):
    squad_files["nbest"].unlink()
    write_json(squad_files["null_odds"], {"q1": -5.5, "q2": "2.5", "q3": -5.0})
    with pytest.raises(ValueError, match=r"question 'q2': null_odds is '2.5'"):
        load_reader_outputs(tmp_path, dev=squad_files["dev"])


def test_missing_paths_and_unknown_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere: no such file or folder"):
        load_reader_outputs(tmp_path / "nowhere")
    with pytest.raises(ValueError, match=r"holds none of nbest_predictions.json"):
        load_reader_outputs(tmp_path)
    (tmp_path / "setup.cfg").write_text("[x]\n")
    with pytest.raises(ValueError, match=r"setup.cfg: expected a folder of reader"):
        load_reader_outputs(tmp_path / "setup.cfg")


# --- strict input: keys given twice, unreadable names, binary files ---------


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (
            "null_odds",
            '{"q1": -5.5, "q2": 2.5, "q3": -5.0, "q2": -9.0}',
            r"null_odds.json: 1 question id\(s\) given twice, e\.g\. 'q2'",
        ),
        (
            "nbest_predictions",
            '{"q1": [{"text": "", "start_logit": 1, "end_logit": 2, "text": "x"}]}',
            r"nbest_predictions.json: 1 key\(s\) given twice in one JSON object "
            r"\(at \['q1'\]\[0\]\), e\.g\. 'text'",
        ),
        ("null_odds", '{"q1": NaN}', r"question 'q1': null_odds is nan, expected a"),
        ("null_odds", '{"q1": 1' + "0" * 400 + "}", r"'q1': null_odds is 1000"),
        (
            "null_odds",
            '{"q1": ' + "9" * 5000 + "}",
            r"null_odds.json: .*(Exceeds the limit|expected a finite)",
        ),
        ("null_odds", "[" * 100_000, r"null_odds.json: JSON nested too deeply"),
        ("null_odds", "[1.5]", r"expected a JSON object .* found a JSON array"),
        ("null_odds", "", r"null_odds.json: not valid JSON \(Expecting value"),
    ],
)
def test_strict_json_is_one_line_naming_the_file(tmp_path, kind, text, message):
    (tmp_path / f"{kind}.json").write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        load_reader_outputs(tmp_path)
    assert "\n" not in str(info.value) and len(str(info.value)) < 400


def test_duplicate_question_in_the_dev_file(tmp_path, squad_files):
    text = squad_files["dev"].read_text().replace('"id": "q3"', '"id": "q1"')
    squad_files["dev"].write_text(text)
    with pytest.raises(ValueError, match=r"dev-v2.0.json: 1 duplicate question id"):
        load_reader_outputs(tmp_path, dev=squad_files["dev"])
    records = tmp_path / "dev.jsonl"
    records.write_text(
        '{"id": "q3", "answers": {"text": []}}\n'
        '{"id": "q1", "answers": {"text": []}, "id": "q2"}\n'
    )
    with pytest.raises(ValueError, match=r"dev.jsonl: line 2: 1 key\(s\) given"):
        load_reader_outputs(tmp_path, dev=records)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (gzip.compress(b'{"q1": 1.0}'), r"is gzip-compressed \(decompress it first\)"),
        (b'{"q\xe9": 1.0}', r"not UTF-8 text \(byte 0xe9 at offset 3\)"),
        (b'\xef\xbb\xbf{"q1": 1.0}', r"starts with a byte-order mark"),
        (pickle.dumps({"q1": 1.0}), r"null_odds.json: is a pickle"),
    ],
)
def test_binary_or_encoded_json_is_refused(tmp_path, content, message):
    (tmp_path / "null_odds.json").write_bytes(content)
    with pytest.raises(ValueError, match=message):
        load_reader_outputs(tmp_path)


@pytest.mark.parametrize("make", ["dangling-link", "directory", "fifo"])
def test_a_named_file_that_cannot_be_read_is_an_error(tmp_path, squad_files, make):
    """A folder's file that is not a readable file is never skipped."""
    squad_files["null_odds"].unlink()
    target = squad_files["null_odds"]
    if make == "dangling-link":
        target.symlink_to(tmp_path / "gone.json")
        error, message = FileNotFoundError, "No such file"
    elif make == "directory":
        target.mkdir()
        error, message = IsADirectoryError, "is a directory"
    else:
        os.mkfifo(target)  # opening it would wait for a writer
        error, message = ValueError, "not a regular file"
    with pytest.raises(error, match=rf"null_odds.json: .*{message}"):
        load_reader_outputs(tmp_path, dev=squad_files["dev"])


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file"
)
def test_a_file_without_read_permission_is_an_error(tmp_path, squad_files):
    squad_files["null_odds"].chmod(0)
    with pytest.raises(PermissionError, match=r"null_odds.json: cannot read"):
        load_reader_outputs(tmp_path, dev=squad_files["dev"])


def test_error_lines_are_capped(tmp_path, squad_files):
    """An id of a megabyte is quoted by its first characters."""
    huge = "q" * 1_000_000
    write_json(squad_files["null_odds"], {huge: "x", "q2": 1.0, "q3": 1.0})
    squad_files["nbest"].unlink()
    squad_files["preds"].unlink()
    with pytest.raises(ValueError, match=r"null_odds.json: question 'qqq") as info:
        load_reader_outputs(tmp_path)
    assert len(str(info.value)) < 300


# --- against the official evaluation script's logic --------------------------


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_questions=st.integers(2, 60))
def test_em_f1_and_best_thresholds_match_the_official_script(
    tmp_path_factory, seed, n_questions
):
    folder = tmp_path_factory.mktemp("run")
    golds, nbest = random_run(seed, n_questions)
    paths = write_run(folder, nbest, prefix="eval")
    dev = write_json(folder / "dev.json", squad_dev(golds))
    data = load_reader_outputs(folder, dev=dev)
    preds = json.loads(paths["preds"].read_text())
    null_odds = json.loads(paths["null_odds"].read_text())
    dataset = squad_dev(golds)["data"]

    # At threshold 0: the report of run_qa's own predictions.
    margin = data.data[:, :2].sum(axis=1) - data.data[:, 2:].sum(axis=1)
    ours = squad2_report(margin > 0, data.target, data.em, data.f1)
    expected = official.evaluate(dataset, preds)
    assert ours == pytest.approx(expected, rel=1e-12)

    # The best thresholds, with every question's best span as its prediction
    # (so that the script's sweep can answer any of them).
    spans = {q: t for q, t in zip(data.ids, data.span_text, strict=True)}
    best = official.evaluate(dataset, spans, null_odds)
    # The sweep counts answering an unanswerable question as a loss even where
    # the span normalises to "", which the script's own EM counts right.
    quirk = any(not official.normalize(t) for t in spans.values())
    for metric, credit in (("exact", data.em), ("f1", data.f1)):
        weight = squad2_sample_weight(data.target, credit)
        assume(all(weight[data.target == c].sum() > 0 for c in (False, True)))
        rule = MarginThresholdClassifier(null_column=[0, 1], span_column=[2, 3])
        rule.fit(data.data, data.target, sample_weight=weight)
        # Weighted accuracy is the total up to the unanswerable questions'
        # credit if answered.
        constant = credit[data.target].sum()
        total = 100 * (rule.best_score_ * weight.sum() + constant) / len(weight)
        at_ours = official.evaluate(dataset, spans, null_odds, rule.best_threshold_)
        assert total == pytest.approx(at_ours[metric], rel=1e-9)
        if quirk:
            assert total >= best[f"best_{metric}"] - 1e-9
        else:
            assert total == pytest.approx(best[f"best_{metric}"], rel=1e-9)


# --- the run's files checked against each other -------------------------------


def test_predictions_beside_nbest_are_checked_against_its_best_spans(squad_files):
    preds = json.loads(squad_files["preds"].read_text())
    preds["q3"] = "in 1889"  # not the n-best's best span, "in 1887"
    preds["q1"] = ""  # "no answer" is the reader's threshold: not compared
    write_json(squad_files["preds"], preds)
    with pytest.warns(
        UserWarning, match=r"predictions.json: 1 answer\(s\) are not the n-best's.*q3"
    ):
        data = load_reader_outputs(squad_files["nbest"].parent, dev=squad_files["dev"])
    assert data.span_text == ["Seine", "Paris", "in 1887"]  # the n-best's


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (gzip.compress, r"predictions.json: is gzip-compressed"),
        (lambda raw: raw[: len(raw) // 2], r"predictions.json: not valid JSON"),
        (lambda raw: b"q1,Seine\n", r"predictions.json: not valid JSON"),
        (lambda raw: b'{"q1": 1, "q2": "", "q3": ""}', r"1 prediction\(s\) are not"),
    ],
    ids=["gzipped", "half", "not-json", "not-text"],
)
def test_predictions_the_folder_holds_must_be_readable(squad_files, damage, message):
    path = squad_files["preds"]
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=message) as info:
        load_reader_outputs(path.parent, dev=squad_files["dev"])
    assert "\n" not in str(info.value)


def test_ids_unknown_to_the_dev_file_suggest_the_intersection(squad_files, tmp_path):
    dev = write_json(tmp_path / "partial-dev.json", squad_dev({"q1": ["Seine"]}))
    with pytest.raises(
        ValueError,
        match=r"2 id\(s\) in \S+nbest_predictions.json are unknown to the dev file, "
        r"e.g. 'q2', 'q3'; .*subset='intersection' \(--intersect on the command line",
    ):
        load_reader_outputs(tmp_path, dev=dev)


@pytest.mark.parametrize("layout", ["official", "jsonl", "json-lines", "json-array"])
def test_a_dev_file_given_as_the_data_is_named_as_such(tmp_path, layout):
    records = squad_v2_records(GOLDS)
    path, content = {
        "official": ("dev-v2.0.json", json.dumps(squad_dev(GOLDS))),
        "jsonl": ("dev.jsonl", "\n".join(map(json.dumps, records))),
        "json-lines": ("dev.json", "\n".join(map(json.dumps, records))),
        "json-array": ("dev.json", json.dumps(records)),
    }[layout]
    (tmp_path / path).write_text(content)
    with pytest.raises(
        ValueError, match=r"is a SQuAD dev file of gold answers"
    ) as info:
        load_reader_outputs(tmp_path / path)
    assert "give it as dev= (--dev on the command line)" in str(info.value)
    assert "predictions only" not in str(info.value)


def test_loading_leaves_the_garbage_collector_as_it_was(tmp_path):
    folder, damaged = tmp_path / "run", tmp_path / "damaged"
    write_squad_example(folder, n_questions=50)
    write_squad_example(damaged, n_questions=50)
    nbest = damaged / "nbest_predictions.json"
    nbest.write_text(nbest.read_text()[:-100])
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            load_reader_outputs(folder)
            with pytest.raises(ValueError, match=r"nbest_predictions\.json"):
                load_reader_outputs(damaged)
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
