"""The skfusion command: compare, fit and apply no-answer calibrators.

Run "skfusion --help"; "skfusion compare" without data runs on bundled
simulated SQuAD 2.0 dev scores.
"""

import json
import os
import pickle
import signal
import sys
import threading
import warnings
from pathlib import Path

from .. import (
    MarginThresholdClassifier,
    TorchLogisticFusion,
    check_margin_direction,
    datasets,
    margin_column_indices,
    model_selection,
    persistence,
)
from .._io import atomic_write, same_file
from ..datasets import FEATURE_NAMES, load_reader_outputs, make_squad2_scores
from ..datasets._base import few, known_margin_columns, reader_bunch
from ..datasets._formats import choose_run, file_name, folder_runs, split_name
from ..metrics import tuning_sample_weight
from ..persistence import load_calibrator
from ..persistence._calibrator import writer
from . import _report
from ._parser import build_parser as _build_parser


class _Interrupted(BaseException):
    """SIGTERM, raised where the command runs so that writes clean up."""


def _columns(spec):
    """Parse a --null-column/--span-column value: names or 0-based indices."""
    items = [item.strip() for item in spec.split(",")]
    return [int(i) if i.lstrip("-").isdigit() else i for i in items]


def _load(args, paths, labelled):
    """Load DATA (or the bundled simulation) as the options say."""
    if not paths:
        X, y, groups = make_squad2_scores(grouped=True, random_state=0)
        ids = [f"sim{i:05d}" for i in range(len(y))]
        descr = (
            "Simulated SQuAD 2.0 dev scores, 35 articles: "
            "make_squad2_scores(grouped=True, random_state=0)"
        )
        margin = (["joint_null"], ["best_span"])
        data = reader_bunch(
            X, FEATURE_NAMES, y, ids, margin_columns=margin, descr=descr
        )
        data.groups = groups
        return data
    scores = {}
    for spec in args.score or ():
        name, sep, path = spec.partition("=")
        if not (sep and name and path):
            raise ValueError(f"--score {spec!r}: expected NAME=FILE.")
        scores[name] = path
    data = load_reader_outputs(
        paths[0] if len(paths) == 1 else paths,
        dev=getattr(args, "dev", None),
        prefix=args.prefix,
        id_column=args.id_column,
        subset="intersection" if args.intersect else "strict",
        label_column=getattr(args, "label_column", "unanswerable"),
        names=args.names.split(",") if args.names else None,
        primary=args.primary,
        scores=scores,
    )
    shown = ", ".join(map(str, paths))
    if labelled and data.target is None:
        raise ValueError(
            f"{shown}: no labels: give the gold answers with --dev (for reader "
            "outputs) or a label column (for a CSV)."
        )
    if labelled and data.target.all() == data.target.any():  # one class only
        raise ValueError(
            f"{shown}: all {len(data.target)} questions are "
            f"{'un' * bool(data.target[0])}answerable; a no-answer rule is learnt "
            "from both kinds."
        )
    return data


def _check_outputs(args, outputs, *, files=False):
    """Refuse, before any work, an output that is an input or a reader's file.

    With `files`, also one that names a folder, or a file in no folder.
    """
    data = [Path(path) for path in args.data]
    inputs = [getattr(args, "calibrator", None), getattr(args, "dev", None), *data]
    inputs += [spec.partition("=")[2] for spec in args.score or ()]
    for option, output in outputs:
        for source in inputs:
            if source is not None and same_file(output, source):
                raise ValueError(
                    f"{option} {output} is one of the input files ({source}); "
                    "choose another output file."
                )
        target = Path(os.path.realpath(output))
        for folder in (p for p in data if p.is_dir()):
            inside = target.parent == Path(os.path.realpath(folder))
            if inside and split_name(target.name):
                raise ValueError(
                    f"{option} {output} is a reader output file name in {folder}, "
                    "which the command reads; choose another name or folder."
                )
        if files and Path(output).is_dir():
            raise ValueError(f"{option} {output} is a folder, expected a file name.")
        if files and not target.parent.is_dir():
            raise ValueError(
                f"{option} {output}: the folder {target.parent} does not exist."
            )


