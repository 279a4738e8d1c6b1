"""The score columns of one run, per reader: which files give what."""

import warnings

import numpy as np
from sklearn.utils import Bunch

from ._base import PER_HEAD_MARGIN_COLUMNS, few, json_number
from ._nbest import nbest_columns, warn_null_odds_mismatch

_MARGINS = {
    "logits": PER_HEAD_MARGIN_COLUMNS,
    "joint": (["null_score"], ["span_score"]),
    "log_probs": (["answer_class_score"], None),
}
_READERS = {
    "logits": "run_squad",
    "joint": "joint_span_extraction",
    "log_probs": "beam_search",
}


def run_columns(sources, files, ids, style):
    """Return a Bunch of X, names, margin, span_text, no_span and reader."""
    if "nbest_predictions" in sources:
        return _nbest_run(sources, files, ids)
    if "null_odds" in sources:
        X = null_odds(sources["null_odds"], ids, files["null_odds"])
        texts = prediction_texts(
            sources.get("predictions"), ids, files.get("predictions")
        )
        reader = None
        if style == "jse":
            reader = "joint_span_extraction"
        elif texts is not None and None in texts:
            # Beam-search readers never predict "": a "" means a null_odds
            # threshold decided, which only the logit readers apply.
            reader = "run_squad"
        return _bunch(X, "null_odds", texts, reader)
    X = null_odds(sources["na_prob"], ids, files["na_prob"], key="na_prob")
    outside = (X < 0) | (X > 1)
    if outside.any():
        i = int(np.argmax(outside))
        raise ValueError(
            f"{files['na_prob']}: question {ids[i]!r}: na_prob is {float(X[i])!r}, "
            "expected a probability in [0, 1] (a score of another kind goes in "
            "null_odds.json)."
        )
    texts = prediction_texts(sources.get("predictions"), ids, files.get("predictions"))
    return _bunch(X, "na_prob", texts, "na_prob")


def _bunch(x, name, texts, reader):
    return Bunch(
        X=x[:, None],
        names=[name],
        margin=([name], None),
        span_text=texts,
        no_span=None,
        reader=reader,
    )


def _nbest_run(sources, files, ids):
    path = files["nbest_predictions"]
    kind, X, names, span_text, no_span, dtype = nbest_columns(
        sources["nbest_predictions"], ids, path
    )
    _warn_no_span(no_span, ids, path)
    odds = None
    if "null_odds" in sources:
        odds = null_odds(sources["null_odds"], ids, files["null_odds"])
    if kind == "log_probs":
        if odds is None:
            raise ValueError(
                f"{path}: beam-search n-best lists (start_log_prob, end_log_prob) "
                "hold no null score; give the run's null_odds.json (the answer-class "
                "score) beside them."
            )
        X, names = np.column_stack([odds, X]), ["answer_class_score", *names]
    elif odds is not None:
        warn_null_odds_mismatch(odds, X, kind, dtype, ids, files["null_odds"])
    return Bunch(
        X=X,
        names=names,
        margin=_MARGINS[kind],
        span_text=span_text,
        no_span=no_span,
        reader=_READERS[kind],
    )


def null_odds(odds, ids, path, key="null_odds"):
    return np.array([json_number(odds[q], path, q, key) for q in ids])


def prediction_texts(predictions, ids, path=None):
    """Answer texts of predictions.json; "" (predicted "no answer") is unknown."""
    if predictions is None:
        return None
    texts = [predictions[q] for q in ids]
    bad = [q for q, t in zip(ids, texts, strict=True) if not isinstance(t, str)]
    if bad:
        where = "" if path is None else f"{path}: "
        raise ValueError(
            f"{where}{len(bad)} prediction(s) are not strings, e.g. {few(bad)}: "
            "expected question id -> answer text."
        )
    return [t or None for t in texts]


def _warn_no_span(no_span, ids, path):
    if no_span.any():
        warnings.warn(
            f"{path}: {no_span.sum()} question(s) have no candidate span, only the "
            f"reader's placeholder, e.g. "
            f"{few(np.asarray(ids, dtype=object)[no_span])}; their span scores are "
            "the placeholder's (0.0 for 'empty'), as the reader scored them.",
            UserWarning,
            stacklevel=7,
        )
