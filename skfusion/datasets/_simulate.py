"""A simulator of a SQuAD 2.0 reader's no-answer scores."""

import numpy as np
from sklearn.utils import check_random_state

SQUAD2_DEV_QUESTIONS = 11873
SQUAD2_DEV_UNANSWERABLE = 5945
FEATURE_NAMES = ("joint_null", "start_null", "end_null", "best_span")


def _window_layout(context_tokens, question_tokens, max_seq_length, doc_stride):
    """Count the windows BERT's run_squad cuts each context into.

    A window holds ``max_seq_length - question_tokens - 3`` context tokens
    ([CLS], two [SEP]); windows start every `doc_stride` tokens until the
    context is covered.
    """
    room = max_seq_length - question_tokens - 3
    overflow = np.maximum(0, context_tokens - room)
    return 1 + np.ceil(overflow / doc_stride).astype(int), room


def make_squad2_scores(
    n_questions: int = SQUAD2_DEV_QUESTIONS,
    *,
    n_unanswerable: int | None = None,
    max_seq_length: int = 384,
    doc_stride: int = 128,
    random_state=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate a SQuAD 2.0 reader's no-answer scores, window by window.

    The generative story, per question:

    1. It is unanswerable with fixed frequency: exactly `n_unanswerable`
       questions, at random positions.
    2. Its context has a log-normal length in tokens (median 150) and its
       question 6 to 29 tokens; the context is cut into windows of
       ``max_seq_length - question - 3`` tokens every `doc_stride` tokens,
       as BERT's run_squad does. An answerable question's answer starts at a
       uniform position; windows that hold it whole contain the answer.
    3. The reader finds the question more or less hard: a question-level
       normal offset (sd 0.8) shared by all its windows.
    4. Each window gets evidence of "no answer here": +1.15 without the
       answer, -1.15 with it, plus the question's offset and unit normal
       noise. The heads read it with their own noise: joint null logit
       ``2 + 2.2 e``, start and end null logits ``0.5 + 1.6 e`` (sharing a
       component, as the two heads of one model do), best span score
       ``7 - 1.4 e``.
    5. Windows are aggregated as run_squad and the seed do: each null score
       is the minimum over windows, the best span the maximum.

    With the defaults (SQuAD 2.0 dev's 11,873 questions, 5,945 unanswerable)
    BERT's margin rule reaches about 0.80 cross-validated accuracy and a
    fused logistic regression about 0.81, the range of the seed's readers.

    Parameters
    ----------
    n_questions : int, default=11873
        Number of questions (rows).
    n_unanswerable : int or None, default=None
        Number of unanswerable questions; None keeps SQuAD 2.0 dev's ratio.
    max_seq_length : int, default=384
        Tokens per window, question and special tokens included.
    doc_stride : int, default=128
        Tokens between the starts of consecutive windows.
    random_state : int, RandomState instance or None, default=None
        Seed of the simulation; an int gives the same data every call.

    Returns
    -------
    X : ndarray of shape (n_questions, 4)
        Columns: joint null logit, start null logit, end null logit, best
        span score (``FEATURE_NAMES``).
    y : ndarray of shape (n_questions,) of bool
        True where the question is unanswerable.

    Examples
    --------
    >>> from skfusion.datasets import make_squad2_scores
    >>> X, y = make_squad2_scores(random_state=0)
    >>> X.shape, int(y.sum())
    ((11873, 4), 5945)
    """
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
    rng = check_random_state(random_state)
    y = np.zeros(n_questions, dtype=bool)
    y[rng.permutation(n_questions)[:n_unanswerable]] = True

    context = np.clip(rng.lognormal(np.log(150), 0.45, n_questions), 30, 1500)
    question = rng.randint(6, 30, n_questions)
    n_windows, room = _window_layout(
        context.astype(int), question, max_seq_length, doc_stride
    )
    answer_start = rng.uniform(size=n_questions) * np.maximum(1, context - 5)
    hardness = rng.normal(scale=0.8, size=n_questions)

    # One row per window, questions in order, so reduceat aggregates them.
    owner = np.repeat(np.arange(n_questions), n_windows)
    first = np.cumsum(n_windows) - n_windows
    window_start = (np.arange(owner.size) - first[owner]) * doc_stride
    holds_answer = (
        ~y[owner]
        & (answer_start[owner] >= window_start)
        & (answer_start[owner] + 4 < window_start + room[owner])
    )
    evidence = (
        np.where(holds_answer, -1.15, 1.15)
        + hardness[owner]
        + rng.normal(size=owner.size)
    )
    shared = rng.normal(scale=0.7, size=owner.size)

    def head(offset, slope, noise):
        return offset + slope * evidence + rng.normal(scale=noise, size=owner.size)

    X = np.column_stack(
        [
            np.minimum.reduceat(head(2.0, 2.2, 1.2), first),
            np.minimum.reduceat(head(0.5, 1.6, 0.9) + shared, first),
            np.minimum.reduceat(head(0.5, 1.6, 0.9) + shared, first),
            np.maximum.reduceat(head(7.0, -1.4, 1.3), first),
        ]
    )
    return X, y
