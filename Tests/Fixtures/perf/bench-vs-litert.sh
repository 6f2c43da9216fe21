#!/bin/bash
# Sparrow against LiteRT on the benchmark models (Tests/Fixtures/perf/models, made by
# make_bench_models.py), one command, every figure side by side:
#   1. exact guest instructions per inference (steady state, qemu 7.2, one thread) on the
#      Cortex-A53 / A72 / A76 boards: Sparrow (ONNX twin converted with --packed-weights --board B)
#      against LiteRT 1.4 XNNPACK and LiteRT builtin (ruy) on the int8 .tflite twin;
#   2. armv7 (32-bit Pi OS): Sparrow's pi4b-armv7 build under qemu-arm against TFLite 2.14 builtin;
#   3. Sparrow per operator (region per operator) on every CPU;
#   4. host x86-64 wall time per inference, one thread, median over repeats: `sparrow bench`
#      (release) against LiteRT (ai-edge-litert) and onnxruntime int8 (quantize_static of the twin).
#
#   Tests/Fixtures/perf/bench-vs-litert.sh [--models tiny_cnn,mbv1_050_96,mbv2_100_224]
#        [--cpus "cortex-a53 cortex-a72 cortex-a76"] [--no-armv7] [--no-host] [--no-litert]
#        [--convert-flags "FLAGS"] [--host-convert-flags "FLAGS"] [--repeats 5] [--keep DIR] [--quick]
#   --quick = --models tiny_cnn --cpus cortex-a76 --no-armv7 --repeats 3 (2-6 minutes on a loaded 2-core host, mostly building the driver).
#   --convert-flags are added to every board's `sparrow convert ... --packed-weights --board B`
#   (e.g. "--input-layout nhwc --input-type int8" once that exists); --host-convert-flags to the
#   host model's conversion (default: --board host, the NR 16 KR 4 layout the x86 AVX-VNNI/AVX2
#   kernels run fastest; "" gives the default conversion, packed for pi4b).
# Env: PYTHON (default: the .venv test.sh makes, else python3; needs numpy, onnx,
# onnxruntime, ai-edge-litert), SPARROW (default: builds .build/release/sparrow), ARMCOUNT
# (default ../shared/tools/armcount), ARMCOUNT_HOME (its cache, holding the LiteRT sysroots).
# A missing tool or sysroot turns its cells into "n/a" with the reason printed once; it never
# stops the other columns.
#
# Figures: Sparrow steady state = (region0 − (N−1)·empty pair) / (N−1) over invokes 2..N, per
# operator = region(10+k) − empty pair during one observed invoke (model_driver.swift); LiteRT =
# litert-report*.sh's "steady-state per invoke" (markers, invokes 2..N). N per model below.
# Inputs differ in form: the .tflite takes int8 NHWC, the ONNX twin float NCHW, so Sparrow's
# count includes its input Quantize + Transpose (shown as their own rows per operator).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
HERE=$ROOT/Tests/Fixtures/perf
ARMCOUNT=${ARMCOUNT:-$ROOT/../shared/tools/armcount}
CACHE=${ARMCOUNT_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/sparrow-armcount}
if [ -z "${PYTHON:-}" ]; then PYTHON=python3; [ -x "$ROOT/.venv/bin/python" ] && PYTHON=$ROOT/.venv/bin/python; fi
MODELS=tiny_cnn,mbv1_050_96,mbv2_100_224
CPUS="cortex-a53 cortex-a72 cortex-a76"
ARMV7=1; HOST=1; LITERT=1; REPEATS=5; KEEP=""; CONVERT_FLAGS=""; HOST_CONVERT_FLAGS="--board host"
while [ $# -gt 0 ]; do
  case "$1" in
    --models) MODELS=$2; shift 2;;
    --cpus) CPUS=$2; shift 2;;
    --no-armv7) ARMV7=0; shift;;
    --no-host) HOST=0; shift;;
    --no-litert) LITERT=0; shift;;
    --repeats) REPEATS=$2; shift 2;;
    --convert-flags) CONVERT_FLAGS=$2; shift 2;;
    --host-convert-flags) HOST_CONVERT_FLAGS=$2; shift 2;;
    --keep) KEEP=$2; shift 2;;
    --quick) MODELS=tiny_cnn; CPUS=cortex-a76; ARMV7=0; REPEATS=3; shift;;
    -h|--help) sed -n '2,/^set /{/^#/p}' "$0"; exit 0;;
    *) echo "bench-vs-litert.sh: unknown option '$1' (see --help)" >&2; exit 2;;
  esac
