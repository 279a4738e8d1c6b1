"""orjson's parse (the fast extra) reads every file as json's does, or leaves it."""

import json
import math
import re
import struct
import warnings
from decimal import Decimal, localcontext
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfusion.datasets import _fast_json, load_reader_outputs, write_squad_example
from skfusion.datasets._fast_json import fast_loads, may_hold_long_integer
from skfusion.datasets._json import read_json
from tests._parsers import PARSERS, parser

orjson = pytest.importorskip("orjson")


def _outcome(path, **kwargs):
    """What `read_json` gives: the content, or the error's line."""
    try:
        return "value", read_json(path, what="anything", **kwargs)
    except ValueError as exc:
        return "error", str(exc)


def _exact(value):
    """`value` written out, so that types, key order and float bits all show.

    ``json.dumps`` writes 1 and 1.0, -0.0 and NaN apart, and each float in
    its round-trip ``repr``; it also recurses in C, where a nested document
    that ``json`` reads is not too deep for it.
    """
    return json.dumps(value)


def _json_file(folder, text):
    path = folder / "f.json"
    path.write_text(text, encoding="utf-8")
    return path


def _same_outcome(path, piece=None, **kwargs):
    # Small pieces split a document at many of its members.
    pieces = mock.patch.object(_fast_json, "_PIECE", piece or _fast_json._PIECE)
    with parser("orjson"), pieces:
        fast = _outcome(path, **kwargs)
    with parser("json"):
        plain = _outcome(path, **kwargs)
    if fast[0] == plain[0] == "value":
        assert _exact(fast[1]) == _exact(plain[1])
    else:
        assert fast == plain


# -- The scan for integers beyond 64 bits, against a regex -------------------

_LONG_INTEGER = re.compile(rb"(?:^|[-\[,: \t\n\r])[0-9]{19}")
_PIECES = st.one_of(
    st.sampled_from([b"-", b"[", b",", b":", b" ", b"\n", b"\r", b"\t", b".", b"e"]),
    st.sampled_from([b'"', b"a", b"]", b"{", b"+", b"/"]),
    st.integers(1, 24).flatmap(
        lambda n: st.text("0123456789", min_size=n, max_size=n).map(str.encode)
    ),
)


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(_PIECES, max_size=12), chunk=st.integers(1, 48))
def test_the_long_integer_scan_finds_what_a_regex_finds(pieces, chunk):
    # Small chunks put runs and their leading byte across chunk boundaries.
    raw = b"".join(pieces)
    with mock.patch.object(_fast_json, "_CHUNK", chunk):
        found = may_hold_long_integer(raw)
    assert found == (_LONG_INTEGER.search(raw) is not None)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 12345678901234567890123}',
        "[-9223372036854775809]",
        "[18446744073709551616]",
        "123456789012345678901234567890",
    ],
)
def test_an_integer_beyond_64_bits_stays_an_int(text, tmp_path):
    # orjson alone would make each of these a float.
    path = _json_file(tmp_path, text)
    assert fast_loads(text.encode()) is None
    with parser("orjson"):
        content = read_json(path, what="anything")
    assert json.loads(text) == content
    assert _exact(json.loads(text)) == _exact(content)


def test_a_probability_with_leading_zeros_is_read_by_orjson():
    # 19 digits after the point follow a ".": no integer, orjson reads it.
    raw = b'{"p": 0.0004498194265035312}'
    assert not may_hold_long_integer(raw)
    assert fast_loads(raw) == {"p": 0.0004498194265035312}


# -- Documents: orjson's values are json's, or json reads the file -----------

_FLOATS = st.floats(allow_nan=True, allow_infinity=True)
# Any code point, lone surrogates included (json writes them escaped).
_TEXT = st.text(st.characters(exclude_categories=()), max_size=6)
_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), _FLOATS, _TEXT
)
_DOCUMENTS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)


_PIECES_OF = st.sampled_from([None, 1, 5, 40])


@settings(max_examples=300, deadline=None)
@given(
    document=_DOCUMENTS,
    ensure_ascii=st.booleans(),
    indent=st.sampled_from([None, 0, 2, "\t"]),
    piece=_PIECES_OF,
)
def test_a_document_reads_the_same_with_either_parser(
    document, ensure_ascii, indent, piece, tmp_path_factory
):
    path = tmp_path_factory.mktemp("doc") / "f.json"
    text = json.dumps(document, ensure_ascii=ensure_ascii, indent=indent)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _same_outcome(path, piece)


_EDITS = st.sampled_from([*'{}[],:"\\ 0123456789.eE-+tfnul\x00\x01', "\u00e9"])


