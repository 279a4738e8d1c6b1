"""One entry point for a reader's output files: BERT's and transformers' names."""

import warnings
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..metrics import answer_credit
from ._base import (
    PER_HEAD_FEATURE_NAMES,
    PER_HEAD_MARGIN_COLUMNS,
    check_same_ids,
    few,
    json_number,
    reader_bunch,
    short,
)
from ._dev import read_dev_answers
from ._json import read_json_object
from ._loaders import load_csv
from ._nbest import nbest_columns, warn_null_odds_mismatch
from ._pickle import load_notebook_pickle

# run_squad.py writes these names; run_qa.py the same with "<prefix>_" first.
_KINDS = ("nbest_predictions", "null_odds", "predictions")
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth")


def load_reader_outputs(
    path,
    *,
    dev=None,
    prefix=None,
    subset="strict",
    label_column="unanswerable",
    id_column=None,
) -> Bunch:
    """Load a QA reader's no-answer scores from its output folder or a file.

    Parameters
    ----------
    path : str or path-like
        One of:

        - a folder of BERT ``run_squad.py`` outputs (``nbest_predictions.json``,
          ``null_odds.json``, ``predictions.json``) or of transformers
          ``run_qa.py`` outputs, whose names carry a prefix
          (``eval_nbest_predictions.json``, ``test_null_odds.json``, ...);
        - one n-best or null-odds JSON file;
        - a CSV file of scores with a header (see `load_csv`);
        - the research notebook's pickle (see `load_notebook_pickle`).
    dev : str or path-like, default=None
        Gold answers for labels and SQuAD credit: the official SQuAD 2.0
        JSON (``dev-v2.0.json``), or the transformers ``squad_v2`` dataset
        exported with ``Dataset.to_json`` (JSON lines, or a JSON array of the
        same records). Without it, ``target``, ``em`` and ``f1`` are None:
        new questions to predict on. Only for reader output JSON files.
    prefix : str, default=None
        Which run of a folder to read when it holds several
        (``"eval"`` reads ``eval_*.json``; ``""`` the unprefixed names);
        None requires exactly one.
    subset : {"strict", "intersection"}, default="strict"
        ``"strict"``: every file must hold exactly the dev file's questions
        (else an error counts and names the odd ids). ``"intersection"``:
        keep the questions present in all of them, warning with how many
        were dropped (runs with ``--max_eval_samples`` cover part of dev).
    label_column, id_column : str, default="unanswerable", None
        For a CSV file only, see `load_csv`.

    Returns
    -------
    data : Bunch
        Dictionary-like object, with the following attributes.

        data : ndarray of shape (n_questions, n_features)
            The scores. From n-best lists, four per-head columns: the start
            and end logit of the null candidate (text ""; the window with the
            lowest null score) and of the best non-null candidate by start +
            end logit. From null_odds alone, one column ``null_odds`` (the
            margin itself). A null_odds file beside n-best lists is checked
            against them, never added as a (collinear) column.
        feature_names : list of str
            Column names: ``null_start_logit``, ``null_end_logit``,
            ``span_start_logit``, ``span_end_logit``, or ``null_odds``.
        target : ndarray of shape (n_questions,) of bool or None
            True where the question is unanswerable (it has no gold answer);
            None without `dev`.
        ids : ndarray of shape (n_questions,) of object
            Question ids, in the dev file's order (else the first file's).
        em, f1 : ndarray of shape (n_questions,) or None
            Each question's EM and F1 if its best span is given as the
            answer, as the official script scores it (for an unanswerable
            question, 0 unless the span normalises to ""); see
            `skfusion.metrics.squad2_credit`. None without `dev`, or where
            some answerable question's span text is unknown.
        span_text : list of str or None, or None
            The best span's text per question (None where unknown); None
            where no file gives span texts.
        no_span : ndarray of shape (n_questions,) of bool or None
            True where the n-best list holds no span, only the readers'
            placeholder ``{"text": "empty", "start_logit": 0.0, "end_logit":
            0.0}``: such a question gets span logits 0.0 (what the readers
            score it with, so the margin equals their null_odds) and span
            text None; it can only be answered "", and its EM/F1 are those
            of "". A warning counts them.
        margin_columns : tuple of (list of str, list of str or None)
            The columns whose sums BERT's rule subtracts:
            ``null_start + null_end - (span_start + span_end)``, or
            ``(["null_odds"], None)`` where the column is the margin.
        DESCR : str
            Which files were read.

    See Also
    --------
    skfusion.features.features_from_logits : The same columns from raw
        logits of ``Trainer.predict``.
    skfusion.MarginThresholdClassifier : BERT's rule on ``margin_columns``.

    Notes
    -----
    The per-head columns are those transformers' ``postprocess_qa_predictions``
    (examples/pytorch/question-answering/utils_qa.py) and BERT's
    ``run_squad.py`` write into each n-best list, so their margin is the
    reader's own ``null_odds``. Scores must be JSON numbers and
    ``is_impossible`` a JSON boolean; anything else is an error naming the
    file and the question.

    Examples
    --------
    >>> from skfusion.datasets import load_reader_outputs, write_squad_example
    >>> paths = write_squad_example(
    ...     "run_qa_output", n_questions=200, prefix="eval", random_state=3
    ... )
    >>> sorted(path.name for path in paths.values())  # doctest: +NORMALIZE_WHITESPACE
    ['dev-v2.0.json', 'eval_nbest_predictions.json', 'eval_null_odds.json',
     'eval_predictions.json']
    >>> data = load_reader_outputs("run_qa_output", dev=paths["dev"])
    >>> data.feature_names
    ['null_start_logit', 'null_end_logit', 'span_start_logit', 'span_end_logit']
    >>> data.data.shape, int(data.target.sum())
    ((200, 4), 100)
    """
    if subset not in ("strict", "intersection"):
        raise ValueError(f"subset={subset!r} must be 'strict' or 'intersection'.")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder.")
    if path.is_dir():
        return _load_json_outputs(_folder_files(path, prefix), dev, subset)
    if prefix is not None:
        raise ValueError(
            f"{path}: prefix={prefix!r} chooses among the runs of a folder; "
            "this is a file."
        )
    suffix = path.suffix.lower()
    if suffix in (".csv", *_PICKLE_SUFFIXES):
        if dev is not None:
            raise ValueError(
                f"{path}: dev applies to reader output JSON files; a CSV or pickle "
                "carries its own labels."
            )
        if suffix == ".csv":
            return load_csv(
                path,
                label_column=label_column,
                id_column=id_column,
                require_label=False,
            )
        return load_notebook_pickle(path)
    if suffix == ".json":
        return _load_json_outputs({_json_kind(path): path}, dev, subset)
    raise ValueError(
        f"{path}: expected a folder of reader outputs, an n-best or null_odds .json, "
        f"a .csv or a notebook pickle ({', '.join(_PICKLE_SUFFIXES)})."
    )


