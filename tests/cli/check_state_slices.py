#!/usr/bin/env python3
"""check_state_slices.py - `conviz record` leaves a trace that Perfetto shows completely.

Records a producer/consumer program twice (perf scheduler states when available, and
--sched=none) and checks what Perfetto relies on: the finished file is strict JSON; every thread
has "cvz.state" slices for its READY/BLOCKED time, BLOCKED ones with their reason (and object,
for lock waits); and on each thread's track the X slices (RUNNING runs and state slices) never
overlap, since Perfetto misdraws overlapping slices.  conviz's own reader must still load it.

usage: check_state_slices.py CONVIZ PROGRAM [ARGS...]
"""
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


def record(conviz, prog, out, *opts):
    p = subprocess.run([conviz, "record", "-q", "-o", out, *opts, "--", *prog],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "record %s exits 0 (got %d: %s)" % (opts, p.returncode, p.stderr))
    with open(out) as f:
        try:
            return json.load(f)  # strict JSON: the array is closed again after the slices
        except ValueError as e:
            check(False, "%s is strict JSON after the state slices (%s)" % (out, e))
            return []


def slices_by_thread(events):
    tracks = defaultdict(list)
    for e in events:
        if e.get("ph") == "X":
            tracks[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"], e))
    return tracks


def check_trace(conviz, events, label, want_running_slices):
    states = [e for e in events if e.get("cat") == "cvz.state"]
    check(states, "%s: cvz.state slices were appended" % label)
    names = {e["name"].split()[0] for e in states}
    check("BLOCKED" in names, "%s: BLOCKED slices present (%s)" % (label, names))
    check(("RUNNING" in names) == want_running_slices,
          "%s: RUNNING state slices %s (%s)" % (label, "wanted" if want_running_slices else
                                                "come from perf, not appended", names))
    for e in states:
        if e["name"].startswith("BLOCKED"):
            check("reason" in e.get("args", {}), "%s: BLOCKED slice has a reason: %s" % (label, e))
    blocked_objects = {e["args"].get("object") for e in states if e["name"].startswith("BLOCKED")}
    check({"not_full", "not_empty"} & blocked_objects,
          "%s: condvar waits name their object (%s)" % (label, blocked_objects))
    threads = {(e["pid"], e["tid"]) for e in events if e.get("name") == "thread.start"}
    with_states = {(e["pid"], e["tid"]) for e in states}
    check(threads <= with_states, "%s: every started thread has state slices (missing %s)"
          % (label, threads - with_states))
    for track, spans in slices_by_thread(events).items():
        spans.sort(key=lambda s: (s[0], s[1]))
        for a, b in zip(spans, spans[1:]):
            # 1 ns of slack: ts/dur are printed in microseconds with 3 decimals
            if b[0] < a[1] - 0.001:
                check(False, "%s: slices overlap on %s: %s and %s" % (label, track, a[2], b[2]))
                break


def main():
    conviz, prog = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        for label, opts, running in (("default", (), None), ("sched=none", ("--sched=none",), True)):
            out = os.path.join(tmp, label + ".json")
            events = record(conviz, prog, out, *opts)
            if not events:
                continue
            start = next((e for e in events if e.get("name") == "process.start"), {})
            sched = start.get("args", {}).get("sched")
            want_running = running if running is not None else sched != "perf"
            check_trace(conviz, events, label, want_running)
            p = subprocess.run([conviz, "report", "--json", out], capture_output=True, text=True)
            check(p.returncode == 0, "%s: conviz report still reads the trace" % label)
    if failures:
        sys.exit(1)
    print("ok: state slices")


if __name__ == "__main__":
    main()
