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

from sklearn.base import clone

from .. import (
    MarginThresholdClassifier,
    TorchLogisticFusion,
    check_margin_direction,
    margin_column_indices,
)
from ..datasets._base import few, known_margin_columns
from ..metrics import tuning_sample_weight
from ..model_selection import (
    compare_estimators,
    compare_runs,
    fixed_operating_point,
    no_answer_rules,
)
from ..persistence import (
    check_feature_names,
    load_calibrator,
    no_answer_decisions,
    resolve_unknown_spans,
    save_calibrator,
    squad_predictions,
)
from ..persistence._calibrator import writer as _calibrator_writer
from ._checks import (
    check_same_run,
    dev_groups,
    in_order_of,
    operating_point_options,
)
from ._data import check_outputs_of, load_data, write_plots
from ._files import (
    Interrupted,
    check_file_name,
    no_span_text_error,
    signals_as_exceptions,
    write_json,
)
from ._parser import build_parser as _build_parser
from ._parser import column_spec, renamed_options
from ._report import (
    comparison_json,
    comparison_text,
    fit_json,
    fit_text,
    json_dumps,
    operating_points_text,
    question_tests_text,
    runs_json,
    runs_text,
)


class CommandError(Exception):
    """A problem with the user's files or options: one line, no traceback."""


def _margin_columns(data, args):
    """Each run's margin columns as positions, the options overriding the primary's."""
    margins = dict(data.get("run_margins", {None: data.margin_columns}))
    primary = data.get("primary")
    null = span = None
    if args.null_column is None or args.span_column is None:
        null, span = known_margin_columns(data)
    null = null if args.null_column is None else column_spec(args.null_column)
    span = span if args.span_column is None else column_spec(args.span_column)
    margins[primary] = (null, span)
    return {
        run: margin_column_indices(data.feature_names, null, span)
        for run, (null, span) in margins.items()
    }, primary


def _margin_rule(data, args, **params):
    """BERT's rule on `data`'s margin columns, or on those the options name."""
    margins, primary = _margin_columns(data, args)
    null, span = margins[primary]
    return MarginThresholdClassifier(null_column=null, span_column=span, **params)


def _rule_credit(data, spans):
    """Each rule's EM and F1: those of the run whose spans it answers with."""
    runs = data.get("run_credit", {None: {"em": data.em, "f1": data.f1}})
    credit = {"em": None, "f1": None}
    for key in credit:
        if data[key] is not None:
            credit[key] = {name: runs[run][key] for name, run in spans.items()}
            missing = {run for run in spans.values() if runs[run][key] is None}
            if missing:
                raise CommandError(
                    f"run {sorted(missing)[0]} has no {key.upper()} (no n-best "
                    "lists): its rule cannot be scored with its own spans; give "
                    "its nbest_predictions.json."
                )
    return credit


def _tuning_weight(data, tune):
    try:
        return tuning_sample_weight(data.target, tune, em=data.em, f1=data.f1)
    except ValueError as exc:
        # null_odds.json alone: a run's outputs without its n-best lists.
        where = (
            "DATA has null_odds but no nbest_predictions.json, and predictions.json "
            'leaves the span of every question it answered "" unknown: give the '
            "run's nbest_predictions.json"
            if list(data.feature_names) == ["null_odds"]
            else "give a reader's outputs with --dev"
        )
        raise CommandError(
            f"--tune {tune}: {exc} {where}, a CSV with an em/f1 column, or use "
            "--tune accuracy."
        ) from exc


