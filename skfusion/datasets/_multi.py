"""Several runs (and extra score files) joined on question ids."""

import warnings
from pathlib import Path

import numpy as np

from ._base import check_same_ids, json_number, reader_bunch
from ._json import read_json_object

# scikit-learn's ColumnTransformer separates a part's name from a column's.
SEPARATOR = "__"


def run_names(paths, names):
    """Return each run's name: given, else its folder's name (a file's stem)."""
    if names is None:
        names = [Path(p).name if Path(p).is_dir() else Path(p).stem for p in paths]
    names = [str(n) for n in names]
    if len(names) != len(paths):
        raise ValueError(
            f"names={names!r} has {len(names)} name(s) for {len(paths)} run(s); "
            "expected one per run."
        )
    bad = [n for n in names if not n or "," in n]
    seen = [n for i, n in enumerate(names) if n in names[:i]]
    if bad or seen:
        raise ValueError(
            f"run names {names!r}: expected distinct, non-empty names without "
            f"commas ({(bad or seen)[0]!r}); give them with names=."
        )
    return names


def _primary_index(names, primary):
    if primary is None:
        return 0
    if primary in names:
        return names.index(primary)
    raise ValueError(f"primary={primary!r} is not one of the runs {names}.")


def _common_ids(labelled, subset):
    """Ids of the first source present in every source (or all, strict)."""
    ids = list(labelled[0][1])
    if subset == "strict":
        for name, found in labelled[1:]:
            check_same_ids(ids, found, name)
        return ids
    kept = set(ids).intersection(*(set(found) for _, found in labelled[1:]))
    ids = [q for q in ids if q in kept]
    if not ids:
        raise ValueError("The runs share no question id.")
    if any(len(found) > len(ids) for _, found in labelled):
        dropped = ", ".join(f"{len(f) - len(ids)} of {n}" for n, f in labelled)
        warnings.warn(
            f"Kept the {len(ids)} question(s) present in every run; dropped {dropped}.",
            UserWarning,
            stacklevel=4,
        )
    return ids


def _extra_scores(scores):
    """Read each ``{name: path}`` file of ``question id -> number``."""
    read = {}
    for name, path in (scores or {}).items():
        content = read_json_object(path, what="numbers")
        read[str(name)] = (path, content)
    return read


def join_runs(paths, runs, *, names, primary, scores, subset):
    """Join loaded runs on question ids; the primary run gives answers."""
    prefixed = len(runs) > 1 or names is not None
    names = run_names(paths, names)
    first = _primary_index(names, primary)
    order = [first, *(i for i in range(len(runs)) if i != first)]
    extra = _extra_scores(scores)
    labelled = [(names[i], list(runs[i].ids)) for i in order]
    labelled += [(str(path), list(content)) for path, content in extra.values()]
    ids = _common_ids(labelled, subset)
    rows = [{q: k for k, q in enumerate(runs[i].ids)} for i in range(len(runs))]
    take = [
        np.array([rows[i][q] for q in ids], dtype=np.intp) for i in range(len(runs))
    ]
    columns, feature_names, margins = [], [], {}
    for i in order:
        lead = f"{names[i]}{SEPARATOR}" if prefixed else ""
        columns.append(runs[i].data[take[i]])
        feature_names += [lead + c for c in runs[i].feature_names]
        null, span = runs[i].margin_columns
        margins[names[i]] = (
            [lead + c for c in null],
            None if span is None else [lead + c for c in span],
        )
    for name, (path, content) in extra.items():
        columns.append(
            np.array([[json_number(content[q], path, q, name)] for q in ids])
        )
        feature_names.append(name)
    _check_unique_columns(feature_names)
    main = runs[first]
    target = _target(runs, names, take, order)
    pick = take[first]
    # Each run's own EM/F1: a rule on a run's margin answers with its spans.
    credit = {
        names[i]: {
            k: None if runs[i][k] is None else runs[i][k][take[i]] for k in ("em", "f1")
        }
        for i in order
    }
    data = _bunch(
        main,
        pick,
        ids,
        target,
        columns,
        feature_names,
        margins,
        names[first],
        paths,
        extra,
    )
    data.run_credit = credit
    return data


def _check_unique_columns(feature_names):
    twice = [n for i, n in enumerate(feature_names) if n in feature_names[:i]]
    if twice:
        raise ValueError(
            f"column {twice[0]!r} appears twice; name the extra scores and the "
            "runs differently."
        )


def _target(runs, names, take, order):
    """Return the labels, the same in every run that has them (else raise)."""
    target = None
    for i in order:
        if runs[i].target is None:
            continue
        own = runs[i].target[take[i]]
        if target is not None and not np.array_equal(own, target):
            raise ValueError(
                f"run {names[i]!r} labels {int((own != target).sum())} question(s) "
                f"otherwise than run {names[order[0]]!r}: expected one dev set."
            )
        target = own if target is None else target
    return target


def _bunch(
    main, pick, ids, target, columns, feature_names, margins, name, paths, extra
):
    def subset(values):
        return None if values is None else np.asarray(values)[pick]

    span_text = None if main.span_text is None else [main.span_text[k] for k in pick]
    data = reader_bunch(
        np.column_stack(columns),
        feature_names,
        target,
        ids,
        margin_columns=margins[name],
        em=subset(main.em),
        f1=subset(main.f1),
        span_text=span_text,
        no_span=subset(main.no_span),
        reader=main.reader,
        descr=f"Runs joined on question ids, answers from {name!r}: "
        + "; ".join(str(p) for p in paths)
        + "".join(f"; score {n}: {p}" for n, (p, _) in extra.items()),
    )
    data.run_margins = margins
    data.primary = name
    return data
