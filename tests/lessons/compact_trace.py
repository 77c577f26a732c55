#!/usr/bin/env python3
"""compact_trace.py - shrink a recorded lesson trace without changing what it teaches.

    compact_trace.py IN.json OUT.json

CPython releases and retakes its GIL around every file read while it imports modules, so a
trace of `python3 -c pass` alone holds ~800 uncontended GIL handoffs (~500 KB).  While a process
has a single live thread, no other thread can wait for, or be woken by, its locks: the
uncontended lock events of those stretches carry no lesson.  This drops exactly those:

  - lock.acquire with res "ok" and wait_ns 0, and the lock.release that matches it,
  - cond.signal / cond.broadcast,
made while their process has exactly one live thread, on objects that are not shared between
processes (object.declare without "shared"); and the same events on CPython's GIL (objects named
GIL, GIL.cond, ...) while no thread of the process waits for the GIL: a handoff nobody waits for
shows nothing (the multiprocessing pool's helper threads hand the GIL back and forth ~1700 times
with nobody waiting).  Everything else is kept byte for byte: metadata,
object declarations, scheduler spans, blocking calls, marks, forks, contended acquisitions.
The committed CPython traces in traces/ went through this (scripts/lessons.sh does it).
"""
import json
import sys

def main(argv):
    if len(argv) != 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) == 2 else 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        print("compact_trace: cannot read %s: %s" % (argv[1], e), file=sys.stderr)
        return 2
    events = []  # (ts, index, line, event)
    for i, line in enumerate(lines):
        text = line.strip().rstrip(",")
        if not text.startswith("{"):
            continue
        try:
            ev = json.loads(text)
        except ValueError:
            continue  # a cut last line: the reader copes with it, and so do we by dropping it
        events.append((float(ev.get("ts", 0)), i, text, ev))
    events.sort(key=lambda e: (e[0], e[1]))

    shared = set()  # (pid, obj) of objects shared between processes
    for _, _, _, ev in events:
        if ev.get("name") == "object.declare" and ev.get("args", {}).get("shared"):
            shared.add((ev["pid"], ev["args"].get("obj")))

    names = {}  # (pid, obj) -> declared name
    for _, _, _, ev in events:
        if ev.get("name") == "object.declare":
            names[(ev["pid"], ev["args"].get("obj"))] = ev["args"].get("name") or ""
    gil_waiters = {}  # pid -> set of tids waiting on a GIL object

    live = {}  # pid -> live threads
    started = set()  # (pid, tid) counted as live
    # A hold runs from an acquisition (lock.acquire, or cond.wake re-taking the mutex) to a
    # release (lock.release, or cond.wait giving the mutex up).  Only a hold that starts with
    # a droppable lock.acquire and ends with a lock.release is dropped, both ends together,
    # so the model never sees half of a hold.
    open_holds = {}  # (pid, tid, obj) -> stack of (event index, droppable)
    dropped_idx = set()
    for idx, (_, _, text, ev) in enumerate(events):
        name, pid, tid = ev.get("name"), ev.get("pid"), ev.get("tid")
        args = ev.get("args", {}) if isinstance(ev.get("args"), dict) else {}
        if name == "process.start":
            live[pid] = 1
            started = {(p, t) for (p, t) in started if p != pid}
            started.add((pid, tid))
        elif name == "thread.start" and (pid, tid) not in started:
            started.add((pid, tid))
            live[pid] = live.get(pid, 1) + 1
        elif name == "thread.create":
            child = args.get("child")
            if (pid, child) not in started:
                started.add((pid, child))
                live[pid] = live.get(pid, 1) + 1
        elif name == "thread.exit" and (pid, tid) in started:
            started.discard((pid, tid))
            live[pid] = max(live.get(pid, 1) - 1, 0)

        obj = args.get("obj")
        is_gil = names.get((pid, obj), "").startswith("GIL")
        if is_gil and name in ("cond.wait", "lock.request"):
            gil_waiters.setdefault(pid, set()).add(tid)
        elif is_gil and name in ("cond.wake", "lock.acquire"):
            gil_waiters.get(pid, set()).discard(tid)
        alone = live.get(pid, 1) <= 1 or (is_gil and not gil_waiters.get(pid))
        private = (pid, obj) not in shared

        if name == "lock.acquire" and args.get("res") == "ok":
            droppable = alone and private and not args.get("wait_ns")
            open_holds.setdefault((pid, tid, obj), []).append((idx, droppable))
        elif name == "cond.wake":
            open_holds.setdefault((pid, tid, args.get("mutex")), []).append((idx, False))
        elif name in ("lock.release", "cond.wait"):
            key = (pid, tid, obj if name == "lock.release" else args.get("mutex"))
            stack = open_holds.get(key)
            if stack:
                acq_idx, droppable = stack.pop()
                if droppable and name == "lock.release":
                    dropped_idx.update((acq_idx, idx))
        elif name in ("cond.signal", "cond.broadcast") and alone and private:
            dropped_idx.add(idx)

    keep = [text for idx, (_, _, text, _) in enumerate(events) if idx not in dropped_idx]
    dropped = len(dropped_idx)

    try:
        with open(argv[2], "w", encoding="utf-8") as out:
            out.write("[\n")
            for text in keep:
                out.write(text + ",\n")
            out.write("]\n")
    except OSError as e:
        print("compact_trace: cannot write %s: %s" % (argv[2], e), file=sys.stderr)
        return 2
    print("compact_trace: %s: kept %d events, dropped %d uncontended lock events"
          % (argv[2], len(keep), dropped))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
