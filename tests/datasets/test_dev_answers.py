"""The whole-file pass over a dev file against the checked per-question pass."""

from hypothesis import given, settings
from hypothesis import strategies as st

from skfusion.datasets._dev import _plain_squad_questions, _squad_questions

# Mostly well formed, with every kind of value where a level may go wrong.
_ODD = st.sampled_from([None, 1, "text", True, [], {}])
_TEXT = st.one_of(st.sampled_from(["Seine", "", "the Seine"]), _ODD)


def _maybe(draw, value):
    """`value`, or now and then an odd value in its place."""
    return draw(_ODD) if draw(st.integers(0, 9)) == 0 else value


@st.composite
def _qa(draw, number):
    answers = [
        _maybe(draw, {"text": draw(_TEXT), "answer_start": 0})
        for _ in range(draw(st.integers(0, 3)))
    ]
    qa = {"id": _maybe(draw, f"q{number}"), "answers": _maybe(draw, answers)}
    flag = draw(st.sampled_from(["absent", "right", "wrong", None, 0, 1]))
    if flag == "right" and isinstance(answers, list):
        qa["is_impossible"] = not answers
    elif flag == "wrong" and isinstance(answers, list):
        qa["is_impossible"] = bool(answers)
    elif flag not in ("absent", "right", "wrong"):
        qa["is_impossible"] = flag
    if draw(st.integers(0, 19)) == 0:
        del qa[draw(st.sampled_from(["id", "answers"]))]
    return qa


@st.composite
def _data(draw):
    counter = iter(range(1000))
    articles = []
    for _ in range(draw(st.integers(0, 3))):
        paragraphs = []
        for _ in range(draw(st.integers(0, 3))):
            qas = [draw(_qa(next(counter))) for _ in range(draw(st.integers(0, 3)))]
            paragraphs.append(_maybe(draw, {"context": "c", "qas": _maybe(draw, qas)}))
        articles.append(_maybe(draw, {"title": "t", "paragraphs": paragraphs}))
    return _maybe(draw, articles)


@settings(max_examples=500, deadline=None)
@given(_data())
def test_whole_file_pass_is_the_checked_pass(data):
    found = _plain_squad_questions(data)
    try:
        expected = list(_squad_questions(data, "dev.json"))
    except ValueError:
        assert found is None  # the checked pass raises: it names the fault
        return
    assert found == expected


def test_a_well_formed_file_takes_the_whole_file_pass():
    qas = [
        {"id": "q1", "answers": [{"text": "Seine"}, {"text": "the Seine"}]},
        {"id": "q2", "answers": [], "is_impossible": True},
    ]
    data = [{"paragraphs": [{"qas": qas}, {"qas": []}]}, {"paragraphs": []}]
    assert _plain_squad_questions(data) == [("q1", ["Seine", "the Seine"]), ("q2", [])]


def test_a_null_is_impossible_is_not_taken_for_an_absent_one():
    qas = [{"id": "q1", "answers": [], "is_impossible": None}]
    assert _plain_squad_questions([{"paragraphs": [{"qas": qas}]}]) is None
