#!/usr/bin/env bash
# The whole test suite from a fresh machine: install, build, run every CTest test
# (unit tests and the labelled end-to-end checks). Extra arguments go to ctest,
# e.g. `tools/test.sh -L unit` for the unit tests only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
BUILD_DIR=${TINYNAS_BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${TINYNAS_JOBS:-$(nproc)}" "$@"
