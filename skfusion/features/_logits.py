"""Score columns from a reader's raw per-window start and end logits."""

from itertools import count
from numbers import Integral

import numpy as np
from sklearn.utils import Bunch

from .._compat import Interval, validate_params
from ..datasets._base import PER_HEAD_FEATURE_NAMES
from ._offset_mapping import offset_row_lengths, read_until_done


@validate_params(
    {
        "start_logits": ["array-like"],
        "end_logits": ["array-like"],
        "example_ids": ["array-like"],
        "context_mask": ["array-like", None],
        "offset_mapping": ["array-like", None],
        "max_answer_length": [Interval(Integral, 1, None, closed="left")],
        "n_best_size": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def features_from_logits(
    start_logits,
    end_logits,
    example_ids,
    context_mask=None,
    *,
    offset_mapping=None,
    max_answer_length=30,
    n_best_size=20,
):
    """Null and best-span logits per example, selected as transformers does.

    From the per-window logits of an extractive reader (what
    ``Trainer.predict`` returns for run_qa.py's windows), pick per example the
    null of the window with the lowest ``start[0] + end[0]`` and the best span
    over all its windows, exactly as transformers' ``postprocess_qa_predictions``
    picks them with ``version_2_with_negative=True``, ties included.

    Parameters
    ----------
    start_logits, end_logits : array-like of shape (n_windows, seq_len)
        The float32 or float64 start and end logits, token 0 being the null
        (``[CLS]``) token, summed in their dtype (float64 where one is) as in
        transformers, so that float32 ties are float32 ties.
    example_ids : array-like of shape (n_windows,)
        The example (question) id of every window; an example's windows,
        contiguous or not, are taken in input order.
    context_mask : array-like of bool of shape (n_windows, seq_len), default=None
        True for the tokens of the context, where a span may start and end.
        Give exactly one of `context_mask` and `offset_mapping`.
    offset_mapping : sequence of n_windows sequences, default=None
        The ``offset_mapping`` of run_qa.py: a ``(start, end)`` character pair per
        context token and None elsewhere (as is an entry shorter than a
        pair); a row may be shorter than `seq_len`. Only the entries the
        selection needs are read and checked (see Notes).
    max_answer_length : int, default=30
        The longest span considered, in tokens.
    n_best_size : int, default=20
        How many of a window's highest start and end logits are paired.

    Returns
    -------
    features : :class:`~sklearn.utils.Bunch`
        With the following attributes.

        data : ndarray of shape (n_examples, 4), dtype float64
            The columns named by `feature_names`; ``span_*`` are 0.0 where
            `has_span` is False.
        feature_names : list of str
            ``["null_start_logit", "null_end_logit", "span_start_logit",
            "span_end_logit"]``.
        ids : ndarray of shape (n_examples,)
            The example ids, in order of first appearance.
        null_window : ndarray of int of shape (n_examples,)
            The row of the window whose null was kept.
        span_window, span_start_index, span_end_index : ndarray of int
            The row of the best span's window and its token indexes, -1
            where `has_span` is False.
        has_span : ndarray of bool of shape (n_examples,)
            False where no window holds a candidate span, so that
            transformers scores its ``"empty"`` placeholder instead.

    See Also
    --------
    skfusion.MarginThresholdClassifier : BERT's margin rule on these columns.
    skfusion.TorchLogisticFusion : A logistic fusion of them.

    Notes
    -----
    The selection is ``postprocess_qa_predictions``'s in transformers'
    examples/pytorch/question-answering/utils_qa.py, itself a port of BERT's
    ``write_predictions``. Per window, the ``n_best_size`` highest start and
    end logits (in ``np.argsort`` order) are paired; a pair is a candidate
    when both tokens are in the context, ``start <= end`` and ``end - start +
    1 <= max_answer_length`` (with `offset_mapping`, also when its character
    range is not empty, as transformers drops empty texts). The best span has
    the highest ``start + end``; among equals the earliest window, then the
    higher-ranked start, then end, wins, as in transformers' stable sort. The
    null with the lowest ``start[0] + end[0]`` wins, the earliest window among
    equals. Where an example has no candidate, transformers scores a
    placeholder of logits 0.0, and so does this function: the margin
    ``(null_start + null_end) - (span_start + span_end)`` in the logits'
    dtype is transformers' ``null_odds`` for every example. A window without
    context tokens only contributes its null; non-finite logits are an error
    naming the window.

    Numba kernels find each row's top tokens without sorting it (rows whose
    top logits tie are argsorted, so that ties resolve as ``np.argsort``'s),
    and search pairs start by start, skipping a start whose highest possible
    end cannot beat the best so far. So `offset_mapping` entries are read only
    where this search needs them (about three per window on simulated reader
    logits, of the ``2 * n_best_size`` that transformers reads): an entry
    never read is never checked, and a malformed one (neither None nor a pair
    of integers) raises only where read, as in transformers. Both inputs give
    the same features; a `context_mask` is two to three times as fast
    (benchmarks/bench_features.py).

    Examples
    --------
    >>> import numpy as np
    >>> from skfusion.features import features_from_logits
    >>> start = np.array([[2.0, 0, 3, 1, 0, -9], [1.0, 0, 0, 0, 5, -9]])
    >>> end = np.array([[1.0, 0, 0, 4, 0, -9], [2.0, 0, 0, 0, 1, -9]])
    >>> mask = np.array([[0, 0, 1, 1, 1, 0], [0, 0, 1, 1, 1, 0]], dtype=bool)
    >>> f = features_from_logits(start, end, ["q1", "q1"], mask)  # one example
    >>> f.feature_names
    ['null_start_logit', 'null_end_logit', 'span_start_logit', 'span_end_logit']
    >>> f.data  # both nulls score 3: the first window's is kept
    array([[2., 1., 3., 4.]])
    >>> f.span_window, f.span_start_index, f.span_end_index
    (array([0]), array([2]), array([3]))
    >>> margin = f.data[:, :2].sum(axis=1) - f.data[:, 2:].sum(axis=1)
    >>> margin
    array([-4.])
    """
    from ._span_kernel import per_example

    start_logits, end_logits = _check_logits(start_logits, end_logits)
    codes, n_examples = _factorize_example_ids(example_ids, len(start_logits))
    context = _context(context_mask, offset_mapping, start_logits.shape)

    span_score, window_has_span, start, end = _best_spans(
        start_logits, end_logits, context, n_best_size, max_answer_length
    )
    with np.errstate(over="ignore"):  # transformers compares the same infinities
        null_score = start_logits[:, 0] + end_logits[:, 0]
    first_window, null_window, span_window = windows = tuple(
        np.full(n_examples, -1, dtype=np.intp) for _ in range(3)
    )
    per_example(codes, null_score, window_has_span, span_score, windows)
    # transformers keeps only its n_best_size best predictions (the null among
    # them), yet never drops the best span: it ranks first or second, and with
    # n_best_size=1 it pairs its window's top start and end logits, so it
    # scores at least that window's null, hence at least the kept null.
    has_span = window_has_span[span_window]

    span_start = np.where(has_span, start[span_window], -1)
    span_end = np.where(has_span, end[span_window], -1)
    span_window = np.where(has_span, span_window, -1)
    data = np.column_stack(
        [
            start_logits[null_window, 0],
            end_logits[null_window, 0],
            np.where(has_span, start_logits[span_window, span_start], 0.0),
            np.where(has_span, end_logits[span_window, span_end], 0.0),
        ]
    ).astype(np.float64)
    return Bunch(
        data=data,
        feature_names=list(PER_HEAD_FEATURE_NAMES),
        ids=np.asarray(example_ids)[first_window],
        null_window=null_window,
        span_window=span_window,
        span_start_index=span_start,
        span_end_index=span_end,
        has_span=has_span,
    )


def _check_logits(start_logits, end_logits):
    """Return both logit arrays, C-contiguous, checked to be 2-D floats of one shape."""
    # `_top_indexes` checks they are finite, in the pass it makes anyway.
    arrays = {"start_logits": start_logits, "end_logits": end_logits}
    for name, value in arrays.items():
        array = np.asarray(value)
        if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 1:
            raise ValueError(
                f"{name} has shape {array.shape}; expected a non-empty 2-D array "
                "of shape (n_windows, seq_len)."
            )
        if array.dtype not in (np.float32, np.float64):
            raise ValueError(
                f"{name} has dtype {array.dtype}; expected float32 or float64 logits."
            )
        arrays[name] = np.ascontiguousarray(array)
    if arrays["start_logits"].shape != arrays["end_logits"].shape:
        raise ValueError(
            f"start_logits has shape {arrays['start_logits'].shape} but end_logits "
            f"has shape {arrays['end_logits'].shape}; expected the same shape."
        )
    return arrays["start_logits"], arrays["end_logits"]


def _factorize_example_ids(example_ids, n_windows):
    """Return each window's example number (by first appearance), and their count."""
    ids = np.asarray(example_ids)
    if ids.shape != (n_windows,):
        raise ValueError(
            f"example_ids has shape {ids.shape}; expected ({n_windows},), one id "
            "per window (row of start_logits)."
        )
    ids = ids.tolist()
    try:
        number = dict(zip(dict.fromkeys(ids), count()))
    except TypeError as error:
        raise ValueError(
            f"example_ids holds an id that cannot be a key ({error}); expected "
            "hashable ids such as str or int."
        ) from None
    codes = np.fromiter(map(number.__getitem__, ids), dtype=np.intp, count=n_windows)
    return codes, len(number)


def _context(context_mask, offset_mapping, shape):
    """Return the checked context mask, or offset_mapping and its rows' lengths."""
    if (context_mask is None) == (offset_mapping is None):
        raise ValueError(
            "Give exactly one of context_mask and offset_mapping; got "
            f"{'both' if context_mask is not None else 'neither'}."
        )
    if offset_mapping is not None:
        return offset_mapping, offset_row_lengths(offset_mapping, shape)
    mask = np.asarray(context_mask)
    if mask.shape != shape or mask.dtype != bool:
        raise ValueError(
            f"context_mask has shape {mask.shape} and dtype {mask.dtype}; expected "
            f"booleans of shape {shape}, the shape of start_logits."
        )
    return mask


def _top_indexes(logits, n, name):
    """Per row, ``np.argsort(row)[-1 : -n - 1 : -1]`` (transformers' n best)."""
    # Where a row's n largest logits are distinct and beat the rest, ties
    # cannot change argsort's answer: kernels find it without sorting the
    # row (and check the row is finite). Other rows are argsorted whole.
    from ._span_kernel import group_maxima, top_tokens

    n_windows, seq_len = logits.shape
    clear = np.zeros(n_windows, dtype=bool)
    tokens = np.empty((n_windows, min(n, seq_len)), dtype=np.intp)
    if n >= seq_len:
        finite = np.isfinite(logits).all(axis=1)
        bad_row = -1 if finite.all() else int(np.argmin(finite))
    else:
        # The (n + 1)-th highest of n + 1 or more group maxima is at most
        # the row's (n + 1)-th highest: n + 1 groups hold a logit that high.
        groups = max(n + 1, min(32, seq_len))
        maxima = np.empty((n_windows, groups), dtype=logits.dtype)
        bad_row = group_maxima(logits, maxima)
        if bad_row < 0:
            bounds = np.sort(maxima, axis=1)[:, -n - 1]
            top_tokens(logits, n, bounds, tokens, clear)
    if bad_row >= 0:
        bad = logits[bad_row][~np.isfinite(logits[bad_row])][0]
        raise ValueError(
            f"{name}[{bad_row}] (window {bad_row}) holds {bad}; expected finite logits."
        )
    tied = np.flatnonzero(~clear)
    if tied.size:
        tokens[tied] = np.argsort(logits[tied], axis=1)[:, : -n - 1 : -1]
    return tokens


def _best_spans(start_logits, end_logits, context, n_best, max_length):
    """Per window, the best candidate's score, whether any, its start and end."""
    from ._span_kernel import best_pairs

    n_windows, seq_len = start_logits.shape
    logits = (start_logits, end_logits)
    tops = (
        _top_indexes(start_logits, n_best, "start_logits"),
        _top_indexes(end_logits, n_best, "end_logits"),
    )
    out = (
        # Mixed float32 and float64 logits sum in float64, as in transformers.
        np.empty(n_windows, dtype=np.result_type(start_logits, end_logits)),
        np.empty(n_windows, dtype=np.intp),
        np.empty(n_windows, dtype=np.intp),
    )
    max_length = min(max_length, seq_len)

    def run(known, chars, windows, wanted, pending):
        return best_pairs(
            logits, tops, known, chars, max_length, windows, out, wanted, pending
        )

    if isinstance(context, tuple):
        read_until_done(run, tops, *context)
    else:
        known = tuple(np.take_along_axis(context, t, 1).view(np.int8) for t in tops)
        no_chars = (np.empty((0, 0), dtype=np.int64),) * 2
        # Every token's context is known: no window wants any.
        wanted = tuple(np.zeros(t.shape, dtype=bool) for t in tops)
        windows = np.arange(n_windows)
        run(known, no_chars, windows, wanted, np.empty_like(windows))
    score, start, end = out
    return score, start >= 0, start, end
