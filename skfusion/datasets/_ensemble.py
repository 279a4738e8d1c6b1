"""Several correlated simulated readers of the same questions, and a verifier."""

import numpy as np
from scipy.special import expit
from sklearn.utils import Bunch, check_random_state

from ._base import reader_bunch
from ._multi import SEPARATOR
from ._simulate import (
    _COLUMNS,
    _EVIDENCE,
    SQUAD2_DEV_QUESTIONS,
    _check_sizes,
    _draw_questions,
    _joint_reader_columns,
    _per_head_reader_columns,
)

_MARGINS = {
    "notebook": (["joint_null"], ["best_span"]),
    "per_head": (
        ["null_start_logit", "null_end_logit"],
        ["span_start_logit", "span_end_logit"],
    ),
}
# The verifier gives a probability of no answer from the evidence of the
# question's most answer-like window, read with extra noise.
_VERIFIER = {"noise": 0.8, "slope": 1.5}


def _check_ensemble(n_readers, correlation):
    if not isinstance(n_readers, (int, np.integer)) or n_readers < 1:
        raise ValueError(f"n_readers={n_readers!r} must be an integer >= 1.")
    if not 0 <= correlation <= 1:
        raise ValueError(f"correlation={correlation!r} must be in [0, 1].")


def _evidence_parts(rng, questions):
    """Draw `_draw_evidence`'s evidence (same draws) and its window noise."""
    difficulty = rng.normal(scale=_EVIDENCE["question_sd"], size=questions.first.size)
    mean = np.where(questions.holds_answer, _EVIDENCE["answer"], _EVIDENCE["no_answer"])
    noise = rng.normal(scale=_EVIDENCE["window_sd"], size=questions.owner.size)
    return mean + difficulty[questions.owner], noise


def _another_reading(rng, parts, correlation):
    """Evidence as another model reads it: window noise correlated with the first."""
    shared, noise = parts
    own = rng.normal(scale=_EVIDENCE["window_sd"], size=noise.size)
    return shared + correlation * noise + np.sqrt(1 - correlation**2) * own


def _verifier(rng, questions, evidence):
    """Return the probability of no answer from the most answer-like window."""
    seen = evidence + rng.normal(scale=_VERIFIER["noise"], size=evidence.size)
    lowest = np.minimum.reduceat(seen, questions.first)
    middle = (_EVIDENCE["answer"] + _EVIDENCE["no_answer"]) / 2
    return expit(_VERIFIER["slope"] * (lowest - middle))


def make_squad2_ensemble(
    n_questions: int = SQUAD2_DEV_QUESTIONS,
    *,
    n_readers: int = 2,
    verifier: bool = True,
    correlation: float = 0.7,
    columns: str = "per_head",
    random_state=None,
) -> Bunch:
    """Simulate several correlated readers of the same questions, and a verifier.

    Steps 1 to 3 of `make_squad2_scores` are drawn once: every reader reads
    the same questions, with the same difficulty. Reader 0 is
    `make_squad2_scores`'s reader itself (same columns for the same
    `random_state`); each further reader sees windows whose evidence noise
    (step 4) has correlation `correlation` with reader 0's, the rest its
    own, so it is as good a reader, and as correlated as checkpoints or
    ensemble members of one architecture are; its heads then add their own
    noise (step 5). The verifier (like Retro-Reader's external front
    verifier) sees the evidence the same way, adds normal noise (sd 0.8),
    and gives a probability of no answer, ``expit(1.5 (e + 0.15))`` for the
    evidence ``e`` of the question's most answer-like window.

    Parameters
    ----------
    n_questions : int, default=11873
        Number of questions; the default is SQuAD 2.0 dev's.
    n_readers : int, default=2
        Number of readers.
    verifier : bool, default=True
        Whether to add the verifier's column ``verifier``.
    correlation : float, default=0.7
        Correlation of each further reader's (and the verifier's) window
        evidence noise with reader 0's, in [0, 1]; 1 makes the readers differ
        by their heads' noise only.
    columns : {"per_head", "notebook"}, default="per_head"
        Each reader's columns, as `make_squad2_scores`'s `columns`.
    random_state : int, RandomState instance or None, default=None
        Seed of the simulation; an int gives the same data every call.

    Returns
    -------
    data : Bunch
        As `load_reader_outputs` returns several runs joined: ``data``
        (``reader0__null_start_logit``, ..., then ``verifier``),
        ``feature_names``, ``target``, ``ids``, ``margin_columns`` (reader
        0's), ``run_margins`` (each reader's) and ``primary``
        (``"reader0"``); no span texts or credit.

    See Also
    --------
    make_squad2_scores : One simulated reader.
    load_reader_outputs : Several real runs, joined the same way.

    Notes
    -----
    With the defaults, on random states 0 to 19 (``python -m
    benchmarks.check_simulator --states 0 --ensemble-states 20``), out of
    fold: each reader's tuned rule scores 0.797 to 0.813 accuracy, the
    verifier's 0.767 to 0.780; a logistic regression on both readers'
    columns gains 1.3 to 2.5 points over the better reader's tuned rule, on
    every column 1.5 to 2.9, and 1.0 to 2.2 over the tuned rule on the
    fixed average of reader 0's margin and the verifier's logit (the fixed
    0.5/0.5 weights of Retro-Reader's rear verification). These gains are
    properties of the simulation (of `correlation` above all), not
    measurements of real readers.

    Examples
    --------
    >>> from skfusion.datasets import make_squad2_ensemble
    >>> data = make_squad2_ensemble(2000, random_state=0)
    >>> data.data.shape, data.feature_names[-1], data.primary
    ((2000, 9), 'verifier', 'reader0')
    >>> data.run_margins["reader1"][0]
    ['reader1__null_start_logit', 'reader1__null_end_logit']
    """
    _check_ensemble(n_readers, correlation)
    n_unanswerable = _check_sizes(n_questions, None, 384, 128, columns)
    rng = check_random_state(random_state)
    questions = _draw_questions(rng, n_questions, n_unanswerable, 384, 128)
    parts = _evidence_parts(rng, questions)
    read = _joint_reader_columns if columns == "notebook" else _per_head_reader_columns
    blocks, names, margins = [], [], {}
    for r in range(n_readers):
        seen = sum(parts) if r == 0 else _another_reading(rng, parts, correlation)
        blocks.append(read(rng, questions, seen).X)
        lead = f"reader{r}{SEPARATOR}"
        names += [lead + c for c in _COLUMNS[columns]]
        null, span = _MARGINS[columns]
        margins[f"reader{r}"] = ([lead + c for c in null], [lead + c for c in span])
    if verifier:
        seen = _another_reading(rng, parts, correlation)
        blocks.append(_verifier(rng, questions, seen)[:, None])
        names.append("verifier")
    data = reader_bunch(
        np.hstack(blocks),
        names,
        questions.unanswerable,
        [f"sim{i:05d}" for i in range(n_questions)],
        margin_columns=margins["reader0"],
        descr=f"make_squad2_ensemble(n_readers={n_readers}, verifier={verifier}, "
        f"random_state={random_state!r})",
    )
    data.run_margins, data.primary = margins, "reader0"
    return data
