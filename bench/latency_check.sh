#!/usr/bin/env bash
# The latency model's figure: predicted against measured instructions of N fresh untrained
# (path, sparse config) pairs of a recipe's space (default: the quickstart's, 50 pairs,
# Cortex-M7), each exported and run under QEMU -icount. Prints the mean absolute percentage
# error, Kendall's tau and the prediction time; writes the per-pair CSV when asked.
#   bench/latency_check.sh [RECIPE] [MODELS] [m7|m4] [CSV]
# Needs a built tinynas (build/tools/tinynas, or $TINYNAS), arm-none-eabi-gcc and qemu.
set -euo pipefail
cd "$(dirname "$0")/.."
tinynas=${TINYNAS:-build/tools/tinynas}
recipe=${1:-recipes/quickstart.yaml}
models=${2:-50}
target=${3:-m7}
args=(latency check "$recipe" --models "$models" --target "$target")
[ $# -ge 4 ] && args+=(--csv "$4")
"$tinynas" "${args[@]}" | tail -1