def _split_name(name):
    """``(prefix, kind)`` of a reader output file name, or None."""
    for kind in _KINDS:
        if name == f"{kind}.json":
            return "", kind
        if name.endswith(f"_{kind}.json"):
            return name[: -len(f"_{kind}.json")], kind
    return None


def _folder_files(folder, prefix):
    """Return the output files of one run in `folder`, keyed by kind."""
    runs = {}
    for file in sorted(folder.iterdir()):
        # A name the readers write is read whatever it is (a directory, a
        # dangling link): skipping it would load the run without it.
        split = _split_name(file.name)
        if split is not None:
            runs.setdefault(split[0], {})[split[1]] = file
    shown = [f"{p}_" if p else "(no prefix)" for p in runs]
    if prefix is not None:
        prefix = prefix.rstrip("_")
        if prefix not in runs:
            raise ValueError(
                f"{folder}: holds no outputs with prefix {prefix!r}; found "
                f"{', '.join(shown) or 'none'}."
            )
        return runs[prefix]
    if not runs:
        raise ValueError(
            f"{folder}: holds none of {', '.join(k + '.json' for k in _KINDS)} "
            "(with or without a prefix such as eval_)."
        )
    if len(runs) > 1:
        raise ValueError(
            f"{folder}: holds the outputs of {len(runs)} runs ({', '.join(shown)}); "
            "choose one with prefix= (--prefix on the command line)."
        )
    return next(iter(runs.values()))


def _json_kind(path):
    """Whether a JSON file is n-best lists, null odds or predictions."""
    content = read_json_object(path, what="scores")
    first = next(iter(content.values()))
    if isinstance(first, list):
        return "nbest_predictions"
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return "null_odds"
    if isinstance(first, str):
        return "predictions"
    raise ValueError(
        f"{path}: expected n-best lists (question id -> list of candidates) or "
        f"null odds (question id -> number), found {short(first)} for "
        f"{short(next(iter(content)))}."
    )


def _read_sources(files):
    """Parse each file, checking it maps question ids to the right kind."""
    what = {
        "nbest_predictions": "lists of candidates",
        "null_odds": "numbers",
        "predictions": "answer texts",
    }
    return {
        kind: read_json_object(path, what=what[kind]) for kind, path in files.items()
    }


def _load_json_outputs(files, dev, subset):
    """Join a run's JSON files (and the dev answers) into the loaders' Bunch."""
    if "nbest_predictions" not in files and "null_odds" not in files:
        raise ValueError(
            f"{files['predictions']}: holds predictions only; the scores are in "
            "nbest_predictions.json or null_odds.json."
        )
    if "nbest_predictions" in files:
        files.pop("predictions", None)  # n-best lists give every span text
    sources = _read_sources(files)
    answers = None if dev is None else read_dev_answers(dev)
    ids = _question_ids(sources, files, answers, dev, subset)
    if "nbest_predictions" in sources:
        X, span_text, no_span = nbest_columns(
            sources["nbest_predictions"], ids, files["nbest_predictions"]
        )
        _warn_no_span(no_span, ids, files["nbest_predictions"])
        if "null_odds" in sources:
            odds = _null_odds(sources["null_odds"], ids, files["null_odds"])
            warn_null_odds_mismatch(odds, X, ids, files["null_odds"])
        names, margin = PER_HEAD_FEATURE_NAMES, PER_HEAD_MARGIN_COLUMNS
    else:
        X = _null_odds(sources["null_odds"], ids, files["null_odds"])[:, None]
        names, margin, no_span = ["null_odds"], (["null_odds"], None), None
        span_text = _prediction_texts(
            sources.get("predictions"), ids, files.get("predictions")
        )
    target = em = f1 = None
    if answers is not None:
        target = np.array([not answers[q] for q in ids])
        em, f1 = _credit(answers, ids, span_text, target, no_span)
    descr = "Reader outputs: " + ", ".join(str(p) for p in files.values())
    return reader_bunch(
        X,
        names,
        target,
        ids,
        margin_columns=margin,
        em=em,
        f1=f1,
        span_text=span_text,
        no_span=no_span,
        descr=descr + (f"; dev answers: {dev}" if dev is not None else ""),
    )


