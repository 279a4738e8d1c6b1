"""Score tables: CSV files with a header row."""

import collections
import csv
import io
import math
import re

import numpy as np
from sklearn.utils import Bunch

from ._base import check_unique, few, frame_bunch, margin_by_name, reader_bunch, short
from ._json import decode_text, read_bytes

_TRUE, _FALSE = {"1", "true", "yes", "t", "y"}, {"0", "false", "no", "f", "n"}
# float() would also take "1_000", full-width digits, "nan" and "infinity".
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _read_rows(path):
    """Return the header and each non-blank row as ``(line, {column: cell})``."""
    what = "a CSV file of scores with a header row"
    reader = csv.reader(
        io.StringIO(decode_text(read_bytes(path, what=what), path, what), newline="")
    )
    try:
        header = next(reader, None)
        rows = [(reader.line_num, row) for row in reader if row]
    except csv.Error as exc:
        raise ValueError(
            f"{path}: line {reader.line_num}: not valid CSV ({exc})."
        ) from None
    if not header:
        raise ValueError(f"{path}: empty; expected a header row of column names.")
    twice = [c for c, n in collections.Counter(header).items() if n > 1]
    if twice:
        raise ValueError(
            f"{path}: {len(twice)} column name(s) given twice in the header, "
            f"e.g. {few(twice)}; expected each once."
        )
    if "" in header:
        raise ValueError(
            f"{path}: column {header.index('') + 1} of the header has no name."
        )
    if not rows:
        raise ValueError(f"{path}: no data rows under the header.")
    ragged = [line for line, row in rows if len(row) != len(header)]
    if ragged:
        raise ValueError(
            f"{path}: {len(ragged)} row(s) do not have the header's "
            f"{len(header)} fields, e.g. row {ragged[0]}."
        )
    return header, [(line, dict(zip(header, row, strict=True))) for line, row in rows]


def _floats(rows, column, path, bounds=(-math.inf, math.inf)):
    values = []
    for line, row in rows:
        text = row[column].strip(" \t")
        value = float(text) if _DECIMAL.fullmatch(text) else math.nan
        if not math.isfinite(value):
            raise ValueError(
                f"{path}: row {line}: {column[:40]} is {short(row[column])}, expected "
                "a finite decimal number such as -3.5 or 1e-3."
            )
        values.append(value)
    values = np.array(values)
    outside = np.flatnonzero((values < bounds[0]) | (values > bounds[1]))
    if outside.size:
        line, row = rows[outside[0]]
        raise ValueError(
            f"{path}: {outside.size} row(s) have {column} outside [{bounds[0]}, "
            f"{bounds[1]}], e.g. row {line}: {short(row[column])}."
        )
    return values


def _label(cell, path, line):
    text = cell.strip(" \t").lower()
    if text not in _TRUE | _FALSE:
        raise ValueError(
            f"{path}: row {line}: label {short(cell)} is not true/false, yes/no or 1/0."
        )
    return text in _TRUE


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
        As `load_reader_outputs`'s: pandas ``data``, ``target`` and
        ``frame`` (needs pandas).

    Returns
    -------
    data : Bunch
        As `load_reader_outputs` returns it; ``span_text`` and ``no_span``
        are None. ``margin_columns`` are found by name only (the per-head
        columns, ``null_odds``, ``joint_null`` and ``best_span``, ...), never
        from the columns' order: else None, and a margin rule needs its
        columns named (``null_column=`` and ``span_column=``).

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
    header, rows = _read_rows(path)
    if label_column not in header and not require_label:
        label_column = None
    wanted = [c for c in (label_column, id_column) if c is not None]
    if feature_columns is None:
        feature_columns = [c for c in header if c not in {*wanted, "em", "f1"}]
    absent = [c for c in [*wanted, *feature_columns] if c not in header]
    if absent or not feature_columns:
        raise ValueError(
            f"{path}: column(s) {short(absent or 'for scores', 200)} not found; the "
            f"header has {short(header, 200)}."
        )
    ids = [str(i) for i in range(len(rows))]
    if id_column is not None:
        ids = [row[id_column] for _, row in rows]
        empty = [line for line, row in rows if not row[id_column]]
        if empty:
            raise ValueError(
                f"{path}: {len(empty)} row(s) have an empty {id_column[:40]}, "
                f"e.g. row {empty[0]}; expected a question id."
            )
    check_unique(ids, path)
    X = np.column_stack([_floats(rows, c, path) for c in feature_columns])
    y = None
    if label_column is not None:
        y = [_label(row[label_column], path, line) for line, row in rows]
    credit = {
        c: _floats(rows, c, path, (0.0, 1.0)) for c in ("em", "f1") if c in header
    }
    bunch = reader_bunch(
        X,
        feature_columns,
        y,
        ids,
        margin_columns=margin_by_name(feature_columns),
        em=credit.get("em"),
        f1=credit.get("f1"),
        descr=f"Score table: {path}",
        source=path,
    )
    return frame_bunch(bunch, as_frame)
