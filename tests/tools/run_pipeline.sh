#!/usr/bin/env bash
# `tinynas run` end to end on a cut-down recipe, data-parallel on 2 processes under
# `tinynas launch`: every stage's outputs (supernet, SparseNAS, int8 model, C project,
# verification, report). Then re-runs: one that skips every stage, an old pipeline.json
# whose stages resume, a comment in the space file (nothing re-runs), a changed analysis key
# (only the analysis and report), a changed verification key (only verify and report),
# a changed int8 model (quantize onwards), --from, --from finetune on 2 processes, a longer
# fine-tuning that keeps stage 1, an interrupted stage re-run on other inputs, and a
# renamed space in a failed re-run that leaves nothing stale.
set -euo pipefail
tinynas=$1 recipe=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
# a copy of the recipes, so that the space file can be edited
cp -r "$(dirname "$recipe")" "$work/recipes" && recipe=$work/recipes/$(basename "$recipe")
fail() { echo "FAIL: $*" >&2; exit 1; }
sets=(--set run.dir="$work/runs" --set run.name=e2e --set data.train_limit=1200
      --set data.test_limit=100 --set data.workers=1 --set train.batch_size=32
      --set train.epochs=2 --set train.lr=0.003 --set train.warmup_epochs=0
      --set train.eval_paths=0 --set train.bn_recal_batches=8
      --set supernas.analysis_samples=200
      --set sparsenas.candidates=1 --set sparsenas.epochs=1 --set sparsenas.finetune_epochs=1
      --set sparsenas.agp_frequency=4 --set export.verify_images=10)
run=$work/runs/e2e

"$tinynas" launch --nproc 2 -- "$tinynas" run "$recipe" "${sets[@]}" | tee "$work/run1.txt"
grep -q '2 process(es) \[gloo\]' "$work/run1.txt" || fail "training did not run on 2 processes"
for f in pipeline.json supernas/analysis.json supernet/recipe.resolved.yaml sparsenas/best.json \
         sparsenas/final/subnet.json quant/model.tnnq quant/quant.json export/e2e/src/e2e_model.c \
         export/e2e/export.json export/e2e/verify/report.json report/report.md report/report.html \
         report/memory_plan.svg report/train_loss.svg report/latency.svg; do
  [ -f "$run/$f" ] || fail "$f missing"
done
grep -q '"ok": true' "$run/export/e2e/verify/report.json" || fail "verification failed"
# the verify stage profiles the Cortex-M7 run per op; the report charts it
grep -q '"profile"' "$run/export/e2e/verify/report.json" || fail "verify recorded no per-op profile"
for s in "Stages" "Supernet training" "SparseNAS candidates" "Accuracy" "Exported model" "Latency per layer"; do
  grep -q "^## $s" "$run/report/report.md" || fail "report section '$s' missing"
done
grep -q "<svg" "$run/report/report.html" || fail "report.html has no inlined plots"

"$tinynas" run "$recipe" "${sets[@]}" > "$work/run2.txt"
[ "$(grep -c 'up to date, skipped' "$work/run2.txt")" -eq 8 ] || { cat "$work/run2.txt"; fail "a re-run did not skip all 8 stages"; }

# pipeline.json of an older tinynas: every stage resumes (stage 1's candidate is kept), and
# the next run skips them all
echo '{"stages": {"train": {"fingerprint": "0123456789abcdef", "seconds": 1}}}' > "$run/pipeline.json"
"$tinynas" run "$recipe" "${sets[@]}" > "$work/run2l.txt"
grep -q 'written by an older tinynas' "$work/run2l.txt" && grep -q 'candidate 1/1: finished in an earlier run, skipped' "$work/run2l.txt" ||
  { cat "$work/run2l.txt"; fail "an old pipeline.json was not resumed"; }
"$tinynas" run "$recipe" "${sets[@]}" > "$work/run2m.txt"
[ "$(grep -c 'up to date, skipped' "$work/run2m.txt")" -eq 8 ] || { cat "$work/run2m.txt"; fail "resumed stages were not recorded"; }

# a comment in the space file changes no stage (a changed space: the failed re-run below)
space=$work/recipes/$("$tinynas" config show "$recipe" | sed -n 's/^  file: *\([^ #]*\).*/\1/p')
[ -f "$space" ] || fail "no space file found for $recipe"
echo "# only a comment" >> "$space"
"$tinynas" run "$recipe" "${sets[@]}" > "$work/run2a.txt"
[ "$(grep -c 'up to date, skipped' "$work/run2a.txt")" -eq 8 ] || { cat "$work/run2a.txt"; fail "a comment re-ran stages"; }

# train.channels_last false hashes as its default auto (false when the key was a bool, so
# runs of then stay finished): nothing re-runs
"$tinynas" run "$recipe" "${sets[@]}" --set train.channels_last=false > "$work/run2c.txt"
[ "$(grep -c 'up to date, skipped' "$work/run2c.txt")" -eq 8 ] || { cat "$work/run2c.txt"; fail "train.channels_last=false re-ran stages"; }

# the predictor's keys belong to a MOBO search only: this run's random search stays done
"$tinynas" run "$recipe" "${sets[@]}" --set predictor.ensemble=3 --set predictor.bootstrap=true > "$work/run2p.txt"
[ "$(grep -c 'up to date, skipped' "$work/run2p.txt")" -eq 8 ] || { cat "$work/run2p.txt"; fail "a predictor key re-ran stages"; }

