"""Run the code blocks of a document (README.md, doc/*.rst) as a reader would."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def markdown_blocks(text, language):
    """The fenced ```language blocks of a Markdown text, in order."""
    return re.findall(rf"```{language}\n(.*?)\n```", text, flags=re.DOTALL)


def rst_blocks(text, language):
    """The ``.. code-block:: language`` blocks of a reST text, in order."""
    pattern = rf"^\.\. code-block:: {language}\n\n((?:(?:[ ]{{3}}.*)?\n)+)"
    return [
        textwrap.dedent(body).strip() + "\n"
        for body in re.findall(pattern, text, flags=re.MULTILINE)
    ]


def run_shell_command(command, folder):
    """Run a documented shell command in `folder` with this Python's scripts.

    The folder of `sys.executable` comes first on PATH, so ``python`` and
    ``skfusion`` are those of the environment running the tests, activated
    or not.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    subprocess.run(command, shell=True, cwd=folder, env=env, check=True)


class BlockSession:
    """Execute a document's Python blocks in order, in one namespace.

    Each block sees what the blocks before it defined, as in a reader's
    session. `check` runs the blocks up to the one asked for (once each)
    and re-raises what that block raised; a block that fails does not stop
    the later ones, which are judged on their own.
    """

    def __init__(self, name, blocks):
        self.name = name
        self.blocks = blocks
        self.namespace = {"__name__": "__main__"}
        self.outcomes = []

    def check(self, index):
        """Run the blocks up to `index` in the current folder; raise its error."""
        while len(self.outcomes) <= index:
            number = len(self.outcomes)
            code = compile(
                self.blocks[number], f"<{self.name} python block {number + 1}>", "exec"
            )
            try:
                exec(code, self.namespace)
            except Exception as exc:  # the block's own test reports it
                self.outcomes.append(exc)
            else:
                self.outcomes.append(None)
        if self.outcomes[index] is not None:
            raise self.outcomes[index]
