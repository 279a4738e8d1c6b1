"""Score tables: CSV files with a header row."""

import csv

import numpy as np
from sklearn.utils import Bunch

from ._base import (
    PER_HEAD_FEATURE_NAMES,
    PER_HEAD_MARGIN_COLUMNS,
    check_unique,
    frame_bunch,
    reader_bunch,
)


def _margin_columns(columns):
    """BERT's margin on columns recognised by name, else first minus last."""
    if set(PER_HEAD_FEATURE_NAMES) <= set(columns):
        return PER_HEAD_MARGIN_COLUMNS
    for null, span in (
        ("null_odds", None),
        ("joint_null", "best_span"),
        ("null_score", "best_span_score"),
    ):
        if null in columns and (span is None or span in columns):
            return [null], None if span is None else [span]
    return [columns[0]], [columns[-1]] if len(columns) > 1 else None


_TRUE, _FALSE = {"1", "true", "yes", "t", "y"}, {"0", "false", "no", "f", "n"}


def _parse_label(value, path, row):
    text = value.strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(
        f"{path}: row {row}: label {value!r} is not true/false, yes/no or 1/0."
    )


def _column_floats(rows, column, path):
    """Column `column` as floats; an empty or non-numeric cell names its row."""
    values = []
    for number, row in enumerate(rows, start=2):
        cell = row[column]
        try:
            values.append(float(cell))
        except (TypeError, ValueError):
            raise ValueError(
                f"{path}: row {number}: {column} is {cell!r}, expected a number."
            ) from None
    return np.array(values)


def _read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        header = reader.fieldnames or []
    if not rows:
        raise ValueError(f"{path}: no data rows under the header.")
    ragged = [i for i, r in enumerate(rows, start=2) if None in r or None in r.values()]
    if ragged:
        raise ValueError(
            f"{path}: {len(ragged)} row(s) do not have the header's "
            f"{len(header)} fields, e.g. row {ragged[0]}."
        )
    return rows, list(header)


def load_csv(
    path,
    *,
    label_column="unanswerable",
    id_column=None,
    feature_columns=None,
    require_label=True,
    as_frame=False,
) -> Bunch:
    r"""Load scores from a CSV file with a header row.

    Parameters
    ----------
    path : str or path-like
        The CSV file.
    label_column : str, default="unanswerable"
        Column of true/false (yes/no, 1/0) labels; true means unanswerable.
    id_column : str or None, default=None
        Column of question ids; None numbers the rows from 0.
    feature_columns : list of str or None, default=None
        Score columns; None takes every other column except ``em`` and
        ``f1``, which, when present, are read as the per-question credit.
    require_label : bool, default=True
        If False, a file without `label_column` loads with ``target=None``
        (scores to predict on).

    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame whose columns are
        ``feature_names``, ``target`` a pandas Series named
        "unanswerable", and ``frame`` a DataFrame of both (as scikit-learn's
        loaders return them); the names in ``margin_columns`` then go
        straight into `~skfusion.MarginThresholdClassifier`. Needs pandas.
        With False, ``frame`` is None.

    Returns
    -------
    data : Bunch
        As `load_reader_outputs` returns it. ``margin_columns`` are found by
        name (the per-head columns, ``null_odds``, or the notebook's
        ``joint_null`` and ``best_span``), else they are the first and the
        last score columns; ``span_text`` and ``no_span`` are None.

    See Also
    --------
    load_reader_outputs : Loads any supported file, this one included.

    Examples
    --------
    >>> from pathlib import Path
    >>> from skfusion.datasets import load_csv
    >>> _ = Path("scores.csv").write_text(
    ...     "id,null_odds,unanswerable\nq1,-3.5,false\nq2,2.0,true\n")
    >>> data = load_csv("scores.csv", id_column="id")
    >>> data.feature_names, data.margin_columns
    (['null_odds'], (['null_odds'], None))
    """
    rows, header = _read_rows(path)
    if label_column not in header and not require_label:
        label_column = None
    wanted = [c for c in (label_column, id_column) if c is not None]
    if feature_columns is None:
        reserved = {*wanted, "em", "f1"}
        feature_columns = [c for c in header if c not in reserved]
    absent = [c for c in [*wanted, *feature_columns] if c not in header]
    if absent or not feature_columns:
        raise ValueError(
            f"{path}: column(s) {absent or 'for scores'} not found; the header "
            f"has {header}."
        )
    ids = (
        [r[id_column] for r in rows] if id_column else list(map(str, range(len(rows))))
    )
    check_unique(ids, path)
    X = np.column_stack([_column_floats(rows, c, path) for c in feature_columns])
    y = None
    if label_column is not None:
        y = [_parse_label(r[label_column], path, i) for i, r in enumerate(rows, 2)]
    credit = {c: _column_floats(rows, c, path) for c in ("em", "f1") if c in header}
    bunch = reader_bunch(
        X,
        feature_columns,
        y,
        ids,
        margin_columns=_margin_columns(feature_columns),
        em=credit.get("em"),
        f1=credit.get("f1"),
        descr=f"Score table: {path}",
    )
    return frame_bunch(bunch, as_frame)
