"""The no-answer rules that ``skfusion compare`` runs, and their credit."""

from sklearn.linear_model import LogisticRegression

from .._fusion import TorchLogisticFusion
from .._margin import MarginThresholdClassifier


def no_answer_rules(
    margins, *, primary=None, target_precision=None, confidence=None, random_state=0
):
    """Return the rules ``skfusion compare`` runs, each named by its run.

    Parameters
    ----------
    margins : tuple or dict of str to tuple
        ``(null_column, span_column)`` of a reader's margin, as
        :class:`~skfusion.MarginThresholdClassifier` takes them (a loader's
        ``margin_columns``), or each joined run's (``run_margins``).
    primary : str or None, default=None
        The run whose spans answer for the rules on every column and whose
        margin gets threshold 0 and the target; None is the first.
    target_precision, confidence : float or None, default=None
        Also run the primary's rule at this operating point.
    random_state : int, default=0
        Seed of :class:`~skfusion.TorchLogisticFusion`'s restarts.

    Returns
    -------
    rules : dict of str to estimator
        ``TorchLogisticFusion``, BERT's rule on the primary's margin tuned
        and at threshold 0, ``LogisticRegression``, each other run's tuned
        rule, then the target's; run names only for several runs.
    spans : dict of str to str or None
        Each rule's run, whose best spans answer and score it.

    See Also
    --------
    compare_estimators : Runs them on the same folds.
    rule_credit : Each rule's EM and F1, from its run's spans.

    Examples
    --------
    >>> from skfusion.model_selection import no_answer_rules
    >>> rules, spans = no_answer_rules(
    ...     {"bert": (["bert__null"], ["bert__span"]),
    ...      "xlnet": (["xlnet__null"], ["xlnet__span"])}
    ... )
    >>> list(rules)[1:]  # doctest: +NORMALIZE_WHITESPACE
    ['MarginThreshold bert (tuned)', 'MarginThreshold bert (t=0)',
     'LogisticRegression', 'MarginThreshold xlnet (tuned)']
    >>> spans["TorchLogisticFusion"], spans["MarginThreshold xlnet (tuned)"]
    ('bert', 'xlnet')
    """
    runs = margins if isinstance(margins, dict) else {None: margins}
    primary = next(iter(runs)) if primary is None else primary
    if primary not in runs:
        raise ValueError(f"primary={primary!r} is not one of the runs {list(runs)}.")
    rules, spans = {}, {}

    def add(name, rule, run=primary):
        rules[name], spans[name] = rule, run

    def margin_rule(run, label, **params):
        null, span = runs[run]
        rule = MarginThresholdClassifier(null_column=null, span_column=span, **params)
        add(f"MarginThreshold{'' if run is None else ' ' + run} ({label})", rule, run)

    add("TorchLogisticFusion", TorchLogisticFusion(random_state=random_state))
    margin_rule(primary, "tuned")
    margin_rule(primary, "t=0", threshold=0.0)
    add("LogisticRegression", LogisticRegression())
    for run in runs:
        if run != primary:
            margin_rule(run, "tuned")
    if target_precision is not None:
        at = "" if confidence is None else f" at {confidence:.0%}"
        margin_rule(
            primary,
            f"precision >= {target_precision:g}{at}",
            target_precision=target_precision,
            confidence=confidence,
        )
    return rules, spans


def rule_credit(spans, run_credit):
    """Return each rule's EM and F1, scored with its own run's best spans.

    Parameters
    ----------
    spans : dict of str to str or None
        Each rule's run, as `no_answer_rules` returns it.
    run_credit : dict of str or None to dict
        Each run's ``{"em": array or None, "f1": array or None}``: a joined
        loader's ``run_credit``, or ``{None: {"em": data.em, "f1": data.f1}}``.

    Returns
    -------
    credit : dict
        ``em`` and ``f1``, each a dict of rule name to credit, as
        `compare_estimators` takes them: those the first rule's run has.

    See Also
    --------
    no_answer_rules : The rules and their runs.

    Examples
    --------
    >>> from skfusion.model_selection import no_answer_rules, rule_credit
    >>> rules, spans = no_answer_rules((["joint_null"], ["best_span"]))
    >>> credit = rule_credit(spans, {None: {"em": [1.0, 0.0], "f1": None}})
    >>> list(credit), credit["em"]["LogisticRegression"]
    (['em'], [1.0, 0.0])
    """
    first = run_credit[next(iter(spans.values()))]
    credit = {}
    for key in ("em", "f1"):
        if first[key] is None:
            continue
        lacking = sorted(
            str(r) for r in set(spans.values()) if run_credit[r][key] is None
        )
        if lacking:
            raise ValueError(
                f"run {lacking[0]} has no {key.upper()} (no n-best lists): its rule "
                "cannot be scored with its own spans; give its nbest_predictions.json."
            )
        credit[key] = {name: run_credit[run][key] for name, run in spans.items()}
    return credit
