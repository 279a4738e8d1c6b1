"""Strict JSON reading for every loader: one line naming the file on any fault.

Python's ``json`` keeps the last of two equal keys: a score file with a
question given twice would load one of its scores silently. Here a key given
twice in any object, a byte that is not UTF-8, a compressed or binary file,
nesting beyond the interpreter's recursion limit and a document of the wrong
kind are each an error that names the file and what was expected. orjson
parses a file first where it gives ``json``'s values (`_fast_json`); every
fault is found and named by ``json``'s reading.
"""

import collections
import contextlib
import errno
import gc
import json
import os
import stat
from itertools import chain, compress

import numpy as np

from ._base import few, short
from ._fast_json import fast_loads

# The first bytes of files that are often given by mistake for JSON.
_MAGIC = {
    b"\x1f\x8b": "gzip-compressed (decompress it first)",
    b"PK\x03\x04": "a zip archive",
    b"\x80": "a pickle",
    b"\xff\xfe": "UTF-16 text",
    b"\xfe\xff": "UTF-16 text",
    b"\xef\xbb\xbf": "UTF-8 text that starts with a byte-order mark (save it without)",
}
_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean"}


def _strict_decoder(found):
    """Return a decoder that notes in `found` each object with a key given twice.

    json's default keeps the last of two equal keys; noting (rather than
    raising in the hook) lets the error say where the object is.
    """

    def strict_object(pairs):
        obj = dict(pairs)
        if len(obj) != len(pairs):
            counts = collections.Counter(key for key, _ in pairs)
            found.append(([key for key, n in counts.items() if n > 1], obj))
        return obj

    return json.JSONDecoder(object_pairs_hook=strict_object)


_PLAIN = json.JSONDecoder()
_IS_DICT = frozenset({dict}).__contains__
_IS_LIST = frozenset({list}).__contains__
_CONTAINERS = frozenset({dict, list})


def _decode(text, found, counts=None):
    """Parse `text`, noting in `found` each object with a key given twice.

    The hook that sees each object's pairs costs a Python call per object;
    json's own dicts are built in C. So the text is parsed plainly, and the
    number of entries of its objects compared with a bound on the number of
    keys in the text (each key is followed by a colon): equal, no key was
    given twice. Otherwise (colons inside strings, or a key given twice) the
    text is parsed again, with the hook. Characters are counted in the
    text's UTF-8 bytes, where the ASCII ones looked for are single bytes,
    never part of another character; `counts` are `_ascii_counts` of them
    where the caller made them from the file's bytes.
    """
    content = _PLAIN.decode(text)
    if _keys_once(content, counts or _ascii_counts(text.encode()), text):
        return content
    return _strict_decoder(found).decode(text)


def _keys_once(content, counts, source):
    """Whether no object of `content` was given a key twice in its text.

    `counts` are `_ascii_counts` of the text, `source` the text or its UTF-8
    bytes (encoded only where the colons alone do not settle it).
    """
    entries = _entry_count(content, counts["{"] + counts["["])
    if entries == counts[":"]:
        return True
    raw = source.encode() if isinstance(source, str) else source
    return entries == _key_bound(raw)


_CHUNK = 1 << 20  # bytes counted at a time, in cache (no file-sized mask)
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_JSON_SPACE = np.frombuffer(b" \t\n\r", dtype=np.uint8)


def _ascii_counts(raw):
    """Return how many colons, braces and brackets the bytes `raw` hold."""
    codes = np.frombuffer(raw, dtype=np.uint8)
    counts = dict.fromkeys(":{[", 0)
    for first in range(0, len(codes), _CHUNK):
        chunk = codes[first : first + _CHUNK]
        for c in counts:
            counts[c] += int(np.count_nonzero(chunk == ord(c)))
    return counts


def _key_bound(raw):
    """Return an upper bound on the keys in the bytes `raw`.

    A colon counts where the last character before it other than JSON white
    space is a quote. Without an escaped backslash anywhere, a quote right
    after a backslash is inside a string, so not the end of a key.
    """
    codes = np.frombuffer(raw, dtype=np.uint8)
    unescaped = b"\\\\" not in raw
    bound = 0
    for first in range(0, len(codes), _CHUNK):
        colons = first + np.flatnonzero(codes[first : first + _CHUNK] == ord(":"))
        bound += _quoted_colons(codes, colons[colons > 0], unescaped)
    return bound


def _quoted_colons(codes, colons, unescaped):
    """How many of the `colons` (indexes in `codes`) follow a key's quote."""
    before = colons - 1
    quoted = codes[before] == _QUOTE
    count = int(np.count_nonzero(quoted))
    if unescaped:
        escaped = before[quoted & (before > 0)]
        count -= int(np.count_nonzero(codes[escaped - 1] == _BACKSLASH))
    # Colons after white space: step back over it, all at once.
    spaced = before[np.isin(codes[before], _JSON_SPACE)]
    while spaced.size:
        spaced = spaced[spaced > 0] - 1
        space = np.isin(codes[spaced], _JSON_SPACE)
        count += int(np.count_nonzero(codes[spaced[~space]] == _QUOTE))
        spaced = spaced[space]
    return count


def _entry_count(content, containers):
    """Return the number of entries of all objects in `content`, level by level.

    Each object or array comes from a brace or bracket of the text (of which
    there are `containers`): once as many have been seen, no level below
    holds one, and the last level (numbers and strings, the most values) is
    not looked at.
    """
    total, dicts, lists = 0, *_split([content], [type(content)], {type(content)})
    seen = len(dicts) + len(lists)
    while dicts or lists:
        total += sum(map(len, dicts))
        if seen == containers:
            break
        values = chain.from_iterable(map(dict.values, dicts))
        values = list(chain(values, chain.from_iterable(lists)))
        kinds = list(map(type, values))
        present = set(kinds)
        if present.isdisjoint(_CONTAINERS):
            break
        dicts, lists = _split(values, kinds, present)
        seen += len(dicts) + len(lists)
    return total


