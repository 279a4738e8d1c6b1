#!/bin/sh
# The checks of the torch engine on a GPU, from the repository root:
#
#     sh benchmarks/run_device.sh [OUTPUT_FOLDER]
#
# runs the engine tests with the torch engine on the device (the numba
# kernel, the notebook's loop and CPU fits are their oracles), then the fit,
# work-buffer and scaling benchmarks there, and writes each output to
# OUTPUT_FOLDER (default: the current folder). DEVICE (default cuda) and
# PYTHON (default python3) can be set in the environment.
set -u
out=${1:-.}
device=${DEVICE:-cuda}
python=${PYTHON:-python3}
"$python" -m pytest tests/solvers/test_fused_sgd.py tests/test_fusion.py \
    --torch-device "$device" -p no:cacheprovider -q -rs 2>&1 |
    tee "$out/device_tests.txt"
"$python" -m benchmarks.bench_fit --device "$device" 2>&1 |
    tee "$out/device_bench_fit.txt"
"$python" -m benchmarks.bench_device_buffer --device "$device" 2>&1 |
    tee "$out/device_bench_buffer.txt"
"$python" -m benchmarks.bench_scaling --device "$device" 2>&1 |
    tee "$out/device_bench_scaling.txt"
