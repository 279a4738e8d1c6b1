"""Write a simulated reader's run_squad output files, to try the workflow on."""

import json
from pathlib import Path

from sklearn.utils import check_random_state

from ._simulate import make_squad2_scores


def write_squad_example(folder, *, n_questions=2000, random_state=0) -> dict:
    """Write ``dev-v2.0.json`` and a reader's outputs for simulated questions.

    The scores come from `make_squad2_scores`: the null score is the sum of
    the start and end null logits, as in BERT, and the best span score is
    the simulator's. Each answerable question's best span is the gold answer
    with probability 0.75, else a longer string that overlaps it (EM 0, F1
    0.8), so that EM and F1 differ.

    Parameters
    ----------
    folder : path-like
        Created if needed; receives ``dev-v2.0.json``,
        ``nbest_predictions.json``, ``null_odds.json`` and ``predictions.json``.
    n_questions : int, default=2000
    random_state : int, RandomState instance or None, default=0

    Returns
    -------
    paths : dict of str to Path
        The files written, keyed "dev", "nbest", "null_odds", "predictions".
    """
    rng = check_random_state(random_state)
    X, y = make_squad2_scores(n_questions=n_questions, random_state=rng)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ids = [f"sim{i:05d}" for i in range(n_questions)]
    right = rng.uniform(size=n_questions) < 0.75
    qas, nbest, null_odds, predictions = [], {}, {}, {}
    for i, qid in enumerate(ids):
        gold = f"answer number {i}"
        qas.append(
            {
                "id": qid,
                "question": f"Simulated question {i}?",
                "answers": [] if y[i] else [{"text": gold, "answer_start": 0}],
                "is_impossible": bool(y[i]),
            }
        )
        span = gold if right[i] and not y[i] else f"{gold} and more"
        null_score = X[i, 1] + X[i, 2]
        nbest[qid] = [
            {"text": span, "start_logit": X[i, 3] / 2, "end_logit": X[i, 3] / 2},
            {"text": "", "start_logit": X[i, 1], "end_logit": X[i, 2]},
        ]
        null_odds[qid] = float(null_score - X[i, 3])
        predictions[qid] = "" if null_odds[qid] > 0 else span
    dev = {
        "version": "v2.0",
        "data": [{"title": "simulated", "paragraphs": [{"context": "", "qas": qas}]}],
    }
    files = {
        "dev": ("dev-v2.0.json", dev),
        "nbest": ("nbest_predictions.json", nbest),
        "null_odds": ("null_odds.json", null_odds),
        "predictions": ("predictions.json", predictions),
    }
    paths = {}
    for key, (name, content) in files.items():
        paths[key] = folder / name
        paths[key].write_text(json.dumps(content, default=float))
    return paths
