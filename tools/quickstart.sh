#!/usr/bin/env bash
# The main job on its built-in default: the whole pipeline of recipes/quickstart.yaml on
# Fashion-MNIST (`tinynas run`): SuperNAS analysis, supernet training, SparseNAS stage 1
# and 2, INT8 PTQ, export as a C project, verification (host; Cortex-M7 under QEMU) and
# the report, into runs/quickstart/. Installs and builds what is missing first. Finished
# stages are skipped on a second run. Extra arguments go to `tinynas run`, e.g.
# `tools/quickstart.sh --set data.workers=4` or `tools/quickstart.sh --from export`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh --target tinynas
BUILD_DIR=${TINYNAS_BUILD_DIR:-build}
exec "$BUILD_DIR/tools/tinynas" run recipes/quickstart.yaml "$@"
