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
_FLAG = {"action": "store_true"}
_LABELS = {"default": "unanswerable", "help": "CSV column of true/false labels, "
           "true = unanswerable"}  # fmt: skip
_FORCE = (
    "replace a read-only output (it stays read-only)"
    "{}, as cp --force does; an output that is not a regular file (a FIFO, a "
    "device) is always refused"
)


def _data_options(optional=False, labels=True):
    """Options every command shares for reading DATA."""
    simulated = "; without it, bundled simulated SQuAD 2.0 dev scores" * optional
    options = [
        ("data", {"nargs": "*" if optional else "+", "metavar": "DATA", "help": "a "
         "reader's output folder (BERT run_squad.py or transformers run_qa.py "
         "names, with any prefix), an n-best or null_odds .json, a .csv, or the "
         f"notebook's .pkl{simulated}; several are joined on question ids, each "
         "run's columns named <name>__<column>"}),
        ("--dev", {"help": "gold answers: dev-v2.0.json or a squad_v2 JSON-lines "
         "export (for reader outputs)"}) if labels else None,
        ("--prefix", {"help": "which run of a folder holding several, e.g. eval"}),
        ("--names", {"help": "comma-separated names of the DATA runs (default: "
         "their folder names)"}),
        ("--primary", {"help": "the run whose span texts and margin are used "
         "(default: the first)"}),
        ("--score", {"action": "append", "metavar": "NAME=FILE", "help": "an extra "
         "score per question, a JSON object id -> number (e.g. a verifier's), "
         "joined as column NAME; repeatable"}),
        ("--intersect", {**_FLAG, "help": "keep the questions present in every "
         "file (partial runs) instead of stopping at the first mismatch"}),
        ("--label-column", _LABELS) if labels else None,
        ("--id-column", {"help": "CSV column of question ids (default: row "
         "numbers)"}),
        ("-q", "--quiet", {**_FLAG, "help": "no progress on stderr"}),
    ]  # fmt: skip
    return [option for option in options if option]


def _rule_options(tune, seed):
    return [
        ("--null-column", {"help": "column(s) of the null score, names or indices, "
         "comma-separated and summed (default: found from the data)"}),
        ("--span-column", {"help": "column(s) of the best span score, as "
         "--null-column; 'none' if the null column is the margin (default: found "
         "from the data)"}),
        ("--tune", {"choices": ["accuracy", "squad_em", "squad_f1"],
         "default": "accuracy", "help": tune + _NEEDS_CREDIT}),
        ("--seed", {"type": int, "default": 0, "help": seed}),
    ]  # fmt: skip


_CV = [
    ("--folds", {"type": int, "default": 5, "help": "folds per repeat"}),
    ("--repeats", {"type": int, "default": 3, "help": "repeats of k-fold"}),
]
_JSON = ("--json", {**_FLAG, "help": "print the results as JSON instead of text; "
         "strict JSON (RFC 8259): undefined numbers are null, never NaN or "
         "Infinity"})  # fmt: skip
_CONFIDENCE = ("--confidence", {"type": float, "metavar": "C", "help": "with "
               "--target-precision: reach P on new questions with probability at "
               "least C (Learn then Test on the fit questions; the fusion is fitted "
               "on half of them and calibrated on the other half); without it, P "
               "holds on the fit data only"})  # fmt: skip
