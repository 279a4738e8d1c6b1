"""Builders of small files in every format a reader writes, for the tests."""

import json

import numpy as np

from tests import _official_eval as official


def write_json(path, content):
    path.write_text(json.dumps(content))
    return path


def scaled_run(folder, copy, factor=1.5):
    """Copy a run folder with its logits and null odds `factor` times the run's.

    Another run, in effect (no score file is the same), with the run's best
    spans and predictions.
    """
    copy.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.json"):
        content = json.loads(path.read_text())
        if "nbest" in path.name:
            for entry in (e for entries in content.values() for e in entries):
                entry["start_logit"] *= factor
                entry["end_logit"] *= factor
        elif "null_odds" in path.name:
            content = {q: v * factor for q, v in content.items()}
        write_json(copy / path.name, content)
    return copy


def squad_dev(golds):
    """Official SQuAD 2.0 JSON for ``{qid: [gold answers]}`` ([] = unanswerable)."""
    qas = [
        {
            "id": qid,
            "question": f"Question {qid}?",
            "answers": [{"text": g, "answer_start": 0} for g in answers],
            "is_impossible": not answers,
        }
        for qid, answers in golds.items()
    ]
    paragraphs = [{"context": "A context.", "qas": qas}]
    return {"version": "v2.0", "data": [{"title": "t", "paragraphs": paragraphs}]}


def squad_v2_records(golds):
    """The records of transformers' squad_v2 dataset for the same questions."""
    return [
        {
            "id": qid,
            "title": "t",
            "context": "A context.",
            "question": f"Question {qid}?",
            "answers": {"text": list(answers), "answer_start": [0] * len(answers)},
        }
        for qid, answers in golds.items()
    ]


def entry(text, start, end):
    return {"text": text, "start_logit": start, "end_logit": end, "probability": 0.1}


def run_qa_outputs(nbest):
    """null_odds and predictions at threshold 0, as run_qa derives them."""
    null_odds, predictions = {}, {}
    for qid, entries in nbest.items():
        null = next(e for e in entries if e["text"] == "")
        best = next(e for e in entries if e["text"] != "")
        odds = null["start_logit"] + null["end_logit"]
        null_odds[qid] = odds - best["start_logit"] - best["end_logit"]
        predictions[qid] = "" if null_odds[qid] > 0 else best["text"]
    return null_odds, predictions


def write_run(folder, nbest, *, prefix=None, kinds=("nbest", "null_odds", "preds")):
    """Write a reader's output files into `folder`; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    null_odds, predictions = run_qa_outputs(nbest)
    lead = f"{prefix}_" if prefix else ""
    contents = {
        "nbest": ("nbest_predictions", nbest),
        "null_odds": ("null_odds", null_odds),
        "preds": ("predictions", predictions),
    }
    return {
        kind: write_json(folder / f"{lead}{contents[kind][0]}.json", contents[kind][1])
        for kind in kinds
    }


# Three questions: q1's best span is right ("Seine" = "the Seine"), q2 is
# unanswerable, q3's best span is wrong.
GOLDS = {"q1": ["the Seine"], "q2": [], "q3": ["1889"]}
NBEST = {
    "q1": [entry("Seine", 4.0, 3.0), entry("river", 1.0, 1.0), entry("", 1.0, 0.5)],
    "q2": [entry("", 3.0, 2.5), entry("Paris", 2.0, 1.0)],
    "q3": [entry("in 1887", 3.0, 2.0), entry("", 0.0, 0.0)],
}
PER_HEAD = [[1.0, 0.5, 4.0, 3.0], [3.0, 2.5, 2.0, 1.0], [0.0, 0.0, 3.0, 2.0]]


WORDS = ["the", "Seine", "river", "Paris", "1889", "a", "tower", "in", "of"]


def random_run(seed, n_questions, signal=0.0):
    """A random reader run: gold answers, and n-best lists with 1-4 spans.

    Odd questions are answerable; `signal` raises the null logits of the
    unanswerable ones and lowers those of the others.
    """
    rng = np.random.RandomState(seed)

    def text():
        return " ".join(rng.choice(WORDS, rng.randint(1, 4)))

    golds, nbest = {}, {}
    for i in range(n_questions):
        qid = f"q{i}"
        # Gold answers that normalise to "" would be scored one way by the
        # script's text path and another by its threshold path; real data
        # has none, and neither do these.
        answers = [text() for _ in range(rng.randint(1, 3))] if i % 2 else []
        golds[qid] = [a for a in answers if official.normalize(a)] or (
            ["Seine"] if i % 2 else []
        )
        spans = [entry(text(), *rng.normal(2, 2, 2)) for _ in range(rng.randint(1, 5))]
        if i == 1 or (i % 2 and rng.rand() < 0.5):
            # Some best spans are right, so that answering can pay.
            best = max(spans, key=lambda e: e["start_logit"] + e["end_logit"])
            golds[qid].append(best["text"])
        shift = signal if i % 2 == 0 else -signal
        candidates = [*spans, entry("", *rng.normal(1 + shift, 2, 2))]
        nbest[qid] = sorted(
            candidates, key=lambda e: -(e["start_logit"] + e["end_logit"])
        )
    return golds, nbest
