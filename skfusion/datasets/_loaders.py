"""Loaders for the files a QA researcher has after evaluating a reader.

Each returns a `sklearn.utils.Bunch` with ``data`` (n x k scores),
``feature_names``, ``target`` (True = unanswerable), ``ids`` (question ids),
``em`` and ``f1`` (each answerable question's EM / F1 of its best span, or
None where unknown), ``span_text`` (best span per question, or None), and
``margin_columns``, the ``(null_column, span_column)`` of BERT's rule.
"""

import collections
import csv
import io
import json
import pickle

import numpy as np
from sklearn.utils import Bunch

from ._simulate import FEATURE_NAMES
from ._squad import _few, best_span_credit, read_dev_answers


def _safe_torch_storage(data):
    """Rebuild a pickled torch storage without running arbitrary code.

    torch's own ``_load_from_bytes`` loads with ``weights_only=False``.
    """
    import torch

    return torch.load(io.BytesIO(data), weights_only=True)


class _RestrictedUnpickler(pickle.Unpickler):
    """Admit plain containers, numbers, strings, numpy and torch arrays only."""

    _ALLOWED = {
        ("builtins", "dict"),
        ("builtins", "list"),
        ("builtins", "tuple"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "float"),
        ("builtins", "int"),
        ("builtins", "bool"),
        ("builtins", "str"),
        ("builtins", "complex"),
        ("collections", "OrderedDict"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("torch._utils", "_rebuild_tensor_v2"),
    }

    def find_class(self, module, name):
        if (module, name) == ("torch.storage", "_load_from_bytes"):
            return _safe_torch_storage
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load {module}.{name}: the scores pickle may hold only "
            "dicts, lists, numbers, strings and numpy or torch arrays."
        )


def _finite_or_raise(X, ids, what):
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{bad.sum()} question(s) have non-finite {what}, e.g. "
            f"{_few(np.asarray(ids)[bad])}."
        )


def _check_same_ids(expected, found, what):
    """Raise naming the ids that one source has and the other lacks."""
    missing = [q for q in expected if q not in found]
    extra = [q for q in found if q not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(
                f"{len(missing)} question(s) lack {what}, e.g. {_few(missing)}"
            )
        if extra:
            parts.append(
                f"{len(extra)} id(s) in {what} are unknown, e.g. {_few(extra)}"
            )
        raise ValueError("; ".join(parts) + ".")


def _bunch(X, names, y, ids, *, margin_columns, em=None, f1=None, span_text=None):
    X = np.asarray(X, dtype=np.float64).reshape(len(ids), -1)
    _finite_or_raise(X, ids, "scores")
    return Bunch(
        data=X,
        feature_names=list(names),
        target=None if y is None else np.asarray(y, dtype=bool),
        ids=np.asarray(ids, dtype=object),
        em=em,
        f1=f1,
        span_text=span_text,
        margin_columns=margin_columns,
    )


def load_seed_pickle(path) -> Bunch:
    """Load the seed notebook's ``{'scores': {qid: 4 floats}, 'labels': ...}``.

    The pickle is read with a restricted unpickler: anything but plain
    containers, numbers, strings and numpy or torch arrays is refused before
    it can run.

    Parameters
    ----------
    path : str or path-like
        The pickle file.

    Returns
    -------
    data : Bunch
        See the module docstring; ``feature_names`` are the seed's columns.
    """
    with open(path, "rb") as f:
        content = _RestrictedUnpickler(f).load()
    if not isinstance(content, dict) or not {"scores", "labels"} <= set(content):
        raise ValueError(f"{path}: expected a dict with 'scores' and 'labels'.")
    scores, labels = content["scores"], content["labels"]
    ids = list(labels)
    _check_same_ids(ids, scores, "scores")
    rows = [np.asarray(scores[q], dtype=np.float64).ravel() for q in ids]
    widths = collections.Counter(r.size for r in rows)
    if len(widths) > 1:
        width = widths.most_common(1)[0][0]
        odd = [q for q, r in zip(ids, rows, strict=True) if r.size != width]
        raise ValueError(
            f"{path}: {len(odd)} question(s) have other than {width} scores, "
            f"e.g. {_few(odd)}."
        )
    X = np.array(rows)
    names = FEATURE_NAMES if X.shape[1] == 4 else [f"x{i}" for i in range(X.shape[1])]
    y = [bool(labels[q]) for q in ids]
    return _bunch(X, names, y, ids, margin_columns=(0, X.shape[1] - 1))


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}).") from exc


def _nbest_scores(nbest, ids):
    """Null score, best span score and best span text from nbest entries."""
    null, span, text = [], [], []
    for q in ids:
        entries = nbest[q]
        empty = [e for e in entries if not e["text"]]
        spans = [e for e in entries if e["text"]]
        if not empty or not spans:
            raise ValueError(
                f"nbest entry {q!r} needs both a null ('') and a span candidate."
            )
        best = max(spans, key=lambda e: e["start_logit"] + e["end_logit"])
        null.append(empty[0]["start_logit"] + empty[0]["end_logit"])
        span.append(best["start_logit"] + best["end_logit"])
        text.append(best["text"])
    return null, span, text


