#!/bin/sh
# xz_bench.sh - a real program under the tracer: `xz -T2` on a generated 100 MB file, plain vs
# `conviz record`, best of 2 runs each, side by side.  Goal: <= 5 % added wall time.
# usage: bench/tracer/xz_bench.sh [BUILD_DIR]   (default: build)
set -eu
build=${1:-build}
conviz=$build/bin/conviz
[ -x "$conviz" ] || { echo "xz_bench.sh: no $conviz; build first (make build)" >&2; exit 1; }
command -v xz >/dev/null || { echo "xz_bench.sh: xz is not installed" >&2; exit 1; }
dir=$(mktemp -d /tmp/cvz-xzbench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
# 100 MB that compresses like real data: text lines with some randomness
python3 - "$dir/in" <<'PY'
import random, sys
r = random.Random(1)
words = [("w%d" % i) * (1 + i % 3) for i in range(5000)]
with open(sys.argv[1], "w") as f:
    size = 0
    while size < 100 * 1024 * 1024:
        line = " ".join(r.choice(words) for _ in range(12)) + " %d\n" % r.getrandbits(40)
        f.write(line)
        size += len(line)
PY
# Runs alternate (plain, traced, plain, traced) so that a change in the machine's load does
# not favour one side; the best of each side is kept.
run_s() {
    t0=$(date +%s.%N)
    "$@" > /dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
plain=""
traced=""
for i in 1 2; do
    plain=$(min "$plain" "$(run_s xz -T2 -3 -c "$dir/in")")
    traced=$(min "$traced" "$(run_s "$conviz" record -q -o "$dir/t.json" -- xz -T2 -3 -c "$dir/in")")
done
lines=$(grep -c . "$dir/t.json" || true)
printf '%-28s %10s %10s %8s\n' "xz -T2 -3, 100 MB" plain conviz added
printf '%-28s %9.2fs %9.2fs %+7.1f%%\n' "wall time (best of 2)" "$plain" "$traced" \
    "$(echo "($traced - $plain) * 100 / $plain" | bc -l)"
echo "trace: $lines lines"
