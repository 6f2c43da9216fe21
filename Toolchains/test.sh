#!/bin/sh
# The test command of README.md and .ci/run. Installs what the tests need (idempotent: the cross
# compilers and qemu-user via apt, Toolchains/setup.sh; numpy/onnx/onnxruntime into a Python venv,
# Toolchains/python-env.sh), runs the whole Swift test suite (unit tests, end-to-end conversion,
# device builds under qemu), then checks Sparrow's int8 execution op by op against onnxruntime.
# The last line says PASSED or FAILED, with the counts of both parts and the time taken.
#   Toolchains/test.sh [swift test options, e.g. --filter CLIUsageTests]
set -eu
cd "$(dirname "$0")/.."
started=$(date +%s)
# Everything temporary — the tests' scratch files and the Swift driver's TemporaryDirectory.*
# folders of every swiftc the device builds run — goes into one directory removed at the end.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sparrow-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
export TMPDIR="$scratch"
log="$scratch/log"

Toolchains/setup.sh
python=$(Toolchains/python-env.sh)

# Most suites are swift-testing; the TFLite reader and importer suites are XCTest, so both runs
# are reported. (set +e inside: the group is a subshell that must record a failure, not exit on it.)
{ set +e; swift test "$@"; echo $? >"$log.rc"; } 2>&1 | tee "$log"
swift_status=$(cat "$log.rc")
# swift-testing's own summary: "Test run with 431 tests in 61 suites passed after 212.3 seconds."
swift_summary=$(grep -o 'Test run with .*' "$log" | tail -n 1 | sed 's/^Test run with //; s/\.$//')
[ -n "$swift_summary" ] || swift_summary="no summary (build failed? see above)"
# XCTest's: "Executed 25 tests, with 0 failures (0 unexpected) in 4.2 (4.2) seconds"
xctest_summary=$(grep -o 'Executed [0-9]* tests\{0,1\}, with [0-9]* failures\{0,1\}' "$log" | tail -n 1)
[ -z "$xctest_summary" ] || swift_summary="$swift_summary; XCTest: $xctest_summary"

check_summary="not run (swift test failed)"
check_status=1
if [ "$swift_status" -eq 0 ]; then
    : >"$log"
    { set +e; swift build --product sparrow && "$python" Tests/Fixtures/check_against_onnxruntime.py .build/debug/sparrow
      echo $? >"$log.rc"; } 2>&1 | tee "$log"
    check_status=$(cat "$log.rc")
    check_summary=$(grep -o 'onnxruntime op-by-op check: .*' "$log" | tail -n 1 | sed 's/^onnxruntime op-by-op check: //')
    [ -n "$check_summary" ] || check_summary="did not finish (see above)"
fi

elapsed=$(( $(date +%s) - started ))
verdict=PASSED
if [ "$swift_status" -ne 0 ] || [ "$check_status" -ne 0 ]; then verdict=FAILED; fi
echo
echo "test.sh: $verdict — swift test: $swift_summary; onnxruntime check: $check_summary; $((elapsed / 60)) min $((elapsed % 60)) s"
[ "$verdict" = PASSED ]
