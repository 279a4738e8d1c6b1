"""Atomic writes: the old file or the complete new one, never a mix."""

import os
import threading

import pytest

from skfusion._io import atomic_write, same_file


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if "skfusion-tmp" in p.name)


def test_a_complete_write_replaces_the_file(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")
    with atomic_write(path) as f:
        f.write("new ")
        assert path.read_text() == "old"  # not visible until complete
        f.write("content")
    assert path.read_text() == "new content"
    with atomic_write(path, "wb") as f:
        f.write(b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "error",
    [OSError(28, "No space left on device"), KeyboardInterrupt(), ValueError("x")],
    ids=["disk full", "interrupt", "error"],
)
def test_a_failed_write_keeps_the_old_file(tmp_path, error):
    path = tmp_path / "out.json"
    path.write_text("old")
    with pytest.raises(type(error)):
        with atomic_write(path) as f:
            f.write("half")
            raise error
    assert path.read_text() == "old"
    assert leftovers(tmp_path) == []
    # Nor is a file created where there was none.
    with pytest.raises(type(error)):
        with atomic_write(tmp_path / "new.json") as f:
            raise error
    assert not (tmp_path / "new.json").exists()


def test_permissions_are_those_of_open(tmp_path):
    (tmp_path / "plain").write_text("x")  # the oracle: what open() gives
    with atomic_write(tmp_path / "atomic") as f:
        f.write("x")
    assert (tmp_path / "atomic").stat().st_mode == (tmp_path / "plain").stat().st_mode


def test_a_link_is_followed_and_kept(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    with atomic_write(link) as f:
        f.write("new")
    assert link.is_symlink() and target.read_text() == "new"
    assert leftovers(tmp_path / "real") == [] and leftovers(tmp_path) == []


def test_a_folder_is_not_a_file_name(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        with atomic_write(tmp_path):
            pass


def test_concurrent_writers_leave_one_complete_file(tmp_path):
    path = tmp_path / "out.txt"
    contents = [str(i) * 200_000 for i in range(8)]

    def write(text):
        with atomic_write(path) as f:
            for start in range(0, len(text), 1000):
                f.write(text[start : start + 1000])

    threads = [threading.Thread(target=write, args=(c,)) for c in contents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert path.read_text() in contents
    assert leftovers(tmp_path) == []


def test_same_file(tmp_path):
    a = tmp_path / "a"
    a.write_text("x")
    (tmp_path / "b").symlink_to(a)
    assert same_file(a, tmp_path / "b")
    assert same_file(a, tmp_path / "sub" / ".." / "a")
    assert same_file(tmp_path / "missing", tmp_path / "missing")
    assert not same_file(a, tmp_path / "missing")
    os.link(a, tmp_path / "hard")
    assert same_file(a, tmp_path / "hard")
