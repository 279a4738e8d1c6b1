"""Strict reading of files: any fault is one line naming the file.

``json`` keeps the last of two equal keys: here a key given twice is an error,
as are bytes that are not UTF-8, a binary file and a document of the wrong kind.
"""

import collections
import errno
import json
import os
import stat

from ._base import few, short

# The first bytes of files that are often given by mistake for text.
_MAGIC = {
    b"\x1f\x8b": "gzip-compressed (decompress it first)",
    b"PK\x03\x04": "a zip archive",
    b"\x80": "a pickle",
    b"\xff\xfe": "UTF-16 text",
    b"\xfe\xff": "UTF-16 text",
    b"\xef\xbb\xbf": "UTF-8 text that starts with a byte-order mark (save it without)",
}
_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean"}


def read_bytes(path, *, what, limit=None):
    """Read the regular file `path` whole; any fault is an error naming it."""
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        if not stat.S_ISREG(mode):  # a FIFO or a device could block or never end
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


def decode_text(raw, path, what):
    """Return `raw` as UTF-8 text; a binary or compressed file is an error."""
    for magic, kind in _MAGIC.items():
        if raw.startswith(magic):
            raise ValueError(f"{path}: is {kind}; expected {what}, as UTF-8 text.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not UTF-8 text (byte {raw[exc.start]:#04x} at offset "
            f"{exc.start}); expected {what}, as UTF-8 text."
        ) from None


def _locate(root, target):
    """Return where `target` sits in `root`, as ``['q1'][2]``, by identity."""
    stack = [(root, "")]
    while stack:
        value, where = stack.pop()
        if value is target:
            return where
        items = value.items() if isinstance(value, dict) else enumerate(value)
        nested = [(k, v) for k, v in items if isinstance(v, (dict, list))]
        stack += [(v, f"{where}[{short(k, 40)}]") for k, v in nested]
    return "an object"


class ExtraData(ValueError):
    """More than one JSON document: perhaps JSON lines."""


def _parse(text, path, what, line=None, top="key"):
    """Parse one JSON document; a key given twice in any object is an error."""
    twice = []

    def pairs_once(pairs):
        obj = dict(pairs)
        if len(obj) != len(pairs):  # noted, so that the error can say where
            counts = collections.Counter(k for k, _ in pairs)
            twice.append(([k for k, n in counts.items() if n > 1], obj))
        return obj

    lead = f"{path}: " if line is None else f"{path}: line {line}: "
    invalid = f"{path}: " + ("" if line is None else f"line {line} is ") + "not valid"
    try:
        content = json.loads(text, object_pairs_hook=pairs_once)
    except json.JSONDecodeError as exc:
        error = ExtraData if exc.msg == "Extra data" else ValueError
        raise error(f"{invalid} JSON ({exc}); expected {what}.") from None
    except RecursionError:
        raise ValueError(f"{lead}JSON nested too deeply; expected {what}.") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ValueError(
            f"{invalid} JSON ({short(str(exc), 120)}); expected {what}."
        ) from None
    if twice:
        keys, obj = twice[0]
        where = f"{len(keys)} {top}(s) given twice"
        if obj is not content:
            where = f"{len(keys)} key(s) given twice in one JSON object (at "
            where += f"{_locate(content, obj)})"
        raise ValueError(f"{lead}{where}, e.g. {few(keys)}; expected each once.")
    return content


def read_json(path, *, what, lines=False, top="key"):
    """Parse the JSON file `path` strictly; JSON lines too if `lines`, as a list."""
    text = decode_text(read_bytes(path, what=what), path, what)
    try:
        return _parse(text, path, what, top=top)
    except ExtraData:
        if not lines:
            raise
    return [
        _parse(text_line, path, what, line=number)
        for number, text_line in enumerate(text.split("\n"), 1)
        if text_line.strip()
    ]


def read_json_object(path, *, what, content=None):
    """Parse (unless its `content` is given) a non-empty ``{question id: what}``."""
    expected = f"a JSON object mapping question ids to {what}"
    if content is None:
        content = read_json(path, what=expected, top="question id")
    if not isinstance(content, dict):
        found = _TYPES.get(type(content), "number" if content is not None else "null")
        raise ValueError(f"{path}: expected {expected}, found a JSON {found}.")
    if not content:
        raise ValueError(f"{path}: holds no questions (an empty JSON object).")
    return content