done
if [ -n "$KEEP" ]; then W=$KEEP; mkdir -p "$W"; else W=$(mktemp -d); trap 'rm -rf "$W"' EXIT; fi
START=$(date +%s)
note() { echo "note: $*" >&2; }

# --- what is available ---------------------------------------------------------------------------
board_of() { case $1 in cortex-a53) echo pi3b-plus;; cortex-a72) echo pi4b;; cortex-a76) echo pi5;; armv7) echo pi4b-armv7;; *) return 1;; esac; }
for C in $CPUS; do board_of "$C" > /dev/null || { echo "bench-vs-litert.sh: --cpus: '$C' is not cortex-a53, cortex-a72 or cortex-a76" >&2; exit 2; }; done
QEMU_OK=1
[ -x "$ARMCOUNT/count-insns" ] || { QEMU_OK=0; LITERT=0; note "no armcount at $ARMCOUNT (set ARMCOUNT=): no instruction counts, no LiteRT under qemu"; }
command -v swiftc > /dev/null || { QEMU_OK=0; note "no swiftc on PATH: no device builds, no instruction counts"; }
for T in jq aarch64-linux-gnu-gcc qemu-aarch64; do command -v $T > /dev/null || { QEMU_OK=0; note "no $T (Toolchains/setup.sh installs it): no instruction counts"; }; done
LITERT64=$LITERT; LITERT32=$LITERT
[ -x "$CACHE/sysroot/usr/bin/python3.11" ] || [ -d "$CACHE/sysroot/opt/pysite" ] || { LITERT64=0; [ $LITERT = 1 ] && note "no LiteRT aarch64 sysroot in $CACHE/sysroot: run $ARMCOUNT/setup-sysroot.sh (LiteRT columns n/a)"; }
[ -d "$CACHE/sysroot-armhf" ] || { LITERT32=0; [ $LITERT = 1 ] && [ $ARMV7 = 1 ] && note "no armhf sysroot in $CACHE/sysroot-armhf: run $ARMCOUNT/setup-sysroot-armhf.sh (TFLite 2.14 column n/a)"; }
if [ $ARMV7 = 1 ]; then for T in arm-linux-gnueabihf-gcc qemu-arm; do command -v $T > /dev/null || { ARMV7=0; note "no $T: no armv7 figures"; }; done; fi
"$PYTHON" -c "import numpy, onnx" 2> /dev/null || { echo "bench-vs-litert.sh: $PYTHON lacks numpy/onnx (set PYTHON=, e.g. a venv from Toolchains/python-env.sh)" >&2; exit 1; }

if [ -z "${SPARROW:-}" ]; then
  SPARROW=$ROOT/.build/release/sparrow
  echo "building sparrow (release)..." >&2
  (cd "$ROOT" && swift build -c release --product sparrow > "$W/swift-build.log" 2>&1) || { tail -20 "$W/swift-build.log" >&2; exit 1; }
fi

# The packing option (kept if a later converter packs by default and drops the flag).
PACK=""; "$SPARROW" convert --help 2>&1 | grep -q -- --packed-weights && PACK=--packed-weights

