"""Readers' post-processing, re-written step by step after their real code.

Each writer follows the selection logic of one reader's post-processing and
writes the files under that reader's names, so that the loaders are tested
against the readers' own choice of best span and their own null_odds:

- transformers examples/pytorch/question-answering/utils_qa.py:
  ``postprocess_qa_predictions`` (run_qa.py) and
  ``postprocess_qa_predictions_with_beam_search`` (run_qa_beam_search.py);
- transformers src/transformers/data/metrics/squad_metrics.py:
  ``compute_predictions_logits`` and ``compute_predictions_log_probs``, as the
  legacy examples/legacy/question-answering/run_squad.py names their files
  (``predictions_{prefix}.json``, ...; google-research/bert's run_squad.py
  selects as compute_predictions_logits does);
- KNOT-FIT-BUT/JointSpanExtraction src/scripts/tools/
  compute_predictions_from_logits.py: ``get_predictions``, with the names its
  trainer gives (``dev_results_nbest_<host>.json``, ``null_logods.json``).

Tokens are the context's words; a feature is the CLS token, three question
tokens (no offsets) and a window of the context.
"""

import collections
import json

import numpy as np

WORDS = ["the", "Seine", "river", "Paris", "1889", "a", "tower", "in", "of", "by"]


def model_outputs(
    seed, n_questions, *, dtype=np.float32, loc=0.0, scale=3.0, n_words=10
):
    """Examples, features with every model output, and gold answers."""
    rng = np.random.RandomState(seed)
    examples, features, golds = [], [], {}
    for i in range(n_questions):
        qid, words = f"q{i}", list(rng.choice(WORDS, n_words))
        context = " ".join(words)
        ends = np.cumsum([len(w) + 1 for w in words]) - 1
        chars = [(int(e) - len(w), int(e)) for w, e in zip(words, ends, strict=True)]
        examples.append({"id": qid, "context": context, "words": words})
        golds[qid] = [words[rng.randint(n_words)]] if i % 2 else []
        null_shift = -2.0 if i % 2 else 2.0
        for first in range(0, 1 + rng.randint(2) * 4, 4):  # 1 or 2 windows
            window = list(range(first, min(first + 8, n_words)))
            word_index = [None] * 4 + window
            n = len(word_index)
            start = rng.normal(loc, scale, n)
            end = rng.normal(loc, scale, n)
            start[0] += null_shift
            end[0] += null_shift
            top_start = rng.choice(np.arange(1, n), 5, replace=False)
            features.append(
                {
                    "example_id": qid,
                    "word_index": word_index,
                    "offset_mapping": [
                        None if w is None else chars[w] for w in word_index
                    ],
                    "start_logits": start.astype(dtype),
                    "end_logits": end.astype(dtype),
                    "start_top_log_probs": np.sort(-np.abs(rng.normal(0, 2, 5)))[
                        ::-1
                    ].astype(dtype),
                    "start_top_index": top_start,
                    "end_top_log_probs": -np.abs(rng.normal(0, 2, 25)).astype(dtype),
                    "end_top_index": rng.randint(1, n, 25),
                    "cls_logits": dtype(rng.normal(null_shift, 2)),
                    "joint_null": float(np.float32(rng.normal(null_shift - 3, 1))),
                    "joint_spans": _joint_spans(rng, n),
                }
            )
    return examples, features, golds


def _joint_spans(rng, n):
    """Top joint log-probabilities with their (start, end) token indices."""
    scores = np.sort(-np.abs(rng.normal(2, 2, 6)))[::-1].astype(np.float32)
    starts = rng.randint(0, n, 6)
    return [
        (float(s), int(a), int(a + rng.randint(0, 3)))
        for s, a in zip(scores, starts, strict=True)
    ]


def _by_example(examples, features):
    grouped = collections.defaultdict(list)
    for feature in features:
        grouped[feature["example_id"]].append(feature)
    return [(example, grouped[example["id"]]) for example in examples]


def _jsonable(entries):
    return [
        {k: float(v) if isinstance(v, np.floating) else v for k, v in e.items()}
        for e in entries
    ]


def _softmax(scores):
    scores = np.array(scores, dtype=np.float64)
    exp = np.exp(scores - scores.max())
    return exp / exp.sum()


# --- utils_qa.py -------------------------------------------------------------


