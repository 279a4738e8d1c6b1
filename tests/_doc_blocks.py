"""Run the code blocks of a document (README.md, doc/*.rst) as a reader would."""

import code
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
    or not. Returns what the command printed on stdout.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    done = subprocess.run(
        command, shell=True, cwd=folder, env=env, check=True, capture_output=True
    )
    return done.stdout.decode()


class _Console(code.InteractiveConsole):
    """Python's interactive interpreter, keeping the first error it shows."""

    def __init__(self, namespace, filename):
        super().__init__(namespace, filename)
        self.error = None

    def showtraceback(self):
        self.error = self.error or sys.exc_info()[1]

    def showsyntaxerror(self, filename=None, **kwargs):
        self.error = self.error or sys.exc_info()[1]


def _paste(console, block):
    """Type `block` into `console` line by line, then Enter; return its error.

    The interactive interpreter reads as the REPL does: a blank line ends an
    indented block, and a statement that follows an indented block without
    one is a syntax error, so a block that runs as a script may not run here.
    """
    console.error = None
    for line in [*block.splitlines(), ""]:
        console.push(line)
        if console.error is not None:
            console.resetbuffer()
            break
    return console.error


class BlockSession:
    """Execute a document's Python blocks in order, as typed into a REPL.

    Each block is pasted line by line into one interactive interpreter
    (:mod:`code`, the REPL's rules), so it sees what the blocks before it
    defined, as in a reader's session. `check` runs the blocks up to the one
    asked for (once each) and re-raises what that block raised; a block that
    fails does not stop the later ones, which are judged on their own.
    """

    def __init__(self, name, blocks):
        self.name = name
        self.blocks = blocks
        self.console = _Console({"__name__": "__main__"}, f"<{name}>")
        self.outcomes = []

    def check(self, index):
        """Run the blocks up to `index` in the current folder; raise its error."""
        while len(self.outcomes) <= index:
            block = self.blocks[len(self.outcomes)]
            self.outcomes.append(_paste(self.console, block))
        if self.outcomes[index] is not None:
            raise self.outcomes[index]


def run_as_script(name, blocks, folder):
    """Save `blocks` in one script in `folder`, run it with ``python``; check it.

    This is a reader who copies the blocks into a file: unlike the REPL,
    the file is ``__main__`` of a process that child processes (dask's,
    multiprocessing's) import again, and must guard what they must not run.
    A failure names the block whose line raised.
    """
    lines, starts = [], []
    for block in blocks:
        starts.append(len(lines) + 1)
        lines.extend(block.rstrip("\n").splitlines())
        lines.append("")
    script = Path(folder) / "doc_blocks_script.py"
    script.write_text("\n".join(lines) + "\n")
    done = subprocess.run(
        [sys.executable, script.name],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        numbers = re.findall(rf'File ".*{script.name}", line (\d+)', done.stderr)
        line = int(numbers[-1]) if numbers else 0
        block = sum(start <= line for start in starts)
        raise AssertionError(
            f"{name}'s python blocks, saved as {script}, fail in block {block} "
            f"(line {line}):\n{done.stderr[-3000:]}"
        )
    return done
