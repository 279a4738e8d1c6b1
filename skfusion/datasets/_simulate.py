"""Simulated SQuAD 2.0 readers' no-answer scores, one reader or several."""

import numpy as np
from scipy.special import expit
from sklearn.utils import Bunch, check_random_state

from ._base import PER_HEAD_FEATURE_NAMES, SEPARATOR, reader_bunch

SQUAD2_DEV_QUESTIONS = 11873
SQUAD2_DEV_UNANSWERABLE = 5945
SQUAD2_DEV_ARTICLES = 35
SQUAD2_DEV_PARAGRAPHS = 1204
FEATURE_NAMES = ("joint_null", "start_null", "end_null", "best_span")
COLUMNS = {"notebook": FEATURE_NAMES, "per_head": PER_HEAD_FEATURE_NAMES}

# Evidence of "no answer here" in one window: the window's mean, and the
# spread of the question's difficulty (shared by its windows) and of the
# window's own noise.
EVIDENCE = {"answer": -1.3, "no_answer": 1.0, "question_sd": 0.8, "window_sd": 1.0}
# With ``grouped=True``, the difficulty's spread shared by the questions of
# one article, of one paragraph, and each question's own (0.8 in all).
GROUPED_SD = {"article": 0.3, "paragraph": 0.4, "question": np.sqrt(0.8**2 - 0.25)}
# Each head reads the evidence as ``offset + slope * evidence + noise``
# (offset, slope, noise sd); the two heads of one kind (start and end) also
# share a component of the sd given after them.
_JOINT = {"joint": (5.2, 2.6, 0.9), "start_end": ((1.6, 2.2, 1.0), 0.6)}
_JOINT["span"] = (5.4, -1.8, 0.9)
_PER_HEAD = {"null": ((2.2, 2.4, 0.6), 0.4), "span": ((2.6, -1.3, 1.2), 0.8)}
# transformers' run_qa writes a fake "empty" span with logits 0 when no
# (start, end) pair among its top-20 starts and ends is a valid span.
_NO_VALID_SPAN_RATE = 0.003