# a key only the analysis reads re-runs the analysis and the report, not the supernet
"$tinynas" run "$recipe" "${sets[@]}" --set supernas.analysis_samples=150 > "$work/run2b.txt"
grep -q '^\[analyze\] done' "$work/run2b.txt" && grep -q '^\[report\] done' "$work/run2b.txt" &&
  [ "$(grep -c 'up to date, skipped' "$work/run2b.txt")" -eq 6 ] ||
  { cat "$work/run2b.txt"; fail "supernas.analysis_samples re-ran more than analyze and report"; }

# a key only verification reads re-runs verify (and the report), nothing before it
"$tinynas" run "$recipe" "${sets[@]}" --set export.verify_images=12 > "$work/run3.txt"
grep -q '^\[export\] up to date' "$work/run3.txt" || fail "export.verify_images re-ran export"
grep -q '^\[verify\] done' "$work/run3.txt" || fail "export.verify_images did not re-run verify"
grep -q '"images": 12' "$run/export/e2e/verify/report.json" || fail "verify not redone on 12 images"

# an int8 model changed after quantize wrote it is not taken for the one the export was
# made from: quantize (and what follows) is redone
printf 'x' >> "$run/quant/model.tnnq"
"$tinynas" run "$recipe" "${sets[@]}" --set export.verify_images=12 > "$work/run3q.txt"
grep -q '^\[quantize\] quant/model.tnnq changed since this stage wrote it: redone' "$work/run3q.txt" &&
  grep -q '^\[export\] done' "$work/run3q.txt" || { cat "$work/run3q.txt"; fail "a changed model.tnnq left export up to date"; }

"$tinynas" run "$recipe" "${sets[@]}" --set export.verify_images=12 --from export > "$work/run4.txt"
grep -q '^\[quantize\] up to date' "$work/run4.txt" && grep -q '^\[export\] done' "$work/run4.txt" || fail "--from export"
"$tinynas" launch --nproc 2 -- "$tinynas" run "$recipe" "${sets[@]}" --set export.verify_images=12 \
  --from finetune > "$work/run5.txt"
grep -q '^\[sparsenas\] up to date' "$work/run5.txt" && grep -q '^\[finetune\] done' "$work/run5.txt" &&
  grep -q '^\[report\] done' "$work/run5.txt" || { cat "$work/run5.txt"; fail "--from finetune under launch"; }
# a longer fine-tuning keeps stage 1's candidates
"$tinynas" run "$recipe" "${sets[@]}" --set export.verify_images=12 --set sparsenas.finetune_epochs=2 > "$work/run5b.txt"
grep -q '^\[sparsenas\] up to date' "$work/run5b.txt" && grep -q '^\[finetune\] done' "$work/run5b.txt" ||
  { cat "$work/run5b.txt"; fail "sparsenas.finetune_epochs re-ran stage 1 or not stage 2"; }
# A stage interrupted on other inputs starts over (it would not resume with 3 epochs' schedule).
"$tinynas" run "$recipe" "${sets[@]}" --set export.verify_images=12 --set sparsenas.finetune_epochs=3 \
  > "$work/run5c.txt" 2>&1 &
pid=$!
unfinished() { grep -A2 "\"$1\"" "$run/pipeline.json" 2> /dev/null | grep -q '"finished": false'; }
for _ in $(seq 600); do  # until fine-tuning has started and written its first checkpoint
  unfinished finetune && ls "$run"/sparsenas/finetune/ckpt-*.json > /dev/null 2>&1 && break
  kill -0 "$pid" 2> /dev/null || break
  sleep 0.2
done
kill "$pid" 2> /dev/null || fail "fine-tuning finished before it could be interrupted"
wait "$pid" || true
unfinished finetune || fail "the interrupted stage is not recorded as started"
"$tinynas" run "$recipe" "${sets[@]}" --set export.verify_images=12 --set sparsenas.finetune_epochs=2 > "$work/run5d.txt" 2>&1 ||
  { cat "$work/run5d.txt"; fail "a stage interrupted on other inputs did not start over"; }
grep -q '^\[finetune\] done' "$work/run5d.txt" || fail "finetune not redone"

if "$tinynas" run "$recipe" "${sets[@]}" --from nosuch > /dev/null 2> "$work/err.txt"; then fail "--from nosuch accepted"; fi
grep -q "unknown stage 'nosuch'" "$work/err.txt" || fail "--from nosuch message"
# A stage that starts over loses its outputs and its record before anything runs: a re-run
# that fails (no path fits 1k parameters) leaves nothing a later run could take for done.
# The space is renamed first: everything re-runs from the analysis.
sed -i 's/^name: \(.*\)$/name: \1 (renamed)/' "$space"
if "$tinynas" run "$recipe" "${sets[@]}" --set run.params_k=1 > "$work/run6.txt" 2>&1; then
  fail "no candidate fits 1k parameters, yet the run passed"
fi
grep -q '^\[analyze\] done' "$work/run6.txt" && grep -q '^\[train\] done' "$work/run6.txt" ||
  { cat "$work/run6.txt"; fail "an edited space did not re-run the analysis and training"; }
[ ! -e "$run/export/e2e" ] && [ ! -e "$run/quant" ] && [ ! -e "$run/report" ] || fail "stale outputs after a failed re-run"
if grep -Eq '"(finetune|quantize|export|verify|report)"' "$run/pipeline.json" || ! unfinished sparsenas; then
  fail "stale records in pipeline.json: $(cat "$run/pipeline.json")"
fi
grep -q '"train"' "$run/pipeline.json" || fail "train's record was dropped"
echo "OK: pipeline end to end on 2 processes, skips, partial re-run, --from, failed re-run"
