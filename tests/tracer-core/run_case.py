#!/usr/bin/env python3
"""run_case.py - end-to-end tests of libconviz.so's core and `conviz record`/`finish`.

Each case runs tc_prog (or a Debian program) under the tracer in a fresh temporary directory and
checks the *meaning* of the trace: counts, pids, orders, invariants; never timings.
Exit status: 0 pass, 1 fail, 77 skipped (e.g. perf_event_open denied for the preempt case).

usage: run_case.py CASE --lib libconviz.so --prog tc_prog [--conviz conviz] [--preload-first LIB]
"""
import argparse
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


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def load(path):
    """Parse every line of a trace; a missing closing ']' is fine, a broken line is not."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    check(lines and lines[0] == "[", f"{path}: first line is not '['")
    events = []
    for no, line in enumerate(lines[1:], start=2):
        if line in ("", "]"):
            continue
        text = line[:-1] if line.endswith(",") else line
        try:
            ev = json.loads(text)
        except json.JSONDecodeError as e:
            raise Fail(f"{path}:{no}: not a JSON object: {e}: {line[:120]}")
        for key in ("ph", "name", "pid", "tid", "ts"):
            check(key in ev, f"{path}:{no}: no '{key}': {line[:120]}")
        if ev.get("cat") == "cvz.state":
            # derived READY/BLOCKED slices `conviz record` appends for Perfetto (trace-format.md);
            # these checks are about what the tracer itself wrote (tests/cli checks the slices)
            continue
        events.append(ev)
    return events


def named(events, name, pid=None):
    return [e for e in events if e["name"] == name and (pid is None or e["pid"] == pid)]


def check_invariants(events):
    """What must hold in every trace: one process.start per image start, RUNNING runs of a
    thread never overlap, thread.start/exit balance per thread."""
    runs = {}
    for e in named(events, "RUNNING"):
        check(e.get("cat") == "cvz.sched" and e["ph"] == "X", "RUNNING is not an X cvz.sched")
        check(e["args"]["out"] in ("preempt", "block", "exit", "open"), "bad RUNNING out")
        runs.setdefault(e["tid"], []).append((e["ts"], e["ts"] + e["dur"]))
    for tid, spans in runs.items():
        spans.sort()
        for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
            check(b0 >= a1 - 0.002, f"RUNNING runs of tid {tid} overlap: {a0}+{a1 - a0} and {b0}")
    starts = {}
    for e in named(events, "thread.start"):
        starts[e["tid"]] = starts.get(e["tid"], 0) + 1
    for tid, n in starts.items():
        check(n == 1, f"tid {tid} started {n} times")
    for e in named(events, "process.start"):
        a = e["args"]
        for key in ("ppid", "via", "cmdline", "exe", "ncpu", "sched", "version", "mono_ns",
                    "real_ns"):
            check(key in a, f"process.start lacks {key}")
        check(a["version"] == 1 and a["via"] in ("start", "fork", "exec"), "bad process.start")


class Case:
    def __init__(self, opts, tmp):
        self.o = opts
        self.tmp = tmp
        self.env = dict(os.environ)
        self.env.pop("LD_PRELOAD", None)
        for k in list(self.env):
            if k.startswith("CONVIZ_"):
                del self.env[k]
        self.env["CONVIZ_LIB"] = opts.lib
        if opts.preload_first:  # sanitizer runtime must come first
            self.env["LD_PRELOAD"] = opts.preload_first
            self.env["ASAN_OPTIONS"] = "detect_leaks=0"

    def record(self, args, out="t.json", record_opts=(), stdout=subprocess.PIPE, timeout=60):
        if not self.o.conviz:
            raise SystemExit(SKIP)
        path = os.path.join(self.tmp, out)
        cmd = [self.o.conviz, "record", "-o", path, *record_opts, "--", *args]
        p = subprocess.run(cmd, env=self.env, cwd=self.tmp, stdout=stdout,
                           stderr=subprocess.PIPE, timeout=timeout)
        return p, path

    def start_record(self, path, args, record_opts=()):
        """`conviz record` of a program that prints its pid first: (Popen, pid)."""
        proc = subprocess.Popen([self.o.conviz, "record", *record_opts, "-o", path, "--", *args],
                                env=self.env, cwd=self.tmp, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        return proc, int(proc.stdout.readline())

    def preload(self, args, out="t.json", extra_env=None, timeout=60):
        path = os.path.join(self.tmp, out)
        env = dict(self.env)
        pre = env.get("LD_PRELOAD")
        env["LD_PRELOAD"] = (pre + ":" if pre else "") + self.o.lib
        env["CONVIZ_OUT"] = path
        env.update(extra_env or {})
        p = subprocess.run(args, env=env, cwd=self.tmp, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        return p, path


def summary_line(p):
    err = p.stderr.decode(errors="replace")
    lines = [l for l in err.splitlines() if l.startswith("conviz: trace written to")]
    check(len(lines) == 1, f"expected one summary line, stderr was: {err!r}")
    return lines[0]


# ---- cases -----------------------------------------------------------------------------------

def case_exit_status(c):
    p, path = c.record([c.o.prog, "exit", "42"])
    check(p.returncode == 42, f"exit status {p.returncode}, want 42")
    ev = load(path)
    check_invariants(ev)
    ex = named(ev, "process.exit")
    check(len(ex) == 1 and ex[0]["args"]["status"] == 42 and ex[0]["args"]["how"] == "exit",
          f"process.exit: {ex}")
    check(len(named(ev, "process.start")) == 1, "one process.start")
    line = summary_line(p)
    check(" 1 processes" in line and " 0 lost" in line, line)
    with open(path) as f:
        json.load(f)  # finished traces are strict JSON too
    check(not os.path.exists(path + ".d"), "ring directory left behind")


def case_signal_status(c):
    for mode, sig in (("segv", signal.SIGSEGV), ("abort", signal.SIGABRT)):
        p, path = c.record([c.o.prog, mode], out=f"{mode}.json")
        check(p.returncode == 128 + sig, f"{mode}: status {p.returncode}, want {128 + sig}")
        check(f"killed by signal {int(sig)} (SIG" in p.stderr.decode(), p.stderr.decode())
        ev = load(path)
        ex = named(ev, "process.exit")
        check(len(ex) == 1 and ex[0]["args"]["how"] == "signal" and
              ex[0]["args"]["signal"] == sig, f"{mode}: process.exit {ex}")
        check(len(named(ev, "lock.acquire")) in (0, 10), "lock.acquire count")


def case_sigterm_forward(c):
    """SIGTERM sent to `conviz record` reaches the program, which leaves process.exit (signal)."""
    if not c.o.conviz:
        return SKIP
    path = os.path.join(c.tmp, "s.json")
    proc, pid = c.start_record(path, [c.o.prog, "loop"])
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    check(proc.returncode == 128 + 15, f"status {proc.returncode}: {err!r}")
    ev = load(path)
    ex = named(ev, "process.exit", pid)
    check(len(ex) == 1 and ex[0]["args"]["how"] == "signal" and ex[0]["args"]["signal"] == 15,
          f"process.exit {ex}")


def case_sigterm_busy(c):
    """A fatal signal that interrupts the tracer while it writes a record, or finds the ring
    full (a program that locks all the time), still leaves process.exit: 8 runs, each must."""
    if not c.o.conviz:
        return SKIP
    for run in range(8):
        path = os.path.join(c.tmp, f"b{run}.json")
        proc, pid = c.start_record(path, [c.o.prog, "lockloop"], ["--no-state-slices"])
        time.sleep(0.02)
        os.kill(pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        check(proc.returncode == 128 + 15, f"run {run}: status {proc.returncode}: {err!r}")
        with open(path, "rb") as f:  # tens of MB of lock events: look at the exit lines only
            ex = [json.loads(line.strip().rstrip(b",")) for line in f if b'"process.exit"' in line]
        ex = [e for e in ex if e["pid"] == pid]
        check(len(ex) == 1 and ex[0]["args"]["how"] == "signal",
              f"run {run}: process.exit {ex}")
        os.unlink(path)


def case_sigkill(c):
    if not c.o.conviz:
        return SKIP
    path = os.path.join(c.tmp, "k.json")
    proc, pid = c.start_record(path, [c.o.prog, "loop"])
    time.sleep(0.3)
    os.kill(pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    check(proc.returncode == 128 + 9, f"status {proc.returncode}")
    check("killed by signal 9 (SIGKILL)" in err.decode(), err.decode())
    ev = load(path)
    check_invariants(ev)
    ex = named(ev, "process.exit", pid)
    check(len(ex) == 1 and ex[0]["args"]["how"] == "killed" and ex[0]["args"]["signal"] == 9,
          f"process.exit {ex}")
    acq = named(ev, "lock.release", pid)
    check(len(acq) >= 20, f"only {len(acq)} lock.release recovered")
    check(not os.path.exists(path + ".d"), "ring directory left behind")


def case_fork_exit(c):
    p, path = c.record([c.o.prog, "fork_exit"])
    check(p.returncode == 0, f"status {p.returncode}")
    child = int(p.stdout.decode().split()[1])
    ev = load(path)
    check_invariants(ev)
    parent = [e for e in named(ev, "process.start") if e["args"]["via"] == "start"][0]["pid"]
    forks = named(ev, "process.fork", parent)
    check(len(forks) == 1 and forks[0]["args"]["child"] == child, f"process.fork {forks}")
    st = named(ev, "process.start", child)
    check(len(st) == 1 and st[0]["args"]["via"] == "fork" and st[0]["args"]["ppid"] == parent,
          f"child process.start {st}")
    ex = named(ev, "process.exit", child)
    check(len(ex) == 1 and ex[0]["args"]["how"] == "_exit" and ex[0]["args"]["status"] == 7,
          f"child process.exit {ex}")
    if named(ev, "lock.acquire"):  # the wrappers are linked in
        check(len(named(ev, "lock.acquire", child)) == 5, "child's 5 lock.acquire")
        check(len(named(ev, "lock.acquire", parent)) == 2, "parent's 2 lock.acquire")
    check(" 2 processes" in summary_line(p), summary_line(p))


def case_fork_exec(c):
    p, path = c.record([c.o.prog, "fork_exec", c.o.prog])
    check(p.returncode == 3, f"status {p.returncode}")
    ev = load(path)
    check_invariants(ev)
    parent = [e for e in named(ev, "process.start") if e["args"]["via"] == "start"][0]["pid"]
    forks = named(ev, "process.fork", parent)
    check(len(forks) == 1, f"process.fork {forks}")
    child = forks[0]["args"]["child"]
    vias = [e["args"]["via"] for e in sorted(named(ev, "process.start", child),
                                             key=lambda e: e["ts"])]
    check(vias == ["fork", "exec"], f"child starts {vias}")
    execs = named(ev, "process.exec", child)
    check(len(execs) == 1 and execs[0]["args"]["argv"].endswith("exit 3"), f"exec {execs}")
    ex = named(ev, "process.exit", child)
    check(len(ex) == 1 and ex[0]["args"]["status"] == 3, f"child exit {ex}")
    ex = named(ev, "process.exit", parent)
    check(len(ex) == 1 and ex[0]["args"]["status"] == 3, f"parent exit {ex}")
    waits = [e for e in named(ev, "block.end", parent) if e["args"].get("reason") == "child"]
    if waits:  # the wrappers record waitpid: it reaped the right child
        check(any(e["args"].get("target") == child for e in waits), f"waitpid {waits}")


def threads_case(c, n):
    # 1M rings: the main thread records two events per join, 40 000 in a burst at the end,
    # which a collector starved by a loaded machine may not drain in time with 256K.
    p, path = c.record([c.o.prog, "threads", str(n)], record_opts=["--buffer-size", "1M"],
                       timeout=120)
    check(p.returncode == 0 and p.stdout.decode().strip() == str(n), f"program failed: {p}")
    ev = load(path)
    check_invariants(ev)
    check(len(named(ev, "thread.start")) == n, f"{len(named(ev, 'thread.start'))} thread.start")
    check(len(named(ev, "thread.exit")) == n, f"{len(named(ev, 'thread.exit'))} thread.exit")
    creates = named(ev, "thread.create")
    check(len(creates) == n and len({e["args"]["child"] for e in creates}) == n,
          "thread.create children")
    main = named(ev, "process.start")[0]["tid"]
    check(all(e["tid"] == main for e in creates), "thread.create on the creating thread")
    check(not named(ev, "trace.lost"), f"lost events: {named(ev, 'trace.lost')}")
    if named(ev, "lock.acquire"):
        check(len(named(ev, "lock.acquire")) == n, "one lock.acquire per thread")
    check(" 0 lost" in summary_line(p), summary_line(p))


def case_threads2000(c):
    threads_case(c, 2000)


def case_threads20000(c):
    threads_case(c, 20000)


def case_preempt(c):
    p, path = c.record(["taskset", "-c", "0,1", c.o.prog, "spin", "4"], timeout=60)
    check(p.returncode == 0, f"status {p.returncode}")
    ev = load(path)
    check_invariants(ev)
    sched = {e["args"]["sched"] for e in named(ev, "process.start")}
    if sched != {"perf"}:
        print("perf_event_open not available here: skipped")
        return SKIP
    spinners = {e["tid"] for e in named(ev, "thread.start")}
    check(len(spinners) == 4, "4 spinning threads")
    runs = [e for e in named(ev, "RUNNING") if e["tid"] in spinners]
    check(runs, "no RUNNING events of the spinners")
    pre = [e for e in runs if e["args"]["out"] == "preempt"]
    check(len(pre) >= 4, f"only {len(pre)} preempted runs of 4 spinners on 2 CPUs")
    check(all(e["args"]["cpu"] in (0, 1) for e in runs), "cpu outside the taskset")


def case_first_run(c):
    """The thread that opens perf is already running: its first run has no switch-in record.
    That run must still be there, or main is UNKNOWN until its first switch (or all its life,
    when it never blocks).  `exit` mode locks 10 times at the start of main, then exits."""
    p, path = c.record([c.o.prog, "exit", "0"])
    check(p.returncode == 0, f"status {p.returncode}")
    ev = load(path)
    check_invariants(ev)
    if {e["args"]["sched"] for e in named(ev, "process.start")} != {"perf"}:
        print("perf_event_open not available here: skipped")
        return SKIP
    pid = named(ev, "process.start")[0]["pid"]
    runs = [(e["ts"], e["ts"] + e["dur"]) for e in named(ev, "RUNNING") if e["tid"] == pid]
    locks = [e["ts"] for e in named(ev, "lock.acquire") if e["tid"] == pid]
    check(len(locks) == 10, f"10 lock acquisitions of main, got {len(locks)}")
    outside = [t for t in locks if not any(a <= t <= b for a, b in runs)]
    check(not outside, f"main locked while not RUNNING at {outside[:3]} (runs {runs[:3]})")


def case_sched_proc(c):
    p, path = c.record([c.o.prog, "sleep"], record_opts=["--sched=proc"])
    check(p.returncode == 0, f"status {p.returncode}")
    ev = load(path)
    check(named(ev, "process.start")[0]["args"]["sched"] == "proc", "sched is not proc")
    samples = named(ev, "sched.sample")
    check(samples, "no sched.sample")
    check(not named(ev, "RUNNING"), "RUNNING without perf")
    for e in samples:
        a = e["args"]
        check(len(a["state"]) == 1 and a["run_delay_ns"] >= 0 and a["runtime_ns"] >= 0, str(e))
    check("sched=proc" in summary_line(p), summary_line(p))
    p, path = c.record([c.o.prog, "exit", "0"], out="n.json", record_opts=["--no-sched"])
    ev = load(path)
    check(named(ev, "process.start")[0]["args"]["sched"] == "none", "--no-sched")
    check(not named(ev, "RUNNING") and not named(ev, "sched.sample"), "sched events with none")


def identical_output(c, args, stdin_path=None):
    def run(cmd):
        with open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb") as fin:
            return subprocess.run(cmd, env=c.env, cwd=c.tmp, stdin=fin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=120)
    plain = run(args)
    traced = run([c.o.conviz, "record", "-q", "-o", os.path.join(c.tmp, "t.json"), "--", *args])
    check(plain.returncode == traced.returncode == 0, f"status {plain.returncode} {traced}")
    check(plain.stdout == traced.stdout, "traced output differs from the untraced one")
    check(traced.stderr == b"", f"stderr with --quiet: {traced.stderr!r}")
    ev = load(os.path.join(c.tmp, "t.json"))
    check_invariants(ev)
    return ev


def case_sort(c):
    if not c.o.conviz or not shutil.which("sort"):
        return SKIP
    data = os.path.join(c.tmp, "in.txt")
    with open(data, "w") as f:
        x = 12345
        for _ in range(200000):
            x = (x * 1103515245 + 12345) % (1 << 31)
            f.write(f"{x} line {x % 977}\n")
    ev = identical_output(c, ["sort", "--parallel=2", "-S", "1M", data])
    check(len(named(ev, "process.exit")) == 1, "sort's process.exit")


def case_xz(c):
    if not c.o.conviz or not shutil.which("xz"):
        return SKIP
    data = os.path.join(c.tmp, "in.bin")
    with open(data, "wb") as f:
        for i in range(48):
            f.write(os.urandom(16384) + bytes(range(256)) * 256)
    ev = identical_output(c, ["xz", "-T2", "-3", "-c", data])
    check(len({e["tid"] for e in ev}) >= 2, "xz -T2 ran on one thread only?")


def case_bash(c):
    p, path = c.record(["bash", "-c", "true; /bin/echo one | cat; (exit 4); sh -c 'exit 0'"])
    check(p.returncode == 0, f"status {p.returncode}")
    check(p.stdout == b"one\n", f"stdout {p.stdout!r}")
    ev = load(path)
    check_invariants(ev)
    pids = {e["pid"] for e in ev}
    check(len(pids) >= 3, f"only {len(pids)} processes")
    for pid in pids:
        check(named(ev, "process.start", pid), f"pid {pid} has no process.start")
        check(named(ev, "process.exit", pid), f"pid {pid} has no process.exit")
    check(len([f for f in os.listdir(c.tmp) if f.endswith(".json")]) == 1, "one trace file")


def case_preload_only(c):
    p, path = c.preload([c.o.prog, "fork_exit"])
    check(p.returncode == 0, f"status {p.returncode} {p.stderr!r}")
    ev = load(path)
    check_invariants(ev)
    check(len({e["pid"] for e in named(ev, "process.start")}) == 2, "two processes")
    check(len(named(ev, "process.exit")) == 2, "two process.exit")
    check(not os.path.exists(path + ".d"), "ring directory left behind without conviz record")
    with open(path) as f:
        check(not f.read().rstrip().endswith("]"), "']' written without conviz record")


def case_finish(c):
    """The recorder died: the program was SIGKILLed with nobody to finish; `conviz finish`."""
    if not c.o.conviz:
        return SKIP
    path = os.path.join(c.tmp, "f.json")
    env = dict(c.env)
    pre = env.get("LD_PRELOAD")
    env.update(LD_PRELOAD=(pre + ":" if pre else "") + c.o.lib, CONVIZ_OUT=path,
               CONVIZ_KEEP_RINGS="1")
    proc = subprocess.Popen([c.o.prog, "loop"], env=env, cwd=c.tmp, stdout=subprocess.PIPE)
    pid = int(proc.stdout.readline())
    time.sleep(0.2)
    proc.kill()
    proc.wait()
    check(os.path.isdir(path + ".d"), "no ring directory")
    p = subprocess.run([c.o.conviz, "finish", path], env=c.env, stderr=subprocess.PIPE,
                       timeout=30)
    check(p.returncode == 0, f"finish: {p.stderr!r}")
    ev = load(path)
    ex = named(ev, "process.exit", pid)
    check(len(ex) == 1 and ex[0]["args"]["how"] == "killed", f"process.exit {ex}")
    check(not os.path.exists(path + ".d"), "ring directory left behind")
    with open(path) as f:
        json.load(f)


def case_clock(c):
    """The tracer's timestamps (TSC-based when reliable) agree with CLOCK_MONOTONIC, which perf
    records and other processes use: each lock.acquire falls between the program's own
    clock_gettime calls around it (2 us of slack for the ts conversion)."""
    p, path = c.record([c.o.prog, "clock", "150"])
    check(p.returncode == 0, f"status {p.returncode}")
    brackets = [tuple(int(x) for x in l.split()) for l in p.stdout.decode().splitlines()]
    ev = load(path)
    acq = sorted(e["ts"] for e in named(ev, "lock.acquire"))
    if not acq:
        return SKIP  # no mutex wrappers in this build
    check(len(acq) == len(brackets), f"{len(acq)} lock.acquire for {len(brackets)} locks")
    worst = 0.0
    for ts, (a, b) in zip(acq, brackets):
        ns = ts * 1000
        worst = max(worst, a - ns, ns - b)
    check(worst <= 2000, f"a lock.acquire is {worst:.0f} ns outside its CLOCK_MONOTONIC bracket")


def busy_counts(path):
    """(tid, pairs) of each thread of tc_prog exit_busy, from its MAP_SHARED file."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    out = []
    for off in range(0, len(data), 16):
        tid, _, pairs = struct.unpack_from("<iiq", data, off)
        if tid:
            out.append((tid, pairs))
    return out


