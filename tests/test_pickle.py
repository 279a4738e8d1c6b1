"""The notebook's pickle: every way it is written, read without running code."""

import os
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skfusion.datasets import (
    FEATURE_NAMES,
    load_notebook_pickle,
    load_reader_outputs,
    load_seed_pickle,
    make_squad2_scores,
)

X, Y = make_squad2_scores(n_questions=20, random_state=0)


def write_pickle(path, scores, labels=None, protocol=pickle.DEFAULT_PROTOCOL):
    labels = labels if labels is not None else [bool(i % 2) for i in range(len(scores))]
    content = {
        "scores": {f"q{i}": s for i, s in enumerate(scores)},
        "labels": {f"q{i}": v for i, v in enumerate(labels)},
    }
    path.write_bytes(pickle.dumps(content, protocol=protocol))
    return path


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
@pytest.mark.parametrize(
    "make_row",
    [
        list,
        lambda r: np.asarray(r, dtype=np.float32),
        lambda r: np.asarray(r, dtype=np.float64),
        lambda r: [np.float32(v) for v in r],
    ],
    ids=["lists", "float32", "float64", "numpy-scalars"],
)
def test_rows_of_any_protocol(tmp_path, protocol, make_row):
    path = write_pickle(tmp_path / "s.pkl", [make_row(r) for r in X], protocol=protocol)
    data = load_notebook_pickle(path)
    assert data.feature_names == list(FEATURE_NAMES)
    assert_allclose(data.data, X, rtol=1e-6)
    assert_array_equal(data.target, np.arange(20) % 2 == 1)
    assert list(data.ids[:2]) == ["q0", "q1"]
    assert data.margin_columns == (["joint_null"], ["best_span"])


@pytest.mark.parametrize(
    "label",
    [np.bool_(True), 1, np.int64(1), True],
    ids=["numpy-bool", "int", "numpy-int", "bool"],
)
def test_labels_are_bools_or_zero_one(tmp_path, label):
    labels = [label] + [False] * 19
    data = load_notebook_pickle(write_pickle(tmp_path / "s.pkl", list(X), labels))
    assert data.target[0] and not data.target[1:].any()


@pytest.mark.parametrize("label", ["True", "False", 2, None])
def test_other_labels_are_refused(tmp_path, label):
    labels = [label] + [False] * 19
    path = write_pickle(tmp_path / "s.pkl", list(X), labels)
    with pytest.raises(
        ValueError, match=r"label of question 'q0' is .*expected a bool"
    ):
        load_notebook_pickle(path)


def test_strings_among_scores_are_refused(tmp_path):
    rows = [list(r) for r in X]
    rows[3][1] = "2.5"
    with pytest.raises(ValueError, match="scores of question 'q3' are not a list"):
        load_notebook_pickle(write_pickle(tmp_path / "s.pkl", rows))


class TestTorch:
    torch = pytest.importorskip("torch", reason="torch tensors need torch")

    @pytest.mark.parametrize(
        "make_row",
        [
            lambda t, r: t.tensor(r, dtype=t.float32),
            lambda t, r: t.tensor(r, dtype=t.float64, requires_grad=True),
            lambda t, r: t.tensor(r, dtype=t.bfloat16),
            lambda t, r: t.tensor(r, dtype=t.float16),
        ],
        ids=["float32", "requires-grad", "bfloat16", "float16"],
    )
    def test_tensors_of_any_dtype(self, tmp_path, make_row):
        rows = [make_row(self.torch, r) for r in X]
        labels = [self.torch.tensor(bool(i % 2)) for i in range(20)]
        data = load_notebook_pickle(write_pickle(tmp_path / "s.pkl", rows, labels))
        assert_allclose(data.data, X, rtol=1e-2)  # bfloat16 keeps 8 bits
        assert_array_equal(data.target, np.arange(20) % 2 == 1)

    def test_torch_save_files(self, tmp_path):
        content = {
            "scores": {f"q{i}": self.torch.tensor(r) for i, r in enumerate(X)},
            "labels": {f"q{i}": bool(i % 2) for i in range(20)},
        }
        for legacy in (False, True):
            path = tmp_path / f"scores-{legacy}.pt"
            self.torch.save(content, path, _use_new_zipfile_serialization=not legacy)
            data = load_reader_outputs(path)
            assert_allclose(data.data, X)


def test_tensors_without_torch_name_the_extra(tmp_path, monkeypatch):
    """A pickle of tensors in an environment without torch."""
    pytest.importorskip("torch", reason="writing the file needs torch")
    import torch

    path = write_pickle(tmp_path / "s.pkl", [torch.tensor(r) for r in X])
    monkeypatch.setitem(__import__("sys").modules, "torch", None)
    with pytest.raises(
        ImportError,
        match=r"torch tensors needs PyTorch.*pip install -e '\.\[torch\]'",
    ):
        load_notebook_pickle(path)


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned-by-pickle",))


@pytest.mark.parametrize("protocol", [2, 5])
def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path, monkeypatch, protocol):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pkl"
    content = {"scores": Exploit(), "labels": {}}
    path.write_bytes(pickle.dumps(content, protocol=protocol))
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load posix\.system"):
        load_notebook_pickle(path)
    assert not (tmp_path / "pwned-by-pickle").exists()


def test_mismatched_ids_are_counted(tmp_path):
    path = tmp_path / "s.pkl"
    content = {
        "scores": {"a": [1.0] * 4, "x": [1.0] * 4, "y": [1.0] * 4},
        "labels": {"a": True, "b": False, "c": False},
    }
    path.write_bytes(pickle.dumps(content))
    with pytest.raises(
        ValueError, match=r"2 question\(s\) lack scores, e\.g\. 'b', 'c'"
    ):
        load_notebook_pickle(path)


def test_ragged_scores_are_counted(tmp_path):
    path = write_pickle(
        tmp_path / "s.pkl", [[1.0, 2, 3, 4], [1.0, 2, 3], [1.0, 2, 3, 4]]
    )
    with pytest.raises(
        ValueError, match=r"1 question\(s\) have other than 4 scores, e\.g\. 'q1'"
    ):
        load_notebook_pickle(path)


def test_non_finite_scores_are_counted(tmp_path):
    path = write_pickle(tmp_path / "s.pkl", [[1.0, 2.0, 3.0, np.nan], [1.0, 2, 3, 4]])
    with pytest.raises(ValueError, match=r"1 question\(s\) have non-finite scores"):
        load_notebook_pickle(path)


def test_old_name_is_an_alias(tmp_path):
    path = write_pickle(tmp_path / "s.pkl", list(X))
    assert_array_equal(load_seed_pickle(path).data, load_notebook_pickle(path).data)
