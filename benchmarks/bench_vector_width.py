"""Where the float64 fit's time goes: the width of the kernel's vectors.

LLVM compiles numba's code for 256-bit vectors on CPUs that prefer them
(Intel's AVX-512 server cores among them), so a float64 vector holds 4
numbers against a float32 vector's 8, and the float64 kernel does twice the
vector arithmetic. Numba exposes the target's features only for the whole
process (``NUMBA_CPU_FEATURES``), not per function, so skfusion cannot
change this for its kernel alone. This measures what it would give: each
candidate fits in a fresh process with its own empty numba cache, once
with the host's features and once with ``-prefer-256-bit`` added (512-bit
vectors where the CPU has AVX-512; elsewhere nothing changes).

Run: ``python -m benchmarks.bench_vector_width``
"""

import json
import os
import subprocess
import sys
import tempfile

import llvmlite.binding as llvm

from benchmarks._common import machine_line, print_table

CHILD = """
import json
import numpy as np
from benchmarks._common import interleaved_medians
from skfusion import TorchLogisticFusion
from skfusion.datasets import make_squad2_scores

X, y = make_squad2_scores(random_state=0)
fits = {}
for dtype in ("float32", "float64"):
    est, data = TorchLogisticFusion(random_state=0), X.astype(dtype)
    fits[dtype] = lambda est=est, data=data: est.fit(data, y)
print(json.dumps(interleaved_medians(fits, repeats=9)))
"""


def _fit_seconds(features):
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        if features is not None:
            env["NUMBA_CPU_FEATURES"] = features
        out = subprocess.run(
            [sys.executable, "-c", CHILD],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
    return json.loads(out.stdout.splitlines()[-1])


def main(argv=None):
    host = llvm.get_host_cpu_features().flatten()
    default = _fit_seconds(None)
    wide = _fit_seconds(host + ",-prefer-256-bit")
    rows = [
        (
            f"TorchLogisticFusion.fit ({dtype} X, numba, one thread)",
            f"{default[dtype] * 1e3:.1f}",
            f"{wide[dtype] * 1e3:.1f}",
            f"{default[dtype] / wide[dtype]:.2f}x",
        )
        for dtype in ("float32", "float64")
    ]
    print_table(
        "Fit on 11873 x 4 simulated scores with numba's default vector width "
        "and with 512-bit vectors allowed (NUMBA_CPU_FEATURES=<host "
        f"features>,-prefer-256-bit; host CPU: {llvm.get_host_cpu_name()}; "
        "median of 9 rounds, each process with an empty numba cache)",
        ["fit", "default ms", "512-bit allowed ms", "speed-up"],
        rows,
    )
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