def _margins(data, args):
    """Each run's margin columns as positions, the options overriding the primary's."""
    margins = dict(data.get("run_margins", {None: data.margin_columns}))
    null = span = None
    if args.null_column is None or args.span_column is None:
        null, span = known_margin_columns(data)
    if args.null_column is not None:
        null = _columns(args.null_column)
    if args.span_column is not None:
        span = None if args.span_column == "none" else _columns(args.span_column)
    margins[data.get("primary")] = (null, span)
    names = data.feature_names
    positions = {run: margin_column_indices(names, *m) for run, m in margins.items()}
    return positions, data.get("primary")


def _weight(data, tune):
    """Return the sample weights of `tune`, or raise naming what is missing."""
    try:
        return tuning_sample_weight(data.target, tune, em=data.em, f1=data.f1)
    except ValueError as exc:
        where = (
            "DATA has null_odds but no nbest_predictions.json, and predictions.json "
            'leaves the span of every question it answered "" unknown: give the '
            "run's nbest_predictions.json"
            if list(data.feature_names) == ["null_odds"]
            else "give a reader's outputs with --dev"
        )
        raise ValueError(
            f"--tune {tune}: {exc} {where}, a CSV with an em/f1 column, or use "
            "--tune accuracy."
        ) from exc


def _targets(args):
    """Return the operating-point options given, once checked."""
    keys = ("target_precision", "target_noans_recall", "confidence")
    targets = {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    for key, value in targets.items():
        inside = 0 < value < 1 if key == "confidence" else 0 <= value <= 1
        if not inside:
            interval = "(0, 1)" if key == "confidence" else "[0, 1]"
            option = f"--{key.replace('_', '-')}"
            raise ValueError(f"{option} {value} must be in {interval}.")
    if "confidence" in targets and "target_precision" not in targets:
        raise ValueError("--confidence guarantees --target-precision: give it.")
    if targets and args.tune != "accuracy":
        raise ValueError(
            f"--tune {args.tune} and a target both choose the threshold: give one."
        )
    return targets


def _groups(args, data, say):
    """Return the articles and paragraphs of --dev that --groups keeps together."""
    if args.groups == "none":
        return None
    levels = ("article", "paragraph") if args.groups == "auto" else (args.groups,)
    if data.get("groups") is not None:  # the bundled simulation's
        return {level: data.groups[level] for level in levels}
    why = "no --dev file naming every question's article and paragraph"
    if args.dev is not None:
        try:
            return {
                level: datasets.load_articles(args.dev, data.ids, level=level)
                for level in levels
            }
        except ValueError as exc:
            why = str(exc)
    say(f"folds and per-question tests over single questions: {why}")
    return None


def cmd_compare(args, say):
    """Cross-validate four no-answer rules on identical folds; test each pair."""
    if args.plot:
        figures = ("threshold", "margin_histograms", "restart_curves", "fold_weights")
        pngs = [("--plot", Path(args.plot) / f"{name}.png") for name in figures]
        _check_outputs(args, pngs)
    data = _load(args, args.data, labelled=True)
    y = data.target
    rarer = int(min(y.sum(), (~y).sum()))
    if rarer < args.folds:
        raise ValueError(
            f"{args.folds}-fold CV needs at least {args.folds} questions of each "
            f"class; the data has {rarer} of the rarer one."
        )
    weight = _weight(data, args.tune)  # fail early, before any fit
    margins, primary = _margins(data, args)
    targets = _targets(args)
    rules, spans = model_selection.no_answer_rules(
        margins, primary=primary, random_state=args.seed, **targets
    )
    rule = rules[next(n for n in rules if n.endswith("(tuned)"))]
    check_margin_direction(rule, data.data, y, feature_names=data.feature_names)
    run = f"; primary run {data.primary}" if "primary" in data else ""
    say(
        f"{len(y)} questions ({int(y.sum())} unanswerable), columns "
        f"{data.feature_names}{run}; {args.folds}-fold CV x {args.repeats} "
        f"repeats, tuned for {args.tune}"
    )
    runs = data.get("run_credit", {None: {"em": data.em, "f1": data.f1}})
    result = model_selection.compare_estimators(
        rules,
        data.data,
        y,
        **model_selection.rule_credit(spans, runs),
        groups=_groups(args, data, say),
        tune=args.tune,
        n_splits=args.folds,
        n_repeats=args.repeats,
        random_state=args.seed,
        progress=say,
    )
    if args.plot:
        for path in _report.plots(args.plot, rule, result, data, weight, args.seed):
            say(f"wrote {path}")
    questions = result.question_tests(
        n_resamples=args.resamples, random_state=args.seed
    )
    points = [
        result.target_met(name, rule.target_precision)
        for name, rule in rules.items()
        if getattr(rule, "target_precision", None) is not None
    ]
    if args.json:
        content = _report.comparison_json(result, data, rule, spans, args)
        content.update(question_tests=questions, operating_points=points)
        print(_report.json_dumps(content))
    else:
        print(_report.comparison_text(result, data, spans))
        print(_report.question_tests_text(questions))
        if points:
            print(_report.operating_points_text(points))


def cmd_compare_runs(args, say):
    """Compare the rules on several runs (checkpoints or seeds) of ONE reader.

    Each run is cross-validated on its own scores, then the runs' scores
    are tested against each other. This is not fusion: to fuse several
    readers' scores into one calibrator, give them as columns of one DATA
    to compare or fit.
    """
    if len(args.runs) < 2:  # before reading any
        raise ValueError("compare-runs needs at least 2 runs.")
    args.names = args.primary = args.score = None
    runs = {str(path): _load(args, [path], labelled=True) for path in args.runs}
    if len(runs) < len(args.runs):
        raise ValueError(f"{args.runs[-1]}: given twice.")
    first = next(iter(runs.values()))
    _weight(first, args.tune)  # fail early, before any fit
    margins, primary = _margins(first, args)
    rules, _ = model_selection.no_answer_rules(margins[primary], random_state=args.seed)
    result = model_selection.compare_runs(
        runs,
        rules,
        tune=args.tune,
        n_splits=args.folds,
        n_repeats=args.repeats,
        random_state=args.seed,
        progress=say,
    )
    if args.json:
        print(_report.json_dumps(_report.runs_json(result, args)))
    else:
        print(_report.runs_text(result))


def cmd_fit(args, say):
    """Fit one calibrator on all of DATA and save it."""
    _check_outputs(args, [("-o", args.output)], files=True)
    writer(args.output)  # a missing writer fails before the fit
    data = _load(args, args.data, labelled=True)
    X, y = data.data, data.target
    weight = _weight(data, args.tune)
    targets = _targets(args)
    credit = {"answer_credit": data.em} if targets and data.em is not None else {}
    if args.model == "fusion":
        if args.null_column is not None or args.span_column is not None:
            raise ValueError(
                "--null-column and --span-column choose the margin rule's columns; "
                "--model fusion uses every column."
            )
        model = TorchLogisticFusion(random_state=args.seed)
        if targets:
            model = model_selection.fixed_operating_point(
                model, X, y, **credit, **targets
            )
        else:
            model.fit(X, y, sample_weight=weight)
    else:
        margins, primary = _margins(data, args)
        null, span = margins[primary]
        model = MarginThresholdClassifier(null_column=null, span_column=span, **targets)
        check_margin_direction(model, X, y, feature_names=data.feature_names)
        model.fit(X, y, sample_weight=weight, **credit)
    persistence.save_calibrator(
        model,
        data.feature_names,
        args.output,
        reader=data.get("reader"),
        score_kind=data.get("score_kind"),
        force=args.force,
    )
    say(f"saved to {args.output}")
    content = {"model": args.model, "tune": args.tune, "output": str(args.output)}
    content.update(persistence.calibrator_report(model, data, targets=targets))
    if "operating_point" in content:
        content["operating_point"]["measured_on"] = "fit data"
    print(_report.json_dumps(content) if args.json else _report.fit_text(content, data))


def cmd_predict(args, say):
    """Apply a saved calibrator to DATA and write SQuAD-style predictions."""
    _check_outputs(args, [("-o", args.output)], files=True)
    os.stat(args.calibrator)  # a missing calibrator fails before the data load
    data = _load(args, args.data, labelled=False)
    model, _ = load_calibrator(
        args.calibrator, allow_pickle=args.allow_pickle, data=data, force=args.force
    )
    if data.span_text is None and not args.decisions_only:
        raise ValueError(_no_span_text(Path(args.data[0]), args.prefix))
    # load_calibrator checked that the classes are [False, True] or [0, 1].
    predicted_null = model.predict(data.data) == model.classes_[1]
    if args.decisions_only:
        out = persistence.no_answer_decisions(data.ids, predicted_null)
    else:
        result = persistence.resolve_unknown_spans(
            predicted_null, data.span_text, no_span=data.no_span, missing_span="null"
        )
        if result.missing.any() and not args.missing_span_as_null:
            raise ValueError(
                f"the calibrator answers {int(result.missing.sum())} question(s) "
                'whose span text is unknown ("" in predictions.json), e.g. '
                f"{few(data.ids[result.missing].tolist())}: give the run's "
                "nbest_predictions.json, or --missing-span-as-null to write them "
                "as no answer."
            )
        placeholder = "have no candidate span (the reader's placeholder 'empty')"
        for rows, why in (
            (result.no_span, placeholder),
            (result.missing, "without a known span"),
        ):
            if rows.any():
                count = int(rows.sum())
                say(f"{count} answered question(s) {why}: written as no answer")
        predicted_null = result.predicted_null
        out = persistence.squad_predictions(data.ids, predicted_null, data.span_text)
    with atomic_write(args.output, "w", force=args.force) as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    say(
        f"{int(predicted_null.sum())} of {len(predicted_null)} predicted "
        f"unanswerable; wrote {args.output}"
    )


def _no_span_text(path, prefix):
    """Say that DATA has no answer texts, naming the file that would give them."""
    escape = "or use --decisions-only to write {id: true/false} instead."
    if path.is_dir():
        runs = folder_runs(path)
        files = choose_run(path, runs, prefix)
        run = next(run for run, found in runs.items() if found is files)
        return (
            f"{path}: no answer texts for SQuAD predictions: "
            f"{path / file_name(run, 'nbest_predictions')} (or "
            f"{file_name(run, 'predictions')}) is missing; add it, {escape}"
        )
    if path.suffix.lower() == ".json":
        return (
            f"{path}: null odds hold no answer texts for SQuAD predictions: give "
            f"the run's folder holding {path.parent / 'nbest_predictions.json'} "
            f"(or predictions.json), {escape}"
        )
    return (
        f"{path}: scores only, no answer texts for SQuAD predictions: give the "
        f"reader's output folder (nbest_predictions.json), {escape}"
    )


def build_parser():
    """Build the argument parser of the ``skfusion`` command.

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser, with the subcommands compare, compare-runs, fit and predict.
    """
    handlers = {
        "compare": cmd_compare,
        "compare-runs": cmd_compare_runs,
        "fit": cmd_fit,
        "predict": cmd_predict,
    }
    return _build_parser(__doc__.split("\n")[0], handlers)


def _raise_interrupted(signum, frame):
    raise _Interrupted(signum)


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

    def say(message):
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"skfusion {args.command}: warning: {message}", file=sys.stderr)

    # SIGTERM unwinds the stack as Ctrl-C does, so that atomic_write deletes
    # its temporary file; one ignored at start stays ignored, and only the
    # main thread can set a handler.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main_thread else signal.SIG_IGN
    try:
        if previous is not signal.SIG_IGN:
            signal.signal(signal.SIGTERM, _raise_interrupted)
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = show
            args.handler(args, say)
        sys.stdout.flush()
    except (KeyboardInterrupt, _Interrupted) as exc:
        # Any file being written was deleted unfinished; the old one is whole.
        signum = exc.args[0] if exc.args else signal.SIGINT
        name = signal.Signals(signum).name
        print(f"skfusion {args.command}: interrupted ({name})", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:
        # The reader of our output (e.g. `| head`) went away: stop quietly,
        # and keep Python from reporting the failed flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (ValueError, OSError, ImportError, pickle.UnpicklingError) as exc:
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
    finally:
        if main_thread and previous is not signal.SIG_IGN:
            signal.signal(signal.SIGTERM, previous)
    return 0
