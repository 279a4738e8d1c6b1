"""Write a simulated reader's run_qa output folder and its dev file."""

import json
from pathlib import Path

import numpy as np
from scipy.special import expit
from sklearn.utils import check_random_state

from .._io import atomic_write
from ._simulate import check_sizes, simulate

_DEV_NAMES = {"squad": "dev-v2.0.json", "jsonl": "dev-v2.0.jsonl"}
_QUESTIONS_PER_ARTICLE = 50
# transformers' run_qa defaults (postprocess_qa_predictions).
N_BEST_SIZE, MAX_ANSWER_LENGTH = 20, 30

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


def _context(rng, n_tokens, answer):
    """Return `n_tokens` words in sentences (a phrase at `answer`), text, spans."""
    words = [_WORDS[k] for k in rng.randint(len(_WORDS), size=n_tokens)]
    length = answer.stop - answer.start
    if length == 1 and rng.uniform() < 0.4:  # now and then, a year
        words[answer] = [str(rng.randint(1066, 2017))]
    else:
        words[answer] = [_NAMES[k] for k in rng.randint(len(_NAMES), size=length)]
    start = 0
    while start < n_tokens:
        words[start] = words[start][0].upper() + words[start][1:]
        end = min(start + rng.randint(7, 21), n_tokens - 1)
        if answer.start <= end < answer.stop - 1:  # no period inside the phrase
            end = answer.stop - 1
        words[end] += "."
        start = end + 1
    offsets, position = [], 0
    for word in words:
        offsets.append((position, position + len(word.rstrip("."))))
        position += len(word) + 1
    return words, " ".join(words), offsets


def _best_span(rng, gold, window, right_window, exact):
    """Pick the best span's words: the gold's, one end moved, or elsewhere."""
    if not right_window:
        start = rng.randint(window[0], window[1])
        return start, min(start + rng.randint(0, 4), window[1] - 1)
    start, end = gold
    if exact:
        return gold
    if end > start and rng.uniform() < 0.5:
        cut = rng.randint(1, end - start + 1)
        return (start + cut, end) if rng.uniform() < 0.5 else (start, end - cut)
    grow = rng.randint(1, 4)
    if rng.uniform() < 0.5 and start > window[0]:
        return max(window[0], start - grow), end
    return start, min(window[1] - 1, end + grow)


def _top_positions(rng, best, logit, window, n=12):
    """Return the best position and others with lower logits, mostly near it."""
    near = best + rng.randint(-3, 4, size=n)
    far = rng.randint(window[0], window[1], size=n)
    picked = np.where(rng.uniform(size=n) < 0.6, near, far)
    picked = np.clip(picked, window[0], window[1] - 1).tolist()
    others = [p for p in dict.fromkeys(picked) if p != best]
    logits = logit - np.cumsum(rng.exponential(1.2, size=len(others)))
    return [(best, logit), *zip(others, logits.tolist(), strict=True)]


def _nbest_entries(context, offsets, starts, ends, null_logits):
    """Build a question's n-best list as transformers' run_qa builds it."""

    def entry(start_logit, end_logit, text):
        return {"start_logit": start_logit, "end_logit": end_logit, "text": text}

    null = (sum(null_logits), entry(*null_logits, ""))
    prelim = [
        (ls + le, entry(ls, le, context[offsets[s][0] : offsets[e][1]]))
        for s, ls in starts
        for e, le in ends
        if s <= e < s + MAX_ANSWER_LENGTH
    ]
    kept = sorted([*prelim, null], key=lambda p: p[0], reverse=True)[:N_BEST_SIZE]
    if null not in kept:
        kept.append(null)
    if len(kept) == 1:
        kept.insert(0, (0.0, {"text": "empty", "start_logit": 0.0, "end_logit": 0.0}))
    scores = np.array([score for score, _ in kept])
    probabilities = np.exp(scores - scores.max())
    probabilities /= probabilities.sum()
    return [
        {**e, "probability": float(p)}
        for (_, e), p in zip(kept, probabilities, strict=True)
    ]


def _question(rng, questions, reader, i, exact):
    """Return question `i`'s context, question, answers and run_qa outputs."""
    q, X = questions, reader.X
    answer = slice(q.answer_start[i], q.answer_start[i] + q.answer_length[i])
    words, context, offsets = _context(rng, q.context_tokens[i], answer)
    gold = (answer.start, answer.stop - 1)
    window_index = reader.span_window[i]
    first = q.window_start[window_index]
    window = (first, min(first + q.room[i], q.context_tokens[i]))
    plausible = q.unanswerable[i] and window[0] <= gold[0] and gold[1] < window[1]
    right_window = q.holds_answer[window_index] or (plausible and rng.uniform() < 0.5)
    best = _best_span(rng, gold, window, right_window, exact)
    starts = ends = []
    if not reader.no_valid_span[i]:
        starts = _top_positions(rng, best[0], X[i, 2], window)
        ends = _top_positions(rng, best[1], X[i, 3], window)
    nbest = _nbest_entries(context, offsets, starts, ends, (X[i, 0], X[i, 1]))
    # run_qa's score difference: null score minus the best non-null span's.
    null = next(e for e in nbest if e["text"] == "")
    top = next(e for e in nbest if e["text"] != "")
    null_odds = float(
        null["start_logit"] + null["end_logit"] - top["start_logit"] - top["end_logit"]
    )
    # Ask about the words just before the answer phrase.
    cue = words[max(0, answer.start - 4) : answer.start] or words[answer.stop :][:4]
    # Three annotators: the gold span, now and then one word longer.
    spans = [(offsets[gold[0]][0], offsets[gold[1]][1])] * 3
    if gold[0] > 0 and context[offsets[gold[0] - 1][1]] == " ":
        if rng.uniform() < 0.3:
            spans[1] = (offsets[gold[0] - 1][0], offsets[gold[1]][1])
    return {
        "context": context,
        "question": "What " + " ".join(w.rstrip(".").lower() for w in cue) + "?",
        "answers": [{"text": context[s:e], "answer_start": s} for s, e in spans],
        "nbest": nbest,
        "null_odds": null_odds,
        "predictions": "" if null_odds > 0 else top["text"],
    }


