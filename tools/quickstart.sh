#!/usr/bin/env bash
# The main job on its built-in default: Fashion-MNIST with recipes/quickstart.yaml.
# Installs and builds what is missing first. Extra arguments go to the command, e.g.
# `tools/quickstart.sh --set data.workers=4`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh --target tinynas
BUILD_DIR=${TINYNAS_BUILD_DIR:-build}
# The furthest stages that exist so far: the dataset summary, the SuperNAS analysis of the
# recipe's search space under its MCU limits (runs/quickstart/supernas/: analysis.json and
# SVG histograms), then SPOS training of the supernet into runs/quickstart/supernet/
# (about 8 minutes on 2 cores; --resume picks up an interrupted or finished run instead of
# refusing to overwrite it).
"$BUILD_DIR/tools/tinynas" data summary recipes/quickstart.yaml --epochs 0 "$@"
"$BUILD_DIR/tools/tinynas" supernas analyze recipes/quickstart.yaml --quiet "$@"
exec "$BUILD_DIR/tools/tinynas" train recipes/quickstart.yaml --resume "$@"
