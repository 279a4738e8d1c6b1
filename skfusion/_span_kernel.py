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
    """Return the `n`-th highest of `values` (ties counted), by counting."""
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
def best_pairs(logits, tops, known, chars, max_length, windows, out, wanted):
    """Per window, the best candidate span among its top starts and ends.

    ``logits``, ``tops``, ``known`` and ``chars`` are (start, end) pairs:
    the logits, the top tokens in rank order, whether each top token is in
    the context (1), not (0) or not yet known (-1), and the character each
    one bounds where known (an empty text is no candidate), or empty
    arrays to ignore characters. transformers appends pairs start-major,
    its stable sort keeping the first of equal scores: so each start's
    first valid end is its best pair, and the first start with the highest
    such score wins (the first candidate even if its sum is -inf).

    A start is skipped when even its first possible end cannot beat the
    best so far, so that few tokens need be known. Where one is needed,
    the window is left, marked in ``wanted`` (start, end) with the first
    possible end of an unknown start; its score, start and end (-1 if no
    candidate) go to ``out`` otherwise. Only the given `windows` are
    processed. Returns how many windows want tokens.
    """
    n_wanting = 0
    for w in windows:
        score, start, end, done = _best_pair(
            logits, tops, known, chars, max_length, w, wanted
        )
        if done:
            out[0][w], out[1][w], out[2][w] = score, start, end
        else:
            n_wanting += 1
    return n_wanting


@_jit(fastmath=False, inline="always")
def _best_pair(logits, tops, known, chars, max_length, w, wanted):
    """`best_pairs` for window `w`: score, start, end and whether done."""
    start_logits, end_logits = logits
    starts, ends = tops
    known_start, known_end = known
    use_chars = chars[0].shape[0] > 0
    best = start_logits[w, 0]  # overwritten by the first candidate
    best_start = best_end = -1
    top_end = end_logits[w, ends[w, 0]]
    for i in range(starts.shape[1]):
        s = starts[w, i]
        if best_start >= 0 and not start_logits[w, s] + top_end > best:
            break  # neither this start nor a lower one can beat the best
        if known_start[w, i] == 0:
            continue
        first = _first_possible_end(ends[w], known_end[w], s, max_length, 0)
        if first < 0:
            continue
        bound = start_logits[w, s] + end_logits[w, ends[w, first]]
        if best_start >= 0 and not bound > best:
            continue  # its ends are no higher than the first
        if known_start[w, i] < 0:
            wanted[0][w, i] = True
            wanted[1][w, first] = known_end[w, first] < 0
            return best, best_start, best_end, False
        j = first
        while j >= 0:
            if known_end[w, j] < 0:
                wanted[1][w, j] = True
                return best, best_start, best_end, False
            if not use_chars or chars[1][w, j] > chars[0][w, i]:
                e = ends[w, j]
                score = start_logits[w, s] + end_logits[w, e]
                if best_start < 0 or score > best:
                    best, best_start, best_end = score, s, e
                break
            j = _first_possible_end(ends[w], known_end[w], s, max_length, j + 1)
    return best, best_start, best_end, True


@_jit(fastmath=False, inline="always")
def _first_possible_end(ends, known, start, max_length, first):
    """Return the first rank from `first` of an end that may pair with `start`."""
    for j in range(first, ends.shape[0]):
        if known[j] != 0 and 0 <= ends[j] - start < max_length:
            return j
    return -1
