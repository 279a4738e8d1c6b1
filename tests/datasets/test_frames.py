"""as_frame=True of every public loader: the data by name, as scikit-learn's."""

import sys

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skfusion import MarginThresholdClassifier
from skfusion.datasets import (
    load_csv,
    load_notebook_pickle,
    load_reader_outputs,
    load_seed_pickle,
    load_squad_outputs,
    write_squad_example,
)
from tests._builders import scaled_run

pd = pytest.importorskip("pandas")


@pytest.fixture
def example(tmp_path):
    paths = write_squad_example(tmp_path / "run", n_questions=120)
    csv = tmp_path / "scores.csv"
    rng = np.random.RandomState(0)
    rows = [f"{a:.3f},{b:.3f},{int(u)}" for a, b, u in rng.rand(50, 3) * [5, 5, 2]]
    csv.write_text("joint_null,best_span,unanswerable\n" + "\n".join(rows) + "\n")
    scaled_run(tmp_path / "run", tmp_path / "other")
    return tmp_path, paths, csv


def loaders(example, notebook_pickle):
    folder, paths, csv = example
    dev = paths["dev"]
    return {
        "reader_outputs": lambda **kw: load_reader_outputs(
            folder / "run", dev=dev, **kw
        ),
        "two_runs": lambda **kw: load_reader_outputs(
            [folder / "run", folder / "other"], dev=dev, names=["a", "b"], **kw
        ),
        "squad_outputs": lambda **kw: load_squad_outputs(
            dev, nbest=paths["nbest"], **kw
        ),
        "csv": lambda **kw: load_csv(csv, **kw),
        "csv_via_entry_point": lambda **kw: load_reader_outputs(csv, **kw),
        "notebook_pickle": lambda **kw: load_notebook_pickle(notebook_pickle, **kw),
        "seed_pickle": lambda **kw: load_seed_pickle(notebook_pickle, **kw),
    }


@pytest.mark.filterwarnings("ignore:.*no candidate span")
@pytest.mark.parametrize(
    "name",
    [
        "reader_outputs",
        "two_runs",
        "squad_outputs",
        "csv",
        "csv_via_entry_point",
        "notebook_pickle",
        "seed_pickle",
    ],
)
def test_frames_hold_the_arrays_by_name(example, notebook_pickle, name):
    load = loaders(example, notebook_pickle)[name]
    arrays, frames = load(), load(as_frame=True)
    assert arrays.frame is None and isinstance(arrays.data, np.ndarray)
    assert isinstance(frames.data, pd.DataFrame)
    assert list(frames.data.columns) == arrays.feature_names
    assert_array_equal(frames.data.to_numpy(), arrays.data)
    assert isinstance(frames.target, pd.Series)
    assert_array_equal(frames.target.to_numpy(), arrays.target)
    assert list(frames.frame.columns) == [*arrays.feature_names, "unanswerable"]
    assert_array_equal(frames.frame["unanswerable"], arrays.target)
    # margin_columns go straight into the rule; the oracle sums the named
    # columns of the array by hand.
    null, span = frames.margin_columns
    rule = MarginThresholdClassifier(null_column=null, span_column=span)
    rule.fit(frames.data, frames.target)
    names = arrays.feature_names
    margin = arrays.data[:, [names.index(c) for c in null]].sum(axis=1)
    if span is not None:
        margin = margin - arrays.data[:, [names.index(c) for c in span]].sum(axis=1)
    by_hand = MarginThresholdClassifier(span_column=None).fit(
        margin[:, None], arrays.target
    )
    assert rule.best_threshold_ == pytest.approx(by_hand.best_threshold_)
    assert_array_equal(rule.predict(frames.data), by_hand.predict(margin[:, None]))


def test_frame_without_labels_is_the_data(example):
    folder, _, _ = example
    data = load_reader_outputs(folder / "run", as_frame=True)
    assert data.target is None
    assert data.frame is data.data


def test_as_frame_without_pandas_names_pandas(example, monkeypatch):
    _, _, csv = example
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"as_frame=True needs pandas.*pip install"):
        load_csv(csv, as_frame=True)
    assert load_csv(csv).frame is None
