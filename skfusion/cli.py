"""The skfusion command: compare, fit and apply no-answer calibrators.

Run "skfusion --help"; "skfusion compare" without data runs on bundled
simulated SQuAD 2.0 dev scores.
"""

import argparse
import json
import os
import pickle
import sys
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

from . import MarginThresholdClassifier, TorchLogisticFusion
from ._cli_parser import build_parser as _build_parser
from ._cli_report import (
    check_margin_direction,
    comparison_json,
    comparison_text,
    fit_json,
    fit_text,
    json_dumps,
)
from .datasets import FEATURE_NAMES, load_reader_outputs, make_squad2_scores
from .datasets._base import reader_bunch
from .metrics import squad2_sample_weight
from .model_selection import compare_estimators
from .persistence import (
    check_feature_names,
    load_calibrator,
    save_calibrator,
    squad_predictions,
)


class CommandError(Exception):
    """A problem with the user's files or options: one line, no traceback."""


def _simulated_data():
    X, y = make_squad2_scores(random_state=0)
    ids = [f"sim{i:05d}" for i in range(len(y))]
    margin = (["joint_null"], ["best_span"])
    descr = "Simulated SQuAD 2.0 dev scores: make_squad2_scores(random_state=0)"
    return reader_bunch(X, FEATURE_NAMES, y, ids, margin_columns=margin, descr=descr)


def _load(args, *, labelled):
    """Load DATA (or the bundled simulation) as the options say."""
    if args.data is None:
        return _simulated_data()
    data = load_reader_outputs(
        args.data,
        dev=getattr(args, "dev", None),
        prefix=args.prefix,
        subset="intersection" if args.intersect else "strict",
        label_column=getattr(args, "label_column", "unanswerable"),
        id_column=args.id_column,
    )
    if labelled and data.target is None:
        raise CommandError(
            f"{args.data}: no labels: give the gold answers with --dev (for reader "
            "outputs) or a label column (for a CSV)."
        )
    if labelled and data.target.all() == data.target.any():  # one class only
        kind = "unanswerable" if data.target[0] else "answerable"
        raise CommandError(
            f"{args.data}: all {len(data.target)} questions are {kind}; a no-answer "
            "rule is learnt from both kinds."
        )
    return data


def _columns(option, spec, data):
    """Column indices for a --null-column/--span-column value (names or ints)."""
    if spec == "none":
        return None
    names = list(data.feature_names)
    indices = []
    # Names from the data are kept as they are; typed ones lose their spaces.
    items = spec if isinstance(spec, list) else [s.strip() for s in spec.split(",")]
    for item in map(str, items):
        if item in names:
            indices.append(names.index(item))
        elif item.lstrip("-").isdigit() and -len(names) <= int(item) < len(names):
            indices.append(int(item) % len(names))
        else:
            raise CommandError(
                f"{option} {item!r} is not a column of the data; its columns are "
                f"{names} (or give 0-based indices)."
            )
    return indices


def _margin_columns(data, args):
    """Return the (null, span) column indices of BERT's rule on `data`."""
    null, span = data.margin_columns
    null = args.null_column if args.null_column is not None else null
    span = args.span_column if args.span_column is not None else span
    return _columns("--null-column", null, data), _columns(
        "--span-column", "none" if span is None else span, data
    )


def _margin_rule(data, args, **params):
    null, span = _margin_columns(data, args)
    return MarginThresholdClassifier(null_column=null, span_column=span, **params)


def _tuning_weight(data, tune):
    if tune == "accuracy":
        return None
    credit = data.em if tune == "em" else data.f1
    if credit is None:
        raise CommandError(
            f"--tune {tune} needs each question's {tune}: give a reader's outputs "
            "with --dev, or a CSV with an em/f1 column."
        )
    return squad2_sample_weight(data.target, credit)


def cmd_compare(args, say):
    """Cross-validate four no-answer rules on identical folds; test each pair."""
    data = _load(args, labelled=True)
    y = data.target
    smallest = int(min(y.sum(), (~y).sum()))
    if smallest < args.folds:
        raise CommandError(
            f"{args.folds}-fold CV needs at least {args.folds} questions of each "
            f"class; the data has {smallest} of the rarer one."
        )
    _tuning_weight(data, args.tune)  # fail early, before any fit
    rule = _margin_rule(data, args)
    check_margin_direction(rule, data)
    say(
        f"{len(y)} questions ({int(y.sum())} unanswerable), columns "
        f"{data.feature_names}; {args.folds}-fold CV x {args.repeats} repeats, "
        f"tuned for {args.tune}"
    )
    estimators = {
        "TorchLogisticFusion": TorchLogisticFusion(random_state=args.seed),
        "MarginThreshold (tuned)": rule,
        "MarginThreshold (t=0)": _margin_rule(data, args, threshold=0.0),
        "LogisticRegression": LogisticRegression(),
    }
    result = compare_estimators(
        estimators,
        data.data,
        y,
        em=data.em,
        f1=data.f1,
        tune=args.tune,
        n_splits=args.folds,
        n_repeats=args.repeats,
        random_state=args.seed,
        progress=say,
    )
    if args.plot:
        _write_plots(args, data, result, say)
    if args.json:
        content = comparison_json(
            result, data, rule, folds=args.folds, repeats=args.repeats, seed=args.seed
        )
        print(json_dumps(content))
    else:
        print(comparison_text(result, data))


