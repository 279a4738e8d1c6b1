"""The options of the skfusion command (argparse)."""

import argparse
import warnings

from .. import __version__


class _Formatter(argparse.HelpFormatter):
    """Show each option's default; keep indented lines (examples) as written."""

    def _fill_text(self, text, width, indent):
        # argparse rewraps descriptions and epilogs into one paragraph; an
        # example command must stay one line that can be copied.
        paragraphs = text.split("\n\n")
        return "\n\n".join(
            paragraph
            if paragraph.startswith("  ")
            else super(_Formatter, self)._fill_text(paragraph, width, indent)
            for paragraph in paragraphs
        )

    def _get_help_string(self, action):
        shown = all(action.default is not v for v in (None, False, argparse.SUPPRESS))
        if shown and "default" not in (action.help or ""):
            return f"{action.help} (default: %(default)s)"
        return action.help


class _OneLineParser(argparse.ArgumentParser):
    """Report bad options in one line (argparse adds a usage line)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# What each command's --help adds below its one-line summary.
_DETAILS = {
    "compare": "The four rules: TorchLogisticFusion (the research notebook's "
    "logistic regression over every score column), MarginThreshold (tuned) "
    "(BERT's rule, null - span > threshold, with the threshold tuned on each "
    "training fold), MarginThreshold (t=0) (BERT's rule at run_qa.py's default "
    "threshold 0) and LogisticRegression (scikit-learn's, over every column); "
    "with several runs, each run's own tuned rule, named by its run. Every rule "
    "sees the same folds, which keep each article (or paragraph) of --dev "
    "together; each pair is compared with a corrected resampled t-test, "
    "Holm-adjusted, then per question.",
    "fit": "Prints the fitted rule and its scores on DATA (the margin rule's "
    "threshold is the value to pass as --null_score_diff_threshold).",
    "predict": "The output maps each question id to its best span's text, or "
    '"" for no answer: the input of the official SQuAD 2.0 evaluation script.',
    "compare-runs": "Prints a table per run, then each pair of rules tested "
    "across runs (paired t-test and Wilcoxon signed-rank, Holm-adjusted).",
}

# One example per command, run on the folder that
# skfusion.datasets.write_squad_example("run_qa_output", prefix="eval") writes.
_EXAMPLES = {
    "compare": "skfusion compare run_qa_output --dev run_qa_output/dev-v2.0.json "
    "--tune squad_em",
    "fit": "skfusion fit run_qa_output --dev run_qa_output/dev-v2.0.json "
    "--model margin -o calibrator.skops",
    "predict": "skfusion predict calibrator.skops run_qa_output -o predictions.json",
    "compare-runs": "skfusion compare-runs out/checkpoint-500 out/checkpoint-1000 "
    "--dev dev-v2.0.json",
}
# Where each example runs, when not on write_squad_example's folder.
_EXAMPLE_DATA = {
    "compare-runs": "the output folders of two checkpoints of one reader",
}
_DEFAULT_EXAMPLE_DATA = (
    "the files that skfusion.datasets.write_squad_example('run_qa_output', "
    "prefix='eval') writes"
)


def _command(subparsers, name, handlers):
    """Add subcommand `name`, described by its handler's docstring."""
    handler = handlers[name]
    parser = subparsers.add_parser(
        name,
        help=handler.__doc__.split("\n")[0],
        description=f"{handler.__doc__}\n\n{_DETAILS[name]}",
        epilog=f"example, on {_EXAMPLE_DATA.get(name, _DEFAULT_EXAMPLE_DATA)}:"
        f"\n\n  {_EXAMPLES[name]}",
        formatter_class=_Formatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def _add_data_options(p, *, optional=False, labels=True):
    """Options every command shares for reading DATA."""
    p.add_argument(
        "data",
        nargs="*" if optional else "+",
        metavar="DATA",
        help="a reader's output folder (BERT run_squad.py or transformers run_qa.py "
        "names, with any prefix), an n-best or null_odds .json, a .csv, or the "
        "notebook's .pkl"
        + ("; without it, bundled simulated SQuAD 2.0 dev scores" if optional else "")
        + "; several are joined on question ids, each run's columns named "
        "<name>__<column>",
    )
    if labels:
        p.add_argument(
            "--dev",
            help="gold answers: dev-v2.0.json or a squad_v2 JSON-lines export "
            "(for reader outputs)",
        )
    p.add_argument("--prefix", help="which run of a folder holding several, e.g. eval")
    p.add_argument(
        "--names",
        help="comma-separated names of the DATA runs (default: their folder names)",
    )
    p.add_argument(
        "--primary",
        help="the run whose span texts and margin are used (default: the first)",
    )
    p.add_argument(
        "--score",
        action="append",
        metavar="NAME=FILE",
        help="an extra score per question, a JSON object id -> number (e.g. a "
        "verifier's), joined as column NAME; repeatable",
    )
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


def _add_rule_options(p, *, tune_help, seed_help):
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
        choices=["accuracy", "squad_em", "squad_f1", "em", "f1"],
        default="accuracy",
        help=tune_help + " (em and f1, the former names, are deprecated)",
    )
    p.add_argument("--seed", type=int, default=0, help=seed_help)


def column_spec(spec):
    """Parse a --null-column/--span-column value: names or 0-based indices."""
    if spec is None or spec == "none":
        return None
    items = [item.strip() for item in spec.split(",")]
    return [int(i) if i.lstrip("-").isdigit() else i for i in items]


