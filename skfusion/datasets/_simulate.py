"""A simulator of a SQuAD 2.0 reader's no-answer scores."""

from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state

from ._base import PER_HEAD_FEATURE_NAMES

SQUAD2_DEV_QUESTIONS = 11873
SQUAD2_DEV_UNANSWERABLE = 5945
FEATURE_NAMES = ("joint_null", "start_null", "end_null", "best_span")
_COLUMNS = {"notebook": FEATURE_NAMES, "per_head": PER_HEAD_FEATURE_NAMES}

# Evidence of "no answer here" in one window: the window's mean, and the
# spread of the question's difficulty (shared by its windows) and of the
# window's own noise.
_EVIDENCE = {"answer": -1.3, "no_answer": 1.0, "question_sd": 0.8, "window_sd": 1.0}
# Each head reads the evidence as ``offset + slope * evidence + noise``; the
# two heads of one kind (start and end) also share a component.
_JOINT_READER = {
    "joint": (5.2, 2.6, 0.9),
    "start_end": (1.6, 2.2, 1.0),
    "start_end_shared": 0.6,
    "span": (5.4, -1.8, 0.9),
}
_PER_HEAD_READER = {
    "null": (2.2, 2.4, 0.6),
    "null_shared": 0.4,
    "span": (2.6, -1.3, 1.2),
    "span_shared": 0.8,
}
# transformers' run_qa writes a fake "empty" span with logits 0 when no
# (start, end) pair among its top-20 starts and ends is a valid span.
_NO_VALID_SPAN_RATE = 0.003


def _window_layout(context_tokens, question_tokens, max_seq_length, doc_stride):
    """Count the windows BERT's run_squad cuts each context into.

    A window holds ``max_seq_length - question_tokens - 3`` context tokens
    ([CLS], two [SEP]); windows start every `doc_stride` tokens until the
    context is covered.
    """
    room = max_seq_length - question_tokens - 3
    overflow = np.maximum(0, context_tokens - room)
    return 1 + np.ceil(overflow / doc_stride).astype(int), room


@dataclass
class _Questions:
    """The simulated questions and their windows (one row per window)."""

    unanswerable: np.ndarray
    context_tokens: np.ndarray
    answer_start: np.ndarray
    answer_length: np.ndarray
    first: np.ndarray  # index of each question's first window
    owner: np.ndarray  # question of each window
    window_start: np.ndarray  # first context token of each window
    room: np.ndarray  # context tokens per window, per question
    holds_answer: np.ndarray


@dataclass
class _Simulation:
    """A simulated reader's columns, with what the example writer needs."""

    X: np.ndarray
    questions: _Questions
    span_window: np.ndarray | None = None  # window of each best span
    no_valid_span: np.ndarray | None = None


def _draw_questions(rng, n_questions, n_unanswerable, max_seq_length, doc_stride):
    """Labels, contexts and windows: steps 1 and 2 of the simulator's story."""
    y = np.zeros(n_questions, dtype=bool)
    y[rng.permutation(n_questions)[:n_unanswerable]] = True
    context = np.clip(rng.lognormal(np.log(150), 0.45, n_questions), 30, 1500)
    context = context.astype(int)
    question = rng.randint(6, 30, n_questions)
    n_windows, room = _window_layout(context, question, max_seq_length, doc_stride)
    answer_length = rng.randint(1, 6, n_questions)
    answer_start = (rng.uniform(size=n_questions) * (context - answer_length)).astype(
        int
    )
    owner = np.repeat(np.arange(n_questions), n_windows)
    first = np.cumsum(n_windows) - n_windows
    window_start = (np.arange(owner.size) - first[owner]) * doc_stride
    holds_answer = (
        ~y[owner]
        & (answer_start[owner] >= window_start)
        & (answer_start[owner] + answer_length[owner] <= window_start + room[owner])
    )
    return _Questions(
        y,
        context,
        answer_start,
        answer_length,
        first,
        owner,
        window_start,
        room,
        holds_answer,
    )


def _draw_evidence(rng, questions):
    """Each window's evidence of "no answer here": steps 3 and 4."""
    difficulty = rng.normal(scale=_EVIDENCE["question_sd"], size=questions.first.size)
    mean = np.where(questions.holds_answer, _EVIDENCE["answer"], _EVIDENCE["no_answer"])
    noise = rng.normal(scale=_EVIDENCE["window_sd"], size=questions.owner.size)
    return mean + difficulty[questions.owner] + noise


def _read(rng, evidence, head, shared=0.0):
    """One head's logit in every window: ``offset + slope * evidence + noise``."""
    offset, slope, noise = head
    return (
        offset + slope * evidence + shared + rng.normal(scale=noise, size=evidence.size)
    )


def _window_of_extreme(values, owner, first, largest):
    """Return the index of each question's lowest (or highest) window value.

    Windows are grouped by question (`owner` ascending, each group starting
    at `first`), so a stable sort by (owner, value) puts each question's
    extreme window at its group's first position.
    """
    key = -values if largest else values
    order = np.lexsort((key, owner))
    return order[first]


