"""Atomic writes: the old file or the complete new one, never a mix.

Only a writable regular file is replaced (as ``cp`` and editors do), keeping
its permissions; every error names the file. The hostile outputs are one
table, `REFUSED`, marked ``hostile`` (counted by tests/count_hostile.py).
"""

import errno
import os
import resource
import socket
import stat
import threading

import pytest

import skfusion._io
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


def _fifo(path):
    os.mkfifo(path)


def _device(path):
    """A copy of /dev/null where root may make one; else a link to it."""
    if os.geteuid() == 0:
        os.mknod(path, stat.S_IFCHR | 0o666, os.stat("/dev/null").st_rdev)
    else:  # only root could replace /dev/null itself
        path.symlink_to("/dev/null")


def _socket(path):
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    return server


def _link_to_fifo(path):
    os.mkfifo(path.with_name("fifo"))
    path.symlink_to(path.with_name("fifo"))


def _read_only(path):
    path.write_text("old")
    path.chmod(0o444)


# What an output may be, and how atomic_write refuses it, keeping it.
REFUSED = {
    "fifo": (_fifo, FileExistsError, "is a FIFO"),
    "character device": (_device, FileExistsError, "is a character device"),
    "socket": (_socket, FileExistsError, "is a socket"),
    "link to a fifo": (_link_to_fifo, FileExistsError, "is a FIFO"),
    "folder": (os.mkdir, IsADirectoryError, "is a folder"),
    "read-only": (_read_only, PermissionError, r"is read-only.*force=True"),
}


def snapshot(path):
    """What the file at `path` is: type, permissions, device, content."""
    found = os.stat(path)
    content = path.read_bytes() if stat.S_ISREG(found.st_mode) else None
    return found.st_mode, found.st_rdev, found.st_ino, content


@pytest.mark.hostile("error")
@pytest.mark.parametrize(
    ("case", "force"),
    # force replaces a read-only file: test_a_replaced_file_keeps_its_permissions
    [
        (c, f)
        for c in sorted(REFUSED)
        for f in (False, True)
        if (c, f) != ("read-only", True)
    ],
)
def test_only_a_writable_regular_file_is_replaced(tmp_path, case, force):
    path = tmp_path / "out.json"
    make, error, message = REFUSED[case]
    kept = make(path)  # a socket must stay open to stay a socket
    before = snapshot(path)
    with pytest.raises(error, match=message) as info:
        with atomic_write(path, force=force) as f:
            f.write("new")
    assert str(path) in str(info.value)
    assert snapshot(path) == before
    assert leftovers(tmp_path) == []
    if kept is not None:
        kept.close()


@pytest.mark.hostile("handled")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444, 0o755])
def test_a_replaced_file_keeps_its_permissions(tmp_path, mode):
    path = tmp_path / "out.json"
    path.write_text("old")
    path.chmod(mode)
    with atomic_write(path, force=True) as f:
        f.write("new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert leftovers(tmp_path) == []


@pytest.mark.hostile("error")
def test_a_file_size_limit_names_the_file(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    # Python ignores SIGXFSZ: the write past the limit fails with EFBIG.
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, hard))
    try:
        with pytest.raises(OSError) as info:
            with atomic_write(path) as f:
                f.write("x" * 100_000)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert info.value.errno == errno.EFBIG
    assert str(info.value) == f"[Errno 27] File too large: '{path}'"
    assert path.read_text() == "old" and leftovers(tmp_path) == []


@pytest.mark.hostile("error")
def test_text_that_is_not_unicode_names_the_file_and_the_text(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")
    with pytest.raises(ValueError) as info:
        with atomic_write(path) as f:
            f.write('{"q\ud800x": ""}')
            f.flush()
    assert str(path) in str(info.value) and "q\\ud800x" in str(info.value)
    assert "surrogates not allowed" in str(info.value)
    assert path.read_text() == "old" and leftovers(tmp_path) == []


@pytest.mark.hostile("error")
@pytest.mark.parametrize("where", ["open", "write", "replace"])
def test_an_error_without_a_file_name_is_given_the_output_name(
    tmp_path, monkeypatch, where
):
    path = tmp_path / "out.json"
    full = OSError(errno.ENOSPC, "No space left on device")

    def fail(*args, **kwargs):
        raise full

    if where == "open":
        path = tmp_path / "missing" / "out.json"  # the temp file's folder
    elif where == "replace":
        monkeypatch.setattr(skfusion._io.os, "replace", fail)
    with pytest.raises(OSError) as info:
        with atomic_write(path):
            if where == "write":
                raise full
    assert info.value.filename == str(path), info.value
    assert "skfusion-tmp" not in str(info.value)
    assert leftovers(path.parent if path.parent.exists() else tmp_path) == []


def test_a_temporary_name_in_use_is_never_reused(tmp_path, monkeypatch):
    # Another writer's temporary file under the first name drawn: O_EXCL
    # makes atomic_write draw another, where O_TRUNC would empty and take it.
    path = tmp_path / "out.json"
    tokens = iter(["0" * 16, "1" * 16])
    monkeypatch.setattr(skfusion._io.secrets, "token_hex", lambda n: next(tokens))
    theirs = tmp_path / f".out.json.{'0' * 16}.skfusion-tmp"
    theirs.write_text("another writer's half")
    with atomic_write(path) as f:
        f.write("new")
    assert path.read_text() == "new"
    assert theirs.read_text() == "another writer's half"
