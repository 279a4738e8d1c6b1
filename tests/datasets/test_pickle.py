"""The notebook's pickle: every way it is written, read without running code."""

import codecs
import collections
import os
import pickle
import subprocess
import warnings
import zipfile

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


@pytest.mark.parametrize("label", ["True", "False", 2, None, np.zeros((2, 2))])
def test_other_labels_are_refused(tmp_path, label):
    labels = [label] + [False] * 19
    path = write_pickle(tmp_path / "s.pkl", list(X), labels)
    with pytest.raises(
        ValueError, match=r"label of question 'q0' is .*expected a bool"
    ):
        load_notebook_pickle(path)


def test_integers_beyond_floats_are_refused(tmp_path):
    rows = [list(r) for r in X]
    rows[2][0] = 10**400
    with pytest.raises(ValueError, match="scores of question 'q2' are not a list"):
        load_notebook_pickle(write_pickle(tmp_path / "s.pkl", rows))


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


# --- hostile payloads: refused before they run --------------------------------


class Payload:
    """Runs `call(*args)` when unpickled by a plain unpickler."""

    def __init__(self, call, *args):
        self.call, self.args = call, args

    def __reduce__(self):
        return self.call, self.args


MARKER = "pwned-by-pickle"
PAYLOADS = {
    "os.system": Payload(os.system, f"touch {MARKER}"),
    "builtins.eval": Payload(eval, f"open({MARKER!r}, 'w').close()"),
    "builtins.exec": Payload(exec, f"open({MARKER!r}, 'w').close()"),
    "subprocess.Popen": Payload(subprocess.Popen, ["touch", MARKER]),
    "builtins.__import__": Payload(__import__, "os"),
}


@pytest.mark.parametrize("protocol", [0, 2, 5])
@pytest.mark.parametrize("name", PAYLOADS)
@pytest.mark.parametrize("where", ["scores", "labels", "top"])
def test_payloads_are_refused_before_running(
    tmp_path, monkeypatch, name, where, protocol
):
    monkeypatch.chdir(tmp_path)
    payload = PAYLOADS[name]
    content = {"scores": {"q0": [1.0, 2.0]}, "labels": {"q0": True}}
    if where == "top":
        content["extra"] = payload
    else:
        content[where]["q0"] = payload
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(content, protocol=protocol))
    with pytest.raises(pickle.UnpicklingError, match=r"evil.pkl: Refusing to load"):
        load_notebook_pickle(path)
    assert not (tmp_path / MARKER).exists()
    # The same file does run code when unpickled as pickle.load would.
    if name in ("builtins.eval", "builtins.exec"):
        pickle.loads(path.read_bytes())
        assert (tmp_path / MARKER).exists()


