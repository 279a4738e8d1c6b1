"""A plain loop port of transformers' SQuAD 2.0 answer selection, the baseline.

``postprocess_loop`` follows ``postprocess_qa_predictions`` of transformers'
examples/pytorch/question-answering/utils_qa.py with
``version_2_with_negative=True`` line by line, up to the choice of the best
non-null prediction and its ``null_odds`` value. Left out because they do
not change that choice: the softmax probabilities, the JSON files, tqdm and
logging (so this baseline is, if anything, faster than the original). Each
candidate dict also records its window and token indexes, which the original
does not keep, so the result can be compared with
`skfusion.features.features_from_logits`.

It is the oracle of ``tests/features/test_features.py`` and the baseline of
``benchmarks/bench_features.py``.
"""

import collections

import numpy as np

# What the port returns besides ids and null_odds, named as in the Bunch of
# features_from_logits.
SELECTION_KEYS = (
    "data",
    "null_window",
    "span_window",
    "span_start_index",
    "span_end_index",
    "has_span",
)


def mask_to_offset_mapping(context_mask):
    """Offsets like run_qa's: ``(t, t + 1)`` for context tokens, else None."""
    return [
        [(t, t + 1) if inside else None for t, inside in enumerate(row)]
        for row in np.asarray(context_mask).tolist()
    ]


def _context_string(offset_mapping):
    """A context long enough that every offset pair slices real characters."""
    ends = [o[1] for row in offset_mapping for o in row if o is not None]
    return "x" * (max(ends, default=0) + 1)


def postprocess_loop(
    start_logits,
    end_logits,
    example_ids,
    offset_mapping,
    *,
    n_best_size=20,
    max_answer_length=30,
):
    """Per example: the null and best span transformers picks, and null_odds.

    Raises IndexError where transformers' own loop does (no non-empty text
    among the kept predictions while more than one was kept).
    """
    all_start_logits, all_end_logits = start_logits, end_logits
    # Examples in order of first appearance, their windows in input order.
    features_per_example = collections.defaultdict(list)
    for i, example_id in enumerate(example_ids):
        features_per_example[example_id].append(i)
    context = _context_string(offset_mapping)

    rows = []
    for example_id, feature_indices in features_per_example.items():
        min_null_prediction = None
        prelim_predictions = []
        for feature_index in feature_indices:
            start_logits = all_start_logits[feature_index]
            end_logits = all_end_logits[feature_index]
            offsets = offset_mapping[feature_index]
            feature_null_score = start_logits[0] + end_logits[0]
            if (
                min_null_prediction is None
                or min_null_prediction["score"] > feature_null_score
            ):
                min_null_prediction = {
                    "offsets": (0, 0),
                    "score": feature_null_score,
                    "start_logit": start_logits[0],
                    "end_logit": end_logits[0],
                    "window": feature_index,
                }
            start_indexes = np.argsort(start_logits)[-1 : -n_best_size - 1 : -1]
            end_indexes = np.argsort(end_logits)[-1 : -n_best_size - 1 : -1]
            for start_index in start_indexes.tolist():
                for end_index in end_indexes.tolist():
                    if (
                        start_index >= len(offsets)
                        or end_index >= len(offsets)
                        or offsets[start_index] is None
                        or len(offsets[start_index]) < 2
                        or offsets[end_index] is None
                        or len(offsets[end_index]) < 2
                    ):
                        continue
                    if (
                        end_index < start_index
                        or end_index - start_index + 1 > max_answer_length
                    ):
                        continue
                    prelim_predictions.append(
                        {
                            "offsets": (
                                offsets[start_index][0],
                                offsets[end_index][1],
                            ),
                            "score": start_logits[start_index] + end_logits[end_index],
                            "start_logit": start_logits[start_index],
                            "end_logit": end_logits[end_index],
                            "window": feature_index,
                            "start_index": start_index,
                            "end_index": end_index,
                        }
                    )
        prelim_predictions.append(min_null_prediction)
        null_score = min_null_prediction["score"]

        predictions = sorted(
            prelim_predictions, key=lambda x: x["score"], reverse=True
        )[:n_best_size]
        if not any(p["offsets"] == (0, 0) for p in predictions):
            predictions.append(min_null_prediction)
        for pred in predictions:
            offsets = pred.pop("offsets")
            pred["text"] = context[offsets[0] : offsets[1]]
        placeholder = {"text": "empty", "start_logit": 0.0, "end_logit": 0.0}
        if len(predictions) == 0 or (
            len(predictions) == 1 and predictions[0]["text"] == ""
        ):
            predictions.insert(0, placeholder)

        i = 0
        while predictions[i]["text"] == "":
            i += 1
        best = predictions[i]
        score_diff = null_score - best["start_logit"] - best["end_logit"]
        is_placeholder = best is placeholder
        rows.append((example_id, min_null_prediction, best, is_placeholder, score_diff))
    return _as_arrays(rows)


def _as_arrays(rows):
    """The selections as arrays named like features_from_logits' Bunch."""
    null, best = [r[1] for r in rows], [r[2] for r in rows]
    return {
        "ids": [r[0] for r in rows],
        "data": np.array(
            [
                [n["start_logit"], n["end_logit"], b["start_logit"], b["end_logit"]]
                for n, b in zip(null, best, strict=True)
            ],
            dtype=np.float64,
        ),
        "null_window": np.array([n["window"] for n in null]),
        "span_window": np.array([b.get("window", -1) for b in best]),
        "span_start_index": np.array([b.get("start_index", -1) for b in best]),
        "span_end_index": np.array([b.get("end_index", -1) for b in best]),
        "has_span": np.array([not r[3] for r in rows]),
        "null_odds": np.array([r[4] for r in rows]),
    }