def postprocess_qa_predictions(examples, features, *, n_best=20, max_len=30):
    """run_qa.py's selection; returns (predictions, nbest, null_odds, best)."""
    predictions, nbest_json, null_odds, best_text = {}, {}, {}, {}
    for example, feats in _by_example(examples, features):
        min_null, prelim = None, []
        for f in feats:
            s, e, offsets = f["start_logits"], f["end_logits"], f["offset_mapping"]
            null_score = s[0] + e[0]
            if min_null is None or min_null["score"] > null_score:
                min_null = {
                    "offsets": (0, 0),
                    "score": null_score,
                    "start_logit": s[0],
                    "end_logit": e[0],
                }
            for a in np.argsort(s)[-1 : -n_best - 1 : -1].tolist():
                for b in np.argsort(e)[-1 : -n_best - 1 : -1].tolist():
                    if offsets[a] is None or offsets[b] is None:
                        continue
                    if b < a or b - a + 1 > max_len:
                        continue
                    prelim.append(
                        {
                            "offsets": (offsets[a][0], offsets[b][1]),
                            "score": s[a] + e[b],
                            "start_logit": s[a],
                            "end_logit": e[b],
                        }
                    )
        prelim.append(min_null)
        null_score = min_null["score"]
        preds = sorted(prelim, key=lambda x: x["score"], reverse=True)[:n_best]
        if not any(p["offsets"] == (0, 0) for p in preds):
            preds.append(min_null)
        for p in preds:
            a, b = p.pop("offsets")
            p["text"] = example["context"][a:b]
        if len(preds) == 0 or (len(preds) == 1 and preds[0]["text"] == ""):
            preds.insert(
                0, {"text": "empty", "start_logit": 0.0, "end_logit": 0.0, "score": 0.0}
            )
        probs = _softmax([p.pop("score") for p in preds])
        for prob, p in zip(probs, preds, strict=True):
            p["probability"] = prob
        i = 0
        while preds[i]["text"] == "":
            i += 1
        best = preds[i]
        diff = null_score - best["start_logit"] - best["end_logit"]
        qid = example["id"]
        null_odds[qid] = float(diff)
        predictions[qid] = "" if diff > 0.0 else best["text"]
        best_text[qid] = best["text"]
        nbest_json[qid] = _jsonable(preds)
    return predictions, nbest_json, null_odds, best_text


def postprocess_with_beam_search(examples, features, *, n_best=20, max_len=30):
    """run_qa_beam_search.py's selection: (predictions, nbest, null_odds)."""
    predictions, nbest_json, null_odds = {}, {}, {}
    for example, feats in _by_example(examples, features):
        min_null, prelim = None, []
        for f in feats:
            offsets = f["offset_mapping"]
            if min_null is None or f["cls_logits"] < min_null:
                min_null = f["cls_logits"]
            for i in range(5):
                for j in range(5):
                    a, b = (
                        int(f["start_top_index"][i]),
                        int(f["end_top_index"][i * 5 + j]),
                    )
                    if offsets[a] is None or offsets[b] is None:
                        continue
                    if b < a or b - a + 1 > max_len:
                        continue
                    start, end = (
                        f["start_top_log_probs"][i],
                        f["end_top_log_probs"][i * 5 + j],
                    )
                    prelim.append(
                        {
                            "offsets": (offsets[a][0], offsets[b][1]),
                            "score": start + end,
                            "start_log_prob": start,
                            "end_log_prob": end,
                        }
                    )
        preds = sorted(prelim, key=lambda x: x["score"], reverse=True)[:n_best]
        for p in preds:
            a, b = p.pop("offsets")
            p["text"] = example["context"][a:b]
        if len(preds) == 0:
            preds.insert(
                0,
                {"text": "", "start_logit": -1e-6, "end_logit": -1e-6, "score": -2e-6},
            )
        probs = _softmax([p.pop("score") for p in preds])
        for prob, p in zip(probs, preds, strict=True):
            p["probability"] = prob
        predictions[example["id"]] = preds[0]["text"]
        null_odds[example["id"]] = float(min_null)
        nbest_json[example["id"]] = _jsonable(preds)
    return predictions, nbest_json, null_odds


# --- squad_metrics.py (legacy run_squad.py) -----------------------------------


def _text(example, feature, a, b):
    words = feature["word_index"]
    return " ".join(example["words"][words[a] : words[b] + 1])


def _best_indexes(logits, n_best):
    ranked = sorted(enumerate(logits), key=lambda x: x[1], reverse=True)
    return [i for i, _ in ranked[:n_best]]


def compute_predictions_logits(
    examples, features, *, n_best=20, max_len=30, threshold=0.0
):
    """Legacy/BERT run_squad selection (python floats): preds, nbest, odds, best."""
    predictions, nbest_json, null_odds, best_text = {}, {}, {}, {}
    for example, feats in _by_example(examples, features):
        prelim, score_null, null_start, null_end, null_f = [], 1000000, 0, 0, 0
        for k, f in enumerate(feats):
            s, e = f["start_logits"].tolist(), f["end_logits"].tolist()
            if s[0] + e[0] < score_null:
                score_null, null_f, null_start, null_end = s[0] + e[0], k, s[0], e[0]
            for a in _best_indexes(s, n_best):
                for b in _best_indexes(e, n_best):
                    words = f["word_index"]
                    if (
                        words[a] is None
                        or words[b] is None
                        or b < a
                        or b - a + 1 > max_len
                    ):
                        continue
                    prelim.append((k, a, b, s[a], e[b]))
        prelim.append((null_f, 0, 0, null_start, null_end))
        prelim = sorted(prelim, key=lambda x: x[3] + x[4], reverse=True)
        seen, nbest = set(), []
        for k, a, b, start, end in prelim:
            if len(nbest) >= n_best:
                break
            text = _text(example, feats[k], a, b) if a > 0 else ""
            if text in seen:
                continue
            seen.add(text)
            nbest.append({"text": text, "start_logit": start, "end_logit": end})
        if "" not in seen:
            nbest.append({"text": "", "start_logit": null_start, "end_logit": null_end})
        if len(nbest) == 1:
            nbest.insert(0, {"text": "empty", "start_logit": 0.0, "end_logit": 0.0})
        best = next(entry for entry in nbest if entry["text"])
        probs = _softmax([x["start_logit"] + x["end_logit"] for x in nbest])
        qid = example["id"]
        nbest_json[qid] = [
            {
                "text": x["text"],
                "probability": float(p),
                "start_logit": x["start_logit"],
                "end_logit": x["end_logit"],
            }
            for x, p in zip(nbest, probs, strict=True)
        ]
        diff = score_null - best["start_logit"] - best["end_logit"]
        null_odds[qid] = diff
        predictions[qid] = "" if diff > threshold else best["text"]
        best_text[qid] = best["text"]
    return predictions, nbest_json, null_odds, best_text