def check_busy_counts(ev, counts, what):
    """Every lock.release a thread of tc_prog exit_busy completed reaches the trace, unless
    trace.lost counts it.  Returns False when the build records no locks."""
    lost = sum(e["args"]["count"] for e in named(ev, "trace.lost"))
    rel, acq = {}, {}
    for e in named(ev, "lock.release"):
        rel[e["tid"]] = rel.get(e["tid"], 0) + 1
    for e in named(ev, "lock.acquire"):
        acq[e["tid"]] = acq.get(e["tid"], 0) + 1
    if not rel:
        return False
    threads = busy_counts(counts)
    check(len(threads) == 3, f"{what}: {threads}")
    missing = 0
    for tid, pairs in threads:
        r, a = rel.get(tid, 0), acq.get(tid, 0)
        check(r <= pairs + 1 and a <= pairs + 1 and r <= a,
              f"{what}: tid {tid}: {a} acquire, {r} release for {pairs} pairs")
        missing += max(0, pairs - r)
    check(missing <= lost, f"{what}: {missing} lock.release missing, {lost} counted lost")
    return True


def case_exit_late(c):
    """LD_PRELOAD only (no `conviz record` to recover ring files): records the other threads
    write after the exiting thread's final drain still reach the trace or are counted lost."""
    for k in range(6):
        counts = os.path.join(c.tmp, f"counts{k}")
        p, path = c.preload([c.o.prog, "exit_busy", counts, "3"], out=f"p{k}.json")
        check(p.returncode == 0, f"status {p.returncode}: {p.stderr!r}")
        ev = load(path)
        check_invariants(ev)
        if not check_busy_counts(ev, counts, f"round {k}"):
            return SKIP


