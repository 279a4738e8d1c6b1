"""One entry point for every reader's output files, one run or several."""

import os
from pathlib import Path

from sklearn.utils import Bunch

from ._base import frame_bunch, reader_bunch, short
from ._columns import run_columns
from ._dev import read_dev_answers
from ._formats import choose_run, folder_runs, split_name
from ._json import paused_gc, read_json_object
from ._loaders import load_csv
from ._multi import join_runs
from ._pickle import load_notebook_pickle
from ._questions import _labels_and_credit, _question_ids

_PICKLE_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth")


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
        joins them on question ids (see `names`). Each is one of:

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
        ``feature_names``, ``target`` a pandas Series named
        "unanswerable", and ``frame`` a DataFrame of both (as scikit-learn's
        loaders return them); the names in ``margin_columns`` then go
        straight into :class:`~skfusion.MarginThresholdClassifier`. Needs pandas.
        With False, ``frame`` is None.

    Returns
    -------
    data : Bunch
        Dictionary-like object, with the following attributes.

        data : ndarray of shape (n_questions, n_features)
            The scores, by the reader that wrote them (see Notes):

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

            A null_odds file beside logit n-best lists is checked against
            them (in the reader's precision), never added as a (collinear)
            column.
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
            0.0}``: such a question gets span logits 0.0 (what the readers
            score it with, so the margin equals their null_odds) and span
            text None; it can only be answered "", and its EM/F1 are those
            of "". A warning counts them.
        margin_columns : tuple of (list of str, list of str or None)
            The columns whose sums the reader's own rule subtracts:
            ``null_start + null_end - (span_start + span_end)``,
            ``null_score - span_score``, or one column that is the score
            itself (``answer_class_score``, ``null_odds``, ``na_prob``).
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
            With several runs only: each run's ``margin_columns``, by name.
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
    ``run_squad.py`` write into each n-best list, so their margin is the
    reader's own ``null_odds``. The best span is the reader's own choice: the
    first candidate of highest score, the score summed in the coarsest
    precision holding every score of the file exactly (float16 for a
    half-precision evaluation, as the reader sums them); the margin of the
    columns is then the reader's null_odds before the reader's own rounding.
    A threshold means what the reader's score means: on a logit difference
    it is ``--null_score_diff_threshold``; on a class score or a probability
    it is the official script's ``--na-prob-thresh`` (beam-search readers
    always predict their best span). Scores must be JSON numbers and
    ``is_impossible`` a JSON boolean; anything else is an error naming the
    file and the question. JSON is parsed with orjson where the ``fast``
    extra is installed, with the values and errors of Python's ``json``.

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

    Two runs (here the same simulated reader twice) joined on ids:

    >>> _ = write_squad_example(
    ...     "checkpoint_b", n_questions=200, prefix="eval", random_state=3
    ... )
    >>> both = load_reader_outputs(["run_qa_output", "checkpoint_b"], dev=paths["dev"])
    >>> both.data.shape, both.primary
    ((200, 8), 'run_qa_output')
    >>> both.margin_columns[0]
    ['run_qa_output__null_start_logit', 'run_qa_output__null_end_logit']
    """
    if subset not in ("strict", "intersection"):
        raise ValueError(f"subset={subset!r} must be 'strict' or 'intersection'.")
    several = not isinstance(path, (str, os.PathLike))
    paths = list(path) if several else [path]
    if not paths:
        raise ValueError("path=[]: expected at least one folder or file.")
    runs = []
    for p in paths:  # a loop, not a comprehension: warnings name the caller
        own_prefix = None if several and not Path(p).is_dir() else prefix
        runs.append(_load_one(p, dev, own_prefix, subset, label_column, id_column))
    if len(runs) == 1 and names is None and primary is None and not scores:
        return frame_bunch(runs[0], as_frame)
    joined = join_runs(
        paths, runs, names=names, primary=primary, scores=scores, subset=subset
    )
    return frame_bunch(joined, as_frame)


def _load_one(path, dev, prefix, subset, label_column, id_column):
    """Load one run: a folder or a file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder.")
    if path.is_dir():
        runs = folder_runs(path)
        files = choose_run(path, runs, prefix)
        style = next(run[0] for run, found in runs.items() if found is files)
        return _load_json_outputs(dict(files), dev, subset, style)
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
        split = split_name(path.name)
        style = None if split is None else split[0][0]
        return _load_json_outputs({_json_kind(path): path}, dev, subset, style)
    raise ValueError(
        f"{path}: expected a folder of reader outputs, an n-best or null_odds .json, "
        f"a .csv or a notebook pickle ({', '.join(_PICKLE_SUFFIXES)})."
    )


def _json_kind(path):
    """Whether a JSON file is n-best lists, null odds or predictions."""
    content = read_json_object(path, what="scores")
    first = next(iter(content.values()))
    if isinstance(first, list):
        return "nbest_predictions"
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        split = split_name(path.name)
        return "na_prob" if split and split[1] == "na_prob" else "null_odds"
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
        "na_prob": "probabilities of no answer",
    }
    return {
        kind: read_json_object(path, what=what[kind]) for kind, path in files.items()
    }


def _load_json_outputs(files, dev, subset, style=None):
    """Join a run's JSON files (and the dev answers) into the loaders' Bunch."""
    if not {"nbest_predictions", "null_odds", "na_prob"} & set(files):
        raise ValueError(
            f"{files['predictions']}: holds predictions only; the scores are in "
            "nbest_predictions.json, null_odds.json or na_prob.json."
        )
    if "nbest_predictions" in files:
        files.pop("predictions", None)  # n-best lists give every span text
    if "na_prob" in files and {"nbest_predictions", "null_odds"} & set(files):
        raise ValueError(
            f"{files['na_prob']}: a probability of no answer beside the run's own "
            "scores (n-best lists or null_odds); load one or the other."
        )
    with paused_gc():
        sources = _read_sources(files)
        answers = None if dev is None else read_dev_answers(dev)
        ids = _question_ids(sources, files, answers, dev, subset)
        run = run_columns(sources, files, ids, style)
        target, em, f1 = _labels_and_credit(answers, ids, run)
        # Freed before the collector resumes, so that its first pass after
        # the pause does not walk the parsed files.
        del sources, answers
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
        If True, ``data`` is a pandas DataFrame whose columns are
        ``feature_names``, ``target`` a pandas Series named
        "unanswerable", and ``frame`` a DataFrame of both (as scikit-learn's
        loaders return them); the names in ``margin_columns`` then go
        straight into :class:`~skfusion.MarginThresholdClassifier`. Needs pandas.
        With False, ``frame`` is None.

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
    return frame_bunch(_load_files(files, dev_file), as_frame)


def _load_files(files, dev):
    # As deep in the stack as `_load_one`, so that warnings name the caller.
    return _load_json_outputs(files, dev, "strict")
