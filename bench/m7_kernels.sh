#!/usr/bin/env bash
# Instructions per MAC of the runtime's kernels on a Cortex-M7 (default) or Cortex-M4,
# counted under QEMU (-icount shift=3, the MPS2 FPGAIO counter read around each kernel
# call; bench/m7_kernels.c says how): for each layer of issue 20's table the reference,
# the fast dense kernel and the sparse kernel at 50 / 75 / 90 % block sparsity (blocks of
# 4 and 2; depthwise: 3), with the sparse speed-up over the fast dense kernel; softmax
# attention and the residual add, reference and fast. Each kernel timed is checked bit for
# bit against the reference; a difference fails the run (exit status 1).
#   bench/m7_kernels.sh [--cpu m7|m4] [--runtime DIR]
# --cpu m7: -mcpu=cortex-m7 on QEMU's mps2-an500; m4: -mcpu=cortex-m4 on mps2-an386 (both
# with the DSP extension, soft-float, -O2, the exported projects' startup and linker
# script). --runtime: the runtime sources to time (default src/runtime), e.g. an older
# checkout's, to compare. Needs arm-none-eabi-gcc (with newlib) and qemu-system-arm
# (tools/setup.sh installs them). Takes under a minute.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cpu=m7
runtime=$root/src/runtime
usage() { echo "usage: bench/m7_kernels.sh [--cpu m7|m4] [--runtime DIR]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --cpu) cpu=${2:-}; shift 2 || usage ;;
    --runtime) runtime=${2:-}; shift 2 || usage ;;
    *) usage ;;
  esac
done
case $cpu in
  m7) board=mps2-an500; script=mps2.ld ;;
  m4) board=mps2-an386; script=mps2.ld ;;
  *) usage ;;
esac
for tool in arm-none-eabi-gcc qemu-system-arm; do
  command -v "$tool" > /dev/null ||
    { echo "bench/m7_kernels.sh: $tool not found (tools/setup.sh installs it)" >&2; exit 1; }
done
[ -f "$runtime/tnn_nn.h" ] || { echo "bench/m7_kernels.sh: no runtime in $runtime" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
templates=$root/src/export/templates
support=$root/tests/runtime/target
arm-none-eabi-gcc -mcpu=cortex-$cpu -mthumb -O2 -std=c99 -Wall -Wextra -Werror \
  --specs=nano.specs --specs=rdimon.specs -nostartfiles -ffunction-sections -fdata-sections \
  -Wl,--gc-sections -T "$templates/$script" -I"$runtime" -I"$support" \
  "$templates/startup_m7.c" "$root/bench/m7_kernels.c" "$support/target_support.c" \
  "$runtime"/*.c -o "$work/m7_kernels.elf"
timeout 600 qemu-system-arm -M "$board" -nographic -monitor none -serial none \
  -icount shift=3 -semihosting-config enable=on,target=native,arg=m7_kernels,arg="${cpu^^}" \
  -kernel "$work/m7_kernels.elf"
