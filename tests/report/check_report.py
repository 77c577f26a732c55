#!/usr/bin/env python3
"""check_report.py - end-to-end checks of the `conviz` hub and `conviz report` on the
hand-made traces in data/ (see data/make_traces.py), whose answers are known.

usage: check_report.py CONVIZ DATA_DIR REPORT_JSON_DOC

Checks: --help / help CMD / CMD --help exit 0, an unknown command exits 2 naming it; report
numbers (acquisitions, contention, wait/hold sums, owner changes), deadlocks (actual with its
cycle, potential only, 3-lock cycle, none), range clipping, a truncated trace still reported
with its diagnostic, a missing file exits 1, text fits 80 columns, and every key --json prints
is documented in docs/report-json.md.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

CONVIZ, DATA, DOC = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []
seen_keys = set()


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


def run(*args):
    p = subprocess.run([CONVIZ, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def collect_keys(node):
    if isinstance(node, dict):
        for k, v in node.items():
            seen_keys.add(k)
            collect_keys(v)
    elif isinstance(node, list):
        for v in node:
            collect_keys(v)


def report_json(trace, *opts):
    rc, out, err = run("report", "--json", *opts, os.path.join(DATA, trace) if "/" not in trace else trace)
    check(rc == 0, "report --json %s %s exits 0 (got %d: %s)" % (trace, opts, rc, err.strip()))
    try:
        doc = json.loads(out)
    except ValueError as e:
        check(False, "report --json %s is JSON (%s)" % (trace, e))
        return {}
    collect_keys(doc)
    return doc


def report_text(trace, *opts):
    rc, out, err = run("report", *opts, os.path.join(DATA, trace) if "/" not in trace else trace)
    check(rc == 0, "report %s exits 0 (got %d: %s)" % (trace, rc, err.strip()))
    for line in out.splitlines():
        check(len(line) <= 80, "report %s: line fits 80 columns: %r" % (trace, line))
    return out


def obj(doc, name):
    for o in doc.get("objects", []):
        if o["name"] == name:
            return o
    check(False, "object %s in the report" % name)
    return {}


# ---- the hub -------------------------------------------------------------------------------
rc, out, _ = run("--help")
check(rc == 0, "conviz --help exits 0")
for cmd in ("record", "finish", "report", "view", "import", "lessons"):
    check(re.search(r"^\s+%s\s" % cmd, out, re.M) is not None, "--help lists %s" % cmd)
    rc, _, err = run("help", cmd)
    check(rc == 0, "conviz help %s exits 0 (%s)" % (cmd, err.strip()))
    rc, _, err = run(cmd, "--help")
    check(rc == 0, "conviz %s --help exits 0 (%s)" % (cmd, err.strip()))
for line in out.splitlines():
    check(len(line) <= 80, "--help fits 80 columns: %r" % line)
rc, _, err = run("frobnicate")
check(rc == 2 and "frobnicate" in err and "--help" in err, "unknown command exits 2 and names it")
rc, _, err = run("--bogus")
check(rc == 2, "unknown option exits 2")
rc, out, _ = run("--version")
check(rc == 0 and out.startswith("conviz "), "--version")

# ---- report: usage errors and missing files -----------------------------------------------
rc, _, err = run("report")
check(rc == 2 and "TRACE" in err, "report without a trace exits 2")
rc, _, err = run("report", "--sort", "bogus", os.path.join(DATA, "abba.json"))
check(rc == 2 and "bogus" in err, "report --sort bogus exits 2")
rc, _, err = run("report", "--from", "soon", os.path.join(DATA, "abba.json"))
check(rc == 2 and "soon" in err, "report --from soon exits 2")
rc, _, err = run("report", "--from", "10s", os.path.join(DATA, "abba.json"))
check(rc == 2 and "after the end" in err, "report --from past the end exits 2")
rc, _, err = run("report", "/nonexistent/trace.json")
check(rc == 1 and "/nonexistent/trace.json" in err, "missing trace exits 1 naming the file")
rc, _, err = run("report", "--object", "no_such_lock", os.path.join(DATA, "abba.json"))
check(rc == 1 and "no_such_lock" in err and "lock_a" in err, "unknown --object exits 1")

# ---- counter: N x M acquisitions, two contended ----------------------------------------------
d = report_json("counter.json")
o = obj(d, "counter_lock")
check(o.get("acquisitions") == 12, "counter_lock: 12 acquisitions (%s)" % o.get("acquisitions"))
check(o.get("attempts") == 12, "counter_lock: 12 attempts")
check(o.get("contended") == 2, "counter_lock: 2 contended (%s)" % o.get("contended"))
check(o.get("wait_total_ns") == 12000, "counter_lock: waited 5+7 us (%s)" % o.get("wait_total_ns"))
check(o.get("wait_max_ns") == 7000, "counter_lock: max wait 7 us")
check(o.get("hold_total_ns") == 120000, "counter_lock: held 12 x 10 us (%s)" % o.get("hold_total_ns"))
check(o.get("holds") == 12, "counter_lock: 12 holds")
check(o.get("threads") == 3, "counter_lock: 3 threads")
check(o.get("owner_changes") == 11, "counter_lock: 11 owner changes (%s)" % o.get("owner_changes"))
tw = o.get("top_waiters", [])
check(len(tw) == 2 and tw[0].get("name") == "worker-3" and tw[0].get("wait_ns") == 7000,
      "counter_lock: worker-3 waited most (%s)" % tw)
check(d.get("deadlocks") == [] and d.get("potential_deadlocks") == [], "counter: no deadlock")
check(d.get("summary", {}).get("processes") == 1, "counter: 1 process")
procs = d.get("processes", [])
check(len(procs) == 1 and procs[0]["pid"] == 4200 and procs[0]["exit_status"] == 0,
      "counter: the process, exited with 0 (%s)" % procs)
check(d.get("trace", {}).get("truncated") is False, "counter: not truncated")
text = report_text("counter.json")
check("counter_lock" in text and "Deadlocks" in text, "counter: text report names the lock")
report_text("counter.json", "--sort", "name", "--top", "1")

# Options may follow the trace, as with other GNU tools: the same answer either way.
rc, after, err = run("report", "--json", os.path.join(DATA, "counter.json"), "--top", "1")
check(rc == 0, "report TRACE --top 1 (options after the trace) exits 0 (got %d: %s)" % (rc, err.strip()))
before = run("report", "--json", "--top", "1", os.path.join(DATA, "counter.json"))[1]
check(after == before, "options after the trace mean what they mean before it")

# Range: the second round (acquisitions at 230..260 us from the start) only.
d = report_json("counter.json", "--from", "200us", "--to", "300us")
o = obj(d, "counter_lock")
check(o.get("acquisitions") == 3, "range: 3 acquisitions in [200us, 300us) (%s)" % o.get("acquisitions"))
check(o.get("contended") == 2, "range: both contended ones are inside")
check(d.get("summary", {}).get("wall_ns") == 100000, "range: wall 100 us")
d = report_json("counter.json", "--from", "240us", "--to", "300us")
o = obj(d, "counter_lock")
check(o.get("wait_total_ns") == 7000, "range: the wait from 233 us to 240 us is clipped out (%s)"
      % o.get("wait_total_ns"))
d = report_json("counter.json", "--tid", "4202")
check([t["tid"] for t in d.get("threads", [])] == [4202], "--tid keeps one thread")
check(obj(d, "counter_lock").get("acquisitions") == 4, "--tid: that thread's 4 acquisitions")

# ---- deadlocks -------------------------------------------------------------------------------
d = report_json("abba.json")
check(d.get("deadlocks") == [], "abba: no actual deadlock")
pd = d.get("potential_deadlocks", [])
check(len(pd) == 1, "abba: one potential deadlock (%d)" % len(pd))
if pd:
    orders = pd[0]["orders"]
    check([(x["held"], x["then"]) for x in orders] == [("lock_a", "lock_b"), ("lock_b", "lock_a")],
          "abba: orders a->b then b->a (%s)" % orders)
    check(orders[0]["name"] == "worker-1" and orders[0]["first_ns"] == 110000,
          "abba: a->b first seen in worker-1 at 110 us (%s)" % orders[0])
    check(pd[0]["deadlocked"] is False, "abba: never deadlocked")
text = report_text("abba.json")
check("lock_a then lock_b" in text, "abba: text names the order")

d = report_json("deadlock.json")
dl = d.get("deadlocks", [])
check(len(dl) == 1, "deadlock: one actual deadlock (%d)" % len(dl))
if dl:
    cyc = dl[0]["cycle"]
    check(sorted((c["name"], c["waits_for"]) for c in cyc)
          == [("worker-1", "lock_b"), ("worker-2", "lock_a")], "deadlock: the cycle (%s)" % cyc)
    check(dl[0]["formed_ns"] == 120000, "deadlock: formed at 120 us (%s)" % dl[0]["formed_ns"])
    check(dl[0]["resolved_ns"] is None, "deadlock: still there at the end")
pd = d.get("potential_deadlocks", [])
check(len(pd) == 1 and pd[0]["deadlocked"] is True, "deadlock: also a potential one, marked")
text = report_text("deadlock.json")
check("DEADLOCK" in text and "waits for lock_b, held by worker-2" in text, "deadlock: text cycle")

d = report_json("clean.json")
check(d.get("deadlocks") == [] and d.get("potential_deadlocks") == [], "clean: nothing found")
text = report_text("clean.json")
check("none: every thread took the locks in a consistent order" in text, "clean: text says none")

d = report_json("philosophers.json")
pd = d.get("potential_deadlocks", [])
check(len(pd) == 1 and len(pd[0]["orders"]) == 3, "philosophers: one 3-lock cycle (%s)" % pd)
check(d.get("deadlocks") == [], "philosophers: no actual deadlock")

# ---- filters and sorting -------------------------------------------------------------------
d = report_json("abba.json", "--object", "lock_b")
check([o["name"] for o in d.get("objects", [])] == ["lock_b"], "--object keeps that object only")
check(sorted(t["name"] for t in d.get("threads", [])) == ["worker-1", "worker-2"],
      "--object keeps the threads that used it")
d = report_json("abba.json", "--sort", "name")
check([o["name"] for o in d.get("objects", [])] == ["lock_a", "lock_b"], "--sort name")
d = report_json("abba.json", "--sort", "hold")
holds = [o["hold_total_ns"] for o in d.get("objects", [])]
check(holds == sorted(holds, reverse=True) and holds[0] == 40000, "--sort hold (%s)" % holds)
d = report_json("counter.json", "--top", "1")
check(all(len(o["top_waiters"]) <= 1 for o in d.get("objects", [])), "--top 1 limits waiters")

# ---- scheduler states and parallelism -------------------------------------------------------
d = report_json("sched.json")
s = d.get("summary", {})
check(s.get("parallelism_max") == 2, "sched: 2 threads at once (%s)" % s.get("parallelism_max"))
par = s.get("parallelism_ns", [])
check(len(par) == 3 and par[2] == 50000, "sched: 50 us with 2 running (%s)" % par)
check(s.get("sched_source") == "perf", "sched: source perf")
w2 = [t for t in d.get("threads", []) if t["tid"] == 4202]
check(len(w2) == 1 and w2[0]["running_ns"] == 150000 and w2[0]["migrations"] == 1,
      "sched: worker-2 ran 150 us with one migration (%s)" % w2)
report_text("sched.json")

# ---- a truncated trace still reports, with its diagnostic first -----------------------------
with open(os.path.join(DATA, "counter.json"), "rb") as f:
    data = f.read()
cut = data.index(b"lock.release", len(data) // 2) + 5  # inside a line
with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
    f.write(data[:cut])
    truncated = f.name
try:
    rc, out, err = run("report", truncated)
    check(rc == 0, "truncated: report exits 0 (%d: %s)" % (rc, err.strip()))
    check("Load problems" in out and out.index("Load problems") < out.index("Summary"),
          "truncated: load problems printed first")
    d = report_json(truncated)
    check(d.get("trace", {}).get("truncated") is True, "truncated: flagged in JSON")
    check(obj(d, "counter_lock").get("acquisitions", 0) >= 4, "truncated: what loaded is reported")
finally:
    os.unlink(truncated)

# ---- every JSON key is documented ------------------------------------------------------------
with open(DOC) as f:
    doc_text = f.read()
documented = set(re.findall(r"`([a-z_][a-z0-9_]*)`", doc_text))
missing = sorted(seen_keys - documented)
check(not missing, "keys printed by --json but not documented in %s: %s" % (DOC, missing))

if failures:
    print("check_report: %d check(s) failed" % len(failures), file=sys.stderr)
    sys.exit(1)
print("check_report: all checks passed (%d JSON keys, all documented)" % len(seen_keys))
