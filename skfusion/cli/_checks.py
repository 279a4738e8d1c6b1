"""Checks of the skfusion command's options and runs (one-line errors)."""

import numpy as np

from ..datasets import load_articles


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
    """Return the targets (and confidence), and the credit precision counts."""
    targets = {
        key: getattr(args, key, None)
        for key in ("target_precision", "target_noans_recall", "confidence")
    }
    targets = {k: v for k, v in targets.items() if v is not None}
    for key, value in targets.items():
        bounds = (0 < value < 1) if key == "confidence" else (0 <= value <= 1)
        if not bounds:
            option = "--" + key.replace("_", "-")
            interval = "(0, 1)" if key == "confidence" else "[0, 1]"
            raise ValueError(f"{option} {value} must be in {interval}.")
    if "confidence" in targets and "target_precision" not in targets:
        raise ValueError("--confidence guarantees --target-precision: give it.")
    if targets and args.tune != "accuracy":
        raise ValueError(
            f"--tune {args.tune} and a target both choose the threshold: give one."
        )
    fit_params = {}
    if targets and data.em is not None:
        fit_params["answer_credit"] = data.em
    return targets, fit_params


def dev_groups(args, data, say):
    """Return the articles and paragraphs of --dev that --groups keeps together."""
    levels = {"auto": ("article", "paragraph"), "none": ()}.get(
        args.groups, (args.groups,)
    )
    if levels and getattr(args, "dev", None) is not None:
        try:
            return {
                level: load_articles(args.dev, data.ids, level=level)
                for level in levels
            }
        except ValueError as exc:
            say(f"folds and per-question tests over single questions: {exc}")
            return None
    if levels:
        say(
            "folds and per-question tests over single questions: no --dev file "
            "naming every question's article and paragraph"
        )
    return None
