#!/usr/bin/env bash
# Re-measures the shipped latency tables (src/cost/latency/<target>.json) on this checkout's
# runtime, then rebuilds tinynas so the new tables are compiled in. Run it after changing
# src/runtime/: the cost test `latency_table_is_current` fails until then.
#   tools/measure_latency.sh [m7|m4 ...]      (default: m7 m4; about 2 min for both on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
tinynas=${TINYNAS:-build/tools/tinynas}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(m7 m4)
recipes=(recipes/quickstart.yaml recipes/tinyformer-cifar10-120k.yaml recipes/hybrid-h-cifar10.yaml
         recipes/hybrid-hl-cifar10.yaml recipes/hybrid-hwp-cifar10.yaml)
for t in "${targets[@]}"; do
  "$tinynas" latency measure "${recipes[@]}" --target "$t" --models "${MODELS:-12}" -o "src/cost/latency/$t.json"
done
bash tools/build.sh
