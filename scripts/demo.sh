#!/usr/bin/env bash
# demo.sh - the README's first command: record one lesson (producer/consumer), print its report,
# and show it: in a window when there is a display, else as out/demo.png.
set -eu
build=${1:-build}
bin=$build/bin
mkdir -p out
caption="Producer/consumer with a bounded queue: producers wait on not_full, consumers on not_empty"
for tool in conviz conviz-view scenario-prodcons; do
  [ -x "$bin/$tool" ] || { echo "demo: $bin/$tool is missing; run 'make build' first" >&2; exit 1; }
done
"$bin/conviz" record -o out/demo.json -- "$bin/scenario-prodcons"
"$bin/conviz" report --top 5 out/demo.json
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "demo: opening the viewer (press ? for keys, q to quit)"
  # a display that cannot be opened (a stale DISPLAY over ssh): fall back to the picture
  "$bin/conviz" view --caption "$caption" out/demo.json && exit 0
  echo "demo: the viewer could not open a window; writing a picture instead" >&2
fi
"$bin/conviz" view --png out/demo.png --size 1600x900 --caption "$caption" out/demo.json
echo "demo: no display; the picture is out/demo.png (on a desktop: conviz view out/demo.json)"
