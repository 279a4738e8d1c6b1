"""What the skfusion command prints: tables, reports and strict JSON."""

import json
import math

from sklearn.base import clone

from .._fusion import TorchLogisticFusion
from ..model_selection._fold_tests import RATE_LIMIT
from ..persistence._report import margin_names


def json_dumps(content):
    """Strict JSON (no NaN or Infinity): non-finite numbers become null."""

    def clean(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(content), indent=2, allow_nan=False)


def _table(summary, metrics):
    width = max(26, *(len(row["estimator"]) + 2 for row in summary))
    header = f"{'estimator':<{width}}" + "".join(
        f"{name:>18}" for name in ("accuracy", "EM", "F1")[: len(metrics)]
    )
    lines = [header + f"{'fit ms':>10}"]
    for row in summary:
        line = f"{row['estimator']:<{width}}"
        for key in metrics:
            line += f"{row[key]:>10.4f} ± {row[key + '_std']:.4f}"
        lines.append(line + f"{row['fit_seconds'] * 1000:>10.1f}")
    return lines


# How the reports name each score.
_SHOWN = {"accuracy": "accuracy", "em": "EM", "f1": "F1"}
_ALPHA = 0.05


def _p(value):
    return "undefined (all differences equal)" if math.isnan(value) else f"{value:.3g}"


def _rate_too_high(test):
    rate = test.get("false_positive_rate")
    return rate is not None and rate > RATE_LIMIT


def _verdict(test):
    """Say what a test's ``significant`` means, with its measured error rate."""
    if _rate_too_high(test):
        return (
            f"no verdict: its false-positive rate at 0.05 measured "
            f"{test['false_positive_rate']:.2f} on SQuAD 2.0-shaped data"
        )
    if test["significant"] is None:
        return "no verdict"
    return (
        "significant" if test["significant"] else "not significant"
    ) + f" at {_ALPHA}"


def comparison_text(result, data, spans):
    """Format the out-of-fold scores and the Holm-adjusted paired tests."""
    metrics = ["accuracy"] + ["em", "f1"] * (
        data.em is not None and data.f1 is not None
    )
    tests = result.pairwise_tests(alpha=_ALPHA)
    lines = _table(result.summary(), metrics)
    if len({run for run in spans.values() if run is not None}) > 1:
        lines.append(
            "EM and F1 of each rule from its run's own spans; TorchLogisticFusion "
            f"and LogisticRegression answer with {spans['TorchLogisticFusion']}'s"
        )
    lines += [
        "",
        f"Paired comparison of {_SHOWN[result.tune]}: corrected resampled t-test "
        f"(Nadeau & Bengio 2003) on {len(result.fit_seconds[result.names[0]])} "
        f"folds; p-values Holm-adjusted for {len(tests)} tests",
        f"  assumes: {tests[0]['assumes']}" if tests else "",
    ]
    for t in tests:
        lines.append(
            f"  {t['a']} vs {t['b']}: difference {t['mean_difference']:+.4f}, "
            f"t = {_p(t['t'])}, p = {_p(t['p'])}, Holm p = {_p(t['p_holm'])}: "
            f"{_verdict(t)}"
        )
    return "\n".join(lines)


def question_tests_text(tests):
    """Format `Comparison.question_tests`: cluster t, bootstrap, McNemar."""
    if not tests:
        return ""
    first = tests[0]
    boot, cluster, mcnemar = first["bootstrap"], first["cluster_t"], first["mcnemar"]
    skipped = "".join(
        f"; {n} {level}s are fewer than the 20 needed"
        for level, n in boot["skipped"].items()
    )
    lines = [
        "",
        f"Per-question paired tests of {_SHOWN[first['metric']]} on repeat "
        f"{first['repeat'] + 1}'s pooled out-of-fold decisions "
        f"({first['n_questions']} questions), over {boot['n_groups']} "
        f"{boot['resampled']}s{skipped}: cluster-robust t-test (Holm-adjusted) with "
        f"its {100 * cluster['confidence_level']:g}% interval, paired bootstrap "
        f"interval ({boot['n_resamples']} resamples)"
        + ("; McNemar's exact test, Holm-adjusted" if mcnemar else ""),
        f"  cluster t assumes: {cluster['assumes']}",
        f"  bootstrap assumes: {boot['assumes']}",
    ]
    if mcnemar:
        lines.append(f"  McNemar assumes: {mcnemar['assumes']}")
    for t in tests:
        b, c, m = t["bootstrap"], t["cluster_t"], t["mcnemar"]
        line = (
            f"  {t['a']} vs {t['b']}: {t['n_disagree']} questions decided "
            f"differently; difference {c['mean_difference']:+.4f}; t interval "
            f"[{c['ci_low']:+.4f}, {c['ci_high']:+.4f}], p = {_p(c['p'])}, Holm p = "
            f"{_p(c['p_holm'])}: {_verdict(c)}; bootstrap "
            f"[{b['ci_low']:+.4f}, {b['ci_high']:+.4f}]"
        )
        if _rate_too_high(b):
            line += f" (measured false-positive rate {b['false_positive_rate']:.2f})"
        if m is not None:
            line += (
                f"; McNemar {m['a_only']} vs {m['b_only']} right, p = {m['p']:.3g}, "
                f"Holm p = {m['p_holm']:.3g}: {_verdict(m)}"
            )
        lines.append(line)
    return "\n".join(lines)


def operating_points_text(points):
    """Format how often each rule at a target met it out of fold."""
    return "\n".join(
        f"\nOut of fold, {p['estimator']}: precision of the answered questions "
        f"reached {p['target_precision']:g} in {p['n_met']} of {p['n_folds']} test "
        f"folds; answered {p['coverage']:.1%} of the questions on average, "
        f"precision {p['precision']:.4f}"
        for p in points
    )


