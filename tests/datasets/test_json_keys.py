"""The strict reader's check for keys given twice, against json's pairs hook."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skfusion.datasets._json import read_json
from tests._parsers import PARSERS, parser

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


@pytest.mark.parametrize("name", PARSERS)
@settings(max_examples=500, deadline=None)
@given(text=_values())
def test_a_key_given_twice_is_found_wherever_it_is(name, text, tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "f.json"
    path.write_text(text, encoding="utf-8")
    expected, repeated = _has_repeated_key(text)
    with parser(name):
        if repeated:
            with pytest.raises(ValueError, match="given twice"):
                read_json(path, what="anything")
        else:
            assert read_json(path, what="anything") == expected
