#!/usr/bin/env bash
# The unit tests of some layers built with AddressSanitizer and UndefinedBehaviorSanitizer
# (CMake option TINYNAS_SANITIZE) in their own tree, build-sanitize/, whose CTest holds
# only those suites, and run there; any report (overflow, out-of-bounds, use-after-free,
# ...) fails its test.
#   tools/sanitize_tests.sh [LAYER...]     default: core space cost (the size arithmetic)
# e.g. tools/sanitize_tests.sh data compress. Needs what tools/setup.sh installs; the first
# build of a layer takes minutes (LibTorch headers).
set -euo pipefail
cd "$(dirname "$0")/.."
layers=("$@")
[ ${#layers[@]} -gt 0 ] || layers=(core space cost)
dir=${TINYNAS_SANITIZE_DIR:-build-sanitize}
suites=$(IFS=';'; echo "${layers[*]}")
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTINYNAS_SANITIZE=ON \
  -DTINYNAS_SANITIZE_SUITES="$suites" -DTINYNAS_BUILD_BENCH=OFF > /dev/null
targets=()
for l in "${layers[@]}"; do
  targets+=("tinynas_${l}_tests")
done
cmake --build "$dir" -j "${TINYNAS_JOBS:-$(nproc)}" --target "${targets[@]}"
# LibTorch and its allocator are not instrumented: its one-time allocations are reported
# as leaks at exit, which are not ours; every other check stays on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The tree defines only these suites (tests/CMakeLists.txt), so plain ctest runs them.
# Left out: a thousand LibTorch forward/backward passes (LibTorch's kernels, not our
# arithmetic; hours through ASan's allocator). The same paths' graphs are built and costed
# by the tests that stay.
ctest --test-dir "$dir" -E "${TINYNAS_SANITIZE_SKIP:-ThousandSampledPathsRunForwardBackward}" \
  --output-on-failure -j "${TINYNAS_JOBS:-$(nproc)}"
