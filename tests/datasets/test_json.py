"""The strict JSON reader against json: its values, and keys given twice."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfusion.datasets._json import read_json

# Keys and strings with colons, quotes and backslashes: what fools a count.
_STRINGS = st.text(alphabet=st.sampled_from('ab:"\\ \t{}'), max_size=4)
_SPACE = st.sampled_from(["", " ", "\n", "\t ", "\r\n"])


@st.composite
def _values(draw, depth=0):
    """A JSON text whose objects may repeat a key, written by hand."""
    choice = draw(st.integers(0, 3 if depth < 3 else 1))
    if choice == 0:
        return json.dumps(draw(_STRINGS))
    if choice == 1:
        return draw(st.sampled_from(["1", "2.5", "null", "true", "[]", "{}"]))
    if choice == 2:
        items = draw(st.lists(_values(depth + 1), max_size=3))
        return "[" + ", ".join(items) + "]"
    pairs = draw(st.lists(st.tuples(_STRINGS, _values(depth + 1)), max_size=4))
    return (
        "{"
        + ",".join(
            draw(_SPACE) + json.dumps(k) + draw(_SPACE) + ":" + draw(_SPACE) + v
            for k, v in pairs
        )
        + "}"
    )


def _has_repeated_key(text):
    repeated = []

    def hook(pairs):
        keys = [k for k, _ in pairs]
        repeated.append(len(set(keys)) < len(keys))
        return dict(pairs)

    return json.loads(text, object_pairs_hook=hook), any(repeated)


@settings(max_examples=500, deadline=None)
@given(text=_values())
def test_a_key_given_twice_is_found_wherever_it_is(text, tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "f.json"
    path.write_text(text, encoding="utf-8")
    expected, repeated = _has_repeated_key(text)
    if repeated:
        with pytest.raises(ValueError, match="given twice"):
            read_json(path, what="anything")
    else:
        assert read_json(path, what="anything") == expected


# Any code point (lone surrogates included), NaN, infinities, integers
# beyond 64 bits: what json reads beyond RFC 8259 reads the same.
_TEXT = st.text(st.characters(exclude_categories=()), max_size=6)
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    _TEXT,
)
_DOCUMENTS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    document=_DOCUMENTS,
    ensure_ascii=st.booleans(),
    indent=st.sampled_from([None, 0, 2, "\t"]),
)
def test_a_document_reads_as_json_reads_it(
    document, ensure_ascii, indent, tmp_path_factory
):
    path = tmp_path_factory.mktemp("doc") / "f.json"
    text = json.dumps(document, ensure_ascii=ensure_ascii, indent=indent)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        expected = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:  # a lone surrogate written unescaped
        with pytest.raises(ValueError, match=r"f.json: not UTF-8 text"):
            read_json(path, what="anything")
        return
    # json.dumps writes types, key order and float bits apart.
    assert json.dumps(read_json(path, what="anything")) == json.dumps(expected)