def _joint_reader_columns(rng, questions, evidence):
    """Read as the notebook's joint reader: each null is its window minimum."""
    reader = _JOINT_READER
    n = evidence.size
    shared = rng.normal(scale=reader["start_end_shared"], size=n)
    windows = [
        _read(rng, evidence, reader["joint"]),
        _read(rng, evidence, reader["start_end"], shared),
        _read(rng, evidence, reader["start_end"], shared),
    ]
    columns = [np.minimum.reduceat(w, questions.first) for w in windows]
    span = _read(rng, evidence, reader["span"])
    columns.append(np.maximum.reduceat(span, questions.first))
    return _Simulation(np.column_stack(columns), questions)


def _per_head_reader_columns(rng, questions, evidence):
    """Read as an independent-head reader, aggregating windows as run_qa does.

    The null logits come from the window whose ``start[0] + end[0]`` is
    lowest; the span logits are those of the best span (highest start + end)
    over all windows.
    """
    reader = _PER_HEAD_READER
    n = evidence.size
    null_shared = rng.normal(scale=reader["null_shared"], size=n)
    span_shared = rng.normal(scale=reader["span_shared"], size=n)
    null_start = _read(rng, evidence, reader["null"], null_shared)
    null_end = _read(rng, evidence, reader["null"], null_shared)
    span_start = _read(rng, evidence, reader["span"], span_shared)
    span_end = _read(rng, evidence, reader["span"], span_shared)
    owner, first = questions.owner, questions.first
    null_window = _window_of_extreme(null_start + null_end, owner, first, False)
    span_window = _window_of_extreme(span_start + span_end, owner, first, True)
    X = np.column_stack(
        [
            null_start[null_window],
            null_end[null_window],
            span_start[span_window],
            span_end[span_window],
        ]
    )
    no_valid_span = rng.uniform(size=questions.first.size) < _NO_VALID_SPAN_RATE
    X[no_valid_span, 2:] = 0.0
    return _Simulation(X, questions, span_window, no_valid_span)


def _check_sizes(n_questions, n_unanswerable, max_seq_length, doc_stride, columns):
    """Validate the simulator's arguments; return `n_unanswerable`."""
    if columns not in _COLUMNS:
        raise ValueError(
            f"columns={columns!r} is not valid: expected one of {sorted(_COLUMNS)}."
        )
    if n_questions < 1:
        raise ValueError(f"n_questions={n_questions} must be at least 1.")
    if n_unanswerable is None:
        n_unanswerable = round(
            n_questions * SQUAD2_DEV_UNANSWERABLE / SQUAD2_DEV_QUESTIONS
        )
    if not 0 <= n_unanswerable <= n_questions:
        raise ValueError(
            f"n_unanswerable={n_unanswerable} must be in [0, n_questions="
            f"{n_questions}]."
        )
    if doc_stride < 1 or max_seq_length < 64:
        raise ValueError("doc_stride must be >= 1 and max_seq_length >= 64.")
    return n_unanswerable


def _simulate(n_questions, n_unanswerable, columns, max_seq_length, doc_stride, rng):
    """Simulate the questions and one reader of them."""
    questions = _draw_questions(
        rng, n_questions, n_unanswerable, max_seq_length, doc_stride
    )
    evidence = _draw_evidence(rng, questions)
    if columns == "notebook":
        return _joint_reader_columns(rng, questions, evidence)
    return _per_head_reader_columns(rng, questions, evidence)