def renamed_options(args):
    """Turn a deprecated --tune em/f1 into squad_em/squad_f1, warning."""
    if getattr(args, "tune", None) in ("em", "f1"):
        warnings.warn(
            f"--tune {args.tune} is deprecated and will be removed in 0.3: use "
            f"--tune squad_{args.tune} (SQuAD's {args.tune.upper()})",
            FutureWarning,
            stacklevel=2,
        )
        args.tune = f"squad_{args.tune}"


_NEEDS_CREDIT = (
    "squad_em and squad_f1 need each question's best-span text and gold answers: "
    "a reader's "
    "n-best lists with --dev, or a CSV with em/f1 columns"
)
_JSON_HELP = (
    "print the results as JSON instead of text; strict JSON (RFC 8259): "
    "undefined numbers are null, never NaN or Infinity"
)


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
    _add_rule_options(
        runs,
        tune_help="the metric each rule is fitted for on the training folds of "
        f"every run and compared across runs: accuracy, or SQuAD EM or F1; "
        f"{_NEEDS_CREDIT}",
        seed_help="seed of the folds and of the fusion's random restarts",
    )
    runs.add_argument("--folds", type=int, default=5, help="folds per repeat")
    runs.add_argument("--repeats", type=int, default=3, help="repeats of k-fold")
    runs.add_argument("--json", action="store_true", help=_JSON_HELP)


def _add_target_options(p, precision_help):
    p.add_argument("--target-precision", type=float, metavar="P", help=precision_help)
    p.add_argument(
        "--confidence",
        type=float,
        metavar="C",
        help="with --target-precision: reach P on new questions with probability "
        "at least C (Learn then Test on the fit questions; the fusion is fitted "
        "on half of them and calibrated on the other half); without it, P holds "
        "on the fit data only",
    )


def build_parser(description, handlers):
    """Build the parser; `handlers` maps each command to its function."""
    parser = _OneLineParser(
        prog="skfusion",
        description=description,
        epilog="Run skfusion COMMAND --help for a command's options and an "
        "example. Without DATA, compare runs on bundled simulated SQuAD 2.0 dev "
        "scores:\n\n  skfusion compare",
        formatter_class=_Formatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"skfusion {__version__}"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    compare = _command(sub, "compare", handlers)
    _add_data_options(compare, optional=True)
    _add_rule_options(
        compare,
        tune_help="the metric each rule is fitted for on the training folds and "
        "that the paired tests compare out of fold: accuracy, or SQuAD EM or F1; "
        f"{_NEEDS_CREDIT}",
        seed_help="seed of the folds and of the fusion's random restarts",
    )
    compare.add_argument("--folds", type=int, default=5, help="folds per repeat")
    compare.add_argument("--repeats", type=int, default=3, help="repeats of k-fold")
    compare.add_argument(
        "--resamples",
        type=int,
        default=10000,
        help="bootstrap resamples of the per-question tests",
    )
    compare.add_argument(
        "--groups",
        choices=["auto", "article", "paragraph", "none"],
        default="auto",
        help="what the folds and the per-question tests keep together, from "
        "--dev: auto takes articles where there are at least 20, else "
        "paragraphs where there are, else single questions; none splits "
        "single questions",
    )
    _add_target_options(
        compare,
        "also cross-validate BERT's rule at this "
        "operating point and report how often its answered questions reached "
        "the precision out of fold",
    )
    compare.add_argument("--json", action="store_true", help=_JSON_HELP)
    compare.add_argument("--plot", metavar="DIR", help="write PNG figures to DIR")

    fit = _command(sub, "fit", handlers)
    _add_data_options(fit)
    _add_rule_options(
        fit,
        tune_help="the metric the calibrator is fitted for: accuracy, or SQuAD "
        f"EM or F1; {_NEEDS_CREDIT}",
        seed_help="seed of the fusion's random restarts (--model fusion only; the "
        "margin rule has no randomness)",
    )
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
        help="calibrator file: .skops (safe to share; needs pip install skops), or "
        ".joblib/.pkl (a pickle: loading it can run code, so predict needs "
        "--allow-pickle); any case; written only once complete",
    )
    _add_target_options(
        fit,
        "answer as many questions as possible with at least this fraction of "
        "the answers right (their mean EM where the data give it, else the "
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
    fit.add_argument("--json", action="store_true", help=_JSON_HELP)

    if "compare-runs" in handlers:
        _add_runs_command(sub, handlers)

    predict = _command(sub, "predict", handlers)
    predict.add_argument(
        "calibrator",
        metavar="CALIBRATOR",
        help="a file written by skfusion fit; a .skops file loads without running "
        "any code",
    )
    _add_data_options(predict, labels=False)
    predict.add_argument(
        "-o",
        "--output",
        required=True,
        help='predictions JSON: {id: answer text or ""}, the official SQuAD '
        "script's input (needs span texts: n-best lists or predictions.json); "
        "replaced only once complete",
    )
    predict.add_argument(
        "--decisions-only",
        action="store_true",
        help="write {id: true/false} (true = no answer) instead: for scores "
        "without span texts (null_odds alone, a CSV, the notebook's pickle); not "
        "the official script's input",
    )
    predict.add_argument(
        "--allow-pickle",
        action="store_true",
        help="load a joblib/pickle CALIBRATOR, which can run any code it holds: "
        "only for files from a source you trust (a .skops file needs no opt-in)",
    )
    predict.add_argument(
        "--missing-span-as-null",
        action="store_true",
        help="write answered questions whose span text is unknown as no answer "
        "instead of stopping",
    )
    return parser
