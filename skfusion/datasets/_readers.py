"""One entry point for every reader's output files, one run or several."""

import filecmp
import itertools
import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..metrics._squad import _answer_credits
from ._base import (
    PER_HEAD_MARGIN_COLUMNS,
    common_ids,
    few,
    frame_bunch,
    json_number,
    reader_bunch,
    short,
    warn,
)
from ._csv import load_csv
from ._dev import read_dev_answers
from ._formats import choose_run, folder_runs, split_name
from ._json import ExtraData, read_json, read_json_object
from ._multi import join_runs
from ._nbest import nbest_columns, warn_null_odds_mismatch, warn_predictions_mismatch
from ._pickle import load_notebook_pickle

_PICKLE_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth")
_WHAT = {
    "nbest_predictions": "lists of candidates",
    "null_odds": "numbers",
    "predictions": "answer texts",
    "na_prob": "probabilities of no answer",
}
_MARGINS = {
    "logits": PER_HEAD_MARGIN_COLUMNS,
    "joint": (["null_score"], ["span_score"]),
    "log_probs": (["answer_class_score"], None),
}
_READERS = {
    "logits": "run_squad",
    "joint": "joint_span_extraction",
    "log_probs": "beam_search",
}


def load_reader_outputs(
    path,
    *,
    dev=None,
    prefix=None,
    subset="strict",
    label_column="unanswerable",
    id_column=None,
    names=None,
    primary=None,
    scores=None,
    as_frame=False,
) -> Bunch:
    """Load a QA reader's no-answer scores from its output folder or a file.

    Parameters
    ----------
    path : str, path-like, or list of them
        A list loads several runs (checkpoints, readers of an ensemble) and
        joins them on question ids (see `names`); the same run given twice
        (one file, through links or not, or byte-identical files) is an
        error. Each is one of:

        - a folder of BERT ``run_squad.py`` outputs (``nbest_predictions.json``,
          ``null_odds.json``, ``predictions.json``), of transformers
          ``run_qa.py`` or ``run_qa_beam_search.py`` outputs, whose names carry
          a prefix (``eval_nbest_predictions.json``, ...), of transformers'
          legacy ``run_squad.py`` (``nbest_predictions_.json``, or one set per
          checkpoint: ``null_odds_500.json``, ...), of KNOT-FIT-BUT/
          JointSpanExtraction (``dev_results_nbest_<host>.json``,
          ``dev_results_<host>.json``, ``null_logods.json``), or the official
          evaluation script's inputs (``predictions.json`` and its
          ``--na-prob-file``, named ``na_prob.json``);
        - one n-best, null-odds or ``na_prob.json`` file;
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
        (``"eval"`` reads ``eval_*.json``; ``""`` the unprefixed names;
        ``"500"`` or ``"_500"`` the legacy ``*_500.json``; ``"_"`` the
        legacy ``*_.json``; a host name JointSpanExtraction's files of that
        host); None requires exactly one.
    subset : {"strict", "intersection"}, default="strict"
        ``"strict"``: every file must hold exactly the dev file's questions
        (else an error counts and names the odd ids). ``"intersection"``:
        keep the questions present in all of them, warning with how many
        were dropped (runs with ``--max_eval_samples`` cover part of dev).
    label_column, id_column : str, default="unanswerable", None
        For a CSV file only, see `load_csv`.
    names : list of str, default=None
        With several runs, each run's columns are named ``<name>__<column>``
        (scikit-learn's ``ColumnTransformer`` style); the names default to
        the folders' names (a file's stem) and must be distinct.
    primary : str, default=None
        The run (by name) whose span texts, EM/F1 and ``margin_columns`` the
        joined data keep; None: the first. Its columns come first.
    scores : dict of str to path-like, default=None
        Extra per-question scores, each a JSON object ``question id ->
        number`` (e.g. an answer verifier's output), joined as one column
        named by its key.
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame whose columns are
        ``feature_names``, ``target`` a pandas Series named "unanswerable",
        and ``frame`` both side by side, as scikit-learn's loaders give
        them; with False, ``frame`` is None. Needs pandas.

    Returns
    -------
    data : Bunch
        Dictionary-like object, with the following attributes.

        data : ndarray of shape (n_questions, n_features)
            The scores, by the reader that wrote them:

            - logits (BERT, transformers ``run_qa.py`` and legacy
              ``run_squad.py``): ``null_start_logit``, ``null_end_logit``
              (the null candidate, text "", of the window with the lowest null
              score), ``span_start_logit``, ``span_end_logit`` (the best
              non-null candidate by start + end logit);
            - JointSpanExtraction: ``null_score`` and ``span_score`` (its
              joint span scores, ``logit`` in its n-best lists);
            - beam search (XLNet, XLM): ``answer_class_score`` (null_odds,
              the ``cls_logits`` score, higher for no answer),
              ``span_start_log_prob``, ``span_end_log_prob`` of the best span;
            - null_odds alone: ``null_odds``; ``na_prob.json``: ``na_prob``.
        feature_names : list of str
            Column names, as above.
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
            0.0}``: such a question keeps the placeholder's scores (so that
            the margin equals the reader's null_odds) and span text None; it
            can only be answered "", and its EM/F1 are those of "". A
            warning counts them.
        margin_columns : tuple of (list of str, list of str or None) or None
            The columns whose sums the reader's own rule subtracts:
            ``null_start + null_end - (span_start + span_end)``,
            ``null_score - span_score``, or one column that is the score
            itself (``answer_class_score``, ``null_odds``, ``na_prob``).
            None for a CSV whose column names say no margin (see `load_csv`).
        reader : str or None
            Which reader's files gave the scores: ``"run_squad"`` (BERT,
            transformers ``run_qa.py``, legacy ``run_squad.py``),
            ``"joint_span_extraction"``, ``"beam_search"``, ``"na_prob"``; None
            where the files do not say (a lone null_odds file, a CSV).
        score_kind : str or None
            What the margin is: ``"logit difference"`` (null score minus best
            span score), ``"class score"`` (beam search's answer-class
            score) or ``"probability"`` (of no answer); None where unknown.
        run_margins : dict of str to tuple
            With several runs only: the ``margin_columns`` of each run whose
            margin is known, by name.
        primary : str
            With several runs only: the primary run's name.
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
    ``run_squad.py`` write into each n-best list, and the best span is the
    reader's own choice: the first candidate of highest score, summed in the
    coarsest precision holding every score of the file exactly (float16 for
    a half-precision evaluation), so the columns' margin is the reader's
    null_odds before its own rounding. A threshold means what the reader's
    score means: on a logit difference it is
    ``--null_score_diff_threshold``; on a class score or a probability the
    official script's ``--na-prob-thresh``.

    The run's other files are checked against its n-best lists, with a
    warning that counts the questions where they differ (files of another
    run) and the n-best lists' values kept: ``null_odds.json`` must be the
    null score minus the best span's, within the reader's rounding (it is
    never added as a collinear column), and each non-empty answer of
    ``predictions.json`` the best span's text. Scores must be JSON numbers
    and ``is_impossible`` a JSON boolean; anything else, a key given twice,
    or a file the folder names and that cannot be read as JSON is an error
    naming the file.

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

    Extra per-question scores (a verifier's, random here) join as columns:

    >>> import json
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> with open("verifier.json", "w") as f:
    ...     json.dump({q: rng.uniform() for q in data.ids}, f)
    >>> joined = load_reader_outputs(
    ...     "run_qa_output", dev=paths["dev"], scores={"verifier": "verifier.json"}
    ... )
    >>> joined.data.shape, joined.feature_names[-1]
    ((200, 5), 'verifier')
    """
    if subset not in ("strict", "intersection"):
        raise ValueError(f"subset={subset!r} must be 'strict' or 'intersection'.")
    several = not isinstance(path, (str, os.PathLike))
    paths = list(path) if several else [path]
    if not paths:
        raise ValueError("path=[]: expected at least one folder or file.")
    runs, read = [], []
    for p in paths:
        own_prefix = None if several and not Path(p).is_dir() else prefix
        run, files = _load_one(p, dev, own_prefix, subset, label_column, id_column)
        runs.append(run)
        read.append(files)
    _check_distinct_runs(paths, read)
    if len(runs) == 1 and names is None and primary is None and not scores:
        return frame_bunch(runs[0], as_frame)
    joined = join_runs(
        paths, runs, names=names, primary=primary, scores=scores, subset=subset
    )
    return frame_bunch(joined, as_frame)