def _title(article):
    name = _NAMES[article % len(_NAMES)]
    return name if article < len(_NAMES) else f"{name}_{article // len(_NAMES)}"


def _dev_file(ids, questions, unanswerable, dev_format):
    """Return the dev set as SQuAD 2.0 writes it, or as squad_v2 ``to_json`` does."""
    articles, lines = {}, []
    for i, (qid, q) in enumerate(zip(ids, questions, strict=True)):
        answers = [] if unanswerable[i] else q["answers"]
        title = _title(i // _QUESTIONS_PER_ARTICLE)
        qa = {"question": q["question"], "id": qid, "answers": answers}
        if unanswerable[i]:
            qa = {"plausible_answers": q["answers"], **qa}
        qa["is_impossible"] = bool(unanswerable[i])
        articles.setdefault(title, []).append({"qas": [qa], "context": q["context"]})
        record = {
            "id": qid,
            "title": title,
            "context": q["context"],
            "question": q["question"],
            "answers": {
                "text": [a["text"] for a in answers],
                "answer_start": [a["answer_start"] for a in answers],
            },
        }
        lines.append(json.dumps(record, separators=(",", ":")) + "\n")
    if dev_format == "jsonl":
        return "".join(lines)
    data = [{"title": t, "paragraphs": p} for t, p in articles.items()]
    return json.dumps({"version": "v2.0", "data": data})


def write_squad_example(
    folder,
    *,
    n_questions: int = 2000,
    prefix: str | None = None,
    dev_format: str = "squad",
    random_state=0,
) -> dict:
    """Write a simulated reader's run_qa output folder and its dev file.

    The reader is `make_squad2_scores`'s with ``columns="per_head"``; each
    question gets a context, gold answers and what transformers' ``run_qa.py``
    writes for it, so that the whole workflow can be tried without a model.

    Parameters
    ----------
    folder : path-like
        Created if needed; receives the files below.
    n_questions : int, default=2000
        Number of questions; SQuAD 2.0 dev's share of them is unanswerable.
    prefix : str or None, default=None
        Prefix of the reader's files, as run_qa's (``"eval"``:
        ``eval_nbest_predictions.json``, ...); None writes them without.
    dev_format : {"squad", "jsonl"}, default="squad"
        ``"squad"``: ``dev-v2.0.json``, SQuAD 2.0's format (with
        ``is_impossible`` and ``plausible_answers``); ``"jsonl"``:
        ``dev-v2.0.jsonl``, the ``squad_v2`` records as
        ``datasets.Dataset.to_json`` writes them.
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
    The files are those of transformers' ``postprocess_qa_predictions``
    (``utils_qa.py``) at ``null_score_diff_threshold=0``: the n-best lists
    (the best 20 valid pairs of the top start and end positions and the null
    candidate, a fake ``"empty"`` span first where none is valid), null_odds
    and predictions; the null entry's and the first span's logits are the
    simulator's per-head columns. The best span is the gold answer with a
    chance ``0.94 / (1 + exp((m - 6) / 2.5))`` at BERT's margin ``m``, else
    a span overlapping it (EM and F1 differ) or one elsewhere. With the
    defaults, on random states 0 to 99, the official script gives exact 75
    to 80 at threshold 0 and ``best_exact`` 0.1 to 2.7 points higher at a
    threshold between -4.9 and -0.4, as published BERT-style runs do (0 to
    1.1 points, at -2.5 to -5.3).

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
    n_unanswerable = check_sizes(n_questions, None, 384, 128, "per_head")
    rng = check_random_state(random_state)
    questions, reader = simulate(n_questions, n_unanswerable, "per_head", rng, 384, 128)
    X = reader.X
    margin = X[:, 0] + X[:, 1] - X[:, 2] - X[:, 3]
    exact = rng.uniform(size=n_questions) < 0.94 * expit((6.0 - margin) / 2.5)
    ids = [rng.bytes(9).hex() + f"{i:06x}" for i in range(n_questions)]
    drawn = [_question(rng, questions, reader, i, exact[i]) for i in range(n_questions)]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"dev": folder / _DEV_NAMES[dev_format]}
    with atomic_write(paths["dev"]) as f:
        f.write(_dev_file(ids, drawn, questions.unanswerable, dev_format))
    for key, name in {
        "nbest": "nbest_predictions",
        "null_odds": "null_odds",
        "predictions": "predictions",
    }.items():
        paths[key] = folder / (f"{prefix}_{name}.json" if prefix else f"{name}.json")
        with atomic_write(paths[key]) as f:
            # run_qa's own layout: indent=4 and a final newline.
            content = {qid: q[key] for qid, q in zip(ids, drawn, strict=True)}
            f.write(json.dumps(content, indent=4) + "\n")
    return paths
