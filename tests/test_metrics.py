"""SQuAD metrics against the official evaluation script's logic."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfusion.metrics import (
    answer_credit,
    exact_match,
    f1_overlap,
    normalize_answer,
    squad2_credit,
    squad2_report,
    squad2_sample_weight,
)
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
