#!/bin/bash
# Exact guest-instruction counts of the dense kernels and of a whole model, under armcount
# (../shared/tools/armcount, see its README). Builds two small Embedded Swift drivers against the
# current Sources/ with the aarch64-linux board flags (Toolchains/aarch64-linux.json + -target-cpu).
#
#   Tests/Fixtures/perf/armcount-bench.sh CPU [KERNELS_DIR] [MODEL.sparrow]
#     CPU          cortex-a72 (Pi 4) or cortex-a76 (Pi 5); also the qemu -cpu
#     KERNELS_DIR  SparrowKernels sources to use (default Sources/SparrowKernels) - for before/after
#     MODEL        a .sparrow file, float32 or int8 input 0 (default: none, kernels only)
# Output: count-insns lines. Kernel driver: region L = one call of case L (0 conv3x3 32->32 56x56,
# 1 conv1x1 64->128 28x28, 2 conv3x3 3->16 32x32, 3 depthwise 3x3 56x56x64, 4 FC 1024->1000),
# region 5 = empty pair (29). Model driver: region0 = invokes 2..N (N=11), region1 = first invoke,
# region 10+k = operator k (k < 50; env OPS_FROM shifts the window). Each kernel case also prints an FNV-1a checksum of its output; it equals
# `sparrow bench-kernels`' checksum on the host.
# Sparse against dense FC / 1x1 conv per board (the converter's cost table): armcount-sparse.sh.
set -euo pipefail
CPU=$1
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
KERNELS=${2:-$ROOT/Sources/SparrowKernels}
MODEL=${3:-}
ARMCOUNT=${ARMCOUNT:-$ROOT/../shared/tools/armcount}
OUT=$(mktemp -d)
FLAGS="-target aarch64-none-none-elf -enable-experimental-feature Embedded -wmo -O -Xfrontend -function-sections
       -Xcc -fPIC -Xllvm -relocation-model=pic -target-cpu $CPU -I $OUT"
# The Pi 5 board flags: its sdot microkernels exist only in builds that define SPARROW_DOTPROD.
[ "$CPU" = cortex-a76 ] && FLAGS="$FLAGS -D SPARROW_DOTPROD"
# The A53 boards' flags: in-order tuned kernel variants (CPUFeatures.inOrder).
[ "$CPU" = cortex-a53 ] && FLAGS="$FLAGS -D SPARROW_INORDER"
for M in SparrowFormat SparrowKernels SparrowNPY SparrowRuntime; do
  D=$ROOT/Sources/$M; [ $M = SparrowKernels ] && D=$KERNELS
  swiftc $FLAGS -parse-as-library -no-allocations -module-name $M -emit-module \
    -emit-module-path $OUT/$M.swiftmodule -c -o $OUT/$M.o $(find $D -name '*.swift' | sort)
done
HERE=$ROOT/Tests/Fixtures/perf
swiftc $FLAGS -enable-experimental-feature Extern -parse-as-library -module-name KernelDriver -c -o $OUT/kd.o $HERE/kernel_driver.swift
aarch64-linux-gnu-gcc $OUT/kd.o $OUT/SparrowKernels.o -o $OUT/kernel-bench -static-pie -Wl,--gc-sections -lm
"$ARMCOUNT/count-insns" --cpu "$CPU" -- $OUT/kernel-bench
if [ -n "$MODEL" ]; then
  swiftc $FLAGS -enable-experimental-feature Extern -parse-as-library -module-name ModelDriver -c -o $OUT/md.o $HERE/model_driver.swift
  aarch64-linux-gnu-gcc $OUT/md.o $OUT/SparrowRuntime.o $OUT/SparrowNPY.o $OUT/SparrowKernels.o $OUT/SparrowFormat.o \
    -o $OUT/model-bench -static-pie -Wl,--gc-sections -lm
  "$ARMCOUNT/count-insns" --cpu "$CPU" -E MODEL="$MODEL" -E N=11 -- $OUT/model-bench
fi
rm -rf "$OUT"
