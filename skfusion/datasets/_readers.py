"""One entry point for every reader's output files, one run or several."""

import filecmp
import itertools
import os
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..metrics._squad import _answer_credits
from ._base import (
    KNOWN_MARGINS,
    SEPARATOR,
    common_ids,
    few,
    frame_bunch,
    json_number,
    paused_gc,
    reader_bunch,
    short,
)
from ._csv import load_csv
from ._dev import read_dev_answers
from ._formats import choose_run, folder_runs, split_name
from ._json import ExtraData, read_json, read_json_object
from ._nbest import nbest_columns, warn_null_odds_mismatch, warn_predictions_mismatch
from ._pickle import load_notebook_pickle

_PICKLE_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth")
_WHAT = {
    "nbest_predictions": "lists of candidates",
    "null_odds": "numbers",
    "predictions": "answer texts",
    "na_prob": "probabilities of no answer",
    "cls_score": "class scores (Retro-Reader's run_cls.py)",
    "qa_pipeline": "question-answering pipeline outputs",
}
# Any of these holds scores; predictions.json alone does not.
_SCORED = {"nbest_predictions", "null_odds", "na_prob", "cls_score", "qa_pipeline"}
# The reader and the margin of each kind of n-best entry.
_NBEST_READERS = {
    "logits": ("run_squad", KNOWN_MARGINS[0]),
    "joint": ("joint_span_extraction", (["null_score"], ["span_score"])),
    "log_probs": ("beam_search", (["answer_class_score"], None)),
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

    Read more in the :ref:`User Guide <reader-files>`.

    Parameters
    ----------
    path : str, path-like, or list of them
        A folder of a reader's outputs: BERT's ``run_squad.py``
        (``nbest_predictions.json``, ``null_odds.json``, ``predictions.json``),
        transformers' ``run_qa.py`` or ``run_qa_beam_search.py`` (prefixed:
        ``eval_nbest_predictions.json``), transformers' legacy
        ``run_squad.py`` (``nbest_predictions_.json``, per checkpoint
        ``null_odds_500.json``), KNOT-FIT-BUT/JointSpanExtraction
        (``dev_results_nbest_<host>.json``, ``dev_results_<host>.json``,
        ``null_logods.json``), ELECTRA (``squad_preds.json``,
        ``squad_null_odds.json``), ALBERT's ``run_squad_v2.py`` (BERT's names,
        beam-search entries), Retro-Reader (``cls_score.json`` beside the
        intensive reader's files) or the official script's inputs
        (``predictions.json``, ``na_prob.json``). Or one such scores file, a
        transformers question-answering pipeline's outputs (``{question id:
        output}``), a CSV file (`load_csv`) or the notebook's pickle
        (`load_notebook_pickle`). A list joins several runs on question ids;
        the same run twice (one file, through links or not, or byte-identical
        files) is an error.
    dev : str or path-like, default=None
        Gold answers, for labels and SQuAD credit: the official SQuAD 2.0
        JSON (``dev-v2.0.json``), or the ``squad_v2`` records as JSON lines,
        a JSON array or parquet. None: new questions to predict on. For
        reader output JSON files only.
    prefix : str, default=None
        Which run of a folder holding several to read: ``"eval"`` reads
        ``eval_*.json``, ``""`` the unprefixed names, ``"500"`` or ``"_500"``
        the legacy ``*_500.json``, ``"_"`` the legacy ``*_.json``, a host
        name JointSpanExtraction's files of that host; None needs one run.
    subset : {"strict", "intersection"}, default="strict"
        ``"strict"``: every file holds exactly the dev file's questions, else
        an error names the odd ids; ``"intersection"``: keep the questions
        all hold, with a warning counting those dropped.
    label_column, id_column : str, default="unanswerable", None
        For a CSV file only, see `load_csv`.
    names : list of str, default=None
        With several runs, each run's distinct name, for its columns
        ``<name>__<column>`` (``ColumnTransformer``'s style); None: the
        folders' names (a file's stem).
    primary : str, default=None
        The run whose span texts, EM/F1 and ``margin_columns`` joined runs
        keep, its columns first; None: the first.
    scores : dict of str to path-like, default=None
        Extra per-question scores, each a JSON object ``question id ->
        number`` (e.g. a verifier's), joined as a column named by its key.
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series named
        "unanswerable" and ``frame`` both side by side (needs pandas); if
        False, ``frame`` is None.

    Returns
    -------
    data : Bunch
        Dictionary-like object, with the following attributes.

        data : ndarray of shape (n_questions, n_features)
            The scores: the per-head logits ``null_start_logit``,
            ``null_end_logit`` (of the null candidate) and
            ``span_start_logit``, ``span_end_logit`` (of the best span);
            JointSpanExtraction's ``null_score`` and ``span_score``; beam
            search's (ALBERT's, ELECTRA's) ``answer_class_score``,
            ``span_start_log_prob`` and ``span_end_log_prob``; ``null_odds``
            or ``na_prob`` alone; the pipeline's ``null_probability`` and
            ``span_probability``; Retro-Reader's ``cls_score`` last.
        feature_names : list of str
            Column names, as above.
        target : ndarray of shape (n_questions,) of bool or None
            True where the question is unanswerable; None without `dev`.
        ids : ndarray of shape (n_questions,) of object
            Question ids, in the dev file's order (else the first file's).
        em, f1 : ndarray of shape (n_questions,) or None
            The credit of answering each question with its best span (see
            `skfusion.metrics.squad2_credit`); None without `dev`, or where
            an answerable question's span text is unknown.
        span_text : list of str or None, or None
            The best span's text per question (None where unknown).
        no_span : ndarray of shape (n_questions,) of bool or None
            True where the n-best list holds only the reader's placeholder
            (``"empty"``, scored 0.0): such a question keeps its scores, can
            only be answered "", and a warning counts them.
        margin_columns : tuple of (list of str, list of str or None) or None
            The columns whose sums the reader's rule subtracts, null minus
            span, or the one column that is the score itself; None for a CSV
            whose column names say no margin.
        reader, score_kind : str or None
            Which reader wrote the files (``"run_squad"`` for BERT and
            transformers' ``run_qa.py``, ``"joint_span_extraction"``,
            ``"beam_search"``, ``"albert"``, ``"electra"``,
            ``"retro_reader"``, ``"qa_pipeline"``, ``"na_prob"``) and what its
            margin is (``"logit difference"``, ``"class score"``,
            ``"probability"``); None where the files do not say.
        run_margins, primary : dict of str to tuple, and str
            With several runs only: each run's ``margin_columns`` by name,
            and the primary run's name.
        DESCR : str
            Which files were read.

    See Also
    --------
    skfusion.features.features_from_logits : The same columns from raw
        logits of ``Trainer.predict``.
    skfusion.MarginThresholdClassifier : BERT's rule on ``margin_columns``.

    Notes
    -----
    The best span is the reader's own choice: the first candidate of highest
    score summed in the coarsest precision that holds every score of the
    file exactly (float16 for a half-precision run), as transformers'
    ``postprocess_qa_predictions`` and BERT's ``run_squad.py`` rank them.
    A run's other files are checked against its n-best lists, with a warning
    counting the questions where they differ (the n-best lists' values are
    kept): ``null_odds.json`` must be null minus best span score within the
    reader's rounding (it is never added as a collinear column), each
    non-empty answer of ``predictions.json`` the best span's text. Anything
    else not as a reader writes it (another type, a key given twice, a file
    the folder names and that cannot be read) is an error naming the file.

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
    with paused_gc():
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


