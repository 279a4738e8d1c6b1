"""Checks of the skfusion command's options and runs (one-line errors)."""

import numpy as np

from ..datasets._dev import article_groups


def check_same_run(path, data, first_path, first):
    """Refuse a run on other questions or columns than the first run."""
    if list(data.feature_names) != list(first.feature_names):
        raise ValueError(
            f"{path}: columns {data.feature_names} differ from those of "
            f"{first_path} ({first.feature_names}): runs of one reader must have "
            "the same score columns."
        )
    if sorted(data.ids) != sorted(first.ids) or not (
        np.array_equal(
            data.target[np.argsort(data.ids)], first.target[np.argsort(first.ids)]
        )
    ):
        raise ValueError(
            f"{path}: its questions (or labels) differ from those of {first_path}: "
            "runs of one reader must answer the same questions (--intersect keeps "
            "a run's own common questions only)."
        )


def in_order_of(data, first):
    """Return the run's arrays, rows in the first run's question order.

    Every run then gets the same folds, and its per-question results line
    up with the other runs'.
    """
    position = {qid: i for i, qid in enumerate(data.ids)}
    rows = np.array([position[qid] for qid in first.ids])
    return {
        key: None if data[key] is None else data[key][rows]
        for key in ("data", "target", "em", "f1")
    }


def operating_point_options(args, data):
    """Return the margin rule's targets, and the credit its precision counts."""
    targets = {
        "target_precision": getattr(args, "target_precision", None),
        "target_noans_recall": getattr(args, "target_noans_recall", None),
    }
    targets = {k: v for k, v in targets.items() if v is not None}
    for key, value in targets.items():
        if not 0 <= value <= 1:
            option = "--" + key.replace("_", "-")
            raise ValueError(f"{option} {value} must be in [0, 1].")
    if targets and args.tune != "accuracy":
        raise ValueError(
            f"--tune {args.tune} and a target both choose the threshold: give one."
        )
    fit_params = {}
    if targets and data.em is not None:
        fit_params["answer_credit"] = data.em
    return targets, fit_params


def dev_article_groups(args, data, say):
    """Each question's article from --dev, for the per-question bootstrap."""
    groups = None
    if getattr(args, "dev", None) is not None:
        groups = article_groups(args.dev, data.ids)
    if groups is None:
        say(
            "per-question bootstrap over questions: no --dev file naming every "
            "question's article (title)"
        )
    return groups
