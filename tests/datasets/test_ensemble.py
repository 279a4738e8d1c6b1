"""make_squad2_ensemble: several correlated simulated readers and a verifier."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.metrics import roc_auc_score

from skfusion import MarginThresholdClassifier
from skfusion.datasets import make_squad2_ensemble, make_squad2_scores


def _margin(data, name):
    null, span = data.run_margins[name]
    names = data.feature_names
    return data.data[:, [names.index(c) for c in null]].sum(axis=1) - data.data[
        :, [names.index(c) for c in span]
    ].sum(axis=1)


@pytest.mark.parametrize("columns", ["per_head", "notebook"])
def test_reader0_is_make_squad2_scores_reader(columns):
    data = make_squad2_ensemble(3000, n_readers=3, columns=columns, random_state=4)
    X, y = make_squad2_scores(3000, columns=columns, random_state=4)
    assert_array_equal(data.data[:, :4], X)
    assert_array_equal(data.target, y)
    assert data.data.shape == (3000, 13)
    assert data.margin_columns == data.run_margins["reader0"]
    assert [n.split("__")[0] for n in data.feature_names[:12:4]] == [
        "reader0",
        "reader1",
        "reader2",
    ]


def test_reproducible_and_seeded():
    a = make_squad2_ensemble(1000, random_state=1)
    assert_array_equal(a.data, make_squad2_ensemble(1000, random_state=1).data)
    assert not np.array_equal(a.data, make_squad2_ensemble(1000, random_state=2).data)
    alone = make_squad2_ensemble(1000, n_readers=1, verifier=False, random_state=1)
    assert alone.feature_names == [
        f"reader0__{c}"
        for c in (
            "null_start_logit",
            "null_end_logit",
            "span_start_logit",
            "span_end_logit",
        )
    ]


def test_correlation_sets_how_alike_the_readers_are():
    corr = {}
    for correlation in (0.0, 1.0):
        data = make_squad2_ensemble(correlation=correlation, random_state=0)
        corr[correlation] = np.corrcoef(
            _margin(data, "reader0"), _margin(data, "reader1")
        )[0, 1]
        # Equally good readers: their tuned rules are within a point.
        scores = [
            MarginThresholdClassifier(span_column=None)
            .fit(_margin(data, n)[:, None], data.target)
            .best_score_
            for n in ("reader0", "reader1")
        ]
        assert abs(scores[0] - scores[1]) < 0.01
    assert 0.3 < corr[0.0] < corr[1.0] < 0.99


def test_verifier_is_a_probability_of_no_answer():
    data = make_squad2_ensemble(3000, random_state=0)
    verifier = data.data[:, -1]
    assert data.feature_names[-1] == "verifier"
    assert ((verifier > 0) & (verifier < 1)).all()
    assert roc_auc_score(data.target, verifier) > 0.75


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_readers": 0}, "n_readers=0 must be an integer >= 1"),
        ({"correlation": 1.5}, r"correlation=1.5 must be in \[0, 1\]"),
        ({"columns": "joint"}, "columns='joint' is not valid"),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises(ValueError, match=message):
        make_squad2_ensemble(100, **params)
