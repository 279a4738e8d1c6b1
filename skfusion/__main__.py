"""``python -m skfusion``: the command, Ctrl-C while it imports one line (130)."""

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
