#!/bin/sh
# The main job of README.md: installs what is missing (idempotent), then converts the bundled
# digits CNN to int8 with calibration, cross-builds sparrow-device for a board (default: Pi 4,
# 64-bit) and runs it under qemu with that board's CPU model, printing accuracy and latency.
#   Toolchains/demo.sh [--board NAME]
set -eu
cd "$(dirname "$0")/.."
Toolchains/setup.sh
swift build -c release --product sparrow
exec .build/release/sparrow demo "$@"