def _write_plots(args, data, result, say):
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError as exc:
        raise CommandError(
            "--plot needs matplotlib: pip install 'skfusion[plot]'"
        ) from exc
    from .plotting import save_comparison_figures

    X, y = data.data, data.target
    weight = _tuning_weight(data, args.tune)
    paths = save_comparison_figures(
        args.plot,
        _margin_rule(data, args).fit(X, y, sample_weight=weight),
        TorchLogisticFusion(random_state=args.seed).fit(X, y, sample_weight=weight),
        result.fitted["TorchLogisticFusion"],
        data.feature_names,
        X,
        y,
    )
    for path in paths:
        say(f"wrote {path}")


def cmd_fit(args, say):
    """Fit one calibrator on all of DATA and save it."""
    data = _load(args, labelled=True)
    weight = _tuning_weight(data, args.tune)
    if args.model == "fusion":
        if args.null_column is not None or args.span_column is not None:
            raise CommandError(
                "--null-column and --span-column choose the margin rule's columns; "
                "--model fusion uses every column."
            )
        model = TorchLogisticFusion(random_state=args.seed)
    else:
        model = _margin_rule(data, args)
        check_margin_direction(model, data)
    model.fit(data.data, data.target, sample_weight=weight)
    save_calibrator(model, data.feature_names, args.output)
    say(f"saved to {args.output}")
    summary = {"kind": args.model, "tune": args.tune, "output": args.output}
    if args.json:
        print(json_dumps(fit_json(model, data, **summary)))
    else:
        print(fit_text(model, data, **summary))


def cmd_predict(args, say):
    """Apply a saved calibrator to DATA and write SQuAD-style predictions."""
    model, feature_names = load_calibrator(args.calibrator)
    data = _load(args, labelled=False)
    check_feature_names(feature_names, data.feature_names)
    predicted_null = model.predict(data.data).astype(bool)
    if data.span_text is not None:
        predicted_null = _resolve_unknown_spans(predicted_null, data, args, say)
    out = squad_predictions(data.ids, predicted_null, data.span_text)
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
    say(
        f"{int(predicted_null.sum())} of {len(predicted_null)} predicted "
        f"unanswerable; wrote {args.output}"
    )


def _resolve_unknown_spans(predicted_null, data, args, say):
    """Decide the answered questions whose span text is unknown, or stop."""
    unknown = ~predicted_null & np.array([t is None for t in data.span_text])
    no_span = unknown & (data.no_span if data.no_span is not None else False)
    if no_span.any():
        say(
            f"{int(no_span.sum())} answered question(s) have no candidate span (the "
            "reader's placeholder 'empty'): written as no answer"
        )
    missing = unknown & ~no_span
    if missing.any() and not args.missing_span_as_null:
        ids = ", ".join(repr(q) for q in data.ids[missing][:3])
        raise CommandError(
            f"the calibrator answers {int(missing.sum())} question(s) whose span text "
            f'is unknown ("" in predictions.json), e.g. {ids}: give the run\'s '
            "nbest_predictions.json, or --missing-span-as-null to write them as no "
            "answer."
        )
    if missing.any():
        say(
            f"{int(missing.sum())} question(s) without a known span: written as "
            "no answer"
        )
    return predicted_null | unknown


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``skfusion`` command.

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser, with the subcommands compare, fit and predict.
    """
    return _build_parser(
        __doc__.split("\n")[0],
        {"compare": cmd_compare, "fit": cmd_fit, "predict": cmd_predict},
    )


def _run(args):
    """Run the chosen command, printing warnings as single lines."""

    def say(message):
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"skfusion {args.command}: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        args.handler(args, say)


def main(argv=None) -> int:
    """Run the ``skfusion`` command.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments; None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 1 on an error (one line on stderr), 2 on bad options.
    """
    args = build_parser().parse_args(argv)
    try:
        _run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader of our output (e.g. `| head`) went away: stop quietly,
        # and keep Python from reporting the failed flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (
        CommandError,
        ValueError,
        OSError,
        ImportError,
        pickle.UnpicklingError,
    ) as exc:
        print(f"skfusion {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        # A file of an unexpected shape can fail anywhere; keep the one-line
        # promise, and let SKFUSION_DEBUG=1 show where.
        if os.environ.get("SKFUSION_DEBUG"):
            raise
        print(
            f"skfusion {args.command}: error: {type(exc).__name__}: {exc} "
            "(set SKFUSION_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
