"""Which reader wrote a file: output names, runs in a folder, threshold advice."""

import numpy as np

# What each reader's no-answer score is (the readers: load_reader_outputs).
SCORE_KINDS = {
    "run_squad": "logit difference",
    "joint_span_extraction": "logit difference",
    "beam_search": "class score",
    "albert": "class score",
    "electra": "class score",
    "retro_reader": "logit difference",
    "na_prob": "probability",
    "qa_pipeline": "probability",
}

_KINDS = ("nbest_predictions", "null_odds", "predictions")
# JointSpanExtraction writes .data/squad2/dev_results[_nbest]_<host>.json and
# one null_logods.json for whichever host ran last.
_JSE = {"nbest_predictions": "dev_results_nbest_", "predictions": "dev_results_"}


def split_name(name):
    """Return ``((style, prefix), kind)`` of a reader output file name, or None."""
    if name in ("na_prob.json", "na_probs.json", "cls_score.json"):
        return ("bert", ""), "cls_score" if name == "cls_score.json" else "na_prob"
    if name in ("squad_preds.json", "squad_null_odds.json"):  # ELECTRA's SQuAD 2.0
        return ("electra", ""), "predictions" if "preds" in name else "null_odds"
    if name == "null_logods.json":
        return ("jse", None), "null_odds"
    for kind, lead in _JSE.items():
        if name.startswith(lead) and name.endswith(".json") and name[len(lead) : -5]:
            return ("jse", name[len(lead) : -5]), kind
    for kind in _KINDS:
        if name == f"{kind}.json":
            return ("bert", ""), kind
        if name.endswith(f"_{kind}.json"):
            return ("run_qa", name[: -len(f"_{kind}.json")]), kind
        if name.startswith(f"{kind}_") and name.endswith(".json"):
            return ("legacy", name[len(kind) + 1 : -5]), kind
    return None


def file_name(run, kind):
    """Return the name of the `kind` file of `run` (`split_name` reversed)."""
    style, prefix = run
    if style == "jse":
        return f"{_JSE[kind]}{prefix}.json" if kind in _JSE else "null_logods.json"
    return {"run_qa": f"{prefix}_{kind}", "legacy": f"{kind}_{prefix}"}.get(
        style, kind
    ) + ".json"


def _label(run):
    """Show a run as its files' names show it, e.g. ``eval_`` or ``*_500.json``."""
    style, prefix = run
    return {
        "run_qa": f"{prefix}_",
        "legacy": f"*_{prefix}.json",
        "jse": f"dev_results_*{prefix}.json",
    }.get(style, "(no prefix)")


def folder_runs(folder):
    """Map each run in `folder` to its files, keyed by kind."""
    runs, shared, cls_score = {}, None, None
    for file in sorted(folder.iterdir()):
        # A name the readers write is read whatever it is (a dangling link too).
        split = split_name(file.name)
        if split is None:
            continue
        run, kind = split
        if run == ("jse", None):
            shared = file
        elif kind == "cls_score":
            cls_score = file
        else:
            runs.setdefault(run, {})[kind] = file
    if shared is not None:
        # null_logods.json goes with every host's run; the n-best check warns.
        jse = [run for run in runs if run[0] == "jse"] or [("jse", "")]
        for run in jse:
            runs.setdefault(run, {})["null_odds"] = shared
    if cls_score is not None:
        # run_verifier.py reads cls_score.json beside the intensive reader's files.
        for files in list(runs.values()) or [runs.setdefault(("bert", ""), {})]:
            files["cls_score"] = cls_score
    return runs


def choose_run(folder, runs, prefix):
    """Return the files of the run `prefix` names (None: the only one)."""
    shown = [_label(run) for run in runs]
    if prefix is None:
        if not runs:
            raise ValueError(
                f"{folder}: holds none of {', '.join(k + '.json' for k in _KINDS)} "
                "(with or without a prefix such as eval_ or a suffix such as _500), "
                "na_prob.json, cls_score.json, ELECTRA's squad_null_odds.json, or "
                "JointSpanExtraction's dev_results_nbest_<host>.json."
            )
        if len(runs) > 1:
            raise ValueError(
                f"{folder}: holds the outputs of {len(runs)} runs "
                f"({', '.join(shown)}); choose one with prefix= (--prefix on the "
                "command line)."
            )
        return next(iter(runs.values()))
    matches = [run for run in runs if _matches(run, prefix)]
    if len(matches) > 1:
        exact = [run for run in matches if _exact(run, prefix)]
        matches = exact if len(exact) == 1 else matches
    if len(matches) != 1:
        found = "; found " + (", ".join(shown) or "none")
        raise ValueError(
            f"{folder}: holds no outputs with prefix {prefix!r}{found}."
            if not matches
            else f"{folder}: prefix {prefix!r} names {len(matches)} runs{found}; "
            "write it as eval_ (eval_null_odds.json) or _500 (null_odds_500.json)."
        )
    return runs[matches[0]]


