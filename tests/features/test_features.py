import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_array_equal

from skfusion.features._logits import _top_indexes, features_from_logits
from tests._postprocess_loop import (
    SELECTION_KEYS,
    mask_to_offset_mapping,
    postprocess_loop,
)

# Few distinct values force ties in argsort and in span scores; -0.0 == 0.0
# is a tie too. Wide float32 values exercise the tie-free fast path.
TIED = st.sampled_from([-1.0, -0.0, 0.0, 0.5, 1.0, 2.0])
WIDE = st.floats(-8, 8, width=32)


@st.composite
def reader_outputs(draw, offsets=False):
    """Random logits, windows of examples in shuffled order, contexts."""
    n_windows = draw(st.integers(1, 7))
    seq_len = draw(st.integers(1, 12))
    dtypes = st.sampled_from([np.float32, np.float64])
    values = draw(st.sampled_from([TIED, WIDE]))
    shape = (n_windows, seq_len)
    start = draw(arrays(draw(dtypes), shape, elements=values))
    end = draw(arrays(draw(dtypes), shape, elements=values))
    example_ids = draw(
        st.lists(st.sampled_from("abcd"), min_size=n_windows, max_size=n_windows)
    )
    if offsets:
        context = _draw_offset_mapping(draw, n_windows, seq_len)
    else:
        context = draw(arrays(bool, shape))
    params = {
        "n_best_size": draw(st.integers(1, seq_len + 2)),
        "max_answer_length": draw(st.integers(1, seq_len + 1)),
    }
    return start, end, example_ids, context, params


def _draw_offset_mapping(draw, n_windows, seq_len):
    """Rows up to seq_len long: None, (start, end) pairs (some empty), or short.

    Characters start at 1: a span at (0, 0), which only a zero-width first
    token can give, makes transformers treat that span as its null.
    """
    pair = st.tuples(st.integers(1, 4), st.integers(1, 4))
    # transformers reads an entry shorter than a pair as outside the context.
    short = st.sampled_from([(), (2,)])
    entry = st.one_of(st.none(), pair, short)
    return [draw(st.lists(entry, max_size=seq_len)) for _ in range(n_windows)]


