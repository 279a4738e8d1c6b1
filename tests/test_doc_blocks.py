"""The runners of documented code (tests/_doc_blocks.py) can fail."""

import pytest

from tests._doc_blocks import BlockSession, markdown_blocks, run_as_script

# Each runs as a script, but not when typed into Python's REPL.
NOT_FOR_THE_REPL = [
    # A blank line ends the function's body; the return is then misindented.
    "def f():\n    x = 1\n\n    return x\n",
    # A statement right after an indented block, without a blank line.
    "for i in range(2):\n    pass\nprint(i)\n",
]


@pytest.mark.parametrize("block", NOT_FOR_THE_REPL)
def test_the_repl_refuses_what_only_a_script_accepts(block, tmp_path):
    run_as_script("doc", [block], tmp_path)
    with pytest.raises(SyntaxError):
        BlockSession("doc", [block]).check(0)


def test_a_session_keeps_names_and_judges_each_block_alone():
    blocks = ["x = 2\n", "raise ValueError('two')\n", "y = x + 1\n", "y / 0\n"]
    session = BlockSession("doc", blocks)
    session.check(0)
    with pytest.raises(ValueError, match="two"):
        session.check(1)
    session.check(2)
    assert session.console.locals["y"] == 3
    with pytest.raises(ZeroDivisionError):
        session.check(3)


def test_a_session_is_main_as_in_the_repl():
    session = BlockSession("doc", ['if __name__ == "__main__":\n    ran = True\n'])
    session.check(0)
    assert session.console.locals["ran"] is True


def test_a_failing_script_names_its_block(tmp_path):
    blocks = ["a = 1\nb = 2\n", "c = a + b\nraise RuntimeError(c)\n", "d = 4\n"]
    with pytest.raises(AssertionError, match=r"fail in block 2 \(line 5\)"):
        run_as_script("doc", blocks, tmp_path)


def test_markdown_blocks_of_a_language():
    text = "```python\nx = 1\n```\n\n```bash\nls\n```\n```python\ny\n```\n"
    assert markdown_blocks(text, "python") == ["x = 1", "y"]
