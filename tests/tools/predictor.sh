#!/usr/bin/env bash
# tinynas predictor fit|eval on a real one-shot log (tests/tools/data/predictor-log: the
# first 60 evaluations of a random search on the quickstart supernet): files written,
# figures printed, the saved model reloads, and a recipe of another supernet is refused.
set -euo pipefail
tinynas=$1
here=$(cd "$(dirname "$0")" && pwd)
recipe=$here/../../recipes/quickstart.yaml
log=$here/data/predictor-log
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
small=(--set predictor.ensemble=2 --set 'predictor.estimators=[20, 40]' --set export.storage=auto)

out=$("$tinynas" predictor fit "$recipe" --data "$log" --train 40 --holdout 20 --out "$work/p" "${small[@]}")
echo "$out"
grep -Eq "^fitted 2 members on 40 evaluations x [0-9]+ features of tf1-n\{c1=24" <<<"$out"
grep -Eq "^held out 20 \(evaluations 40\.\.59\): Kendall tau -?[0-9.]+, MAE [0-9.]+ points" <<<"$out"
test -f "$work/p/predictor.json" && test -f "$work/p/member-0.ubj" && test -f "$work/p/member-1.ubj"

out=$("$tinynas" predictor eval "$recipe" --model "$work/p" --data "$log" --skip 40 "${small[@]}")
echo "$out"
grep -Eq "^20 evaluations \(40\.\.59 of .*\): Kendall tau" <<<"$out"

out=$("$tinynas" predictor eval "$recipe" --model "$work/p" --bench 200 "${small[@]}")
echo "$out"
grep -Eq "^predicted 200 candidates in [0-9.]+ s" <<<"$out"

# Too few evaluations, and a recipe whose space encodes candidates otherwise.
if out=$("$tinynas" predictor fit "$recipe" --data "$log" --train 60 --holdout 10 --out "$work/q" 2>&1); then
  echo "fit with too few evaluations succeeded"; exit 1
fi
grep -q "needs 70 evaluations" <<<"$out"
if out=$("$tinynas" predictor eval "$recipe" --model "$work/p" --data "$log" --set export.storage=auto \
         --set 'sparsenas.block=[2]' 2>&1); then
  echo "eval under another encoding succeeded"; exit 1
fi
grep -q "predictor.json: was fitted on another feature encoding" <<<"$out"
echo "predictor fit/eval: ok"