def check_sizes(n_questions, n_unanswerable, max_seq_length, doc_stride, columns):
    """Validate the simulator's arguments; return `n_unanswerable`."""
    if columns not in COLUMNS:
        raise ValueError(
            f"columns={columns!r} is not valid: expected one of {sorted(COLUMNS)}."
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


def _draw_questions(rng, n_questions, n_unanswerable, max_seq_length, doc_stride):
    """Draw labels, contexts and windows (steps 1 and 2), one row per window.

    A window holds ``max_seq_length - question - 3`` context tokens ([CLS],
    two [SEP]); windows start every `doc_stride` tokens until the context
    is covered, as BERT's run_squad cuts them.
    """
    y = np.zeros(n_questions, dtype=bool)
    y[rng.permutation(n_questions)[:n_unanswerable]] = True
    context = np.clip(rng.lognormal(np.log(150), 0.45, n_questions), 30, 1500)
    context = context.astype(int)
    room = max_seq_length - rng.randint(6, 30, n_questions) - 3
    n_windows = 1 + np.ceil(np.maximum(0, context - room) / doc_stride).astype(int)
    length = rng.randint(1, 6, n_questions)
    start = (rng.uniform(size=n_questions) * (context - length)).astype(int)
    owner = np.repeat(np.arange(n_questions), n_windows)
    first = np.cumsum(n_windows) - n_windows
    window_start = (np.arange(owner.size) - first[owner]) * doc_stride
    holds_answer = (
        ~y[owner]
        & (start[owner] >= window_start)
        & (start[owner] + length[owner] <= window_start + room[owner])
    )
    return Bunch(
        unanswerable=y,
        context_tokens=context,
        answer_start=start,
        answer_length=length,
        first=first,  # each question's first window
        owner=owner,  # each window's question
        window_start=window_start,  # each window's first context token
        room=room,
        holds_answer=holds_answer,
    )


def _group_sizes(rng, total, n_groups):
    """Split `total` items into `n_groups` positive, unequal sizes."""
    shares = rng.dirichlet(np.full(n_groups, 4.0))
    return rng.multinomial(total - n_groups, shares) + 1


def _draw_groups(rng, n_questions):
    """Each question's article and paragraph, in SQuAD 2.0 dev's proportions."""
    scale = n_questions / SQUAD2_DEV_QUESTIONS
    n_articles = min(n_questions, max(2, round(SQUAD2_DEV_ARTICLES * scale)))
    n_paragraphs = min(
        n_questions, max(n_articles, round(SQUAD2_DEV_PARAGRAPHS * scale))
    )
    paragraph = np.repeat(
        np.arange(n_paragraphs), _group_sizes(rng, n_questions, n_paragraphs)
    )
    article = np.repeat(
        np.arange(n_articles), _group_sizes(rng, n_paragraphs, n_articles)
    )
    return {"article": article[paragraph], "paragraph": paragraph}


def _grouped_difficulty(rng, groups):
    """Draw a difficulty shared within articles and paragraphs, sd 0.8 in all."""
    n_questions = groups["paragraph"].size
    difficulty = rng.normal(scale=GROUPED_SD["question"], size=n_questions)
    for level in ("article", "paragraph"):
        codes = groups[level]
        difficulty += rng.normal(scale=GROUPED_SD[level], size=codes.max() + 1)[codes]
    return difficulty


def draw_evidence(rng, questions, groups=None):
    """Draw the evidence (steps 3, 4): its question's part, and window noise."""
    if groups is None:
        difficulty = rng.normal(
            scale=EVIDENCE["question_sd"], size=questions.first.size
        )
    else:
        difficulty = _grouped_difficulty(rng, groups)
    mean = np.where(questions.holds_answer, EVIDENCE["answer"], EVIDENCE["no_answer"])
    noise = rng.normal(scale=EVIDENCE["window_sd"], size=questions.owner.size)
    return mean + difficulty[questions.owner], noise


def _read(rng, evidence, head, shared=0.0):
    """One head's logit in every window: ``offset + slope * evidence + noise``."""
    offset, slope, noise = head
    return (
        offset + slope * evidence + shared + rng.normal(scale=noise, size=evidence.size)
    )


def _window_of_extreme(values, owner, first, largest):
    """Return the index of each question's lowest (or highest) window value."""
    # Windows are grouped by question: a stable sort by (owner, value) puts
    # each question's extreme window first in its group.
    return np.lexsort((-values if largest else values, owner))[first]


def read_windows(rng, questions, evidence, columns):
    """Read every window with the reader `columns` names (step 5)."""
    first = questions.first
    if columns == "notebook":
        shared = rng.normal(scale=_JOINT["start_end"][1], size=evidence.size)
        null = [
            _read(rng, evidence, _JOINT["joint"]),
            *(_read(rng, evidence, _JOINT["start_end"][0], shared) for _ in "se"),
        ]
        span = _read(rng, evidence, _JOINT["span"])
        X = [np.minimum.reduceat(w, first) for w in null]
        return Bunch(X=np.column_stack([*X, np.maximum.reduceat(span, first)]))
    shared = [rng.normal(scale=_PER_HEAD[k][1], size=evidence.size) for k in _PER_HEAD]
    heads = [
        _read(rng, evidence, _PER_HEAD[k][0], s)
        for k, s in zip(_PER_HEAD, shared, strict=True)
        for _ in "se"
    ]
    # run_qa takes the null logits of the window of lowest start[0] + end[0],
    # and the span of highest start + end over all windows.
    owner = questions.owner
    null = _window_of_extreme(heads[0] + heads[1], owner, first, largest=False)
    span = _window_of_extreme(heads[2] + heads[3], owner, first, largest=True)
    X = np.column_stack(
        [heads[0][null], heads[1][null], heads[2][span], heads[3][span]]
    )
    no_valid_span = rng.uniform(size=first.size) < _NO_VALID_SPAN_RATE
    X[no_valid_span, 2:] = 0.0
    return Bunch(X=X, span_window=span, no_valid_span=no_valid_span)


def simulate(
    n_questions, n_unanswerable, columns, rng, max_seq_length, doc_stride, groups=None
):
    """Simulate the questions and one reader of them."""
    questions = _draw_questions(
        rng, n_questions, n_unanswerable, max_seq_length, doc_stride
    )
    evidence = sum(draw_evidence(rng, questions, groups))
    return questions, read_windows(rng, questions, evidence, columns)


def make_squad2_scores(
    n_questions: int = SQUAD2_DEV_QUESTIONS,
    *,
    n_unanswerable: int | None = None,
    columns: str = "notebook",
    max_seq_length: int = 384,
    doc_stride: int = 128,
    grouped: bool = False,
    random_state=None,
) -> tuple:
    """Simulate a SQuAD 2.0 reader's no-answer scores, window by window.

    Per question: (1) exactly `n_unanswerable` questions, at random, are
    unanswerable; (2) a context of log-normal length (median 150 tokens),
    a question of 6 to 29 tokens and an answer of 1 to 5 at a uniform
    position, the context cut into windows of ``max_seq_length - question -
    3`` tokens every `doc_stride`, as run_squad and run_qa cut it; (3) a
    difficulty, normal (sd 0.8), shared by its windows; (4) in each window,
    evidence ``e`` of "no answer here": -1.3 in a window holding the answer
    whole, +1.0 elsewhere, plus the difficulty and unit normal noise;
    (5) the reader's heads read ``e`` with noise of their own, and the
    windows are aggregated, by the reader `columns` names:

    - ``"notebook"``, the notebook's joint reader: joint null logit
      ``5.2 + 2.6 e``, start and end null logits ``1.6 + 2.2 e`` (sharing
      some noise, as two heads of one model do), best span score
      ``5.4 - 1.8 e``; each null is its minimum over windows, the best span
      the maximum.
    - ``"per_head"``, an independent-head reader (BERT, run_qa): start and
      end null logits ``2.2 + 2.4 e``, of the window of lowest null score,
      and span logits ``2.6 - 1.3 e``, of the best span over all windows,
      as run_qa picks them; in 0.3% of questions no span is valid, and the
      span logits are 0.0, those of run_qa's fake "empty" span.

    Steps 1 to 4, and so the labels, are the same whichever `columns`.
    With ``grouped=True`` the questions fall, in order, into paragraphs and
    articles in SQuAD 2.0 dev's proportions (1,204 paragraphs and 35
    articles for 11,873 questions, of unequal sizes), and the difficulty of
    step 3 is the sum of an article's part (sd 0.3), a paragraph's (sd 0.4)
    and the question's own (sd 0.62): questions of one paragraph or article
    are then not independent, as on real dev sets.

    Parameters
    ----------
    n_questions : int, default=11873
        Number of questions (rows); the default is SQuAD 2.0 dev's.
    n_unanswerable : int or None, default=None
        Number of unanswerable questions; None keeps SQuAD 2.0 dev's ratio
        (5,945 of 11,873).
    columns : {"notebook", "per_head"}, default="notebook"
        Which reader's columns to return: ``FEATURE_NAMES`` or
        ``PER_HEAD_FEATURE_NAMES``, as the loaders name them.
    max_seq_length : int, default=384
        Tokens per window, question and special tokens included.
    doc_stride : int, default=128
        Tokens between the starts of consecutive windows.
    grouped : bool, default=False
        Whether questions share difficulty within paragraphs and articles;
        if True, their groups are returned too.
    random_state : int, RandomState instance or None, default=None
        Seed of the simulation; an int gives the same data every call.

    Returns
    -------
    X : ndarray of shape (n_questions, 4)
        The columns in that order; BERT's margin is ``X[:, 0] - X[:, 3]``
        (notebook) or ``X[:, 0] + X[:, 1] - X[:, 2] - X[:, 3]`` (per head).
    y : ndarray of shape (n_questions,) of bool
        True where the question is unanswerable.
    groups : dict of str to ndarray of shape (n_questions,)
        Only with ``grouped=True``: each question's ``"article"`` and
        ``"paragraph"`` (integer codes), as `compare_estimators`'s `groups`
        takes them.

    See Also
    --------
    write_squad_example : The per-head reader's run_qa output files.
    make_squad2_ensemble : Several readers of the same questions.

    Notes
    -----
    The constants are calibrated to what is public about real readers on
    SQuAD 2.0 dev (the user guide's "What to expect on real readers": the
    notebook's two checkpoints, published outputs of the official
    evaluation script). With the defaults, on each of random states 0 to
    99, both column sets give: the tuned rule 0.798 to 0.818 accuracy
    (0.796 to 0.816 out of fold, 5-fold stratified) at a threshold between
    -3.6 and -0.1; threshold 0 at most 1.1 points worse; a logistic
    regression (or `TorchLogisticFusion`) on all four columns between -0.3
    and +1.1 points better than the tuned rule out of fold (``python -m
    benchmarks.check_simulator``). These are properties of the simulation,
    not measurements of a reader.

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
    >>> X, y, groups = make_squad2_scores(grouped=True, random_state=0)
    >>> [len(set(groups[level])) for level in ("article", "paragraph")]
    [35, 1204]
    """
    n_unanswerable = check_sizes(
        n_questions, n_unanswerable, max_seq_length, doc_stride, columns
    )
    rng = check_random_state(random_state)
    groups = _draw_groups(rng, n_questions) if grouped else None
    questions, reader = simulate(
        n_questions, n_unanswerable, columns, rng, max_seq_length, doc_stride, groups
    )
    if grouped:
        return reader.X, questions.unanswerable, groups
    return reader.X, questions.unanswerable


_MARGINS = {
    "notebook": (["joint_null"], ["best_span"]),
    "per_head": (list(PER_HEAD_FEATURE_NAMES[:2]), list(PER_HEAD_FEATURE_NAMES[2:])),
}


def _another_reading(rng, parts, correlation):
    """Evidence as another model reads it: window noise correlated with the first."""
    shared, noise = parts
    own = rng.normal(scale=EVIDENCE["window_sd"], size=noise.size)
    return shared + correlation * noise + np.sqrt(1 - correlation**2) * own


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

    Steps 1 to 3 of `make_squad2_scores` are drawn once, so every reader
    reads the same questions. Reader 0 is `make_squad2_scores`'s reader
    itself (same columns for the same `random_state`); each further one
    sees window evidence whose noise (step 4) has correlation `correlation`
    with reader 0's, so it is as good a reader, as correlated as checkpoints
    of one architecture are, and its heads add their own noise (step 5).
    The verifier (like Retro-Reader's external front verifier) sees the
    evidence the same way, adds normal noise (sd 0.8) and gives a
    probability of no answer, ``expit(1.5 (e + 0.15))`` for the evidence
    ``e`` of the question's most answer-like window.

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
    What fusing these readers gains out of fold is in the user guide
    ("Several runs and extra scores", ``python -m benchmarks.check_simulator
    --ensemble-states 20``): a property of the simulation (of `correlation`
    above all), not a measurement of real readers.

    Examples
    --------
    >>> from skfusion.datasets import make_squad2_ensemble
    >>> data = make_squad2_ensemble(2000, random_state=0)
    >>> data.data.shape, data.feature_names[-1], data.primary
    ((2000, 9), 'verifier', 'reader0')
    >>> data.run_margins["reader1"][0]
    ['reader1__null_start_logit', 'reader1__null_end_logit']
    """
    if not isinstance(n_readers, (int, np.integer)) or n_readers < 1:
        raise ValueError(f"n_readers={n_readers!r} must be an integer >= 1.")
    if not 0 <= correlation <= 1:
        raise ValueError(f"correlation={correlation!r} must be in [0, 1].")
    n_unanswerable = check_sizes(n_questions, None, 384, 128, columns)
    rng = check_random_state(random_state)
    questions = _draw_questions(rng, n_questions, n_unanswerable, 384, 128)
    parts = draw_evidence(rng, questions)
    blocks, names, margins = [], [], {}
    for r in range(n_readers):
        seen = sum(parts) if r == 0 else _another_reading(rng, parts, correlation)
        blocks.append(read_windows(rng, questions, seen, columns).X)
        lead = f"reader{r}{SEPARATOR}"
        names += [lead + c for c in COLUMNS[columns]]
        margins[f"reader{r}"] = tuple([lead + c for c in m] for m in _MARGINS[columns])
    if verifier:
        # The verifier reads the question's most answer-like window, with noise.
        seen = _another_reading(rng, parts, correlation)
        seen = seen + rng.normal(scale=0.8, size=seen.size)
        lowest = np.minimum.reduceat(seen, questions.first)
        middle = (EVIDENCE["answer"] + EVIDENCE["no_answer"]) / 2
        blocks.append(expit(1.5 * (lowest - middle))[:, None])
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
