"""Write a simulated reader's run_qa output folder and its dev file."""

import json
from pathlib import Path

import numpy as np
from scipy.special import expit
from sklearn.utils import check_random_state

from .._io import atomic_write
from ._run_qa_outputs import _nbest_entries, _null_odds, _output_names
from ._simulate import _check_sizes, _simulate

_DEV_NAMES = {"squad": "dev-v2.0.json", "jsonl": "dev-v2.0.jsonl"}
_QUESTIONS_PER_ARTICLE = 50

_WORDS = (
    "the of and to in a was that for on as with by is at from his an were are "
    "which this be its first city also new after had not or two time other "
    "one during their may she but war school who has more most many been "
    "world state later they river part known national between over high some "
    "under government built century area into early people than church three "
    "north large population began called would series both while use system "
    "where south since several these public until such each found "
    "modern based could law second team empire west following largest major "
    "around small did center house style island through power four work "
    "building region language history music form common east period"
).split()
_NAMES = (
    "Normandy Rollo Denver Broncos Carolina Panthers Warsaw Vistula Amazon "
    "Victoria Kenya Harvard Chicago Oxford Huguenots Geneva Jacksonville "
    "Tesla Edison Westinghouse Newcastle Tyne Luther Calvin Fresno Sierra "
    "Nevada Rhine Basel Pharmacy Genghis Yuan Kublai Mongols Apollo Houston "
    "Steam Watt Scotland Ireland Brazil Peru Andes Ottoman Bavaria Prussia"
).split()


def _answer_words(rng, length):
    """Draw a year (now and then, for one word) or a phrase of names."""
    if length == 1 and rng.uniform() < 0.4:
        return [str(rng.randint(1066, 2017))]
    return [_NAMES[k] for k in rng.randint(len(_NAMES), size=length)]


def _context_words(rng, n_tokens, answer):
    """`n_tokens` words in sentences, with an answer-like phrase at `answer`.

    Sentences never end inside the phrase, so that its text has no period.
    """
    words = [_WORDS[k] for k in rng.randint(len(_WORDS), size=n_tokens)]
    words[answer] = _answer_words(rng, answer.stop - answer.start)
    start = 0
    while start < n_tokens:
        words[start] = words[start][0].upper() + words[start][1:]
        end = min(start + rng.randint(7, 21), n_tokens - 1)
        if answer.start <= end < answer.stop - 1:
            end = answer.stop - 1
        words[end] += "."
        start = end + 1
    return words


def _offsets(words):
    """Join `words`; return the context and each word's span without its period."""
    offsets, position = [], 0
    for word in words:
        offsets.append((position, position + len(word.rstrip("."))))
        position += len(word) + 1
    return " ".join(words), offsets


def _random_span(rng, window):
    start = rng.randint(window[0], window[1])
    return start, min(start + rng.randint(0, 4), window[1] - 1)


def _near_miss(rng, gold, window):
    """Overlap `gold` partially: move one of its ends by 1 to 3 words."""
    start, end = gold
    if end > start and rng.uniform() < 0.5:
        cut = rng.randint(1, end - start + 1)
        return (start + cut, end) if rng.uniform() < 0.5 else (start, end - cut)
    grow = rng.randint(1, 4)
    if rng.uniform() < 0.5 and start > window[0]:
        return max(window[0], start - grow), end
    return start, min(window[1] - 1, end + grow)


def _best_span(rng, gold, window, right_window, exact):
    """Pick the reader's best span (first and last word) in its window."""
    if not right_window:
        return _random_span(rng, window)
    return gold if exact else _near_miss(rng, gold, window)


def _top_positions(rng, best, logit, window, n=12):
    """Return the best position and others with lower logits, mostly near it."""
    near = best + rng.randint(-3, 4, size=n)
    far = rng.randint(window[0], window[1], size=n)
    picked = np.where(rng.uniform(size=n) < 0.6, near, far)
    picked = np.clip(picked, window[0], window[1] - 1).tolist()
    others = [p for p in dict.fromkeys(picked) if p != best]
    logits = logit - np.cumsum(rng.exponential(1.2, size=len(others)))
    return [(best, logit), *zip(others, logits.tolist(), strict=True)]


def _gold_answers(rng, context, offsets, gold):
    """Three annotators' answers: the gold span, now and then one word longer."""
    start, end = gold
    answers = [(offsets[start][0], offsets[end][1])] * 3
    if start > 0 and context[offsets[start - 1][1]] == " " and rng.uniform() < 0.3:
        answers[1] = (offsets[start - 1][0], offsets[end][1])
    return [{"text": context[s:e], "answer_start": s} for s, e in answers]


def _exact_probability(margin):
    """Chance that an answerable question's best span is exactly the gold.

    A reader is right more often where it is sure: 0.94 for a sure answer,
    0.86 at margin 0, half as often at margin 6.
    """
    return 0.94 * expit((6.0 - margin) / 2.5)


