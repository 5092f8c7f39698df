#!/usr/bin/env bash
# expect.sh STATUS PATTERN... -- COMMAND...
# Runs COMMAND; passes when its exit status is STATUS ("nonzero" for any failure) and its
# combined output has a line matching each extended regex PATTERN. Prints the output on
# failure.
set -u
want=$1
shift
patterns=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do patterns+=("$1"); shift; done
shift
out=$("$@" 2>&1)
got=$?
ok=1
if [ "$want" = nonzero ]; then [ "$got" -ne 0 ] || ok=0; else [ "$got" -eq "$want" ] || ok=0; fi
missing=""
for p in "${patterns[@]}"; do
  printf '%s\n' "$out" | grep -Eq -- "$p" || { ok=0; missing="$missing /$p/"; }
done
if [ $ok -eq 0 ]; then
  printf 'command: %s\nexit status %s (wanted %s); unmatched patterns:%s\n--- output ---\n%s\n' \
    "$*" "$got" "$want" "${missing:- none}" "$out"
  exit 1
fi
