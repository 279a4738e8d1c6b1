import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skfusion.datasets import (
    PER_HEAD_FEATURE_NAMES,
    load_csv,
    load_squad_outputs,
)

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
        ("id,x,unanswerable\na,inf,true\n", r"row 2: x is 'inf', expected a finite"),
        ("id,x,unanswerable\na,abc,true\n", r"row 2: x is 'abc', expected a finite"),
        ("id,x,unanswerable\na,1\n", r"1 row\(s\) do not have the header's 3 fields"),
    ],
)
def test_bad_csv_fails_clearly(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_csv(path, id_column="id")