def case_exit_busy(c):
    """Threads keep locking while main calls exit(), on one CPU with other threads waking up
    all the time (the exiting thread is preempted in the middle of its drains).  Repeated:
    - RUNNING runs of one thread never overlap, and only the image's last drain leaves runs
      "open" (at most one open run per thread);
    - every lock.release a thread completed (the program counted it after unlock returned)
      reaches the trace, or trace.lost says it was lost."""
    rounds = 6
    for k in range(rounds):
        counts = os.path.join(c.tmp, f"counts{k}")
        p, path = c.record(["taskset", "-c", "0", c.o.prog, "exit_busy", counts, "3"],
                           out=f"b{k}.json")
        check(p.returncode == 0, f"status {p.returncode}: {p.stderr!r}")
        ev = load(path)
        check_invariants(ev)
        opens = {}
        image = max(e["ts"] for e in named(ev, "process.start"))  # taskset exec'd tc_prog
        for e in named(ev, "RUNNING"):
            if e["args"]["out"] == "open" and e["ts"] >= image:
                opens[e["tid"]] = opens.get(e["tid"], 0) + 1
        check(all(n == 1 for n in opens.values()), f"round {k}: open runs per tid {opens}")
        if not check_busy_counts(ev, counts, f"round {k}"):
            return SKIP  # no mutex wrappers in this build


