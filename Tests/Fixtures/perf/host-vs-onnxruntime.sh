#!/bin/bash
# Host (x86) latency of one model, one thread, side by side in one run: Sparrow's portable kernels,
# Sparrow with the AVX2 kernels (selected by CPUID; SPARROW_KERNELS=portable turns them off), each
# for the plain file and for files with packed GEMM weights in both board layouts, and
# onnxruntime int8 (quantize_static QDQ, per-channel) and float.
#
#   Tests/Fixtures/perf/host-vs-onnxruntime.sh MODEL.onnx CALIB.npy INPUT.npy [REPEATS]
# Figures are `sparrow bench` p50 and min over REPEATS inferences (release build) and
# onnxruntime's median and min over REPEATS runs. Needs the venv's onnxruntime (SPARROW_VENV, default the .venv test.sh makes).
set -euo pipefail
MODEL=$1 CALIB=$2 INPUT=$3 REPEATS=${4:-30}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
PY=${SPARROW_VENV:-$ROOT/.venv}/bin/python
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
(cd "$ROOT" && swift build -c release --product sparrow >/dev/null)
S=$ROOT/.build/release/sparrow
x1=$OUT/input1.npy
"$PY" -c "import numpy as np, sys; np.save(sys.argv[2], np.load(sys.argv[1])[:1])" "$INPUT" "$x1"
"$S" convert "$MODEL" -o "$OUT/plain.sparrow" --calibration "$CALIB" >/dev/null
"$S" convert "$MODEL" -o "$OUT/nr16kr4.sparrow" --calibration "$CALIB" --packed-weights --board pi5 >/dev/null
"$S" convert "$MODEL" -o "$OUT/nr8kr16.sparrow" --calibration "$CALIB" --packed-weights --board pi4b >/dev/null
# p50 and min: on a shared machine the min is the steadier figure (both are printed).
stats() { grep -o 'min [0-9.]* p50 [0-9.]*' | awk '{ print $4, $2 }'; }
printf '%-34s %10s %10s\n' "model $(basename "$MODEL")" "p50 ms" "min ms"
for file in plain nr16kr4 nr8kr16; do
  for kernels in portable avx2; do
    env_kernels=$([ $kernels = portable ] && echo portable || echo auto)
    read -r p50 low < <(SPARROW_KERNELS=$env_kernels "$S" bench "$OUT/$file.sparrow" --input "$x1" --warmup 3 \
      --iterations "$REPEATS" --quiet --power none | stats)
    printf '%-34s %10s %10s\n' "sparrow $file, $kernels kernels" "$p50" "$low"
    echo "$file $kernels $p50 $low" >> "$OUT/sparrow.txt"
  done
done
"$PY" "$ROOT/Tests/Fixtures/perf/ort_int8_latency.py" "$MODEL" "$CALIB" "$x1" "$REPEATS" "$OUT" 2>/dev/null | tee "$OUT/ort.txt" \
  | awk '{ printf "%-34s %10s %10s\n", "onnxruntime " substr($1, 5) ", 1 thread", $3, $5 }'
read -r ORT ORTMIN < <(awk '$1 == "ort-int8" { print $3, $5 }' "$OUT/ort.txt")
awk -v ort="$ORT" -v ortmin="$ORTMIN" '{ printf "ratio sparrow %s %s / onnxruntime int8: p50 %.1fx, min %.1fx\n", $1, $2, $3 / ort, $4 / ortmin }' \
  "$OUT/sparrow.txt"