def _question_ids(sources, files, answers, dev, subset):
    """Return the questions to load: dev's (or the first file's) ids."""
    named = [(str(files[k]), list(v)) for k, v in sources.items()]
    if answers is not None:
        named.insert(0, (str(dev), list(answers)))
    ids = named[0][1]
    if subset == "intersection":
        kept = set(ids).intersection(*(set(found) for _, found in named[1:]))
        ids = [q for q in ids if q in kept]
        if not ids:
            raise ValueError(f"{', '.join(n for n, _ in named)}: no id in common.")
        dropped = [f"{len(found) - len(ids)} of {n}" for n, found in named]
        if len(ids) < max(len(found) for _, found in named):
            warnings.warn(
                f"Kept the {len(ids)} question(s) present in every file; dropped "
                + ", ".join(dropped)
                + ".",
                UserWarning,
                stacklevel=4,
            )
        return ids
    for name, found in named[1:]:
        check_same_ids(ids, found, name)
    return ids


def _null_odds(odds, ids, path):
    return np.array([json_number(odds[q], path, q, "null_odds") for q in ids])


def _prediction_texts(predictions, ids, path):
    """Answer texts of predictions.json; "" (predicted "no answer") is unknown."""
    if predictions is None:
        return None
    texts = [predictions[q] for q in ids]
    bad = [q for q, t in zip(ids, texts, strict=True) if not isinstance(t, str)]
    if bad:
        raise ValueError(
            f"{path}: {len(bad)} prediction(s) are not strings, e.g. {few(bad)}: "
            "expected question id -> answer text."
        )
    return [t or None for t in texts]


def _credit(answers, ids, span_text, target, no_span):
    """Per-question EM and F1 of answering with the best span.

    An answer whose text is unknown ("" in predictions.json) is taken to
    score 0 on an unanswerable question; on an answerable one it makes the
    credit unknown (None, None). A question without a span can only be
    answered "": it gets the credit of "".
    """
    if span_text is None:
        return None, None
    credit = []
    for i, (q, text) in enumerate(zip(ids, span_text, strict=True)):
        if no_span is not None and no_span[i]:
            text = ""
        if text is not None:
            credit.append(answer_credit(answers[q], text))
        elif target[i]:
            credit.append((0.0, 0.0))
        else:
            return None, None
    em, f1 = zip(*credit, strict=True)
    return np.array(em, dtype=float), np.array(f1, dtype=float)


def _warn_no_span(no_span, ids, path):
    if no_span.any():
        warnings.warn(
            f"{path}: {no_span.sum()} question(s) have no candidate span, only the "
            f"reader's placeholder 'empty', e.g. "
            f"{few(np.asarray(ids, dtype=object)[no_span])}; their span logits are "
            "0.0, as the reader scored them.",
            UserWarning,
            stacklevel=4,
        )


def load_squad_outputs(
    dev_file, *, null_odds=None, nbest=None, predictions=None
) -> Bunch:
    """Join named reader output files with SQuAD 2.0 dev answers.

    Parameters
    ----------
    dev_file : str or path-like
        The dev answers, as `load_reader_outputs`'s `dev`.
    null_odds, nbest, predictions : str or path-like, default=None
        ``null_odds.json``, ``nbest_predictions.json`` and
        ``predictions.json`` (span texts where no n-best file is given).

    Returns
    -------
    data : Bunch
        As `load_reader_outputs` returns it.

    See Also
    --------
    load_reader_outputs : Finds the files in a folder itself.

    Examples
    --------
    >>> from skfusion.datasets import load_squad_outputs, write_squad_example
    >>> paths = write_squad_example("example", n_questions=200)
    >>> data = load_squad_outputs(paths["dev"], null_odds=paths["null_odds"])
    >>> data.feature_names, data.data.shape
    (['null_odds'], (200, 1))
    """
    files = {
        kind: path
        for kind, path in (
            ("nbest_predictions", nbest),
            ("null_odds", null_odds),
            ("predictions", predictions),
        )
        if path is not None
    }
    if "nbest_predictions" not in files and "null_odds" not in files:
        raise ValueError("Give null_odds.json or nbest_predictions.json (or both).")
    return _load_json_outputs(files, dev_file, "strict")
