#!/usr/bin/env python3
"""lttng_test.py - end-to-end tests of conviz's LTTng output and `conviz import`.

Modes (first argument):
  roundtrip  start a private lttng-sessiond, record tests/lttng/lttng_scenario with
             CONVIZ_LTTNG=1 (JSON and LTTng), check the CTF events with babeltrace2 (counts,
             fields), import the CTF trace with `conviz import`, and check that the imported
             trace agrees with the JSON trace of the same run (same threads, same lock
             acquisitions per thread and object, same condvar/thread/process events).
  provider   the provider alone (lttng_emit drives libconviz-lttng.so like the core does),
             with a fork: the child must re-register and log under its own pid.
  only       `conviz record --lttng=only`: no JSON from the tracer, everything in the CTF trace,
             which imports into a complete trace (process starts with command lines included).
  stress     10 waves of 8 threads and 4 forks (lttng_stress) under LTTng output: must finish
             (no deadlock between liblttng-ust and the wrappers), every process in the CTF.
  nodaemon   no session daemon: CONVIZ_LTTNG=1 must say so and still write the JSON trace.
  sched      import a hand-made CTF trace with kernel sched_switch (make_ctf.py): RUNNING
             slices as expected; a kernel-only trace and a non-trace are refused clearly.

Isolation: as root the test re-runs itself in a private mount namespace (unshare -m) with its
own /run and /dev/shm, where the root session daemon keeps its sockets; as a normal user a
private HOME is enough.  The daemon gets PDEATHSIG and is killed at the end, even on failure.
Exit 77 (CTest SKIP_RETURN_CODE) when lttng-tools or babeltrace2 are not installed.
"""
import argparse
import collections
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def skip(why):
    print("SKIP: " + why, flush=True)
    sys.exit(SKIP)


# ---- isolation and the session daemon --------------------------------------------------------

def isolate():
    """As root: re-exec inside a private mount namespace with private /run and /dev/shm."""
    if os.geteuid() != 0 or os.environ.get("CVZ_LTTNG_TEST_NS") == "1":
        if os.environ.get("CVZ_LTTNG_TEST_NS") == "1":
            for target in ("/run", "/dev/shm"):
                subprocess.run(["mount", "-t", "tmpfs", "cvz-lttng-test", target], check=True)
        return
    if subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                      stderr=subprocess.DEVNULL).returncode != 0:
        skip("running as root without permission to unshare a mount namespace: a private "
             "session daemon would collide with the machine's")
    env = dict(os.environ, CVZ_LTTNG_TEST_NS="1")
    rc = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable]
                        + sys.argv, env=env).returncode
    sys.exit(rc)


