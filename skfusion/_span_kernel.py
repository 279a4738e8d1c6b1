"""Numba kernels of `features_from_logits`: top tokens and best pair per window.

Imported only when features are computed, so that predicting never imports
numba. No fastmath: the selection compares the logits and their sums
exactly as numpy and transformers do (float32 sums stay float32).
"""

import numpy as np

from ._numba_math import _jit


@_jit(fastmath=False)
def top_tokens(logits, n, tokens, clear):
    """Per row, its `n` highest logits' tokens, highest first, where clear.

    A row is clear where its `n` highest logits are distinct and beat all
    the others: then ``np.argsort(row)[-1 : -n - 1 : -1]`` is that list
    whatever the sort's tie rule. Rows that are not clear are left to the
    caller (an argsort). Requires ``n < seq_len``.

    Without sorting the row: its tokens, dealt round-robin into at least
    n + 1 groups, give group maxima whose (n + 1)-th highest, `bound`, is
    at most the row's (n + 1)-th highest (n + 1 groups hold a value at
    least as high). The few logits at least `bound` are then ranked by
    counting the higher ones, in vectorisable loops.

    Returns the first row holding a non-finite logit, or -1.
    """
    n_rows, seq_len = logits.shape
    groups = max(n + 1, min(32, seq_len))
    maxima = np.empty(groups, dtype=logits.dtype)
    n_chunks = -(-seq_len // groups)
    chunk_max = np.empty(n_chunks, dtype=logits.dtype)
    # Padded with -inf, which no finite logit is below, so that the counting
    # loops run over whole vectors.
    found = np.empty(seq_len + 16, dtype=np.intp)
    found_value = np.full(seq_len + 16, -np.inf, dtype=logits.dtype)
    hits = np.empty(n, dtype=np.intp)
    for row in range(n_rows):
        x = logits[row]
        nonfinite = False
        maxima[:] = x[:groups]
        for c in range(n_chunks):
            chunk = x[c * groups : (c + 1) * groups]
            top = chunk[0]
            for g in range(len(chunk)):
                v = chunk[g]
                nonfinite |= v - v != 0  # NaN for an infinity or a NaN
                maxima[g] = v if v > maxima[g] else maxima[g]
                top = v if v > top else top
            chunk_max[c] = top
        if nonfinite:
            return row
        bound = _nth_highest(maxima, n + 1)
        count = 0
        for c in range(n_chunks):
            if chunk_max[c] < bound:
                continue
            for k in range(c * groups, min(seq_len, (c + 1) * groups)):
                found[count] = k
                found_value[count] = x[k]
                count += x[k] >= bound
        padded = found_value[: count + (-count) % 16]
        padded[count:] = -np.inf
        hits[:] = 0
        for a in range(count):
            rank = _count_above(padded, found_value[a])
            if rank < n:
                tokens[row, rank] = found[a]
                hits[rank] += 1
        # Each of the first n ranks held by one logit: distinct, and the
        # others (ranked n or more) strictly below them.
        clear[row] = (hits == 1).all()
    return -1


@_jit(fastmath=False, inline="always")
def _count_above(values, value):
    """How many of `values` are above `value`."""
    count = 0
    for v in values:
        count += v > value
    return count


@_jit(fastmath=False, inline="always")
def _nth_highest(values, n):
    """The `n`-th highest of `values` (ties counted), by counting."""
    found = values[0]
    first = True
    for m in values:
        at_least = 0
        for v in values:
            at_least += v >= m
        if at_least >= n and (first or m > found):
            found = m
            first = False
    return found


@_jit(fastmath=False)
def best_pairs(start_logits, end_logits, starts, ends, chars, max_length, out):
    """Per window, the best candidate span among its top starts and ends.

    `starts` and `ends` are the top tokens in rank order, -1 where outside
    the context; ``chars`` (start character of each top start, end
    character of each top end) is empty, or makes an empty text invalid.
    transformers appends pairs start-major, its stable sort keeping the
    first of equal scores: so each start's first valid end is its best
    pair, and the first start with the highest such score wins (the first
    candidate wins even where its sum overflowed to -inf).

    Writes per window the best score, start and end token (-1 where no
    candidate) into ``out`` (score, start, end arrays).
    """
    score_out, start_out, end_out = out
    n_windows, n = starts.shape
    use_chars = chars.shape[0] > 0
    for w in range(n_windows):
        best = start_logits[w, 0]  # overwritten by the first candidate
        best_start = -1
        best_end = -1
        for i in range(n):
            s = starts[w, i]
            if s < 0:
                continue
            for j in range(ends.shape[1]):
                e = ends[w, j]
                if e < s or e - s >= max_length:
                    continue  # includes e = -1, outside the context
                if use_chars and chars[1, w, j] <= chars[0, w, i]:
                    continue
                score = start_logits[w, s] + end_logits[w, e]
                if best_start < 0 or score > best:
                    best, best_start, best_end = score, s, e
                break
        score_out[w] = best
        start_out[w] = best_start
        end_out[w] = best_end
