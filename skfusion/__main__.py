"""``python -m skfusion``, and the ``skfusion`` command's entry point.

Importing the package costs nothing (its names load on first use), so this
module runs at once: Ctrl-C while the command's modules import (about a
second) ends in one line and exit status 130, as it does afterwards.
"""

import sys


def main() -> int:
    """Run the ``skfusion`` command, Ctrl-C during its imports included.

    Returns
    -------
    status : int
        The command's exit status (see ``skfusion.cli.main``); 130 if
        interrupted while it imports.
    """
    try:
        from .cli import main as command

        return command()
    except KeyboardInterrupt:
        print("skfusion: interrupted (SIGINT)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
