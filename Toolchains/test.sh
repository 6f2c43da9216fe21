#!/bin/sh
# The test command of README.md and .ci/run. Installs what the tests need (idempotent: the
# cross compilers and qemu-user via apt, numpy/onnx/onnxruntime via pip, each only if missing),
# runs the whole Swift test suite (unit tests, end-to-end conversion, device builds under qemu),
# then checks Sparrow's int8 execution op by op against onnxruntime.
set -eu
cd "$(dirname "$0")/.."
Toolchains/setup.sh
if ! python3 -c "import numpy, onnx, onnxruntime" 2>/dev/null; then
    python3 -m pip install --quiet numpy "onnx==1.22.0" onnxruntime
fi
swift test "$@"
swift build --product sparrow
python3 Tests/Fixtures/check_against_onnxruntime.py .build/debug/sparrow
