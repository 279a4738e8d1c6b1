"""The array pass over n-best lists against the checked per-candidate pass."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from skfusion.datasets._nbest import (
    ENTRY_SCORES,
    _precision,
    checked_columns,
    entry_kind,
    nbest_columns,
)
from skfusion.datasets._nbest_fast import plain_columns

# Few distinct values, so that ties (in float16 too) and exact zeros are common.
_SCORES = st.sampled_from([0.0, -0.0, 1.0, 0.5, -2.25, 3.0, 1e-3, 0.1, -7.5, 2048.5])
_TEXTS = st.sampled_from(["", "", "empty", "Seine", "the Seine", "river"])


def _entry(kind, offsets):
    keys = ENTRY_SCORES[kind]
    fields = {"text": _TEXTS, **{key: _SCORES for key in keys}}
    if offsets:
        fields["offsets"] = st.sampled_from([[0, 0], [0, 0], [3, 7]])
    return st.fixed_dictionaries(fields)


@st.composite
def _runs(draw):
    kind = draw(st.sampled_from(sorted(ENTRY_SCORES)))
    offsets = draw(st.booleans())
    n = draw(st.integers(1, 6))
    nbest = {}
    for i in range(n):
        entries = draw(st.lists(_entry(kind, offsets), min_size=1, max_size=6))
        if kind != "log_probs" and draw(st.booleans()):
            null = {"text": "", **{k: draw(_SCORES) for k in ENTRY_SCORES[kind]}}
            entries.insert(draw(st.integers(0, len(entries))), null)
        nbest[f"q{i}"] = entries
    return kind, nbest


@settings(max_examples=300, deadline=None)
@given(_runs())
def test_array_pass_is_the_checked_pass(run):
    kind, nbest = run
    ids = list(nbest)
    kind = entry_kind(nbest, ids)
    found = plain_columns(nbest, ids, kind, ENTRY_SCORES[kind], _precision)
    try:
        expected = checked_columns(nbest, ids, "nbest.json", kind)
    except ValueError:
        assert found is None  # the checked pass raises: no columns given
        return
    assert found is not None
    X, span_text, no_span, dtype = found
    X_ref, text_ref, no_span_ref, dtype_ref = expected
    assert dtype is dtype_ref
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(np.signbit(X), np.signbit(X_ref))
    assert span_text == text_ref
    np.testing.assert_array_equal(no_span, no_span_ref)


def test_an_integer_score_takes_the_checked_pass():
    nbest = {"q": [{"text": "", "start_logit": 0, "end_logit": 1.5}]}
    nbest["q"].append({"text": "Seine", "start_logit": 2, "end_logit": 0.5})
    keys = ENTRY_SCORES["logits"]
    assert plain_columns(nbest, ["q"], "logits", keys, _precision) is None
    _, X, _, texts, _, _ = nbest_columns(nbest, ["q"], "nbest.json")
    assert X.tolist() == [[0.0, 1.5, 2.0, 0.5]] and texts == ["Seine"]


def test_a_candidate_that_is_not_an_object_takes_the_checked_pass():
    null = {"text": "", "start_logit": 0.5, "end_logit": 1.5}
    keys = ENTRY_SCORES["logits"]
    for odd in (1, "text", None, [null], True):
        nbest = {"q": [null, odd]}
        assert plain_columns(nbest, ["q"], "logits", keys, _precision) is None
