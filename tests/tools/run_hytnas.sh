#!/usr/bin/env bash
# e2e.run_hytnas_mobo: the HyT-NAS space end to end through MOBO (recipes/hytnas-fmnist.yaml
# cut down to about a minute: a few training steps, 12 one-shot evaluations, a tiny
# predictor). Every stage runs, the search is MOBO's, and the exported model verifies; a
# changed predictor key re-runs the search.
#   run_hytnas.sh TINYNAS RECIPE WORK_DIR
set -euo pipefail
tinynas=$1 recipe=$2 work=$3
rm -rf "$work"
sets=(--set "run.dir=$work" --set run.name=h \
  --set data.train_limit=1000 --set data.test_limit=200 --set train.epochs=1 \
  --set train.warmup_epochs=0 --set train.eval_paths=1 --set train.bn_recal_batches=2 \
  --set supernas.analysis_samples=100 --set sparsenas.evaluations=12 \
  --set sparsenas.mobo_init=6 --set sparsenas.mobo_batch=3 --set sparsenas.mobo_population=8 \
  --set sparsenas.mobo_generations=3 --set 'predictor.estimators=[10, 20]' \
  --set 'predictor.depth=[3]' --set sparsenas.population=4 \
  --set sparsenas.fitness_images=100 --set sparsenas.finetune_epochs=1 \
  --set quant.calib_images=64 --set export.verify_images=10)
"$tinynas" run "$recipe" "${sets[@]}" --set predictor.ensemble=2
run=$work/h
fail() { echo "run_hytnas.sh: $*" >&2; exit 1; }
grep -q '"strategy": "mobo"' "$run/sparsenas/search.json" || fail "sparsenas/search.json: not a mobo search"
[ "$(grep -c . "$run/sparsenas/evaluations.jsonl")" -eq 12 ] || fail "sparsenas/evaluations.jsonl: not 12 evaluations"
[ -s "$run/export/h/model.tnnq" ] || fail "no exported model"
grep -q '"ok": true' "$run/export/h/verify/report.json" || fail "export/h/verify/report.json: not ok"
# MOBO's search depends on the predictor's keys, but not on its prediction threads
"$tinynas" run "$recipe" "${sets[@]}" --set predictor.ensemble=2 --set predictor.threads=1 > "$work/threads.txt"
grep -q '^\[sparsenas\] up to date' "$work/threads.txt" || { cat "$work/threads.txt"; fail "predictor.threads re-ran the search"; }
"$tinynas" run "$recipe" "${sets[@]}" --set predictor.ensemble=3 > "$work/ensemble.txt"
grep -q '^\[train\] up to date' "$work/ensemble.txt" && grep -q '^\[sparsenas\] done' "$work/ensemble.txt" ||
  { cat "$work/ensemble.txt"; fail "predictor.ensemble did not re-run the search (or re-ran training)"; }
echo "run_hytnas.sh: ok"
