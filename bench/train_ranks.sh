#!/usr/bin/env bash
# Training throughput of a recipe's supernet with 1..N processes (one thread each, and one
# process on every core), data loading included: `tinynas train` for a fixed number of
# steps, the images/s of its summary (training images over the steps' time).
#   bench/train_ranks.sh [RECIPE] [STEPS] [MAX_PROCESSES]   (quickstart, 200, the cores)
# LOAD=1 runs it beside competing load: a `nice -n 19` busy loop on every core.
# Needs a built tinynas (build/tools/tinynas, or $TINYNAS).
set -euo pipefail
recipe=${1:-$(dirname "$0")/../recipes/quickstart.yaml}
steps=${2:-200}
cores=$(nproc)
max=${3:-$cores}
tinynas=${TINYNAS:-$(dirname "$0")/../build/tools/tinynas}
work=$(mktemp -d)
busy=()
trap 'rm -rf "$work"; [ ${#busy[@]} -eq 0 ] || kill "${busy[@]}" 2> /dev/null' EXIT
if [ "${LOAD:-0}" = 1 ]; then
  for _ in $(seq 1 "$cores"); do nice -n 19 sh -c 'while :; do :; done' & busy+=($!); done
  echo "competing load: ${#busy[@]} busy loops at nice 19"
fi
measure() {  # NAME PROCESSES THREADS
  "$tinynas" train "$recipe" --nproc "$2" --set "run.dir=$work" --set "run.name=$1" \
    --set "train.max_steps=$steps" --set "train.threads=$3" --quiet > "$work/$1.txt" 2>&1 ||
    { cat "$work/$1.txt" >&2; exit 1; }
  sed -n 's/.*trained \([0-9]*\) steps.* at \([0-9]*\) images\/s.*/\2/p' "$work/$1.txt"
}
batch=$("$tinynas" config show "$recipe" | sed -n '/^train:/,/^[a-z]/s/^  batch_size: *\([0-9]*\).*/\1/p')
printf "%-28s %10s\n" "processes x threads" "images/s"
r=$(measure one-all 1 "$cores")  # an assignment: a failed measurement stops the script
printf "%-28s %10s\n" "1 x $cores" "$r"
for n in $(seq 1 "$max"); do
  if [ $((batch % n)) -ne 0 ]; then
    printf "%-28s %10s\n" "$n x 1" "-"  # the global batch must split evenly
    continue
  fi
  r=$(measure "p$n" "$n" 1)
  printf "%-28s %10s\n" "$n x 1" "$r"
done