def _split(level, kinds, present):
    """Return the dicts and the lists of `level`, whose types are `kinds`.

    `present` is the set of `kinds`.
    """
    dicts = level if present == {dict} else _only(level, kinds, _IS_DICT)
    lists = level if present == {list} else _only(level, kinds, _IS_LIST)
    return dicts, lists


def _only(level, kinds, keep):
    return list(compress(level, map(keep, kinds)))


@contextlib.contextmanager
def paused_gc():
    """Pause the cyclic garbage collector, restoring its state after.

    Parsed JSON holds no reference cycles, but each of the collector's full
    passes walks every object of it: loading a large run would pay several.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _locate(root, target):
    """Return where `target` sits in `root`, as ``['q1'][2]``, by identity."""
    stack = [(root, "")]
    while stack:
        value, where = stack.pop()
        if value is target:
            return where or "the top level"
        if isinstance(value, (dict, list)):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend(
                (v, f"{where}[{short(k, 40)}]")
                for k, v in items
                if isinstance(v, (dict, list))
            )
    return "an object"


def json_type(value):
    """Return the JSON name of `value`'s type, for error messages."""
    return _TYPES.get(
        type(value), "number" if isinstance(value, (int, float)) else "null"
    )


def read_bytes(path, *, what, limit=None):
    """Read the regular file `path` whole, refusing one of over `limit` bytes.

    A path that cannot be read is an OSError naming it; a FIFO or a device
    (which could block or never end) is refused before it is opened.
    """
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        if not stat.S_ISREG(mode):
            raise ValueError(f"{path}: not a regular file; expected {what}.")
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if limit is not None and size > limit:
                raise ValueError(
                    f"{path}: {size} bytes; expected {what} of at most {limit} bytes."
                )
            return f.read()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise type(exc)(f"{path}: cannot read {what}: {reason}.") from None


def refuse_binary(raw, path, what):
    """Refuse the bytes `raw` of a compressed or binary file, naming it."""
    for magic, kind in _MAGIC.items():
        if raw.startswith(magic):
            raise ValueError(f"{path}: is {kind}; expected {what}, as UTF-8 text.")


def decode_text(raw, path, what):
    """`raw` as UTF-8 text; a binary or compressed file is one line naming it."""
    refuse_binary(raw, path, what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not UTF-8 text (byte {raw[exc.start]:#04x} at offset "
            f"{exc.start}); expected {what}, as UTF-8 text."
        ) from None


class _ExtraData(ValueError):
    """More than one JSON document: perhaps JSON lines."""


def _parse(text, path, what, line=None, top="key", counts=None):
    """Parse one JSON document; any fault is a ValueError naming the file.

    `counts`: `_ascii_counts` of the text, where at hand.
    """
    lead = f"{path}: " if line is None else f"{path}: line {line}: "
    invalid = f"{path}: " + ("" if line is None else f"line {line} is ") + "not valid"
    found = []
    try:
        content = _decode(text, found, counts)
    except json.JSONDecodeError as exc:
        error = _ExtraData if exc.msg == "Extra data" else ValueError
        raise error(f"{invalid} JSON ({exc}); expected {what}.") from None
    except RecursionError:
        raise ValueError(f"{lead}JSON nested too deeply; expected {what}.") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ValueError(
            f"{invalid} JSON ({short(str(exc), 120)}); expected {what}."
        ) from None
    if found:
        keys, obj = found[0]
        if obj is content:
            twice = f"{len(keys)} {top}(s) given twice"
        else:
            at = _locate(content, obj)
            twice = f"{len(keys)} key(s) given twice in one JSON object (at {at})"
        raise ValueError(f"{lead}{twice}, e.g. {few(keys)}; expected each once.")
    return content


def read_json(path, *, what, lines=False, top="key"):
    """Parse a JSON file strictly; every fault is one line naming the file.

    Parameters
    ----------
    path : path-like
        The file.
    what : str
        What the file should hold, for the error messages.
    lines : bool, default=False
        Also accept JSON lines (one document per line), returned as a list.
    top : str, default="key"
        What the keys of the top-level object are, for the error messages.
    """
    raw = read_bytes(path, what=what)
    refuse_binary(raw, path, what)
    counts = _ascii_counts(raw)
    content = fast_loads(raw)
    if content is not None and _keys_once(content, counts, raw):
        return content
    del content  # json reads it again, naming any fault
    text = decode_text(raw, path, what)
    del raw  # not kept beside the parsed content
    try:
        return _parse(text, path, what, top=top, counts=counts)
    except _ExtraData:
        if not lines:
            raise
    return [
        _parse(text_line, path, what, line=number)
        for number, text_line in enumerate(text.split("\n"), 1)
        if text_line.strip()
    ]


def read_json_object(path, *, what):
    """Parse a JSON file that must be a non-empty ``{question id: ...}`` object.

    Parameters
    ----------
    path : path-like
        The file.
    what : str
        What each question id maps to, for the error messages.
    """
    content = read_json(
        path, what=f"a JSON object mapping question ids to {what}", top="question id"
    )
    if not isinstance(content, dict):
        raise ValueError(
            f"{path}: expected a JSON object mapping question ids to {what}, "
            f"found a JSON {json_type(content)}."
        )
    if not content:
        raise ValueError(f"{path}: holds no questions (an empty JSON object).")
    return content
