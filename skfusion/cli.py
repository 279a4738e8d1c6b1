"""The ``skfusion`` command: compare, fit and apply no-answer calibrators.

Run ``skfusion --help``; ``skfusion compare`` with no data runs on the
bundled simulated SQuAD 2.0 dev scores.
"""

import argparse
import json
import os
import pickle
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from . import MarginThresholdClassifier, TorchLogisticFusion
from ._compare import compare_estimators
from ._persistence import (
    check_feature_names,
    load_calibrator,
    predictions_json,
    save_calibrator,
)
from .datasets import (
    FEATURE_NAMES,
    load_csv,
    load_seed_pickle,
    load_squad_outputs,
    make_squad2_scores,
)
from .datasets._loaders import _bunch

SQUAD_OUTPUTS = ("nbest_predictions.json", "null_odds.json", "predictions.json")


class CommandError(Exception):
    """A problem with the user's files or options: one line, no traceback."""


class _OneLineParser(argparse.ArgumentParser):
    """Report bad options in one line (argparse adds a usage line)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _simulated_data():
    X, y = make_squad2_scores(random_state=0)
    ids = [f"sim{i:05d}" for i in range(len(y))]
    return _bunch(X, FEATURE_NAMES, y, ids, margin_columns=(0, 3))


def load_data(path, args, *, labelled=True):
    """Load DATA: a seed pickle, a CSV, or a run_squad output folder."""
    if path is None:
        return _simulated_data()
    path = Path(path)
    if not path.exists():
        raise CommandError(f"{path}: no such file or folder.")
    if path.is_dir():
        found = {name: path / name for name in SQUAD_OUTPUTS if (path / name).exists()}
        if not found:
            raise CommandError(f"{path}: holds none of {', '.join(SQUAD_OUTPUTS)}.")
        if args.dev is None:
            raise CommandError("A run_squad output folder needs --dev dev-v2.0.json.")
        return load_squad_outputs(
            args.dev,
            nbest=found.get("nbest_predictions.json"),
            null_odds=found.get("null_odds.json"),
            predictions=found.get("predictions.json"),
        )
    if path.suffix in (".pkl", ".pickle"):
        return load_seed_pickle(path)
    if path.suffix == ".csv":
        return load_csv(
            path,
            label_column=args.label_column,
            id_column=args.id_column,
            require_label=labelled,
        )
    raise CommandError(
        f"{path}: expected a .pkl, a .csv or a folder of run_squad outputs."
    )


def _margin_rule(data, args, **params):
    null, span = data.margin_columns
    null = args.null_column if args.null_column is not None else null
    span = args.span_column if args.span_column is not None else span
    span = None if span == "none" else span
    return MarginThresholdClassifier(null_column=null, span_column=span, **params)


def _estimators(data, args):
    return {
        "TorchLogisticFusion": TorchLogisticFusion(random_state=args.seed),
        "MarginThreshold (tuned)": _margin_rule(data, args),
        "MarginThreshold (t=0)": _margin_rule(data, args, threshold=0.0),
        "LogisticRegression": LogisticRegression(),
    }


def _format_table(summary, has_em, has_f1):
    header = f"{'estimator':<26}{'accuracy':>18}"
    header += f"{'EM':>18}" * has_em + f"{'F1':>18}" * has_f1 + f"{'fit ms':>10}"
    lines = [header]
    for row in summary:
        line = f"{row['estimator']:<26}"
        for key, shown in (("accuracy", True), ("em", has_em), ("f1", has_f1)):
            if shown:
                line += f"{row[key]:>10.4f} ± {row[key + '_std']:.4f}"
        lines.append(line + f"{row['fit_seconds'] * 1000:>10.1f}")
    return "\n".join(lines)


def cmd_compare(args, say):
    """Cross-validate the four rules on identical folds and test each pair."""
    data = load_data(args.data, args)
    y = data.target
    smallest = int(min(y.sum(), (~y).sum()))
    if smallest < args.folds:
        raise CommandError(
            f"{args.folds}-fold CV needs at least {args.folds} questions of each "
            f"class; the data has {smallest} of the rarer one."
        )
    say(
        f"{len(y)} questions ({int(y.sum())} unanswerable), columns "
        f"{data.feature_names}; {args.folds}-fold CV x {args.repeats} repeats"
    )
    result = compare_estimators(
        _estimators(data, args),
        data.data,
        y,
        em=data.em,
        f1=data.f1,
        n_splits=args.folds,
        n_repeats=args.repeats,
        random_state=args.seed,
        progress=say,
    )
    summary, tests = result.summary(), result.pairwise_tests()
    if args.plot:
        _write_compare_plots(Path(args.plot), data, result, args, say)
    if args.json:
        print(
            json.dumps(
                {
                    "summary": summary,
                    "pairwise_tests": tests,
                    "folds": args.folds,
                    "repeats": args.repeats,
                },
                indent=2,
            )
        )
        return
    print(_format_table(summary, data.em is not None, data.f1 is not None))
    print(
        "\nPaired comparison of accuracy: corrected resampled t-test "
        f"(Nadeau & Bengio 2003), {args.folds * args.repeats} folds"
    )
    for t in tests:
        print(
            f"  {t['a']} vs {t['b']}: difference {t['mean_difference']:+.4f}, "
            f"t = {t['t']:.2f}, p = {t['p']:.3g}"
        )


def _write_compare_plots(folder, data, result, args, say):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise CommandError(
            "--plot needs matplotlib: pip install 'skfusion[plot]'"
        ) from exc
    from . import plotting

    folder.mkdir(parents=True, exist_ok=True)
    X, y = data.data, data.target
    rule = _margin_rule(data, args).fit(X, y)
    margin = rule.decision_function(X) + rule.best_threshold_
    fusion = TorchLogisticFusion(random_state=args.seed).fit(X, y)
    folds = result.fitted["TorchLogisticFusion"]
    figures = {
        "threshold.png": lambda ax: plotting.plot_threshold_curve(
            margin, y, rule.best_threshold_, ax=ax
        ),
        "margin_histograms.png": lambda ax: plotting.plot_margin_histograms(
            margin, y, rule.best_threshold_, ax=ax
        ),
        "restart_curves.png": lambda ax: plotting.plot_restart_curves(fusion, ax=ax),
        "fold_weights.png": lambda ax: plotting.plot_fold_weights(
            [m.coef_[0] for m in folds],
            data.feature_names,
            intercepts=[m.intercept_[0] for m in folds],
            ax=ax,
        ),
    }
    for name, draw in figures.items():
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        draw(ax)
        fig.tight_layout()
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
        say(f"wrote {folder / name}")


def cmd_fit(args, say):
    """Fit one calibrator on all of DATA and save it."""
    data = load_data(args.data, args)
    weight = None
    if args.tune != "accuracy":
        # Both models select by weighted accuracy, which these weights turn
        # into the SQuAD EM (or F1) total.
        credit = data.em if args.tune == "em" else data.f1
        if credit is None:
            raise CommandError(f"--tune {args.tune} needs per-question {args.tune}.")
        weight = np.where(data.target, 1.0, credit)
    if args.model == "fusion":
        model = TorchLogisticFusion(random_state=args.seed)
    else:
        model = _margin_rule(data, args)
    model.fit(data.data, data.target, sample_weight=weight)
    save_calibrator(model, data.feature_names, args.output)
    say(
        f"{args.model} fitted on {len(data.target)} questions "
        f"(training accuracy {model.score(data.data, data.target):.4f}); "
        f"saved to {args.output}"
    )


def cmd_predict(args, say):
    """Apply a saved calibrator to DATA and write SQuAD-style predictions."""
    model, feature_names = load_calibrator(args.calibrator)
    data = load_data(args.data, args, labelled=False)
    check_feature_names(feature_names, data.feature_names)
    predicted_null = model.predict(data.data).astype(bool)
    out = predictions_json(data.ids, predicted_null, data.span_text)
    Path(args.output).write_text(json.dumps(out, indent=1))
    say(
        f"{int(predicted_null.sum())} of {len(predicted_null)} predicted "
        f"unanswerable; wrote {args.output}"
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``skfusion`` command."""
    parser = _OneLineParser(prog="skfusion", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def data_options(p, *, optional):
        p.add_argument(
            "data",
            nargs="?" if optional else None,
            metavar="DATA",
            help="seed .pkl, .csv, or a run_squad output folder"
            + (" (default: bundled simulated dev set)" if optional else ""),
        )
        p.add_argument("--dev", help="dev-v2.0.json, for a run_squad output folder")
        p.add_argument("--label-column", default="unanswerable")
        p.add_argument("--id-column", default=None)
        p.add_argument("--null-column", type=int, default=None)
        p.add_argument(
            "--span-column",
            default=None,
            type=lambda s: s if s == "none" else int(s),
            help="column index, or 'none' if the null column is the margin",
        )
        p.add_argument("--seed", type=int, default=0)
        p.add_argument(
            "-q", "--quiet", action="store_true", help="no progress on stderr"
        )

    compare = sub.add_parser("compare", help=cmd_compare.__doc__)
    data_options(compare, optional=True)
    compare.add_argument("--folds", type=int, default=5)
    compare.add_argument("--repeats", type=int, default=3)
    compare.add_argument("--json", action="store_true", help="machine-readable output")
    compare.add_argument("--plot", metavar="DIR", help="write PNG figures to DIR")
    compare.set_defaults(handler=cmd_compare)

    fit = sub.add_parser("fit", help=cmd_fit.__doc__)
    data_options(fit, optional=False)
    fit.add_argument("--model", choices=["fusion", "margin"], default="fusion")
    fit.add_argument(
        "--tune",
        choices=["accuracy", "em", "f1"],
        default="accuracy",
        help="what the fit maximises: accuracy, or SQuAD EM or F1",
    )
    fit.add_argument("-o", "--output", required=True, help=".joblib or .skops file")
    fit.set_defaults(handler=cmd_fit)

    predict = sub.add_parser("predict", help=cmd_predict.__doc__)
    predict.add_argument("calibrator")
    data_options(predict, optional=False)
    predict.add_argument("-o", "--output", required=True)
    predict.set_defaults(handler=cmd_predict)
    return parser


def main(argv=None) -> int:
    """Run the command; return its exit status."""
    args = build_parser().parse_args(argv)

    def say(message):
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    try:
        args.handler(args, say)
    except (CommandError, ValueError, OSError, KeyError, pickle.UnpicklingError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"skfusion {args.command}: error: {message}", file=sys.stderr)
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
