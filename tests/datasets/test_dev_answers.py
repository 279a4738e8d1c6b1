"""A dev file reads as the official script reads it, or fails in one line."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfusion.datasets._dev import read_dev_answers
from tests import _official_eval as official

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


def _is_list_of(value, check):
    return type(value) is list and all(check(item) for item in value)


def _well_formed_qa(qa):
    if type(qa) is not dict or type(qa.get("id")) is not str:
        return False
    answers = qa.get("answers")
    texts = _is_list_of(
        answers, lambda a: type(a) is dict and type(a.get("text")) is str
    )
    flag = qa.get("is_impossible", not answers if texts else None)
    return texts and type(flag) is bool and flag == (not answers)


def _well_formed(data):
    """The format as SQuAD 2.0 documents it, written with plain type checks."""
    return _is_list_of(
        data,
        lambda article: (
            type(article) is dict
            and _is_list_of(
                article.get("paragraphs"),
                lambda p: (
                    type(p) is dict and _is_list_of(p.get("qas"), _well_formed_qa)
                ),
            )
        ),
    )


@settings(max_examples=500, deadline=None)
@given(data=_data())
def test_a_dev_file_reads_as_the_official_script_or_fails_in_one_line(
    data, tmp_path_factory
):
    path = tmp_path_factory.mktemp("dev") / "dev.json"
    path.write_text(json.dumps({"data": data}))
    ids = [
        qa["id"] for a in data for p in a["paragraphs"] for qa in p["qas"]
    ] if _well_formed(data) else []  # fmt: skip
    if ids and len(set(ids)) == len(ids):
        assert read_dev_answers(path) == official.questions(data)
        return
    with pytest.raises(ValueError, match=r"dev.json: ") as info:
        read_dev_answers(path)
    assert "\n" not in str(info.value)


def test_a_null_is_impossible_is_not_taken_for_an_absent_one(tmp_path):
    qas = [{"id": "q1", "answers": [], "is_impossible": None}]
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({"data": [{"paragraphs": [{"qas": qas}]}]}))
    with pytest.raises(ValueError, match=r"'is_impossible' is None, expected a JSON"):
        read_dev_answers(path)
