"""ELECTRA, ALBERT v2, Retro-Reader, the QA pipeline: files written by their code."""

import json
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skfusion.cli import main
from skfusion.datasets import load_reader_outputs
from skfusion.datasets._dev import read_dev_answers
from skfusion.datasets._formats import threshold_advice
from tests import _official_eval as official
from tests import _writers as writers
from tests._builders import squad_dev, squad_v2_records, write_json


def _load_quietly(*args, **kwargs):
    """Load with any warning an error, but the count of spanless questions."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", "(?s).*have no candidate span")
        return load_reader_outputs(*args, **kwargs)


def _dev(tmp_path, golds):
    return write_json(tmp_path / "dev-v2.0.json", squad_dev(golds))


def _fit(capsys, path, dev, *extra, model="margin", tune="squad_f1"):
    argv = ["fit", str(path), "--dev", str(dev), "--model", model, "--tune", tune]
    out = path.parent / "m.skops"
    status = main([*argv, *extra, "-o", str(out), "--json", "-q"])
    stdout, err = capsys.readouterr()
    assert status == 0, err
    return json.loads(stdout)


def _outputs(seed, n_questions):
    """`writers.model_outputs`, no gold answer an article alone.

    The official script scores a prediction "" right on an answerable
    question whose answers all normalise to "" ("a", "the"), where a
    threshold (its apply_no_ans_threshold) scores it wrong: such answers
    would make a blanked predictions file and a threshold disagree.
    """
    examples, features, golds = writers.model_outputs(seed, n_questions)
    golds = {
        q: [a if official.normalize(a) else "Paris" for a in g]
        for q, g in golds.items()
    }
    return examples, features, golds


def _official(golds, preds, **na_probs):
    report = official.evaluate(squad_dev(golds)["data"], preds, **na_probs)
    return report["exact"], report["f1"]


# --- ELECTRA ------------------------------------------------------------------


def _electra_folder(folder, examples, features, golds, **options):
    preds, odds = writers.electra_write_predictions(examples, features, **options)
    folder.mkdir(parents=True)
    # utils.write_json: json.dump, no indent; squad_eval.json beside them.
    (folder / "squad_preds.json").write_text(json.dumps(preds))
    (folder / "squad_null_odds.json").write_text(json.dumps(odds))
    (folder / "squad_eval.json").write_text(json.dumps({"exact": 50.0, "f1": 52.5}))
    return preds, odds


@pytest.mark.parametrize("answerable_classifier", [True, False])
def test_electra_folder_reads_its_spans_and_null_odds(tmp_path, answerable_classifier):
    examples, features, golds = _outputs(30, 60)
    folder = tmp_path / "results" / "squad_qa"
    preds, odds = _electra_folder(
        folder, examples, features, golds, answerable_classifier=answerable_classifier
    )
    data = _load_quietly(folder, dev=_dev(tmp_path, golds))
    assert data.reader == "electra" and data.score_kind == "class score"
    assert data.feature_names == ["answer_class_score"]
    assert_array_equal(data.data[:, 0], [odds[q] for q in data.ids])
    assert data.span_text == [preds[q] for q in data.ids]
    assert data.em is not None  # every span text is known: EM/F1 tuning works
    alone = _load_quietly(folder / "squad_null_odds.json", dev=_dev(tmp_path, golds))
    assert alone.reader == "electra" and alone.span_text is None


def test_electra_advice_is_qa_na_threshold(tmp_path, capsys):
    examples, features, golds = _outputs(31, 80)
    folder = tmp_path / "results" / "squad_qa"
    preds, odds = _electra_folder(folder, examples, features, golds)
    report = _fit(capsys, folder, _dev(tmp_path, golds))
    t = report["qa_na_threshold"]
    assert '"qa_na_threshold": ' in report["apply"]
    # ELECTRA's squad_official_eval: na_prob_thresh is qa_na_threshold.
    exact, f1 = _official(golds, preds, na_probs=odds, na_prob_thresh=t)
    assert report["report"]["exact"] == pytest.approx(exact)
    assert report["report"]["f1"] == pytest.approx(f1)


# --- ALBERT v2 ----------------------------------------------------------------


def _albert_folder(folder, examples, features, golds):
    preds, nbest, odds, threshold = writers.albert_evaluate_v2(
        examples, features, golds
    )
    names = {k: f"{k}.json" for k in ("predictions", "nbest_predictions", "null_odds")}
    contents = {"predictions": preds, "nbest_predictions": nbest, "null_odds": odds}
    writers.write(folder, names, contents)
    return preds, nbest, odds, threshold


def test_albert_v2_takes_spans_from_the_nbest_lists(tmp_path):
    examples, features, golds = _outputs(32, 80)
    preds, nbest, odds, threshold = _albert_folder(
        tmp_path / "out", examples, features, golds
    )
    # evaluate_v2 left predictions.json blanked (>=) at its best-F1 cut
    # (and where the n-best holds only its placeholder, text "").
    blanked = {q for q in odds if odds[q] >= threshold or not nbest[q][0]["text"]}
    assert {q for q in preds if preds[q] == ""} == blanked != set()
    data = _load_quietly(tmp_path / "out", dev=_dev(tmp_path, golds))
    assert data.reader == "albert" and data.score_kind == "class score"
    assert data.span_text == [nbest[q][0]["text"] or None for q in data.ids]
    assert_array_equal(data.data[:, 0], [odds[q] for q in data.ids])


def test_albert_advice_is_write_predictions_v2_with_its_greater_or_equal(
    tmp_path, capsys
):
    examples, features, golds = _outputs(33, 120)
    folder = tmp_path / "out"
    _albert_folder(folder, examples, features, golds)
    report = _fit(capsys, folder, _dev(tmp_path, golds))
    t = report["null_score_diff_threshold"]
    assert "null_odds >= " in report["apply"]
    # ALBERT's own writer at that threshold gives the fit's decisions and scores.
    preds, _, _ = writers.albert_write_predictions_v2(examples, features, threshold=t)
    exact, f1 = _official(golds, preds)
    assert report["report"]["exact"] == pytest.approx(exact)
    assert report["report"]["f1"] == pytest.approx(f1)


def test_albert_threshold_blanks_what_greater_than_blanks():
    # ALBERT blanks where null_odds >= its threshold, skfusion's rule where
    # the score > threshold: on scores at and around it, the two agree.
    t = 0.1
    scores = np.array([np.nextafter(t, -1), t, np.nextafter(t, 1), -3.0, 3.0])
    fields, _ = threshold_advice("albert", "answer_class_score", t)
    given = fields["null_score_diff_threshold"]
    assert_array_equal(scores >= given, scores > t)


def test_xlnet_style_predictions_stay_beam_search(tmp_path):
    examples, features, _ = _outputs(34, 40)
    preds, nbest, odds = writers.albert_write_predictions_v2(examples, features)
    names = {k: f"{k}.json" for k in ("predictions", "nbest_predictions", "null_odds")}
    contents = {"predictions": preds, "nbest_predictions": nbest, "null_odds": odds}
    writers.write(tmp_path, names, contents)
    assert _load_quietly(tmp_path).reader == "beam_search"


# --- Retro-Reader ---------------------------------------------------------------


def _retro_folder(folder, examples, features, golds, names="legacy"):
    writers.sketchy_logits(35, features, golds)
    cls = writers.run_cls_scores(features)
    _, nbest, odds, best = writers.compute_predictions_logits(examples, features)
    kinds = ("predictions", "nbest_predictions", "null_odds")
    files = {k: f"{k}_.json" if names == "legacy" else f"{k}.json" for k in kinds}
    files["cls"] = "cls_score.json"
    contents = {"predictions": best, "nbest_predictions": nbest, "null_odds": odds}
    writers.write(folder, files, {**contents, "cls": cls})
    return cls, nbest, odds, best


@pytest.mark.parametrize("names", ["legacy", "bert"])
def test_retro_reader_folder_joins_both_readers(tmp_path, names):
    examples, features, golds = _outputs(36, 60)
    cls, _, odds, best = _retro_folder(
        tmp_path / "out", examples, features, golds, names
    )
    data = _load_quietly(tmp_path / "out", dev=_dev(tmp_path, golds))
    assert data.reader == "retro_reader" and data.score_kind == "logit difference"
    assert data.feature_names[-1] == "cls_score"
    assert_array_equal(data.data[:, -1], [cls[q] for q in data.ids])
    null, span = data.margin_columns
    columns = data.feature_names
    margin = data.data[:, [columns.index(c) for c in null]].sum(axis=1)
    margin -= data.data[:, [columns.index(c) for c in span]].sum(axis=1)
    assert_allclose(margin, [odds[q] for q in data.ids], rtol=1e-12)
    assert data.span_text == [best[q] for q in data.ids]


def test_lone_cls_score_is_a_class_score(tmp_path, capsys):
    examples, features, golds = _outputs(37, 80)
    cls, nbest, *_ = _retro_folder(tmp_path / "out", examples, features, golds)
    path, dev = tmp_path / "out" / "cls_score.json", _dev(tmp_path, golds)
    data = _load_quietly(path, dev=dev)
    assert data.feature_names == ["cls_score"]
    assert data.margin_columns == (["cls_score"], None)
    assert data.reader == "retro_reader" and data.score_kind == "class score"
    # fit's threshold is run_verifier.py's --thresh on cls_score alone, which
    # also blanks where the n-best's most probable text is "".
    report = _fit(capsys, path, dev, tune="accuracy")
    written = writers.run_verifier([cls], [nbest], thresh=report["thresh"])
    top = {q: max(nbest[q], key=lambda e: e["probability"])["text"] for q in nbest}
    rule = {q: cls[q] > report["threshold"] for q in cls}
    assert all(written[q] == "" for q in cls if rule[q] or not top[q])
    assert all(written[q] for q in cls if not (rule[q] or not top[q]))


def test_retro_reader_fusion_advice_is_run_verifiers_weights(tmp_path, capsys):
    examples, features, golds = _outputs(38, 200)
    folder = tmp_path / "scores"
    cls, nbest, odds, _ = _retro_folder(folder, examples, features, golds, "bert")
    (folder / "nbest_predictions.json").unlink()
    (folder / "predictions.json").unlink()
    report = _fit(
        capsys, folder, _dev(tmp_path, golds), model="fusion", tune="accuracy"
    )
    assert "cof = [" in report["apply"]
    assert report["feature_names"] == ["null_odds", "cls_score"]
    (w_odds, w_cls), b = report["coef"], report["intercept"]
    fused = {q: w_odds * odds[q] + w_cls * cls[q] + b > 0 for q in odds}
    written = writers.run_verifier(
        [cls, odds], [nbest], thresh=report["thresh"], cof=report["cof"]
    )
    # Where the intensive reader's most probable n-best text is a span,
    # run_verifier.py with the fitted cof and --thresh decides as the fusion.
    top = {q: max(nbest[q], key=lambda e: e["probability"])["text"] for q in nbest}
    spans = [q for q in odds if top[q]]
    assert len(spans) > 100 and any(fused[q] for q in spans)
    assert [written[q] == "" for q in spans] == [fused[q] for q in spans]
    # With the n-best lists the fusion weighs per-head logits, which
    # run_verifier.py cannot: skfusion predict applies it.
    _retro_folder(tmp_path / "all", examples, features, golds, "bert")
    report = _fit(capsys, tmp_path / "all", _dev(tmp_path, golds), model="fusion")
    assert "skfusion predict" in report["apply"] and "cof" not in report


# --- transformers' question-answering pipeline -----------------------------------


def test_pipeline_outputs_read_as_probabilities(tmp_path):
    examples, features, _ = _outputs(39, 120)
    outputs = writers.pipeline_outputs(examples, features, top_k=5)
    complete = {
        q: out
        for q, out in outputs.items()
        if {a["answer"] == "" for a in out} == {True, False}
    }
    assert 10 < len(complete) < len(outputs)
    path = write_json(tmp_path / "pipeline.json", complete)
    data = _load_quietly(path)
    assert data.reader == "qa_pipeline" and data.score_kind == "probability"
    assert data.feature_names == ["null_probability", "span_probability"]
    null = [
        next(a["score"] for a in complete[q] if a["answer"] == "") for q in data.ids
    ]
    first_span = [next(a for a in complete[q] if a["answer"]) for q in data.ids]
    assert_array_equal(data.data[:, 0], null)
    assert_array_equal(data.data[:, 1], [a["score"] for a in first_span])
    assert data.span_text == [a["answer"] for a in first_span]
    # The pipeline's own answer is "" exactly where the margin is positive.
    margin = data.data[:, 0] - data.data[:, 1]
    assert_array_equal(margin > 0, [complete[q][0]["answer"] == "" for q in data.ids])
    # A question whose null answer fell out of the top k: refused, counted.
    path = write_json(tmp_path / "all.json", outputs)
    lacking = len(outputs) - len(complete)
    with pytest.raises(ValueError, match=rf"{lacking} question\(s\) lack the null"):
        load_reader_outputs(path)
    one = write_json(
        tmp_path / "top1.json", writers.pipeline_outputs(examples, features)
    )
    with pytest.raises(ValueError, match="features_from_logits"):
        load_reader_outputs(one)


# --- Readers that write no scores ------------------------------------------------


def test_spanbert_folder_points_to_the_lines_that_save_scores(tmp_path):
    examples, features, golds = _outputs(40, 40)
    preds, results = writers.spanbert_evaluate(examples, features, golds)
    write_json(tmp_path / "predictions.json", preds)
    (tmp_path / "eval_results.txt").write_text(results)
    with pytest.raises(ValueError, match="Readers that write no scores"):
        load_reader_outputs(tmp_path, dev=_dev(tmp_path, golds))


# --- Dev files ------------------------------------------------------------------


def test_squad_v2_parquet_dev_file(tmp_path):
    import pyarrow
    import pyarrow.parquet

    examples, features, golds = _outputs(41, 30)
    _run = writers.compute_predictions_logits(examples, features)
    writers.write(
        tmp_path / "out",
        {"n": "nbest_predictions.json"},
        {"n": _run[1]},
    )
    records = squad_v2_records(golds)
    table = pyarrow.Table.from_pylist(records)
    pyarrow.parquet.write_table(table, tmp_path / "validation-00000-of-00001.parquet")
    data = _load_quietly(
        tmp_path / "out", dev=tmp_path / "validation-00000-of-00001.parquet"
    )
    json_dev = _load_quietly(tmp_path / "out", dev=_dev(tmp_path, golds))
    assert_array_equal(data.target, json_dev.target)
    assert_array_equal(data.em, json_dev.em)


def test_unreadable_parquet_is_one_line_naming_it(tmp_path):
    path = tmp_path / "validation.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(ValueError, match="not a readable parquet file") as info:
        read_dev_answers(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError("No module named 'pyarrow'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    path = tmp_path / "dev.parquet"
    path.write_bytes(b"PAR1")
    with pytest.raises(ImportError, match=r"the parquet extra") as info:
        read_dev_answers(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_squad_11_dev_file_is_named(tmp_path):
    dev = squad_dev({"q1": ["Paris"], "q2": ["1889"]})
    dev["version"] = "1.1"
    path = write_json(tmp_path / "dev-v1.1.json", dev)
    with pytest.raises(ValueError, match=r"SQuAD 1.1 .*all 2 questions"):
        read_dev_answers(path)
