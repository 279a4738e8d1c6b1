"""run_qa.py's ``offset_mapping`` as arrays: which tokens are context, and where.

transformers' question-answering examples mark the tokens outside the
context with None in ``offset_mapping``; the others hold their ``(start,
end)`` character offsets in the example's context.
"""

from itertools import chain, compress, repeat
from operator import is_not

import numpy as np


def context_from_offsets(offset_mapping, shape):
    """Mask and character offsets from run_qa's offset_mapping (None outside).

    Built with iterators that run in C: offset_mapping holds one Python
    object per token (millions for a dev set).
    """
    dtype = getattr(offset_mapping, "dtype", np.dtype(object))
    lengths = np.array([_length(row) for row in offset_mapping])
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
    flat = list(chain.from_iterable(offset_mapping))
    inside = np.fromiter(map(is_not, flat, repeat(None)), dtype=bool, count=len(flat))
    pairs = list(compress(flat, inside))
    if set(map(_length, pairs)) - {2}:
        _raise_bad_offset(offset_mapping)
    try:
        offsets = np.fromiter(chain.from_iterable(pairs), np.float64, 2 * len(pairs))
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"offset_mapping holds an offset that is not a number ({error}); "
            "expected integer character offsets."
        ) from None
    integral = offsets == np.round(offsets)
    if not integral.all():
        raise ValueError(
            f"offset_mapping holds the offset {offsets[~integral][0]}; expected "
            "integer character offsets."
        )
    window = np.repeat(np.arange(shape[0]), lengths)[inside]
    token = np.concatenate([np.arange(n) for n in lengths])[inside]
    mask = np.zeros(shape, dtype=bool)
    mask[window, token] = True
    chars = np.zeros((2, *shape), dtype=np.int64)
    chars[:, window, token] = offsets.reshape(-1, 2).T
    return mask, chars


def _length(value):
    """``len(value)``, or -1 for a value without one."""
    try:
        return len(value)
    except TypeError:
        return -1


def _raise_bad_offset(offset_mapping):
    """Raise naming the first offset_mapping entry that is not None or a pair."""
    for window, row in enumerate(offset_mapping):
        for token, entry in enumerate(row):
            if entry is not None and _length(entry) != 2:
                raise ValueError(
                    f"offset_mapping[{window}][{token}] is {entry!r}; expected None "
                    "or a (start, end) pair of character offsets."
                )
