#!/usr/bin/env bash
# Instructions per inference of a whole exported model on the Cortex-M7 build under QEMU
# (-icount: the FPGA counter of mps2-an500 read around tnn_model_invoke, see the exported
# main_m7.c), with the weights stored dense, run-length coded, by the self-adaptive rule
# (auto: the smaller per layer) and by speed (fast: the faster per layer on the latency
# model, no flash budget here), next to the flash each takes.
#   bench/m7_icount.sh MODEL.tnnq [IMAGES]      (default 3 random images)
# Needs a built tinynas (build/tools/tinynas, or $TINYNAS), arm-none-eabi-gcc and
# qemu-system-arm.
set -euo pipefail
model=${1:?usage: bench/m7_icount.sh MODEL.tnnq [IMAGES]}
images=${2:-3}
tinynas=${TINYNAS:-$(dirname "$0")/../build/tools/tinynas}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf "%-8s %14s %12s %12s\n" storage instructions model_data flash
for storage in dense sparse auto fast; do
  "$tinynas" export "$model" -o "$work/$storage" --storage "$storage" > /dev/null
  out=$("$tinynas" verify "$work/$storage" --images "$images" --require-qemu 2> /dev/null)
  icount=$(echo "$out" | sed -n 's/.*, \([0-9]*\) instructions per inference.*/\1/p')
  data=$(echo "$out" | sed -n 's/.*= model data \([0-9]*\) B.*/\1/p')
  flash=$(echo "$out" | sed -n 's/^flash \([0-9]*\) B.*/\1/p')
  echo "$out" | grep -q '^verified' || { echo "$out"; echo "verification failed ($storage)"; exit 1; }
  printf "%-8s %14s %12s %12s\n" "$storage" "$icount" "$data" "$flash"
done