def case_vfork(c):
    """A vfork child shares its parent's memory and TLS: nothing it does (write, _exit) may be
    recorded, in the parent's ring or under the parent's tid.  The parent's own read of the
    pipe is recorded as usual."""
    p, path = c.record([c.o.prog, "vfork"])
    check(p.returncode == 0, f"status {p.returncode}: {p.stderr!r}")
    wfd = int(p.stdout.decode().split()[0])
    ev = load(path)
    check_invariants(ev)
    check(len({e["pid"] for e in ev}) == 1, "events of another pid (the vfork children)")
    ex = named(ev, "process.exit")
    check(len(ex) == 1 and ex[0]["args"]["status"] == 0, f"process.exit {ex}")
    blocks = named(ev, "block.begin") + named(ev, "block.end")
    writes = [e for e in blocks if e["args"].get("fn") in ("write", "writev")]
    check(not writes, f"the children's write recorded in the parent: {writes[:2]}")
    reads = [e for e in named(ev, "block.begin") if e["args"].get("fn") == "read"]
    if blocks:  # the IO wrappers are linked in
        check(len(reads) >= 3, f"the parent's 3 reads: {reads}")
    begins = {}
    for e in sorted(blocks, key=lambda e: e["ts"]):
        n = begins.get(e["tid"], 0) + (1 if e["name"] == "block.begin" else -1)
        check(0 <= n <= 1, f"block.begin/end unbalanced on tid {e['tid']}")
        begins[e["tid"]] = n