def die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class SessionDaemon:
    def __init__(self, home, env):
        self.env = env
        log = open(os.path.join(home, "sessiond.log"), "w")
        self.proc = subprocess.Popen(["lttng-sessiond", "--no-kernel"], env=env, stdout=log,
                                     stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("lttng-sessiond exited at once, see " + log.name)
            if self.lttng("list", quiet=True).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("lttng-sessiond did not answer within 15 s")

    def lttng(self, *args, quiet=False):
        r = subprocess.run(["lttng"] + list(args), env=self.env, capture_output=True, text=True)
        if r.returncode != 0 and not quiet:
            print("lttng %s: %s%s" % (" ".join(args), r.stdout, r.stderr), flush=True)
        return r

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---- reading traces --------------------------------------------------------------------------

def load_json(path):
    """A conviz JSON trace, one event per line (trailing commas, optional ']')."""
    events = []
    with open(path) as f:
        for line in f:
            line = line.strip().rstrip(",")
            if line in ("", "[", "]"):
                continue
            events.append(json.loads(line))
    return events


BT_LINE = re.compile(r"^\[[^\]]*\] \([^)]*\) \S+ (\S+): \{[^}]*\}, \{ (.*) \}$")
BT_FIELD = re.compile(r'(\w+) = ("(?:[^"\\]|\\.)*"|[^,]+)')


def load_babeltrace(trace_dir):
    """babeltrace2's text output -> [(event name, {field: value})]."""
    out = subprocess.run(["babeltrace2", trace_dir], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("babeltrace2 failed: " + out.stderr)
    events = []
    for line in out.stdout.splitlines():
        m = BT_LINE.match(line)
        if not m:
            continue
        fields = {}
        for key, value in BT_FIELD.findall(m.group(2)):
            value = value.strip()
            if value.startswith('"'):
                fields[key] = value[1:-1]
            else:
                try:
                    fields[key] = int(value, 0)
                except ValueError:
                    fields[key] = value
        events.append((m.group(1).rstrip(":"), fields))
    return events


def ust_threads(events):
    """(pid, tid) of liblttng-ust's own threads: they name themselves '<proc>-ust'."""
    return {(e["pid"], e["tid"]) for e in events
            if e.get("name") == "thread_name" and e["args"].get("name", "").endswith("-ust")}


def summary(events, skip_threads=frozenset()):
    """What the two traces of one run must agree on.  Only what happens up to each process's
    process.exit ("last event of a process image"): after it, only destructors run
    (liblttng-ust's own teardown among them), which LTTng output no longer sees."""
    exit_ts = {e["pid"]: float(e["ts"]) for e in events if e.get("name") == "process.exit"}
    keep = [e for e in events if e.get("cat") == "cvz" or e.get("ph") == "M"]
    keep = [e for e in keep if float(e["ts"]) <= exit_ts.get(e["pid"], float("inf"))]
    keep = [e for e in keep if (e["pid"], e["tid"]) not in skip_threads]
    threads = {(e["pid"], e["tid"]) for e in keep}
    acquires = collections.Counter((e["pid"], e["tid"], e["args"]["obj"]) for e in keep
                                   if e["name"] == "lock.acquire"
                                   and e["args"].get("res") == "ok")
    kinds = ("thread.create", "thread.start", "thread.exit", "process.start", "process.fork",
             "cond.wait", "cond.wake", "cond.signal", "lock.request")
    counts = collections.Counter(e["name"] for e in keep if e["name"] in kinds)
    return threads, acquires, counts


# ---- the modes -------------------------------------------------------------------------------

def conviz_env(base, preload, out_json):
    env = dict(base, LD_PRELOAD=preload, CONVIZ_LTTNG="1", CONVIZ_OUT=out_json)
    return env


def record_session(work, env, run_env, command):
    """Run `command` under a session enabling conviz:*; returns (CompletedProcess, trace dir).
    The channel's buffers (8 x 1 MiB per CPU) are large enough that nothing is discarded."""
    sessiond = SessionDaemon(env["HOME"], env)
    try:
        trace = os.path.join(work, "ctf")
        for args in (("create", "conviz-test", "--output=" + trace),
                     ("enable-channel", "-u", "--subbuf-size=1M", "--num-subbuf=8", "cvz"),
                     ("enable-event", "-u", "-c", "cvz", "conviz:*"), ("start",)):
            if sessiond.lttng(*args).returncode != 0:
                raise RuntimeError("lttng " + " ".join(args) + " failed")
        run = subprocess.run(command, env=run_env, capture_output=True, text=True,
                             timeout=60)
        sessiond.lttng("stop")
        sessiond.lttng("destroy")
        return run, trace
    finally:
        sessiond.stop()


def mode_roundtrip(opts, work, env):
    n = 200
    run_json = os.path.join(work, "run.json")
    record_help = subprocess.run([opts.conviz, "record", "--help"], capture_output=True,
                                 text=True)
    if "--lttng" in record_help.stdout + record_help.stderr:
        # the user's way: conviz record --lttng (sets LD_PRELOAD and CONVIZ_LTTNG=1)
        run, trace = record_session(work, env, env, [opts.conviz, "record", "--lttng", "-o",
                                                     run_json, "--", opts.scenario, str(n),
                                                     "fork"])
    else:
        print("(conviz record has no --lttng yet: LD_PRELOAD + CONVIZ_LTTNG=1 directly)")
        run, trace = record_session(work, env, conviz_env(env, opts.preload, run_json),
                                    [opts.scenario, str(n), "fork"])
    print(run.stdout + run.stderr, end="")
    check(run.returncode == 0, "the scenario ran under conviz + LTTng (exit %d)" % run.returncode)

    ctf = load_babeltrace(trace)
    names = collections.Counter(name for name, _ in ctf)
    print("babeltrace2: " + ", ".join("%s %d" % kv for kv in sorted(names.items())))
    acq = [f for name, f in ctf if name == "conviz:lock_acquire"]
    per_tid = collections.Counter(f["tid"] for f in acq)
    check(sum(1 for c in per_tid.values() if c >= n) >= 2,
          "two threads with >= %d conviz:lock_acquire each (%s)" % (n, dict(per_tid)))
    check(all(isinstance(f.get("obj"), int) and f["obj"] > 0 and f.get("mode") == "w"
              and f.get("res") in ("ok", "busy", "timeout", "eintr", "error")
              and "wait_ns" in f and f.get("depth") == 1 for f in acq),
          "lock_acquire fields: obj (hex), mode, res, wait_ns, depth")
    declared = {(f["pid"], f["obj"]): f["name"] for name, f in ctf
                if name == "conviz:object_declare"}
    named = [f for f in acq if f.get("name") == declared.get((f["pid"], f["obj"]), "?")]
    check(len(named) == len(acq) and any(f["name"] == "counter_lock" for f in acq),
          "lock events carry the object's declared name (%d of %d)" % (len(named), len(acq)))
    rel = [f for name, f in ctf if name == "conviz:lock_release"]
    check(len(rel) == len(acq) and all("hold_ns" in f for f in rel),
          "as many lock_release (with hold_ns) as lock_acquire (%d, %d)" % (len(rel), len(acq)))
    check(names["conviz:cond_wait"] == 1 and names["conviz:cond_signal"] == 1
          and names["conviz:cond_wake"] == 1, "one cond_wait, cond_signal, cond_wake")
    starts = [f for name, f in ctf if name == "conviz:process_start"]
    parent = [f for f in starts if f.get("via") != "fork"]
    child = [f for f in starts if f.get("via") == "fork"]
    check(len(parent) == 1 and len(child) == 1 and child[0]["pid"] != parent[0]["pid"]
          and child[0].get("ppid") == parent[0]["pid"],
          "the fork child logs under its own pid after re-registering")

    imported = os.path.join(work, "imported.json")
    imp = subprocess.run([opts.conviz, "import", trace, "-o", imported], capture_output=True,
                         text=True)
    print(imp.stderr, end="")
    check(imp.returncode == 0, "conviz import exits 0")
    if imp.returncode != 0:
        return
    mine, theirs = load_json(run_json), load_json(imported)
    ust = ust_threads(mine)
    check(len(ust) >= 1, "liblttng-ust's threads are named '-ust' in the JSON trace (%d)" % len(ust))
    check(not ({(e["pid"], e["tid"]) for e in theirs} & ust),
          "nothing was emitted to LTTng from liblttng-ust's own threads")
    t1, a1, c1 = summary(mine, ust)
    t2, a2, c2 = summary(theirs)
    check(t1 == t2, "same threads in both traces (%d JSON, %d imported)" % (len(t1), len(t2)))
    if t1 != t2:
        print("  only JSON: %s\n  only imported: %s" % (t1 - t2, t2 - t1))
    check(a1 == a2, "same lock acquisitions per thread and object (%d, %d)"
          % (sum(a1.values()), sum(a2.values())))
    if a1 != a2:
        print("  JSON - imported: %s\n  imported - JSON: %s" % (a1 - a2, a2 - a1))
    check(c1 == c2, "same thread/process/condvar events (%s)" % dict(c2))
    if c1 != c2:
        print("  JSON: %s\n  imported: %s" % (dict(c1), dict(c2)))
    ts_ok = all(float(e["ts"]) > 0 for e in theirs)
    check(ts_ok, "imported times are CLOCK_MONOTONIC microseconds")
    has_report = subprocess.run([opts.conviz, "report", "--help"], capture_output=True,
                                text=True).returncode == 0
    if not has_report:
        print("(conviz report is not in this build: not run on the imported trace)")
    else:
        report = subprocess.run([opts.conviz, "report", imported], capture_output=True,
                                text=True)
        print(report.stdout[-2000:] + report.stderr[-2000:], end="")
        check(report.returncode == 0, "conviz report opens the imported trace")


def mode_provider(opts, work, env):
    n = 50
    run, trace = record_session(work, env, env, [opts.emit, opts.lttng_lib, str(n), "fork"])
    print(run.stdout + run.stderr, end="")
    check(run.returncode == 0 and "lttng on" in run.stdout, "lttng_emit ran with LTTng on")
    ctf = load_babeltrace(trace)
    names = collections.Counter(name for name, _ in ctf)
    print("babeltrace2: " + ", ".join("%s %d" % kv for kv in sorted(names.items())))
    check(names["conviz:lock_acquire"] == 2 * n + 1, "2*%d+1 lock_acquire" % n)
    check(all(f.get("name") == "counter_lock" for name, f in ctf
              if name in ("conviz:lock_acquire", "conviz:lock_release")),
          "lock events named after object_declare (also in the fork child)")
    check(names["conviz:thread_start"] == 2 and names["conviz:thread_exit"] == 2,
          "held-back thread_start of both threads emitted")
    start = [f for name, f in ctf if name == "conviz:process_start" and f.get("via") == "start"]
    check(len(start) == 1 and start[0].get("cmdline") == 'lttng_emit \\"q\\"'
          and start[0].get("ncpu") == 2, "string event decoded (escaped quotes, numbers)")
    decl = [f for name, f in ctf if name == "conviz:object_declare"]
    check(len(decl) == 1 and decl[0].get("name") == "counter_lock"
          and decl[0].get("kind") == "mutex", "object_declare fields")
    pids = {f["pid"] for name, f in ctf if name == "conviz:process_exit"}
    check(len(pids) == 2, "parent and fork child exit under their own pids")


def mode_only(opts, work, env):
    n = 100
    record_help = subprocess.run([opts.conviz, "record", "--help"], capture_output=True,
                                 text=True)
    run_json = os.path.join(work, "run.json")
    if "--lttng" in record_help.stdout + record_help.stderr:
        cmd = [opts.conviz, "record", "--lttng=only", "-o", run_json, "--", opts.scenario, str(n),
               "fork"]
        run_env = env
    else:
        cmd = [opts.scenario, str(n), "fork"]
        run_env = dict(conviz_env(env, opts.preload, run_json), CONVIZ_LTTNG="only")
    run, trace = record_session(work, env, run_env, cmd)
    print(run.stdout + run.stderr, end="")
    check(run.returncode == 0, "the scenario ran with LTTng output only")
    imported = os.path.join(work, "imported.json")
    imp = subprocess.run([opts.conviz, "import", trace, "-o", imported], capture_output=True,
                         text=True)
    print(imp.stderr, end="")
    check(imp.returncode == 0, "conviz import exits 0")
    if imp.returncode != 0:
        return
    events = load_json(imported)
    starts = [e for e in events if e["name"] == "process.start"]
    vias = sorted(e["args"].get("via") for e in starts)
    check(vias == ["fork", "start"] and all(e["tid"] == e["pid"] for e in starts)
          and all("lttng_scenario" in e["args"].get("cmdline", "") for e in starts),
          "a process.start (start, fork) with its command line for both processes: %s" % vias)
    names = [e for e in events if e["name"] == "process_name"]
    check(len(names) == 2, "process_name of both processes")
    per_tid = collections.Counter(e["tid"] for e in events if e["name"] == "lock.acquire")
    check(sum(1 for c in per_tid.values() if c >= n) >= 2,
          "two threads with >= %d lock.acquire (%s)" % (n, dict(per_tid)))


def mode_stress(opts, work, env):
    run_json = os.path.join(work, "run.json")
    run, trace = record_session(work, env, conviz_env(env, opts.preload, run_json),
                                [opts.stress])
    print(run.stdout + run.stderr, end="")
    check(run.returncode == 0, "lttng_stress finished (exit %d): no deadlock" % run.returncode)
    ctf = load_babeltrace(trace)
    starts = {f["pid"] for name, f in ctf if name == "conviz:process_start"}
    acquiring = {f["pid"] for name, f in ctf if name == "conviz:lock_acquire"}
    check(len(starts) == 5 and starts <= acquiring,
          "5 processes (4 fork children), each with lock events (%d, %d)"
          % (len(starts), len(acquiring)))
    tids = {f["tid"] for name, f in ctf if name == "conviz:thread_start"}
    check(len(tids) == 84, "thread_start of the 84 threads (%d)" % len(tids))


def mode_nodaemon(opts, work, env):
    n = 100
    run_json = os.path.join(work, "run.json")
    run = subprocess.run([opts.scenario, str(n)], env=conviz_env(env, opts.preload, run_json),
                         capture_output=True, text=True, timeout=60)
    print(run.stdout + run.stderr, end="")
    check(run.returncode == 0, "the program runs normally")
    check("no LTTng session daemon is running; recording JSON only" in run.stderr,
          "says that no session daemon runs")
    events = load_json(run_json) if os.path.exists(run_json) else []
    acq = [e for e in events if e.get("name") == "lock.acquire"]
    check(len(acq) >= 2 * n, "the JSON trace is written (%d lock.acquire)" % len(acq))


def mode_sched(opts, work, env):
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, HERE)
    import make_ctf
    trace, out = os.path.join(work, "ctf"), os.path.join(work, "sched.json")
    subprocess.run([sys.executable, os.path.join(HERE, "make_ctf.py"), trace], check=True)
    imp = subprocess.run([opts.conviz, "import", trace, "-o", out], capture_output=True,
                         text=True)
    print(imp.stderr, end="")
    check(imp.returncode == 0, "conviz import of a kernel + conviz CTF trace exits 0")
    if imp.returncode == 0:
        events = load_json(out)
        runs = sorted((e["tid"], e["args"]["cpu"], round(float(e["ts"]) * 1000),
                       round((float(e["ts"]) + float(e["dur"])) * 1000), e["args"]["out"])
                      for e in events if e["name"] == "RUNNING")
        check(runs == sorted(make_ctf.EXPECTED_RUNS),
              "RUNNING slices from sched_switch: %s" % runs)
        check(all(e["pid"] == make_ctf.PID for e in events), "runs carry the threads' pid")
        check(sum(1 for e in events if e["name"] == "lock.acquire") == 2,
              "conviz events kept (2 lock.acquire)")
    # refusals: clear message, non-zero exit, no output file left behind
    kernel_only = os.path.join(work, "kernel-only")
    subprocess.run([sys.executable, os.path.join(HERE, "make_ctf.py"), "--kernel-only",
                    kernel_only], check=True)
    for path, expect in ((kernel_only, "holds no conviz events"), (HERE, "holds no CTF trace"),
                         (os.path.join(work, "nope"), "No such file")):
        bad = os.path.join(work, "bad.json")
        r = subprocess.run([opts.conviz, "import", path, "-o", bad], capture_output=True,
                           text=True)
        check(r.returncode != 0 and expect in r.stderr and not os.path.exists(bad),
              "refused: %s (%s)" % (expect, r.stderr.strip()[:100]))
    r = subprocess.run([opts.conviz, "import", "--help"], capture_output=True, text=True)
    check(r.returncode == 0 and "usage: conviz import" in r.stdout, "conviz import --help")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=("roundtrip", "provider", "only", "stress", "nodaemon",
                                     "sched"))
    ap.add_argument("--conviz", help="the conviz command")
    ap.add_argument("--preload", help="libconviz.so")
    ap.add_argument("--lttng-lib", help="libconviz-lttng.so")
    ap.add_argument("--scenario", help="lttng_scenario")
    ap.add_argument("--emit", help="lttng_emit")
    ap.add_argument("--stress", help="lttng_stress")
    ap.add_argument("--skip", help="skip with this reason (a part is not built)")
    opts = ap.parse_args()
    if opts.skip:
        skip(opts.skip)
    if opts.mode != "sched":
        for tool in ("lttng", "lttng-sessiond", "babeltrace2"):
            if not shutil.which(tool):
                skip(tool + " is not installed (Debian: lttng-tools babeltrace2)")
    if opts.conviz:
        r = subprocess.run([opts.conviz, "import", "--help"], capture_output=True, text=True)
        if r.returncode != 0 or "usage: conviz import" not in r.stdout:
            skip("`conviz import` is not in this build: " + (r.stdout + r.stderr).strip()[:200])
    isolate()
    work = tempfile.mkdtemp(prefix="cvz-lttng-%s-" % opts.mode)
    home = os.path.join(work, "home")
    os.makedirs(home)
    env = dict(os.environ, HOME=home, LTTNG_HOME=home)
    env.pop("LD_PRELOAD", None)
    try:
        {"roundtrip": mode_roundtrip, "provider": mode_provider, "only": mode_only,
         "stress": mode_stress,
         "nodaemon": mode_nodaemon, "sched": mode_sched}[opts.mode](opts, work, env)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        failures.append(str(e))
        print("FAIL " + str(e))
    if failures:
        print("%d check(s) failed; files kept in %s" % (len(failures), work))
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