def _same_file(a, b):
    """Whether `a` and `b` are one file (links resolved) or byte-identical ones."""
    try:
        return os.path.samefile(a, b) or filecmp.cmp(a, b, shallow=False)
    except OSError:  # read, so readable: only a race gets here
        return False


def _check_distinct_runs(paths, read):
    """Refuse two runs that share a score file, or hold byte-identical ones."""
    filecmp.clear_cache()
    for (i, a), (j, b) in itertools.combinations(enumerate(read), 2):
        same = next(((x, y) for x in a for y in b if _same_file(x, y)), None)
        if same is not None:
            raise ValueError(
                f"{paths[i]} and {paths[j]} are the same run ({same[0].name} is "
                f"one file, or byte-identical, in both); give each run once."
            )


def _load_one(path, dev, prefix, subset, label_column, id_column):
    """One run (a folder or a file), and the files its scores came from."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder.")
    if path.is_dir():
        runs = folder_runs(path)
        files = choose_run(path, runs, prefix)
        style = next(run[0] for run, found in runs.items() if found is files)
        run = _load_json_outputs(dict(files), dev, subset, style)
        return run, [p for kind, p in files.items() if kind != "predictions"]
    if prefix is not None:
        raise ValueError(
            f"{path}: prefix={prefix!r} chooses among the runs of a folder; "
            "this is a file."
        )
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl"):
        kind, content = _json_kind(path)
        split = split_name(path.name)
        style = None if split is None else split[0][0]
        run = _load_json_outputs({kind: path}, dev, subset, style, {kind: content})
        return run, [path]
    if suffix not in (".csv", *_PICKLE_SUFFIXES):
        raise ValueError(
            f"{path}: expected a folder of reader outputs, an n-best or null_odds "
            f".json, a .csv or a notebook pickle ({', '.join(_PICKLE_SUFFIXES)})."
        )
    if dev is not None:
        raise ValueError(
            f"{path}: dev applies to reader output JSON files; a CSV or pickle "
            "carries its own labels."
        )
    if suffix == ".csv":
        kw = {"label_column": label_column, "id_column": id_column}
        return load_csv(path, require_label=False, **kw), [path]
    return load_notebook_pickle(path), [path]


def _json_kind(path):
    """Return what a JSON file holds (a key of `_WHAT`), and its content."""
    what = "a JSON object mapping question ids to scores"
    try:
        content, error = read_json(path, what=what, top="question id"), None
    except ExtraData as exc:  # JSON lines: perhaps squad_v2 records
        content, error = read_json(path, what=what, lines=True), exc
    if (isinstance(content, dict) and isinstance(content.get("data"), list)) or (
        isinstance(content, list) and content and isinstance(content[0], dict)
        and {"id", "answers"} <= set(content[0])
    ):  # fmt: skip
        raise ValueError(
            f"{path}: is a SQuAD dev file of gold answers, not a reader's scores: "
            "give it as dev= (--dev on the command line) beside the reader's "
            "output folder or files."
        )
    if error is not None:
        raise error
    first = next(iter(read_json_object(path, what="scores", content=content).values()))
    split = split_name(path.name)
    if isinstance(first, list):
        return "nbest_predictions", content
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return ("na_prob" if split and split[1] == "na_prob" else "null_odds"), content
    if isinstance(first, str):
        return "predictions", content
    raise ValueError(
        f"{path}: expected n-best lists (question id -> list of candidates) or "
        f"null odds (question id -> number), found {short(first)} for "
        f"{short(next(iter(content)))}."
    )


def _load_json_outputs(files, dev, subset, style=None, parsed=None):
    """Join a run's JSON files (and the dev answers) into the loaders' Bunch."""
    if not {"nbest_predictions", "null_odds", "na_prob"} & set(files):
        raise ValueError(
            f"{files['predictions']}: holds predictions only; the scores are in "
            "nbest_predictions.json, null_odds.json or na_prob.json."
        )
    if "na_prob" in files and {"nbest_predictions", "null_odds"} & set(files):
        raise ValueError(
            f"{files['na_prob']}: a probability of no answer beside the run's own "
            "scores (n-best lists or null_odds); load one or the other."
        )
    sources = {
        kind: read_json_object(path, what=_WHAT[kind], content=(parsed or {}).get(kind))
        for kind, path in files.items()
    }
    answers = None if dev is None else read_dev_answers(dev)
    named = [(str(files[k]), list(v)) for k, v in sources.items()]
    if answers is not None:
        named.insert(0, (str(dev), list(answers)))
    reference = "the dev file" if answers is not None else named[0][0]
    ids = common_ids(named, subset, "file", reference)
    run = _run_columns(sources, files, ids, style)
    del sources
    target = em = f1 = None
    if answers is not None:
        target = np.array([not answers[q] for q in ids])
        em, f1 = _credit(answers, ids, run.span_text, target, run.no_span)
    descr = "Reader outputs: " + ", ".join(str(p) for p in files.values())
    return reader_bunch(
        run.X,
        run.names,
        target,
        ids,
        margin_columns=run.margin,
        em=em,
        f1=f1,
        span_text=run.span_text,
        no_span=run.no_span,
        reader=run.reader,
        descr=descr + (f"; dev answers: {dev}" if dev is not None else ""),
    )


def _numbers(content, ids, path, key):
    return np.array([json_number(content[q], path, q, key) for q in ids])


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


def _run_columns(sources, files, ids, style):
    """X, names, margin, span_text, no_span and reader of one run's files."""
    texts = _prediction_texts(sources.get("predictions"), ids, files.get("predictions"))
    odds = None
    if "null_odds" in sources:
        odds = _numbers(sources["null_odds"], ids, files["null_odds"], "null_odds")
    if "nbest_predictions" in sources:
        return _nbest_run(sources["nbest_predictions"], files, ids, texts, odds)
    if odds is None:
        odds = _numbers(sources["na_prob"], ids, files["na_prob"], "na_prob")
        if ((odds < 0) | (odds > 1)).any():
            i = int(np.argmax((odds < 0) | (odds > 1)))
            raise ValueError(
                f"{files['na_prob']}: question {ids[i]!r}: na_prob is "
                f"{float(odds[i])!r}, expected a probability in [0, 1] (a score "
                "of another kind goes in null_odds.json)."
            )
        name, reader = "na_prob", "na_prob"
    elif style == "jse":
        name, reader = "null_odds", "joint_span_extraction"
    else:
        # Beam-search readers never predict "": a "" means a null_odds
        # threshold decided, which only the logit readers apply.
        name, reader = "null_odds", "run_squad" if None in (texts or ()) else None
    return Bunch(
        X=odds[:, None],
        names=[name],
        margin=([name], None),
        span_text=texts,
        no_span=None,
        reader=reader,
    )


