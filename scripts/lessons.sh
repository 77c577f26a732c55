#!/usr/bin/env bash
# lessons.sh - record every lesson of traces/lessons.txt into traces/<name>.json, check it with
# lesson-check, and draw docs/img/lesson-<name>.png with the viewer (when it is built).
#
#   scripts/lessons.sh [BUILD_DIR]                 everything (also `make traces`)
#   scripts/lessons.sh --only NAME [BUILD_DIR]     one lesson (name or a prefix, e.g. 13-)
#   scripts/lessons.sh --test NAME [BUILD_DIR]     CTest mode: record NAME into BUILD_DIR/lessons,
#                                                  check it; exit 77 when the tracer is not built
#   scripts/lessons.sh --list                      the lessons
# Environment: LESSONS_NO_PNG=1 skips pictures; LESSONS_OUT=DIR records elsewhere than traces/.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
list=$root/traces/lessons.txt
mode=all
only=
case "${1:-}" in
  -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --list) grep -E '^[0-9a-z]' "$list" | cut -d'|' -f1 | tr -d ' '; exit 0 ;;
  --only) mode=all; only=${2:?--only needs a lesson name}; shift 2 ;;
  --test) mode=test; only=${2:?--test needs a lesson name}; shift 2 ;;
esac
build=$(cd "${1:-$root/build}" 2>/dev/null && pwd) || {
  echo "lessons: build directory '${1:-$root/build}' not found; run 'make build' first" >&2
  exit 2
}
bin=$build/bin
lib=$build/lib/libconviz.so
check=$bin/lesson-check
viewer=$bin/conviz-view

if [ ! -f "$lib" ]; then
  echo "lessons: $lib is not built; cannot record (build the tracer first)" >&2
  [ "$mode" = test ] && exit 77 || exit 2
fi
if [ ! -x "$check" ]; then
  echo "lessons: $check is missing; build the target lesson-check" >&2
  exit 2
fi

# Record with `conviz record` when that command works, else with LD_PRELOAD directly.
record_with_cli=0
if [ -x "$bin/conviz" ] && "$bin/conviz" record --help 2>&1 | grep -qi 'usage'; then
  record_with_cli=1
fi
# --only/--test NAME: that lesson exactly when it exists, else every lesson starting with NAME
exact=0
if [ -n "$only" ] && grep -qE "^$only +\|" "$list"; then
  exact=1
fi

if [ "$mode" = test ]; then
  out_dir=$build/lessons
else
  out_dir=${LESSONS_OUT:-$root/traces}
fi
mkdir -p "$out_dir" "$root/docs/img"

# record NAME COMMAND... : the lesson's trace into $out_dir/NAME.json.  Lessons that wait for
# input() (CPython lesson 1) get a line typed well after the interpreter started; the others
# read /dev/null.
record() {
  local name=$1; shift
  local out=$out_dir/$name.json
  rm -f "$out"
  local typing=
  case "$*" in *lesson01_states.py*) typing=1.5 ;; esac
  # 2 MB rings: CPython's pool helper threads hand the GIL over thousands of times a second
  if [ $record_with_cli = 1 ]; then
    set -- "$bin/conviz" record --buffer-size 2M -o "$out" -- "$@"
  else
    set -- env LD_PRELOAD="$lib" CONVIZ_OUT="$out" CONVIZ_BUFFER=2M "$@"
  fi
  if [ -n "$typing" ]; then
    (sleep "$typing"; echo hello) | timeout 60 "$@" >"$out_dir/$name.log" 2>&1
  else
    timeout 60 "$@" </dev/null >"$out_dir/$name.log" 2>&1
  fi
  local rc=$?
  # the deadlock lessons end through their watchdog with status 3: that is the lesson
  if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
    echo "lessons: $name: the program exited with status $rc (log: $out_dir/$name.log)" >&2
  fi
  [ -s "$out" ]
}

