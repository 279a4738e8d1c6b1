"""Which article each question of a SQuAD dev file is on."""

import numpy as np

from ._base import few
from ._json import read_json


def read_dev_articles(path, level="article") -> dict[str, str]:
    """Map each question id of a dev file to its article, where it names one.

    The official SQuAD JSON names articles by ``title``; the records of the
    transformers ``squad_v2`` dataset carry ``title`` (else ``context``).
    ``level="paragraph"`` maps each id to its paragraph instead: the
    article's title and the paragraph's position, or a record's
    ``context``.
    Questions of one article share their text and are not independent, so
    the per-question bootstrap resamples whole articles. Questions without
    a string title are left out; the gold answers themselves are read, and
    checked, by `read_dev_answers`.
    """
    content = read_json(
        path,
        what="SQuAD JSON or squad_v2 records (JSON lines, or a JSON array)",
        lines=True,
    )
    articles = {}
    if isinstance(content, dict) and isinstance(content.get("data"), list):
        for number, article in enumerate(content["data"]):
            title = article.get("title") if isinstance(article, dict) else None
            title = title if isinstance(title, str) else f"article {number}"
            for position, paragraph in enumerate(_items(article, "paragraphs")):
                key = title if level == "article" else f"{title} #{position}"
                for qa in _items(paragraph, "qas"):
                    if isinstance(qa, dict) and isinstance(qa.get("id"), str):
                        articles[qa["id"]] = key
    elif isinstance(content, list):
        for record in content:
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                continue
            title = record.get("title", record.get("context"))
            if level != "article":
                title = record.get("context")
            if isinstance(title, str):
                articles[record["id"]] = title
    return articles


def _items(container, key):
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, list) else []


def article_groups(path, ids):
    """Each id's article, or None unless every id has one and there are two+."""
    articles = read_dev_articles(path)
    groups = [articles.get(qid) for qid in ids]
    if any(g is None for g in groups) or len(set(groups)) < 2:
        return None
    return groups


def load_articles(dev, ids, *, level="article") -> np.ndarray:
    """Return the article (or paragraph) of each question, from a dev file.

    Questions on one article share its text, so they are not independent
    draws: give these groups to `skfusion.model_selection.compare_estimators`,
    whose folds and per-question tests then keep them together.

    Parameters
    ----------
    dev : str or path-like
        The official SQuAD JSON (articles named by ``title``) or the
        transformers ``squad_v2`` records (``title``, else ``context``), as
        `load_reader_outputs` reads them.
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
