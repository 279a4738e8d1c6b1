"""SQuAD 2.0 EM/F1 scorers in scikit-learn's model selection tools."""

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_validate,
)

from skfusion import MarginThresholdClassifier
from skfusion.datasets import make_squad2_scores
from skfusion.metrics import (
    answer_credit,
    make_squad2_scorer,
    squad2_sample_weight,
    squad2_score,
)
from tests import _official_eval as official
from tests._builders import squad_dev

X, Y = make_squad2_scores(n_questions=900, random_state=2)
RNG = np.random.RandomState(2)
EM = np.where(Y, 0.0, (RNG.rand(len(Y)) < 0.75).astype(float))
F1 = np.where(Y, 0.0, np.clip(EM + RNG.rand(len(Y)) * 0.4, 0, 1))


@pytest.fixture(autouse=True)
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def total(predicted_null, credit, y=Y):
    """The official script's mean: 1 for a right "no answer", else the span's."""
    rows = zip(predicted_null, y, credit, strict=True)
    return np.mean([float(u) if p else c for p, u, c in rows])


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.booleans(), st.booleans(), st.sampled_from(["x", "y", "the"])),
        min_size=1,
        max_size=25,
    )
)
def test_score_is_the_official_exact_and_f1(rows):
    golds = {f"q{i}": [] if u else ["x the y"] for i, (u, _, _) in enumerate(rows)}
    preds = {f"q{i}": "" if null else s for i, (_, null, s) in enumerate(rows)}
    em, f1 = zip(
        *(answer_credit(golds[f"q{i}"], s) for i, (_, _, s) in enumerate(rows)),
        strict=True,
    )
    expected = official.evaluate(squad_dev(golds)["data"], preds)
    y_true = [u for u, _, _ in rows]
    y_pred = [null for _, null, _ in rows]
    assert 100 * squad2_score(y_true, y_pred, answer_credit=em) == pytest.approx(
        expected["exact"]
    )
    assert 100 * squad2_score(y_true, y_pred, answer_credit=f1) == pytest.approx(
        expected["f1"]
    )


def test_cross_validate_routes_each_folds_credit():
    cv = StratifiedKFold(3)
    rule = MarginThresholdClassifier().set_fit_request(sample_weight=True)
    scores = cross_validate(
        rule,
        X,
        Y,
        cv=cv,
        scoring={"em": make_squad2_scorer("em"), "f1": make_squad2_scorer("f1")},
        params={"em": EM, "f1": F1, "sample_weight": squad2_sample_weight(Y, EM)},
        return_estimator=True,
    )
    weight = squad2_sample_weight(Y, EM)
    for k, (train, test) in enumerate(cv.split(X, Y)):
        manual = MarginThresholdClassifier().fit(
            X[train], Y[train], sample_weight=weight[train]
        )
        assert scores["estimator"][k].best_threshold_ == manual.best_threshold_
        predicted = manual.predict(X[test])
        assert scores["test_em"][k] == pytest.approx(
            total(predicted, EM[test], Y[test])
        )
        assert scores["test_f1"][k] == pytest.approx(
            total(predicted, F1[test], Y[test])
        )


def test_grid_search_picks_the_threshold_of_best_em():
    grid = [-3.0, -1.5, -0.5, 0.0, 0.5, 2.0]
    cv = StratifiedKFold(3)
    search = GridSearchCV(
        MarginThresholdClassifier(),
        {"threshold": grid},
        scoring=make_squad2_scorer("em"),
        cv=cv,
    ).fit(X, Y, em=EM)
    margin = X[:, 0] - X[:, -1]
    means = [
        np.mean(
            [total(margin[test] > t, EM[test], Y[test]) for _, test in cv.split(X, Y)]
        )
        for t in grid
    ]
    assert search.best_params_["threshold"] == grid[int(np.argmax(means))]
    assert search.best_score_ == pytest.approx(max(means))


def test_tuned_threshold_maximises_em_over_its_candidates():
    rule = MarginThresholdClassifier(threshold=0.0).fit(X, Y)
    candidates = np.linspace(-3, 3, 41)
    tuned = TunedThresholdClassifierCV(
        rule,
        scoring=make_squad2_scorer("em"),
        thresholds=candidates,
        cv="prefit",
        refit=False,
    ).fit(X, Y, em=EM)
    margin = X[:, 0] - X[:, -1]
    # The decision function is the margin; its positive side is "no answer".
    em = [total(margin >= t, EM) for t in candidates]
    assert tuned.best_score_ == pytest.approx(max(em))
    assert em[int(np.argmin(np.abs(candidates - tuned.best_threshold_)))] == max(em)


def test_string_labels_and_bad_use():
    labels = np.where(Y, "noans", "ans")
    predicted = np.where(X[:, 0] - X[:, -1] > 0, "noans", "ans")
    assert squad2_score(
        labels, predicted, answer_credit=EM, pos_label="noans"
    ) == pytest.approx(total(predicted == "noans", EM))
    with pytest.raises(ValueError, match="one entry per question"):
        squad2_score(Y, Y[:-1], answer_credit=EM)
    with pytest.raises(ValueError, match="metric='accuracy' must be one of"):
        make_squad2_scorer("accuracy")
    with sklearn.config_context(enable_metadata_routing=False):
        with pytest.raises(RuntimeError, match="enable_metadata_routing=True"):
            make_squad2_scorer("em")
