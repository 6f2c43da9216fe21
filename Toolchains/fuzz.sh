#!/bin/sh
# Coverage-guided fuzzing with libFuzzer (Linux host, the Swift toolchain's -sanitize=fuzzer).
#
#   Toolchains/fuzz.sh TARGET [SECONDS] [extra libFuzzer flags...]
#   TARGET: verifier | onnx | tflite | npy | all   SECONDS: campaign length per target (default 60)
#
# Builds Tests/Fuzz/<Target>FuzzTarget.swift with the module sources it needs, each compiled
# with swiftc -sanitize=fuzzer,address (coverage instrumentation + AddressSanitizer), outside
# SwiftPM's test build. Seeds the corpus from every fixture (converted .sparrow models, ONNX
# models, .tflite models, .npy files), runs the campaign, and prints executions, coverage and crashes.
# Exit status 1 when a crash, leak, timeout or out-of-memory was found; its input is kept in
# .build/fuzz/artifacts/TARGET/ (replay: .build/fuzz/TARGET-fuzzer FILE).
#
# Environment: FUZZ_JOBS=N runs N parallel fuzzing processes (default 1); FUZZ_NICE=19 lowers
# the priority of a long campaign; FUZZ_TIMEOUT=S (default 10) is libFuzzer's per-input limit,
# which is wall-clock time: raise it for a low-priority campaign on a busy machine, where a
# starved process can exceed 10 s on an input that takes 0.1 s (replay any timeout to check).
set -eu
cd "$(dirname "$0")/.."
target=${1:?usage: Toolchains/fuzz.sh verifier|onnx|tflite|npy|all [SECONDS] [libFuzzer flags...]}
seconds=${2:-60}
[ $# -ge 2 ] && shift 2 || shift $#
export PYTHON="${PYTHON:-python3}"
if [ "$target" = all ]; then
    status=0
    for t in verifier onnx tflite npy; do Toolchains/fuzz.sh "$t" "$seconds" "$@" || status=1; done
    exit $status
fi

out=.build/fuzz
mkdir -p "$out/modules"
flags="-O -g -sanitize=fuzzer,address -parse-as-library -swift-version 5 -I $out/modules"

# One module: all its sources, whole-module, into one object file and a .swiftmodule.
# Extra compiler flags after the name (SparrowKernelsX86 is built for AVX2, SparrowKernelsX86VNNI for
# AVX2 + AVX-VNNI, SparrowKernelsX86AVX512 for AVX-512 F/BW/DQ/VL + VNNI, as in Package.swift).
module() {
    name=$1; shift
    obj="$out/modules/$name.o"
    sources=$(find "Sources/$name" -name '*.swift' | sort)
    newest=$(ls -t $sources | head -1)
    if [ ! -f "$obj" ] || [ "$newest" -nt "$obj" ] || [ "$0" -nt "$obj" ]; then
        echo "fuzz: compiling $name" >&2
        # shellcheck disable=SC2086
        swiftc $flags "$@" -module-name "$name" -wmo -c $sources -o "$obj" \
            -emit-module -emit-module-path "$out/modules/$name.swiftmodule"
    fi
    objects="$objects $obj"
}

objects=""
# SparrowKernels imports the AVX2, AVX-VNNI and AVX-512 modules on x86_64 hosts (their kernels run after a CPUID check).
kernels() {
    if [ "$(uname -m)" = x86_64 ]; then
        module SparrowKernelsX86 -Xcc -mavx2
        module SparrowKernelsX86VNNI -Xcc -mavx2 -Xcc -mavxvnni
        module SparrowKernelsX86AVX512 -Xcc -mavx2 -Xcc -mavx512f -Xcc -mavx512bw -Xcc -mavx512dq -Xcc -mavx512vl \
            -Xcc -mavx512vnni
    fi
    module SparrowKernels
}
case $target in
    verifier) module SparrowFormat; kernels; for m in SparrowNPY SparrowRuntime; do module $m; done; source=VerifierFuzzTarget ;;
    onnx) module SparrowFormat; kernels; for m in SparrowNPY SparrowRuntime SparrowONNX SparrowTFLite SparrowConverter; do module $m; done
          source=ONNXFuzzTarget ;;
    tflite) module SparrowFormat; kernels; for m in SparrowNPY SparrowRuntime SparrowONNX SparrowTFLite SparrowConverter; do module $m; done
          source=TFLiteFuzzTarget ;;
    npy) module SparrowNPY; source=NPYFuzzTarget ;;
    *) echo "fuzz: unknown target '$target' (verifier, onnx, tflite, npy, all)" >&2; exit 2 ;;
