#!/bin/sh
# The test command of README.md and .ci/run: installs what the tests need (idempotent), then
# runs the whole Swift test suite (unit tests, end-to-end conversion, device builds under qemu).
set -eu
cd "$(dirname "$0")/.."
Toolchains/setup.sh
swift test "$@"