def case_ring_size(c):
    """Rings are 1 MiB per thread by default (CPython's start-up burst overflowed 256 KiB),
    and --buffer-size / CONVIZ_BUFFER still choose: the ring file's header says how many
    48-byte records a slot holds (the largest power of two that fits)."""
    import struct
    for buf, want in ((None, 16384), ("256K", 4096)):
        extra = {"CONVIZ_KEEP_RINGS": "1"}
        if buf:
            extra["CONVIZ_BUFFER"] = buf
        out = f"r{buf}.json"
        p, path = c.preload([c.o.prog, "exit", "0"], out=out, extra_env=extra)
        check(p.returncode == 0, f"status {p.returncode}: {p.stderr!r}")
        rings = [f for f in os.listdir(path + ".d") if f.startswith("ring-")]
        check(len(rings) == 1, f"ring files {rings}")
        with open(os.path.join(path + ".d", rings[0]), "rb") as f:
            head = f.read(20)
        recs = struct.unpack_from("<I", head, 16)[0]
        check(recs == want, f"buffer {buf or 'default'}: {recs} records per slot, want {want}")
    if c.o.conviz:
        p = subprocess.run([c.o.conviz, "record", "--help"], env=c.env, stdout=subprocess.PIPE)
        check(b"1M (default)" in p.stdout, "record --help does not give the 1M default")


