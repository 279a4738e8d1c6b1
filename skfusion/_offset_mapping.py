"""run_qa.py's ``offset_mapping``, read only where transformers reads it.

transformers' question-answering examples mark the tokens outside the
context with None in ``offset_mapping``; the others hold their ``(start,
end)`` character offsets in the example's context. Its
``postprocess_qa_predictions`` reads the entries of each window's top start
and end tokens only, so this module reads those alone: a dev set's offsets
hold millions of Python objects, of which a few per cent are read.
"""

from itertools import chain, compress, repeat
from operator import getitem, is_not, itemgetter

import numpy as np


def offset_row_lengths(offset_mapping, shape):
    """Per window, the length of its offset_mapping row, checked."""
    dtype = getattr(offset_mapping, "dtype", np.dtype(object))
    lengths = np.array([_length(row) for row in offset_mapping], dtype=np.intp)
    if dtype != np.dtype(object) or len(lengths) != shape[0]:
        raise ValueError(
            f"offset_mapping has {len(lengths)} rows of dtype {dtype}; expected "
            f"{shape[0]} rows (one per window) of (start, end) pairs with None "
            "outside the context, as run_qa.py leaves them."
        )
    if (lengths < 0).any() or lengths.max() > shape[1]:
        window = int(np.argmax((lengths < 0) | (lengths > shape[1])))
        found = f"{lengths[window]} entries" if lengths[window] >= 0 else "no length"
        raise ValueError(
            f"offset_mapping[{window}] has {found}; expected a sequence of at most "
            f"seq_len={shape[1]} entries, one per token."
        )
    return lengths


def offsets_at(offset_mapping, lengths, starts, ends):
    """Context flags and characters of the top start and end tokens.

    `starts` and `ends` are (n_windows, n) token indexes. As in
    transformers, a token is outside the context where its index is past
    its row or its entry is None or shorter than 2; a start's character is
    its entry's first offset, an end's its second.

    Returns the starts and ends with -1 outside the context, and the
    characters as an array of shape (2, n_windows, n).
    """
    n = starts.shape[1]
    tokens = np.concatenate([starts, ends], axis=1)
    in_row = tokens < lengths[:, None]
    # Index 0 stands in for tokens past their row (rows without any entry
    # are read as a row of one None).
    safe = np.where(in_row, tokens, 0).tolist()
    rows = (row if length else (None,) for row, length in zip(offset_mapping, lengths))
    read = list(chain.from_iterable(map(_pick, safe, rows)))
    not_none = np.fromiter(map(is_not, read, repeat(None)), bool, len(read))
    not_none &= in_row.ravel()
    entries = list(compress(read, not_none))
    inside = not_none.copy()
    try:
        inside[not_none] = np.fromiter(map(len, entries), np.intp, len(entries)) >= 2
    except TypeError:
        _raise_bad_offset(offset_mapping, tokens, in_row, None)
    pairs = list(compress(read, inside))
    if set(map(len, pairs)) - {2}:
        _raise_bad_offset(offset_mapping, tokens, inside.reshape(tokens.shape), 2)
    side = np.zeros(tokens.shape, dtype=np.intp)
    side[:, n:] = 1  # an end's character is its second offset
    chars = np.zeros(tokens.shape, dtype=np.int64)
    chars.ravel()[inside] = _as_integers(
        map(getitem, pairs, side.ravel()[inside].tolist()), len(pairs)
    )
    tokens = np.where(inside.reshape(tokens.shape), tokens, -1)
    return tokens[:, :n], tokens[:, n:], np.stack([chars[:, :n], chars[:, n:]])


def _pick(indexes, row):
    """``row[i]`` for each of `indexes` (at least two), in C."""
    return itemgetter(*indexes)(row)


def _as_integers(offsets, count):
    """The offsets as int64, checked to be integers (floats allowed)."""
    try:
        values = np.fromiter(offsets, np.float64, count)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"offset_mapping holds an offset that is not a number ({error}); "
            "expected integer character offsets."
        ) from None
    integral = values == np.round(values)
    if not integral.all():
        raise ValueError(
            f"offset_mapping holds the offset {values[~integral][0]}; expected "
            "integer character offsets."
        )
    return values.astype(np.int64)


def _length(value):
    """``len(value)``, or -1 for a value without one."""
    try:
        return len(value)
    except TypeError:
        return -1


def _raise_bad_offset(offset_mapping, tokens, read, min_length):
    """Raise naming the first entry read that is neither None nor a pair.

    With `min_length` None, the first without a length; with 2, the first
    longer than a pair.
    """
    for window, column in zip(*np.nonzero(read), strict=True):
        token = tokens[window, column]
        entry = offset_mapping[window][token]
        length = _length(entry)
        if entry is not None and (length < 0 if min_length is None else length > 2):
            raise ValueError(
                f"offset_mapping[{window}][{token}] is {entry!r}; "
                "expected None or a (start, end) pair of character offsets."
            )
    raise AssertionError("no bad offset found")  # pragma: no cover
