"""Simulated reader scores, so that demos and tests run offline."""

import numpy as np
from sklearn.utils import check_random_state

FEATURE_NAMES = ("joint_null", "start_null", "end_null", "best_span")


def make_squad2_scores(
    n_questions: int = 11873,
    *,
    unanswerable_fraction: float = 0.5,
    random_state=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate a SQuAD 2.0 reader's no-answer scores.

    Each question has a latent answerability evidence ``e``, normal with mean
    +0.95 for unanswerable and -0.95 for answerable questions. The reader sees
    it through noisy heads: the joint-head null logit (about ``3 + 2.5 e``),
    the start and end null logits (about ``1 + 1.8 e``, correlated with each
    other), and the best span score (about ``6 - 1.5 e``), each with its own
    noise. The columns and their scale follow the seed notebook's dev-set
    scores; the rule ``joint_null - best_span > threshold`` reaches roughly
    0.8 accuracy, as real readers do.

    Parameters
    ----------
    n_questions : int, default=11873
        Number of questions (rows); 11,873 is the size of SQuAD 2.0 dev.
    unanswerable_fraction : float, default=0.5
        Expected fraction of unanswerable questions.
    random_state : int, RandomState instance or None, default=None
        Seed of the simulation; an int gives the same data every call.

    Returns
    -------
    X : ndarray of shape (n_questions, 4)
        Columns: joint null logit, start null logit, end null logit, best
        span score (see ``FEATURE_NAMES``).
    y : ndarray of shape (n_questions,) of bool
        True where the question is unanswerable.

    Examples
    --------
    >>> from skfusion.datasets import make_squad2_scores
    >>> X, y = make_squad2_scores(n_questions=1000, random_state=0)
    >>> X.shape, y.dtype
    ((1000, 4), dtype('bool'))
    """
    if n_questions < 1:
        raise ValueError(f"n_questions={n_questions} must be at least 1.")
    if not 0.0 <= unanswerable_fraction <= 1.0:
        raise ValueError(
            f"unanswerable_fraction={unanswerable_fraction} must be in [0, 1]."
        )
    rng = check_random_state(random_state)
    y = rng.uniform(size=n_questions) < unanswerable_fraction
    evidence = np.where(y, 0.95, -0.95) + rng.normal(size=n_questions)
    shared_null = rng.normal(scale=0.8, size=n_questions)
    X = np.column_stack(
        [
            3.0 + 2.5 * evidence + rng.normal(scale=1.5, size=n_questions),
            1.0 + 1.8 * evidence + shared_null + rng.normal(size=n_questions),
            1.0 + 1.8 * evidence + shared_null + rng.normal(size=n_questions),
            6.0 - 1.5 * evidence + rng.normal(scale=1.5, size=n_questions),
        ]
    )
    return X, y
