#!/usr/bin/env bash
# Flips random bytes of an int8 model file (.tnnq) and runs `tinynas export` on each copy:
# one byte per trial, at a random position, XORed with a random non-zero pattern (seeded,
# so a run repeats). A flip that exports with exit status 0 went unnoticed; so does one
# whose error does not name the file, and one that crashes. Prints the counts and exits 1
# when any of them is not 0.
#   tools/fuzz_tnnq.sh MODEL.tnnq [FLIPS] [SEED]      (default 200 flips, seed 1)
# Needs a built tinynas (build/tools/tinynas, or $TINYNAS). The unit test
# QuantModelFile.NoRandomByteFlipIsAccepted does the same in-process, on a small model.
set -euo pipefail
model=${1:?usage: tools/fuzz_tnnq.sh MODEL.tnnq [FLIPS] [SEED]}
flips=${2:-200}
seed=${3:-1}
tinynas=${TINYNAS:-$(dirname "$0")/../build/tools/tinynas}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$tinynas" export "$model" -o "$work/unchanged" > /dev/null ||
  { echo "$model does not export as it is: nothing to fuzz"; exit 2; }
size=$(stat -c %s "$model")
RANDOM=$seed
accepted=0 unnamed=0 crashed=0
for ((t = 0; t < flips; t++)); do
  at=$(( (RANDOM * 32768 + RANDOM) % size ))
  pattern=$(( RANDOM % 255 + 1 ))
  old=$(od -An -tu1 -j "$at" -N1 "$model" | tr -d ' ')
  cp "$model" "$work/flipped.tnnq"
  printf "\\$(printf '%03o' $(( old ^ pattern )))" |
    dd of="$work/flipped.tnnq" bs=1 seek="$at" conv=notrunc status=none
  status=0
  "$tinynas" export "$work/flipped.tnnq" -o "$work/out" > /dev/null 2> "$work/error.txt" || status=$?
  if [ "$status" -eq 0 ]; then
    accepted=$((accepted + 1))
    echo "accepted: byte $at xor $pattern"
    rm -rf "$work/out"
  elif [ "$status" -ne 1 ]; then
    crashed=$((crashed + 1))
    echo "exit status $status: byte $at xor $pattern: $(head -c 300 "$work/error.txt")"
  elif ! grep -q "flipped.tnnq" "$work/error.txt"; then
    unnamed=$((unnamed + 1))
    echo "error without the file name: byte $at xor $pattern: $(head -c 300 "$work/error.txt")"
  fi
done
echo "$flips byte flips in $model ($size bytes, seed $seed): $accepted exported, $crashed crashed," \
     "$unnamed errors without the file name"
[ "$accepted" -eq 0 ] && [ "$crashed" -eq 0 ] && [ "$unnamed" -eq 0 ]
