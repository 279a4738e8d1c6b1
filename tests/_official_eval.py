"""An independent oracle: the logic of SQuAD 2.0's official evaluation script.

Written from the behaviour of ``evaluate-v2.0.py`` (Rajpurkar, Jia and Liang,
"Know What You Don't Know", ACL 2018) as plain loops, sharing no code with
skfusion, so that tests can compare skfusion's EM/F1, reports and best
thresholds with what the leaderboard script prints. It keeps the script's
quirks on purpose: ``has_ans`` is ``bool(answers)``; an unanswerable
question's only gold answer is ``""``; the threshold sweep starts from
"everything predicted unanswerable" with threshold 0.0 and moves through the
questions one at a time in order of their no-answer score.
"""

import collections
import re
import string


def normalize(text):
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact(gold, pred):
    return int(normalize(gold) == normalize(pred))


def f1(gold, pred):
    gold_toks, pred_toks = normalize(gold).split(), normalize(pred).split()
    if not gold_toks or not pred_toks:
        return int(gold_toks == pred_toks)
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    same = sum(common.values())
    if same == 0:
        return 0
    precision, recall = same / len(pred_toks), same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


def questions(dataset):
    """``{qid: list of gold answer texts}`` of a SQuAD JSON's ``data``."""
    golds = {}
    for article in dataset:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                golds[qa["id"]] = [a["text"] for a in qa["answers"]]
    return golds


def raw_scores(golds, preds):
    exact_scores, f1_scores = {}, {}
    for qid, answers in golds.items():
        if qid not in preds:
            continue
        answers = [a for a in answers if normalize(a)] or [""]
        exact_scores[qid] = max(exact(a, preds[qid]) for a in answers)
        f1_scores[qid] = max(f1(a, preds[qid]) for a in answers)
    return exact_scores, f1_scores


def apply_threshold(scores, na_probs, has_ans, threshold):
    return {
        qid: float(not has_ans[qid]) if na_probs[qid] > threshold else s
        for qid, s in scores.items()
    }


def best_threshold(preds, scores, na_probs, has_ans):
    score = best = sum(1 for qid in has_ans if not has_ans[qid])
    best_thresh = 0.0
    for qid in sorted(na_probs, key=lambda k: na_probs[k]):
        if qid not in scores:
            continue
        if has_ans[qid]:
            score += scores[qid]
        else:
            score += -1 if preds[qid] else 0
        if score > best:
            best, best_thresh = score, na_probs[qid]
    return 100.0 * best / len(scores), best_thresh


def evaluate(dataset, preds, na_probs=None, na_prob_thresh=1.0):
    """What the script prints as JSON, for a SQuAD ``data`` list and preds."""
    golds = questions(dataset)
    has_ans = {qid: bool(a) for qid, a in golds.items()}
    given = na_probs is not None
    na_probs = na_probs if given else dict.fromkeys(preds, 0.0)
    exact_raw, f1_raw = raw_scores(golds, preds)
    exact_t = apply_threshold(exact_raw, na_probs, has_ans, na_prob_thresh)
    f1_t = apply_threshold(f1_raw, na_probs, has_ans, na_prob_thresh)

    def summary(qids, prefix=""):
        return {
            f"{prefix}exact": 100.0 * sum(exact_t[q] for q in qids) / len(qids),
            f"{prefix}f1": 100.0 * sum(f1_t[q] for q in qids) / len(qids),
            f"{prefix}total": len(qids),
        }

    report = summary(list(golds))
    for prefix, wanted in (("HasAns_", True), ("NoAns_", False)):
        qids = [q for q in golds if has_ans[q] == wanted]
        if qids:
            report.update(summary(qids, prefix))
    if given:  # the script looks for best thresholds only with an na_prob file
        report["best_exact"], report["best_exact_thresh"] = best_threshold(
            preds, exact_raw, na_probs, has_ans
        )
        report["best_f1"], report["best_f1_thresh"] = best_threshold(
            preds, f1_raw, na_probs, has_ans
        )
    return report
