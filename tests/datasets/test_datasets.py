import gzip

import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skfusion.datasets import (
    PER_HEAD_FEATURE_NAMES,
    load_csv,
    load_squad_outputs,
)
from skfusion.datasets._base import known_margin_columns

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
        # float() takes each of these; a score table holds plain decimals.
        ("id,x,unanswerable\na,1_000,true\n", r"row 2: x is '1_000', expected a"),
        ("id,x,unanswerable\na,\uff11\uff12,true\n", r"row 2: x is '\uff11\uff12'"),
        ("id,x,unanswerable\na,nan,true\n", r"row 2: x is 'nan', expected a finite"),
        ("id,x,unanswerable\na,1e999,true\n", r"row 2: x is '1e999', expected a"),
        ("id,x,unanswerable\na,\u00a01,true\n", r"row 2: x is '\\xa01', expected"),
        ("id,x,unanswerable\na,\u0663,true\n", r"row 2: x is '\u0663', expected"),
        ("id,x,x,unanswerable\na,1,2,true\n", r"1 column name\(s\) given twice"),
        ("id,x,,unanswerable\na,1,2,true\n", r"column 3 of the header has no name"),
        ("id,x,unanswerable,em\na,1,true,2\n", r"1 row\(s\) have em outside \[0.0, 1"),
        ("id,x,unanswerable,f1\na,1,true,-0.1\n", r"have f1 outside \[0.0, 1.0\]"),
        ("id,x,unanswerable\n,1,true\n", r"1 row\(s\) have an empty id, e\.g\. row 2"),
        ("id,x,unanswerable\na,1,\uff54rue\n", r"label '\uff54rue' is not true"),
        ("id,x,unanswerable\n", r"bad.csv: no data rows under the header"),
        ("", r"bad.csv: empty; expected a header row"),
        ('id,x,unanswerable\na,"1' + "0" * 200_000 + '",true\n', r"line 2: not valid"),
    ],
)
def test_bad_csv_fails_clearly(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as info:
        load_csv(path, id_column="id")
    assert "\n" not in str(info.value) and len(str(info.value)) < 400


def test_csv_numbers_as_written_by_writers(tmp_path):
    """Every plain decimal form that csv writers and people use is read."""
    cells = ["1", "-2", "+3", "4.", ".5", "-0.25", "1e3", "2.5E-2", " 7 "]
    path = tmp_path / "scores.csv"
    path.write_text(
        "x,unanswerable\n" + "".join(f'"{c}",{i % 2}\n' for i, c in enumerate(cells))
    )
    assert_allclose(
        load_csv(path).data[:, 0], [1, -2, 3, 4, 0.5, -0.25, 1000, 0.025, 7]
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (gzip.compress(b"x,unanswerable\n1,true\n"), r"bad.csv: is gzip-compressed"),
        (b"x,unanswerable\n1,tru\xe9\n", r"bad.csv: not UTF-8 text \(byte 0xe9"),
    ],
)
def test_binary_csv_is_refused(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        load_csv(path)


@pytest.mark.parametrize(
    ("header", "margin"),
    [
        (",".join([*PER_HEAD_FEATURE_NAMES, "x"]),
         (list(PER_HEAD_FEATURE_NAMES[:2]), list(PER_HEAD_FEATURE_NAMES[2:]))),
        ("x,null_odds", (["null_odds"], None)),
        ("best_span,x,joint_null", (["joint_null"], ["best_span"])),
        ("null_score,best_span_score", (["null_score"], ["best_span_score"])),
        ("span_score,null_score", (["null_score"], ["span_score"])),
        ("answer_class_score,span_start_log_prob", (["answer_class_score"], None)),
        ("na_prob", (["na_prob"], None)),
        ("null,span", None),
        ("joint_null,span", None),
    ],
)  # fmt: skip
def test_csv_margins_are_found_by_name_never_by_order(tmp_path, header, margin):
    path = tmp_path / "scores.csv"
    width = header.count(",") + 1
    path.write_text(f"{header},unanswerable\n" + "0.5," * width + "true\n")
    data = load_csv(path)
    assert data.margin_columns == margin
    if margin is not None:
        assert known_margin_columns(data) == margin
        return
    with pytest.raises(
        ValueError, match="which columns form the margin is unknown"
    ) as info:
        known_margin_columns(data)
    message = str(info.value)
    assert "scores.csv" in message and "\n" not in message
    for named in ("null_start_logit", "null_odds", "joint_null and best_span",
                  "null_score and best_span_score", "null_column= and span_column=",
                  "--null-column and --span-column"):  # fmt: skip
        assert named in message