@pytest.mark.parametrize(
    "payload",
    [
        # Allowed callables, asked for more than plain numbers.
        (np.dtype, ("O",)),
        (np.dtype, ([("a", "f8"), ("b", "O")],)),
        (codecs.encode, ("x", "rot13")),
    ],
    ids=["object-dtype", "structured-dtype", "codec"],
)
def test_allowed_builders_refuse_other_uses(tmp_path, payload):
    path = tmp_path / "odd.pkl"
    content = {"scores": {"q0": Payload(*payload)}, "labels": {"q0": True}}
    path.write_bytes(pickle.dumps(content, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match=r"odd.pkl: Refusing"):
        load_notebook_pickle(path)


class TestTorchPayloads:
    torch = pytest.importorskip("torch", reason="torch.save files need torch")

    @pytest.mark.parametrize("legacy", [False, True])
    def test_torch_save_with_a_payload_runs_nothing(
        self, tmp_path, monkeypatch, legacy
    ):
        monkeypatch.chdir(tmp_path)
        content = {"scores": {"q0": PAYLOADS["os.system"]}, "labels": {"q0": True}}
        path = tmp_path / "evil.pt"
        self.torch.save(content, path, _use_new_zipfile_serialization=not legacy)
        with pytest.raises(pickle.UnpicklingError, match=r"evil.pt: "):
            load_reader_outputs(path)
        assert not (tmp_path / MARKER).exists()

    def test_a_tensor_wider_than_a_row_is_refused(self, tmp_path):
        t = self.torch
        path = tmp_path / "wide.pt"
        t.save({"scores": {"q0": t.zeros(5000)}, "labels": {"q0": True}}, path)
        with pytest.raises(ValueError, match=r"wide.pt: question 'q0' has 5000 sc"):
            load_reader_outputs(path)

    def test_a_strided_view_of_gigabytes_is_refused(self, tmp_path):
        """A one-number storage seen as 10**9 numbers (stride 0)."""
        t = self.torch
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TypedStorage is deprecated
            storage = t.zeros(1).storage()
        view = Payload(
            t._utils._rebuild_tensor_v2,
            storage,
            0,
            (10**9,),
            (0,),
            False,
            collections.OrderedDict(),
        )
        path = tmp_path / "view.pkl"
        content = {"scores": {"q0": view}, "labels": {"q0": True}}
        path.write_bytes(pickle.dumps(content))
        with pytest.raises(pickle.UnpicklingError, match=r"view.pkl: Refusing"):
            load_notebook_pickle(path)

    def test_compressed_zip_entries_are_refused(self, tmp_path):
        """torch.save stores its entries; a deflated one could be a zip bomb."""
        path = tmp_path / "scores.pt"
        self.torch.save({"scores": {"q0": [1.0]}, "labels": {"q0": True}}, path)
        packed = tmp_path / "packed.pt"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(packed, "w") as dst:
            for entry in src.infolist():
                dst.writestr(entry, src.read(entry), zipfile.ZIP_DEFLATED)
        with pytest.raises(ValueError, match=r"packed.pt: refused unread: .*compr"):
            load_reader_outputs(packed)


# --- bounds: a small file cannot take minutes, gigabytes or the C stack -------


def shared_tuple_pickle(levels):
    """t[k] = (t[k-1], t[k-1]) through the memo, as a dict key: 2**levels leaves."""
    ops = [b"\x80\x02}", b")q\x00"]  # PROTO 2, EMPTY_DICT; EMPTY_TUPLE, BINPUT 0
    for k in range(1, levels + 1):
        ops.append(b"h%ch%c\x86q%c" % (k - 1, k - 1, k))  # GET, GET, TUPLE2, PUT
    ops.append(b"K\x01s.")  # BININT1 1, SETITEM, STOP
    return b"".join(ops)


def test_shared_references_that_multiply_are_refused(tmp_path):
    """Hashing this 285-byte key visits 2**40 tuples: it never ends."""
    path = tmp_path / "dag.pkl"
    path.write_bytes(shared_tuple_pickle(40))
    assert len(path.read_bytes()) < 300
    with pytest.raises(ValueError, match=r"dag.pkl: refused unread: it builds more"):
        load_notebook_pickle(path)


def test_deep_nesting_is_refused(tmp_path):
    """Hashing 10**6 nested tuples overflows the C stack (a segfault)."""
    path = tmp_path / "deep.pkl"
    path.write_bytes(b"\x80\x02})" + b"\x85" * 1_000_000 + b"K\x01s.")
    with pytest.raises(ValueError, match=r"deep.pkl: .*nests values more than 64"):
        load_notebook_pickle(path)


def test_nested_lists_beyond_the_files_size_are_refused(tmp_path):
    """A million lists, each in the next: megabytes of objects, refused early."""
    path = tmp_path / "lists.pkl"
    path.write_bytes(b"\x80\x02}" + b"]" * 10**6 + b"a" * (10**6 - 1) + b"K\x01s.")
    with pytest.raises(ValueError, match=r"lists.pkl: refused unread: .*containers"):
        load_notebook_pickle(path)


@pytest.mark.parametrize("dtype", ["f8", "O"])
def test_an_array_shape_of_gigabytes_is_refused(tmp_path, dtype):
    reconstruct = pickle.loads(pickle.dumps(np.zeros(1))).__reduce__()[0]
    big = Payload(reconstruct, np.ndarray, (10**9,), np.dtype(dtype))
    path = tmp_path / "big.pkl"
    content = {"scores": {"q0": big}, "labels": {"q0": True}}
    path.write_bytes(pickle.dumps(content))
    with pytest.raises(pickle.UnpicklingError, match=r"big.pkl: Refusing"):
        load_notebook_pickle(path)


def test_rows_and_files_are_bounded(tmp_path, monkeypatch):
    path = write_pickle(tmp_path / "s.pkl", [[1.0] * 5000, [1.0] * 5000])
    with pytest.raises(ValueError, match=r"s.pkl: the scores of question 'q0' are"):
        load_notebook_pickle(path)
    monkeypatch.setattr("skfusion.datasets._pickle.MAX_BYTES", 100)
    path = write_pickle(tmp_path / "s.pkl", list(X))
    with pytest.raises(ValueError, match=r"s.pkl: \d+ bytes; expected a pickle"):
        load_notebook_pickle(path)


def test_shared_rows_and_ids_still_load(tmp_path):
    """References to one list or one id string are how pickle stores repeats."""
    row = [1.0, 2.0, 3.0, 4.0]
    ids = [f"q{i}" for i in range(3)]
    content = {
        "scores": dict.fromkeys(ids, row),
        "labels": {q: i == 1 for i, q in enumerate(ids)},
    }
    path = tmp_path / "shared.pkl"
    path.write_bytes(pickle.dumps(content, protocol=2))
    assert_array_equal(load_notebook_pickle(path).data, [row] * 3)


def test_ids_must_be_strings_or_integers(tmp_path):
    content = {"scores": {("a",): [1.0], 7: [2.0]}, "labels": {("a",): True, 7: False}}
    path = tmp_path / "ids.pkl"
    path.write_bytes(pickle.dumps(content))
    with pytest.raises(ValueError, match=r"ids.pkl: 1 question id\(s\) are neither"):
        load_notebook_pickle(path)


@pytest.mark.parametrize(
    "content",
    [{"scores": {}, "labels": {}}, {"scores": {"q": [1.0]}, "labels": {}}],
)
def test_a_pickle_without_questions_is_one_line(tmp_path, content):
    path = tmp_path / "empty.pkl"
    path.write_bytes(pickle.dumps(content))
    with pytest.raises(ValueError, match=r"empty.pkl: holds no questions"):
        load_notebook_pickle(path)


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x80\x05", b"garbage", pickle.dumps([1.0] * 10)[:-5], b"\x80\x02(}."],
    ids=["empty", "proto-only", "text", "truncated", "bad-mark"],
)
def test_damaged_pickles_are_one_line(tmp_path, raw):
    path = tmp_path / "bad.pkl"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=r"bad.pkl: ") as info:
        load_notebook_pickle(path)
    assert "\n" not in str(info.value)
