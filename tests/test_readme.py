"""README.md's set-up commands are the ones CI proves, and its Python runs."""

import re

import pytest

from tests._doc_blocks import (
    ROOT,
    BlockSession,
    markdown_blocks,
    run_as_script,
    run_shell_command,
)

README = (ROOT / "README.md").read_text()
PYTHON_BLOCKS = markdown_blocks(README, "python")

# README blocks known to fail, keyed by a line that identifies the block,
# each tested as a strict xfail so that a fix shows. None today.
KNOWN_FAILURES: dict = {}


def bash_blocks(text):
    return markdown_blocks(text, "bash")


def test_ci_runs_the_readme_test_command():
    blocks = bash_blocks(README)
    test_commands = [b for b in blocks if "pytest" in b]
    assert len(test_commands) == 1
    ci = (ROOT / ".ci" / "run").read_text()
    # CI adds only pip's -q flag to the README's command.
    assert test_commands[0].replace("pip install ", "pip install -q ") in ci


def test_known_failures_name_readme_blocks():
    assert PYTHON_BLOCKS, "README.md has no ```python block"
    for key in KNOWN_FAILURES:
        assert sum(key in block for block in PYTHON_BLOCKS) == 1, key


def example_command():
    (command,) = [b for b in bash_blocks(README) if "write_squad_example" in b]
    return command


@pytest.fixture(scope="module")
def readme_session(tmp_path_factory):
    """A folder prepared by the README's own example command, and a session."""
    folder = tmp_path_factory.mktemp("readme")
    run_shell_command(example_command(), folder)
    return folder, BlockSession("README.md", PYTHON_BLOCKS)


def test_example_command_prints_what_the_readme_shows(tmp_path):
    command = example_command()
    after = README[README.index(command) + len(command) :]
    shown = markdown_blocks(after, "text")[0]
    printed = run_shell_command(command, tmp_path)
    assert printed == shown + "\n"
    for line in shown.splitlines():
        assert (tmp_path / line).is_file(), line


def test_readme_python_blocks_run_as_a_script(tmp_path):
    # The blocks saved in one file, in order, and run with python: dask's
    # block starts worker processes, which import the script again.
    run_shell_command(example_command(), tmp_path)
    run_as_script("README.md", PYTHON_BLOCKS, tmp_path)


def _block_params():
    params = []
    for index, block in enumerate(PYTHON_BLOCKS):
        marks = [
            pytest.mark.xfail(raises=error, reason=reason, strict=True)
            for key, (error, reason) in KNOWN_FAILURES.items()
            if key in block
        ]
        params.append(pytest.param(index, id=f"block{index + 1}", marks=marks))
    return params


@pytest.mark.parametrize("index", _block_params())
def test_readme_python_block(index, readme_session, monkeypatch):
    # Blocks are typed into one REPL in order, in the folder where the
    # README's command wrote the simulated reader's files.
    folder, session = readme_session
    monkeypatch.chdir(folder)
    session.check(index)


def test_readme_figures_stand_one_per_row():
    # GitHub shrinks images inside a table to thumbnails: each figure is a
    # paragraph of its own, and each file exists. The landing page shows the
    # key picture; the user guide shows the others.
    lines = [line for line in README.splitlines() if "![" in line]
    assert len(lines) == 1
    for line in lines:
        assert "|" not in line, line
        (path,) = re.fullmatch(r"!\[[^\]]+\]\(([^)]+\.png)\)", line).groups()
        assert (ROOT / path).is_file(), path


def test_readme_links_point_at_files():
    # The landing page sends readers on to the manual, the benchmarks and
    # the changelog: every relative link names a file or folder that exists.
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", README)
    assert {"doc/user_guide.rst", "benchmarks/RESULTS.md", "CHANGELOG.md"} <= set(links)
    for link in links:
        assert (ROOT / link).exists(), link


def test_readme_copies_no_timing_tables():
    # Measured figures live in benchmarks/RESULTS.md only; the README links
    # to it. A Markdown table with a time column would be a copy.
    headers = [line for line in README.splitlines() if line.startswith("| ")]
    for header in headers:
        assert not re.search(r"\b(ms|s|us)\b\s*\|", header), header
