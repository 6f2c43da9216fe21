#!/bin/bash
# The GEMM microkernels on the device builds, under qemu, per board:
#   Tests/Fixtures/kernels/microkernels.sh battery [BOARD ...]   tolerance-0 battery (exit 1 on a difference)
#   Tests/Fixtures/kernels/microkernels.sh bench [BOARD ...]     exact guest instructions (armcount)
# MOBILENETV2=1 bench: MobileNetV2 224's depthwise shapes instead of MobileNetV1 0.5 96's.
# Default boards: pi3b-plus (Cortex-A53) pi4b (A72) pi5 (A76, dot product) pi4b-armv7 (armv7, qemu-arm max).
# SparrowKernels is compiled exactly as DeviceBuilder.compileCommand does for the board (the
# toolchain's swiftFlags + the board's codegenFlags + -parse-as-library -no-allocations); the
# driver (microkernel_driver.swift) is linked with the toolchain's gcc and link flags.
# bench prints per layer shape: today's kernel (conv2DS8 / fullyConnectedS8) and the selected
# microkernel side by side, instructions per call (the empty marker pair subtracted) and per MAC.
set -euo pipefail
MODE=${1:-battery}; shift || true
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
ARMCOUNT=${ARMCOUNT:-$ROOT/../shared/tools/armcount}
BOARDS=${*:-pi3b-plus pi4b pi5 pi4b-armv7}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
STATUS=0
for BOARD in $BOARDS; do
  B=$ROOT/Boards/$BOARD.json
  TC=$ROOT/Toolchains/$(jq -r .toolchain "$B").json
  TARGET=$(jq -r .swiftTarget "$TC")
  mapfile -t SWIFTFLAGS < <(jq -r '.swiftFlags[]' "$TC")
  mapfile -t CODEGEN < <(jq -r '.codegenFlags[]' "$B")
  mapfile -t LINK < <(jq -r '.linkFlags[]' "$TC")
  QCPU=$(jq -r .qemuCPU "$B"); GCC=$(jq -r .gcc "$TC"); QEMU=$(jq -r .qemu "$TC"); SYSROOT=$(jq -r .qemuSysroot "$TC")
  DOT=$(jq -r 'if .hasDotProd then 1 else 0 end' "$B")
  D=$OUT/$BOARD; mkdir -p "$D"
  swiftc -target "$TARGET" "${SWIFTFLAGS[@]}" "${CODEGEN[@]}" -parse-as-library -no-allocations \
    -module-name SparrowKernels -I "$D" -emit-module -emit-module-path "$D/SparrowKernels.swiftmodule" \
    -c -o "$D/SparrowKernels.o" "$ROOT"/Sources/SparrowKernels/*.swift
  swiftc -target "$TARGET" "${SWIFTFLAGS[@]}" "${CODEGEN[@]}" -enable-experimental-feature Extern -parse-as-library \
    -module-name MicrokernelDriver -I "$D" -c -o "$D/driver.o" "$ROOT/Tests/Fixtures/kernels/microkernel_driver.swift"
  "$GCC" "$D/driver.o" "$D/SparrowKernels.o" -o "$D/microkernels" "${LINK[@]}"
  ARCH=aarch64; [ "$QEMU" = qemu-arm ] && ARCH=arm
  echo "== $BOARD ($(jq -r .targetCPU "$B"), $ARCH, qemu -cpu $QCPU, dot product $DOT)"
  if [ "$MODE" = battery ]; then
    "$QEMU" -cpu "$QCPU" -L "$SYSROOT" -E DOTPROD=$DOT "$D/microkernels" || STATUS=1
  else
    "$ARMCOUNT/count-insns" --arch $ARCH --cpu "$QCPU" --quiet --out "$D/counts.txt" -E BENCH=1 -E DOTPROD=$DOT -E MOBILENETV2=${MOBILENETV2:-0} \
      -- "$D/microkernels" > "$D/cases.txt" || { cat "$D/cases.txt"; STATUS=1; continue; }
    head -1 "$D/cases.txt"
    awk 'FNR == NR { split($0, kv, "="); n[kv[1]] = kv[2]; next }
      $1 == "case" {
        marker = n["region99_insns"]; b = n["region" (2 * $2) "_insns"] - marker; a = n["region" (2 * $2 + 1) "_insns"] - marker
        name = $3 " " $4 " " $5; if ($3 == "fc") name = $3 " " $4
        for (i = 1; i <= NF; i++) { if ($i == "macs") macs = $(i + 1); if ($i == "outputs") outs = $(i + 1) }
        printf "%-22s MACs %9d  before %10d (%5.3f/MAC)  after %9d (%5.3f/MAC)  gain %5.2fx  outputs %s\n",
          name, macs, b, b / macs, a, a / macs, b / a, $NF
        if ($3 != "conv1" && $3 != "conv3x3") { tb += b; ta += a; tm += macs } else printf "%-22s %.1f instructions per output before, %.1f after\n", "", b / outs, a / outs
      }
      $1 == "dwcase" {
        if (!dwhead) { printf "%-22s\n", "depthwise 3x3 (instructions per output)"; dwhead = 1 }
        marker = n["region99_insns"]; b = n["region" $2 "_insns"] - marker; a = n["region" ($2 + 1) "_insns"] - marker
        for (i = 1; i <= NF; i++) if ($i == "outputs") outs = $(i + 1)
        printf "%-22s outputs %7d  before %10d (%6.2f/out)  after %9d (%6.2f/out)  gain %5.2fx  outputs %s\n",
          $3 " " $4 " " $5, outs, b, b / outs, a, a / outs, b / a, $NF
        db += b; da += a; dn += outs
      }
      $1 == "qtcase" {
        marker = n["region99_insns"]; b = n["region" $2 "_insns"] - marker; a = n["region" ($2 + 1) "_insns"] - marker
        for (i = 1; i <= NF; i++) if ($i == "outputs") outs = $(i + 1)
        printf "%-22s elements %6d  twin   %10d (%6.2f/elt)  after %9d (%6.2f/elt)  gain %5.2fx  outputs %s\n",
          "quantize " $4, outs, b, b / outs, a, a / outs, b / a, $NF
      }
      $1 == "addcase" {
        marker = n["region99_insns"]; b = n["region" $2 "_insns"] - marker; a = n["region" ($2 + 1) "_insns"] - marker
        for (i = 1; i <= NF; i++) if ($i == "outputs") outs = $(i + 1)
        printf "%-22s elements %6d  before %10d (%6.2f/elt)  after %9d (%6.2f/elt)  gain %5.2fx  outputs %s\n",
          $3 " " $4, outs, b, b / outs, a, a / outs, b / a, $NF
      }
      END {
        printf "%-22s MACs %9d  before %10d (%5.3f/MAC)  after %9d (%5.3f/MAC)  gain %5.2fx\n", "all 1x1 + FC", tm, tb, tb / tm, ta, ta / tm, tb / ta
        if (dn) printf "%-22s outputs %7d  before %10d (%6.2f/out)  after %9d (%6.2f/out)  gain %5.2fx\n", "all depthwise", dn, db, db / dn, da, da / dn, db / da
      }
    ' "$D/counts.txt" "$D/cases.txt"
  fi
done
exit $STATUS
