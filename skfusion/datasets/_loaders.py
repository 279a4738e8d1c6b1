"""Score tables: CSV files with a header row."""

import collections
import csv
import io
import math
import re

import numpy as np
from sklearn.utils import Bunch

from ._base import (
    PER_HEAD_FEATURE_NAMES,
    PER_HEAD_MARGIN_COLUMNS,
    check_unique,
    few,
    frame_bunch,
    reader_bunch,
    short,
)
from ._json import decode_text, read_bytes


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
# Plain decimal ASCII: float() would also take "1_000", full-width digits,
# surrounding Unicode spaces, "nan" and "infinity".
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _parse_label(value, path, row):
    text = value.strip(" \t").lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(
        f"{path}: row {row}: label {short(value)} is not true/false, yes/no or 1/0."
    )


def _number(cell, path, row, column):
    text = cell.strip(" \t")
    value = float(text) if _DECIMAL.fullmatch(text) else math.nan
    if not math.isfinite(value):
        raise ValueError(
            f"{path}: row {row}: {column[:40]} is {short(cell)}, expected a "
            "finite decimal number such as -3.5 or 1e-3."
        )
    return value


def _column_floats(rows, column, path, bounds=None):
    """Column `column` as floats; a bad cell names its row and value."""
    values = np.array([_number(row[column], path, line, column) for line, row in rows])
    if bounds is not None:
        outside = (values < bounds[0]) | (values > bounds[1])
        if outside.any():
            line = rows[int(np.argmax(outside))][0]
            raise ValueError(
                f"{path}: {int(outside.sum())} row(s) have {column} outside "
                f"[{bounds[0]}, {bounds[1]}], e.g. row {line}: "
                f"{short(rows[int(np.argmax(outside))][1][column])}."
            )
    return values


def _parse_csv(text, path):
    """Return the header and the non-blank rows, each with its line number."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        rows = [(reader.line_num, row) for row in reader if row]
    except csv.Error as exc:
        raise ValueError(
            f"{path}: line {reader.line_num}: not valid CSV ({exc})."
        ) from None
    if not header:
        raise ValueError(f"{path}: empty; expected a header row of column names.")
    return header, rows


def _check_header(header, path):
    duplicated = [c for c, n in collections.Counter(header).items() if n > 1]
    if duplicated:
        raise ValueError(
            f"{path}: {len(duplicated)} column name(s) given twice in the header, "
            f"e.g. {few(duplicated)}; expected each once."
        )
    if "" in header:
        raise ValueError(
            f"{path}: column {header.index('') + 1} of the header has no name."
        )


def _read_rows(path):
    what = "a CSV file of scores with a header row"
    text = decode_text(read_bytes(path, what=what), path, what)
    header, rows = _parse_csv(text, path)
    _check_header(header, path)
    if not rows:
        raise ValueError(f"{path}: no data rows under the header.")
    ragged = [line for line, row in rows if len(row) != len(header)]
    if ragged:
        raise ValueError(
            f"{path}: {len(ragged)} row(s) do not have the header's "
            f"{len(header)} fields, e.g. row {ragged[0]}."
        )
    return [(line, dict(zip(header, row, strict=True))) for line, row in rows], header


def _ids(rows, id_column, path):
    if id_column is None:
        return [str(i) for i in range(len(rows))]
    empty = [line for line, row in rows if not row[id_column]]
    if empty:
        raise ValueError(
            f"{path}: {len(empty)} row(s) have an empty {id_column[:40]}, "
            f"e.g. row {empty[0]}; expected a question id."
        )
    return [row[id_column] for _, row in rows]


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
        straight into :class:`~skfusion.MarginThresholdClassifier`. Needs pandas.
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
            f"{path}: column(s) {short(absent or 'for scores', 200)} not found; the "
            f"header has {short(header, 200)}."
        )
    ids = _ids(rows, id_column, path)
    check_unique(ids, path)
    X = np.column_stack([_column_floats(rows, c, path) for c in feature_columns])
    y = None
    if label_column is not None:
        y = [_parse_label(r[label_column], path, line) for line, r in rows]
    credit = {
        c: _column_floats(rows, c, path, bounds=(0.0, 1.0))
        for c in ("em", "f1")
        if c in header
    }
    bunch = reader_bunch(
        X,
        feature_columns,
        y,
        ids,
        margin_columns=_margin_columns(feature_columns),
        em=credit.get("em"),
        f1=credit.get("f1"),
        descr=f"Score table: {path}",
        source=path,
    )
    return frame_bunch(bunch, as_frame)
