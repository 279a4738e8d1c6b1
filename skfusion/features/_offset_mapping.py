"""run_qa.py's ``offset_mapping`` (millions of objects), read only where needed."""

from itertools import compress, repeat
from operator import getitem, itemgetter, length_hint

import numpy as np


def offset_row_lengths(offset_mapping, shape):
    dtype = getattr(offset_mapping, "dtype", np.dtype(object))
    lengths = np.array(
        [len(row) if hasattr(row, "__len__") else -1 for row in offset_mapping],
        dtype=np.intp,
    )
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


def read_until_done(run, tops, offset_mapping, lengths):
    """Call `run` (`best_pairs` on `tops`) until none pends, reading what it wants."""
    # A token past its row, or whose entry is None or shorter than 2, is
    # outside the context (as in transformers).
    known = tuple(np.where(t < lengths[:, None], -1, 0).astype(np.int8) for t in tops)
    chars = tuple(np.zeros(t.shape, dtype=np.int64) for t in tops)
    wanted = tuple(np.zeros(t.shape, dtype=bool) for t in tops)
    windows = np.arange(len(lengths))
    pending = np.empty(len(lengths), dtype=np.intp)
    while n_pending := run(known, chars, windows, wanted, pending):
        windows = pending[:n_pending].copy()
        for side in (0, 1):
            row, rank = np.nonzero(wanted[side][windows])
            window = windows[row]
            token = tops[side][window, rank]
            rows = map(offset_mapping.__getitem__, window.tolist())
            entries = list(map(getitem, rows, token.tolist()))
            state, char = _read(entries, side, window, token)
            known[side][window, rank] = state
            chars[side][window, rank] = char
            wanted[side][window, rank] = False


def _read(entries, side, window, token):
    length = np.fromiter(map(length_hint, entries, repeat(-1)), np.intp, len(entries))
    for k in np.flatnonzero((length < 0) | (length > 2)):
        if entries[k] is not None:
            raise ValueError(
                f"offset_mapping[{window[k]}][{token[k]}] is {entries[k]!r}; "
                "expected None or a (start, end) pair of character offsets."
            )
    pair = length == 2
    char = np.zeros(len(entries), dtype=np.int64)
    char[pair] = _as_integers(
        map(itemgetter(side), compress(entries, pair)), np.count_nonzero(pair)
    )
    return pair, char


def _as_integers(offsets, count):
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
