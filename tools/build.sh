#!/usr/bin/env bash
# Installs what is missing (tools/setup.sh), then configures and builds into build/.
# Extra arguments go to `cmake --build` (e.g. --target tinynas).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
BUILD_DIR=${TINYNAS_BUILD_DIR:-build}
JOBS=${TINYNAS_JOBS:-$(nproc)}
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$BUILD_DIR" -j "$JOBS" "$@"
