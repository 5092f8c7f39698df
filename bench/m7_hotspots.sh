#!/usr/bin/env bash
# Where a model's instructions go on the Cortex-M7, function by function: builds an
# exported project's M7 program (-O2 -g, the runtime it ships or --runtime DIR's), runs one
# image under QEMU one instruction per translation block with an execution log
# (-singlestep -d exec), and attributes every executed instruction of the profiled
# inference (main_m7.c --profile: between the hooks around each op) to its function.
# Prints, per op, its instructions and its three costliest functions, then the totals per
# function over all ops; --annotate FUNC also prints FUNC's instructions with their counts
# (the hot loops). The counts are QEMU's, exact; `tinynas verify --profile` gives the same
# per-op totals (plus the hook's own few instructions).
#   bench/m7_hotspots.sh EXPORT_DIR [--images FILE] [--runtime DIR] [--annotate FUNC]
# EXPORT_DIR: a project written by `tinynas export` (its verify/images.bin is the default
# image file). Needs arm-none-eabi-gcc, qemu-system-arm and python3; the log takes about
# 100 bytes an instruction in a temporary directory (2 GB for the quickstart's model) and a
# minute or two.
set -euo pipefail
usage() {
  echo "usage: bench/m7_hotspots.sh EXPORT_DIR [--images FILE] [--runtime DIR] [--annotate FUNC]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
project=$1
shift
images=$project/verify/images.bin
runtime=
annotate=
while [ $# -gt 0 ]; do
  case $1 in
    --images) images=${2:-}; shift 2 || usage ;;
    --runtime) runtime=${2:-}; shift 2 || usage ;;
    --annotate) annotate=${2:-}; shift 2 || usage ;;
    *) usage ;;
  esac
done
for tool in arm-none-eabi-gcc qemu-system-arm python3; do
  command -v "$tool" > /dev/null ||
    { echo "bench/m7_hotspots.sh: $tool not found" >&2; exit 1; }
done
[ -f "$project/Makefile" ] || { echo "bench/m7_hotspots.sh: no exported project in $project" >&2; exit 1; }
[ -f "$images" ] || { echo "bench/m7_hotspots.sh: no image file $images" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$project" "$work/p"
rm -rf "$work/p/build"
if [ -n "$runtime" ]; then
  [ -f "$runtime/tnn_nn.h" ] || { echo "bench/m7_hotspots.sh: no runtime in $runtime" >&2; exit 1; }
  rm -f "$work/p/src/runtime/"*
  cp "$runtime"/*.c "$runtime"/*.h "$work/p/src/runtime/"
fi
make -C "$work/p" m7 ARM_CFLAGS="-O2 -g" ICOUNT_SHIFT=3 > "$work/make.log" 2>&1 ||
  { cat "$work/make.log" >&2; exit 1; }
elf=$work/p/build/model_m7.elf
# one instruction per translation block: -singlestep until QEMU 8.0, the accelerator's
# one-insn-per-tb from 8.1 on (9.0 dropped -singlestep)
qemu_version=$(qemu-system-arm --version | sed -n 's/.*version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
read -r qmajor qminor <<< "${qemu_version:-0 0}"
if [ "$qmajor" -gt 8 ] || { [ "$qmajor" -eq 8 ] && [ "$qminor" -ge 1 ]; }; then
  one_insn=(-accel tcg,one-insn-per-tb=on)
else
  one_insn=(-singlestep)
fi
rc=0
timeout 1800 qemu-system-arm -M mps2-an500 -nographic -monitor none -serial none -icount shift=3 \
  "${one_insn[@]}" -d exec,nochain -D "$work/exec.log" \
  -semihosting-config "enable=on,target=native,arg=model_m7.elf,arg=--profile,arg=${images//,/,,},arg=1" \
  -kernel "$elf" > "$work/run.txt" || rc=$?
if [ "$rc" -ne 0 ] || ! grep -q '^op ' "$work/run.txt"; then
  cat "$work/run.txt" >&2
  echo "bench/m7_hotspots.sh: no profile (qemu exit status $rc)" >&2
  exit 1
fi
arm-none-eabi-nm -S "$elf" | awk 'NF == 4 && $3 ~ /^[tTwW]$/ {print $1, $2, $4}' > "$work/syms.txt"
if [ -n "$annotate" ]; then
  arm-none-eabi-objdump -d --no-show-raw-insn "--disassemble=$annotate" "$elf" > "$work/annotate.txt"
fi
python3 - "$work" "$annotate" << 'PY'
import bisect, collections, re, sys
work, annotate = sys.argv[1], sys.argv[2]
syms = sorted((int(a, 16), int(s, 16), n) for a, s, n in (l.split() for l in open(f"{work}/syms.txt")))
starts = [s[0] for s in syms]
def name(pc):
    i = bisect.bisect_right(starts, pc) - 1
    return syms[i][2] if i >= 0 and pc < syms[i][0] + syms[i][1] else "?"
hooks = [a for a, _, n in syms if n == "profile_hook"]
if not hooks:
    sys.exit("bench/m7_hotspots.sh: no profile_hook in the program (main_m7.c changed?)")
hook = hooks[0]
ops = [l.split()[2] for l in open(f"{work}/run.txt") if l.startswith("op ")]
# main_m7.c calls the hook before and after each op of the profiled inference, after the
# calls that measure its own overhead: op k's instructions are those after the profiled
# inference's call 2k + 1 (counted from its first call, `first`) and before the next.
segments, calls = collections.defaultdict(collections.Counter), 0
pat = re.compile(r"\[[0-9a-f]+/([0-9a-f]+)/")
for line in open(f"{work}/exec.log"):
    m = pat.search(line)
    if not m:
        continue
    pc = int(m.group(1), 16)
    if pc == hook:
        calls += 1
        continue
    if calls:
        segments[calls][pc] += 1
if calls < 2 * len(ops):
    sys.exit(f"bench/m7_hotspots.sh: {calls} hook calls for {len(ops)} ops")
first = calls - 2 * len(ops) + 1
total, per_fn, pcs = 0, collections.Counter(), collections.Counter()
print(f"{'op':>4} {'kind':<22} {'instructions':>13}  costliest functions")
for k, kind in enumerate(ops):
    seg = segments.get(first + 2 * k, {})
    fn = collections.Counter()
    for pc, c in seg.items():
        fn[name(pc)] += c
        pcs[pc] += c
    n = sum(fn.values())
    total += n
    per_fn.update(fn)
    top = ", ".join(f"{f} {c}" for f, c in fn.most_common(3))
    print(f"{k:>4} {kind:<22} {n:>13}  {top}")
print(f"\nall ops: {total} instructions; by function:")
for f, c in per_fn.most_common(25):
    print(f"{c:>12} {100 * c / total:5.1f}%  {f}")
if annotate:
    print(f"\n{annotate}, instructions executed at each address:")
    for line in open(f"{work}/annotate.txt"):
        m = re.match(r"\s*([0-9a-f]+):\s*(.*)", line)
        if m:
            print(f"{pcs.get(int(m.group(1), 16), 0):>10}  {m.group(1)}: {m.group(2)}")
PY