# --- device model drivers, one per board (model_driver.swift against the board's modules) -----------
build_driver() {   # BOARD -> $W/build/BOARD/model-bench
  local BOARD=$1 D=$W/build/$1
  [ -x "$D/model-bench" ] && return 0
  mkdir -p "$D"
  local B=$ROOT/Boards/$BOARD.json TC TARGET GCC
  TC=$ROOT/Toolchains/$(jq -r .toolchain "$B").json
  TARGET=$(jq -r .swiftTarget "$TC"); GCC=$(jq -r .gcc "$TC")
  local -a SWIFTFLAGS CODEGEN LINK
  mapfile -t SWIFTFLAGS < <(jq -r '.swiftFlags[]' "$TC")
  mapfile -t CODEGEN < <(jq -r '.codegenFlags[]' "$B")
  mapfile -t LINK < <(jq -r '.linkFlags[]' "$TC" | grep -vx -- -s)   # keep symbols: handy for perf work
  local MOD
  for MOD in SparrowFormat SparrowKernels SparrowNPY SparrowRuntime; do
    swiftc -target "$TARGET" "${SWIFTFLAGS[@]}" "${CODEGEN[@]}" -parse-as-library -no-allocations -module-name $MOD -I "$D" \
      -emit-module -emit-module-path "$D/$MOD.swiftmodule" -c -o "$D/$MOD.o" $(find "$ROOT/Sources/$MOD" -name '*.swift' | sort) \
      2> "$D/build.log" || { note "$BOARD: compiling $MOD failed:"; tail -5 "$D/build.log" >&2; return 1; }
  done
  swiftc -target "$TARGET" "${SWIFTFLAGS[@]}" "${CODEGEN[@]}" -enable-experimental-feature Extern -parse-as-library \
    -module-name ModelDriver -I "$D" -c -o "$D/md.o" "$HERE/model_driver.swift" 2> "$D/build.log" \
    || { note "$BOARD: compiling model_driver.swift failed:"; tail -5 "$D/build.log" >&2; return 1; }
  "$GCC" "$D/md.o" "$D/SparrowRuntime.o" "$D/SparrowNPY.o" "$D/SparrowKernels.o" "$D/SparrowFormat.o" -o "$D/model-bench" "${LINK[@]}" \
    2> "$D/build.log" || { note "$BOARD: linking failed:"; tail -5 "$D/build.log" >&2; return 1; }
}

# count_sparrow MODEL BOARD N -> $W/MODEL.BOARD.counts (key=value, plus opsN lines for windows)
count_sparrow() {
  local M=$1 BOARD=$2 N=$3 B=$ROOT/Boards/$2.json ARCH=aarch64 F=$W/$1.$2
  [ "$(jq -r .qemu "$B")" = qemu-arm ] && ARCH=arm
  local QCPU; QCPU=$(jq -r .qemuCPU "$B")
  "$ARMCOUNT/count-insns" --arch $ARCH --cpu "$QCPU" --quiet --out "$F.counts" -E MODEL="$F.sparrow" -E N="$N" -E OPS_FROM=0 \
    -- "$W/build/$BOARD/model-bench" > "$F.stdout" 2> "$F.stderr" || { note "$M on $BOARD: the model driver failed ($(tail -1 "$F.stderr"))"; return 1; }
  local OPS FROM=50
  OPS=$(grep -o '^ops [0-9]*' "$F.stdout" | cut -d' ' -f2)
  while [ "$FROM" -lt "$OPS" ]; do   # 64 marker labels: further operators in windows of 50
    "$ARMCOUNT/count-insns" --arch $ARCH --cpu "$QCPU" --quiet --out "$F.counts$FROM" -E MODEL="$F.sparrow" -E N=2 -E OPS_FROM=$FROM \
      -- "$W/build/$BOARD/model-bench" > /dev/null 2>&1 || return 1
    FROM=$((FROM + 50))
  done
}

