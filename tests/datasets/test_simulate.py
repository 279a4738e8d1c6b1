import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from skfusion import MarginThresholdClassifier
from skfusion.datasets import (
    FEATURE_NAMES,
    PER_HEAD_FEATURE_NAMES,
    make_squad2_scores,
)
from skfusion.datasets._simulate import _draw_questions, _window_of_extreme

COLUMNS = ["notebook", "per_head"]


def bert_margin(X, columns):
    """BERT's null - best span of each column set, as one column."""
    if columns == "notebook":
        return (X[:, 0] - X[:, 3])[:, None]
    return (X[:, 0] + X[:, 1] - X[:, 2] - X[:, 3])[:, None]


@pytest.mark.parametrize("columns", COLUMNS)
def test_defaults_are_squad2_dev_sized(columns):
    X, y = make_squad2_scores(columns=columns, random_state=0)
    assert X.shape == (11873, 4)
    assert y.dtype == bool
    assert y.sum() == 5945


def test_column_names_are_the_loaders():
    assert FEATURE_NAMES == ("joint_null", "start_null", "end_null", "best_span")
    assert PER_HEAD_FEATURE_NAMES == (
        "null_start_logit",
        "null_end_logit",
        "span_start_logit",
        "span_end_logit",
    )


@pytest.mark.parametrize("columns", COLUMNS)
def test_simulator_is_deterministic_and_seed_dependent(columns):
    a = make_squad2_scores(n_questions=500, columns=columns, random_state=3)
    b = make_squad2_scores(n_questions=500, columns=columns, random_state=3)
    c = make_squad2_scores(n_questions=500, columns=columns, random_state=4)
    assert_array_equal(a[0], b[0])
    assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_both_readers_read_the_same_questions():
    X_joint, y_joint = make_squad2_scores(n_questions=800, random_state=5)
    X_heads, y_heads = make_squad2_scores(
        n_questions=800, columns="per_head", random_state=5
    )
    assert_array_equal(y_joint, y_heads)
    # The readers differ, but both see which questions are hard.
    corr = np.corrcoef(bert_margin(X_joint, "notebook")[:, 0], X_heads[:, 0])[0, 1]
    assert corr > 0.5


def test_longer_windows_leave_fewer_multi_window_questions():
    """Shorter windows split more contexts, which lowers the null minimum."""
    X_long, _ = make_squad2_scores(n_questions=3000, random_state=0)
    X_short, _ = make_squad2_scores(
        n_questions=3000, max_seq_length=128, doc_stride=64, random_state=0
    )
    assert X_short[:, 0].mean() < X_long[:, 0].mean()


def test_windows_hold_the_answer_only_if_it_fits_whole():
    rng = np.random.RandomState(0)
    q = _draw_questions(rng, 400, 200, 128, 64)
    first_of = np.repeat(q.first, np.diff(np.append(q.first, q.owner.size)))
    assert_array_equal(q.owner, np.repeat(np.arange(400), np.bincount(q.owner)))
    for w in range(q.owner.size):
        i = q.owner[w]
        window = range(q.window_start[w], q.window_start[w] + q.room[i])
        inside = (
            q.answer_start[i] in window
            and q.answer_start[i] + q.answer_length[i] - 1 in window
        )
        assert q.holds_answer[w] == (inside and not q.unanswerable[i])
        assert q.window_start[w] == (w - first_of[w]) * 64
    # Every answerable question has a window holding its answer.
    answerable = ~q.unanswerable
    assert np.bincount(q.owner, weights=q.holds_answer)[answerable].min() >= 1


@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=8),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_window_of_extreme_matches_a_loop(sizes, seed, largest):
    values = np.random.RandomState(seed).normal(size=sum(sizes))
    owner = np.repeat(np.arange(len(sizes)), sizes)
    first = np.cumsum(sizes) - sizes
    picked = _window_of_extreme(values, owner, first, largest=largest)
    pick = np.argmax if largest else np.argmin
    expected = [f + pick(values[f : f + n]) for f, n in zip(first, sizes, strict=True)]
    assert_array_equal(picked, expected)


