#!/bin/bash
# Exact guest-instruction counts of the sparse FC / 1x1 conv kernels against the dense ones on the
# same pruned weights, per board, under armcount (../shared/tools/armcount, see its README).
# SparrowKernels is compiled with the board's exact device flags (Toolchains/<toolchain>.json
# swiftFlags + Boards/<board>.json codegenFlags + -parse-as-library -no-allocations, as
# DeviceBuilder.compileCommand does); the driver (sparse_driver.swift) is linked as a static PIE
# and run under count-insns with the board's qemu CPU.
#
#   Tests/Fixtures/perf/armcount-sparse.sh [BOARD ...]        default: pi3b-plus pi4b pi5
#   SHAPES="fc:1024:1000 conv:28:28:64:128 ..." overrides the layer shapes (fc:CIN:COUT,
#   conv:H:W:CIN:COUT). Default: FC 64->128, 128->64, 256->256, 1024->1000, 4096->1024; conv 1x1
#   28x28 64->128, 28x28 128->128, 14x14 256->256, 14x14 512->512 and 7x7 1024->1024 (wider than
#   the 512-channel pixel tile: the per-pixel kernel). Densities 5, 10, 20, 30, 50, 70, 90 %.
#
# Output per board and shape: one row per block shape and target density with the stored density,
# sparse and dense instructions per call (the 29-instruction marker pair subtracted), sparse /
# dense and the speedup; then the break-even stored density per block shape: where sparse / dense
# crosses 1, interpolated linearly between the two measured densities around the crossing
# ("never" if sparse is slower even at 5 %; ">90%" if it is faster at every measured density).
# Last, per board, the cost-table rows of SparseCostModel (Sources/SparrowConverter/Sparse/
# SparseCostModel.swift): per class (FC; Conv1x1 by input channels) and block shape the smallest
# break-even over the class's shapes, floored to a whole percent. Exit status 1 if any sparse
# output differs from the dense one (every case is checked byte for byte).
# Only aarch64 boards: the driver's count-insns run is aarch64 (the armv7 boards are not measured).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
ARMCOUNT=${ARMCOUNT:-$ROOT/../shared/tools/armcount}
HERE=$ROOT/Tests/Fixtures/perf
BOARDS=${*:-pi3b-plus pi4b pi5}
SHAPES=${SHAPES:-fc:64:128 fc:128:64 fc:256:256 fc:1024:1000 fc:4096:1024 conv:28:28:64:128 conv:28:28:128:128 conv:14:14:256:256 conv:14:14:512:512 conv:7:7:1024:1024}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