@settings(max_examples=300, deadline=None)
@given(document=_DOCUMENTS, data=st.data())
def test_a_damaged_document_reads_the_same_with_either_parser(
    document, data, tmp_path_factory
):
    if not isinstance(document, dict):  # mostly objects, as the readers write
        document = {"q": document, "r": [document]}
    text = json.dumps(document, indent=data.draw(st.sampled_from([None, 1, 4])))
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 2))
    edit = data.draw(st.text(_EDITS, max_size=2))
    damaged = text[:at] + edit + text[at + cut :]
    path = tmp_path_factory.mktemp("damaged") / "f.json"
    path.write_text(damaged, encoding="utf-8", errors="surrogatepass")
    _same_outcome(path, data.draw(_PIECES_OF), lines=data.draw(st.booleans()))


def test_an_object_one_member_per_line_is_parsed_in_pieces():
    document = {f"q{i}": [{"text": "a:b", "start_logit": i / 7}] for i in range(50)}
    # As the readers write it: indent=4, then a newline.
    raw = (json.dumps(document, indent=4) + "\n").encode()
    calls = mock.Mock(wraps=orjson.loads)
    with (
        mock.patch.object(_fast_json, "_PIECE", 100),
        mock.patch.object(orjson, "loads", calls),
    ):
        content = fast_loads(raw)
    assert calls.call_count > 10
    assert _exact(content) == _exact(document)


def _halfway(bits, nudge):
    """The decimal halfway between a double and the next, maybe nudged."""
    x = struct.unpack("<d", struct.pack("<Q", bits))[0]
    up = math.nextafter(x, math.inf)
    if not (math.isfinite(x) and math.isfinite(up)):
        return "1.5"
    with localcontext() as context:
        context.prec = 1200
        middle = (Decimal(x) + Decimal(up)) / 2
        middle = {0: middle, 1: middle.next_plus(), -1: middle.next_minus()}[nudge]
        return format(middle, "e")


_NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.builds(_halfway, st.integers(0, 2**64 - 1), st.sampled_from([-1, 0, 1])),
    st.from_regex(
        r"-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,30})?([eE][-+]?[0-9]{1,3})?", fullmatch=True
    ),
)


@settings(max_examples=1000, deadline=None)
@given(number=_NUMBERS)
def test_numbers_parse_as_json_parses_them(number):
    # Halfway cases between two doubles are where a parser's rounding shows.
    content = fast_loads(f"[{number}]".encode())
    if content is not None:
        assert _exact(content) == _exact(json.loads(f"[{number}]"))


@pytest.mark.parametrize(
    "text",
    ["[NaN]", "[Infinity]", "[-1e400]", '["\\ud800"]', "[" * 1100 + "]" * 1100],
)
def test_what_orjson_refuses_is_left_to_json(text, tmp_path):
    path = tmp_path / "f.json"
    path.write_text(text, encoding="utf-8")
    assert fast_loads(text.encode()) is None
    _same_outcome(path)


@pytest.mark.parametrize(
    "text",
    [
        '{\n    "a": 1,\n    "b": [2]\n]',
        '{\n    "a": 1,\n    "b": [2]\n}}',
        '{\n    "a": 1,\n    "b": [2]\n}\n{',
        'x{\n    "a": 1,\n    "b": [2]\n}',
        'x\n    "a": 1,\n    "b": [2]\n}',
        '[\n    "a": 1,\n    "b": [2]\n}',
        '{\n    "a": 1,\n    "b": [2]\n',
        '{\n    "a": 1,,\n    "b": [2]\n}',
    ],
)
def test_a_damaged_object_one_member_per_line_is_refused_alike(text, tmp_path):
    # Each piece alone may parse: only the whole says the document is broken.
    _same_outcome(_json_file(tmp_path, text), piece=1)


def test_json_reads_a_file_for_which_orjson_has_no_memory(tmp_path):
    path = _json_file(tmp_path, '{"a": [1.5, "b"]}')
    with parser("orjson"), mock.patch.object(orjson, "loads", side_effect=MemoryError):
        assert fast_loads(path.read_bytes()) is None
        assert read_json(path, what="anything") == {"a": [1.5, "b"]}


def test_without_orjson_json_reads_every_file():
    with parser("json"):
        assert fast_loads(b"[1]") is None


# -- Whole runs ---------------------------------------------------------------


def _arrays(bunch):
    return {
        key: value.tolist() if isinstance(value, np.ndarray) else value
        for key, value in bunch.items()
        if key != "DESCR"
    }


@pytest.mark.parametrize("prefix", [None, "eval"])
def test_a_run_loads_the_same_with_either_parser(prefix, tmp_path):
    paths = write_squad_example(
        tmp_path, n_questions=150, prefix=prefix, random_state=5
    )
    loaded = {}
    for name in PARSERS:
        with parser(name), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the simulator's no-span questions
            loaded[name] = _arrays(load_reader_outputs(tmp_path, dev=paths["dev"]))
    assert loaded["orjson"] == loaded["json"]
