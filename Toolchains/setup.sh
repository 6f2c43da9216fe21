#!/bin/sh
# Installs what the Sparrow device build needs: the Debian cross compilers, their glibc
# development files and qemu-user. Idempotent: installs only missing packages, and runs
# `apt-get update` only when something has to be installed. Used by .ci/run and the README.
#
#   Toolchains/setup.sh           install what is missing
#   Toolchains/setup.sh --check   only report; exit 1 if something is missing
set -eu

PACKAGES="gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user"

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

missing=""
for package in $PACKAGES; do
    installed "$package" || missing="$missing $package"
done

if [ -z "$missing" ]; then
    echo "setup: all device toolchain packages are installed"
    exit 0
fi
if [ "${1:-}" = "--check" ]; then
    echo "setup: missing:$missing"
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "setup: installing:$missing"
$SUDO apt-get update
# shellcheck disable=SC2086  # word splitting of the package list is intended
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
echo "setup: done"