def case_ust(c):
    """liblttng-ust's threads (named "<proc>-ust") and the threads they start are not in the
    JSON trace, and nothing the exiting thread does after process.exit (destructors:
    liblttng-ust's teardown) is recorded."""
    p, path = c.record([c.o.prog, "ust"])
    check(p.returncode == 0, f"status {p.returncode}: {p.stderr!r}")
    ust, child = (int(x) for x in p.stdout.split())
    ev = load(path)
    check_invariants(ev)
    if not named(ev, "lock.acquire"):
        return SKIP  # no mutex wrappers in this build
    # thread.create/thread.start of the -ust thread come before its name and may have been
    # written already by then; its name line marks them; what follows the name is not written.
    early = ("thread.create", "thread.start", "RUNNING", "thread_name")
    bad = [e for e in ev if (e["tid"] == ust and e["name"] not in early) or e["tid"] == child and
           e["name"] != "RUNNING"]
    check(not bad, f"events of liblttng-ust's threads: {bad[:3]}")
    check(not [e for e in named(ev, "thread.create") if e["args"]["child"] == child],
          "thread.create of a thread started by the -ust thread")
    ex = named(ev, "process.exit")
    check(len(ex) == 1, f"process.exit {ex}")
    after = [e for e in ev if e["tid"] == ex[0]["tid"] and e["ts"] > ex[0]["ts"] and
             e.get("cat") != "cvz.sched"]
    check(not after, f"events after process.exit on the exiting thread: {after[:3]}")
    acq = [e for e in named(ev, "lock.acquire") if e["tid"] == ex[0]["tid"]]
    check(len(acq) == 2, f"{len(acq)} lock.acquire on the main thread, want 2")


