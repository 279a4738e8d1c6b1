import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skfusion import MarginThresholdClassifier
from skfusion.datasets import (
    PER_HEAD_FEATURE_NAMES,
    load_csv,
    load_squad_outputs,
    make_squad2_scores,
)


def test_simulator_defaults_match_squad2_dev_and_the_seeds_accuracy():
    X, y = make_squad2_scores(random_state=0)
    assert X.shape == (11873, 4)
    assert y.sum() == 5945
    accuracy = MarginThresholdClassifier().fit(X, y).best_score_
    assert 0.78 <= accuracy <= 0.82


def test_simulator_is_deterministic_and_seed_dependent():
    a = make_squad2_scores(n_questions=500, random_state=3)
    b = make_squad2_scores(n_questions=500, random_state=3)
    c = make_squad2_scores(n_questions=500, random_state=4)
    assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


def test_longer_windows_leave_fewer_multi_window_questions():
    """Shorter windows split more contexts, which lowers the null minimum."""
    X_long, _ = make_squad2_scores(n_questions=3000, random_state=0)
    X_short, _ = make_squad2_scores(
        n_questions=3000, max_seq_length=128, doc_stride=64, random_state=0
    )
    assert X_short[:, 0].mean() < X_long[:, 0].mean()


def test_simulator_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n_unanswerable=20"):
        make_squad2_scores(n_questions=10, n_unanswerable=20)


# --- CSV ----------------------------------------------------------------------


def test_load_squad_outputs_names_the_files(squad_files):
    data = load_squad_outputs(
        squad_files["dev"],
        nbest=squad_files["nbest"],
        null_odds=squad_files["null_odds"],
    )
    assert data.feature_names == list(PER_HEAD_FEATURE_NAMES)
    with pytest.raises(ValueError, match=r"Give null_odds.json or nbest"):
        load_squad_outputs(squad_files["dev"], predictions=squad_files["preds"])


def test_csv_with_named_columns_and_credit(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(
        "id,null,span,unanswerable,em\n"
        "a,1.5,3.0,false,1\n"
        "b,4.0,1.0,true,1\n"
        "c,0.5,2.0,0,0\n"
    )
    data = load_csv(path, id_column="id")
    assert data.feature_names == ["null", "span"]
    assert_array_equal(data.target, [False, True, False])
    assert_allclose(data.em, [1, 1, 0])
    assert data.f1 is None
    assert list(data.ids) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "id,x,unanswerable\na,1,true\na,2,false\n",
            r"bad.csv: 1 duplicate question id\(s\), e\.g\. 'a'",
        ),
        ("id,x,label\na,1,true\n", r"column\(s\) \['unanswerable'\] not found"),
        ("id,x,unanswerable\na,1,maybe\n", r"bad.csv: row 2: label 'maybe' is not"),
        ("id,x,unanswerable\na,inf,true\n", "non-finite scores"),
        ("id,x,unanswerable\na,abc,true\n", r"row 2: x is 'abc', expected a number"),
        ("id,x,unanswerable\na,1\n", r"1 row\(s\) do not have the header's 3 fields"),
    ],
)
def test_bad_csv_fails_clearly(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_csv(path, id_column="id")


def test_written_example_loads_back_consistently(tmp_path):
    from skfusion.datasets import write_squad_example

    paths = write_squad_example(tmp_path, n_questions=300, random_state=1)
    data = load_squad_outputs(
        paths["dev"], nbest=paths["nbest"], null_odds=paths["null_odds"]
    )
    assert data.data.shape == (300, 4)
    answerable = ~data.target
    assert set(np.unique(data.em[answerable])) == {0.0, 1.0}
    assert (data.f1 >= data.em).all()