litert_count() {   # MODEL CPU RESOLVER N -> steady-state per invoke, or n/a
  local OUT
  if [ "$2" = armv7 ]; then
    OUT=$("$ARMCOUNT/litert-report-armhf.sh" "$HERE/models/$1.tflite" --cpu max --resolver "$3" --n2 "$4" 2>&1)
  else
    OUT=$("$ARMCOUNT/litert-report.sh" "$HERE/models/$1.tflite" --cpu "$2" --resolver "$3" --n2 "$4" 2>&1)
  fi
  echo "$OUT" | grep 'steady-state per invoke' | grep -o '[0-9,]*$' | tr -d , | grep . || { echo n/a; note "LiteRT $1 $2 $3: $(echo "$OUT" | tail -1)"; }
}

# --- per model -----------------------------------------------------------------------------------
TARGETS=""
for C in $CPUS; do TARGETS="$TARGETS $C"; done
[ $ARMV7 = 1 ] && TARGETS="$TARGETS armv7"
for M in ${MODELS//,/ }; do
  T0=$(date +%s)
  [ -f "$HERE/models/$M.tflite" ] || { echo "bench-vs-litert.sh: no model '$M' in $HERE/models (tiny_cnn, mbv1_050_96, mbv2_100_224)" >&2; exit 2; }
  ONNX=$HERE/models/$M.onnx
  if [ ! -f "$ONNX" ]; then   # the large twin is regenerated from its seed (checked against its golden)
    "$PYTHON" "$HERE/make_bench_models.py" "$W" --onnx-only --models "$M" 2> "$W/$M.regen.log" \
      || { cat "$W/$M.regen.log" >&2; exit 1; }
    ONNX=$W/$M.onnx
  fi
  case $M in tiny_cnn) N=11; CAL=32;; mbv1_050_96) N=6; CAL=16;; *) N=3; CAL=8;; esac
  SIZE=$("$PYTHON" -c "import numpy; print(numpy.load('$HERE/models/${M}_input.npy').shape[-1])")
  "$PYTHON" -c "import numpy as np; np.save('$W/$M.calib.npy', np.random.default_rng(7).uniform(-1, 1, ($CAL, 3, $SIZE, $SIZE)).astype(np.float32))"
  "$SPARROW" convert "$ONNX" -o "$W/$M.host.sparrow" --calibration "$W/$M.calib.npy" $HOST_CONVERT_FLAGS > "$W/$M.inspect.host" 2>&1 \
    || { echo "bench-vs-litert.sh: sparrow convert $M failed:" >&2; tail -5 "$W/$M.inspect.host" >&2; exit 1; }
  "$SPARROW" inspect "$W/$M.host.sparrow" > "$W/$M.host.inspect"
  MACS=$(grep -o 'MACs: *[0-9.]* M' "$W/$M.host.inspect" | head -1)
  declare -A SP=() XN=() BI=()
  for C in $TARGETS; do
    BOARD=$(board_of "$C"); SP[$C]=n/a; XN[$C]=n/a; BI[$C]=n/a
    if [ $QEMU_OK = 1 ]; then
      if "$SPARROW" convert "$ONNX" -o "$W/$M.$BOARD.sparrow" --calibration "$W/$M.calib.npy" $PACK --board "$BOARD" $CONVERT_FLAGS \
           > "$W/$M.$BOARD.convert" 2>&1; then
        "$SPARROW" inspect "$W/$M.$BOARD.sparrow" > "$W/$M.$BOARD.inspect"
        build_driver "$BOARD" && count_sparrow "$M" "$BOARD" "$N" && \
          SP[$C]=$(awk -F= -v n=$N '{ v[$1] = $2 } END { printf "%d", (v["region0_insns"] - (n - 1) * v["region5_insns"]) / (n - 1) }' "$W/$M.$BOARD.counts")
      else
        note "$M: sparrow convert --board $BOARD failed: $(tail -1 "$W/$M.$BOARD.convert")"
      fi
    fi
    if [ "$C" = armv7 ]; then
      [ $LITERT32 = 1 ] && BI[$C]=$(litert_count "$M" armv7 builtin "$N")
    elif [ $LITERT64 = 1 ]; then
      XN[$C]=$(litert_count "$M" "$C" auto "$N"); BI[$C]=$(litert_count "$M" "$C" builtin "$N")
    fi
  done

  echo
  echo "== $M ($MACS; ONNX twin $(stat -c %s "$ONNX") B, .tflite $(stat -c %s "$HERE/models/$M.tflite") B; N=$N invokes)"
  echo "guest instructions per inference (steady state, qemu 7.2, 1 thread); ratio = Sparrow / LiteRT (below 1.00 = Sparrow executes fewer)"
  printf "%-11s %-11s %14s %14s %14s %9s %9s %9s\n" cpu board sparrow litert-xnnpack litert-builtin "÷xnnpack" "÷builtin" insns/MAC
  MAC_COUNT=$(grep -o '^MACs: *[0-9]*' "$W/$M.inspect.host" | grep -o '[0-9]*$')
  for C in $TARGETS; do
    printf "%-11s %-11s %14s %14s %14s %9s %9s %9s\n" "$C" "$(board_of "$C")" "${SP[$C]}" "${XN[$C]}" "${BI[$C]}" \
      "$("$PYTHON" "$HERE/bench_table.py" ratio "${SP[$C]}" "${XN[$C]}")" "$("$PYTHON" "$HERE/bench_table.py" ratio "${SP[$C]}" "${BI[$C]}")" \
      "$("$PYTHON" "$HERE/bench_table.py" ratio "${SP[$C]}" "$MAC_COUNT")"
  done
  [ $ARMV7 = 1 ] && echo "(armv7 = Sparrow's pi4b-armv7 build under qemu-arm -cpu max vs TFLite 2.14 builtin, the armv7 wheel has no XNNPACK)"
  # Every board's build must compute the same bytes (the kernels are bit-exact with the reference).
  RAN=$(for C in $TARGETS; do F=$W/$M.$(board_of "$C").stdout; [ -s "$F" ] && tail -1 "$F"; done)
  OUTS=$(echo "$RAN" | grep . | sort -u | wc -l)
  [ "$OUTS" = 1 ] && [ "$(echo "$RAN" | grep -c .)" -gt 1 ] && echo "Sparrow's output: the same bytes on every board above"
  [ "$OUTS" -gt 1 ] && echo "WARNING: Sparrow's int8 output differs between boards (see $W/$M.*.stdout; use --keep DIR)"
  if [ $QEMU_OK = 1 ]; then
    echo "Sparrow per operator, guest instructions in one observed invoke (empty marker pair subtracted):"
    ARGS=()
    for C in $TARGETS; do B=$(board_of "$C"); [ -f "$W/$M.$B.counts" ] && ARGS+=("$C=$W/$M.$B"); done
    [ ${#ARGS[@]} -gt 0 ] && "$PYTHON" "$HERE/bench_table.py" operators "${ARGS[@]}"
  fi
  if [ $HOST = 1 ]; then
    echo "host x86-64 wall time per inference, 1 thread, median of $REPEATS repeats (µs; machine shared, noisy):"
    "$PYTHON" "$HERE/bench_table.py" host --sparrow "$SPARROW" --model "$W/$M.host.sparrow" --onnx "$ONNX" \
      --tflite "$HERE/models/$M.tflite" --input "$HERE/models/${M}_input.npy" --calibration "$W/$M.calib.npy" --repeats "$REPEATS" --work "$W" 2> "$W/$M.host.stderr" \
      || { note "$M: host timing failed:"; tail -3 "$W/$M.host.stderr" >&2; }
  fi
  echo "($M took $(( $(date +%s) - T0 )) s)"
  unset SP XN BI
done
echo "(total $(( $(date +%s) - START )) s)"