esac
binary="$out/$target-fuzzer"
echo "fuzz: linking $binary" >&2
# shellcheck disable=SC2086
# (ld.gold warns about every ASan helper symbol it cannot export; shown only when linking fails.)
swiftc $flags -module-name "${source}" "Tests/Fuzz/$source.swift" $objects -o "$binary" >"$out/$target-link.log" 2>&1 \
    || { grep -v 'Cannot export local symbol' "$out/$target-link.log" >&2; exit 1; }

# Seeds: every fixture of the kind the target reads (the corpus directory keeps what the
# campaigns found interesting; seeds are re-added each run).
corpus="$out/corpus/$target"
seeds="$out/seeds/$target"
mkdir -p "$corpus" "$seeds" "$out/artifacts/$target"
case $target in
    verifier)
        # Every fixture model converted: the digits models, and each ONNX node test as a small
        # one-op model, so every opcode is in the corpus in a model that runs fast.
        if [ -z "$(ls "$seeds")" ]; then
            swift build --product sparrow >&2
            ${PYTHON:-python3} Tests/Fixtures/fuzz/mutate_convert.py .build/debug/sparrow --write-seeds "$seeds" >&2
            d=Tests/Fixtures/digits
            .build/debug/sparrow convert "$d/digits_cnn_pruned.onnx" -o "$seeds/digits_cnn_sparse.sparrow" \
                --calibration "$d/digits_calib.npy" --sparse always >/dev/null
            .build/debug/sparrow convert "$d/digits_multiexit_ce.onnx" -o "$seeds/digits_multiexit.sparrow" \
                --calibration "$d/digits_calib.npy" --exit exit1 --exit exit2 --exit final >/dev/null
            rm -f "$seeds"/digits_mbv3_opset18.sparrow "$seeds"/digits_cnn_opset11.sparrow  # duplicates
        fi ;;
    onnx)
        i=0
        for f in Tests/Fixtures/digits/*.onnx Tests/Fixtures/onnx/*.onnx Tests/Fixtures/onnx-node/*/model.onnx; do
            i=$((i + 1)); cp "$f" "$seeds/$i-$(basename "$(dirname "$f")")-$(basename "$f")"
        done ;;
    tflite)
        for f in Tests/Fixtures/tflite/models/*.tflite; do cp "$f" "$seeds/"; done ;;
    npy)
        for f in Tests/Fixtures/npy/*.npy Tests/Fixtures/digits/*.npy; do cp "$f" "$seeds/"; done ;;
esac

log="$out/$target.log"
echo "fuzz: $target for ${seconds}s, $(ls "$seeds" | wc -l) seeds, log $log" >&2
set +e
# -rss_limit_mb / -malloc_limit_mb: an input that makes the target use more than 2 GB is a bug
# (an unbounded allocation), reported like a crash. -timeout: an input taking longer is a hang.
# With FUZZ_JOBS > 1, libFuzzer's workers write fuzz-N.log into the working directory: run in
# one of our own.
jobs=${FUZZ_JOBS:-1}
parallel=""
[ "$jobs" -gt 1 ] && parallel="-jobs=$jobs -workers=$jobs"
root=$(pwd)
mkdir -p "$out/work-$target" && rm -f "$out/work-$target"/fuzz-*.log
# shellcheck disable=SC2086
(cd "$out/work-$target" && nice -n "${FUZZ_NICE:-0}" "$root/$binary" "$root/$corpus" "$root/$seeds" \
    -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
    $parallel -artifact_prefix="$root/$out/artifacts/$target/" "$@") >"$log" 2>&1
rc=$?
set -e
# Each worker's final stats are in its own log (with -jobs, the main log may repeat them).
stats="$log"
[ "$jobs" -gt 1 ] && stats=$(ls "$out/work-$target"/fuzz-*.log)
# shellcheck disable=SC2086
execs=$(cat $stats | grep -o 'stat::number_of_executed_units: *[0-9]*' | awk '{s += $2} END {print s + 0}')
cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | sort -t' ' -k2 -n | tail -1)
found=$(ls "$out/artifacts/$target" | wc -l)
echo "fuzz $target: $execs executions in ${seconds}s, $cov, corpus $(ls "$corpus" | wc -l) files, artifacts $found (exit $rc)"
if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
    grep -E 'ERROR: |Fatal error|SUMMARY' "$log" | head -5
    exit 1
fi
