"""Ways a file gets damaged, as hypothesis draws them, for tests/test_fuzz.py.

Each ``*_damage(data, raw)`` takes hypothesis' ``st.data()`` and a valid
file's bytes, and returns ``(kind of damage, damaged bytes)``.
"""

import csv
import io
import json
import math
import pickle
import re

import numpy as np
from hypothesis import strategies as st

# Values a type swap puts in place of a valid one.
SWAPS = [
    None,
    True,
    0,
    -1,
    2**70,
    10**400,
    1e308,
    -0.0,
    "",
    "empty",
    "0",
    "nan",
    "x" * 5000,
    [],
    {},
    [0, 0],
    [[]],
    {"text": ""},
    {"text": "", "start_logit": 1.0},
]
# Cells a hand-edited or foreign CSV may hold.
CELLS = [
    "1_000",
    "\uff11\uff12",  # full-width digits
    "\u0663",  # an Arabic-Indic digit
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "1e999",
    "",
    " ",
    "\u00a01",
    "0x10",
    "1,5",
    "2",
    "-0.5",
    "true",
    "maybe",
    "q0",
    "x" * 5000,
]


# Numeric columns of the CSV, and what they may hold: plain decimals.
NUMERIC = {"joint_null", "best_span", "em", "f1"}
DECIMAL = re.compile(r" *[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)? *")
# Damage that must be refused, whatever else the file holds.
REFUSED = {
    "json-twice",
    "csv-header-twice",
    "csv-not-decimal",
    "csv-credit-out-of-range",
}


class Pairs(list):
    """A JSON object as (key, value) pairs, so that a key can come twice."""


def dumps(value):
    if isinstance(value, Pairs):
        inner = ", ".join(f"{json.dumps(k)}: {dumps(v)}" for k, v in value)
        return "{" + inner + "}"
    if isinstance(value, dict):
        return dumps(Pairs(value.items()))
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def json_paths(value, path=()):
    """Every place in a JSON document, as a tuple of keys and indices."""
    yield path
    if isinstance(value, (dict, list)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in list(items)[:6]:  # enough places, not all of them
            yield from json_paths(child, (*path, key))


def json_damage(data, raw):
    """Replace, drop or duplicate one value of the JSON document `raw`."""
    doc = json.loads(raw)
    places = list(json_paths(doc))
    path = data.draw(st.sampled_from(places), label="path")
    how = data.draw(st.sampled_from(["swap", "drop", "twice"]), label="how")
    doc = [doc]
    parent, key = doc, 0
    for step in path:
        parent, key = parent[key], step
    if how == "drop" and path:
        del parent[key]
    elif how == "twice" and isinstance(parent[key], dict) and parent[key]:
        items = list(parent[key].items())
        items.append((items[0][0], data.draw(st.sampled_from(SWAPS))))
        parent[key] = Pairs(items)
    else:
        how = "swap"
        parent[key] = data.draw(st.sampled_from(SWAPS), label="swap")
    return f"json-{how}", dumps(doc[0]).encode()


def csv_number_damage(cell, column):
    """Name the damage `cell` does to a numeric column, or None."""
    if not DECIMAL.fullmatch(cell) or not math.isfinite(float(cell)):
        return "csv-not-decimal"
    if column in ("em", "f1") and not 0 <= float(cell) <= 1:
        return "csv-credit-out-of-range"
    return None


def csv_damage(data, raw):
    """Replace one cell (the header included) of a CSV file, or drop it."""
    rows = list(csv.reader(io.StringIO(raw.decode())))
    header = data.draw(st.integers(0, 3), label="header?") == 0
    r = 0 if header else data.draw(st.integers(1, len(rows) - 1), label="row")
    c = data.draw(st.integers(0, len(rows[r]) - 1), label="column")
    if data.draw(st.booleans(), label="drop"):
        del rows[r][c]
        how = "csv-drop-cell"
    else:
        # A header cell is most often renamed to another column's name.
        names = rows[0] * 4 if r == 0 else rows[0]
        cell = data.draw(st.sampled_from(CELLS + names), label="cell")
        how = "csv-header" if r == 0 else "csv-cell"
        if r == 0 and cell in rows[0] and cell != rows[0][c]:
            how = "csv-header-twice"
        elif r > 0 and rows[0][c] in NUMERIC:
            how = csv_number_damage(cell, rows[0][c]) or how
        rows[r][c] = cell
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return how, out.getvalue().encode()


PICKLE_SWAPS = [
    None,
    "1.0",
    True,
    2**70,
    float("nan"),
    [],
    {},
    [1.0] * 5,
    (1.0, 2.0, 3.0, 4.0),
    [10**400, 1.0, 2.0, 3.0],
    np.array(["a", "b"]),
    np.float32(1.0),
    np.zeros((2, 2)),
    np.zeros(5000),
    np.array([1, 2, 3, 4], dtype=np.int8),
    {1, 2},
    b"x",
    complex(1, 2),
]


def pickle_damage(data, raw):
    """Swap one value of the notebook's dict, keeping a valid pickle."""
    content = pickle.loads(raw)
    part = data.draw(st.sampled_from(["scores", "labels", None]), label="part")
    value = data.draw(st.sampled_from(PICKLE_SWAPS), label="value")
    if part is None:
        content = data.draw(st.sampled_from([content["scores"], [], value]))
    else:
        qid = data.draw(st.sampled_from(list(content[part])), label="question")
        key = data.draw(st.sampled_from([qid, 7, (qid,)]), label="key")
        content[part].pop(qid)
        content[part][key] = value
    protocol = data.draw(st.integers(2, 5), label="protocol")
    return "pickle-swap", pickle.dumps(content, protocol=protocol)


def byte_damage(data, raw):
    """Random bytes, a truncation or one byte changed."""
    how = data.draw(st.sampled_from(["random", "truncate", "flip"]), label="how")
    if how == "random":
        return "bytes-random", data.draw(st.binary(max_size=300), label="bytes")
    at = data.draw(st.integers(0, max(len(raw) - 1, 0)), label="at")
    if how == "truncate":
        return "bytes-truncate", raw[:at]
    byte = data.draw(st.integers(0, 255), label="byte")
    return "bytes-flip", raw[:at] + bytes([byte]) + raw[at + 1 :]
