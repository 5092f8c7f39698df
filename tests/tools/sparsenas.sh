#!/usr/bin/env bash
# sparsenas.sh TINYNAS RECIPE WORKDIR: SparseNAS on 1200 Fashion-MNIST images: a supernet
# trained 3 short epochs, stage 1 with 2 candidates (2 epochs each, AGP), stage 2 (3
# epochs); checks the files both stages write, that the winner is pruned as asked and that
# the pruned model learnt something (well above the 10% of chance). Then INT8 PTQ of the
# result (int8 accuracy by the runtime's kernels close to float), its export (which refuses
# randomly flipped bytes of the model file), and a 2-point sparsity sweep run as 2
# parallel processes, resumed once it has finished, and a random one.
set -euo pipefail
tinynas=$1 recipe=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
sets=(--set run.dir="$work/runs" --set run.name=e2e --set data.train_limit=1200
      --set data.test_limit=100 --set data.workers=1 --set train.batch_size=32
      --set train.epochs=3 --set train.lr=0.003 --set train.warmup_epochs=0
      --set train.eval_paths=0 --set train.bn_recal_batches=8
      --set sparsenas.candidates=2 --set sparsenas.epochs=2 --set sparsenas.finetune_epochs=3
      --set sparsenas.agp_frequency=4)
out=$work/runs/e2e/sparsenas
fail() { echo "FAIL: $*"; exit 1; }
"$tinynas" train "$recipe" --quiet "${sets[@]}" > "$work/train.txt"
"$tinynas" sparsenas search "$recipe" --quiet "${sets[@]}" | tee "$work/search.txt"
[ "$(wc -l < "$out/candidates.jsonl")" -eq 2 ] || fail "candidates.jsonl should hold 2 lines"
grep -Eq '^best: tf1-n:.* \(pruned accuracy [0-9.]+%, dense [0-9.]+%, sparsity [0-9.]+%\)' \
  "$work/search.txt" || fail "no summary line"
for f in best.json search.json best/subnet.json best/model.pt best/masks.pt; do
  [ -f "$out/$f" ] || fail "$f missing"
done
"$tinynas" sparsenas finetune "$recipe" --quiet "${sets[@]}" | tee "$work/finetune.txt"
for f in final/subnet.json final/model.pt final/masks.pt; do
  [ -f "$out/$f" ] || fail "$f missing"
done
ls "$out"/finetune/ckpt-*.pt > /dev/null || fail "no fine-tuning checkpoints"
zero=$(sed -n 's/.*"zero_blocks": \([0-9]*\).*/\1/p' "$out/final/subnet.json")
target=$(sed -n 's/.*"target_blocks": \([0-9]*\).*/\1/p' "$out/final/subnet.json")
[ -n "$zero" ] && [ "$zero" = "$target" ] || fail "final/ has $zero zero blocks, the config asks $target"
grep -q '"stage": "finetune"' "$out/final/subnet.json" || fail "final/subnet.json is not stage 2's"
acc=$(sed -n 's/.*"pruned_accuracy": \([0-9.]*\).*/\1/p' "$out/final/subnet.json")
awk -v a="$acc" 'BEGIN { exit !(a > 0.3) }' || fail "final pruned accuracy $acc is not above 0.3"
echo "OK: $(grep -c . "$out/candidates.jsonl") candidates; final $(sed -n 's/.*"arch": "\(.*\)".*/\1/p' "$out/final/subnet.json") with $zero pruned blocks, pruned accuracy $acc"

"$tinynas" sparsenas quantize "$recipe" "${sets[@]}" | tee "$work/quantize.txt"
q=$work/runs/e2e/quant
[ -f "$q/model.tnnq" ] && [ -f "$q/quant.json" ] || fail "quant/ outputs missing"
grep -Eq '^test split, 100 images: float \(pruned\) [0-9.]+%, int8 [0-9.]+%, PTQ drop -?[0-9.]+ points' \
  "$work/quantize.txt" || fail "no quantize summary"
drop=$(sed -n 's/.*"ptq_drop": \(-*[0-9.e-]*\).*/\1/p' "$q/quant.json")
awk -v d="$drop" 'BEGIN { exit !(d <= 0.05 && d >= -0.05) }' || fail "PTQ drop $drop over 5 points on 100 images"
grep -q '^lowest SQNR over 64 images: ' "$work/quantize.txt" || fail "no per-tensor error summary"
grep -q '"equalized_channels": [1-9]' "$q/quant.json" || fail "no channel equalized"
[ "$(grep -c '"sqnr_db"' "$q/quant.json")" -gt 20 ] || fail "quant.json lacks the per-tensor errors"

