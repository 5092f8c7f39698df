#!/usr/bin/env bash
# Renders a run report in headless Chromium and saves it as a PNG, to look at the page as a
# reader sees it (plots clipped? legends over lines? the pick highlighted?).
#   tools/report_screenshot.sh RUN_DIR OUT.png [WIDTHxHEIGHT]
# RUN_DIR is a run directory (its report/report.html) or a report directory itself. The
# window defaults to 1280x4000; the PNG is the window, so a taller page is cut at the
# bottom: pass a larger height. Chromium comes from tools/setup.sh (Debian package
# `chromium`).
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 RUN_DIR OUT.png [WIDTHxHEIGHT]" >&2
  exit 2
fi
run_dir=$1 out=$2 size=${3:-1280x4000}
if ! command -v chromium >/dev/null 2>&1; then
  echo "$0: chromium is not installed (apt-get install chromium, or tools/setup.sh)" >&2
  exit 1
fi
if [ -f "$run_dir/report/report.html" ]; then
  page=$run_dir/report/report.html
elif [ -f "$run_dir/report.html" ]; then
  page=$run_dir/report.html
else
  echo "$0: no report in $run_dir (neither report/report.html nor report.html): run 'tinynas report RECIPE'" >&2
  exit 1
fi
page=$(realpath "$page")
out=$(realpath -m "$out")
rm -f "$out"
# --no-sandbox: Chromium refuses to run as root with its sandbox (containers, CI).
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
  --screenshot="$out" --window-size="${size/x/,}" "file://$page" >/dev/null 2>&1 || true
if [ ! -s "$out" ]; then
  echo "$0: chromium wrote no screenshot of $page (run the command above without >/dev/null to see why)" >&2
  exit 1
fi
echo "wrote $out ($size) from $page"