def _transformers(start, end, example_ids, offset_mapping, params):
    """The loop port, or None where transformers itself raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # float overflow
        try:
            return postprocess_loop(start, end, example_ids, offset_mapping, **params)
        except IndexError:
            return None


def _assert_same_selection(ours, expected, start, end):
    assert_array_equal(ours.ids, expected["ids"])
    for key in SELECTION_KEYS:
        assert_array_equal(ours[key], expected[key], err_msg=key)
    # The margin in the logits' own dtype is transformers' null_odds, bit for bit.
    dtype = np.result_type(start, end)
    null_start, null_end, span_start, span_end = ours.data.T.astype(dtype)
    with np.errstate(over="ignore"):  # overflowing logits are tested too
        assert_array_equal(
            (null_start + null_end) - span_start - span_end, expected["null_odds"]
        )


@settings(max_examples=400, deadline=None)
@given(reader_outputs())
def test_matches_transformers_loop_with_a_context_mask(case):
    start, end, example_ids, mask, params = case
    expected = _transformers(
        start, end, example_ids, mask_to_offset_mapping(mask), params
    )
    ours = features_from_logits(start, end, example_ids, mask, **params)
    _assert_same_selection(ours, expected, start, end)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)
@given(reader_outputs(offsets=True))
def test_matches_transformers_loop_with_offset_mapping(case):
    start, end, example_ids, offset_mapping, params = case
    expected = _transformers(start, end, example_ids, offset_mapping, params)
    assume(expected is not None)
    ours = features_from_logits(
        start, end, example_ids, offset_mapping=offset_mapping, **params
    )
    _assert_same_selection(ours, expected, start, end)


@pytest.mark.parametrize("as_offsets", [False, True])
def test_float32_and_float64_logits_sum_in_float64(as_offsets):
    # transformers adds a float32 start logit to a float64 end logit in
    # float64: 1 + 2**-24 beats 1, which float32 would round to a tie.
    start = np.array([[0.0, 1.0], [1.0, 1.0]], dtype=np.float32)
    end = np.array([[0.0, 0.0], [2.0**-24, 2.0**-24]])
    mask = np.ones(start.shape, dtype=bool)
    offsets = mask_to_offset_mapping(mask)
    params = {"n_best_size": 1, "max_answer_length": 1}
    context = {"offset_mapping": offsets} if as_offsets else {"context_mask": mask}
    ours = features_from_logits(start, end, ["a", "a"], **context, **params)
    _assert_same_selection(
        ours, _transformers(start, end, ["a", "a"], offsets, params), start, end
    )
    assert ours.span_window.tolist() == [1]


@st.composite
def logit_matrices(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    values = draw(st.sampled_from([TIED, WIDE, st.one_of(TIED, WIDE)]))
    # Past 32 tokens, a row is dealt into 32 groups; rows of any length end
    # in a partial 8-token word of flags.
    shape = (draw(st.integers(1, 6)), draw(st.integers(1, 90)))
    return draw(arrays(dtype, shape, elements=values))


@settings(max_examples=400, deadline=None)
@given(logit_matrices(), st.integers(1, 45))
def test_top_indexes_are_argsorts_last_n_reversed(logits, n):
    expected = [np.argsort(row)[-1 : -n - 1 : -1] for row in logits]
    assert_array_equal(_top_indexes(logits, n, "logits"), expected)


@pytest.mark.parametrize("seq_len", [37, 40, 41])
def test_top_indexes_never_read_past_a_rows_end(seq_len):
    # Each row is followed in memory by a higher one: a token read past the
    # end of a row would outrank the row's own.
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, seq_len)) + 100.0 * np.arange(4)[:, None]
    expected = [np.argsort(row)[-1:-21:-1] for row in logits]
    assert_array_equal(_top_indexes(logits, 20, "logits"), expected)


def _realistic_logits(n_windows, seq_len, rng, dtype=np.float32):
    """Model-like logits: a question, a context, then padding (outside it)."""
    start = rng.normal(size=(n_windows, seq_len)).astype(dtype)
    end = rng.normal(size=(n_windows, seq_len)).astype(dtype)
    mask = np.zeros((n_windows, seq_len), dtype=bool)
    context_end = rng.integers(seq_len // 2, seq_len, n_windows)
    for window, stop in enumerate(context_end):
        mask[window, 10:stop] = True
    return start, end, mask


def test_matches_transformers_loop_on_full_length_windows():
    rng = np.random.default_rng(0)
    start, end, mask = _realistic_logits(300, 384, rng)
    example_ids = rng.integers(0, 200, 300).astype(str)
    expected = postprocess_loop(start, end, example_ids, mask_to_offset_mapping(mask))
    ours = features_from_logits(start, end, example_ids, mask)
    _assert_same_selection(ours, expected, start, end)
    assert ours.has_span.all()
    # Memory layout does not matter.
    strided = features_from_logits(
        np.asfortranarray(start), end[:, ::-1][:, ::-1], example_ids, mask.T.T
    )
    _assert_same_selection(strided, expected, start, end)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_transformers_loop_on_full_length_windows_with_ties(dtype):
    # Logits on a coarse grid: most rows tie among their top tokens (so they
    # are argsorted) and many spans tie on their score.
    rng = np.random.default_rng(4)
    start, end, mask = _realistic_logits(300, 384, rng, dtype)
    start, end = np.round(start * 2) / 2, np.round(end * 2) / 2
    example_ids = rng.integers(0, 200, 300).astype(str)
    offsets = mask_to_offset_mapping(mask)
    expected = postprocess_loop(start, end, example_ids, offsets)
    _assert_same_selection(
        features_from_logits(start, end, example_ids, mask), expected, start, end
    )
    by_offsets = features_from_logits(start, end, example_ids, offset_mapping=offsets)
    _assert_same_selection(by_offsets, expected, start, end)


def test_ids_in_order_of_first_appearance_and_windows_in_input_order():
    start = np.array([[1.0, 0, 3], [0.0, 0, 5], [1.0, 0, 3]])
    end = np.array([[1.0, 0, 2], [0.0, 0, 5], [1.0, 0, 2]])
    mask = np.array([[0, 1, 1]] * 3, dtype=bool)
    f = features_from_logits(start, end, ["b", "a", "b"], mask)
    assert_array_equal(f.ids, ["b", "a"])
    # Windows 0 and 2 tie on both the null and the span: the first one wins.
    assert_array_equal(f.null_window, [0, 1])
    assert_array_equal(f.span_window, [0, 1])
    assert_array_equal(f.data, [[1, 1, 3, 2], [0, 0, 5, 5]])


def test_examples_without_a_span_get_the_placeholders_zero_logits():
    start = np.array([[4.0, 2, 9], [3.0, 5, 1]], dtype=np.float32)
    end = np.array([[1.0, 7, 2], [2.0, 1, 8]], dtype=np.float32)
    mask = np.array([[False, False, False], [False, True, True]])
    # Example "q" has no context token; in "r" every pair ends before it starts.
    f = features_from_logits(start, end, ["q", "r"], mask, max_answer_length=1)
    assert_array_equal(f.has_span, [False, True])
    assert_array_equal(f.data[0], [4, 1, 0, 0])
    assert (f.span_window[0], f.span_start_index[0], f.span_end_index[0]) == (-1,) * 3
    expected = postprocess_loop(
        start, end, ["q", "r"], mask_to_offset_mapping(mask), max_answer_length=1
    )
    _assert_same_selection(f, expected, start, end)


def test_offset_mapping_gives_the_same_features_as_its_context_mask():
    rng = np.random.default_rng(1)
    start, end, mask = _realistic_logits(40, 64, rng)
    ids = np.repeat(np.arange(20), 2)
    by_mask = features_from_logits(start, end, ids, mask)
    # With dynamic padding a row is shorter than seq_len; cut one just before
    # the end of the first example's best span.
    window, cut = by_mask.span_window[0], by_mask.span_end_index[0]
    offsets = mask_to_offset_mapping(mask)
    offsets[window] = offsets[window][:cut]
    by_offsets = features_from_logits(start, end, ids, offset_mapping=offsets)
    mask[window, cut:] = False
    for key, value in features_from_logits(start, end, ids, mask).items():
        assert_array_equal(by_offsets[key], value, err_msg=key)
    assert not np.array_equal(by_offsets.data[0], by_mask.data[0])
    assert_array_equal(by_offsets.data[1:], by_mask.data[1:])


def test_span_scores_overflowing_to_minus_infinity_are_still_spans():
    low = np.finfo(np.float32).min
    start = np.array([[0.0, low, low / 2]], dtype=np.float32)
    end = np.array([[0.0, low, low]], dtype=np.float32)
    mask = np.array([[False, True, True]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the function itself stays quiet
        f = features_from_logits(start, end, ["q"], mask)
    assert f.has_span[0]
    expected = _transformers(start, end, ["q"], mask_to_offset_mapping(mask), {})
    _assert_same_selection(f, expected, start, end)


def _object_array(*values):
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start_logits": np.zeros(4)}, r"start_logits has shape \(4,\); expected"),
        ({"end_logits": np.zeros((2, 5))}, r"end_logits has shape \(2, 5\)"),
        ({"start_logits": np.zeros((2, 4), dtype=int)}, "dtype int64; expected flo"),
        ({"end_logits": [[0.0] * 4, [0, 0, np.nan, 0]]}, r"end_logits\[1\] \(wind"),
        ({"example_ids": ["a"]}, r"example_ids has shape \(1,\); expected \(2,\)"),
        ({"example_ids": _object_array([1], [2])}, "holds an id that cannot be a key"),
        ({"context_mask": np.ones((2, 4), dtype=int)}, "dtype int64; expected bool"),
        ({"context_mask": np.ones((2, 3), dtype=bool)}, r"shape \(2, 3\)"),
        ({"context_mask": None}, "exactly one of context_mask and offset_mapping"),
        ({"offset_mapping": [[None]] * 2}, "got both"),
        ({"max_answer_length": 0}, "'max_answer_length' parameter"),
        ({"n_best_size": 1.5}, "'n_best_size' parameter"),
    ],
)
def test_bad_input_gets_a_one_line_error_naming_it(change, message):
    kwargs = {
        "start_logits": np.zeros((2, 4)),
        "end_logits": np.zeros((2, 4)),
        "example_ids": ["a", "b"],
        "context_mask": np.ones((2, 4), dtype=bool),
    }
    with pytest.raises(ValueError, match=message) as error:
        features_from_logits(**{**kwargs, **change})
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("offsets", "message"),
    [
        (np.zeros((2, 4, 2), dtype=int), "2 rows of dtype int64; expected 2 rows"),
        pytest.param(
            "torch",
            r"2 rows of dtype torch.float32; expected 2 rows",
            marks=pytest.mark.torch,
            id="torch-tensor",
        ),
        ([[None] * 4], "has 1 rows of dtype object; expected 2 rows"),
        ([[None] * 4, None], r"offset_mapping\[1\] has no length; expected a seq"),
        (
            [[None] * 5, [None]],
            r"offset_mapping\[0\] has 5 entries; expected a seq",
        ),
        ([[None, (1, 2, 3)], [None]], r"offset_mapping\[0\]\[1\] is \(1, 2, 3\)"),
        ([[None, 7], [None]], r"offset_mapping\[0\]\[1\] is 7; expected None"),
        ([[None, (0.5, 2)], [None]], "the offset 0.5; expected integer"),
        ([[None, (None, 2)], [None]], "the offset nan; expected integer"),
        ([[None, (1j, 2)], [None]], "an offset that is not a number"),
    ],
)
def test_bad_offset_mapping_gets_a_one_line_error_naming_it(offsets, message):
    if isinstance(offsets, str):  # a tensor, built only where torch is installed
        import torch

        offsets = torch.zeros((2, 4, 2))
    with pytest.raises(ValueError, match=message) as error:
        features_from_logits(
            np.zeros((2, 4)), np.zeros((2, 4)), ["a", "b"], offset_mapping=offsets
        )
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("seq_len", [8, 40])  # argsorted whole, or by the kernel
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("head", ["start_logits", "end_logits"])
def test_a_non_finite_logit_is_named_by_its_window(seq_len, bad, head):
    rng = np.random.default_rng(3)
    logits = {"start_logits": rng.normal(size=(20, seq_len))}
    logits["end_logits"] = rng.normal(size=(20, seq_len))
    logits[head][13, 5] = bad
    logits[head][17, 2] = bad
    with pytest.raises(ValueError, match=rf"{head}\[13\] \(window 13\) holds {bad}"):
        features_from_logits(
            **logits,
            example_ids=np.arange(20),
            n_best_size=10,
            context_mask=np.ones((20, seq_len), bool),
        )


def test_offset_entries_never_read_are_not_checked():
    # Only entries of top start and end tokens that may pair are read (as
    # transformers reads no other entry): token 3's here.
    start = np.array([[0.0, -5, -5, 9, -5]])
    end = np.array([[0.0, -5, -5, 9, -5]])
    offsets = [[None, 7, (1,), (4, 7), [1, 2, 3]]]
    f = features_from_logits(start, end, ["q"], offset_mapping=offsets, n_best_size=1)
    assert (f.span_start_index[0], f.span_end_index[0]) == (3, 3)
    # An entry shorter than a pair is outside the context, as in transformers.
    offsets[0][3] = (4,)
    f = features_from_logits(start, end, ["q"], offset_mapping=offsets, n_best_size=1)
    assert not f.has_span[0]
    start[0, 4] = end[0, 4] = 10.0  # now read, as the top start and end
    with pytest.raises(ValueError, match=r"offset_mapping\[0\]\[4\] is \[1, 2, 3\]"):
        features_from_logits(start, end, ["q"], offset_mapping=offsets, n_best_size=1)


def test_logits_other_than_float32_or_float64_are_refused():
    half = np.zeros((2, 4), dtype=np.float16)
    with pytest.raises(ValueError, match="dtype float16; expected float32 or flo"):
        features_from_logits(half, half, ["a", "b"], np.ones((2, 4), bool))