_SEED_CV = "seed of the folds and of the fusion's random restarts"
_OPTIONS = {
    "compare": [
        *_data_options(optional=True),
        *_rule_options("the metric each rule is fitted for on the training folds "
                       "and that the paired tests compare out of fold: accuracy, "
                       "or SQuAD EM or F1", _SEED_CV),
        *_CV,
        ("--resamples", {"type": int, "default": 10000, "help": "bootstrap "
         "resamples of the per-question tests"}),
        ("--groups", {"choices": ["auto", "article", "paragraph", "none"],
         "default": "auto", "help": "what the folds and the per-question tests "
         "keep together, from --dev: auto takes articles where there are at least "
         "20, else paragraphs where there are, else single questions; none splits "
         "single questions"}),
        ("--target-precision", {"type": float, "metavar": "P", "help": "also "
         "cross-validate BERT's rule at this operating point and report how often "
         "its answered questions reached the precision out of fold"}),
        _CONFIDENCE,
        _JSON,
        ("--plot", {"metavar": "DIR", "help": "write PNG figures to DIR"}),
    ],
    "fit": [
        *_data_options(),
        *_rule_options("the metric the calibrator is fitted for: accuracy, or "
                       "SQuAD EM or F1", "seed of the fusion's random restarts "
                       "(--model fusion only; the margin rule has no randomness)"),
        ("--model", {"choices": ["fusion", "margin"], "default": "fusion",
         "help": "fused logistic regression, or BERT's margin rule"}),
        ("-o", "--output", {"required": True, "help": "calibrator file: .skops "
         "(safe to share; needs pip install skops), or .joblib/.pkl (a pickle: "
         "loading it can run code, so predict needs --allow-pickle); any case; "
         "written only once complete, keeping the permissions of the file it "
         "replaces"}),
        ("--force", {**_FLAG, "help": _FORCE.format("")}),
        ("--target-precision", {"type": float, "metavar": "P", "help": "answer as "
         "many questions as possible with at least this fraction of the answers "
         "right (their mean EM where the data give it, else the fraction "
         "answerable): the margin rule's threshold, or one on the fusion's "
         "decision function (saved as scikit-learn's FixedThresholdClassifier)"}),
        _CONFIDENCE,
        ("--target-noans-recall", {"type": float, "metavar": "R", "help": "answer "
         "as many questions as possible while flagging at least this fraction of "
         "the unanswerable ones"}),
        _JSON,
    ],
    "compare-runs": [
        ("runs", {"nargs": "+", "metavar": "RUN", "help": "two or more runs "
         "(checkpoints or seeds) of the same reader on the same questions, each "
         "read as compare reads DATA"}),
        ("--dev", {"help": "gold answers, shared by every run"}),
        ("--prefix", {"help": "which run of a folder holding several"}),
        ("--intersect", {**_FLAG, "help": "keep the questions present in every "
         "file of a run"}),
        ("--label-column", _LABELS),
        ("--id-column", {"help": "CSV column of question ids"}),
        ("-q", "--quiet", {**_FLAG, "help": "no progress"}),
        *_rule_options("the metric each rule is fitted for on the training folds "
                       "of every run and compared across runs: accuracy, or SQuAD "
                       "EM or F1", _SEED_CV),
        *_CV,
        _JSON,
    ],
    "predict": [
        ("calibrator", {"metavar": "CALIBRATOR", "help": "a file written by "
         "skfusion fit; a .skops file loads without running any code"}),
        *_data_options(labels=False),
        ("-o", "--output", {"required": True, "help": "predictions JSON: {id: "
         'answer text or ""}, the official SQuAD script\'s input (needs span '
         "texts: n-best lists or predictions.json); replaced only once complete, "
         "keeping its permissions"}),
        ("--force", {**_FLAG, "help": _FORCE.format("; apply a calibrator fitted "
         "on another reader's scores or score kind, with a warning")}),
        ("--decisions-only", {**_FLAG, "help": "write {id: true/false} (true = no "
         "answer) instead: for scores without span texts (null_odds alone, a CSV, "
         "the notebook's pickle); not the official script's input"}),
        ("--allow-pickle", {**_FLAG, "help": "load a joblib/pickle CALIBRATOR, "
         "which can run any code it holds: only for files from a source you trust "
         "(a .skops file needs no opt-in)"}),
        ("--missing-span-as-null", {**_FLAG, "help": "write answered questions "
         "whose span text is unknown as no answer instead of stopping"}),
    ],
}  # fmt: skip


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
        for *flags, options in _OPTIONS[name]:
            command.add_argument(*flags, **options)
    return parser
