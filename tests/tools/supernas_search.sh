#!/usr/bin/env bash
# supernas_search.sh TINYNAS RECIPE WORKDIR: a short SuperNAS search (2 supernet
# candidates, 1 epoch each) on Fashion-MNIST; checks the files it writes.
set -euo pipefail
tinynas=$1 recipe=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
out=$work/supernas
"$tinynas" supernas search "$recipe" --quiet --out "$out" --set run.dir="$work/runs" \
  --set supernas.supernets=2 --set supernas.epochs=1 --set supernas.paths=2 \
  --set supernas.sparse_configs=2 --set train.bn_recal_batches=4 --set data.workers=1 \
  --set train.warmup_epochs=0 \
  | tee "$work/log.txt"
fail() { echo "FAIL: $*"; exit 1; }
[ "$(wc -l < "$out/candidates.jsonl")" -eq 2 ] || fail "candidates.jsonl should hold 2 lines"
grep -q '"index":0' "$out/candidates.jsonl" || fail "candidate 0 missing"
grep -q '"index":1' "$out/candidates.jsonl" || fail "candidate 1 missing"
grep -q '"supernet": "tf1-n{' "$out/best.json" || fail "best.json names no supernet"
ckpt=$(sed -n 's/.*"checkpoint": "\([^"]*\)".*/\1/p' "$out/best.json")
[ -f "$ckpt" ] || fail "best checkpoint '$ckpt' missing"
grep -Eq '^best supernet: tf1-n\{.*mean one-shot pruned accuracy [0-9.]+%' "$work/log.txt" ||
  fail "no summary line"
ls "$out"/candidates/*/ckpt-*.pt > /dev/null || fail "no candidate checkpoints"
echo "OK: $(grep -c . "$out/candidates.jsonl") candidates, best $(sed -n 's/.*"supernet": "\(.*\)".*/\1/p' "$out/best.json")"
