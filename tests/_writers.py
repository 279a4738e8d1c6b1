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
  trainer gives (``dev_results_nbest_<host>.json``, ``null_logods.json``);
- google-research/electra finetune/qa/qa_metrics.py:
  ``SpanBasedQAScorer.write_predictions`` (``squad_preds.json``,
  ``squad_null_odds.json``);
- google-research/albert squad_utils.py: ``accumulate_predictions_v2``,
  ``write_predictions_v2`` and ``evaluate_v2`` (run_squad_v2.py), which writes
  predictions.json a second time at its own best-F1 threshold;
- cooelf/AwesomeMRC transformer-mrc/examples: run_cls.py's ``evaluate``
  (Retro-Reader's sketchy reader, ``cls_score.json``) and run_verifier.py's
  ``get_score1`` (its rear verification);
- transformers src/transformers/pipelines/question_answering.py:
  ``QuestionAnsweringPipeline.postprocess``, ``select_starts_ends`` and
  ``decode_spans`` (``handle_impossible_answer=True``, ``top_k``);
- facebookresearch/SpanBERT code/run_squad.py: ``make_predictions`` and
  ``evaluate`` (predictions.json at its best-F1 threshold, no scores).

Tokens are the context's words; a feature is the CLS token, three question
tokens (no offsets) and a window of the context.
"""

import collections
import json

import numpy as np

from tests import _official_eval as official

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


# --- ELECTRA --------------------------------------------------------------


def electra_write_predictions(
    examples,
    features,
    *,
    answerable_classifier=True,
    joint_prediction=True,
    n_best=20,
    max_len=30,
):
    """qa_metrics.py's SpanBasedQAScorer.write_predictions (v2): (preds, odds).

    squad_preds.json holds every question's best span (the official script
    applies ``qa_na_threshold``); squad_null_odds.json the answerability
    logit, lowest over windows, or without the answerable classifier the
    null score minus the best span's. ``cls_logits`` stands for the
    answerability logit; the top log-probabilities are the joint beam.
    """
    preds, odds = {}, {}
    for example, feats in _by_example(examples, features):
        prelim, score_null = [], 1000000
        for k, f in enumerate(feats):
            s, e = f["start_logits"], f["end_logits"]
            null = f["cls_logits"] if answerable_classifier else s[0] + e[0]
            if null < score_null:
                score_null = null
            if joint_prediction:
                starts = f["start_top_index"]
                ends = np.reshape(f["end_top_index"], (len(starts), -1))
            else:
                starts, ends = _best_indexes(s, n_best), _best_indexes(e, n_best)
            words = f["word_index"]
            for i, a in enumerate(starts):
                for j, b in enumerate(ends[i] if joint_prediction else ends):
                    if a >= len(words) or b >= len(words) or a == 0:
                        continue
                    if words[a] is None or words[b] is None:
                        continue
                    if b < a or b - a + 1 > max_len:
                        continue
                    if joint_prediction:
                        start = f["start_top_log_probs"][i]
                        end = f["end_top_log_probs"][i * len(starts) + j]
                    else:
                        start, end = s[a], e[b]
                    prelim.append((k, a, b, start, end))
        prelim = sorted(prelim, key=lambda x: x[3] + x[4], reverse=True)
        seen, nbest = set(), []
        for k, a, b, start, end in prelim:
            if len(nbest) >= n_best:
                break
            text = _text(example, feats[k], a, b)
            if text in seen:
                continue
            seen.add(text)
            nbest.append((text, start, end))
        if not nbest:
            nbest.append(("empty", 0.0, 0.0))
        text, start, end = next(x for x in nbest if x[0])
        diff = score_null if answerable_classifier else score_null - start - end
        odds[example["id"]] = float(diff)
        preds[example["id"]] = text
    return preds, odds


# --- ALBERT (run_squad_v2.py) -------------------------------------------------


def albert_write_predictions_v2(
    examples, features, *, threshold=None, n_best=20, max_len=30, n_top=5
):
    """accumulate_predictions_v2 + write_predictions_v2: preds, nbest, odds.

    null_odds is the lowest ``cls_logits`` over windows; a prediction is ""
    where it is >= `threshold` (``score_diff < threshold`` keeps the span).
    """
    preds, nbest_json, odds = {}, {}, {}
    for example, feats in _by_example(examples, features):
        score_null, prelim = 1000000, []
        for k, f in enumerate(feats):
            score_null = min(score_null, float(f["cls_logits"]))
            words, found = f["word_index"], {}
            for i in range(n_top):
                for j in range(n_top):
                    a = int(f["start_top_index"][i])
                    b = int(f["end_top_index"][i * n_top + j])
                    if words[a] is None or words[b] is None:
                        continue
                    if b < a or b - a + 1 > max_len:
                        continue
                    found.setdefault((a, b), []).append(
                        (
                            float(f["start_top_log_probs"][i]),
                            float(f["end_top_log_probs"][i * n_top + j]),
                        )
                    )
            for (a, b), logprobs in found.items():
                start = end = 0
                for logprob in logprobs:
                    start += logprob[0]
                    end += logprob[1]
                prelim.append((k, a, b, start / len(logprobs), end / len(logprobs)))
        prelim = sorted(prelim, key=lambda x: x[3] + x[4], reverse=True)
        seen, nbest = set(), []
        for k, a, b, start, end in prelim:
            if len(nbest) >= n_best:
                break
            text = _text(example, feats[k], a, b).strip()
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
        score_diff = sum([score_null]) / len([score_null])
        odds[qid] = score_diff
        keep = threshold is None or score_diff < threshold
        preds[qid] = nbest[0]["text"] if keep else ""
    return preds, nbest_json, odds


def albert_evaluate_v2(examples, features, golds, **options):
    """evaluate_v2: the files written again at the best-F1 threshold.

    Returns (preds, nbest, odds, threshold), the files as run_squad_v2.py
    leaves them.
    """
    preds, _, odds = albert_write_predictions_v2(examples, features, **options)
    has_ans = {qid: bool(answers) for qid, answers in golds.items()}
    _, f1_raw = official.raw_scores(golds, preds)
    _, threshold = official.best_threshold(preds, f1_raw, odds, has_ans)
    preds, nbest, odds = albert_write_predictions_v2(
        examples, features, threshold=threshold, **options
    )
    return preds, nbest, odds, threshold


# --- Retro-Reader (AwesomeMRC) -------------------------------------------------


def sketchy_logits(seed, features, golds):
    """Give each window the two class logits of run_cls.py's verifier.

    Class 1 is "unanswerable" (SQuADProcessor's label "1" for is_impossible).
    """
    rng = np.random.RandomState(seed)
    for f in features:
        shift = 0.0 if golds[f["example_id"]] else 2.0
        logits = rng.normal(0, 1.5, 2)
        logits[1] += shift
        f["cls_two"] = logits.astype(np.float32)


def run_cls_scores(features):
    """run_cls.py's evaluate: cls_score.json (mean logit[1] - mean logit[0])."""
    key_map, cnt_map = {}, {}
    for f in features:
        qid, logit = f["example_id"], f["cls_two"]
        if qid in key_map:
            key_map[qid][0] += logit[0]  # float32 sums, as the script's
            key_map[qid][1] += logit[1]
            cnt_map[qid] += 1
        else:
            cnt_map[qid] = 1
            key_map[qid] = [logit[0], logit[1]]
    # NumPy 1.x, the script's, divides a float32 scalar by an int in float64
    # (NumPy 2 keeps float32, which its json.dumps cannot write).
    return {
        qid: float(sums[1]) / cnt_map[qid] - float(sums[0]) / cnt_map[qid]
        for qid, sums in key_map.items()
    }


def run_verifier(null_scores, nbest_lists, *, thresh=0.0, cof=(1, 1), best_cof=(1,)):
    """run_verifier.py's get_score1 on parsed files: its predictions.json.

    `null_scores` are --input_null_files' contents (cls_score.json,
    null_odds.json), `nbest_lists` --input_nbest_files'.
    """
    all_scores = collections.OrderedDict()
    for idx, content in enumerate(null_scores):
        for key, score in content.items():
            all_scores.setdefault(key, []).append(cof[idx] * score)
    output_scores = {}
    for key, scores in all_scores.items():
        mean_score = 0.0
        for score in scores:
            mean_score += score
        mean_score /= float(len(scores))
        output_scores[key] = mean_score
    all_nbest = collections.OrderedDict()
    for idx, content in enumerate(nbest_lists):
        for key, entries in content.items():
            if key not in all_nbest:
                all_nbest[key] = collections.defaultdict(float)
            for entry in entries:
                all_nbest[key][entry["text"]] += best_cof[idx] * entry["probability"]
    predictions = {}
    for key, entry_map in all_nbest.items():
        texts = sorted(entry_map.keys(), key=lambda x: entry_map[x], reverse=True)
        predictions[key] = texts[0]
    for qid in predictions:
        if output_scores[qid] > thresh:
            predictions[qid] = ""
    return predictions


# --- transformers' question-answering pipeline ---------------------------------


def _decode_spans(start, end, topk, max_answer_len, undesired_tokens):
    outer = np.matmul(np.expand_dims(start, -1), np.expand_dims(end, 1))
    candidates = np.tril(np.triu(outer), max_answer_len - 1)
    scores_flat = candidates.flatten()
    if topk == 1:
        idx_sort = [np.argmax(scores_flat)]
    elif len(scores_flat) < topk:
        idx_sort = np.argsort(-scores_flat)
    else:
        idx = np.argpartition(-scores_flat, topk)[0:topk]
        idx_sort = idx[np.argsort(-scores_flat[idx])]
    starts, ends = np.unravel_index(idx_sort, candidates.shape)[1:]
    desired_spans = np.isin(starts, undesired_tokens.nonzero()) & np.isin(
        ends, undesired_tokens.nonzero()
    )
    starts, ends = starts[desired_spans], ends[desired_spans]
    return starts, ends, candidates[0, starts, ends]


def _answer(score, start, end, text):
    return {"score": score, "start": start, "end": end, "answer": text}


def pipeline_outputs(
    examples, features, *, top_k=1, handle_impossible_answer=True, max_answer_len=15
):
    """QuestionAnsweringPipeline.postprocess (fast tokenizer), by question id.

    Each window's logits are softmaxed over the context and CLS tokens; the
    null answer's score is the lowest CLS start x end probability over
    windows; spans of the same text (any case) add their scores. Windows of
    this module's features hold at least 21 context spans, so ``top_k`` up to
    5 never ranks a zero-probability span (from CLS) among the candidates.
    """
    outputs = {}
    for example, feats in _by_example(examples, features):
        min_null_score, answers = 1000000, []
        for f in feats:
            offsets = f["offset_mapping"]
            # p_mask: 1 for question tokens; CLS stays a candidate (the null).
            p_mask = np.array([[int(k > 0 and not o) for k, o in enumerate(offsets)]])
            undesired_tokens = np.abs(p_mask - 1)  # the pipeline's (inverted) name
            mask = undesired_tokens == 0.0
            start = np.where(mask, -10000.0, f["start_logits"][None])
            end = np.where(mask, -10000.0, f["end_logits"][None])
            start = np.exp(start - start.max(axis=-1, keepdims=True))
            start = start / start.sum()
            end = np.exp(end - end.max(axis=-1, keepdims=True))
            end = end / end.sum()
            if handle_impossible_answer:
                min_null_score = min(min_null_score, (start[0, 0] * end[0, 0]).item())
            start[0, 0] = end[0, 0] = 0.0
            starts, ends, scores = _decode_spans(
                start, end, top_k * 2 + 10, max_answer_len, undesired_tokens
            )
            for s, e, score in zip(starts, ends, scores, strict=True):
                if score == 0.0:
                    raise ValueError("top_k too large for these windows")
                begin, stop = offsets[s][0], offsets[e][1]
                text = example["context"][begin:stop]
                same = [a for a in answers if a["answer"].lower() == text.lower()]
                if same:
                    same[0]["score"] += score.item()
                else:
                    answers.append(_answer(score.item(), begin, stop, text))
        if handle_impossible_answer:
            answers.append(_answer(min_null_score, 0, 0, ""))
        answers = sorted(answers, key=lambda x: x["score"], reverse=True)[:top_k]
        outputs[example["id"]] = answers[0] if len(answers) == 1 else answers
    return outputs


# --- SpanBERT -----------------------------------------------------------------


def spanbert_evaluate(examples, features, golds):
    """code/run_squad.py's evaluate: (predictions.json, eval_results.txt).

    ``make_predictions`` selects as ``compute_predictions_logits``; the
    predictions are then "" where null_odds > the best-F1 threshold; neither
    the n-best lists nor the null odds are written.
    """
    _, _, na_probs, best = compute_predictions_logits(examples, features)
    dataset = [
        {
            "paragraphs": [
                {"qas": [{"id": q, "answers": [{"text": t} for t in golds[q]]}]}
                for q in golds
            ]
        }
    ]
    result = official.evaluate(dataset, best, na_probs)
    preds = {
        qid: "" if na_probs[qid] > result["best_f1_thresh"] else text
        for qid, text in best.items()
    }
    result.update(global_step=1000, epoch=1, learning_rate=2e-5, batch_size=32)
    lines = "".join(f"{key} = {result[key]}\n" for key in sorted(result))
    return preds, lines


def write(folder, names, contents):
    """Write each content under its name, as the readers do (json.dumps, indent 4)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, name in names.items():
        paths[key] = folder / name
        paths[key].write_text(json.dumps(contents[key], indent=4) + "\n")
    return paths
