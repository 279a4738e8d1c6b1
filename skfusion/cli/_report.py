"""What the skfusion command prints: tables, reports and strict JSON."""

import json
import math

from ..model_selection._fold_tests import FOLD_TEST_ASSUMES
from ..persistence import calibrator_report
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
    header = f"{'estimator':<26}" + "".join(
        f"{name:>18}" for name in ("accuracy", "EM", "F1")[: len(metrics)]
    )
    lines = [header + f"{'fit ms':>10}"]
    for row in summary:
        line = f"{row['estimator']:<26}"
        for key in metrics:
            line += f"{row[key]:>10.4f} ± {row[key + '_std']:.4f}"
        lines.append(line + f"{row['fit_seconds'] * 1000:>10.1f}")
    return lines


def comparison_text(result, data, *, alpha=0.05):
    """Format the out-of-fold scores and the Holm-adjusted paired tests."""
    metrics = ["accuracy"] + ["em", "f1"] * (
        data.em is not None and data.f1 is not None
    )
    tests = result.pairwise_tests(alpha=alpha)
    shown = {"accuracy": "accuracy", "em": "EM", "f1": "F1"}[result.tune]
    lines = _table(result.summary(), metrics)
    lines += [
        "",
        f"Paired comparison of {shown}: corrected resampled t-test (Nadeau & Bengio "
        f"2003) on {len(result.fit_seconds[result.names[0]])} folds; p-values "
        f"Holm-adjusted for {len(tests)} tests",
        f"  assumes: {FOLD_TEST_ASSUMES}",
    ]
    for t in tests:
        verdict = "significant" if t["significant"] else "not significant"
        lines.append(
            f"  {t['a']} vs {t['b']}: difference {t['mean_difference']:+.4f}, "
            f"t = {t['t']:.2f}, p = {t['p']:.3g}, Holm p = {t['p_holm']:.3g}: "
            f"{verdict} at {alpha}"
        )
    return "\n".join(lines)


def question_tests_text(tests):
    """Format `Comparison.question_tests`: bootstrap CI, McNemar, disagreements."""
    if not tests:
        return ""
    first = tests[0]
    boot = first["bootstrap"]
    shown = {"accuracy": "accuracy", "em": "EM", "f1": "F1"}[first["metric"]]
    lines = [
        "",
        f"Per-question paired tests of {shown} on repeat {first['repeat'] + 1}'s "
        f"pooled out-of-fold decisions ({first['n_questions']} questions): "
        f"{100 * boot['confidence_level']:g}% paired bootstrap interval over "
        f"{boot['n_groups']} {boot['resampled']}s ({boot['n_resamples']} "
        "resamples)"
        + ("; McNemar's exact test, Holm-adjusted" if first["mcnemar"] else ""),
        f"  bootstrap assumes: {boot['assumes']}",
    ]
    if first["mcnemar"]:
        lines.append(f"  McNemar assumes: {first['mcnemar']['assumes']}")
    for t in tests:
        b = t["bootstrap"]
        line = (
            f"  {t['a']} vs {t['b']}: {t['n_disagree']} questions decided "
            f"differently; difference {b['mean_difference']:+.4f} "
            f"[{b['ci_low']:+.4f}, {b['ci_high']:+.4f}]"
        )
        m = t["mcnemar"]
        if m is not None:
            line += (
                f"; McNemar {m['a_only']} vs {m['b_only']} right, p = {m['p']:.3g}, "
                f"Holm p = {m['p_holm']:.3g}"
            )
        lines.append(line)
    return "\n".join(lines)


def runs_text(result, *, alpha=0.05):
    """Format a `RunComparison`: a table of runs, then the tests across runs."""
    tune = result.comparisons[result.runs[0]].tune
    shown = {"accuracy": "accuracy", "em": "EM", "f1": "F1"}[tune]
    width = max(len(r) for r in result.runs) + 2
    lines = [
        f"Mean out-of-fold {shown} per run",
        f"{'run':<{width}}" + "".join(f"{n[:24]:>26}" for n in result.names),
    ]
    for row in result.per_run():
        values = "".join(f"{row[n]:>26.4f}" for n in result.names)
        lines.append(f"{row['run']:<{width}}{values}")
    tests = result.run_tests(alpha=alpha)
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
            f"on {t['wins_a']} vs {t['wins_b']} runs; t = {t['t']:.2f}, Holm p = "
            f"{t['p_t_holm']:.3g}; Wilcoxon Holm p = "
            + ("n/a" if wilcoxon is None else f"{wilcoxon:.3g}")
        )
    return "\n".join(lines)


def runs_json(result, *, folds, repeats):
    """Collect what `skfusion compare-runs --json` prints."""
    first = result.comparisons[result.runs[0]]
    return {
        "runs": result.runs,
        "metric": first.tune,
        "folds": folds,
        "repeats": repeats,
        "per_run": result.per_run(),
        "per_run_tests": {
            run: result.comparisons[run].pairwise_tests() for run in result.runs
        },
        "run_tests": result.run_tests(),
    }


def comparison_json(result, data, rule, *, folds, repeats, seed):
    """Collect what `skfusion compare --json` prints; `rule` gives the margin."""
    null, span = margin_names(rule, data)
    per_fold = {
        name: {
            key: getattr(result, key)[name]
            for key in ("accuracy", "em", "f1", "fit_seconds")
            if getattr(result, key).get(name)
        }
        for name in result.names
    }
    return {
        "n_questions": len(data.target),
        "n_unanswerable": int(data.target.sum()),
        "feature_names": list(data.feature_names),
        "margin_columns": {"null": null, "span": span},
        "metric": result.tune,
        "folds": folds,
        "repeats": repeats,
        "seed": seed,
        "summary": result.summary(),
        "per_fold": per_fold,
        "pairwise_tests": result.pairwise_tests(),
    }


def fit_json(model, data, *, kind, tune, output, targets=None):
    """Collect what `skfusion fit --json` prints."""
    content = {"model": kind, "tune": tune, "output": str(output)}
    return {**content, **calibrator_report(model, data, targets=targets)}


def _operating_point_line(point):
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
    return (
        f"operating point for {' and '.join(targets)}: answers "
        f"{point['coverage']:.1%} of the questions, {right} on the answered "
        f"{shown}, NoAns recall {point['noans_recall']:.1%}"
    )


def fit_text(model, data, *, kind, tune, output, targets=None):
    """Format the threshold or weights, and the report, of `skfusion fit`."""
    content = fit_json(
        model, data, kind=kind, tune=tune, output=output, targets=targets
    )
    lines = [f"{kind} fitted on {content['n_questions']} questions, tuned for {tune}"]
    if "operating_point" in content:
        lines[0] = f"{kind} fitted on {content['n_questions']} questions"
        lines.append(_operating_point_line(content["operating_point"]))
    if kind == "margin":
        lines.append(f"threshold on {content['margin']}: {content['threshold']:.6g}")
        if content.get("apply"):
            lines.append(f"  {content['apply']}")
    else:
        weights = ", ".join(
            f"{n} {w:+.4f}"
            for n, w in zip(data.feature_names, content["coef"], strict=True)
        )
        lines.append(f"weights: {weights}; intercept {content['intercept']:+.4f}")
        if "decision_threshold" in content:
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