def load_squad_outputs(
    dev_file, *, null_odds=None, nbest=None, predictions=None
) -> Bunch:
    """Join a reader's run_squad / run_qa outputs with SQuAD 2.0 dev labels.

    Parameters
    ----------
    dev_file : path-like
        The official ``dev-v2.0.json`` (or a file of the same format): gives
        the labels (``is_impossible`` or no answers) and the gold answers.
    null_odds : path-like, default=None
        ``null_odds.json``: ``{qid: null score - best span score}``.
    nbest : path-like, default=None
        ``nbest_predictions.json``: gives the null score, best span score and
        best span text of each question.
    predictions : path-like, default=None
        ``predictions.json``: the best span text where nbest is not given
        (questions it predicts as "" then have no known span).

    Returns
    -------
    data : Bunch
        Columns ``null_score`` and ``best_span_score`` from nbest, and
        ``null_odds`` when given; ``em`` and ``f1`` where every answerable
        question's best span is known.
    """
    if null_odds is None and nbest is None:
        raise ValueError("Give null_odds.json or nbest_predictions.json (or both).")
    answers = read_dev_answers(_read_json(dev_file))
    ids = list(answers)
    columns, names, span_text = [], [], None
    if nbest is not None:
        entries = _read_json(nbest)
        _check_same_ids(ids, entries, "nbest predictions")
        null, span, span_text = _nbest_scores(entries, ids)
        columns += [null, span]
        names += ["null_score", "best_span_score"]
    if null_odds is not None:
        odds = _read_json(null_odds)
        _check_same_ids(ids, odds, "null odds")
        columns.append([odds[q] for q in ids])
        names.append("null_odds")
    if span_text is None and predictions is not None:
        preds = _read_json(predictions)
        _check_same_ids(ids, preds, "predictions")
        span_text = [preds[q] or None for q in ids]
    y = [not answers[q] for q in ids]
    em = f1 = None
    known = span_text is not None and all(
        t is not None
        for t, unanswerable in zip(span_text, y, strict=True)
        if not unanswerable
    )
    if known:
        credit = [
            best_span_credit(answers[q], t) if not u else (1.0, 1.0)
            for q, t, u in zip(ids, span_text, y, strict=True)
        ]
        em, f1 = (np.array(c, dtype=float) for c in zip(*credit, strict=True))
    margin = (0, 1) if nbest is not None else (len(names) - 1, None)
    X = np.column_stack([np.asarray(c, dtype=float) for c in columns])
    return _bunch(
        X, names, y, ids, margin_columns=margin, em=em, f1=f1, span_text=span_text
    )


_TRUE, _FALSE = {"1", "true", "yes", "t", "y"}, {"0", "false", "no", "f", "n"}


def _parse_label(value, row):
    text = value.strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"Row {row}: label {value!r} is not true/false or 1/0.")


def load_csv(
    path,
    *,
    label_column="unanswerable",
    id_column=None,
    feature_columns=None,
    require_label=True,
) -> Bunch:
    """Load scores from a CSV file with a header row.

    Parameters
    ----------
    path : path-like
        The CSV file.
    label_column : str, default="unanswerable"
        Column of true/false (or 1/0) labels; true means unanswerable.
    id_column : str or None, default=None
        Column of question ids; None numbers the rows.
    feature_columns : list of str or None, default=None
        Score columns; None takes every other column except ``em`` and
        ``f1``, which, when present, are read as the per-question credit.
    require_label : bool, default=True
        If False, a file without `label_column` loads with ``target=None``
        (scores to predict on).

    Returns
    -------
    data : Bunch
        ``margin_columns`` are the first and last score columns.
    """
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{path}: no data rows under the header.")
    header = list(rows[0])
    if label_column not in header and not require_label:
        label_column = None
    wanted = [c for c in (label_column, id_column) if c is not None]
    if feature_columns is None:
        reserved = {*wanted, "em", "f1"}
        feature_columns = [c for c in header if c not in reserved]
    absent = [c for c in [*wanted, *feature_columns] if c not in header]
    if absent or not feature_columns:
        raise ValueError(
            f"{path}: column(s) {absent or 'for scores'} not found; the header "
            f"has {header}."
        )
    ids = (
        [r[id_column] for r in rows]
        if id_column
        else [str(i) for i in range(len(rows))]
    )
    duplicates = [q for q, count in collections.Counter(ids).items() if count > 1]
    if duplicates:
        raise ValueError(
            f"{path}: {len(duplicates)} duplicate id(s), e.g. {_few(duplicates)}."
        )
    try:
        X = [[float(r[c]) for c in feature_columns] for r in rows]
    except ValueError as exc:
        raise ValueError(f"{path}: a score is not a number ({exc}).") from exc
    y = None
    if label_column is not None:
        y = [_parse_label(r[label_column], i + 2) for i, r in enumerate(rows)]
    credit = {
        c: np.array([float(r[c]) for r in rows]) for c in ("em", "f1") if c in header
    }
    return _bunch(
        X,
        feature_columns,
        y,
        ids,
        margin_columns=(
            0,
            len(feature_columns) - 1 if len(feature_columns) > 1 else None,
        ),
        em=credit.get("em"),
        f1=credit.get("f1"),
    )
