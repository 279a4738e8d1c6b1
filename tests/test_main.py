"""The ``skfusion`` command's entry point: Ctrl-C while it imports is one line.

The child process is made to pause while it imports the command's modules
(a finder in sitecustomize.py that sleeps on ``skfusion.cli``), so that the
signal arrives during the imports on any machine, however fast.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import skfusion

SLOW_IMPORT = """
import sys, time

class Slow:
    def find_spec(self, name, path=None, target=None):
        if name == "skfusion.cli":
            print("importing", flush=True)
            time.sleep(120)

sys.meta_path.insert(0, Slow())
"""
COMMANDS = {
    "python -m skfusion": [sys.executable, "-m", "skfusion"],
    "console script": [str(Path(sys.executable).parent / "skfusion")],
}


@pytest.mark.hostile("handled")
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_ctrl_c_during_the_imports_is_one_line_and_130(tmp_path, command):
    (tmp_path / "sitecustomize.py").write_text(SLOW_IMPORT)
    package_root = str(Path(skfusion.__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), package_root])}
    child = subprocess.Popen(
        [*COMMANDS[command], "compare"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline() == "importing\n"
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert (child.returncode, out, err) == (
        130,
        "",
        "skfusion: interrupted (SIGINT)\n",
    )


def test_importing_the_package_imports_no_estimator():
    # What lets the entry point start at once; the names still resolve.
    code = (
        "import sys, skfusion; "
        "print('skfusion._fusion' in sys.modules, 'sklearn' in sys.modules); "
        "print(skfusion.TorchLogisticFusion.__module__, "
        "set(skfusion.__all__) <= set(dir(skfusion)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout == "False False\nskfusion._fusion True\n", done.stderr
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        skfusion.nothing  # noqa: B018
