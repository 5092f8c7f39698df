#!/usr/bin/env bash
# The main job on its built-in default: Fashion-MNIST with recipes/quickstart.yaml.
# Installs and builds what is missing first. Extra arguments go to the command, e.g.
# `tools/quickstart.sh --set data.workers=4`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh --target tinynas
BUILD_DIR=${TINYNAS_BUILD_DIR:-build}
# The furthest stages that exist so far: load, split and summarise the dataset and run
# the augmented training loader over it; then the recipe's search space under its MCU
# limits (space size, cost distributions, sampled paths).
"$BUILD_DIR/tools/tinynas" data summary recipes/quickstart.yaml "$@"
"$BUILD_DIR/tools/tinynas" space stats recipes/quickstart.yaml "$@"
exec "$BUILD_DIR/tools/tinynas" space sample recipes/quickstart.yaml -n 5 "$@"
