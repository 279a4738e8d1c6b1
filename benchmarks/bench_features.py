"""features_from_logits against a loop port of transformers' post-processing.

Targets: on SQuAD 2.0 dev-sized reader output (12,000 windows of
384 tokens, 11,873 questions), at least 60x faster with a ``context_mask``
and 20x with ``offset_mapping`` than the loop port of
transformers' ``postprocess_qa_predictions`` in
``tests/_postprocess_loop.py``, with the same features for every
question (checked before timing). The loop port reads run_qa.py's
``offset_mapping`` (None outside the context), as transformers does;
features_from_logits is timed on a ``context_mask`` and, once, on the same
``offset_mapping`` (lists of tuples with None outside the context, as
run_qa.py leaves them; float32 logits). The last column compares each time
with one pass over both logit arrays (their maxima), the floor of any
method.

The logits are simulated (no reader runs here), in two shapes, because the
loop's cost grows with the number of candidate spans it appends:

- ``reader``: logits that rise around a few candidate answers per window,
  as a reader's do, so its top starts and ends pair up into many spans;
- ``noise``: independent noise over the context with one peak, which gives
  the loop the fewest candidates, hence its best time.

Run: ``python -m benchmarks.bench_features [--repeats 5]``
"""

import argparse

import numpy as np

from benchmarks._common import interleaved_medians, machine_line, print_table
from skfusion.features import features_from_logits
from tests._postprocess_loop import (
    SELECTION_KEYS,
    mask_to_offset_mapping,
    postprocess_loop,
)

QUESTION_TOKENS = 25  # [CLS], the question and [SEP]: outside the context
ONE_PASS = "one pass over both arrays (np.max)"


def make_reader_logits(
    kind="reader", n_windows=12_000, n_questions=11_873, seq_len=384, random_state=0
):
    """Float32 start and end logits, example ids and context mask.

    A window holds a question, a context (about 140 tokens, SQuAD's
    paragraph size; full windows for the last ``n_windows - n_questions``
    questions, whose contexts take two windows each), then padding.
    """
    rng = np.random.default_rng(random_state)
    split = n_windows - n_questions
    free = seq_len - QUESTION_TOKENS - 1
    length = np.clip(rng.lognormal(np.log(140), 0.45, n_windows), 20, free)
    length[-2 * split :] = free
    tokens = np.arange(seq_len)
    context_end = QUESTION_TOKENS + length.astype(int)
    mask = (tokens >= QUESTION_TOKENS) & (tokens < context_end[:, None])
    start, end = (_logits(kind, mask, context_end, rng) for _ in "se")
    if kind == "reader":
        _add_candidate_answers(start, end, mask, context_end, rng)
    question = np.concatenate(
        [
            np.arange(n_questions - split),
            np.repeat(np.arange(n_questions - split, n_questions), 2),
        ]
    )
    ids = np.array([f"q{q:05d}" for q in question])
    return start.astype(np.float32), end.astype(np.float32), ids, mask


def _logits(kind, mask, context_end, rng):
    """One head: context, outside-context and null logits of `kind`."""
    shape = mask.shape
    inside, outside = (
        ((-4.0, 1.5), (-8.0, 1.0)) if kind == "reader" else ((0, 2), (-6, 1))
    )
    logits = np.where(mask, rng.normal(*inside, shape), rng.normal(*outside, shape))
    logits[:, 0] = rng.normal(0.0, 3.0, shape[0])
    if kind == "noise":
        peak = rng.integers(QUESTION_TOKENS, context_end)
        logits[np.arange(shape[0]), peak] += 6.0
    return logits


def _add_candidate_answers(start, end, mask, context_end, rng):
    """Raise both heads around 1 + Poisson(2) candidate answers per window."""
    n_windows, seq_len = mask.shape
    tokens = np.arange(seq_len)
    n_candidates = 1 + rng.poisson(2.0, n_windows)
    for k in range(n_candidates.max()):
        height = np.where(n_candidates > k, rng.uniform(3, 10, n_windows), 0.0)
        first = rng.integers(QUESTION_TOKENS, context_end)[:, None]
        last = first + rng.geometric(0.3, (n_windows, 1)) - 1
        start += mask * height[:, None] * np.exp(-np.abs(tokens - first) / 2)
        end += mask * height[:, None] * np.exp(-np.abs(tokens - last) / 2)


def _check_same_features(ours, loop, name):
    for key in SELECTION_KEYS:
        if not np.array_equal(ours[key], loop[key]):
            raise AssertionError(f"{name}: {key} differs from the loop port's")


def time_kind(kind, repeats, with_offsets):
    """Check, then time, both on one kind of logits; return table rows."""
    start, end, ids, mask = make_reader_logits(kind)
    offsets = mask_to_offset_mapping(mask)
    methods = {
        "loop port": lambda: postprocess_loop(start, end, ids, offsets),
        "features_from_logits(context_mask)": lambda: features_from_logits(
            start, end, ids, mask
        ),
    }
    if with_offsets:
        methods["features_from_logits(offset_mapping=)"] = lambda: features_from_logits(
            start, end, ids, offset_mapping=offsets
        )
    loop = methods["loop port"]()
    for name, method in list(methods.items())[1:]:
        _check_same_features(method(), loop, name)
    # The floor of any method: reading both logit arrays once.
    methods[ONE_PASS] = lambda: (np.max(start), np.max(end))
    times = interleaved_medians(methods, repeats=repeats, warmup=1)
    candidates = _mean_candidates(start, end, mask)
    return [
        (
            kind,
            name,
            f"{candidates:.0f}",
            f"{t * 1e3:.1f}",
            f"{times['loop port'] / t:.1f}x",
            f"{t / times[ONE_PASS]:.0f}",
        )
        for name, t in times.items()
    ]


def _mean_candidates(start, end, mask, n_best=20, max_length=30):
    """Spans the loop appends per window (defaults of run_qa.py)."""
    rows = np.arange(len(start))[:, None]
    top_start = np.argsort(start, axis=1)[:, : -n_best - 1 : -1]
    top_end = np.argsort(end, axis=1)[:, : -n_best - 1 : -1]
    length = top_end[:, None, :] - top_start[:, :, None]
    valid = (length >= 0) & (length < max_length)
    valid &= mask[rows, top_start][:, :, None] & mask[rows, top_end][:, None, :]
    return valid.sum(axis=(1, 2)).mean()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    rows = time_kind("reader", args.repeats, with_offsets=True)
    rows += time_kind("noise", args.repeats, with_offsets=False)
    print_table(
        "Features from 12,000 windows x 384 tokens, 11,873 questions (median of "
        f"{args.repeats} interleaved rounds; the same features checked)",
        [
            "logits",
            "method",
            "spans per window",
            "median ms",
            "speed-up vs loop",
            "times one pass",
        ],
        rows,
    )
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