def test_per_head_questions_without_a_valid_span_have_zero_span_logits():
    """transformers' fake "empty" span: start and end logits 0.0."""
    X, _ = make_squad2_scores(columns="per_head", random_state=0)
    no_span = (X[:, 2] == 0) & (X[:, 3] == 0)
    assert 0 < no_span.sum() < 0.01 * len(X)
    assert (X[~no_span, 2:] != 0).all()


def test_simulator_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_unanswerable=20"):
        make_squad2_scores(n_questions=10, n_unanswerable=20)
    with pytest.raises(ValueError, match=r"columns='joint' is not valid"):
        make_squad2_scores(n_questions=10, columns="joint")


# --- calibration against real SQuAD 2.0 readers ----------------------------------


@pytest.mark.parametrize("columns", COLUMNS)
@pytest.mark.parametrize("random_state", [0, 17, 123])
def test_tuning_the_margin_threshold_gains_what_it_gains_on_real_readers(
    columns, random_state
):
    """Real readers: tuned accuracy about 0.8, threshold 0 a point or so worse."""
    X, y = make_squad2_scores(columns=columns, random_state=random_state)
    margin = bert_margin(X, columns)
    tuned = MarginThresholdClassifier(span_column=None).fit(margin, y)
    default = MarginThresholdClassifier(span_column=None, threshold=0.0)
    loss = tuned.best_score_ - default.fit(margin, y).best_score_
    assert 0.77 <= tuned.best_score_ <= 0.86
    assert -6.0 <= tuned.best_threshold_ <= 0.5
    assert 0.0 <= loss <= 0.025


@pytest.mark.parametrize("columns", COLUMNS)
@pytest.mark.parametrize("random_state", [0, 17, 123])
def test_fusing_the_columns_gains_at_most_a_point_and_a_half(columns, random_state):
    """Out of fold, a logistic regression on all four columns against BERT's rule."""
    X, y = make_squad2_scores(columns=columns, random_state=random_state)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    rule = cross_val_score(
        MarginThresholdClassifier(span_column=None), bert_margin(X, columns), y, cv=cv
    )
    fused = cross_val_score(LogisticRegression(), X, y, cv=cv)
    assert -0.005 <= fused.mean() - rule.mean() <= 0.015


def test_grouped_questions_share_difficulty_within_paragraphs():
    X, y, groups = make_squad2_scores(grouped=True, random_state=0)
    article, paragraph = groups["article"], groups["paragraph"]
    assert (len(np.unique(article)), len(np.unique(paragraph))) == (35, 1204)
    # Paragraphs nest in articles, and both are runs of consecutive rows.
    assert all(len(np.unique(article[paragraph == p])) == 1 for p in range(1204))
    assert np.all(np.diff(paragraph) >= 0) and np.all(np.diff(article) >= 0)
    # One-way ANOVA over paragraphs of the answerable questions' margins:
    # the grouped simulation's paragraphs differ, the independent one's
    # (same labels drawn, same paragraph codes) do not.
    independent, y_independent = make_squad2_scores(random_state=0)

    def paragraph_anova_p(X, y):
        margin = (X[:, 0] - X[:, 3])[~y]
        codes = paragraph[~y]
        return stats.f_oneway(*(margin[codes == p] for p in np.unique(codes))).pvalue

    assert paragraph_anova_p(X, y) < 1e-6
    assert paragraph_anova_p(independent, y_independent) > 1e-3


def test_grouped_small_simulations_keep_two_articles():
    _, _, groups = make_squad2_scores(200, grouped=True, random_state=1)
    assert len(np.unique(groups["article"])) == 2
    assert len(np.unique(groups["paragraph"])) == 20
