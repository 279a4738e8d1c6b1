"""orjson's parse of a JSON file, where it is json's (the ``fast`` extra).

orjson parses a reader's n-best file faster than ``json`` does
(``benchmarks/bench_load_outputs.py``). On every document ``json`` reads,
it gives the same values or refuses it: it refuses what ``json`` reads
beyond RFC 8259 (NaN, Infinity, numbers that overflow to infinity, lone
surrogates) and nesting deeper than 1024, and ``json`` then reads the file
as before. One difference is silent: an integer beyond 64 bits becomes a
float in orjson, an int in ``json``. So a file is left to ``json`` where it
may hold one: 19 digits in a row after a byte that can come right before a
number's digits (every integer of at most 18 digits is within 64 bits).
Floats in Python's ``repr`` hold at most 17 significant digits; their
leading zeros after the point follow a ``.``.

orjson sizes its working buffer from the text, at about 12 times the
text's length, and writes a copy of the text and its values there: for a
file of hundreds of MiB, a fresh mapping of GiBs each time. An object
written one member per line, as the readers write their files
(``indent=4``), is parsed about 2 MiB of text at a time instead: raw
newlines are never inside JSON strings, so a comma, a newline and the
first member's indentation before a quote end a member of the top-level
object, and members that parse alone parse alike in the whole object.
Where a piece does not parse, ``json`` reads the whole file.
"""

import re

import numpy as np

try:
    import orjson
except ImportError:  # the optional fast extra
    orjson = None

_DIGITS = 19
_CHUNK = 1 << 20  # bytes looked at a time, in cache
# The bytes that can come right before a JSON number's first digit.
_LEADS = np.zeros(256, dtype=bool)
_LEADS[list(b"-[,: \t\n\r")] = True
# Text parsed at a time: orjson's buffer for it (about 12 times as large)
# stays under glibc's largest threshold for a fresh mapping (32 MiB), so
# the memory of one piece is reused by the next.
_PIECE = 2 << 20
_SPACE = re.compile(rb"[ \t\n\r]*")
_TAIL = 64  # trailing bytes looked at for the object's closing brace


def fast_loads(raw):
    """Return the JSON document of the bytes `raw` as orjson parses it, or None.

    None where orjson is not installed, refuses the document or cannot
    reserve its buffer, or where the document may hold an integer beyond 64
    bits: ``json`` is then the one to read it.
    """
    if orjson is None or may_hold_long_integer(raw):
        return None
    try:
        return _loads_in_pieces(raw)
    except orjson.JSONDecodeError:
        return None
    except MemoryError:
        # Its buffer is reserved up front (a whole file's, where the file
        # is not one member per line); json allocates as it goes.
        return None


def _loads_in_pieces(raw):
    """Parse `raw` with orjson; an object one member per line, in pieces."""
    found = _object_lines(raw)
    if found is None:
        return orjson.loads(raw)
    start, last, separator = found
    content = {}
    while True:
        cut = raw.find(separator, min(start + _PIECE, last), last)
        stop = last if cut < 0 else cut
        piece = bytearray(b"{")
        piece += memoryview(raw)[start:stop]
        piece += b"}"
        content.update(orjson.loads(piece))
        if cut < 0:
            return content
        start = cut + 1


def _object_lines(raw):
    """Where `raw` is an object written one member per line, its members.

    Return the index after its opening brace, the index of its closing brace
    and the bytes between two members up to the next key's quote; None for
    any other document.
    """
    brace = _SPACE.match(raw).end()
    key = _SPACE.match(raw, brace + 1).end()
    indent = raw[brace + 1 : key]
    if raw[brace : brace + 1] != b"{" or raw[key : key + 1] != b'"':
        return None
    tail = raw[-_TAIL:].rstrip(b" \t\n\r")
    if b"\n" not in indent or not tail.endswith(b"}"):
        return None
    last = len(raw) - len(raw[-_TAIL:]) + len(tail) - 1
    return brace + 1, last, b"," + indent + b'"'


def may_hold_long_integer(raw):
    """Whether `raw` holds 19 digits in a row that may start a JSON number.

    They may where they start the bytes or follow one of ``-[,:`` or JSON
    white space.
    """
    codes = np.frombuffer(raw, dtype=np.uint8)
    if codes[:_DIGITS].size == _DIGITS and _all_digits(codes[:_DIGITS]):
        return True
    for first in range(0, len(codes), _CHUNK):
        # One byte before the chunk (the lead) and 18 after (a run's end).
        window = codes[max(first - 1, 0) : first + _CHUNK + _DIGITS - 1]
        starts = _run_starts(window)
        if _LEADS[window[starts[starts > 0] - 1]].any():
            return True
    return False


def _all_digits(codes):
    return bool(((codes - np.uint8(ord("0"))) < 10).all())


def _run_starts(codes):
    """Indexes `i` of `codes` where ``codes[i : i + 19]`` are all digits."""
    runs = (codes - np.uint8(ord("0"))) < 10  # uint8 wraps below "0"
    # Runs of 2, 4, 8, 16, then 19 digits: each step joins two shorter ones.
    for step in (1, 2, 4, 8, _DIGITS - 16):
        runs = runs[:-step] & runs[step:]
    return np.flatnonzero(runs)
