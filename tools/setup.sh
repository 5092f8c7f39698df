#!/usr/bin/env bash
# Installs every system dependency tinynas needs, from Debian packages only.
# Idempotent: packages already present are not reinstalled, and `apt-get update`
# runs at most once per invocation (and only when something is missing).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev libgloo-dev   # LibTorch 1.13 (CPU); c10d's Gloo headers come separately
  libopenblas0-openmp        # optimised BLAS for LibTorch (the default reference BLAS is ~3x slower)
  libyaml-cpp-dev
  libopencv-dev
  libgtest-dev libgmock-dev
  libbenchmark-dev
  libpagmo-dev   # NSGA-II: non-dominated sorting, crowding, hypervolume (nas/pareto.cpp)
  libxgboost-dev   # accuracy predictor and MOBO surrogate (nas/xgboost_model.cpp)
  zlib1g-dev
  dataset-fashion-mnist   # real data under /usr/share/datasets/fashion-mnist
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm   # MCU target
  clang libclang-rt-14-dev   # libFuzzer for the runtime's fuzz tests
  chromium fonts-liberation   # headless screenshots of the run report (tools/report_screenshot.sh); its fonts are only a recommendation
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
