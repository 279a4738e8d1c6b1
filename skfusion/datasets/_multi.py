"""Several runs (and extra score files) joined on question ids."""

from pathlib import Path

import numpy as np

from ._base import common_ids, json_number, reader_bunch
from ._json import read_json_object

# scikit-learn's ColumnTransformer separates a part's name from a column's.
SEPARATOR = "__"


def run_names(paths, names):
    """Each run's name: given, else its folder's name (a file's stem)."""
    if names is None:
        names = [Path(p).name if Path(p).is_dir() else Path(p).stem for p in paths]
    names = [str(n) for n in names]
    if len(names) != len(paths):
        raise ValueError(
            f"names={names!r} has {len(names)} name(s) for {len(paths)} run(s); "
            "expected one per run."
        )
    bad = [n for i, n in enumerate(names) if not n or "," in n or n in names[:i]]
    if bad:
        raise ValueError(
            f"run names {names!r}: expected distinct, non-empty names without "
            f"commas ({bad[0]!r}); give them with names= (--names on the command "
            "line)."
        )
    return names


def join_runs(paths, runs, *, names, primary, scores, subset):
    """Join loaded runs on question ids; the primary run gives the answers."""
    prefixed = len(runs) > 1 or names is not None
    names = run_names(paths, names)
    if primary is not None and primary not in names:
        raise ValueError(f"primary={primary!r} is not one of the runs {names}.")
    first = 0 if primary is None else names.index(primary)
    order = [first, *(i for i in range(len(runs)) if i != first)]
    extra = {
        str(name): (path, read_json_object(path, what="numbers"))
        for name, path in (scores or {}).items()
    }
    named = [(names[i], list(runs[i].ids)) for i in order]
    named += [(str(path), list(content)) for path, content in extra.values()]
    ids = common_ids(named, subset, "run", reference=f"run {names[first]!r}")
    columns, feature_names, margins, target, takes = [], [], {}, None, {}
    for i in order:
        rows = {q: k for k, q in enumerate(runs[i].ids)}
        take = takes[i] = np.array([rows[q] for q in ids], dtype=np.intp)
        lead = f"{names[i]}{SEPARATOR}" if prefixed else ""
        columns.append(runs[i].data[take])
        feature_names += [lead + c for c in runs[i].feature_names]
        if runs[i].margin_columns is not None:
            null, span = runs[i].margin_columns
            span = None if span is None else [lead + c for c in span]
            margins[names[i]] = ([lead + c for c in null], span)
        own = None if runs[i].target is None else runs[i].target[take]
        if own is not None and target is not None and (own != target).any():
            raise ValueError(
                f"run {names[i]!r} labels {int((own != target).sum())} question(s) "
                f"otherwise than run {names[first]!r}: expected one dev set."
            )
        target = own if target is None else target
    for name, (path, content) in extra.items():
        columns.append([[json_number(content[q], path, q, name)] for q in ids])
        feature_names.append(name)
    twice = [n for i, n in enumerate(feature_names) if n in feature_names[:i]]
    if twice:
        raise ValueError(
            f"column {twice[0]!r} appears twice; name the extra scores and the "
            "runs differently."
        )
    main, pick = runs[first], takes[first]
    data = reader_bunch(
        np.column_stack(columns),
        feature_names,
        target,
        ids,
        margin_columns=margins.get(names[first]),
        em=None if main.em is None else main.em[pick],
        f1=None if main.f1 is None else main.f1[pick],
        span_text=None if main.span_text is None else [main.span_text[k] for k in pick],
        no_span=None if main.no_span is None else main.no_span[pick],
        reader=main.reader,
        descr=f"Runs joined on question ids, answers from {names[first]!r}: "
        + "; ".join(str(p) for p in paths)
        + "".join(f"; score {n}: {p}" for n, (p, _) in extra.items()),
    )
    data.run_margins, data.primary = margins, names[first]
    return data
