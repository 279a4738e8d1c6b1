"""Numba kernels of `features_from_logits`: top tokens and best pair per window.

Imported only when features are computed, so that predicting never imports
numba. No fastmath: the selection compares the logits and their sums
exactly as numpy and transformers do (float32 sums stay float32).
"""

import numpy as np

from .._solvers._numba_math import _jit


@_jit(fastmath=False)
def group_maxima(logits, maxima):
    """Per row, the maxima of its tokens dealt round-robin into groups.

    With ``groups = maxima.shape[1]``: group ``g`` holds tokens ``g``,
    ``g + groups``, ... Returns the first row holding a non-finite logit,
    or -1. Both run lane by lane, so that they vectorise without
    reassociating: a maximum or sum across lanes would be one long chain.
    """
    n_rows, seq_len = logits.shape
    groups = maxima.shape[1]
    lanes = np.empty(groups, dtype=logits.dtype)
    for row in range(n_rows):
        x = logits[row]
        group_max = maxima[row]
        group_max[:] = x[:groups]
        lanes[:] = 0
        for base in range(0, seq_len, groups):
            chunk = x[base : base + groups]
            for g in range(len(chunk)):
                v = chunk[g]
                lanes[g] += v - v  # NaN for an infinity or a NaN
                group_max[g] = v if v > group_max[g] else group_max[g]
        for g in range(groups):
            if lanes[g] != 0:
                return row
    return -1


@_jit(fastmath=False)
def top_tokens(logits, n, bounds, tokens, clear):
    """Per row, its `n` highest logits' tokens, highest first, where clear.

    A row is clear where its `n` highest logits are distinct and beat all
    the others: then ``np.argsort(row)[-1 : -n - 1 : -1]`` is that list
    whatever the sort's tie rule. Rows that are not clear are left to the
    caller (an argsort).

    ``bounds`` holds per row a value that at least n + 1 of its logits
    reach, at most the row's (n + 1)-th highest (see `group_maxima`). The
    few logits at least that high are flagged in one vectorised pass,
    gathered from the 8-token words that hold a flag, and ranked by
    counting the higher ones, in a loop that vectorises without
    reassociating.
    """
    n_rows, seq_len = logits.shape
    n_words = -(-seq_len // 8)
    # Zero past seq_len, so that the last word reads no stale flag.
    flags = np.zeros(n_words * 8, dtype=np.uint8)
    words = flags.view(np.uint64)
    found = np.empty(seq_len + 8, dtype=np.intp)
    # Padded with -inf, below every finite logit, to whole vectors.
    found_value = np.full(seq_len + 16, -np.inf, dtype=logits.dtype)
    ranks = np.empty(seq_len + 16, dtype=np.int32)
    ranked = np.empty(seq_len, dtype=np.intp)
    hits = np.empty(seq_len, dtype=np.int32)
    for row in range(n_rows):
        x = logits[row]
        bound = bounds[row]
        for k in range(seq_len):
            flags[k] = x[k] >= bound
        count = 0
        for w in range(n_words):
            if words[w]:
                for k in range(8 * w, 8 * w + 8):
                    found[count] = k
                    count += flags[k]
        for a in range(count):
            found_value[a] = x[found[a]]
        padded = count + (-count) % 16
        found_value[count:padded] = -np.inf
        _count_higher(found_value, padded, count, ranks)
        # Without branches: each logit files its token under its rank.
        hits[:count] = 0
        for a in range(count):
            ranked[ranks[a]] = found[a]
            hits[ranks[a]] += 1
        # Each of the first n ranks held by one logit: distinct, and the
        # others (ranked n or more) strictly below them.
        each_once = True
        for r in range(n):
            each_once &= hits[r] == 1
            tokens[row, r] = ranked[r]
        clear[row] = each_once


@_jit(fastmath=False, inline="always")
def _count_higher(values, size, count, ranks):
    """``ranks[a]``: how many of ``values[:count]`` beat ``values[a]``.

    For all ``a < size``; one vectorised pass per value.
    """
    ranks[:size] = 0
    for b in range(count):
        v = values[b]
        for a in range(size):
            ranks[a] += np.int32(v > values[a])


@_jit(fastmath=False)
def best_pairs(logits, tops, known, chars, max_length, windows, out, wanted, pending):
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
    possible end of an unknown start, and listed in ``pending``; its
    score, start and end (-1 if no candidate) go to ``out`` otherwise.
    Only the given `windows` are processed. Returns how many are pending.
    """
    n_wanting = 0
    for w in windows:
        score, start, end, done = _best_pair(
            logits, tops, known, chars, max_length, w, wanted
        )
        if done:
            out[0][w], out[1][w], out[2][w] = score, start, end
        else:
            pending[n_wanting] = w
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


@_jit(fastmath=False)
def per_example(codes, null_score, has_span, span_score, out):
    """Per example: its first window, that of its null, that of its span.

    The null is the lowest, the span the highest among windows with one
    (any window where none has one); ties go to the window that comes
    first, as transformers meets an example's windows in input order.
    ``out`` holds the three arrays of windows, filled with -1.
    """
    first, null_window, span_window = out
    for w in range(len(codes)):
        e = codes[w]
        if first[e] < 0:
            first[e] = null_window[e] = span_window[e] = w
            continue
        if null_score[w] < null_score[null_window[e]]:
            null_window[e] = w
        best = span_window[e]
        if has_span[w] and (not has_span[best] or span_score[w] > span_score[best]):
            span_window[e] = w


@_jit(fastmath=False)
def gather(mask, tokens):
    """Return ``mask[w, tokens[w, i]]`` as int8: 1 in the context, 0 not."""
    out = np.empty(tokens.shape, dtype=np.int8)
    for w in range(tokens.shape[0]):
        for i in range(tokens.shape[1]):
            out[w, i] = mask[w, tokens[w, i]]
    return out
