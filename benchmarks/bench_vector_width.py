"""The numba kernel with and without its request for 512-bit vectors.

On AVX-512 server CPUs LLVM prefers 256-bit vectors, so a float64 vector
holds 4 numbers rather than 8. The kernel asks LLVM for 512-bit vectors for
its own compiled function (`skfusion._solvers._numba_math._prefer_wide_vectors`).
This measures what that request gives: each variant fits in a fresh
process with its own empty numba cache, once as shipped and once with the
request replaced by one that does nothing. On CPUs without AVX-512 the two
compile alike.

Run: ``python -m benchmarks.bench_vector_width``
"""

import json
import os
import subprocess
import sys
import tempfile

import llvmlite.binding as llvm

from benchmarks._common import machine_line, print_table

WITHOUT_REQUEST = """
from numba import types
from numba.extending import intrinsic
import skfusion._solvers._numba_math

@intrinsic
def _no_request(typingctx):
    def codegen(context, builder, signature, args):
        return context.get_dummy_value()
    return types.none(), codegen

# Replaced before the kernel's module imports it.
skfusion._solvers._numba_math._prefer_wide_vectors = _no_request
"""

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


def _fit_seconds(prelude):
    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run(
            [sys.executable, "-c", prelude + CHILD],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "NUMBA_CACHE_DIR": cache},
        )
    return json.loads(out.stdout.splitlines()[-1])


def main(argv=None):
    shipped = _fit_seconds("")
    without = _fit_seconds(WITHOUT_REQUEST)
    rows = [
        (
            f"TorchLogisticFusion.fit ({dtype} X, numba, one thread)",
            f"{without[dtype] * 1e3:.1f}",
            f"{shipped[dtype] * 1e3:.1f}",
            f"{without[dtype] / shipped[dtype]:.2f}x",
        )
        for dtype in ("float32", "float64")
    ]
    print_table(
        "Fit on 11873 x 4 simulated scores without and with the kernel's "
        f"request for 512-bit vectors (host CPU for LLVM: "
        f"{llvm.get_host_cpu_name()}; median of 9 rounds, each variant in a "
        "fresh process with an empty numba cache)",
        ["fit", "without the request ms", "as shipped ms", "speed-up"],
        rows,
    )
    print(f"\nMachine: {machine_line()}")


if __name__ == "__main__":
    main()
