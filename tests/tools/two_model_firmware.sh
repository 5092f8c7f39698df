#!/usr/bin/env bash
# two_model_firmware.sh TINYNAS RANDOM_TNNQ SPACES WORKDIR: two models exported with
# different --name as CMake components of one firmware (issue 23).
#  1. two untrained int8 models (tests/tools/random_tnnq.cpp; a pruned TinyFormer and a
#     dense hybrid CNN-ViT) exported as "Alpha net" and "beta"; `tinynas verify --no-qemu`
#     checks each host program against the integer evaluation and leaves the images it
#     used (verify/images.bin) and the host's lines (verify/host.txt);
#  2. one project built on its own with CMake on the host: its classify prints the same
#     lines, and the build type defaults to Release there;
#  3. a firmware project (tests/tools/firmware) with an arm-none-eabi toolchain file that
#     add_subdirectory()s both projects and links both libraries: no host program, no
#     forced build type, one runtime; the ELF runs both models, interleaved, under
#     qemu-system-arm -M mps2-an500, and each model's logits equal its host run's (so the
#     integer evaluation's); each model's data links to its export.json flash;
#  4. a second runtime that differs is refused when configuring;
#  5. the Zephyr glue (zephyr/CMakeLists.txt) of both, with plain-CMake stand-ins of the
#     zephyr_* commands (no Zephyr SDK here), builds the same program for the host, and
#     module.yml / Kconfig name the module and symbol.
# Fails (does not skip) when arm-none-eabi-gcc, qemu-system-arm or cmake is missing.
set -euo pipefail
tinynas=$1 random_tnnq=$2 spaces=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*"; exit 1; }
for tool in arm-none-eabi-gcc qemu-system-arm cmake cc; do
  command -v "$tool" > /dev/null || fail "$tool is not installed (tools/setup.sh installs it)"
done
# make (verify's host builds) and the CMake builds on two cores
export MAKEFLAGS=-j2
rm -rf "$work"
mkdir -p "$work"
cd "$work"

# 1. two models, two names
"$random_tnnq" "$spaces/tinyformer.yaml" 3 60 a.tnnq
"$random_tnnq" "$spaces/hybrid-h.yaml" 4 0 b.tnnq
"$tinynas" export a.tnnq -o alpha --name "Alpha net" > export_a.txt
"$tinynas" export b.tnnq -o beta --name beta > export_b.txt
for f in alpha/src/alpha_net_model.h alpha/src/alpha_net_model.c beta/src/beta_model.h \
         alpha/zephyr/module.yml alpha/zephyr/CMakeLists.txt alpha/zephyr/Kconfig; do
  [ -f "$f" ] || fail "$f missing"
done
for p in alpha beta; do
  "$tinynas" verify "$p" --no-qemu --images 3 --seed 7 > "verify_$p.txt" ||
    { cat "verify_$p.txt"; fail "verify $p"; }
  grep -q '^host: 3 images, logits bit-exact with the integer evaluation' "verify_$p.txt" ||
    fail "$p: host run not bit-exact: $(cat "verify_$p.txt")"
  grep '^image ' "$p/verify/host.txt" > "$p.want"
  [ "$(wc -l < "$p.want")" -eq 3 ] || fail "$p: host.txt has $(wc -l < "$p.want") image lines"
done
cmp -s alpha.want beta.want && fail "the two models print the same logits: not two models"

# 2. one project on its own, host CMake build
cmake -S alpha -B alpha-host > cmake_host.txt 2>&1 || { cat cmake_host.txt; fail "cmake alpha (host)"; }
cmake --build alpha-host -j2 >> cmake_host.txt 2>&1 || { cat cmake_host.txt; fail "build alpha (host)"; }
grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' alpha-host/CMakeCache.txt || fail "top-level build type is not Release"
(cd alpha && ../alpha-host/classify verify/images.bin) | diff - alpha.want > /dev/null ||
  fail "the CMake host build's classify differs from the Makefile's"

# 3. the firmware
fw=$here/firmware
cmake -S "$fw" -B fw-build -DCMAKE_TOOLCHAIN_FILE="$fw/arm-none-eabi.cmake" \
      -DALPHA="$work/alpha" -DBETA="$work/beta" > cmake_fw.txt 2>&1 || { cat cmake_fw.txt; fail "cmake firmware"; }
