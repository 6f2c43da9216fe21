#!/bin/sh
# Creates (once) the Python virtual environment the reference checks use and prints the path of
# its interpreter on stdout; everything else goes to stderr. Works with a stock distribution
# Python (PEP 668 "externally managed", Debian 12 / Ubuntu 24.04 / Raspberry Pi OS), as root or
# not: packages go into the venv, never into the system Python.
#
#   SPARROW_VENV   where the venv lives (default: .venv in the repository; gitignored)
#   PYTHON         the interpreter that creates it (default: python3)
#
# If python3 or its venv module is missing, it installs `python3 python3-venv` with apt-get (as
# root or through sudo), as Toolchains/setup.sh does for the cross compilers.
set -eu
cd "$(dirname "$0")/.."
VENV="${SPARROW_VENV:-$PWD/.venv}"
PYTHON="${PYTHON:-python3}"
# The packages the checks import; onnx pinned to the version the fixtures were made with.
REQUIREMENTS="numpy onnx==1.22.0 onnxruntime"

say() { echo "python-env: $*" >&2; }

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import numpy, onnx, onnxruntime" 2>/dev/null; then
    echo "$VENV/bin/python"
    exit 0
fi

# `python3 -m venv` needs ensurepip, which Debian ships separately (python3-venv).
if ! command -v "$PYTHON" >/dev/null 2>&1 || ! "$PYTHON" -c "import venv, ensurepip" 2>/dev/null; then
    if ! command -v apt-get >/dev/null 2>&1; then
        say "$PYTHON with its venv module is needed (on Debian/Ubuntu: apt-get install python3 python3-venv)"
        exit 1
    fi
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    say "installing python3 python3-venv (apt-get)"
    $SUDO apt-get update >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends python3 python3-venv >&2
fi

if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV" >&2 || {
        say "'$PYTHON -m venv' failed; on Debian/Ubuntu install python3-venv (apt-get install python3-venv)"
        exit 1
    }
fi
say "installing $REQUIREMENTS into $VENV (once; about 100 MB)"
# shellcheck disable=SC2086  # the requirement list is split on purpose
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $REQUIREMENTS >&2
echo "$VENV/bin/python"
