"""Gold answers from a SQuAD 2.0 dev set: official JSON or squad_v2 records."""

from ._base import check_unique, short
from ._json import read_json

DEV_WHAT = "SQuAD JSON or squad_v2 records (JSON lines, or a JSON array)"


def read_dev_answers(path) -> dict[str, list[str]]:
    """Map each question id of a dev file to its gold answer texts.

    Reads the official SQuAD JSON (``{"data": [{"paragraphs": [{"qas":
    ...}]}]}``) and the records of the transformers ``squad_v2`` dataset
    (``id``, ``answers: {"text": [...], "answer_start": [...]}``) that
    ``Dataset.to_json`` writes as JSON lines, or a JSON array of them. An
    unanswerable question maps to ``[]``, as the official script decides
    (``has_ans = bool(answers)``).
    """
    content = read_json(path, what=DEV_WHAT, lines=True)
    if isinstance(content, dict) and "data" in content:
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


def _refuse(path, where, expected, found):
    raise ValueError(f"{path}: {where} is {short(found)}, expected {expected}.")


def _squad_questions(data, path):
    """Yield ``(id, answers)`` from the official format's nested lists."""
    if not isinstance(data, list):
        _refuse(path, "'data'", "a list of articles", type(data))
    for article in data:
        paragraphs = article.get("paragraphs") if isinstance(article, dict) else None
        if not isinstance(paragraphs, list):
            _refuse(path, "an article's 'paragraphs'", "a list", paragraphs)
        for paragraph in paragraphs:
            qas = paragraph.get("qas") if isinstance(paragraph, dict) else None
            if not isinstance(qas, list):
                _refuse(path, "a paragraph's 'qas'", "a list", qas)
            for qa in qas:
                yield _squad_answers(qa, path)


def _question_id(record, path, where):
    qid = record.get("id") if isinstance(record, dict) else None
    if not isinstance(qid, str):
        _refuse(path, f"the 'id' of {where}", "a string", qid)
    return qid


def _squad_answers(qa, path):
    qid = _question_id(qa, path, "a question")
    answers = qa.get("answers")
    if not isinstance(answers, list) or not all(
        isinstance(a, dict) and isinstance(a.get("text"), str) for a in answers
    ):
        where, expected = "'answers'", "a list of objects with a string 'text'"
        _refuse(path, f"question {short(qid)}: {where}", expected, answers)
    impossible = qa.get("is_impossible", not answers)
    if not isinstance(impossible, bool):
        where, expected = "'is_impossible'", "a JSON boolean (true or false)"
        _refuse(path, f"question {short(qid)}: {where}", expected, impossible)
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
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        expected = "an object with a list of strings 'text' (squad_v2 format)"
        _refuse(path, f"question {short(qid)}: 'answers'", expected, answers)
    return qid, list(texts)
