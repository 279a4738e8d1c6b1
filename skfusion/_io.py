"""Writing files so that none is ever lost or half-written.

Every file skfusion writes goes through `atomic_write`: the content goes to a
new file in the target's folder, which replaces the target only once it is
complete and on disk. An interrupt, a full disk or a concurrent writer then
leaves either the old file or the complete new one, never a mix.
"""

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["atomic_write", "same_file"]

# Where the temporary file lives while it is written: a hidden name beside the
# target, so that os.replace stays within one file system (and is atomic).
_TEMP_NAME = ".{name}.{token}.skfusion-tmp"


def _temp_name(target):
    token = secrets.token_hex(8)
    return target.with_name(_TEMP_NAME.format(name=target.name, token=token))


@contextlib.contextmanager
def atomic_write(path, mode="w", *, encoding="utf-8"):
    """Open a file for writing that replaces `path` only once complete.

    Parameters
    ----------
    path : str or path-like
        The file to write. A symbolic link is followed: the file it points
        to is replaced, the link kept.
    mode : {"w", "wb"}, default="w"
        Text or binary.
    encoding : str, default="utf-8"
        For text mode.

    Yields
    ------
    file : file object
        A new file in the same folder as `path`. When the block ends without
        an exception it is flushed, synced to disk and renamed over `path`
        (``os.replace``); if the block raises (an error, KeyboardInterrupt)
        it is deleted and `path` is left as it was.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}.")
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise IsADirectoryError(f"{path}: is a folder, expected a file name.")
    temp = None
    try:
        for _ in range(100):
            # The name is stored before the file exists, so that an interrupt
            # arriving at any point, even as the file is created, deletes it.
            temp = _temp_name(target)
            try:
                # 0o666 less the umask, as open() gives; O_EXCL never reuses
                # a file (another writer's).
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                break
            except FileExistsError:
                temp = None
        else:
            raise FileExistsError(f"{path}: no temporary file could be created.")
        with open(fd, mode, encoding=None if mode == "wb" else encoding) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, target)
    except BaseException:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise


def same_file(a, b):
    """Whether paths `a` and `b` name one file (links and ``..`` resolved)."""
    a, b = Path(a), Path(b)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)
