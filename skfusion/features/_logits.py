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

    From an extractive reader's per-window logits (``Trainer.predict`` on
    run_qa.py's windows), pick per example the null of the window with the
    lowest ``start[0] + end[0]`` and the best span over its windows, as
    transformers' ``postprocess_qa_predictions`` does with
    ``version_2_with_negative=True``, ties included.

    Parameters
    ----------
    start_logits, end_logits : array-like of shape (n_windows, seq_len)
        Float32 or float64 logits, token 0 the null (``[CLS]``) token, summed
        in their dtype (float64 where one is) as in transformers.
    example_ids : array-like of shape (n_windows,)
        Each window's example (question) id; an example's windows, contiguous
        or not, are taken in input order.
    context_mask : array-like of bool of shape (n_windows, seq_len), default=None
        True for the context's tokens, where a span may start and end. Give
        exactly one of `context_mask` and `offset_mapping`.
    offset_mapping : sequence of n_windows sequences, default=None
        The run_qa.py one: a ``(start, end)`` character pair per context token, None
        (or an entry shorter than a pair) elsewhere; a row may be shorter than
        `seq_len`. Only the entries the selection needs are read and checked.
    max_answer_length : int, default=30
        The longest span considered, in tokens.
    n_best_size : int, default=20
        How many of a window's highest start and end logits are paired.

    Returns
    -------
    features : :class:`~sklearn.utils.Bunch`
        With the following attributes.

        data : ndarray of shape (n_examples, 4), dtype float64
            The columns of `feature_names`, ``span_*`` 0.0 where not `has_span`.
        feature_names : list of str
            ``null_start_logit``, ``null_end_logit``, ``span_start_logit``,
            ``span_end_logit``.
        ids : ndarray of shape (n_examples,)
            The example ids, in order of first appearance.
        null_window, span_window : ndarray of int of shape (n_examples,)
            The row of the window whose null, and best span, was kept.
        span_start_index, span_end_index : ndarray of int
            The best span's token indexes, -1 where not `has_span`.
        has_span : ndarray of bool of shape (n_examples,)
            False where no window holds a candidate span, so that
            transformers scores its ``"empty"`` placeholder.

    See Also
    --------
    skfusion.MarginThresholdClassifier : BERT's margin rule on these columns.
    skfusion.TorchLogisticFusion : A logistic fusion of them.

    Notes
    -----
    The selection is ``postprocess_qa_predictions``'s in transformers'
    examples/pytorch/question-answering/utils_qa.py, a port of BERT's
    ``write_predictions``. Per window, the ``n_best_size`` highest start and
    end logits (in ``np.argsort`` order) are paired; a pair is a candidate
    when both tokens are in the context, ``start <= end`` and ``end - start +
    1 <= max_answer_length`` (with `offset_mapping`, and its character range
    is not empty). The best span has the highest ``start + end``, the
    earliest window, then the higher-ranked start, then end winning a tie
    (transformers' stable sort); the null with the lowest ``start[0] +
    end[0]``, the earliest window winning a tie. Without a candidate, the
    span scores transformers' placeholder logits 0.0: the margin ``(null_start
    + null_end) - (span_start + span_end)`` in the logits' dtype is
    transformers' ``null_odds``. Non-finite logits are an error naming the
    window. The pair search skips starts that cannot beat the best so far, so
    it reads few `offset_mapping` entries (a malformed one raises only where
    read, as in transformers); a `context_mask` is two to three times as fast
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
    # transformers' n_best_size cut never drops the best span: it ranks first
    # or second (with n_best_size=1 it scores at least its window's null).
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
    # Rows whose n largest logits are distinct and beat the rest need no sort.
    from ._span_kernel import group_maxima, top_tokens

    n_windows, seq_len = logits.shape
    clear = np.zeros(n_windows, dtype=bool)
    tokens = np.empty((n_windows, min(n, seq_len)), dtype=np.intp)
    if n >= seq_len:
        finite = np.isfinite(logits).all(axis=1)
        bad_row = -1 if finite.all() else int(np.argmin(finite))
    else:
        # The (n + 1)-th highest group maximum bounds the row's from below.
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
        wanted = tuple(np.zeros(t.shape, dtype=bool) for t in tops)
        windows = np.arange(n_windows)
        run(known, no_chars, windows, wanted, np.empty_like(windows))
    score, start, end = out
    return score, start >= 0, start, end
