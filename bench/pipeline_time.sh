#!/usr/bin/env bash
# A recipe's whole pipeline from scratch (`tinynas run` into a new run directory) and each
# stage's wall time, as run prints it, plus the total.
#   bench/pipeline_time.sh [RECIPE] [tinynas run options...]
#   bench/pipeline_time.sh                                 (recipes/quickstart.yaml)
#   bench/pipeline_time.sh recipes/quickstart.yaml --nproc 1
# Needs a built tinynas (build/tools/tinynas, or $TINYNAS). The run is kept in a
# temporary directory whose path it prints (its log: run.log there).
set -euo pipefail
recipe=$(dirname "$0")/../recipes/quickstart.yaml
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then recipe=$1; shift; fi
tinynas=${TINYNAS:-$(dirname "$0")/../build/tools/tinynas}
work=$(mktemp -d -t pipeline_time.XXXXXX)
echo "run: $work ($(nproc) cores)"
start=$(date +%s.%N)
"$tinynas" run "$recipe" --set "run.dir=$work" "$@" > "$work/run.log" 2>&1 ||
  { tail -20 "$work/run.log"; echo "pipeline_time: tinynas run failed (log: $work/run.log)"; exit 1; }
end=$(date +%s.%N)
grep -E '^(data-parallel on|\[[a-z]+\] done in)' "$work/run.log"
awk -v s="$start" -v e="$end" 'BEGIN { printf "total: %.1f s (%.1f min) wall\n", e - s, (e - s) / 60 }'