failed=0 done_any=0
while IFS='|' read -r name checkname command caption view_options; do
  name=$(echo "$name" | tr -d ' ')
  checkname=$(echo "$checkname" | tr -d ' ')
  case "$name" in ''|\#*) continue ;; esac
  if [ -n "$only" ]; then
    if [ $exact = 1 ]; then
      [ "$name" = "$only" ] || continue
    else
      case "$name" in "$only"*) ;; *) continue ;; esac
    fi
  fi
  done_any=1
  caption=$(echo "$caption" | sed 's/^ *//; s/ *$//')
  command=${command//@BIN@/$bin}
  command=${command//@PYDIR@/$root/scenarios/python}
  command=${command//@PY@//usr/bin/python3}
  # shellcheck disable=SC2206 # the command is a plain word list
  argv=($command)
  echo "== $name: ${argv[*]##*/}"
  limit=$((300 * 1024))
  case "$name" in *-py-*) limit=$((1024 * 1024)) ;; esac
  # A run over the size budget is recorded again (twice at most): CPython's pool helper
  # threads sometimes poll in a tight loop, which is timing, not the lesson.
  for attempt in 1 2 3; do
    if ! record "$name" "${argv[@]}"; then
      size=-1
      break
    fi
    trace=$out_dir/$name.json
    # CPython: drop the uncontended lock events of single-threaded stretches (module imports
    # take and drop the GIL ~800 times); tests/lessons/compact_trace.py says exactly what goes.
    case "$name" in
      *-py-*)
        if [ "$mode" != test ]; then
          /usr/bin/python3 "$root/tests/lessons/compact_trace.py" "$trace" "$trace.tmp" >/dev/null &&
            mv "$trace.tmp" "$trace"
        fi ;;
    esac
    size=$(stat -c %s "$trace")
    [ "$mode" != test ] && [ "$size" -gt "$limit" ] || break
    echo "lessons: $name: trace is $((size / 1024)) KB, over the $((limit / 1024)) KB limit (attempt $attempt)" >&2
  done
  if [ "$size" -lt 0 ]; then
    echo "lessons: $name: no trace was written" >&2
    failed=$((failed + 1))
    continue
  fi
  if [ "$size" -gt "$limit" ]; then
    echo "lessons: $name: trace is $((size / 1024)) KB, over the $((limit / 1024)) KB limit: shorten the run" >&2
    [ "$mode" = test ] || failed=$((failed + 1))
  fi
  if ! "$check" "$checkname" "$trace"; then
    failed=$((failed + 1))
  fi
  if [ "$mode" != test ] && [ -z "${LESSONS_NO_PNG:-}" ] && [ -x "$viewer" ]; then
    # CPython pictures start where the lesson does, after the interpreter's imports
    from=()
    case "$name" in
      *-py-*)
        offset=$("$check" --mark-offset "$trace" "imports done" 2>/dev/null) &&
          from=(--from "$((offset > 5000000 ? offset - 5000000 : 0))") ;;
    esac
    SDL_VIDEODRIVER=offscreen "$viewer" "$trace" --png "$root/docs/img/lesson-$name.png" \
      --size 1280x720 --caption "$caption" "${from[@]}" ${view_options:-} >/dev/null 2>"$out_dir/$name.view.log" ||
      echo "lessons: $name: the viewer could not draw the picture (see $out_dir/$name.view.log)" >&2
  fi
  [ "$mode" = test ] || rm -f "$out_dir/$name.log" "$out_dir/$name.view.log"
done <"$list"

if [ "$mode" != test ] && [ -z "$only" ]; then
  total=$(cat "$out_dir"/*.json 2>/dev/null | wc -c)
  echo "lessons: traces take $((total / 1024)) KB in $out_dir (limit 15 MB)"
  [ "$total" -le $((15 * 1024 * 1024)) ] || { echo "lessons: too big: shorten the runs" >&2; failed=$((failed + 1)); }
fi
if [ $done_any = 0 ]; then
  echo "lessons: no lesson matches '$only' (scripts/lessons.sh --list)" >&2
  exit 2
fi
[ $failed -eq 0 ] || { echo "lessons: $failed lesson(s) failed" >&2; exit 1; }
exit 0