def case_exec_fail(c):
    """A failed exec is recorded and tracing simply continues in the same image."""
    p, path = c.record([c.o.prog, "exec_fail"])
    check(p.returncode == 0, f"status {p.returncode}")
    ev = load(path)
    check_invariants(ev)
    check(len(named(ev, "process.exec")) == 1, "process.exec")
    check(len(named(ev, "process.start")) == 1, "a failed exec starts no new image")
    ex = named(ev, "process.exit")
    check(len(ex) == 1 and ex[0]["args"]["how"] == "exit", f"process.exit {ex}")
    if named(ev, "lock.acquire"):
        check(len(named(ev, "lock.acquire")) == 6, "the 6 locks after the failed exec")
    check(" 1 processes" in summary_line(p), summary_line(p))


def case_fd_numbers(c):
    """The tracer's own fds (trace, eventfd, perf) stay out of the program's way."""
    plain = subprocess.run([c.o.prog, "fd"], env=c.env, stdout=subprocess.PIPE).stdout
    for sched in ("perf", "proc"):
        p, _ = c.record([c.o.prog, "fd"], record_opts=[f"--sched={sched}"])
        check(p.stdout == plain, f"open() returned {p.stdout!r} traced, {plain!r} plain")


def case_close_all(c):
    """A program that closes every fd it did not open (a daemon's loop, close_range,
    closefrom) still leaves its whole trace, and to it the tracer's fds look closed already."""
    plain = subprocess.run([c.o.prog, "closeall", "loop"], env=c.env,
                           stdout=subprocess.PIPE).stdout
    for how in ("loop", "close_range", "closefrom"):
        p, path = c.record([c.o.prog, "closeall", how])
        check(p.returncode == 0, f"{how}: exit status {p.returncode}")
        if how == "loop":
            check(p.stdout == plain, f"{how}: close() said {p.stdout!r} traced, {plain!r} plain")
        ev = load(path)
        check_invariants(ev)
        acq = named(ev, "lock.acquire")
        check(len(acq) == 1000, f"{how}: {len(acq)} lock.acquire after closing, want 1000")
        check(len(named(ev, "process.exit")) == 1, f"{how}: process.exit is in the trace")


def case_write_fail(c):
    """On a full disk the program runs on: the ring file's blocks are allocated before records
    go into them (a store into an unbacked page of a full file system is a SIGBUS), and lines
    or records the disk did not take are counted as lost.  A 300 KiB tmpfs in a private mount
    namespace stands for the full disk."""
    if not c.o.conviz or not shutil.which("unshare"):
        return SKIP
    fs = os.path.join(c.tmp, "small")
    os.mkdir(fs)
    probe = subprocess.run(["unshare", "-m", "mount", "-t", "tmpfs", "-o", "size=300k", "none",
                            fs], capture_output=True)
    if probe.returncode != 0:
        print("no private mount namespace here: " + probe.stderr.decode().strip())
        return SKIP
    path, copy = os.path.join(fs, "t.json"), os.path.join(c.tmp, "t.json")
    # the tmpfs ends with the namespace: copy the trace out first
    script = (f"mount -t tmpfs -o size=300k none '{fs}' && "
              f"{{ '{c.o.conviz}' record -o '{path}' -- '{c.o.prog}' threads 300; rc=$?; "
              f"cp '{path}' '{copy}'; exit $rc; }}")
    p = subprocess.run(["unshare", "-m", "sh", "-c", script], env=c.env, cwd=c.tmp,
                       capture_output=True, timeout=120)
    check(p.returncode == 0, f"exit status {p.returncode} (135 = SIGBUS): {p.stderr!r}")
    check(p.stdout.strip() == b"300", f"the program ran on: {p.stdout!r}")
    m = re.search(rb"(\d+) events, (\d+) lost", p.stderr)
    check(m is not None and int(m.group(2)) > 0, f"what did not fit is counted lost: {p.stderr!r}")
    # once the program is done and its ring file gone, the trace says so too, on a line of
    # its own (not glued to a line the full disk cut)
    lost = []
    with open(copy, "rb") as f:
        for line in f:
            line = line.strip().rstrip(b",")
            if b'"trace.lost"' in line:
                try:
                    lost.append(json.loads(line))
                except ValueError:
                    check(False, f"trace.lost line is not whole: {line[:200]!r}")
    refused = sum(e["args"]["count"] for e in lost if e["args"].get("reason") == "write")
    check(m is not None and refused == int(m.group(2)),
          f"a trace.lost line with reason write counts them ({refused})")