# Export the int8 model as a C project and verify it on real test images: host bit-exact,
# the Cortex-M7 build under QEMU, linked sizes equal to the cost model.
"$tinynas" export "$recipe" "${sets[@]}" | tee "$work/export.txt"
ex=$work/runs/e2e/export/e2e
for f in src/e2e_model.h src/e2e_model.c src/app/app_model.h Makefile CMakeLists.txt src/app/main_host.c \
         src/app/main_m7.c src/runtime/tnn_model.c zephyr/module.yml export.json; do
  [ -f "$ex/$f" ] || fail "export $f missing"
done
# Over a limit, export names the figure and writes nothing (an existing project stays); --ignore-limits exports with a warning.
if "$tinynas" export "$q/model.tnnq" -o "$work/small" --sram-kb 1 > /dev/null 2> "$work/over.txt"; then
  fail "an export over --sram-kb 1 passed"
fi
grep -q 'arena (peak SRAM) [0-9]* B exceeds run.sram_kb (1024 B).*nothing written' "$work/over.txt" ||
  fail "over-limit message: $(cat "$work/over.txt")"
[ ! -e "$work/small" ] || fail "a refused export left $work/small"
"$tinynas" export "$q/model.tnnq" -o "$work/small" --sram-kb 1 --ignore-limits > "$work/ignored.txt"
grep -q 'WARNING: arena (peak SRAM) .* exceeds run.sram_kb' "$work/ignored.txt" && [ -f "$work/small/src/model_model.c" ] &&
  grep -q '"fits": false' "$work/small/export.json" || fail "--ignore-limits: $(cat "$work/ignored.txt")"
if "$tinynas" export "$q/model.tnnq" -o "$work/small" --sram-kb 1 > /dev/null 2>&1 ||
   [ ! -f "$work/small/src/model_model.c" ]; then fail "a refused export replaced an existing project"; fi
# Random byte flips of the int8 model (tools/fuzz_tnnq.sh): export refuses every one.
TINYNAS=$tinynas bash "$(dirname "$0")/../../tools/fuzz_tnnq.sh" "$q/model.tnnq" 20 7 > "$work/fuzz.txt" ||
  fail "byte flips of model.tnnq: $(tail -n 3 "$work/fuzz.txt")"
"$tinynas" verify "$recipe" "${sets[@]}" --images 20 --qemu-images 5 | tee "$work/verify.txt"
grep -q '^host: 20 images, logits bit-exact with the integer evaluation' "$work/verify.txt" || fail "host run not bit-exact"
if command -v qemu-system-arm > /dev/null && command -v arm-none-eabi-gcc > /dev/null; then
  grep -q '^cortex-m7 (qemu mps2-an500): 5 images, identical to the host run' "$work/verify.txt" || fail "M7 run differs"
fi
grep -q '^verified' "$work/verify.txt" || fail "verification failed"

sw=$work/runs/e2e/sweep
"$tinynas" sweep "$recipe" "${sets[@]}" --set sparsenas.candidates=1 --set sparsenas.epochs=1 \
  --set sparsenas.finetune_epochs=1 --grid 'sparsenas.sparsity=[0.5,0.9]' --jobs 2 | tee "$work/sweep.txt"
[ "$(grep -c ',done,' "$sw/sweep.csv")" -eq 2 ] || fail "sweep.csv should hold 2 finished points"
grep -q '^p001,done,sparsity=0.9,' "$sw/sweep.csv" || fail "point p001 missing"
for f in pareto_flash.svg pareto_sram.svg sweep.json p000/quant/model.tnnq p001/log.txt; do
  [ -f "$sw/$f" ] || fail "sweep $f missing"
done
grep -q '"sparse": "tf1-n:D90/' "$sw/p001/quant/quant.json" || fail "p001 is not pruned at 90%"
if "$tinynas" sweep "$recipe" "${sets[@]}" --grid 'sparsenas.sparsity=[0.5,0.9]' > /dev/null 2>&1; then
  fail "a second sweep into the same directory was not refused"
fi
"$tinynas" sweep "$recipe" "${sets[@]}" --set sparsenas.candidates=1 --set sparsenas.epochs=1 \
  --set sparsenas.finetune_epochs=1 --grid 'sparsenas.sparsity=[0.5,0.9]' --resume > "$work/resume.txt"
[ "$(grep -c 'done earlier' "$work/resume.txt")" -eq 2 ] || fail "--resume reran finished points"
# A random sparse config fixes the point's sparse config (sparsenas.sparse).
"$tinynas" sweep "$recipe" "${sets[@]}" --set sparsenas.candidates=1 --set sparsenas.epochs=1 \
  --set sparsenas.finetune_epochs=1 --random 1 --out "$work/random" > "$work/random.txt"
row=$(grep '^p000,done,' "$work/random/sweep.csv") || fail "random sweep point missing"
setting=$(echo "$row" | cut -d, -f3) sparse=$(echo "$row" | cut -d, -f5)
[ -n "$setting" ] && [ "$setting" = "$sparse" ] || fail "random point ran $sparse, drew $setting"
echo "OK: int8 PTQ drop $drop; sweep of 2 points; random sweep point $sparse"