for BOARD in $BOARDS; do
  B=$ROOT/Boards/$BOARD.json
  [ -f "$B" ] || { echo "no board profile $B" >&2; exit 2; }
  TC=$ROOT/Toolchains/$(jq -r .toolchain "$B").json
  TARGET=$(jq -r .swiftTarget "$TC")
  [ "$TARGET" = aarch64-none-none-elf ] || { echo "$BOARD: only aarch64 boards are measured (got $TARGET)" >&2; exit 2; }
  mapfile -t SWIFTFLAGS < <(jq -r '.swiftFlags[]' "$TC")
  mapfile -t CODEGEN < <(jq -r '.codegenFlags[]' "$B")
  QCPU=$(jq -r .qemuCPU "$B"); GCC=$(jq -r .gcc "$TC")
  D=$OUT/$BOARD; mkdir -p "$D"
  # The device module exactly as DeviceBuilder.compileCommand builds it for this board.
  swiftc -target "$TARGET" "${SWIFTFLAGS[@]}" "${CODEGEN[@]}" -parse-as-library -no-allocations \
    -module-name SparrowKernels -I "$D" -emit-module -emit-module-path "$D/SparrowKernels.swiftmodule" \
    -c -o "$D/SparrowKernels.o" "$ROOT"/Sources/SparrowKernels/*.swift
  swiftc -target "$TARGET" "${SWIFTFLAGS[@]}" "${CODEGEN[@]}" -enable-experimental-feature Extern -parse-as-library \
    -module-name SparseDriver -I "$D" -c -o "$D/sd.o" "$HERE/sparse_driver.swift"
  "$GCC" "$D/sd.o" "$D/SparrowKernels.o" -o "$D/sparse-bench" -static-pie -Wl,--gc-sections -lm
  echo "== $BOARD ($(jq -r .description "$B")); flags: ${CODEGEN[*]}; qemu -cpu $QCPU"
  for SHAPE in $SHAPES; do
    IFS=: read -r KIND A1 A2 A3 A4 <<< "$SHAPE"
    if [ "$KIND" = fc ]; then ENVS=(-E KIND_FC=1 -E CIN="$A1" -E COUT="$A2"); NAME="FC $A1->$A2"; CLASS=FC
    else
      ENVS=(-E KIND_FC=0 -E H="$A1" -E W="$A2" -E CIN="$A3" -E COUT="$A4"); NAME="Conv1x1 ${A1}x${A2} $A3->$A4"
      if [ "$A3" -gt 512 ]; then CLASS="Conv1x1>512"; else CLASS="Conv1x1<=$A3"; fi
    fi
    "$ARMCOUNT/count-insns" --cpu "$QCPU" --quiet --out "$D/counts.txt" "${ENVS[@]}" -- "$D/sparse-bench" > "$D/cases.txt" \
      || { cat "$D/cases.txt"; echo "$BOARD $NAME: driver failed (sparse output differs from dense?)" >&2; exit 1; }
    echo "-- $NAME"
    awk -v name="$NAME" -v class="$CLASS" -v summary="$D/summary.txt" '
      FNR == NR { split($0, kv, "="); n[kv[1]] = kv[2]; next }
      $1 == "case" {
        k = $2; marker = n["region60_insns"]
        sp = n["region" k "_insns"] - marker; de = n["region" (28 + k) "_insns"] - marker
        blk = $3 "x" $4; stored = $6 / 1e6
        printf "%-6s target %2d%%  stored %5.1f%%  idx %dB  sparse %11d  dense %11d  sparse/dense %6.3f  speedup %5.2fx\n", blk, $5, stored * 100, $7, sp, de, sp / de, de / sp
        cnt[blk]++; s[blk, cnt[blk]] = stored; r[blk, cnt[blk]] = sp / de
        if (!(blk in seen)) { seen[blk] = 1; order[++nb] = blk }
      }
      END {
        line = "break-even stored density:"
        for (i = 1; i <= nb; i++) {
          b = order[i]; m = cnt[b]
          if (r[b, 1] > 1) { v = "never"; e = 0
          } else {
            j = 0; for (t = 2; t <= m && j == 0; t++) if (r[b, t] > 1) j = t
            if (j == 0) { e = s[b, m]; v = sprintf(">%.0f%%", e * 100)
            } else {
              e = s[b, j - 1] + (1 - r[b, j - 1]) * (s[b, j] - s[b, j - 1]) / (r[b, j] - r[b, j - 1])
              v = sprintf("%.0f%%", e * 100)
            }
          }
          line = line "  " b " " v
          print class, b, e >> summary
        }
        print line
      }' "$D/counts.txt" "$D/cases.txt"
  done
  # The cost-table row per class: the smallest break-even over the shapes measured in the class,
  # floored to a whole percent (sparse is chosen only where it paid at every measured shape).
  echo "-- cost table for $BOARD (largest stored density at which sparse is chosen; 0 = never)"
  awk '{ k = $1 " " $2; v = int($3 * 100 + 1e-9) / 100; if (!(k in t) || v < t[k]) t[k] = v; if (!(k in seen)) { seen[k] = 1; o[++n] = k } }
       END { for (i = 1; i <= n; i++) printf "  %-22s %.2f\n", o[i], t[o[i]] }' "$D/summary.txt"
done
