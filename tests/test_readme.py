"""README.md's set-up commands are the ones CI proves, and its Python runs."""

import pytest

from tests._doc_blocks import ROOT, BlockSession, markdown_blocks, run_shell_command

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


@pytest.fixture(scope="module")
def readme_session(tmp_path_factory):
    """A folder prepared by the README's own example command, and a session."""
    folder = tmp_path_factory.mktemp("readme")
    (command,) = [b for b in bash_blocks(README) if "write_squad_example" in b]
    run_shell_command(command, folder)
    return folder, BlockSession("README.md", PYTHON_BLOCKS)


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
    # Blocks run in order in one namespace, in the folder where the README's
    # command wrote the simulated reader's files.
    folder, session = readme_session
    monkeypatch.chdir(folder)
    session.check(index)
