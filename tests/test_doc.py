"""The documentation in doc/: the API reference is complete, the guide's code runs."""

import re

import pytest

from tests._doc_blocks import (
    ROOT,
    BlockSession,
    rst_blocks,
    run_as_script,
    run_shell_command,
)
from tests._public_api import public_objects

DOC = ROOT / "doc"
USER_GUIDE = (DOC / "user_guide.rst").read_text()
GUIDE_BLOCKS = rst_blocks(USER_GUIDE, "python")


def autosummary_entries(text):
    """``module.name`` of every entry of the autosummary tables of `text`.

    Only directives that start a line count: a commented-out table
    (``.. .. autosummary::``) lists nothing.
    """
    entries, module, in_table = set(), None, False
    for line in text.splitlines():
        if line.startswith(".. currentmodule::"):
            module = line.split("::", 1)[1].strip()
        if line.startswith(".. autosummary::"):
            in_table = True
        elif in_table and line and not line.startswith("   "):
            in_table = False
        elif in_table and re.fullmatch(r"   [A-Za-z_]\w*", line):
            entries.add(f"{module}.{line.strip()}")
    return entries


def test_autosummary_entries_reads_tables_only():
    text = (
        ".. currentmodule:: pkg\n\n.. autosummary::\n   :toctree: generated/\n\n"
        "   f\n   g\n\nText\n   h\n\n.. .. autosummary::\n..    k\n"
    )
    assert autosummary_entries(text) == {"pkg.f", "pkg.g"}


def test_api_reference_lists_every_public_object():
    listed = autosummary_entries((DOC / "api.rst").read_text())
    public = set(public_objects().values())
    assert public - listed == set(), "public but missing from doc/api.rst"
    assert listed - public == set(), "in doc/api.rst but not public"


def test_user_guide_has_python_blocks():
    # Guards the extraction: a changed directive spelling would run nothing.
    assert len(GUIDE_BLOCKS) >= 5


def example_command():
    (command,) = [
        b for b in rst_blocks(USER_GUIDE, "bash") if "write_squad_example" in b
    ]
    return command


@pytest.fixture(scope="module")
def guide_session(tmp_path_factory):
    """A folder prepared by the guide's own example command, and a session."""
    folder = tmp_path_factory.mktemp("user_guide")
    run_shell_command(example_command(), folder)
    return folder, BlockSession("doc/user_guide.rst", GUIDE_BLOCKS)


def test_example_command_prints_what_the_guide_shows(tmp_path):
    command = example_command().strip()
    after = USER_GUIDE[USER_GUIDE.index(command) + len(command) :]
    shown = rst_blocks(after, "text")[0]
    assert run_shell_command(command, tmp_path) == shown


def test_user_guide_python_blocks_run_as_a_script(tmp_path):
    run_shell_command(example_command(), tmp_path)
    run_as_script("doc/user_guide.rst", GUIDE_BLOCKS, tmp_path)


@pytest.mark.parametrize(
    "index", range(len(GUIDE_BLOCKS)), ids=lambda i: f"block{i + 1}"
)
def test_user_guide_python_block(index, guide_session, monkeypatch):
    folder, session = guide_session
    monkeypatch.chdir(folder)
    session.check(index)


def test_user_guide_figures_exist():
    figures = re.findall(r"^\.\. figure:: (\S+)$", USER_GUIDE, flags=re.MULTILINE)
    assert len(figures) == 4
    for figure in figures:
        assert (DOC / figure).is_file(), figure


@pytest.mark.parametrize("name", ["user_guide.rst", "install.rst", "index.rst"])
def test_doc_quotes_no_timings(name):
    # Timings live in benchmarks/RESULTS.md, with the CPU they came from;
    # the pages link to it rather than copying numbers that drift.
    text = (DOC / name).read_text()
    timings = re.findall(r"\d(?:\.\d+)? ?(?:ms|s|us)\b|\d(?:\.\d+)?x\b", text)
    assert timings == [], timings


# The docs' default role is "literal": a reference written `~skfusion.X`
# without a role renders as that text. sphinx-gallery's thumbnail text keeps
# the tilde of a role that follows a non-space, as in "(:class:`~a.B`)".
BARE_REFERENCE = re.compile(r"(?<![`:])`~[\w.]+`(?!`)")
GALLERY_REFERENCE = re.compile(r"\S:(?:\w+:)+`~")


def test_api_references_render_as_links():
    sources = [*(ROOT / "skfusion").rglob("*.py"), *(ROOT / "examples").glob("*.py")]
    found = [
        f"{path.relative_to(ROOT)}: {match.group()}"
        for path in sources
        for match in BARE_REFERENCE.finditer(path.read_text())
    ]
    found += [
        f"{path.relative_to(ROOT)}: {match.group()}"
        for path in (ROOT / "examples").glob("*.py")
        for match in GALLERY_REFERENCE.finditer(path.read_text().split('"""')[1])
    ]
    assert found == []
    assert BARE_REFERENCE.search("a `~skfusion.X` b")  # the oracle sees one
    assert not BARE_REFERENCE.search("a :class:`~skfusion.X` b ``~x``")
    assert GALLERY_REFERENCE.search("(:class:`~skfusion.X`)")