def _check_distinct_runs(paths, read):
    """Refuse two runs that share a score file, or hold byte-identical ones."""
    filecmp.clear_cache()
    for (i, a), (j, b) in itertools.combinations(enumerate(read), 2):
        for x, y in itertools.product(a, b):
            if os.path.samefile(x, y) or filecmp.cmp(x, y, shallow=False):
                raise ValueError(
                    f"{paths[i]} and {paths[j]} are the same run ({x.name} is "
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
        # One sketchy reader's cls_score.json may sit beside several runs.
        shared = ("predictions", "cls_score")
        return run, [p for kind, p in files.items() if kind not in shared]
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
    entries = first if isinstance(first, list) else [first]
    if entries and all(
        isinstance(e, dict) and "answer" in e and "text" not in e for e in entries
    ):
        return "qa_pipeline", content  # pipeline answers: score, start, end, answer
    if isinstance(first, list):
        return "nbest_predictions", content
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        named = split[1] if split and split[1] in ("na_prob", "cls_score") else None
        return named or "null_odds", content
    if isinstance(first, str):
        return "predictions", content
    raise ValueError(
        f"{path}: expected n-best lists (question id -> list of candidates) or "
        f"null odds (question id -> number), found {short(first)} for "
        f"{short(next(iter(content)))}."
    )


def _load_json_outputs(files, dev, subset, style=None, parsed=None):
    """Join a run's JSON files (and the dev answers) into the loaders' Bunch."""
    if not _SCORED & set(files):
        raise ValueError(
            f"{files['predictions']}: holds predictions only; the scores are in "
            "nbest_predictions.json, null_odds.json or na_prob.json (readers that "
            "write none, such as SpanBERT's run_squad.py, save them with a few "
            "lines: see 'Readers that write no scores' in the user guide)."
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
    X, names, run = _run_columns(sources, files, ids, style)
    del sources
    target = None if answers is None else np.array([not answers[q] for q in ids])
    if target is not None and run["span_text"] is not None:
        run["em"], run["f1"] = _credit(answers, ids, target, **run)
    descr = "Reader outputs: " + ", ".join(map(str, files.values()))
    descr += f"; dev answers: {dev}" if dev is not None else ""
    return reader_bunch(X, names, target, ids, descr=descr, **run)


def _numbers(content, ids, path, key):
    return np.array([json_number(content[q], path, q, key) for q in ids])


def _run_columns(sources, files, ids, style):
    """Return a run's scores, their names, and its other Bunch fields."""
    if "qa_pipeline" in sources:
        X, texts = _pipeline_columns(sources["qa_pipeline"], ids, files["qa_pipeline"])
        margin = (["null_probability"], ["span_probability"])
        run = {"margin_columns": margin, "span_text": texts, "reader": "qa_pipeline"}
        return X, [*margin[0], *margin[1]], run
    cls = sources.pop("cls_score", None)
    if cls is not None:
        cls = _numbers(cls, ids, files["cls_score"], "cls_score")[:, None]
    texts = _texts(sources, files, ids)
    if cls is not None and not (_SCORED & set(sources)):
        # run_cls.py's alone: Retro-Reader's sketchy reader, a class score.
        run = {
            "span_text": texts,
            "reader": "retro_reader",
            "score_kind": "class score",
        }
        return cls, ["cls_score"], {"margin_columns": (["cls_score"], None), **run}
    X, names, run = _reader_columns(sources, files, ids, style, texts)
    if cls is None:
        return X, names, run
    # The intensive reader's columns and the sketchy reader's, as run_verifier.py
    # reads them; only BERT-style intensive readers are Retro-Reader's.
    if run["reader"] in ("run_squad", None):
        run["reader"] = "retro_reader"
    return np.hstack([X, cls]), [*names, "cls_score"], run


def _texts(sources, files, ids):
    """Return predictions.json's answers for `ids` ("" unknown: None), or None."""
    if "predictions" not in sources:
        return None
    texts = [sources["predictions"][q] for q in ids]
    bad = [q for q, t in zip(ids, texts, strict=True) if not isinstance(t, str)]
    if bad:
        raise ValueError(
            f"{files['predictions']}: {len(bad)} prediction(s) are not strings, "
            f"e.g. {few(bad)}: expected question id -> answer text."
        )
    return [t or None for t in texts]  # "" (no answer): the span is unknown


def _pipeline_columns(outputs, ids, path):
    """Return the null and best span probabilities, and span texts, of `ids`."""
    # Per question, the top_k answers (one alone: a dict) by score; the null
    # answer ("", start = end = 0) is among them where it ranks in the top_k.
    X, texts, lacking = np.zeros((len(ids), 2)), [None] * len(ids), []
    for i, qid in enumerate(ids):
        answers = outputs[qid] if isinstance(outputs[qid], list) else [outputs[qid]]
        found = {}  # the first null answer (True) and the first span (False)
        for a in answers:
            if not isinstance(a, dict) or not isinstance(a.get("answer"), str):
                raise ValueError(
                    f"{path}: question {short(qid)}: {short(a)} is not a pipeline "
                    "answer; expected objects with score, start, end and answer."
                )
            null = a["answer"] == "" and a.get("start") == a.get("end") == 0
            score = json_number(a.get("score"), path, qid, "score")
            found.setdefault(null, (score, a["answer"]))
        if len(found) < 2:
            lacking.append(qid)
            continue
        (X[i, 0], _), (X[i, 1], texts[i]) = found[True], found[False]
    if lacking:
        raise ValueError(
            f"{path}: {len(lacking)} question(s) lack the null answer or a span "
            f"among the pipeline's answers, e.g. {few(lacking)}; expected the "
            "outputs of handle_impossible_answer=True with a top_k that keeps both "
            "(raise it), or compute the scores from the model's logits with "
            "skfusion.features.features_from_logits."
        )
    return X, texts


def _reader_columns(sources, files, ids, style, texts):
    """Return the scores, names and Bunch fields of a run's reader files."""
    key = "null_odds" if "null_odds" in sources else "na_prob"
    odds = _numbers(sources[key], ids, files[key], key) if key in sources else None
    if "nbest_predictions" in sources:
        path = files["nbest_predictions"]
        kind, X, names, span_text, no_span, dtype = nbest_columns(
            sources["nbest_predictions"], ids, path
        )
        if texts is not None:
            warn_predictions_mismatch(
                texts, span_text, no_span, ids, files["predictions"]
            )
        reader, margin = _NBEST_READERS[kind]
        if kind == "log_probs" and odds is None:
            raise ValueError(
                f"{path}: beam-search n-best lists (start_log_prob, end_log_prob) "
                "hold no null score; give the run's null_odds.json (the answer-class "
                "score) beside them."
            )
        if kind == "log_probs":
            X, names = np.column_stack([odds, X]), ["answer_class_score", *names]
            # evaluate_v2 blanked predictions.json, which XLNet's never does.
            blank = None if texts is None else np.array([t is None for t in texts])
            if blank is not None and (blank & ~no_span).any():
                reader = "albert"
        elif odds is not None:
            warn_null_odds_mismatch(odds, X, kind, dtype, ids, files["null_odds"])
        run = {"span_text": span_text, "no_span": no_span, "reader": reader}
        return X, names, {"margin_columns": margin, **run}
    if key == "na_prob" and ((odds < 0) | (odds > 1)).any():
        i = int(np.argmax((odds < 0) | (odds > 1)))
        raise ValueError(
            f"{files['na_prob']}: question {ids[i]!r}: na_prob is "
            f"{float(odds[i])!r}, expected a probability in [0, 1] (a score of "
            "another kind goes in null_odds.json)."
        )
    if key == "na_prob":
        reader = "na_prob"
    elif style in ("jse", "electra"):
        reader = {"jse": "joint_span_extraction", "electra": "electra"}[style]
    else:  # beam-search readers never predict "", which a threshold decides
        reader = "run_squad" if None in (texts or ()) else None
    # ELECTRA's null odds are its answerability classifier's logit.
    key = "answer_class_score" if reader == "electra" else key
    run = {"margin_columns": ([key], None), "span_text": texts, "reader": reader}
    return odds[:, None], [key], run


def _credit(answers, ids, target, *, span_text, no_span=None, **_):
    """Return each question's EM and F1 for answering with its best span."""
    # An unknown span ("" in predictions.json) scores 0 on an unanswerable
    # question and makes an answerable one's unknown; no span: "".
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


def run_names(paths, names):
    """Each run's name: given, else its folder's name (a file's stem)."""
    if names is None:
        names = [Path(p).name if Path(p).is_dir() else Path(p).stem for p in paths]
    names = [str(n) for n in names]
    if len(names) != len(paths):
        raise ValueError(
            f"names={names!r} has {len(names)} name(s) for {len(paths)} run(s); "
            "expected one per run."
        )
    bad = [n for i, n in enumerate(names) if not n or "," in n or n in names[:i]]
    if bad:
        raise ValueError(
            f"run names {names!r}: expected distinct, non-empty names without "
            f"commas ({bad[0]!r}); give them with names= (--names on the command "
            "line)."
        )
    return names


def join_runs(paths, runs, *, names, primary, scores, subset):
    """Join loaded runs on question ids; the primary run gives the answers."""
    prefixed = len(runs) > 1 or names is not None
    names = run_names(paths, names)
    if primary is not None and primary not in names:
        raise ValueError(f"primary={primary!r} is not one of the runs {names}.")
    first = 0 if primary is None else names.index(primary)
    order = [first, *(i for i in range(len(runs)) if i != first)]
    extra = {
        str(name): (path, read_json_object(path, what="numbers"))
        for name, path in (scores or {}).items()
    }
    named = [(names[i], list(runs[i].ids)) for i in order]
    named += [(str(path), list(content)) for path, content in extra.values()]
    ids = common_ids(named, subset, "run", reference=f"run {names[first]!r}")
    columns, feature_names, margins, target, takes = [], [], {}, None, {}
    for i in order:
        rows = {q: k for k, q in enumerate(runs[i].ids)}
        take = takes[i] = np.array([rows[q] for q in ids], dtype=np.intp)
        lead = f"{names[i]}{SEPARATOR}" if prefixed else ""
        columns.append(runs[i].data[take])
        feature_names += [lead + c for c in runs[i].feature_names]
        if runs[i].margin_columns is not None:
            null, span = runs[i].margin_columns
            span = None if span is None else [lead + c for c in span]
            margins[names[i]] = ([lead + c for c in null], span)
        own = None if runs[i].target is None else runs[i].target[take]
        if own is not None and target is not None and (own != target).any():
            raise ValueError(
                f"run {names[i]!r} labels {int((own != target).sum())} question(s) "
                f"otherwise than run {names[first]!r}: expected one dev set."
            )
        target = own if target is None else target
    for name, (path, content) in extra.items():
        columns.append([[json_number(content[q], path, q, name)] for q in ids])
        feature_names.append(name)
    twice = [n for i, n in enumerate(feature_names) if n in feature_names[:i]]
    if twice:
        raise ValueError(
            f"column {twice[0]!r} appears twice; name the extra scores and the "
            "runs differently."
        )
    main, pick = runs[first], takes[first]

    def rows(run, key, take):
        return None if run[key] is None else run[key][take]

    data = reader_bunch(
        np.column_stack(columns),
        feature_names,
        target,
        ids,
        margin_columns=margins.get(names[first]),
        **{k: rows(main, k, pick) for k in ("em", "f1", "no_span")},
        span_text=None if main.span_text is None else [main.span_text[k] for k in pick],
        reader=main.reader,
        score_kind=main.score_kind,
        descr=f"Runs joined on question ids, answers from {names[first]!r}: "
        + "; ".join(str(p) for p in paths)
        + "".join(f"; score {n}: {p}" for n, (p, _) in extra.items()),
    )
    # Each run's own EM/F1: a rule on a run's margin answers with its spans.
    data.run_credit = {
        names[i]: {k: rows(runs[i], k, takes[i]) for k in ("em", "f1")} for i in order
    }
    data.run_margins, data.primary = margins, names[first]
    return data


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
    with paused_gc():
        return frame_bunch(_load_json_outputs(files, dev_file, "strict"), as_frame)