def compute_predictions_log_probs(examples, features, *, n_best=20, max_len=30):
    """XLNet/XLM's legacy selection: (predictions, nbest, null_odds)."""
    predictions, nbest_json, null_odds = {}, {}, {}
    for example, feats in _by_example(examples, features):
        prelim, score_null = [], 1000000
        for k, f in enumerate(feats):
            score_null = min(score_null, float(f["cls_logits"]))
            starts, ends = (
                f["start_top_log_probs"].tolist(),
                f["end_top_log_probs"].tolist(),
            )
            for i in range(5):
                for j in range(5):
                    a, b = (
                        int(f["start_top_index"][i]),
                        int(f["end_top_index"][i * 5 + j]),
                    )
                    words = f["word_index"]
                    if (
                        words[a] is None
                        or words[b] is None
                        or b < a
                        or b - a + 1 > max_len
                    ):
                        continue
                    prelim.append((k, a, b, starts[i], ends[i * 5 + j]))
        prelim = sorted(prelim, key=lambda x: x[3] + x[4], reverse=True)
        seen, nbest = set(), []
        for k, a, b, start, end in prelim:
            if len(nbest) >= n_best:
                break
            text = _text(example, feats[k], a, b)
            if text in seen:
                continue
            seen.add(text)
            nbest.append({"text": text, "start_log_prob": start, "end_log_prob": end})
        if not nbest:
            nbest.append({"text": "", "start_log_prob": -1e6, "end_log_prob": -1e6})
        probs = _softmax([x["start_log_prob"] + x["end_log_prob"] for x in nbest])
        qid = example["id"]
        nbest_json[qid] = [
            {
                "text": x["text"],
                "probability": float(p),
                "start_log_prob": x["start_log_prob"],
                "end_log_prob": x["end_log_prob"],
            }
            for x, p in zip(nbest, probs, strict=True)
        ]
        null_odds[qid] = score_null
        predictions[qid] = nbest[0]["text"]
    return predictions, nbest_json, null_odds


# --- JointSpanExtraction ----------------------------------------------------


def get_predictions(examples, features, *, n_best=20, threshold=0.0):
    """JointSpanExtraction's selection: (predictions, nbest, null_logods, best)."""
    predictions, nbest_json, null_odds, best_text = {}, {}, {}, {}
    for example, feats in _by_example(examples, features):
        prelim, score_null, null_f = [], 1000000, 0
        for k, f in enumerate(feats):
            if f["joint_null"] < score_null:
                score_null, null_f = f["joint_null"], k
            for logit, a, b in f["joint_spans"]:
                words = f["word_index"]
                if b >= len(words) or words[a] is None or words[b] is None or b < a:
                    continue
                prelim.append((k, a, b, logit))
        prelim.append((null_f, 0, 0, score_null))
        prelim = sorted(prelim, key=lambda x: x[3], reverse=True)
        seen, nbest = set(), []
        for k, a, b, logit in prelim:
            if len(nbest) >= n_best:
                break
            text = _text(example, feats[k], a, b) if a > 0 else ""
            if a > 0 and text in seen:
                continue
            seen.add(text)
            nbest.append({"text": text, "logit": logit})
        if "" not in seen:
            nbest.append({"text": "", "logit": score_null})
        if len(nbest) == 1:
            nbest.insert(0, {"text": "empty", "logit": 0.0})
        best = next(entry for entry in nbest if entry["text"])
        probs = _softmax([x["logit"] for x in nbest])
        qid = example["id"]
        nbest_json[qid] = [
            {"text": x["text"], "probability": float(p), "logit": x["logit"]}
            for x, p in zip(nbest, probs, strict=True)
        ]
        null_odds[qid] = score_null - best["logit"]
        predictions[qid] = "" if null_odds[qid] > threshold else best["text"]
        best_text[qid] = best["text"]
    return predictions, nbest_json, null_odds, best_text


def write(folder, names, contents):
    """Write each content under its name, as the readers do (json.dumps, indent 4)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, name in names.items():
        paths[key] = folder / name
        paths[key].write_text(json.dumps(contents[key], indent=4) + "\n")
    return paths
