"""Timing and table helpers shared by the benchmark scripts."""

import platform
import time
import tracemalloc

import numpy as np


def median_seconds(fn, *, repeats=5, warmup=1):
    """Median wall time of `fn()` over `repeats` runs after `warmup` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def memory_mib(field):
    """A memory figure of this process from Linux's /proc/self/status, in MiB.

    ``"VmRSS"`` is the resident set now, ``"VmHWM"`` its peak since the
    process started or since `reset_peak_memory`.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def reset_peak_memory():
    """Reset VmHWM to the resident set now (Linux 4.0 or later)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def traced_peak_bytes(fn):
    """Peak bytes numpy (and Python) allocate during ``fn()``, by tracemalloc."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def interleaved_medians(fns, *, repeats=5, warmup=1):
    """Median wall time of each of `fns` (a dict), measured in rounds.

    Each round runs every function once, so drifts in the machine's speed
    (a shared VM's neighbours) hit all candidates alike instead of whichever
    happened to run during them.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def print_table(title, header, rows):
    """Print a Markdown table, as benchmarks/RESULTS.md holds them."""
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


def cpu_model():
    """The CPU's model name and widest vector extension, where Linux says."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            lines = cpuinfo.read().splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    fields = dict(
        (key.strip(), value)
        for key, value in (line.split(":", 1) for line in lines if ":" in line)
    )
    name = fields.get("model name", platform.machine()).strip()
    flags = fields.get("flags", "").split()
    vectors = next((v for v in ("avx512f", "avx2", "sse4_2") if v in flags), "")
    return f"{name} ({vectors})" if vectors else name


def machine_line():
    """One line naming the machine, Python, the libraries and the load."""
    import os

    import numba
    import sklearn
    import torch

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    gpu = f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    return (
        f"{cpu_model()}, {os.cpu_count()} cores{gpu}, load average {load}; "
        f"Python {platform.python_version()}, torch {torch.__version__}, "
        f"numba {numba.__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}"
    )
