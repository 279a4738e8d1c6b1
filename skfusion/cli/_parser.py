"""The options of the skfusion command (argparse)."""

import argparse

from .. import __version__


class _Formatter(argparse.HelpFormatter):
    """Show each option's default; keep indented lines (examples) as written."""

    def _fill_text(self, text, width, indent):
        # argparse rewraps descriptions and epilogs into one paragraph; an
        # example command must stay one line that can be copied.
        fill = super()._fill_text
        return "\n\n".join(
            part if part.startswith("  ") else fill(part, width, indent)
            for part in text.split("\n\n")
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


# What each command's --help adds below its one-line summary, and its example
# (on the folder of write_squad_example("run_qa_output", prefix="eval") but
# where said).
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
_EXAMPLES = {
    "compare": "skfusion compare run_qa_output --dev run_qa_output/dev-v2.0.json "
    "--tune squad_em",
    "fit": "skfusion fit run_qa_output --dev run_qa_output/dev-v2.0.json "
    "--model margin -o calibrator.skops",
    "predict": "skfusion predict calibrator.skops run_qa_output -o predictions.json",
    "compare-runs": "skfusion compare-runs out/checkpoint-500 out/checkpoint-1000 "
    "--dev dev-v2.0.json",
}
_ON = {"compare-runs": "the output folders of two checkpoints of one reader"}
_ON_EXAMPLE = (
    "the files that skfusion.datasets.write_squad_example('run_qa_output', "
    "prefix='eval') writes"
)
_NEEDS_CREDIT = (
    "; squad_em and squad_f1 need each question's best-span text and gold answers: "
    "a reader's n-best lists with --dev, or a CSV with em/f1 columns"
)
_FORCE = (
    "replace a read-only output (it stays read-only){}, as cp --force does; an "
    "output that is not a regular file (a FIFO, a device) is always refused"
)
_SIMULATED = "; without it, bundled simulated SQuAD 2.0 dev scores"
_SEED_CV = "seed of the folds and of the fusion's random restarts"
# Each option's help, by its last flag; "COMMAND FLAG" where a command's differs.
_HELP = {
    "data": "a reader's output folder (BERT run_squad.py or transformers run_qa.py "
    "names, with any prefix), an n-best or null_odds .json, a .csv, or the "
    "notebook's .pkl{}; several are joined on question ids, each run's columns "
    "named <name>__<column>",
    "--dev": "gold answers: dev-v2.0.json or a squad_v2 JSON-lines export (for "
    "reader outputs)",
    "--prefix": "which run of a folder holding several, e.g. eval",
    "--names": "comma-separated names of the DATA runs (default: their folder names)",
    "--primary": "the run whose span texts and margin are used (default: the first)",
    "--score": "an extra score per question, a JSON object id -> number (e.g. a "
    "verifier's), joined as column NAME; repeatable",
    "--intersect": "keep the questions present in every file (partial runs) "
    "instead of stopping at the first mismatch",
    "--label-column": "CSV column of true/false labels, true = unanswerable",
    "--id-column": "CSV column of question ids (default: row numbers)",
    "--quiet": "no progress on stderr",
    "--null-column": "column(s) of the null score, names or indices, "
    "comma-separated and summed (default: found from the data)",
    "--span-column": "column(s) of the best span score, as --null-column; 'none' "
    "if the null column is the margin (default: found from the data)",
    "--folds": "folds per repeat",
    "--repeats": "repeats of k-fold",
    "--json": "print the results as JSON instead of text; strict JSON (RFC 8259): "
    "undefined numbers are null, never NaN or Infinity",
    "--confidence": "with --target-precision: reach P on new questions with "
    "probability at least C (Learn then Test on the fit questions; the fusion is "
    "fitted on half of them and calibrated on the other half); without it, P holds "
    "on the fit data only",
    "compare --tune": "the metric each rule is fitted for on the training folds and "
    "that the paired tests compare out of fold: accuracy, or SQuAD EM or "
    f"F1{_NEEDS_CREDIT}",
    "compare --seed": _SEED_CV,
    "compare --resamples": "bootstrap resamples of the per-question tests",
    "compare --groups": "what the folds and the per-question tests keep together, "
    "from --dev: auto takes articles where there are at least 20, else paragraphs "
    "where there are, else single questions; none splits single questions",
    "compare --target-precision": "also cross-validate BERT's rule at this "
    "operating point and report how often its answered questions reached the "
    "precision out of fold",
    "compare --plot": "write PNG figures to DIR",
    "fit --tune": "the metric the calibrator is fitted for: accuracy, or SQuAD EM "
    f"or F1{_NEEDS_CREDIT}",
    "fit --seed": "seed of the fusion's random restarts (--model fusion only; the "
    "margin rule has no randomness)",
    "fit --model": "fused logistic regression, or BERT's margin rule",
    "fit --output": "calibrator file: .skops (safe to share; needs pip install "
    "skops), or .joblib/.pkl (a pickle: loading it can run code, so predict needs "
    "--allow-pickle); any case; written only once complete, keeping the "
    "permissions of the file it replaces",
    "fit --force": _FORCE.format(""),
    "fit --target-precision": "answer as many questions as possible with at least "
    "this fraction of the answers right (their mean EM where the data give it, "
    "else the fraction answerable): the margin rule's threshold, or one on the "
    "fusion's decision function (saved as scikit-learn's FixedThresholdClassifier)",
    "fit --target-noans-recall": "answer as many questions as possible while "
    "flagging at least this fraction of the unanswerable ones",
    "compare-runs runs": "two or more runs (checkpoints or seeds) of the same "
    "reader on the same questions, each read as compare reads DATA",
    "compare-runs --dev": "gold answers, shared by every run",
    "compare-runs --prefix": "which run of a folder holding several",
    "compare-runs --intersect": "keep the questions present in every file of a run",
    "compare-runs --id-column": "CSV column of question ids",
    "compare-runs --quiet": "no progress",
    "compare-runs --tune": "the metric each rule is fitted for on the training "
    "folds of every run and compared across runs: accuracy, or SQuAD EM or "
    f"F1{_NEEDS_CREDIT}",
    "compare-runs --seed": _SEED_CV,
    "predict calibrator": "a file written by skfusion fit; a .skops file loads "
    "without running any code",
    "predict --output": 'predictions JSON: {id: answer text or ""}, the official '
    "SQuAD script's input (needs span texts: n-best lists or predictions.json); "
    "replaced only once complete, keeping its permissions",
    "predict --force": _FORCE.format(
        "; apply a calibrator fitted on another reader's scores or score kind, with "
        "a warning"
    ),
    "predict --decisions-only": "write {id: true/false} (true = no answer) "
    "instead: for scores without span texts (null_odds alone, a CSV, the "
    "notebook's pickle); not the official script's input",
    "predict --allow-pickle": "load a joblib/pickle CALIBRATOR, which can run any "
    "code it holds: only for files from a source you trust (a .skops file needs no "
    "opt-in)",
    "predict --missing-span-as-null": "write answered questions whose span text is "
    "unknown as no answer instead of stopping",
}
# Each command's options, in the order --help shows them.
_READ = "--prefix --names --primary --score --intersect --label-column --id-column -q"
_RULES = "--null-column --span-column --tune --seed"
_OPTIONS = {
    "compare": f"data --dev {_READ} {_RULES} --folds --repeats --resamples --groups "
    "--target-precision --confidence --json --plot",
    "fit": f"data --dev {_READ} {_RULES} --model -o --force --target-precision "
    "--confidence --target-noans-recall --json",
    "compare-runs": "runs --dev --prefix --intersect --label-column --id-column -q "
    f"{_RULES} --folds --repeats --json",
    "predict": "calibrator data --prefix --names --primary --score --intersect "
    "--id-column -q -o --force --decisions-only --allow-pickle --missing-span-as-null",
}
_FLAGS = {"-q": "--quiet", "-o": "--output"}
_SWITCHES = (
    "-q --intersect --json --force --decisions-only --allow-pickle "
    "--missing-span-as-null"
).split()
# What add_argument takes besides the help, where it takes anything.
_ARGUMENTS = {
    "data": {"nargs": "+", "metavar": "DATA"},
    "compare data": {"nargs": "*", "metavar": "DATA"},
    "runs": {"nargs": "+", "metavar": "RUN"},
    "calibrator": {"metavar": "CALIBRATOR"},
    "--score": {"action": "append", "metavar": "NAME=FILE"},
    "--label-column": {"default": "unanswerable"},
    "--tune": {"choices": ["accuracy", "squad_em", "squad_f1"], "default": "accuracy"},
    "--seed": {"type": int, "default": 0},
    "--folds": {"type": int, "default": 5},
    "--repeats": {"type": int, "default": 3},
    "--resamples": {"type": int, "default": 10000},
    "--groups": {
        "choices": ["auto", "article", "paragraph", "none"],
        "default": "auto",
    },
    "--target-precision": {"type": float, "metavar": "P"},
    "--confidence": {"type": float, "metavar": "C"},
    "--target-noans-recall": {"type": float, "metavar": "R"},
    "--plot": {"metavar": "DIR"},
    "--model": {"choices": ["fusion", "margin"], "default": "fusion"},
    "-o": {"required": True},
}


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
    for name in ("compare", "fit", "compare-runs", "predict"):
        doc = handlers[name].__doc__
        command = sub.add_parser(
            name,
            help=doc.split("\n")[0],
            description=f"{doc}\n\n{_DETAILS[name]}",
            epilog=f"example, on {_ON.get(name, _ON_EXAMPLE)}:\n\n  {_EXAMPLES[name]}",
            formatter_class=_Formatter,
        )
        command.set_defaults(handler=handlers[name])
        for option in _OPTIONS[name].split():
            flags = [option, _FLAGS[option]] if option in _FLAGS else [option]
            text = _HELP.get(f"{name} {flags[-1]}", _HELP.get(flags[-1]))
            if option == "data":
                text = text.format(_SIMULATED if name == "compare" else "")
            arguments = _ARGUMENTS.get(f"{name} {option}", _ARGUMENTS.get(option, {}))
            if option in _SWITCHES:
                arguments = {"action": "store_true"}
            command.add_argument(*flags, help=text, **arguments)
    return parser