def case_fsize_limit(c):
    """Under a file-size limit (ulimit -f) below the ring file's size the tracer says so and
    stays out; it never grows a file past the limit, which would kill the program (SIGXFSZ)."""
    if not c.o.conviz:
        return SKIP
    import resource
    limit = 16 * 1024
    path = os.path.join(c.tmp, "t.json")
    p = subprocess.run([c.o.conviz, "record", "-o", path, "--", c.o.prog, "threads", "300"],
                       env=c.env, cwd=c.tmp, capture_output=True, timeout=60,
                       preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE,
                                                             (limit, limit)))
    check(p.returncode == 0, f"exit status {p.returncode} (153 = SIGXFSZ): {p.stderr!r}")
    check(p.stdout.strip() == b"300", f"the program ran: {p.stdout!r}")
    check(b"cannot create the ring file" in p.stderr and b"File too large" in p.stderr,
          f"the tracer says why it stays out: {p.stderr!r}")
    check(os.path.getsize(path) <= limit, "the trace stayed within the limit")


def case_cli_errors(c):
    if not c.o.conviz:
        return SKIP
    p, _ = c.record(["/nonexistent/prog"])
    check(p.returncode == 127, f"status {p.returncode}")
    check("cannot run '/nonexistent/prog': No such file or directory" in p.stderr.decode(),
          p.stderr.decode())
    for bad in (["--sched=fast", "--", "true"], ["--buffer-size", "lots", "--", "true"], []):
        p = subprocess.run([c.o.conviz, "record", *bad], env=c.env, cwd=c.tmp,
                           stderr=subprocess.PIPE, stdout=subprocess.PIPE)
        check(p.returncode == 2 and p.stderr.startswith(b"conviz record:"), f"{bad}: {p}")
    p = subprocess.run([c.o.conviz, "record", "--help"], env=c.env, stdout=subprocess.PIPE)
    check(p.returncode == 0 and b"--buffer-size" in p.stdout, "record --help")
    env = dict(c.env, CONVIZ_LIB="/nonexistent/libconviz.so")
    p = subprocess.run([c.o.conviz, "record", "--", "true"], env=env, stderr=subprocess.PIPE)
    check(p.returncode == 2 and b"libconviz.so" in p.stderr, "missing library message")
    p = subprocess.run([c.o.conviz, "finish", os.path.join(c.tmp, "none.json")], env=c.env,
                       stderr=subprocess.PIPE)
    check(p.returncode == 1 and b"none.json" in p.stderr, "finish of a missing file")
    if c.o.static_prog:
        p, _ = c.record([c.o.static_prog])
        check(p.returncode == 0 and b"nothing was traced" in p.stderr
              and b"statically linked" in p.stderr, f"static program: {p.stderr!r}")


def case_valgrind(c):
    """The tracer under valgrind (memcheck): no invalid access in the core or the wrappers."""
    if not shutil.which("valgrind"):
        return SKIP
    path = os.path.join(c.tmp, "v.json")
    env = dict(c.env, LD_PRELOAD=c.o.lib, CONVIZ_OUT=path)
    p = subprocess.run(["valgrind", "-q", "--error-exitcode=99", "--trace-children=no",
                        c.o.prog, "threads", "20"], env=env, cwd=c.tmp, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    check(p.returncode == 0, f"valgrind: {p.returncode}: {p.stderr.decode()[-3000:]}")
    ev = load(path)
    check(len(named(ev, "thread.start")) == 20, "20 threads under valgrind")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("--lib", required=True)
    ap.add_argument("--prog", required=True)
    ap.add_argument("--conviz")
    ap.add_argument("--static-prog")
    ap.add_argument("--preload-first")
    o = ap.parse_args()
    if o.conviz and not os.path.exists(o.conviz):
        o.conviz = None
    fn = globals().get("case_" + o.case)
    if not fn:
        print(f"run_case.py: unknown case {o.case}", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix=f"cvz-{o.case}-")
    try:
        rc = fn(Case(o, tmp)) or 0
    except Fail as e:
        print(f"FAIL {o.case}: {e}  (files kept in {tmp})")
        return 1
    except SystemExit as e:
        rc = e.code
    shutil.rmtree(tmp, ignore_errors=True)
    print(("SKIP " if rc == SKIP else "PASS ") + o.case)
    return rc


if __name__ == "__main__":
    sys.exit(main())
