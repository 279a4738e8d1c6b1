"""Gold answers from a SQuAD 2.0 dev set: official JSON or squad_v2 records."""

from itertools import accumulate, chain
from operator import itemgetter, methodcaller

from ._base import check_unique, short
from ._json import read_json


def read_dev_answers(path) -> dict[str, list[str]]:
    """Map each question id of a dev file to its gold answer texts.

    Reads the official SQuAD JSON (``{"data": [{"paragraphs": [{"qas":
    ...}]}]}``) and the records of the transformers ``squad_v2`` dataset
    (``id``, ``answers: {"text": [...], "answer_start": [...]}``) that
    ``Dataset.to_json`` writes as JSON lines, or a JSON array of them. An
    unanswerable question maps to ``[]``: it has no answers, as the official
    script decides (``has_ans = bool(answers)``).
    """
    content = read_json(
        path,
        what="SQuAD JSON or squad_v2 records (JSON lines, or a JSON array)",
        lines=True,
    )
    if isinstance(content, dict) and "data" in content:
        pairs = _plain_squad_questions(content["data"])
        if pairs is None:  # the checked pass names what is wrong
            pairs = list(_squad_questions(content["data"], path))
    elif isinstance(content, list) and all(isinstance(r, dict) for r in content):
        pairs = [_record_answers(r, path, i) for i, r in enumerate(content, 1)]
    else:
        raise ValueError(
            f"{path}: expected SQuAD JSON (an object with 'data') or squad_v2 "
            "records (JSON lines, or a JSON array of objects with 'id' and "
            "'answers')."
        )
    if not pairs:
        raise ValueError(f"{path}: the dev file holds no questions.")
    check_unique([qid for qid, _ in pairs], path)
    return dict(pairs)


def _expect(condition, path, where, expected, found):
    if not condition:
        raise ValueError(f"{path}: {where} is {short(found)}, expected {expected}.")


def _squad_questions(data, path):
    """Yield ``(id, answers)`` from the official format's nested lists."""
    _expect(isinstance(data, list), path, "'data'", "a list of articles", type(data))
    for article in data:
        paragraphs = article.get("paragraphs") if isinstance(article, dict) else None
        _expect(
            isinstance(paragraphs, list),
            path,
            "an article's 'paragraphs'",
            "a list",
            paragraphs,
        )
        for paragraph in paragraphs:
            qas = paragraph.get("qas") if isinstance(paragraph, dict) else None
            _expect(isinstance(qas, list), path, "a paragraph's 'qas'", "a list", qas)
            for qa in qas:
                yield _squad_answers(qa, path)


_ABSENT = object()


def _plain_squad_questions(data):
    """`_squad_questions` in whole-file passes; None unless all is well formed.

    Checks what `_squad_questions` checks, level by level with C-level maps
    rather than per question in Python.
    """
    try:
        paragraphs = _flat(map(itemgetter("paragraphs"), _all_of(data, dict)))
        qas = _all_of(_flat(map(itemgetter("qas"), _all_of(paragraphs, dict))), dict)
        ids = _all_of(list(map(itemgetter("id"), qas)), str)
        answers = _all_of(list(map(itemgetter("answers"), qas)), list)
        texts = _all_of(list(map(itemgetter("text"), _flat(answers))), str)
    except (KeyError, TypeError):
        return None
    impossible = map(methodcaller("get", "is_impossible", _ABSENT), qas)
    for flag, given in zip(impossible, answers, strict=True):
        if flag is not _ABSENT and (type(flag) is not bool or flag == bool(given)):
            return None
    ends = list(accumulate(map(len, answers)))
    starts = [0, *ends[:-1]]
    per_question = map(texts.__getitem__, map(slice, starts, ends))
    return list(zip(ids, per_question, strict=True))


def _flat(lists):
    """Return the items of `lists`, in order; a TypeError unless all are lists."""
    lists = _all_of(list(lists), list)
    return list(chain.from_iterable(lists))


def _all_of(values, kind):
    """Return `values` if it is a list of `kind` only; a TypeError otherwise."""
    if not isinstance(values, list) or set(map(type, values)) - {kind}:
        raise TypeError
    return values


def _question_id(record, path, where):
    qid = record.get("id") if isinstance(record, dict) else None
    _expect(isinstance(qid, str), path, f"the 'id' of {where}", "a string", qid)
    return qid


def _squad_answers(qa, path):
    qid = _question_id(qa, path, "a question")
    answers = qa.get("answers")
    # Checked before the message is written: most questions are well formed.
    if not (
        isinstance(answers, list)
        and all(isinstance(a, dict) and isinstance(a.get("text"), str) for a in answers)
    ):
        _expect(
            False,
            path,
            f"question {short(qid)}: 'answers'",
            "a list of objects with a string 'text'",
            answers,
        )
    if "is_impossible" in qa:
        impossible = qa["is_impossible"]
        if not isinstance(impossible, bool):
            _expect(
                False,
                path,
                f"question {short(qid)}: 'is_impossible'",
                "a JSON boolean (true or false)",
                impossible,
            )
        if impossible == bool(answers):
            raise ValueError(
                f"{path}: question {short(qid)} has is_impossible={impossible} but "
                f"{len(answers)} answer(s); expected no answers exactly when "
                "is_impossible is true."
            )
    return qid, [a["text"] for a in answers]


def _record_answers(record, path, number):
    qid = _question_id(record, path, f"record {number}")
    answers = record.get("answers")
    texts = answers.get("text") if isinstance(answers, dict) else None
    if not (isinstance(texts, list) and all(isinstance(t, str) for t in texts)):
        _expect(
            False,
            path,
            f"question {short(qid)}: 'answers'",
            "an object with a list of strings 'text' (squad_v2 format)",
            answers,
        )
    return qid, list(texts)
