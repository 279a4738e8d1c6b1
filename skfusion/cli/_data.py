"""What the skfusion command reads (DATA, or the bundled simulation) and draws."""

from pathlib import Path

from .._fusion import TorchLogisticFusion
from ..datasets import FEATURE_NAMES, load_reader_outputs, make_squad2_scores
from ..datasets._base import reader_bunch
from ..plotting import save_comparison_figures
from ._files import check_outputs


def simulated_data():
    """Return make_squad2_scores(random_state=0) as a reader bunch."""
    X, y = make_squad2_scores(random_state=0)
    ids = [f"sim{i:05d}" for i in range(len(y))]
    margin = (["joint_null"], ["best_span"])
    descr = "Simulated SQuAD 2.0 dev scores: make_squad2_scores(random_state=0)"
    return reader_bunch(X, FEATURE_NAMES, y, ids, margin_columns=margin, descr=descr)


def load_data(args, *, labelled):
    """Load DATA (or the bundled simulation) as the options say."""
    if not args.data:
        return simulated_data()
    data = load_reader_outputs(
        args.data[0] if len(args.data) == 1 else args.data,
        dev=getattr(args, "dev", None),
        prefix=args.prefix,
        subset="intersection" if args.intersect else "strict",
        label_column=getattr(args, "label_column", "unanswerable"),
        id_column=args.id_column,
        names=None if getattr(args, "names", None) is None else args.names.split(","),
        primary=getattr(args, "primary", None),
        scores=named_files(getattr(args, "score", None)),
    )
    shown = ", ".join(map(str, args.data))
    if labelled and data.target is None:
        raise ValueError(
            f"{shown}: no labels: give the gold answers with --dev (for reader "
            "outputs) or a label column (for a CSV)."
        )
    if labelled and data.target.all() == data.target.any():  # one class only
        kind = "unanswerable" if data.target[0] else "answerable"
        raise ValueError(
            f"{shown}: all {len(data.target)} questions are {kind}; a no-answer "
            "rule is learnt from both kinds."
        )
    return data


def named_files(specs):
    """``{name: path}`` from --score NAME=FILE options."""
    named = {}
    for spec in specs or ():
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"--score {spec!r}: expected NAME=FILE.")
        named[name] = path
    return named


def check_outputs_of(args, outputs):
    """Refuse, before any work, to write over a file the command reads."""
    data = [Path(path) for path in args.data or ()]
    scores = list(named_files(args.score).values()) if args.score else []
    inputs = [getattr(args, "calibrator", None), *data, getattr(args, "dev", None)]
    check_outputs(outputs, inputs + scores, [p for p in data if p.is_dir()])


def write_plots(args, data, result, say, rule, weight):
    """Draw the comparison's figures into the --plot folder."""
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError as exc:
        raise ImportError(
            "--plot needs matplotlib: pip install matplotlib (in a clone of "
            "skfusion: pip install -e '.[plot]')"
        ) from exc
    X, y = data.data, data.target
    paths = save_comparison_figures(
        args.plot,
        rule.fit(X, y, sample_weight=weight),
        TorchLogisticFusion(random_state=args.seed).fit(X, y, sample_weight=weight),
        result.fitted["TorchLogisticFusion"],
        data.feature_names,
        X,
        y,
    )
    for path in paths:
        say(f"wrote {path}")