def _question_text(words, answer):
    """Ask about the words just before the answer phrase."""
    before = words[max(0, answer.start - 4) : answer.start]
    after = words[answer.stop : answer.stop + 4]
    cue = [w.rstrip(".").lower() for w in (before or after)]
    return "What " + " ".join(cue) + "?"


def _simulated_question(rng, simulation, i, exact):
    """Context, answers, nbest list, null odds and prediction of question i."""
    q, X = simulation.questions, simulation.X
    answer = slice(q.answer_start[i], q.answer_start[i] + q.answer_length[i])
    words = _context_words(rng, q.context_tokens[i], answer)
    context, offsets = _offsets(words)
    gold = (answer.start, answer.stop - 1)
    window_index = simulation.span_window[i]
    first = q.window_start[window_index]
    window = (first, min(first + q.room[i], q.context_tokens[i]))
    plausible = q.unanswerable[i] and window[0] <= gold[0] and gold[1] < window[1]
    right_window = q.holds_answer[window_index] or (plausible and rng.uniform() < 0.5)
    best = _best_span(rng, gold, window, right_window, exact)
    starts = ends = []
    if not simulation.no_valid_span[i]:
        starts = _top_positions(rng, best[0], X[i, 2], window)
        ends = _top_positions(rng, best[1], X[i, 3], window)
    nbest = _nbest_entries(context, offsets, starts, ends, (X[i, 0], X[i, 1]))
    null_odds, best_text = _null_odds(nbest)
    return {
        "context": context,
        "question": _question_text(words, answer),
        "answers": _gold_answers(rng, context, offsets, gold),
        "nbest": nbest,
        "null_odds": null_odds,
        "prediction": "" if null_odds > 0 else best_text,
    }


def _title(article):
    name = _NAMES[article % len(_NAMES)]
    return name if article < len(_NAMES) else f"{name}_{article // len(_NAMES)}"


