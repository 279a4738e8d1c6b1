"""The skfusion command: compare, fit and apply no-answer calibrators.

Run "skfusion --help"; "skfusion compare" without data runs on bundled
simulated SQuAD 2.0 dev scores.
"""

import argparse
import os
import pickle
import signal
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from . import MarginThresholdClassifier, TorchLogisticFusion
from ._calibrator import writer as _calibrator_writer
from ._cli_checks import (
    check_same_run,
    dev_article_groups,
    in_order_of,
    operating_point_options,
)
from ._cli_files import (
    Interrupted,
    check_file_name,
    check_outputs,
    no_span_text_error,
    signals_as_exceptions,
    write_json,
)
from ._cli_parser import build_parser as _build_parser
from ._cli_report import (
    check_margin_direction,
    comparison_json,
    comparison_text,
    fit_json,
    fit_text,
    json_dumps,
    question_tests_text,
    runs_json,
    runs_text,
)
from ._operating_point import fixed_operating_point
from .datasets import FEATURE_NAMES, load_reader_outputs, make_squad2_scores
from .datasets._base import reader_bunch
from .metrics import squad2_sample_weight
from .model_selection import compare_estimators, compare_runs
from .persistence import (
    check_feature_names,
    load_calibrator,
    no_answer_decisions,
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
    if not args.data:
        return _simulated_data()
    data = load_reader_outputs(
        args.data[0] if len(args.data) == 1 else args.data,
        dev=getattr(args, "dev", None),
        prefix=args.prefix,
        subset="intersection" if args.intersect else "strict",
        label_column=getattr(args, "label_column", "unanswerable"),
        id_column=args.id_column,
        names=None if getattr(args, "names", None) is None else args.names.split(","),
        primary=getattr(args, "primary", None),
        scores=_named_files(getattr(args, "score", None)),
    )
    if labelled and data.target is None:
        raise CommandError(
            f"{', '.join(args.data)}: no labels: give the gold answers with --dev "
            "(for reader "
            "outputs) or a label column (for a CSV)."
        )
    if labelled and data.target.all() == data.target.any():  # one class only
        kind = "unanswerable" if data.target[0] else "answerable"
        raise CommandError(
            f"{', '.join(map(str, args.data))}: all {len(data.target)} questions "
            f"are {kind}; a no-answer rule is learnt from both kinds."
        )
    return data


def _named_files(specs):
    """``{name: path}`` from --score NAME=FILE options."""
    named = {}
    for spec in specs or ():
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise CommandError(f"--score {spec!r}: expected NAME=FILE.")
        named[name] = path
    return named


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


def _other_runs_rules(data):
    """Each joined run's own tuned rule, besides the primary run's."""
    names = list(data.feature_names)
    rules = {}
    for name, (null, span) in data.get("run_margins", {}).items():
        if name != data.primary:
            rules[f"MarginThreshold {name} (tuned)"] = MarginThresholdClassifier(
                null_column=[names.index(c) for c in null],
                span_column=None if span is None else [names.index(c) for c in span],
            )
    return rules


def _tuning_weight(data, tune):
    if tune == "accuracy":
        return None
    credit = data.em if tune == "em" else data.f1
    if credit is None and list(data.feature_names) == ["null_odds"]:
        # Reader outputs without n-best lists: null_odds.json alone.
        raise CommandError(
            f"--tune {tune} needs each question's {tune} if answered with its best "
            "span, whose text is in the n-best lists: DATA has null_odds but no "
            "nbest_predictions.json (predictions.json leaves the span of every "
            'question it answered "" unknown); give the run\'s '
            "nbest_predictions.json (for a CSV, em/f1 columns), or use --tune "
            "accuracy."
        )
    if credit is None:
        raise CommandError(
            f"--tune {tune} needs each question's {tune}: give a reader's outputs "
            "with --dev, or a CSV with an em/f1 column."
        )
    return squad2_sample_weight(data.target, credit)


def cmd_compare(args, say):
    """Cross-validate four no-answer rules on identical folds; test each pair."""
    if args.plot:
        figures = ("threshold", "margin_histograms", "restart_curves", "fold_weights")
        _check_outputs(
            args, [("--plot", Path(args.plot) / f"{name}.png") for name in figures]
        )
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
    primary = f"; primary run {data.primary}" if "primary" in data else ""
    say(
        f"{len(y)} questions ({int(y.sum())} unanswerable), columns "
        f"{data.feature_names}{primary}; {args.folds}-fold CV x {args.repeats} "
        f"repeats, tuned for {args.tune}"
    )
    estimators = {
        "TorchLogisticFusion": TorchLogisticFusion(random_state=args.seed),
        "MarginThreshold (tuned)": rule,
        "MarginThreshold (t=0)": _margin_rule(data, args, threshold=0.0),
        "LogisticRegression": LogisticRegression(),
        **_other_runs_rules(data),
    }
    result = compare_estimators(
        estimators,
        data.data,
        y,
        em=data.em,
        f1=data.f1,
        groups=dev_article_groups(args, data, say),
        tune=args.tune,
        n_splits=args.folds,
        n_repeats=args.repeats,
        random_state=args.seed,
        progress=say,
    )
    if args.plot:
        _write_plots(args, data, result, say)
    questions = result.question_tests(
        n_resamples=args.resamples, random_state=args.seed
    )
    if args.json:
        content = comparison_json(
            result, data, rule, folds=args.folds, repeats=args.repeats, seed=args.seed
        )
        content["question_tests"] = questions
        print(json_dumps(content))
    else:
        print(comparison_text(result, data))
        print(question_tests_text(questions))


def _write_plots(args, data, result, say):
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError as exc:
        raise CommandError(
            "--plot needs matplotlib: pip install matplotlib (in a clone of "
            "skfusion: pip install -e '.[plot]')"
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


def _check_outputs(args, outputs):
    """Refuse, before any work, to write over a file the command reads."""
    data = [Path(path) for path in args.data or ()]
    scores = list(_named_files(args.score).values()) if args.score else []
    inputs = [getattr(args, "calibrator", None), *data, getattr(args, "dev", None)]
    check_outputs(outputs, inputs + scores, [p for p in data if p.is_dir()])


def cmd_compare_runs(args, say):
    """Compare the rules on several runs (checkpoints or seeds) of ONE reader.

    Each run is cross-validated on its own scores, then the runs' scores
    are tested against each other. This is not fusion: to fuse several
    readers' scores into one calibrator, give them as columns of one DATA
    to compare or fit.
    """
    if len(args.runs) < 2:
        raise CommandError("compare-runs needs at least 2 runs.")
    runs = {}
    for path in args.runs:
        one_run = argparse.Namespace(**{**vars(args), "data": [path]})
        data = _load(one_run, labelled=True)
        if runs:
            check_same_run(path, data, args.runs[0], next(iter(runs.values())))
        if str(path) in runs:
            raise CommandError(f"{path}: given twice.")
        runs[str(path)] = data
    first = next(iter(runs.values()))
    aligned = {name: in_order_of(data, first) for name, data in runs.items()}
    _tuning_weight(first, args.tune)  # fail early, before any fit
    rule = _margin_rule(first, args)
    estimators = {
        "TorchLogisticFusion": TorchLogisticFusion(random_state=args.seed),
        "MarginThreshold (tuned)": rule,
        "MarginThreshold (t=0)": _margin_rule(first, args, threshold=0.0),
        "LogisticRegression": LogisticRegression(),
    }
    result = compare_runs(
        aligned,
        estimators,
        tune=args.tune,
        n_splits=args.folds,
        n_repeats=args.repeats,
        random_state=args.seed,
        progress=say,
    )
    if args.json:
        print(json_dumps(runs_json(result, folds=args.folds, repeats=args.repeats)))
    else:
        print(runs_text(result))


def cmd_fit(args, say):
    """Fit one calibrator on all of DATA and save it."""
    _check_outputs(args, [("-o", args.output)])
    check_file_name("-o", args.output)
    _calibrator_writer(args.output)  # a missing writer fails before the fit
    data = _load(args, labelled=True)
    weight = _tuning_weight(data, args.tune)
    targets, fit_params = operating_point_options(args, data)
    if args.model == "fusion":
        if args.null_column is not None or args.span_column is not None:
            raise CommandError(
                "--null-column and --span-column choose the margin rule's columns; "
                "--model fusion uses every column."
            )
        model = TorchLogisticFusion(random_state=args.seed)
        model.fit(data.data, data.target, sample_weight=weight)
        if targets:
            model = fixed_operating_point(
                model, data.data, data.target, **fit_params, **targets
            )
    else:
        model = _margin_rule(data, args, **targets)
        check_margin_direction(model, data)
        model.fit(data.data, data.target, sample_weight=weight, **fit_params)
    save_calibrator(model, data.feature_names, args.output)
    say(f"saved to {args.output}")
    summary = {"kind": args.model, "tune": args.tune, "output": args.output}
    summary["targets"] = targets
    if args.json:
        print(json_dumps(fit_json(model, data, **summary)))
    else:
        print(fit_text(model, data, **summary))


def cmd_predict(args, say):
    """Apply a saved calibrator to DATA and write SQuAD-style predictions."""
    _check_outputs(args, [("-o", args.output)])
    check_file_name("-o", args.output)
    model, feature_names = load_calibrator(
        args.calibrator, allow_pickle=args.allow_pickle
    )
    data = _load(args, labelled=False)
    check_feature_names(feature_names, data.feature_names)
    if data.span_text is None and not args.decisions_only:
        raise CommandError(no_span_text_error(args.data[0], args.prefix))
    # load_calibrator checked that the classes are [False, True] or [0, 1].
    predicted_null = model.predict(data.data) == model.classes_[1]
    if args.decisions_only:
        out = no_answer_decisions(data.ids, predicted_null)
    else:
        predicted_null = _resolve_unknown_spans(predicted_null, data, args, say)
        out = squad_predictions(data.ids, predicted_null, data.span_text)
    write_json(args.output, out)
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
        {
            "compare": cmd_compare,
            "compare-runs": cmd_compare_runs,
            "fit": cmd_fit,
            "predict": cmd_predict,
        },
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
        0 on success (and for no arguments, which print the help), 1 on an
        error (one line on stderr), 2 on bad options, 128 + the signal's
        number when interrupted (130 for Ctrl-C, SIGINT; 143 for SIGTERM).
    """
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):
        # No command at all: a first try, which deserves the help, not an error.
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    try:
        with signals_as_exceptions():
            _run(args)
            sys.stdout.flush()
    except (KeyboardInterrupt, Interrupted) as exc:
        # Any file being written was deleted unfinished; the old one is whole.
        signum = getattr(exc, "signum", signal.SIGINT)
        name = signal.Signals(signum).name
        print(f"skfusion {args.command}: interrupted ({name})", file=sys.stderr)
        return 128 + signum
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