cmake --build fw-build -j2 >> cmake_fw.txt 2>&1 || { cat cmake_fw.txt; fail "build firmware"; }
grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' fw-build/CMakeCache.txt && fail "a component forced the parent's build type"
grep -q 'classify' fw-build/alpha/Makefile fw-build/beta/Makefile && fail "a cross build has a host program target"
elf=fw-build/firmware.elf
[ "$(arm-none-eabi-nm "$elf" | grep -c ' T tnn_model_init$')" -eq 1 ] || fail "not one runtime in the firmware"
for p in alpha:alpha_net beta:beta; do
  dir=${p%%:*} id=${p#*:}
  hex=$(arm-none-eabi-nm -S "$elf" | awk -v s="${id}_model_data" '$4 == s { print $2 }')
  [ -n "$hex" ] || fail "no symbol ${id}_model_data in the firmware"
  flash=$(sed -n 's/^ *"flash": \([0-9]*\),*$/\1/p' "$dir/export.json")
  [ "$((16#$hex))" = "$flash" ] || fail "${id}_model_data links to $((16#$hex)) B, export.json says $flash B"
done
timeout 60 qemu-system-arm -M mps2-an500 -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native,arg=firmware,arg=alpha/verify/images.bin,arg=beta/verify/images.bin \
  -kernel "$elf" > qemu.txt 2>&1 || { cat qemu.txt; fail "the firmware failed under QEMU"; }
for p in alpha:alpha_net beta:beta; do
  dir=${p%%:*} id=${p#*:}
  sed -n "s/^$id image /image /p" qemu.txt | diff - "$dir.want" ||
    { cat qemu.txt; fail "$id: the firmware's logits differ from the integer evaluation's"; }
done

# 4. a different runtime is refused
cp -r beta beta2
echo '/* changed */' >> beta2/src/runtime/tnn_model.c
if cmake -S "$fw" -B fw-bad -DCMAKE_TOOLCHAIN_FILE="$fw/arm-none-eabi.cmake" \
         -DALPHA="$work/alpha" -DBETA="$work/beta2" > cmake_bad.txt 2>&1; then
  fail "a firmware with two different runtimes configured"
fi
# (CMake wraps the message: its lines joined first)
tr -s ' \n' ' ' < cmake_bad.txt | grep -q 'model beta: its runtime .* differs' || fail "runtime mismatch message: $(cat cmake_bad.txt)"

# 5. the Zephyr module
grep -qx 'name: alpha_net_model' alpha/zephyr/module.yml && grep -qx '  cmake: zephyr' alpha/zephyr/module.yml &&
  grep -qx '  kconfig: zephyr/Kconfig' alpha/zephyr/module.yml || fail "module.yml: $(cat alpha/zephyr/module.yml)"
grep -qx 'config TINYNAS_ALPHA_NET_MODEL' alpha/zephyr/Kconfig && grep -q '^	bool ' alpha/zephyr/Kconfig ||
  fail "Kconfig: $(cat alpha/zephyr/Kconfig)"
cmake -S "$fw/zephyr_shim" -B zephyr-host -DALPHA="$work/alpha" -DBETA="$work/beta" > cmake_zephyr.txt 2>&1 ||
  { cat cmake_zephyr.txt; fail "cmake of the Zephyr glue"; }
cmake --build zephyr-host -j2 >> cmake_zephyr.txt 2>&1 || { cat cmake_zephyr.txt; fail "build of the Zephyr glue"; }
zephyr-host/app alpha/verify/images.bin beta/verify/images.bin > zephyr.txt || fail "the Zephyr-glue program failed"
for p in alpha:alpha_net beta:beta; do
  dir=${p%%:*} id=${p#*:}
  sed -n "s/^$id image /image /p" zephyr.txt | diff - "$dir.want" > /dev/null ||
    fail "$id: the Zephyr-glue build's logits differ"
done
echo "OK: two models (alpha_net, beta) in one Cortex-M7 firmware under QEMU and through the Zephyr glue, logits equal to the integer evaluation's"
