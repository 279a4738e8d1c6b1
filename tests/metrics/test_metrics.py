"""SQuAD metrics against the official evaluation script's logic."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from skfusion.metrics import (
    answer_credit,
    exact_match,
    f1_overlap,
    no_answer_report,
    normalize_answer,
    squad2_credit,
    squad2_report,
    squad2_sample_weight,
    tuning_sample_weight,
)
from skfusion.metrics._squad import _answer_credits, _normalize_all
from tests import _official_eval as official
from tests._builders import squad_dev

TEXTS = st.text(alphabet=st.sampled_from("ab the,.!  A"), max_size=12)


@pytest.mark.parametrize(
    ("gold", "pred", "em", "f1"),
    [
        ("The Eiffel Tower", "eiffel tower!", 1, 1.0),
        ("Paris, France", "Paris", 0, 2 / 3),
        ("a cat", "the dog", 0, 0.0),
        ("", "", 1, 1.0),
    ],
)
def test_normalisation_em_and_f1(gold, pred, em, f1):
    assert exact_match(gold, pred) == em
    assert f1_overlap(gold, pred) == pytest.approx(f1)
    assert normalize_answer("  An  Apple, the  pie ") == "apple pie"


@settings(max_examples=300, deadline=None)
@given(golds=st.lists(TEXTS, max_size=3), prediction=TEXTS)
def test_credit_is_the_official_raw_score(golds, prediction):
    dataset = squad_dev({"q": golds})["data"]
    exact, f1 = official.raw_scores(official.questions(dataset), {"q": prediction})
    assert answer_credit(golds, prediction) == (exact["q"], pytest.approx(f1["q"]))


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.booleans(), st.booleans(), st.sampled_from(["x", "y", "the", ""])),
        min_size=1,
        max_size=30,
    )
)
def test_report_is_the_official_report(rows):
    """Decisions on questions with gold "x" (answerable) or none, spans x/y/the."""
    golds = {
        f"q{i}": [] if unanswerable else ["x"]
        for i, (unanswerable, _, _) in enumerate(rows)
    }
    spans = [span for _, _, span in rows]
    predicted_null = np.array([null for _, null, _ in rows])
    unanswerable = np.array([u for u, _, _ in rows])
    em, f1 = zip(
        *(answer_credit(golds[f"q{i}"], s) for i, s in enumerate(spans)), strict=True
    )
    preds = {
        f"q{i}": "" if null else s
        for i, (s, null) in enumerate(zip(spans, predicted_null, strict=True))
    }
    expected = official.evaluate(squad_dev(golds)["data"], preds)
    assert squad2_report(predicted_null, unanswerable, em, f1) == pytest.approx(
        expected
    )


def test_credit_and_weights_add_up_to_the_total():
    rng = np.random.RandomState(0)
    unanswerable = rng.rand(200) < 0.5
    credit = np.where(rng.rand(200) < 0.2, 1.0, rng.rand(200).round(2))
    predicted_null = rng.rand(200) < 0.5
    total = squad2_credit(predicted_null, unanswerable, credit).sum()
    weight = squad2_sample_weight(unanswerable, credit)
    correct = predicted_null == unanswerable
    constant = credit[unanswerable].sum()
    assert total == pytest.approx((weight * correct).sum() + constant)


def _accuracy_oracle(predicted_null, unanswerable):
    """The official script's percentages where every answered span is right."""
    golds = {f"q{i}": [] if u else ["x"] for i, u in enumerate(unanswerable)}
    preds = {f"q{i}": "" if n else "x" for i, n in enumerate(predicted_null)}
    expected = official.evaluate(squad_dev(golds)["data"], preds)
    return {
        key.replace("exact", "accuracy"): value
        for key, value in expected.items()
        if "f1" not in key
    }


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=30))
def test_report_without_credit_is_the_official_percentage(rows):
    unanswerable = np.array([u for u, _ in rows])
    predicted_null = np.array([n for _, n in rows])
    report = no_answer_report(predicted_null, unanswerable)
    assert report == pytest.approx(_accuracy_oracle(predicted_null, unanswerable))
    em = (~unanswerable).astype(float)
    assert no_answer_report(predicted_null, unanswerable, em, em) == pytest.approx(
        squad2_report(predicted_null, unanswerable, em, em)
    )


def test_tuning_sample_weight_makes_accuracy_the_squad_total():
    rng = np.random.RandomState(1)
    unanswerable = rng.rand(300) < 0.4
    em = (rng.rand(300) < 0.7).astype(float)
    f1 = np.maximum(em, rng.rand(300).round(2))
    assert tuning_sample_weight(unanswerable, "accuracy", em=em, f1=f1) is None
    for tune, credit in (("squad_em", em), ("squad_f1", f1)):
        weight = tuning_sample_weight(unanswerable, tune, em=em, f1=f1)
        # Weighted correct decisions minus the SQuAD total is one constant.
        gaps = set()
        for _ in range(5):
            predicted_null = rng.rand(300) < 0.5
            correct = predicted_null == unanswerable
            total = squad2_credit(predicted_null, unanswerable, credit).sum()
            gaps.add(round(weight[correct].sum() - total, 9))
        assert len(gaps) == 1
    with pytest.raises(ValueError, match="tune='squad_em' needs each question's em"):
        tuning_sample_weight(unanswerable, "squad_em", f1=f1)
    with pytest.raises(ValueError, match="tune='auc' must be one of"):
        tuning_sample_weight(unanswerable, "auc", em=em)


