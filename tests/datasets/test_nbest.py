"""The reader's choice from n-best lists, against a brute-force oracle."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfusion.datasets._nbest import ENTRY_SCORES, nbest_columns

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
    nbest = {}
    for i in range(draw(st.integers(1, 6))):
        entries = draw(st.lists(_entry(kind, offsets), min_size=1, max_size=6))
        if kind != "log_probs" and draw(st.booleans()):
            null = {"text": "", **{k: draw(_SCORES) for k in ENTRY_SCORES[kind]}}
            entries.insert(draw(st.integers(0, len(entries))), null)
        nbest[f"q{i}"] = entries
    return kind, nbest


def _oracle(nbest, kind):
    """Per question, in plain loops: the reader's null and best span."""
    keys = ENTRY_SCORES[kind]
    beam = kind == "log_probs"
    scores = [
        e[k] for v in nbest.values() for e in v for k in keys if e["text"] or not beam
    ]
    dtype = next(
        t for t in (np.float16, np.float32, np.float64)
        if all(float(t(s)) == s for s in scores)
    )  # fmt: skip
    rows, texts, no_span = [], [], []
    for entries in nbest.values():
        nulls = [
            e for e in entries
            if e["text"] == "" and e.get("offsets", [0, 0]) == [0, 0]
        ]  # fmt: skip
        if not beam and not nulls:
            return None  # no null candidate: an error
        best, best_total = None, None
        for e in entries:
            placeholder = e["text"] == "empty" and not any(e[k] for k in keys)
            if not e["text"] or placeholder:
                continue
            total = dtype(e[keys[0]])
            for k in keys[1:]:
                total = total + dtype(e[k])
            if best is None or total > best_total:
                best, best_total = e, total
        no_span.append(best is None)
        texts.append(None if best is None else best["text"])
        if best is None:
            empty = [e for e in entries if e["text"] == "empty" and not any(
                e[k] for k in keys)]  # fmt: skip
            best = entries[0] if beam else (empty or [dict.fromkeys(keys, 0.0)])[0]
        null = [] if beam else [nulls[0][k] for k in keys]
        rows.append(null + [best[k] for k in keys])
    return np.array(rows), texts, no_span, dtype


@pytest.mark.filterwarnings("ignore:.*no candidate span")
@settings(max_examples=300, deadline=None)
@given(_runs())
def test_the_choice_is_the_brute_force_one(run):
    kind, nbest = run
    expected = _oracle(nbest, kind)
    if expected is None:
        with pytest.raises(ValueError, match="has no null candidate"):
            nbest_columns(nbest, list(nbest), "nbest.json")
        return
    found_kind, X, _, texts, no_span, dtype = nbest_columns(
        nbest, list(nbest), "nbest.json"
    )
    X_ref, texts_ref, no_span_ref, dtype_ref = expected
    assert found_kind == kind and dtype is dtype_ref
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(np.signbit(X), np.signbit(X_ref))
    assert texts == texts_ref
    np.testing.assert_array_equal(no_span, no_span_ref)


def test_integer_scores_are_read_as_numbers():
    nbest = {"q": [{"text": "", "start_logit": 0, "end_logit": 1.5}]}
    nbest["q"].append({"text": "Seine", "start_logit": 2, "end_logit": 0.5})
    _, X, _, texts, _, _ = nbest_columns(nbest, ["q"], "nbest.json")
    assert X.tolist() == [[0.0, 1.5, 2.0, 0.5]] and texts == ["Seine"]


@pytest.mark.parametrize("odd", [1, "text", None, [{"text": ""}], True])
def test_a_candidate_that_is_not_an_object_is_an_error(odd):
    null = {"text": "", "start_logit": 0.5, "end_logit": 1.5}
    with pytest.raises(ValueError, match=r"nbest.json: question 'q': candidate .*"):
        nbest_columns({"q": [null, odd]}, ["q"], "nbest.json")
