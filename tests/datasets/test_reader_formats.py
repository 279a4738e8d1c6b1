"""Every reader's files, written by its own selection logic, loaded exactly."""

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from skfusion.cli import main
from skfusion.datasets import load_reader_outputs
from skfusion.datasets._nbest import nbest_columns
from tests import _official_eval as official
from tests import _writers as writers
from tests._builders import scaled_run, squad_dev, write_json


def _load_quietly(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_reader_outputs(*args, **kwargs)


def _margin(data):
    null, span = data.margin_columns
    cols = data.feature_names
    margin = data.data[:, [cols.index(c) for c in null]].sum(axis=1)
    if span is not None:
        margin -= data.data[:, [cols.index(c) for c in span]].sum(axis=1)
    return margin


def _dev(tmp_path, golds):
    return write_json(tmp_path / "dev-v2.0.json", squad_dev(golds))


def _run_qa_folder(folder, examples, features, prefix="eval"):
    preds, nbest, odds, best = writers.postprocess_qa_predictions(examples, features)
    names = {
        k: f"{prefix}_{k}.json"
        for k in ("predictions", "nbest_predictions", "null_odds")
    }
    writers.write(
        folder,
        names,
        {"predictions": preds, "nbest_predictions": nbest, "null_odds": odds},
    )
    return preds, odds, best


def test_run_qa_float32_spans_and_margins_are_the_readers(tmp_path):
    examples, features, golds = writers.model_outputs(0, 60)
    preds, odds, best = _run_qa_folder(tmp_path / "out", examples, features)
    data = _load_quietly(tmp_path / "out", dev=_dev(tmp_path, golds))
    assert data.span_text == [best[q] for q in data.ids]
    assert_allclose(_margin(data), [odds[q] for q in data.ids], rtol=0, atol=1e-5)
    assert data.reader == "run_squad" and data.score_kind == "logit difference"
    assert_array_equal(_margin(data) > 0, [preds[q] == "" for q in data.ids])


def test_run_qa_float16_selects_spans_as_the_reader_sums_them(tmp_path):
    # Half-precision evaluation: run_qa sums float16 logits in float16, so
    # spans tie or change order against their exact (float64) sums.
    examples, features, golds = writers.model_outputs(
        1, 200, dtype=np.float16, loc=20.0, scale=0.3
    )
    _preds, odds, best = _run_qa_folder(tmp_path / "out", examples, features)
    data = _load_quietly(
        tmp_path / "out", dev=_dev(tmp_path, golds)
    )  # no false warning
    assert data.span_text == [best[q] for q in data.ids]
    # The data exercise the case: re-summing in float64 picks another span.
    nbest = json.loads((tmp_path / "out" / "eval_nbest_predictions.json").read_text())
    exact_choice = [
        max(
            (e for e in nbest[q] if e["text"] not in ("", "empty")),
            key=lambda e: e["start_logit"] + e["end_logit"],
        )["text"]
        for q in data.ids
    ]
    assert exact_choice != data.span_text
    # The reader's null_odds is the columns' margin, summed in float16.
    h = data.data.astype(np.float16)
    in_half = ((h[:, 0] + h[:, 1]) - h[:, 2]) - h[:, 3]
    assert_array_equal(in_half.astype(float), [odds[q] for q in data.ids])


def _legacy_folder(folder, examples, features, prefix):
    preds, nbest, odds, best = writers.compute_predictions_logits(examples, features)
    names = {
        "predictions": f"predictions_{prefix}.json",
        "nbest_predictions": f"nbest_predictions_{prefix}.json",
        "null_odds": f"null_odds_{prefix}.json",
    }
    contents = {"predictions": preds, "nbest_predictions": nbest, "null_odds": odds}
    writers.write(folder, names, contents)
    return odds, best


def test_legacy_run_squad_checkpoints_are_chosen_with_prefix(tmp_path):
    examples, _features, golds = writers.model_outputs(2, 40)
    dev = _dev(tmp_path, golds)
    folder = tmp_path / "out"
    runs = {}
    for k, prefix in enumerate(("", "500", "1000")):
        _, features_k, _ = writers.model_outputs(2 + 10 * k, 40)
        runs[prefix] = _legacy_folder(folder, examples, features_k, prefix)
    with pytest.raises(ValueError, match=r"outputs of 3 runs \(\*_\.json, \*_1000"):
        load_reader_outputs(folder)
    for prefix, chosen in (("500", "500"), ("_1000", "1000"), ("_", "")):
        data = _load_quietly(folder, dev=dev, prefix=prefix)
        odds, best = runs[chosen]
        assert data.span_text == [best[q] for q in data.ids]
        assert_allclose(_margin(data), [odds[q] for q in data.ids], rtol=1e-12)
        assert data.reader == "run_squad"
    # A lone legacy n-best file reads the same.
    alone = _load_quietly(folder / "nbest_predictions_500.json", dev=dev)
    assert_array_equal(alone.data, _load_quietly(folder, prefix="500").data)


def test_bert_unprefixed_and_legacy_empty_prefix_in_one_folder(tmp_path):
    examples, features, _ = writers.model_outputs(3, 20)
    _legacy_folder(tmp_path, examples, features, "")
    _, other, _ = writers.model_outputs(4, 20)
    odds, _ = _legacy_folder(tmp_path / "x", examples, other, "")
    for name in ("predictions", "nbest_predictions", "null_odds"):
        (tmp_path / "x" / f"{name}_.json").rename(tmp_path / f"{name}.json")
    bert = _load_quietly(tmp_path, prefix="")
    assert_allclose(_margin(bert), [odds[q] for q in bert.ids], rtol=1e-12)
    legacy = _load_quietly(tmp_path, prefix="_")
    assert not np.array_equal(legacy.data, bert.data)


@pytest.mark.parametrize("writer", ["utils_qa", "legacy"])
def test_beam_search_reads_log_probs_and_the_answer_class_score(tmp_path, writer):
    examples, features, golds = writers.model_outputs(5, 60)
    if writer == "utils_qa":
        preds, nbest, odds = writers.postprocess_with_beam_search(examples, features)
        names = {
            k: f"eval_{k}.json"
            for k in ("predictions", "nbest_predictions", "null_odds")
        }
    else:
        preds, nbest, odds = writers.compute_predictions_log_probs(examples, features)
        names = {
            k: f"{k}_.json" for k in ("predictions", "nbest_predictions", "null_odds")
        }
    contents = {"predictions": preds, "nbest_predictions": nbest, "null_odds": odds}
    paths = writers.write(tmp_path / "out", names, contents)
    assert "" not in [preds[q] for q in preds if nbest[q][0]["text"]]
    data = _load_quietly(tmp_path / "out", dev=_dev(tmp_path, golds))
    assert data.feature_names == [
        "answer_class_score",
        "span_start_log_prob",
        "span_end_log_prob",
    ]
    assert data.margin_columns == (["answer_class_score"], None)
    assert data.reader == "beam_search" and data.score_kind == "class score"
    assert_array_equal(data.data[:, 0], [odds[q] for q in data.ids])
    assert data.span_text == [preds[q] or None for q in data.ids]
    top = [nbest[q][0] for q in data.ids]
    assert_array_equal(
        data.data[:, 1], [e.get("start_log_prob", e.get("start_logit")) for e in top]
    )
    paths["null_odds"].unlink()
    with pytest.raises(
        ValueError, match=r"hold no null score; give the run's null_odds"
    ):
        load_reader_outputs(tmp_path / "out")


def test_beam_search_question_without_span_keeps_the_placeholder(tmp_path):
    examples, features, golds = writers.model_outputs(6, 6)
    for f in features:
        if f["example_id"] == "q2":
            f["start_top_index"][:] = 1  # a question token: no valid span
    preds, nbest, odds = writers.postprocess_with_beam_search(examples, features)
    assert nbest["q2"] == [
        {"text": "", "start_logit": -1e-6, "end_logit": -1e-6, "probability": 1.0}
    ]
    names = {k: f"{k}.json" for k in ("predictions", "nbest_predictions", "null_odds")}
    writers.write(
        tmp_path,
        names,
        {"predictions": preds, "nbest_predictions": nbest, "null_odds": odds},
    )
    with pytest.warns(
        UserWarning, match=r"1 question\(s\) have no candidate span.*'q2'"
    ):
        data = load_reader_outputs(tmp_path, dev=_dev(tmp_path, golds))
    assert data.no_span[2] and data.span_text[2] is None
    assert_array_equal(data.data[2], [odds["q2"], -1e-6, -1e-6])


def _jse_folder(folder, examples, features, host):
    preds, nbest, odds, best = writers.get_predictions(examples, features)
    names = {
        "predictions": f"dev_results_{host}.json",
        "nbest_predictions": f"dev_results_nbest_{host}.json",
        "null_odds": "null_logods.json",
    }
    writers.write(
        folder,
        names,
        {"predictions": preds, "nbest_predictions": nbest, "null_odds": odds},
    )
    return preds, odds, best


def test_joint_span_extraction_folder(tmp_path):
    examples, features, golds = writers.model_outputs(7, 60)
    folder = tmp_path / ".data" / "squad2"
    preds, odds, best = _jse_folder(folder, examples, features, "knot01")
    data = _load_quietly(folder, dev=_dev(tmp_path, golds))
    assert data.feature_names == ["null_score", "span_score"]
    assert data.reader == "joint_span_extraction"
    assert data.score_kind == "logit difference"
    assert data.span_text == [best[q] for q in data.ids]
    assert_allclose(_margin(data), [odds[q] for q in data.ids], rtol=1e-12)
    assert_array_equal(_margin(data) > 0, [preds[q] == "" for q in data.ids])
    # A second host: choose it by name; null_logods.json is the last run's.
    _, other, _ = writers.model_outputs(8, 60)
    _, _odds2, best2 = _jse_folder(folder, examples, other, "knot02")
    with pytest.raises(ValueError, match=r"2 runs \(dev_results_\*knot01.json, "):
        load_reader_outputs(folder)
    data = _load_quietly(folder, prefix="knot02")
    assert data.span_text == [best2[q] for q in data.ids]
    with pytest.warns(UserWarning, match="null_odds is not the n-best's"):
        load_reader_outputs(folder, prefix="knot01")


def test_official_na_prob_convention(tmp_path):
    examples, features, golds = writers.model_outputs(9, 60)
    _, _nbest, odds, best = writers.postprocess_qa_predictions(examples, features)
    na_prob = {q: float(1 / (1 + np.exp(-v))) for q, v in odds.items()}
    writers.write(
        tmp_path,
        {"p": "predictions.json", "n": "na_prob.json"},
        {"p": best, "n": na_prob},
    )
    dev = _dev(tmp_path, golds)
    data = _load_quietly(tmp_path, dev=dev)
    assert data.feature_names == ["na_prob"] and data.score_kind == "probability"
    assert data.span_text == [best[q] for q in data.ids]
    alone = _load_quietly(tmp_path / "na_prob.json", dev=dev)
    assert alone.reader == "na_prob" and alone.span_text is None
    # fit's threshold is the official script's --na-prob-thresh.
    model = tmp_path / "m.skops"
    argv = [
        "fit",
        str(tmp_path),
        "--dev",
        str(dev),
        "--model",
        "margin",
        "--tune",
        "em",
    ]
    assert main([*argv, "-o", str(model), "--json", "-q"]) == 0
    na_prob["x"] = 2.0
    write_json(tmp_path / "na_prob.json", na_prob)
    with pytest.raises(ValueError, match=r"na_prob is 2.0, expected a probability"):
        load_reader_outputs(tmp_path / "na_prob.json")


def _fit(capsys, folder, dev, *extra, tune="squad_em"):
    argv = ["fit", str(folder), "--dev", str(dev), "--model", "margin", "--tune", tune]
    status = main([*argv, *extra, "-o", str(folder.parent / "m.skops"), "-q"])
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


def test_fit_states_the_threshold_in_the_readers_terms(tmp_path, capsys):
    examples, features, golds = writers.model_outputs(10, 80)
    dev = _dev(tmp_path, golds)
    _, nbest, odds, best = writers.postprocess_qa_predictions(examples, features)
    na_prob = {q: float(1 / (1 + np.exp(-v))) for q, v in odds.items()}
    writers.write(
        tmp_path / "na",
        {"p": "predictions.json", "n": "na_prob.json"},
        {"p": best, "n": na_prob},
    )
    report = json.loads(_fit(capsys, tmp_path / "na", dev, "--json"))
    assert report["score_kind"] == "probability"
    assert "null_score_diff_threshold" not in report
    # The official script, given that threshold, scores the fit's decisions.
    t = report["na_prob_thresh"]
    dataset = squad_dev(golds)["data"]
    expected = official.evaluate(dataset, best, na_prob, na_prob_thresh=t)
    assert report["report"]["exact"] == pytest.approx(expected["exact"])
    assert report["report"]["f1"] == pytest.approx(expected["f1"])
    assert f"--na-prob-thresh {t:.6g}" in _fit(capsys, tmp_path / "na", dev)

    preds, nbest, cls = writers.postprocess_with_beam_search(examples, features)
    names = {k: f"{k}.json" for k in ("predictions", "nbest_predictions", "null_odds")}
    writers.write(
        tmp_path / "beam",
        names,
        {"predictions": preds, "nbest_predictions": nbest, "null_odds": cls},
    )
    out = _fit(capsys, tmp_path / "beam", dev)
    assert "--na-prob-file null_odds.json --na-prob-thresh" in out
    assert "run_qa_beam_search.py has no threshold" in out
    assert "null_score_diff_threshold" not in out

    _jse_folder(tmp_path / "jse", examples, features, "host")
    out = _fit(capsys, tmp_path / "jse", dev)
    assert "get_predictions(..., threshold=" in out and "null_logods" in out

    _run_qa_folder(tmp_path / "qa", examples, features)
    assert "--null_score_diff_threshold" in _fit(capsys, tmp_path / "qa", dev)
    # A lone null_odds file could be either reader's: both are named.
    out = _fit(capsys, tmp_path / "beam" / "null_odds.json", dev, tune="accuracy")
    assert "--null_score_diff_threshold" in out and "--na-prob-thresh" in out


def test_warnings_name_the_callers_line(tmp_path):
    examples, features, golds = writers.model_outputs(11, 10)
    _, odds, _ = _run_qa_folder(tmp_path, examples, features)
    odds["q1"] += 1.0
    write_json(tmp_path / "eval_null_odds.json", odds)
    dev = _dev(tmp_path, {**golds, "extra": []})
    other = scaled_run(tmp_path, tmp_path / "other")
    for path in (tmp_path, [tmp_path, other]):
        names = None if path == tmp_path else ["a", "b"]
        with pytest.warns(UserWarning) as record:
            load_reader_outputs(path, dev=dev, subset="intersection", names=names)
        # The dev file's extra question, and q1's null_odds.
        assert len(record) == 2 * (1 if names is None else 2)
        assert {w.filename for w in record} == {__file__}


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    reader_dtype=st.sampled_from([np.float16, np.float32, np.float64]),
)
def test_best_span_is_the_first_of_the_readers_own_ranking(data, reader_dtype):
    # Oracle: a reader ranks candidates by start + end in its own precision
    # (stable sort) and answers with the first non-null one; logits of a
    # float16 or float32 model, summed in that precision or in float64.
    # Logits in [16, 32), on the finest grid of their storage precision, so
    # that sums (in [32, 64)) often round, and tie, in that precision.
    step = 2.0**-6 if reader_dtype is np.float16 else 2.0**-19
    grid = st.integers(0, 40).map(lambda k: 16.0 + k * step)
    n = data.draw(st.integers(2, 12))
    logits = data.draw(st.lists(st.tuples(grid, grid), min_size=n, max_size=n))
    entries = [
        {"text": f"span {k}", "start_logit": s, "end_logit": e}
        for k, (s, e) in enumerate(logits)
    ]
    entries.append({"text": "", "start_logit": 0.5, "end_logit": 0.25})
    ranked = sorted(
        entries,
        key=lambda x: reader_dtype(x["start_logit"]) + reader_dtype(x["end_logit"]),
        reverse=True,
    )
    _, _, _, texts, _, _ = nbest_columns({"q": ranked}, ["q"], "nbest.json")
    assert texts == [next(x["text"] for x in ranked if x["text"])]
