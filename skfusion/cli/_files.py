"""The command's files: outputs checked against inputs, written atomically.

Signals become exceptions, so that an interrupted command stops cleanly.
"""

import contextlib
import json
import os
import signal
import threading
from pathlib import Path

from .._io import atomic_write, same_file
from ..datasets._formats import choose_run, file_name, folder_runs, split_name


class Interrupted(BaseException):
    """SIGTERM, raised where the command runs so that writes clean up."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _raise_interrupted(signum, frame):
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_as_exceptions():
    """Turn SIGTERM into `Interrupted` (SIGINT is KeyboardInterrupt already).

    Both unwind the stack, so that `atomic_write` deletes its temporary file
    and the old output stays whole. A SIGTERM that was ignored when the
    command started stays ignored; outside the main thread (where Python
    cannot set handlers) nothing changes.
    """
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main_thread else None
    install = main_thread and previous is not signal.SIG_IGN
    if install:
        signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        yield
    finally:
        if install:
            signal.signal(signal.SIGTERM, previous)


def _reader_file_in(folder, output):
    """Whether `output` would be read as one of the reader files of `folder`."""
    output = Path(os.path.realpath(output))
    inside = output.parent == Path(os.path.realpath(folder))
    return inside and split_name(output.name) is not None


def check_outputs(outputs, inputs, data_folders=()):
    """Raise ValueError if an output is an input, before any work is done.

    Parameters
    ----------
    outputs : list of (str, path)
        The files to be written, each with the option that names it.
    inputs : list of path or None
        The files the command reads.
    data_folders : sequence of path
        Reader output folders: no output may take one of their file names.
    """
    for option, output in outputs:
        for source in inputs:
            if source is not None and same_file(output, source):
                raise ValueError(
                    f"{option} {output} is one of the input files ({source}); "
                    "choose another output file."
                )
        for folder in data_folders:
            if _reader_file_in(folder, output):
                raise ValueError(
                    f"{option} {output} is a reader output file name in {folder}, "
                    "which the command reads; choose another name or folder."
                )


def check_file_name(option, output):
    """Raise ValueError unless `output` can be a file, before any work."""
    folder = Path(os.path.realpath(output)).parent
    if Path(output).is_dir():
        raise ValueError(f"{option} {output} is a folder, expected a file name.")
    if not folder.is_dir():
        raise ValueError(f"{option} {output}: the folder {folder} does not exist.")


def write_json(path, content):
    """Write `content` as JSON to `path`, replacing it only once complete."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        json.dump(content, f, indent=1, ensure_ascii=False)
        f.write("\n")


def no_span_text_error(data_path, prefix):
    """Say that DATA has no answer texts, naming the file that would give them."""
    data_path = Path(data_path)
    escape = "or use --decisions-only to write {id: true/false} instead."
    if data_path.is_dir():
        runs = folder_runs(data_path)
        files = choose_run(data_path, runs, prefix)
        run = next(run for run, found in runs.items() if found is files)
        return (
            f"{data_path}: no answer texts for SQuAD predictions: "
            f"{data_path / file_name(run, 'nbest_predictions')} (or "
            f"{file_name(run, 'predictions')}) is missing; add it, {escape}"
        )
    if data_path.suffix.lower() == ".json":
        nbest = data_path.parent / "nbest_predictions.json"
        return (
            f"{data_path}: null odds hold no answer texts for SQuAD predictions: "
            f"give the run's folder holding {nbest} (or predictions.json), {escape}"
        )
    return (
        f"{data_path}: scores only, no answer texts for SQuAD predictions: "
        f"give the reader's output folder (nbest_predictions.json), {escape}"
    )
