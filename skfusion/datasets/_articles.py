"""Which article each question of a SQuAD dev file is on."""

import numpy as np

from ._base import few
from ._dev import DEV_WHAT
from ._json import read_json


def read_dev_articles(path) -> dict[str, str]:
    """Map each question id of a dev file to its article, where it names one.

    The official SQuAD JSON names articles by ``title``; the ``squad_v2``
    records carry ``title`` (else ``context``). Questions without a string
    title are left out; `read_dev_answers` reads, and checks, the answers.
    """
    content = read_json(path, what=DEV_WHAT, lines=True)
    articles = {}
    if isinstance(content, dict) and isinstance(content.get("data"), list):
        for number, article in enumerate(content["data"]):
            title = article.get("title") if isinstance(article, dict) else None
            title = title if isinstance(title, str) else f"article {number}"
            for paragraph in _items(article, "paragraphs"):
                for qa in _items(paragraph, "qas"):
                    if isinstance(qa, dict) and isinstance(qa.get("id"), str):
                        articles[qa["id"]] = title
    elif isinstance(content, list):
        for record in content:
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                continue
            title = record.get("title", record.get("context"))
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


def load_articles(dev, ids) -> np.ndarray:
    """Return the article of each question, from a SQuAD 2.0 dev file.

    Questions on one article share its text, so they are not independent
    draws: give these groups to `skfusion.model_selection.compare_estimators`
    and its per-question bootstrap resamples whole articles.

    Parameters
    ----------
    dev : str or path-like
        The official SQuAD JSON (articles named by ``title``) or the
        transformers ``squad_v2`` records (``title``, else ``context``), as
        `load_reader_outputs` reads them.
    ids : array-like of str
        Question ids, e.g. the ``ids`` of `load_reader_outputs`.

    Returns
    -------
    articles : ndarray of shape (n_questions,) of object
        Each question's article title.

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
    found = read_dev_articles(dev)
    missing = [qid for qid in ids if qid not in found]
    if missing:
        raise ValueError(
            f"{dev}: {len(missing)} question(s) have no article title, e.g. "
            f"{few(missing)}."
        )
    return np.array([found[qid] for qid in ids], dtype=object)
