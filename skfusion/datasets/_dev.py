"""Gold answers and articles of a SQuAD 2.0 dev set: official JSON or squad_v2."""

import numpy as np

from ._base import check_unique, few, short
from ._json import read_json


def read_dev(path):
    """Return ``(id, answers, article, paragraph)`` of each question of a dev file."""
    # Unanswerable: no answers, as the official script decides. A record's
    # article is its title, else its context; its paragraph, its context.
    what = "SQuAD JSON or squad_v2 records (JSON lines, or a JSON array)"
    if str(path).endswith(".parquet"):
        content = _parquet_records(path)
    else:
        content = read_json(path, what=what, lines=True)
    if isinstance(content, dict) and "data" in content:
        found = list(_squad_questions(content["data"], path))
        version = str(content.get("version", "")).lstrip("v")
        if version.startswith("1.") and all(answers for _, answers, *_ in found):
            raise ValueError(
                f"{path}: is a SQuAD {version} dev file: all {len(found)} questions "
                "are answerable, so there is no no-answer decision to learn; give "
                "the SQuAD 2.0 dev file (dev-v2.0.json)."
            )
    elif isinstance(content, list) and all(isinstance(r, dict) for r in content):
        found = [_record(r, path, i) for i, r in enumerate(content, 1)]
    else:
        raise ValueError(
            f"{path}: expected SQuAD JSON (an object with 'data') or squad_v2 "
            "records (JSON lines, or a JSON array of objects with 'id' and "
            "'answers')."
        )
    if not found:
        raise ValueError(f"{path}: the dev file holds no questions.")
    check_unique([qid for qid, *_ in found], path)
    return found


def _parquet_records(path):
    try:
        import pyarrow.parquet  # optional and heavy: only for parquet files
    except ImportError as exc:
        raise ImportError(
            f"{path}: reading parquet needs pyarrow, which could not be imported "
            f"({exc}): pip install pyarrow (in a clone of skfusion, the parquet "
            "extra: pip install -e '.[parquet]')."
        ) from None
    try:
        return pyarrow.parquet.read_table(path).to_pylist()
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise ValueError(
            f"{path}: not a readable parquet file ({short(str(exc), 120)}); "
            "expected squad_v2 records."
        ) from None


def read_dev_answers(path) -> dict[str, list[str]]:
    """Map each question id of a dev file to its gold answer texts."""
    return {qid: answers for qid, answers, *_ in read_dev(path)}


def read_dev_articles(path, level="article") -> dict[str, str]:
    """Map each question id of a dev file to its article (or paragraph), if named."""
    column = 2 if level == "article" else 3
    return {row[0]: row[column] for row in read_dev(path) if row[column] is not None}


def _refuse(path, where, expected, found):
    raise ValueError(f"{path}: {where} is {short(found)}, expected {expected}.")


def _squad_questions(data, path):
    if not isinstance(data, list):
        _refuse(path, "'data'", "a list of articles", type(data))
    for number, article in enumerate(data):
        paragraphs = article.get("paragraphs") if isinstance(article, dict) else None
        if not isinstance(paragraphs, list):
            _refuse(path, "an article's 'paragraphs'", "a list", paragraphs)
        title = article.get("title")
        title = title if isinstance(title, str) else f"article {number}"
        for position, paragraph in enumerate(paragraphs):
            qas = paragraph.get("qas") if isinstance(paragraph, dict) else None
            if not isinstance(qas, list):
                _refuse(path, "a paragraph's 'qas'", "a list", qas)
            for qa in qas:
                yield *_answers(qa, path), title, f"{title} #{position}"


def _question_id(record, path, where):
    qid = record.get("id") if isinstance(record, dict) else None
    if not isinstance(qid, str):
        _refuse(path, f"the 'id' of {where}", "a string", qid)
    return qid


def _answers(qa, path):
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


def _record(record, path, number):
    qid = _question_id(record, path, f"record {number}")
    answers = record.get("answers")
    texts = answers.get("text") if isinstance(answers, dict) else None
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        expected = "an object with a list of strings 'text' (squad_v2 format)"
        _refuse(path, f"question {short(qid)}: 'answers'", expected, answers)
    title, context = record.get("title", record.get("context")), record.get("context")
    return (
        qid,
        list(texts),
        title if isinstance(title, str) else None,
        context if isinstance(context, str) else None,
    )


def load_articles(dev, ids, *, level="article") -> np.ndarray:
    """Return the article (or paragraph) of each question, from a dev file.

    Questions on one article are not independent draws: give these groups
    to `skfusion.model_selection.compare_estimators` to keep them together.

    Parameters
    ----------
    dev : str or path-like
        The dev file, as `load_reader_outputs` reads it: articles are named
        by their ``title`` (squad_v2 records without one: ``context``).
    ids : array-like of str
        Question ids, e.g. the ``ids`` of `load_reader_outputs`.
    level : {"article", "paragraph"}, default="article"
        Each question's article title, or its paragraph (the title and the
        paragraph's position; a record's ``context``).

    Returns
    -------
    articles : ndarray of shape (n_questions,) of object
        Each question's article (or paragraph).

    See Also
    --------
    load_reader_outputs : Loads the scores of the same questions.

    Examples
    --------
    >>> from skfusion.datasets import (
    ...     load_articles, load_reader_outputs, write_squad_example)
    >>> paths = write_squad_example("example", n_questions=300)
    >>> data = load_reader_outputs("example", dev=paths["dev"])
    >>> articles = load_articles(paths["dev"], data.ids)
    >>> articles.shape, len(set(articles)) > 1
    ((300,), True)
    """
    found = read_dev_articles(dev, level)
    missing = [qid for qid in ids if qid not in found]
    if missing:
        raise ValueError(
            f"{dev}: {len(missing)} question(s) have no {level}, e.g. {few(missing)}."
        )
    return np.array([found[qid] for qid in ids], dtype=object)