def make_squad2_scores(
    n_questions: int = SQUAD2_DEV_QUESTIONS,
    *,
    n_unanswerable: int | None = None,
    columns: str = "notebook",
    max_seq_length: int = 384,
    doc_stride: int = 128,
    random_state=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate a SQuAD 2.0 reader's no-answer scores, window by window.

    The generative story, per question:

    1. It is unanswerable with fixed frequency: exactly `n_unanswerable`
       questions, at random positions.
    2. Its context has a log-normal length in tokens (median 150), its
       question 6 to 29 tokens and its answer 1 to 5 tokens at a uniform
       position; the context is cut into windows of ``max_seq_length -
       question - 3`` tokens every `doc_stride` tokens, as BERT's run_squad
       and transformers' run_qa do. Windows that hold the answer whole
       contain it.
    3. The reader finds the question more or less hard: a question-level
       normal offset (sd 0.8) shared by all its windows.
    4. Each window gets evidence ``e`` of "no answer here": -1.3 with the
       answer, +1.0 without, plus the question's offset and unit normal
       noise.
    5. The reader's heads read ``e``, each with its own noise, and the
       windows are aggregated; `columns` picks the reader.

       - ``"notebook"``, the joint reader of the notebook: joint null logit
         ``5.2 + 2.6 e``, start and end null logits ``1.6 + 2.2 e`` (which
         share a noise component, as two heads of one model do), best span
         score ``5.4 - 1.8 e``. Each null is its minimum over windows, the
         best span the maximum, as BERT's rule and the notebook take them.
       - ``"per_head"``, a standard independent-head reader (BERT,
         transformers' run_qa): ``start[0]`` and ``end[0]`` logits
         ``2.2 + 2.4 e`` each, the best span's start and end logits
         ``2.6 - 1.3 e`` each. The null logits come from the window whose
         ``start[0] + end[0]`` is lowest, the span logits from the span with
         the highest ``start + end`` over all windows, as run_qa picks them.
         In 0.3% of questions no span is valid, and the span logits are
         0.0, those of run_qa's fake "empty" span.

    Both readers read the same questions: for one `random_state` the labels
    and steps 1 to 4 are the same whichever `columns`.

    Parameters
    ----------
    n_questions : int, default=11873
        Number of questions (rows); the default is SQuAD 2.0 dev's.
    n_unanswerable : int or None, default=None
        Number of unanswerable questions; None keeps SQuAD 2.0 dev's ratio
        (5,945 of 11,873).
    columns : {"notebook", "per_head"}, default="notebook"
        Which reader's columns to return: the notebook's four
        (``FEATURE_NAMES``) or the four of an independent-head reader that
        a loader of transformers' output files gives
        (``PER_HEAD_FEATURE_NAMES``).
    max_seq_length : int, default=384
        Tokens per window, question and special tokens included.
    doc_stride : int, default=128
        Tokens between the starts of consecutive windows.
    random_state : int, RandomState instance or None, default=None
        Seed of the simulation; an int gives the same data every call.

    Returns
    -------
    X : ndarray of shape (n_questions, 4)
        With ``columns="notebook"``: joint null logit, start null logit, end
        null logit, best span score; BERT's margin is ``X[:, 0] - X[:, 3]``.
        With ``columns="per_head"``: ``null_start_logit``,
        ``null_end_logit``, ``span_start_logit``, ``span_end_logit``; BERT's
        margin is ``X[:, 0] + X[:, 1] - X[:, 2] - X[:, 3]``.
    y : ndarray of shape (n_questions,) of bool
        True where the question is unanswerable.

    See Also
    --------
    write_squad_example : The per-head reader's run_qa output files.

    Notes
    -----
    The constants are calibrated to what is public about real readers on
    SQuAD 2.0 dev (11,873 questions, 5,945 unanswerable):

    - The notebook KNOT-FIT-BUT/JointSpanExtraction
      ``analysis/squad2_noans_tuning.ipynb``, two checkpoints of a joint
      reader: BERT's rule scores 0.802 and 0.782 accuracy at threshold 0
      (its cell adds its threshold to every column, where it cancels), its
      BERT script tuned the threshold to -0.752 and -0.945, a fused
      logistic regression scores 0.804 and 0.787 in-sample (+0.2 and +0.4
      points), and ten independent-head readers 0.793 to 0.808. Its printed
      rows have joint null logits of about 0.5 to 10, start and end null
      logits of about -3 to 6 and best span scores of about 2 to 11.
    - Published outputs of the official evaluation script for BERT-style
      readers: tuning the threshold on ``null_odds`` gains 0 to 1.1 points
      of exact match (73.26 to 74.32 at -2.58, 79.29 to 80.09 at -5.31,
      82.29 to 82.90 at -2.46, none for a fourth reader), the best
      thresholds lying between about -1 and -5.

    With the defaults, on each of random states 0 to 99, both column sets
    give: the tuned rule 0.798 to 0.818 accuracy (0.796 to 0.816 out of
    fold, 5-fold stratified) at a threshold between -3.6 and -0.1;
    threshold 0 at most 1.1 points worse; a logistic regression (or
    `TorchLogisticFusion`) on all four columns between -0.3 and +1.1 points
    better than the tuned rule out of fold. These are properties of the
    simulation, calibrated to the facts above, not measurements of a
    reader.

    Examples
    --------
    >>> from skfusion import MarginThresholdClassifier
    >>> from skfusion.datasets import make_squad2_scores
    >>> X, y = make_squad2_scores(random_state=0)
    >>> X.shape, int(y.sum())
    ((11873, 4), 5945)
    >>> X, y = make_squad2_scores(columns="per_head", random_state=0)
    >>> margin = (X[:, 0] + X[:, 1] - X[:, 2] - X[:, 3]).reshape(-1, 1)
    >>> tuned = MarginThresholdClassifier(span_column=None).fit(margin, y)
    >>> at_0 = MarginThresholdClassifier(span_column=None, threshold=0.0)
    >>> print(f"{tuned.best_score_:.3f} at {tuned.best_threshold_:.2f}, "
    ...       f"{at_0.fit(margin, y).best_score_:.3f} at 0")
    0.805 at -2.80, 0.797 at 0
    """
    n_unanswerable = _check_sizes(
        n_questions, n_unanswerable, max_seq_length, doc_stride, columns
    )
    rng = check_random_state(random_state)
    simulation = _simulate(
        n_questions, n_unanswerable, columns, max_seq_length, doc_stride, rng
    )
    return simulation.X, simulation.questions.unanswerable
