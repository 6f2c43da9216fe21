#!/bin/bash
# One command, one table: exact guest instructions per inference of the tiny CNN on each CPU for
# Sparrow's reference operators, Sparrow with packed weights (the default: PackedGemm, PackedDepthwise3x3, PackedConvIm2col,
# `convert --packed-weights --board B`), and LiteRT XNNPACK / builtin on the same architecture.
#
#   Tests/Fixtures/perf/model-vs-litert.sh [CPU ...]     (default: cortex-a53 cortex-a72 cortex-a76)
# Needs: .build/debug/sparrow (swift build), /work/venv-style python with onnx (PYTHON=...),
# ../shared/tools/armcount with its LiteRT sysroot (setup-sysroot.sh).
# Sparrow figures: (region0 − 10·29) / 10, steady-state invokes 2..11 (armcount-bench.sh);
# LiteRT: litert-report.sh's steady-state per invoke (invokes 2..11, markers subtracted).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
ARMCOUNT=${ARMCOUNT:-$ROOT/../shared/tools/armcount}
PYTHON=${PYTHON:-python3}
CPUS=${*:-cortex-a53 cortex-a72 cortex-a76}
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
"$PYTHON" "$ROOT/Tests/Fixtures/perf/make_tiny_cnn.py" "$W" > /dev/null
S="$ROOT/.build/debug/sparrow"
"$S" convert "$W/tiny_cnn.onnx" -o "$W/plain.sparrow" --calibration "$W/tiny_cnn_calib.npy" --no-packed-weights > /dev/null
per_inference() { grep -o 'region0_insns=[0-9]*' | head -1 | cut -d= -f2 | awk '{ printf "%d", ($1 - 290) / 10 }'; }
printf "%-11s %14s %14s %14s %14s\n" cpu sparrow-ref sparrow-packed litert-xnnpack litert-builtin
for CPU in $CPUS; do
  BOARD=pi4b; [ "$CPU" = cortex-a76 ] && BOARD=pi5; [ "$CPU" = cortex-a53 ] && BOARD=pi3b-plus
  "$S" convert "$W/tiny_cnn.onnx" -o "$W/packed.sparrow" --calibration "$W/tiny_cnn_calib.npy" --packed-weights --board $BOARD > /dev/null
  REF=$("$ROOT/Tests/Fixtures/perf/armcount-bench.sh" "$CPU" "" "$W/plain.sparrow" 2>&1 | grep 'region10_' | per_inference)
  PACKED=$("$ROOT/Tests/Fixtures/perf/armcount-bench.sh" "$CPU" "" "$W/packed.sparrow" 2>&1 | grep 'region10_' | per_inference)
  litert() { "$ARMCOUNT/litert-report.sh" "$ARMCOUNT/models/tiny_cnn_int8.tflite" --cpu "$CPU" --resolver "$1" 2>&1 \
             | grep 'steady-state per invoke' | grep -o '[0-9,]*$' | tr -d ,; }
  printf "%-11s %14s %14s %14s %14s\n" "$CPU" "$REF" "$PACKED" "$(litert auto)" "$(litert builtin)"
done
