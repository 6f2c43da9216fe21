#!/bin/sh
# Runs the test suite under AddressSanitizer and UndefinedBehaviorSanitizer.
#
# UBSan: swiftc (6.x, Linux) rejects -sanitize=undefined for Swift code ("unsupported option"); it
# exists for C targets, and Sparrow has none. What UBSan would catch in C (signed overflow, bad
# shifts, out-of-bounds indexing) already traps in Swift's own checked arithmetic and bounds
# checks, which every test build keeps on; unsafe-pointer misuse, the one class Swift does not
# check, is what ASan covers. The script therefore probes the toolchain and reports UBSan as
# skipped when it is unsupported, instead of failing.
#
#   Toolchains/sanitize.sh [address|undefined|both] [swift test flags...]
#
# Default: both sanitizers over the runtime, kernel and reader tests (the device-side code, where
# Sparrow uses unsafe pointers, and the parsers of untrusted files) plus the verifier fuzz test;
# pass e.g. `--filter SomeSuite` to choose others, or `--filter .` for everything. Each sanitizer
# builds in its own scratch directory (.build/sanitize-NAME) so the normal build stays as it is.
# Any sanitizer report fails the run (halt_on_error), and the script exits non-zero.
set -eu
cd "$(dirname "$0")/.."
which=${1:-both}
[ $# -ge 1 ] && shift
if [ $# -eq 0 ]; then
    set -- --filter "SparrowRuntimeTests|SparrowKernelsTests|SparrowONNXTests|VerifierFuzzTests"
fi
case $which in
    both) sanitizers="address undefined" ;;
    address|undefined) sanitizers=$which ;;
    *) echo "sanitize: unknown sanitizer '$which' (address, undefined, both)" >&2; exit 2 ;;
esac
# Leak checking is off: the only report is 144 bytes held by the XCTest runner itself (see
# Docs/robustness.md); everything else is a hard error.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=0:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# ASan prints its own report; Swift's crash backtracer, which runs after it, can take many minutes
# to symbolize an instrumented test binary (a CI run sat in it for 17), so it is off.
export SWIFT_BACKTRACE=enable=no
status=0
mkdir -p .build   # the logs go next to the scratch builds (a fresh clone has no .build yet)
probe=$(mktemp -d)
for s in $sanitizers; do
    echo 'print(0)' >"$probe/probe.swift"
    if ! swiftc -sanitize="$s" "$probe/probe.swift" -o "$probe/probe" >/dev/null 2>&1; then
        echo "sanitize $s: skipped, this swiftc does not support -sanitize=$s for Swift code"
        continue
    fi
    echo "sanitize: swift test --sanitize=$s $*"
    if swift test --scratch-path ".build/sanitize-$s" --sanitize="$s" "$@" >".build/sanitize-$s.log" 2>&1; then
        echo "sanitize $s: passed: $(grep -a 'Test run with' ".build/sanitize-$s.log" | tail -1)"
    else
        status=1
        echo "sanitize $s: FAILED (log .build/sanitize-$s.log)"
        grep -E 'ERROR: AddressSanitizer|runtime error:|SUMMARY:|✘|error:' ".build/sanitize-$s.log" | head -10
    fi
done
rm -rf "$probe"
exit $status
