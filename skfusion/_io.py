"""Writing files so that none is ever lost or half-written (`atomic_write`)."""

import contextlib
import os
import secrets
import stat
from pathlib import Path

__all__ = ["atomic_write", "file_kind", "same_file"]

# Beside the target, so that os.replace stays within one file system.
_TEMP_NAME = ".{name}.{token}.skfusion-tmp"
_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def file_kind(mode):
    """Name the type of file a ``st_mode`` gives, e.g. "a FIFO (named pipe)"."""
    return _KINDS.get(stat.S_IFMT(mode), "a regular file")


def _existing(path, target, force):
    try:
        found = os.stat(target)
    except FileNotFoundError:
        return None
    kind = file_kind(found.st_mode)
    if kind == "a folder":
        raise IsADirectoryError(f"{path}: is a folder, expected a file name.")
    if kind != "a regular file":
        raise FileExistsError(
            f"{path} is {kind}, not a regular file: skfusion writes only regular "
            "files, and would replace it; choose another output."
        )
    read_only = not found.st_mode & 0o222 or not os.access(target, os.W_OK)
    if read_only and not force:
        raise PermissionError(
            f"{path} is read-only: skfusion replaces a read-only file only when "
            "asked (force=True, or the command's --force)."
        )
    return found


def _naming(exc, path, temp):
    if isinstance(exc, UnicodeEncodeError):
        around = exc.object[max(exc.start - 40, 0) : exc.end + 40]
        return ValueError(
            f"{path}: cannot write {around!r} as {exc.encoding}: {exc.reason} "
            "(text that is not valid Unicode, e.g. a lone surrogate)."
        )
    if isinstance(exc, OSError) and exc.errno and exc.filename in (None, str(temp)):
        return OSError(exc.errno, exc.strerror, str(path))
    return exc


@contextlib.contextmanager
def atomic_write(path, mode="w", *, encoding="utf-8", force=False):
    """Open a file for writing that replaces `path` only once complete.

    Parameters
    ----------
    path : str or path-like
        The file to write; a symbolic link is followed and kept. As ``cp``
        does, only a regular file is replaced, keeping its permissions and,
        where allowed, its owner.
    mode : {"w", "wb"}, default="w"
        Text or binary.
    encoding : str, default="utf-8"
        For text mode.
    force : bool, default=False
        Whether to replace a read-only file (it stays read-only), as ``cp
        --force`` does.

    Yields
    ------
    file : file object
        A new file beside `path`, synced and renamed over it (``os.replace``)
        when the block ends, deleted if the block raises. An error names
        `path` (text not encodable: ValueError).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}.")
    target = Path(os.path.realpath(path))
    _existing(path, target, force)  # refuse before any work
    temp = None
    try:
        for _ in range(100):
            # Named before it exists: an interrupt at any point deletes it.
            temp = target.with_name(
                _TEMP_NAME.format(name=target.name, token=secrets.token_hex(8))
            )
            try:
                # O_EXCL never reuses a file (another writer's).
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
        # Checked again: the target may have changed while the file was written.
        found = _existing(path, target, force)
        if found is not None:
            with contextlib.suppress(OSError, AttributeError):  # root's, POSIX
                os.chown(temp, found.st_uid, found.st_gid)
            os.chmod(temp, stat.S_IMODE(found.st_mode))
        os.replace(temp, target)
    except BaseException as exc:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        named = _naming(exc, path, temp)
        if named is exc:
            raise
        raise named from None


def same_file(a, b):
    """Whether paths `a` and `b` name one file (links and ``..`` resolved)."""
    with contextlib.suppress(OSError):  # one does not exist, or cannot be read
        return os.path.samefile(a, b)
    return os.path.realpath(a) == os.path.realpath(b)
