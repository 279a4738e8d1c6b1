"""Numba kernels of `features_from_logits`, without fastmath: exact comparisons."""

import numpy as np

from .._solvers._numba_math import _jit


@_jit(fastmath=False)
def group_maxima(logits, maxima):
    """Set each row's maxima of tokens g, g + groups, ...; return a bad row or -1."""
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
    """Per row, its `n` highest logits' tokens, highest first, where `clear`."""
    # A row is clear where its n highest logits are distinct and beat all
    # others. The logits reaching bounds[row] are flagged in one vectorised
    # pass, gathered from the 8-token words holding a flag, and ranked.
    n_rows, seq_len = logits.shape
    n_words = -(-seq_len // 8)
    flags = np.zeros(n_words * 8, dtype=np.uint8)
    words = flags.view(np.uint64)
    found = np.empty(seq_len + 8, dtype=np.intp)
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
        ranks[:padded] = 0
        for b in range(count):  # a logit's rank: how many others beat it
            v = found_value[b]
            for a in range(padded):
                ranks[a] += np.int32(v > found_value[a])
        hits[:count] = 0
        for a in range(count):
            ranked[ranks[a]] = found[a]
            hits[ranks[a]] += 1
        each_once = True
        for r in range(n):
            each_once &= hits[r] == 1
            tokens[row, r] = ranked[r]
        clear[row] = each_once


@_jit(fastmath=False)
def best_pairs(logits, tops, known, chars, max_length, windows, out, wanted, pending):
    """Per window of `windows`, the best candidate span; return how many pend."""
    # (start, end) pairs: logits, top tokens, whether each is in the context
    # (1, 0, or -1 not yet known), its character. transformers' stable sort
    # keeps the first start's first valid end among equal scores.
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
    """Return `best_pairs`' score, start, end for window `w`, and whether done."""
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
    """Per example, its first window, its null's (lowest) and its span's (highest)."""
    # Ties go to the first window; out's three arrays are filled with -1.
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