def runs_text(result):
    """Format a `RunComparison`: a table of runs, then the tests across runs."""
    shown = _SHOWN[result.comparisons[result.runs[0]].tune]
    width = max(len(r) for r in result.runs) + 2
    lines = [
        f"Mean out-of-fold {shown} per run",
        f"{'run':<{width}}" + "".join(f"{n[:24]:>26}" for n in result.names),
    ]
    for row in result.per_run():
        values = "".join(f"{row[n]:>26.4f}" for n in result.names)
        lines.append(f"{row['run']:<{width}}{values}")
    tests = result.run_tests(alpha=_ALPHA)
    lines += [
        "",
        f"Across {len(result.runs)} runs: paired t-test and Wilcoxon signed-rank "
        f"test of the per-run {shown}; p-values Holm-adjusted for {len(tests)} "
        "tests",
        f"  assumes: {tests[0]['assumes']}",
    ]
    for t in tests:
        wilcoxon = t["p_wilcoxon_holm"]
        lines.append(
            f"  {t['a']} vs {t['b']}: difference {t['mean_difference']:+.4f}, ahead "
            f"on {t['wins_a']} vs {t['wins_b']} runs; t = {_p(t['t'])}, Holm p = "
            f"{_p(t['p_t_holm'])}; Wilcoxon Holm p = "
            + ("n/a" if wilcoxon is None or math.isnan(wilcoxon) else f"{wilcoxon:.3g}")
        )
    return "\n".join(lines)


def runs_json(result, args):
    """Collect what `skfusion compare-runs --json` prints."""
    return {
        "runs": result.runs,
        "metric": result.comparisons[result.runs[0]].tune,
        "folds": args.folds,
        "repeats": args.repeats,
        "per_run": result.per_run(),
        "per_run_tests": {
            run: result.comparisons[run].pairwise_tests() for run in result.runs
        },
        "run_tests": result.run_tests(),
    }


def comparison_json(result, data, rule, spans, args):
    """Collect what `skfusion compare --json` prints; `rule` gives the margin."""
    null, span = margin_names(rule, data)
    keys = ("accuracy", "em", "f1", "fit_seconds")
    return {
        "n_questions": len(data.target),
        "n_unanswerable": int(data.target.sum()),
        "feature_names": list(data.feature_names),
        "margin_columns": {"null": null, "span": span},
        "metric": result.tune,
        "folds": args.folds,
        "repeats": args.repeats,
        "seed": args.seed,
        "fold_groups": result.fold_groups,
        "spans": spans,
        "summary": result.summary(),
        "per_fold": {
            name: {
                k: getattr(result, k)[name]
                for k in keys
                if getattr(result, k).get(name)
            }
            for name in result.names
        },
        "pairwise_tests": result.pairwise_tests(),
    }


def _operating_point_line(point):
    confidence = point["confidence"]
    targets = [
        f"{name} >= {point[key]:g}"
        for key, name in (
            ("target_precision", "precision"),
            ("target_noans_recall", "NoAns recall"),
        )
        if point[key] is not None
    ]
    right = "EM" if point["precision_of"] == "em" else "answerable"
    precision = point["answered_precision"]
    shown = "none answered" if precision is None else f"{precision:.1%}"
    guarantee = (
        " (on the fit data only)"
        if confidence is None
        else f" with probability >= {confidence:g} on new questions (Learn then Test)"
    )
    return (
        f"operating point for {' and '.join(targets)}{guarantee}; on the fit data "
        f"it answers {point['coverage']:.1%} of the questions, {right} on the "
        f"answered {shown}, NoAns recall {point['noans_recall']:.1%}"
    )


def fit_text(content, data):
    """Format the threshold or weights, and the report, of `skfusion fit`."""
    kind, n, tune = content["model"], content["n_questions"], content["tune"]
    point = content.get("operating_point")
    lines = [f"{kind} fitted on {n} questions" + f", tuned for {tune}" * (not point)]
    if point:
        if point["confidence"] is not None and kind == "fusion":
            lines[0] = (
                f"fusion fitted on half of {n} questions, its threshold calibrated "
                "on the other half"
            )
        lines.append(_operating_point_line(point))
    if kind == "margin":
        lines.append(f"threshold on {content['margin']}: {content['threshold']:.6g}")
    else:
        weights = zip(data.feature_names, content["coef"], strict=True)
        weights = ", ".join(f"{name} {w:+.4f}" for name, w in weights)
        lines.append(f"weights: {weights}; intercept {content['intercept']:+.4f}")
    if content.get("apply"):
        lines.append(f"  {content['apply']}")
    if "decision_threshold" in content:  # a fusion at an operating point
        lines.append(
            "no answer where the fused decision function >= "
            f"{content['decision_threshold']:.6g}"
        )
    report = ", ".join(
        f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
        for k, v in content["report"].items()
    )
    lines.append(f"on the fit data (percent): {report}")
    return "\n".join(lines)


def plots(folder, rule, result, data, weight, seed):
    """Draw the comparison's figures into `folder`; return their paths."""
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError as exc:
        raise ImportError(
            "--plot needs matplotlib: pip install matplotlib (in a clone of "
            "skfusion: pip install -e '.[plot]')"
        ) from exc
    from ..plotting import save_comparison_figures

    X, y = data.data, data.target
    fusion = TorchLogisticFusion(random_state=seed).fit(X, y, sample_weight=weight)
    rule = clone(rule).fit(X, y, sample_weight=weight)
    fold_fusions = result.fitted["TorchLogisticFusion"]
    return save_comparison_figures(
        folder, rule, fusion, fold_fusions, data.feature_names, X, y
    )