@pytest.mark.parametrize("old", ["em", "f1"])
def test_former_tune_names_are_refused(old):
    # "em" and "f1" were renamed before any release: no alias is kept.
    with pytest.raises(ValueError, match=rf"tune='{old}' must be one of"):
        tuning_sample_weight([True, False], old, em=[0.0, 1.0], f1=[0.0, 1.0])


# Unicode punctuation and white space (which the official script keeps and
# splits on, respectively), letters whose lower case changes length, and
# ASCII punctuation around the articles.
_UNICODE = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n\r\x0b\x0c\x1c\x85\xa0"
            "\u2003\u2028\u3000\u2010\u201c\u201d\u00ab\u00bb\u30fb\uff01"
            "İẞΣςaAnNtThHeE"
        ),
        st.characters(),
    ),
    max_size=20,
)


@settings(max_examples=500, deadline=None)
@given(text=_UNICODE)
def test_normalisation_is_the_official_one_on_unicode(text):
    assert normalize_answer(text) == official.normalize(text)


@settings(max_examples=300, deadline=None)
@given(golds=st.lists(_UNICODE, max_size=3), prediction=_UNICODE)
def test_credit_is_the_official_raw_score_exactly(golds, prediction):
    dataset = squad_dev({"q": golds})["data"]
    exact, f1 = official.raw_scores(official.questions(dataset), {"q": prediction})
    assert answer_credit(golds, prediction) == (exact["q"], f1["q"])


_TEXTS_WITH_NUL = st.one_of(_UNICODE, st.sampled_from(["a\0b", "\0", "ΣΑΣ\0Σ"]))


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(_TEXTS_WITH_NUL, max_size=6))
def test_batch_normalisation_is_the_official_one_text_by_text(texts):
    # Joined texts must not lower, strip or drop articles across their ends.
    assert _normalize_all(texts) == [official.normalize(t) for t in texts]


@settings(max_examples=200, deadline=None)
@given(
    questions=st.lists(st.tuples(st.lists(_UNICODE, max_size=3), _UNICODE), max_size=5)
)
def test_batch_credit_is_the_official_raw_score_of_each_question(questions):
    golds = {f"q{i}": g for i, (g, _) in enumerate(questions)}
    predictions = {f"q{i}": p for i, (_, p) in enumerate(questions)}
    dataset = squad_dev(golds)["data"]
    exact, f1 = official.raw_scores(official.questions(dataset), predictions)
    em_all, f1_all = _answer_credits(list(golds.values()), list(predictions.values()))
    assert_array_equal(em_all, [exact[q] for q in golds])
    assert_array_equal(f1_all, [f1[q] for q in golds])


def test_articles_are_dropped_in_a_batch_as_one_by_one():
    texts = ["The cat", "a dog and an apple", "theatre"]
    assert _normalize_all(texts) == ["cat", "dog and apple", "theatre"]
    assert _normalize_all(texts) == [official.normalize(t) for t in texts]


@pytest.mark.parametrize("report", [no_answer_report, squad2_report])
def test_reports_take_integer_labels_as_booleans(report):
    predicted, unanswerable = [1, 1, 0, 0], [1, 0, 0, 1]
    credit = [[0.0, 1.0, 1.0, 0.0]] * 2 if report is squad2_report else []
    as_ints = report(np.array(predicted), np.array(unanswerable), *credit)
    as_bools = report(
        np.array(predicted, dtype=bool), np.array(unanswerable, dtype=bool), *credit
    )
    assert as_ints == as_bools
    assert as_bools["HasAns_total"] == as_bools["NoAns_total"] == 2


def test_a_report_with_em_alone_is_the_accuracy_report():
    unanswerable = np.array([True, False, False])
    predicted = np.array([True, True, False])
    alone = no_answer_report(predicted, unanswerable, em=np.ones(3))
    assert alone == no_answer_report(predicted, unanswerable)
    assert set(alone) == {"accuracy", "total", "HasAns_accuracy", "HasAns_total"} | {
        "NoAns_accuracy",
        "NoAns_total",
    }


def test_batch_credits_are_float_arrays():
    em, f1 = _answer_credits([["Paris"], ["the Seine", "Seine river"]], ["Paris", "x"])
    assert em.dtype == f1.dtype == np.float64
    assert_array_equal(em, [1.0, 0.0])


def test_tuning_weights_of_a_score_key_are_the_squad_weights():
    unanswerable = np.array([True, False, False])
    em, f1 = np.array([0.0, 1.0, 0.0]), np.array([0.2, 1.0, 0.5])
    assert tuning_sample_weight(unanswerable, "accuracy", em=em, f1=f1) is None
    assert_array_equal(
        tuning_sample_weight(unanswerable, "squad_em", em=em, f1=f1),
        squad2_sample_weight(unanswerable, em),
    )
    assert_array_equal(
        tuning_sample_weight(unanswerable, "squad_f1", em=em, f1=f1),
        squad2_sample_weight(unanswerable, f1),
    )
