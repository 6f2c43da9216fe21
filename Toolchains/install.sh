#!/bin/sh
# Installs the `sparrow` host tool with the data it needs at run time, so it works from any
# directory without the checkout:
#   PREFIX/bin/sparrow              release build, Swift runtime linked in (--static-swift-stdlib)
#   PREFIX/share/sparrow/           Boards/, Toolchains/, the device modules' Sources/ (build-device
#                                   and emulate compile them with the Swift toolchain on PATH) and
#                                   the digits fixtures `sparrow demo` uses
# `sparrow` finds PREFIX/share/sparrow next to its own bin/ directory. Device builds are cached in
# PREFIX/share/sparrow/.build-device if writable, else in ~/.cache/sparrow (XDG_CACHE_HOME).
# The cross compilers and qemu-user still come from Toolchains/setup.sh.
#
#   Toolchains/install.sh [--prefix DIR]      default DIR: /usr/local
set -eu
cd "$(dirname "$0")/.."
PREFIX=/usr/local
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "install: --prefix needs a directory" >&2; exit 2; }; PREFIX="$2"; shift 2 ;;
        --prefix=*) PREFIX="${1#--prefix=}"; shift ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install: unknown option $1 (usage: Toolchains/install.sh [--prefix DIR])" >&2; exit 2 ;;
    esac
done
case "$PREFIX" in /*) ;; *) PREFIX="$PWD/$PREFIX" ;; esac

echo "install: building sparrow (release, static Swift runtime)"
swift build -c release --product sparrow --static-swift-stdlib
binary="$(swift build -c release --show-bin-path)/sparrow"

data="$PREFIX/share/sparrow"
mkdir -p "$PREFIX/bin" "$data"
rm -rf "$data/Boards" "$data/Toolchains" "$data/Sources" "$data/Tests"
cp -R Boards Toolchains "$data/"
# The device program's modules, as Toolchains/device-modules.json lists them.
mkdir -p "$data/Sources"
for module in $(sed -n 's/.*"name": *"\([A-Za-z]*\)".*/\1/p' Toolchains/device-modules.json); do
    cp -R "Sources/$module" "$data/Sources/"
done
mkdir -p "$data/Tests/Fixtures"
cp -R Tests/Fixtures/digits "$data/Tests/Fixtures/"
cp LICENSE "$data/"
git_commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
printf 'Sparrow data for %s/bin/sparrow (from commit %s). Boards/ and Toolchains/ may be edited.\n' "$PREFIX" "$git_commit" \
    >"$data/SPARROW-DATA"
cp "$binary" "$PREFIX/bin/sparrow.new"
mv "$PREFIX/bin/sparrow.new" "$PREFIX/bin/sparrow"
echo "install: $PREFIX/bin/sparrow and $data"
"$PREFIX/bin/sparrow" --version