def _matches(run, prefix):
    style, own = run
    if style == "jse":
        return prefix == own
    return own == prefix.strip("_") or (style == "legacy" and prefix == f"_{own}")


def _exact(run, prefix):
    style, own = run
    return {"run_qa": f"{own}_", "legacy": f"_{own}", "bert": own}.get(style) == prefix


_WHERE = "(no answer where {} > threshold)"
# Each reader's option for the threshold, and where it goes ({t}: the threshold).
_ADVICE = {
    "electra": (
        "qa_na_threshold",
        "pass it to run_finetuning.py as --hparams '{{\"qa_na_threshold\": {t}}}' "
        + _WHERE.format("squad_null_odds"),
    ),
    "run_squad": (
        "null_score_diff_threshold",
        "pass it to run_qa.py / run_squad.py as --null_score_diff_threshold {t} "
        + _WHERE.format("null_odds"),
    ),
    "retro_reader": (
        "null_score_diff_threshold",
        "pass it to the intensive reader's run_squad_av.py as "
        "--null_score_diff_threshold {t} " + _WHERE.format("null_odds"),
    ),
    "joint_span_extraction": (
        None,
        "JointSpanExtraction has no flag for it: call get_predictions(..., "
        "threshold={t}) " + _WHERE.format("null_logods"),
    ),
    "na_prob": (
        "na_prob_thresh",
        "evaluate with the official script: --na-prob-file na_prob.json "
        "--na-prob-thresh {t} " + _WHERE.format("the score"),
    ),
    "beam_search": (
        "na_prob_thresh",
        "evaluate with the official script: --na-prob-file null_odds.json "
        "--na-prob-thresh {t} " + _WHERE.format("the score") + "; "
        "run_qa_beam_search.py has no threshold: its predictions always hold the "
        "best span, and the answer-class score decides",
    ),
    "qa_pipeline": (
        None,
        "the pipeline has no threshold (handle_impossible_answer=True answers "
        '"" where the difference > 0): blank its answers where {column} - '
        "span_probability > {t}",
    ),
    None: (
        None,
        "no answer where {column} > {t}; if {column} is run_qa.py / run_squad.py's "
        "null_odds, that is --null_score_diff_threshold; if it is a beam-search "
        "reader's answer-class score or a probability, the official script's "
        "--na-prob-thresh",
    ),
}


def threshold_advice(reader, column, threshold):
    """Return the options to report, and a line saying where `threshold` goes."""
    if reader == "albert":
        # Its rule is >=: the next float up blanks exactly what > threshold does.
        above = float(np.nextafter(threshold, np.inf))
        return {"null_score_diff_threshold": above}, (
            "run_squad_v2.py has no flag for it (evaluate_v2 blanks predictions.json "
            "at its own best-F1 threshold): call squad_utils.write_predictions_v2("
            f"..., null_score_diff_threshold={above!r}) (no answer where "
            "null_odds >= threshold)"
        )
    if reader == "retro_reader" and column == "cls_score":
        return {"thresh": threshold}, (
            f"run_verifier.py --input_null_files cls_score.json --thresh "
            f"{threshold:.6g} (no answer where cls_score > threshold, and where the "
            'n-best\'s most probable text is "")'
        )
    option, where = _ADVICE.get(reader, _ADVICE[None])
    text = where.format(t=f"{threshold:.6g}", column=column)
    return ({} if option is None else {option: threshold}), text


def fusion_advice(reader, feature_names, coef, intercept):
    """Return the options and the line that replace Retro-Reader's fixed weights."""
    # run_verifier.py: cof = [1, 1] on the mean of cls_score and null_odds,
    # --thresh 0; a fusion of exactly those two scores gives new ones.
    if reader != "retro_reader":
        return {}, None
    weights = dict(zip(feature_names, map(float, coef), strict=True))
    if set(weights) != {"cls_score", "null_odds"}:
        return {}, (
            "these weights replace run_verifier.py's cof = [1, 1] and --thresh 0; "
            "it reads null_odds.json, not these columns: write the predictions with "
            "skfusion predict (a fusion of cls_score.json and null_odds.json alone "
            "gives weights it takes)"
        )
    cof = [weights["cls_score"], weights["null_odds"]]
    thresh = -float(intercept) / 2  # the mean of two: w.x + b > 0
    return {"cof": cof, "thresh": thresh}, (
        f"in run_verifier.py set cof = [{cof[0]:.6g}, {cof[1]:.6g}] (for "
        f"--input_null_files cls_score.json,null_odds.json) and pass --thresh "
        f"{thresh:.6g}; it also blanks questions whose n-best's most probable "
        'text is "" (null_odds > 0): skfusion predict applies these weights alone'
    )