def cmd_compare(args, say):
    """Cross-validate four no-answer rules on identical folds; test each pair."""
    if args.plot:
        figures = ("threshold", "margin_histograms", "restart_curves", "fold_weights")
        check_outputs_of(
            args, [("--plot", Path(args.plot) / f"{name}.png") for name in figures]
        )
    data = load_data(args, labelled=True)
    y = data.target
    smallest = int(min(y.sum(), (~y).sum()))
    if smallest < args.folds:
        raise CommandError(
            f"{args.folds}-fold CV needs at least {args.folds} questions of each "
            f"class; the data has {smallest} of the rarer one."
        )
    _tuning_weight(data, args.tune)  # fail early, before any fit
    rule = _margin_rule(data, args)
    check_margin_direction(
        rule, data.data, data.target, feature_names=data.feature_names
    )
    run = f"; primary run {data.primary}" if "primary" in data else ""
    say(
        f"{len(y)} questions ({int(y.sum())} unanswerable), columns "
        f"{data.feature_names}{run}; {args.folds}-fold CV x {args.repeats} "
        f"repeats, tuned for {args.tune}"
    )
    targets, _ = operating_point_options(args, data)
    margins, primary = _margin_columns(data, args)
    estimators, spans = no_answer_rules(
        margins,
        primary=primary,
        random_state=args.seed,
        target_precision=targets.get("target_precision"),
        confidence=targets.get("confidence"),
    )
    credit = _rule_credit(data, spans)
    result = compare_estimators(
        estimators,
        data.data,
        y,
        **credit,
        groups=dev_groups(args, data, say),
        tune=args.tune,
        n_splits=args.folds,
        n_repeats=args.repeats,
        random_state=args.seed,
        progress=say,
    )
    if args.plot:
        write_plots(
            args, data, result, say, clone(rule), _tuning_weight(data, args.tune)
        )
    questions = result.question_tests(
        n_resamples=args.resamples, random_state=args.seed
    )
    points = [
        result.target_met(name, est.target_precision)
        for name, est in estimators.items()
        if getattr(est, "target_precision", None) is not None
    ]
    if args.json:
        content = comparison_json(
            result,
            data,
            rule,
            folds=args.folds,
            repeats=args.repeats,
            seed=args.seed,
            spans=spans,
        )
        content["question_tests"] = questions
        content["operating_points"] = points
        print(json_dumps(content))
    else:
        print(comparison_text(result, data, spans=spans))
        print(question_tests_text(questions))
        if points:
            print(operating_points_text(points))


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
        data = load_data(one_run, labelled=True)
        if runs:
            check_same_run(path, data, args.runs[0], next(iter(runs.values())))
        if str(path) in runs:
            raise CommandError(f"{path}: given twice.")
        runs[str(path)] = data
    first = next(iter(runs.values()))
    aligned = {name: in_order_of(data, first) for name, data in runs.items()}
    _tuning_weight(first, args.tune)  # fail early, before any fit
    margins, primary = _margin_columns(first, args)
    estimators, _ = no_answer_rules(margins[primary], random_state=args.seed)
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
    check_outputs_of(args, [("-o", args.output)])
    check_file_name("-o", args.output)
    _calibrator_writer(args.output)  # a missing writer fails before the fit
    data = load_data(args, labelled=True)
    weight = _tuning_weight(data, args.tune)
    targets, fit_params = operating_point_options(args, data)
    if args.model == "fusion":
        if args.null_column is not None or args.span_column is not None:
            raise CommandError(
                "--null-column and --span-column choose the margin rule's columns; "
                "--model fusion uses every column."
            )
        model = TorchLogisticFusion(random_state=args.seed)
        if targets:
            model = fixed_operating_point(
                model, data.data, data.target, **fit_params, **targets
            )
        else:
            model.fit(data.data, data.target, sample_weight=weight)
    else:
        model = _margin_rule(data, args, **targets)
        check_margin_direction(
            model, data.data, data.target, feature_names=data.feature_names
        )
        model.fit(data.data, data.target, sample_weight=weight, **fit_params)
    save_calibrator(model, data.feature_names, args.output)
    say(f"saved to {args.output}")
    summary = {"kind": args.model, "tune": args.tune, "output": args.output}
    summary["targets"] = targets
    summary["confidence"] = targets.pop("confidence", None)
    if args.json:
        print(json_dumps(fit_json(model, data, **summary)))
    else:
        print(fit_text(model, data, **summary))


def cmd_predict(args, say):
    """Apply a saved calibrator to DATA and write SQuAD-style predictions."""
    check_outputs_of(args, [("-o", args.output)])
    check_file_name("-o", args.output)
    model, feature_names = load_calibrator(
        args.calibrator, allow_pickle=args.allow_pickle
    )
    data = load_data(args, labelled=False)
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
    result = resolve_unknown_spans(
        predicted_null, data.span_text, no_span=data.no_span, missing_span="null"
    )
    missing = result.missing
    if missing.any() and not args.missing_span_as_null:
        raise CommandError(
            f"the calibrator answers {int(missing.sum())} question(s) whose span "
            f'text is unknown ("" in predictions.json), e.g. '
            f"{few(data.ids[missing].tolist())}: give the run's "
            "nbest_predictions.json, or --missing-span-as-null to write them as no "
            "answer."
        )
    for rows, why in (
        (result.no_span, "have no candidate span (the reader's placeholder 'empty')"),
        (missing, "without a known span"),
    ):
        if rows.any():
            say(f"{int(rows.sum())} answered question(s) {why}: written as no answer")
    return result.predicted_null


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
        renamed_options(args)
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