def _nbest_run(nbest, files, ids, texts, odds):
    path = files["nbest_predictions"]
    kind, X, names, span_text, no_span, dtype = nbest_columns(nbest, ids, path)
    if no_span.any():
        warn(
            f"{path}: {no_span.sum()} question(s) have no candidate span, only the "
            f"reader's placeholder, e.g. "
            f"{few(np.asarray(ids, dtype=object)[no_span])}; their span scores are "
            "the placeholder's (0.0 for 'empty'), as the reader scored them."
        )
    if texts is not None:
        warn_predictions_mismatch(texts, span_text, no_span, ids, files["predictions"])
    if kind == "log_probs":
        if odds is None:
            raise ValueError(
                f"{path}: beam-search n-best lists (start_log_prob, end_log_prob) "
                "hold no null score; give the run's null_odds.json (the answer-class "
                "score) beside them."
            )
        X, names = np.column_stack([odds, X]), ["answer_class_score", *names]
    elif odds is not None:
        warn_null_odds_mismatch(odds, X, kind, dtype, ids, files["null_odds"])
    return Bunch(
        X=X,
        names=names,
        margin=_MARGINS[kind],
        span_text=span_text,
        no_span=no_span,
        reader=_READERS[kind],
    )


def _credit(answers, ids, span_text, target, no_span):
    """Per-question EM and F1 of answering with the best span.

    An unknown answer text ("" in predictions.json) scores 0 on an
    unanswerable question and makes the credit unknown (None, None) on an
    answerable one; a question without a span gets the credit of "".
    """
    if span_text is None:
        return None, None
    texts = [
        "" if no_span is not None and no_span[i] else t for i, t in enumerate(span_text)
    ]
    unknown = np.array([text is None for text in texts], dtype=bool)
    if not target[unknown].all():
        return None, None
    known = np.flatnonzero(~unknown).tolist()
    em, f1 = np.zeros(len(ids)), np.zeros(len(ids))
    em[known], f1[known] = _answer_credits(
        [answers[ids[i]] for i in known], [texts[i] for i in known]
    )
    return em, f1


def load_squad_outputs(
    dev_file, *, null_odds=None, nbest=None, predictions=None, as_frame=False
) -> Bunch:
    """Join named reader output files with SQuAD 2.0 dev answers.

    Parameters
    ----------
    dev_file : str or path-like
        The dev answers, as `load_reader_outputs`'s `dev`.
    null_odds, nbest, predictions : str or path-like, default=None
        ``null_odds.json``, ``nbest_predictions.json`` and
        ``predictions.json`` (span texts where no n-best file is given).
    as_frame : bool, default=False
        As `load_reader_outputs`'s.

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
    named = {"nbest_predictions": nbest, "null_odds": null_odds}
    files = {k: p for k, p in {**named, "predictions": predictions}.items() if p}
    if "nbest_predictions" not in files and "null_odds" not in files:
        raise ValueError("Give null_odds.json or nbest_predictions.json (or both).")
    return frame_bunch(_load_json_outputs(files, dev_file, "strict"), as_frame)