def _squad_json(ids, questions, unanswerable):
    """Write the dev set as SQuAD 2.0's ``dev-v2.0.json``, a paragraph each."""
    articles = {}
    for i, (qid, q) in enumerate(zip(ids, questions, strict=True)):
        qa = {"question": q["question"], "id": qid}
        if unanswerable[i]:
            qa = {"plausible_answers": q["answers"], **qa, "answers": []}
        else:
            qa["answers"] = q["answers"]
        qa["is_impossible"] = bool(unanswerable[i])
        paragraph = {"qas": [qa], "context": q["context"]}
        title = _title(i // _QUESTIONS_PER_ARTICLE)
        articles.setdefault(title, []).append(paragraph)
    data = [{"title": t, "paragraphs": p} for t, p in articles.items()]
    return json.dumps({"version": "v2.0", "data": data})


def _squad_v2_jsonl(ids, questions, unanswerable):
    """Write the dev set as ``datasets.Dataset.to_json`` writes squad_v2."""
    lines = []
    for i, (qid, q) in enumerate(zip(ids, questions, strict=True)):
        answers = [] if unanswerable[i] else q["answers"]
        record = {
            "id": qid,
            "title": _title(i // _QUESTIONS_PER_ARTICLE),
            "context": q["context"],
            "question": q["question"],
            "answers": {
                "text": [a["text"] for a in answers],
                "answer_start": [a["answer_start"] for a in answers],
            },
        }
        lines.append(json.dumps(record, separators=(",", ":")) + "\n")
    return "".join(lines)


def _check_example_options(prefix, dev_format):
    if dev_format not in _DEV_NAMES:
        raise ValueError(
            f"dev_format={dev_format!r} is not valid: expected one of "
            f"{sorted(_DEV_NAMES)}."
        )
    if prefix is not None and (
        not isinstance(prefix, str) or not prefix or set("/\\") & set(prefix)
    ):
        raise ValueError(
            f"prefix={prefix!r} is not valid: expected None or a non-empty "
            "file name prefix such as 'eval'."
        )


def write_squad_example(
    folder,
    *,
    n_questions: int = 2000,
    prefix: str | None = None,
    dev_format: str = "squad",
    random_state=0,
) -> dict:
    """Write a simulated reader's run_qa output folder and its dev file.

    The reader is `make_squad2_scores` with ``columns="per_head"``, for the
    same `n_questions` and `random_state`; each question gets a context
    string, gold answers and the files that transformers' ``run_qa.py``
    writes for a SQuAD 2.0 reader, so the whole workflow can be tried
    without a model.

    Parameters
    ----------
    folder : path-like
        Created if needed; receives the files below.
    n_questions : int, default=2000
        Number of questions; SQuAD 2.0 dev's share of them is unanswerable.
    prefix : str or None, default=None
        Prefix of the reader's files, as run_qa's ``prefix`` (it passes
        ``"eval"`` when it evaluates): ``eval_nbest_predictions.json``,
        ``eval_null_odds.json`` and ``eval_predictions.json``. None writes
        ``nbest_predictions.json``, ``null_odds.json``, ``predictions.json``.
    dev_format : {"squad", "jsonl"}, default="squad"
        ``"squad"`` writes ``dev-v2.0.json`` in SQuAD 2.0's own format
        (``version``, ``data``, ``paragraphs``, ``qas`` with ``answers``,
        ``is_impossible`` and, for unanswerable questions,
        ``plausible_answers``). ``"jsonl"`` writes ``dev-v2.0.jsonl`` as
        ``datasets.Dataset.to_json`` writes the ``squad_v2`` validation
        split: one record per line with ``id``, ``title``, ``context``,
        ``question`` and ``answers`` ``{"text": [...], "answer_start":
        [...]}``, empty lists for an unanswerable question.
    random_state : int, RandomState instance or None, default=0
        Seed of the simulation; an int gives the same files every call.

    Returns
    -------
    paths : dict of str to pathlib.Path
        The files written, keyed ``"dev"``, ``"nbest"``, ``"null_odds"`` and
        ``"predictions"``.

    See Also
    --------
    make_squad2_scores : The simulator behind the scores.

    Notes
    -----
    The files follow ``postprocess_qa_predictions`` in transformers'
    ``examples/pytorch/question-answering/utils_qa.py``:

    - ``nbest_predictions.json``: per question, the valid (start, end) pairs
      of the reader's top start and end positions (end not before start, at
      most 30 words) and the null candidate (text ``""``, the null logits),
      sorted by ``start_logit + end_logit``, the best 20 kept, the null one
      appended last if it fell out. Each entry holds ``start_logit``,
      ``end_logit``, ``text`` and ``probability``, a softmax over the listed
      entries' scores. Where a question has no valid span (about 0.3% of
      them) run_qa's fake entry ``{"text": "empty", "start_logit": 0.0,
      "end_logit": 0.0}`` comes first.
    - ``null_odds.json``: null score minus the first non-null entry's
      ``start_logit + end_logit``, computed as run_qa does
      (``null_score - start_logit - end_logit``).
    - ``predictions.json``: ``""`` where the null odds exceed 0, else the
      best non-null text: run_qa's ``null_score_diff_threshold=0``.

    The null entry's logits are the per-head columns ``null_start_logit``
    and ``null_end_logit``, the first non-null entry's those of
    ``span_start_logit`` and ``span_end_logit``, exactly. A context has one
    word per simulated token; an answerable question's answer sits at the
    simulated position. Its best span is the gold answer with a chance that
    falls as BERT's margin ``m`` rises, ``0.94 / (1 + exp((m - 6) / 2.5))``
    (0.94 for a sure answer, 0.86 at ``m = 0``), else a span that overlaps
    it partially, so EM and F1 differ; a best span from a window without
    the answer lies elsewhere in its window.

    With the defaults, on each of random states 0 to 99, the official
    SQuAD 2.0 evaluation script on these files gives exact 75 to 80 at
    threshold 0, and its ``best_exact`` gains 0.1 to 2.7 points (1.1 on
    average) at a ``best_exact_thresh`` between -4.9 and -0.4, as published
    runs of BERT-style readers do (0 to 1.1 points, at -2.5 to -5.3).

    Examples
    --------
    >>> import json, tempfile
    >>> from skfusion.datasets import write_squad_example
    >>> folder = tempfile.mkdtemp()
    >>> paths = write_squad_example(folder, n_questions=50, prefix="eval")
    >>> sorted(p.name for p in paths.values())  # doctest: +NORMALIZE_WHITESPACE
    ['dev-v2.0.json', 'eval_nbest_predictions.json', 'eval_null_odds.json',
     'eval_predictions.json']
    >>> nbest = json.loads(paths["nbest"].read_text())
    >>> sorted(next(iter(nbest.values()))[0])
    ['end_logit', 'probability', 'start_logit', 'text']
    """
    _check_example_options(prefix, dev_format)
    n_unanswerable = _check_sizes(n_questions, None, 384, 128, "per_head")
    rng = check_random_state(random_state)
    simulation = _simulate(n_questions, n_unanswerable, "per_head", 384, 128, rng)
    X, unanswerable = simulation.X, simulation.questions.unanswerable
    exact = rng.uniform(size=n_questions) < _exact_probability(
        X[:, 0] + X[:, 1] - X[:, 2] - X[:, 3]
    )
    ids = [rng.bytes(9).hex() + f"{i:06x}" for i in range(n_questions)]
    questions = [
        _simulated_question(rng, simulation, i, exact[i]) for i in range(n_questions)
    ]
    write_dev = _squad_json if dev_format == "squad" else _squad_v2_jsonl
    outputs = {
        key: {qid: q[key] for qid, q in zip(ids, questions, strict=True)}
        for key in ("nbest", "null_odds")
    }
    outputs["predictions"] = {
        qid: q["prediction"] for qid, q in zip(ids, questions, strict=True)
    }
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"dev": folder / _DEV_NAMES[dev_format]}
    with atomic_write(paths["dev"]) as f:
        f.write(write_dev(ids, questions, unanswerable))
    for key, name in _output_names(prefix).items():
        paths[key] = folder / name
        with atomic_write(paths[key]) as f:
            # run_qa's own layout: indent=4 and a final newline.
            f.write(json.dumps(outputs[key], indent=4) + "\n")
    return paths
