"""The options of the skfusion command (argparse)."""

import argparse

from . import __version__


class _Formatter(argparse.HelpFormatter):
    """Show each option's default where it has a value to show."""

    def _get_help_string(self, action):
        shown = all(action.default is not v for v in (None, False, argparse.SUPPRESS))
        if shown and "default" not in (action.help or ""):
            return f"{action.help} (default: %(default)s)"
        return action.help


class _OneLineParser(argparse.ArgumentParser):
    """Report bad options in one line (argparse adds a usage line)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _command(subparsers, name, handlers):
    """Add subcommand `name`, described by its handler's docstring."""
    handler = handlers[name]
    parser = subparsers.add_parser(
        name,
        help=handler.__doc__,
        description=handler.__doc__,
        formatter_class=_Formatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def _add_data_options(p, *, optional=False, labels=True):
    """Options every command shares for reading DATA."""
    p.add_argument(
        "data",
        nargs="?" if optional else None,
        metavar="DATA",
        help="a reader's output folder (BERT run_squad.py or transformers run_qa.py "
        "names, with any prefix), an n-best or null_odds .json, a .csv, or the "
        "notebook's .pkl"
        + ("; without it, bundled simulated SQuAD 2.0 dev scores" if optional else ""),
    )
    if labels:
        p.add_argument(
            "--dev",
            help="gold answers: dev-v2.0.json or a squad_v2 JSON-lines export "
            "(for reader outputs)",
        )
    p.add_argument("--prefix", help="which run of a folder holding several, e.g. eval")
    p.add_argument(
        "--intersect",
        action="store_true",
        help="keep the questions present in every file (partial runs) instead of "
        "stopping at the first mismatch",
    )
    if labels:
        p.add_argument(
            "--label-column",
            default="unanswerable",
            help="CSV column of true/false labels, true = unanswerable",
        )
    p.add_argument(
        "--id-column", help="CSV column of question ids (default: row numbers)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def _add_rule_options(p):
    p.add_argument(
        "--null-column",
        help="column(s) of the null score, names or indices, comma-separated and "
        "summed (default: found from the data)",
    )
    p.add_argument(
        "--span-column",
        help="column(s) of the best span score, as --null-column; 'none' if the "
        "null column is the margin (default: found from the data)",
    )
    p.add_argument(
        "--tune",
        choices=["accuracy", "em", "f1"],
        default="accuracy",
        help="what every tuned rule maximises: accuracy, or SQuAD EM or F1",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed")


def _add_runs_command(sub, handlers):
    """Add the compare-runs command: several runs of one reader, not fusion."""
    runs = _command(sub, "compare-runs", handlers)
    runs.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="two or more runs (checkpoints or seeds) of the same reader on the "
        "same questions, each read as compare reads DATA",
    )
    runs.add_argument("--dev", help="gold answers, shared by every run")
    runs.add_argument("--prefix", help="which run of a folder holding several")
    runs.add_argument(
        "--intersect",
        action="store_true",
        help="keep the questions present in every file of a run",
    )
    runs.add_argument(
        "--label-column",
        default="unanswerable",
        help="CSV column of true/false labels, true = unanswerable",
    )
    runs.add_argument("--id-column", help="CSV column of question ids")
    runs.add_argument("-q", "--quiet", action="store_true", help="no progress")
    _add_rule_options(runs)
    runs.add_argument("--folds", type=int, default=5, help="folds per repeat")
    runs.add_argument("--repeats", type=int, default=3, help="repeats of k-fold")
    runs.add_argument("--json", action="store_true", help="print strict JSON")


def build_parser(description, handlers):
    """Build the parser; `handlers` maps each command to its function."""
    parser = _OneLineParser(
        prog="skfusion", description=description, formatter_class=_Formatter
    )
    parser.add_argument(
        "--version", action="version", version=f"skfusion {__version__}"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    compare = _command(sub, "compare", handlers)
    _add_data_options(compare, optional=True)
    _add_rule_options(compare)
    compare.add_argument("--folds", type=int, default=5, help="folds per repeat")
    compare.add_argument("--repeats", type=int, default=3, help="repeats of k-fold")
    compare.add_argument(
        "--resamples",
        type=int,
        default=10000,
        help="bootstrap resamples of the per-question tests",
    )
    compare.add_argument("--json", action="store_true", help="print strict JSON")
    compare.add_argument("--plot", metavar="DIR", help="write PNG figures to DIR")

    fit = _command(sub, "fit", handlers)
    _add_data_options(fit)
    _add_rule_options(fit)
    fit.add_argument(
        "--model",
        choices=["fusion", "margin"],
        default="fusion",
        help="fused logistic regression, or BERT's margin rule",
    )
    fit.add_argument(
        "-o",
        "--output",
        required=True,
        help="calibrator file: .skops (safe) or anything else (joblib)",
    )
    fit.add_argument(
        "--target-precision",
        type=float,
        metavar="P",
        help="answer as many questions as possible with at least this fraction "
        "of the answers right (their mean EM where the data give it, else the "
        "fraction answerable): the margin rule's threshold, or one on the "
        "fusion's decision function (saved as scikit-learn's "
        "FixedThresholdClassifier)",
    )
    fit.add_argument(
        "--target-noans-recall",
        type=float,
        metavar="R",
        help="answer as many questions as possible while flagging at least "
        "this fraction of the unanswerable ones",
    )
    fit.add_argument("--json", action="store_true", help="print strict JSON")

    if "compare-runs" in handlers:
        _add_runs_command(sub, handlers)

    predict = _command(sub, "predict", handlers)
    predict.add_argument(
        "calibrator", metavar="CALIBRATOR", help="a file written by skfusion fit"
    )
    _add_data_options(predict, labels=False)
    predict.add_argument(
        "-o",
        "--output",
        required=True,
        help='predictions JSON: {id: answer text or ""}',
    )
    predict.add_argument(
        "--missing-span-as-null",
        action="store_true",
        help="write answered questions whose span text is unknown as no answer "
        "instead of stopping",
    )
    return parser
