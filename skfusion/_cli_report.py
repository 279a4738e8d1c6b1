"""What the skfusion command prints: tables, reports and strict JSON."""

import json
import math
import warnings

from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from .datasets._formats import threshold_advice
from .metrics import squad2_report


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


def _column_names(columns, data):
    return None if columns is None else [data.feature_names[i] for i in columns]


def margin_names(rule, data):
    """Return the (null, span) column names of a margin rule built on `data`."""
    return _column_names(rule.null_column, data), _column_names(rule.span_column, data)


def margin_formula(rule, data):
    """Write the margin as an expression of column names."""
    null, span = margin_names(rule, data)
    text = " + ".join(null)
    if span is None:
        return text
    if len(null) > 1:
        text = f"({text})"
    spans = " + ".join(span)
    return f"{text} - ({spans})" if len(span) > 1 else f"{text} - {spans}"


def check_margin_direction(rule, data):
    """Warn where the margin is lower for unanswerable questions (AUC < 0.5).

    The rule itself computes the margin: at threshold 0, its decision
    function is the margin, signed towards "unanswerable".
    """
    at_zero = clone(rule).set_params(threshold=0.0).fit(data.data, data.target)
    auc = roc_auc_score(data.target, at_zero.decision_function(data.data))
    if auc < 0.5:
        warnings.warn(
            f"the margin {margin_formula(rule, data)} is lower for unanswerable "
            f"questions than for answerable ones (AUC {auc:.3f} < 0.5): are the "
            "labels or the null and span columns swapped?",
            UserWarning,
            stacklevel=2,
        )


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
    ]
    for t in tests:
        verdict = "significant" if t["significant"] else "not significant"
        lines.append(
            f"  {t['a']} vs {t['b']}: difference {t['mean_difference']:+.4f}, "
            f"t = {t['t']:.2f}, p = {t['p']:.3g}, Holm p = {t['p_holm']:.3g}: "
            f"{verdict} at {alpha}"
        )
    return "\n".join(lines)


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


def fit_report(model, data):
    """Score the model on its fit data, in the official script's terms."""
    predicted_null = model.predict(data.data).astype(bool)
    if data.em is not None and data.f1 is not None:
        return squad2_report(predicted_null, data.target, data.em, data.f1)
    correct = predicted_null == data.target
    report = {"accuracy": 100.0 * correct.mean(), "total": int(correct.size)}
    for prefix, rows in (("HasAns_", ~data.target), ("NoAns_", data.target)):
        if rows.any():
            report[f"{prefix}accuracy"] = 100.0 * correct[rows].mean()
            report[f"{prefix}total"] = int(rows.sum())
    return report


def _threshold_fields(model, data):
    null, span = margin_names(model, data)
    fields = {
        "margin": margin_formula(model, data),
        "threshold": model.best_threshold_,
        "reader": data.get("reader"),
        "score_kind": data.get("score_kind"),
    }
    # The reader's own terms hold only for the margin the reader computes.
    if (null, span) == tuple(data.margin_columns) and (
        data.get("reader") or span is None
    ):
        extra, fields["apply"] = threshold_advice(
            data.get("reader"), null[0], model.best_threshold_
        )
        fields.update(extra)
    return fields


def fit_json(model, data, *, kind, tune, output):
    """Collect what `skfusion fit --json` prints."""
    content = {
        "model": kind,
        "n_questions": len(data.target),
        "feature_names": list(data.feature_names),
        "tune": tune,
        "output": str(output),
        "report": fit_report(model, data),
    }
    if kind == "margin":
        content.update(_threshold_fields(model, data))
    else:
        content["coef"] = model.coef_[0].tolist()
        content["intercept"] = float(model.intercept_[0])
    return content


def fit_text(model, data, *, kind, tune, output):
    """Format the threshold or weights, and the report, of `skfusion fit`."""
    content = fit_json(model, data, kind=kind, tune=tune, output=output)
    lines = [f"{kind} fitted on {content['n_questions']} questions, tuned for {tune}"]
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
    report = ", ".join(
        f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
        for k, v in content["report"].items()
    )
    lines.append(f"on the fit data (percent): {report}")
    return "\n".join(lines)
