#!/usr/bin/env python3
"""check.py - run a tiny program under libconviz.so and check what its trace *means*.

    check.py --lib build/lib/libconviz.so --out DIR TEST -- PROGRAM ARGS...

runs PROGRAM with LD_PRELOAD=lib and CONVIZ_OUT=DIR/TEST.json, requires exit status 0 (the
tracer must not change the program's behaviour), loads the JSON lines (tolerant of a missing
"]" and of a cut last line) and runs the check named TEST.  Checks are about meaning (counts,
order, invariants), never about timing.  Exit 0 when all assertions hold; else the first failure
is printed with the events around it.
"""
import argparse
import collections
import json
import os
import subprocess
import sys


class Trace:
    """The events of one trace, sorted by time, with a few indexes."""

    def __init__(self, path):
        self.events = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.strip().rstrip(",")
                if not line or line in "[]":
                    continue
                try:
                    self.events.append(json.loads(line))
                except json.JSONDecodeError:
                    pass  # a cut last line: the format allows it
        for e in self.events:
            e.setdefault("args", {})
            e["ns"] = round(float(e.get("ts", 0)) * 1000)
        self.events.sort(key=lambda e: e["ns"])
        self.decl = {}
        for e in self.named("object.declare"):
            self.decl.setdefault((e["pid"], e["args"]["obj"]), e["args"])

    def named(self, *names):
        return [e for e in self.events if e.get("name") in names]

    def obj_by_name(self, name):
        return [k[1] for k, a in self.decl.items() if a.get("name") == name]

    def threads_created(self):
        return [e["args"]["child"] for e in self.named("thread.create")]


def fail(msg, events=()):
    print("FAIL:", msg)
    for e in list(events)[:20]:
        print("   ", json.dumps({k: v for k, v in e.items() if k != "ns"}))
    sys.exit(1)


def expect(cond, msg, events=()):
    if not cond:
        fail(msg, events)


def lock_events(t, obj, with_cond=False):
    """Events of obj; with_cond: also the condvar waits that release and retake it (as
    lock.release / lock.acquire with "cond": true)."""
    evs = [e for e in t.named("lock.acquire", "lock.release", "lock.request")
           if e["args"].get("obj") == obj]
    if with_cond:
        for e in t.named("cond.wait", "cond.wake"):
            if e["args"].get("mutex") == obj:
                evs.append(dict(e, name="lock.release" if e["name"] == "cond.wait"
                                else "lock.acquire", args={"obj": obj, "res": "ok", "cond": True}))
    return evs


CLOCK_SKEW_NS = 200


def skew_order(evs, capacity):
    """Events of one object in time order, except that a release stamped up to CLOCK_SKEW_NS
    after an acquisition by another thread that it made possible is put before it.  A release is
    stamped before the real unlock and an acquisition after the real lock, so in one clock the
    release always comes first; the CPUs of a virtual machine disagree by a few ns (seen: 5)."""
    evs = sorted(evs, key=lambda e: (e["ns"], 0 if e["name"] == "lock.release" else 1))
    out, nheld, i = [], 0, 0
    evs = list(evs)
    while i < len(evs):
        e = evs[i]
        if e["name"] == "lock.acquire" and e["args"].get("res") == "ok" and nheld >= capacity:
            for j in range(i + 1, len(evs)):
                f = evs[j]
                if f["ns"] > e["ns"] + CLOCK_SKEW_NS:
                    break
                if f["name"] == "lock.release" and f["tid"] != e["tid"]:
                    evs.insert(i, evs.pop(j))
                    e = evs[i]
                    break
        if e["name"] == "lock.acquire" and e["args"].get("res") == "ok":
            nheld += 1
        elif e["name"] == "lock.release":
            nheld = max(0, nheld - 1)
        out.append(e)
        i += 1
    return out


def check_holds(t, obj, capacity=1):
    """Replay acquire/release of obj in time order: never more than `capacity` holders (for a
    mutex: one, and only the holder releases).  Returns (acquisitions, releases, max holders)."""
    held = collections.Counter()
    nheld = maxheld = nacq = nrel = 0
    evs = skew_order(lock_events(t, obj, with_cond=True), capacity)
    for i, e in enumerate(evs):
        a = e["args"]
        if e["name"] == "lock.acquire" and a.get("res") == "ok":
            nacq += 0 if a.get("cond") else 1
            held[e["tid"]] += 1
            nheld += 1
            maxheld = max(maxheld, nheld)
            expect(nheld <= capacity, f"{obj}: {nheld} holders at once (capacity {capacity})",
                   evs[max(0, i - 6):i + 1])
        elif e["name"] == "lock.release":
            nrel += 0 if a.get("cond") else 1
            if capacity == 1:
                expect(held[e["tid"]] > 0, f"{obj}: released by a thread that does not hold it",
                       evs[max(0, i - 6):i + 1])
            if held[e["tid"]] > 0:
                held[e["tid"]] -= 1
            elif held:
                # a semaphore posted by another thread: some holder gave a unit back
                other = next((k for k, v in held.items() if v > 0), None)
                if other is not None:
                    held[other] -= 1
            nheld = max(0, nheld - 1)
    return nacq, nrel, maxheld


# ==== the checks ==============================================================================

def check_locks(t, args):
    check_lifetimes(t)
    nthreads, nlocks, rounds = (int(x) for x in args[:3])
    mutexes = [o for (pid, o), a in t.decl.items() if a["kind"] == "mutex"]
    expect(len(mutexes) == nlocks, f"{nlocks} mutexes declared, saw {len(mutexes)}: {mutexes}")
    expect(t.obj_by_name("counter_lock"), "the static counter_lock is named counter_lock",
           t.named("object.declare"))
    heap = [a["name"] for a in t.decl.values() if a["name"].startswith("mutex@")]
    expect(len(heap) == nlocks - 1 and all(n == "mutex@worker" for n in heap),
           f"heap mutexes are named after their first user (mutex@worker): {heap}")
    for o in mutexes:
        nacq, nrel, _ = check_holds(t, o)
        expect(nacq == nthreads * rounds, f"{o}: {nacq} acquisitions, want {nthreads * rounds}")
        expect(nrel == nacq, f"{o}: {nacq} acquisitions but {nrel} releases")
    for e in t.named("lock.acquire"):
        if e["args"]["wait_ns"] > 0:
            # a contended acquisition follows its own request
            pass
    reqs = collections.Counter((e["tid"], e["args"]["obj"]) for e in t.named("lock.request"))
    waits = collections.Counter((e["tid"], e["args"]["obj"]) for e in t.named("lock.acquire")
                                if e["args"].get("wait_ns", 0) > 0)
    expect(all(waits[k] <= reqs[k] for k in waits), "an acquisition that waited has a request")
    expect(not t.named("trace.lost"), "no events lost", t.named("trace.lost"))


def check_recursive(t, args):
    objs = t.obj_by_name("rec_lock")
    expect(len(objs) == 1, "rec_lock declared once")
    evs = [e for e in lock_events(t, objs[0]) if e["name"] != "lock.request"]
    got = [(e["name"], e["args"]["depth"]) for e in evs]
    want = [("lock.acquire", 1), ("lock.acquire", 2), ("lock.acquire", 3),
            ("lock.release", 2), ("lock.release", 1), ("lock.release", 0)]
    expect(got == want, f"depths {got}, want {want}", evs)
    expect(evs[-1]["args"]["hold_ns"] >= evs[3]["args"]["hold_ns"] > 0,
           "the outermost release holds longest")


def check_prodcons(t, args):
    check_lifetimes(t)
    items = int(args[0])
    waits, wakes = t.named("cond.wait"), t.named("cond.wake")
    sigs = t.named("cond.signal", "cond.broadcast")
    expect(waits and wakes and sigs, "cond.wait, cond.wake and cond.signal are all present")
    expect(len(waits) == len(wakes), f"{len(waits)} waits but {len(wakes)} wakes")
    for w in wakes:
        if w["args"]["res"] != "ok":
            continue
        before = [s for s in sigs if s["args"]["obj"] == w["args"]["obj"] and s["ns"] <= w["ns"]]
        expect(before, "every ok wake comes after a signal/broadcast of its condvar", [w])
        wait = [x for x in waits if x["tid"] == w["tid"] and x["ns"] <= w["ns"]]
        expect(wait and wait[-1]["args"]["obj"] == w["args"]["obj"]
               and wait[-1]["args"]["mutex"] == w["args"]["mutex"],
               "a wake matches its thread's wait (same condvar and mutex)", [w])
    names = {t.decl[(e["pid"], e["args"]["obj"])]["name"] for e in waits}
    expect(names == {"not_empty"} or names == {"not_empty", "not_full"},
           f"condvars named by symbol: {names}")
    m = t.obj_by_name("queue_lock")
    expect(m, "queue_lock declared")
    nacq, nrel, _ = check_holds(t, m[0])
    expect(nacq >= 2 * items, f"queue_lock acquired at least {2 * items} times ({nacq})")


def check_sem(t, args):
    check_lifetimes(t)
    cap, nthreads, rounds = (int(x) for x in args[:3])
    objs = [o for (pid, o), a in t.decl.items() if a["kind"] == "sem"]
    expect(len(objs) == 1, f"one semaphore declared: {objs}")
    nacq, nrel, maxheld = check_holds(t, objs[0], capacity=cap)
    expect(nacq == nthreads * rounds, f"{nacq} acquisitions, want {nthreads * rounds}")
    expect(nrel == nacq, f"{nacq} acquisitions, {nrel} posts")
    for e in lock_events(t, objs[0]):
        if e["name"] != "lock.request":
            expect("count" in e["args"] and 0 <= e["args"]["count"] <= cap,
                   "semaphore events carry the count", [e])


def check_barrier(t, args):
    nthreads, rounds = (int(x) for x in args[:2])
    leaves = collections.defaultdict(list)
    for e in t.named("barrier.leave"):
        leaves[e["tid"]].append(e["args"]["serial"])
    expect(len(leaves) == nthreads and all(len(v) == rounds for v in leaves.values()),
           f"{nthreads} threads each leave {rounds} times: {dict(leaves)}")
    for r in range(rounds):
        serial = sum(v[r] for v in leaves.values())
        expect(serial == 1, f"round {r}: {serial} serial threads, want exactly 1")
    expect(len(t.named("barrier.wait")) == nthreads * rounds, "one barrier.wait per arrival")


def check_join(t, args):
    created = t.threads_created()
    expect(len(created) == 2, f"two threads created: {created}")
    joins = [e for e in t.named("block.begin") if e["args"].get("reason") == "join"]
    ends = [e for e in t.named("block.end") if e["args"].get("reason") == "join"]
    expect(len(joins) == 1 and len(ends) == 1, "one join", joins + ends)
    expect(joins[0]["args"]["target"] in created, "join names the created thread", joins)
    expect(ends[0]["args"]["target"] == joins[0]["args"]["target"], "join end names it too", ends)
    exits = [e for e in t.named("thread.exit") if e["tid"] == joins[0]["args"]["target"]]
    expect(exits and exits[0]["ns"] <= ends[0]["ns"], "the join returns after the thread exits")
    det = t.named("thread.detach")
    expect(len(det) == 1 and det[0]["args"]["target"] in created
           and det[0]["args"]["target"] != joins[0]["args"]["target"],
           "detach names the other thread", det)


def check_oldcond(t, args):
    waits, wakes = t.named("cond.wait"), t.named("cond.wake")
    expect(waits and waits[0]["args"]["timed"] == 1, "a timed cond.wait first", waits)
    expect(wakes and wakes[0]["args"]["res"] == "timeout", "it times out", wakes)
    expect(all(w["args"]["res"] == "ok" for w in wakes[1:]) and len(waits) == len(wakes),
           "the untimed waits are woken", wakes)
    expect(len(t.named("object.destroy")) == 1, "pthread_cond_destroy@GLIBC_2.2.5 is seen")


def check_sleep(t, args):
    b = [e for e in t.named("block.begin") if e["args"].get("reason") == "sleep"]
    fns = collections.Counter(e["args"]["fn"] for e in b)
    expect(fns == {"nanosleep": 1, "usleep": 1, "clock_nanosleep": 2},
           f"sleeps by function: {dict(fns)}", b)
    for e in b:
        a = e["args"]
        if a["fn"] == "nanosleep":
            expect(a["ns"] == 20000000, "nanosleep asks 20 ms", [e])
        if a["fn"] == "usleep":
            expect(a["ns"] == 10000000, "usleep asks 10 ms", [e])
        if a["fn"] == "clock_nanosleep":
            expect(0 < a["ns"] <= 30000000, "clock_nanosleep (absolute) becomes <= 30 ms", [e])
    ends = [e for e in t.named("block.end") if e["args"].get("reason") == "sleep"]
    expect(len(ends) == len(b), "every sleep ends")
    sleeper = {e["tid"] for e in b}
    expect(len(sleeper) == 1 and sleeper != {e["pid"] for e in b}, "a thread (not main) sleeps")


def check_pipe(t, args):
    nmsg = int(args[0])
    io = [e for e in t.named("block.begin") if e["args"].get("reason") == "io"
          and e["args"].get("fn") in ("read", "write") and e["args"].get("fdkind") == "pipe"]
    reads = [e for e in io if e["args"]["fn"] == "read"]
    writes = [e for e in io if e["args"]["fn"] == "write"]
    expect(len(writes) == nmsg and len(reads) >= nmsg, f"{len(writes)} writes, {len(reads)} reads")
    inodes = {e["args"]["inode"] for e in io}
    expect(len(inodes) == 1 and 0 not in inodes, f"one pipe inode, shared: {inodes}", io)
    expect({e["tid"] for e in reads}.isdisjoint({e["tid"] for e in writes}),
           "reader and writer are different threads")
    files = [e for e in t.named("block.begin") if e["args"].get("fdkind") == "file"]
    expect(files, "a regular file read is fdkind file")


def check_socket(t, args):
    nmsg = int(args[0])
    io = [e for e in t.named("block.begin") if e["args"].get("reason") == "io"]
    by_fn = collections.defaultdict(list)
    for e in io:
        by_fn[e["args"]["fn"]].append(e)
    expect(len(by_fn["send"]) == nmsg and len(by_fn["recv"]) == nmsg
           and len(by_fn["poll"]) == nmsg, f"send/recv/poll counts: "
           f"{ {k: len(v) for k, v in by_fn.items()} }")
    for fn in ("send", "recv", "poll"):
        kinds = {e["args"].get("fdkind") for e in by_fn[fn]}
        expect(kinds == {"socket"}, f"{fn} on a socket: {kinds}", by_fn[fn])
        inodes = {e["args"].get("inode") for e in by_fn[fn]}
        expect(len(inodes) == 1 and 0 not in inodes, f"{fn}: one socket inode {inodes}")
    ends = [e for e in t.named("block.end") if e["args"].get("fn") == "recv"]
    expect(all(e["args"]["res"] == 1 for e in ends), "each recv returns 1 byte", ends)


def check_signal(t, args):
    acq = [e for e in t.named("lock.acquire") if e["args"].get("res") == "eintr"]
    expect(len(acq) >= 1, "sem_wait interrupted by a signal: res eintr", t.named("lock.acquire"))
    req = [e for e in t.named("lock.request") if e["tid"] == acq[0]["tid"]]
    expect(req, "the interrupted wait had a request")
    inside = [e for e in t.named("block.begin")
              if e["args"].get("fn") == "write" and req[0]["ns"] <= e["ns"] <= acq[0]["ns"]
              and e["tid"] == acq[0]["tid"]]
    expect(inside, "the handler's write() inside the wait is traced", t.named("block.begin"))
    ok = [e for e in t.named("lock.acquire") if e["args"].get("res") == "ok"
          and e["args"]["obj"] == acq[0]["args"]["obj"]]
    expect(len(ok) == 1, "the retry acquires")
    expect(len(t.named("lock.release")) == 1, "one post")


def check_rwlock(t, args):
    check_lifetimes(t)
    objs = t.obj_by_name("table_lock")
    expect(len(objs) == 1, "table_lock declared")
    evs = skew_order(lock_events(t, objs[0]), 1)  # (writers; readers overlap freely)
    readers = writers = maxr = 0
    for i, e in enumerate(evs):
        a = e["args"]
        if e["name"] == "lock.acquire" and a["res"] == "ok":
            if a["mode"] == "r":
                readers += 1
                maxr = max(maxr, readers)
            else:
                writers += 1
            expect(writers == 0 or (writers == 1 and readers == 0),
                   "a writer holds the rwlock alone", evs[max(0, i - 6):i + 1])
        elif e["name"] == "lock.release":
            if a["mode"] == "r":
                readers -= 1
            else:
                writers -= 1
    modes = collections.Counter(e["args"]["mode"] for e in evs if e["name"] == "lock.release")
    expect(modes["r"] > 0 and modes["w"] > 0, f"releases in both modes: {dict(modes)}")


def check_wait(t, args):
    forks = t.named("process.fork")
    expect(len(forks) == 1, "one fork", forks)
    child = forks[0]["args"]["child"]
    b = [e for e in t.named("block.begin") if e["args"].get("reason") == "child"]
    e = [x for x in t.named("block.end") if x["args"].get("reason") == "child"]
    expect(len(b) == 1 and b[0]["args"]["target"] == child, "waitpid asks for the child", b)
    expect(len(e) == 1 and e[0]["args"]["target"] == child
           and e[0]["args"]["status"] == 7 << 8, "waitpid reaps the child with status 7", e)


def check_semopen(t, args):
    decl = [a | {"pid": k[0]} for k, a in t.decl.items() if a["kind"] == "sem"]
    pids = {a["pid"] for a in decl}
    expect(len(pids) == 2, f"the semaphore is declared in parent and child: {decl}")
    expect(all(a["name"].startswith("/cvz-test-") for a in decl), f"by its name: {decl}")
    keys = {a.get("shared") for a in decl}
    expect(len(keys) == 1 and None not in keys, f"with one shared key: {decl}")
    posts = t.named("lock.release")
    expect(len(posts) == 1 and posts[0]["pid"] != t.named("process.start")[0]["pid"],
           "the child posts", posts)


def check_timeouts(t, args):
    check_lifetimes(t)
    held = t.obj_by_name("held_lock")
    expect(len(held) == 1, "held_lock declared")
    acq = [e for e in t.named("lock.acquire") if e["args"]["obj"] == held[0]]
    res = collections.Counter(e["args"]["res"] for e in acq)
    expect(res["busy"] == 1 and res["timeout"] == 1, f"held_lock results: {dict(res)}", acq)
    to = next(e for e in acq if e["args"]["res"] == "timeout")
    req = [e for e in t.named("lock.request") if e["tid"] == to["tid"]
           and e["args"]["obj"] == held[0] and e["ns"] <= to["ns"]]
    expect(req and to["args"]["wait_ns"] > 0, "the timed-out lock was requested and waited", acq)
    sem = t.obj_by_name("empty_sem")
    sacq = [e for e in t.named("lock.acquire") if sem and e["args"]["obj"] == sem[0]]
    expect(len(sacq) == 1 and sacq[0]["args"]["res"] == "timeout"
           and sacq[0]["args"]["count"] == 0, "sem_timedwait times out, count 0", sacq)
    wakes = t.named("cond.wake")
    expect(len(wakes) == 1 and wakes[0]["args"]["res"] == "timeout", "cond timedwait", wakes)
    spin = t.obj_by_name("spin_lock")
    expect(len(spin) == 1 and t.decl[(t.events[0]["pid"], spin[0])]["kind"] == "spin",
           "spin_lock declared as a spinlock")
    nacq, nrel, _ = check_holds(t, spin[0])
    expect(nacq == 2000 and nrel == 2000, f"spin_lock: {nacq} acquisitions, {nrel} releases")
    expect([e for e in t.named("object.destroy") if e["args"]["obj"] == spin[0]],
           "pthread_spin_destroy is an object.destroy")


def check_many(t, args):
    n = int(args[0])
    check_lifetimes(t)
    cl = t.obj_by_name("counter_lock")
    expect(len(cl) == 1, "counter_lock declared once")
    nacq, nrel, _ = check_holds(t, cl[0])
    expect(nacq == n and nrel == n, f"counter_lock: {nacq} acquisitions, {nrel} releases")
    mine = {k for k, a in t.decl.items() if a["name"] == "mutex@worker"}
    destroys = t.named("object.destroy")
    expect(len(destroys) == n, f"{n} stack mutexes destroyed: {len(destroys)}")
    # every acquisition of a stack mutex follows a declaration of that address, after the last
    # destroy at that address (a new object at an old address is declared again)
    last = {}
    for e in t.events:
        o = e["args"].get("obj")
        if e["name"] == "object.declare":
            last[o] = "declared"
        elif e["name"] == "object.destroy":
            last[o] = "destroyed"
        elif e["name"] == "lock.acquire" and o != cl[0]:
            expect(last.get(o) == "declared", "a reused address is declared again", [e])
    expect(len(mine) >= 1, "stack mutexes are named mutex@worker")
    threads = {e["tid"] for e in t.named("lock.acquire")}
    expect(len(threads) == n, f"{n} threads took locks: {len(threads)}")


def check_lifetimes(t):
    """Per object: declared before any other event, and never declared twice while alive.
    Not checkable when events were lost (a ring overflowed: counted, as the format says)."""
    if t.named("trace.lost"):
        return
    alive = {}
    for e in t.events:
        o = e["args"].get("obj")
        if o is None or not e["name"].startswith(("object.", "lock.", "cond.", "barrier.")):
            continue
        key = (e["pid"], o)
        if e["name"] == "object.declare":
            expect(not alive.get(key), f"{o} declared twice while alive", [e])
            alive[key] = True
        elif e["name"] == "object.destroy":
            alive[key] = False
        else:
            expect(alive.get(key), f"{o}: {e['name']} of an undeclared object", [e])


def check_handoff(t, args):
    rounds = int(args[0])
    check_lifetimes(t)
    expect(len(t.named("object.destroy")) == rounds, "one destroy per round")
    posts = t.named("lock.release")
    acq = [e for e in t.named("lock.acquire") if e["args"]["res"] == "ok"]
    expect(len(posts) == rounds and len(acq) == rounds, f"{len(posts)} posts, {len(acq)} waits")


def check_cxx(t, args):
    check_lifetimes(t)
    m = t.obj_by_name("queue_mutex")
    expect(len(m) == 1, "std::mutex queue_mutex named by its symbol", t.named("object.declare"))
    nacq, nrel, _ = check_holds(t, m[0])
    expect(nacq >= 100 and nrel == nacq, f"queue_mutex: {nacq} acquisitions, {nrel} releases")
    cv = t.obj_by_name("queue_ready")
    expect(cv and t.named("cond.signal"), "condition_variable queue_ready signalled")
    expect(len(t.named("cond.wait")) == len(t.named("cond.wake")), "every wait wakes")
    joins = [e for e in t.named("block.begin") if e["args"].get("reason") == "join"]
    expect(len(joins) == 1 and joins[0]["args"]["target"] in t.threads_created(),
           "std::thread::join names the thread", joins)
    sleeps = [e for e in t.named("block.begin") if e["args"].get("reason") == "sleep"]
    expect(len(sleeps) == 5 and all(e["args"]["ns"] == 2000000 for e in sleeps),
           "sleep_for(2ms) five times", sleeps)


def check_dlopen(t, args):
    expect(t.obj_by_name("plugin_lock"), "the dlopened library's static lock is named",
           t.named("object.declare"))
    expect([a for a in t.decl.values() if a["name"] == "mutex@main"], "the heap lock is mutex@main")


def check_errno(t, args):
    # the program checks errno itself; here: its calls were traced
    expect(t.obj_by_name("first_lock"), "first_lock declared")
    ends = [e for e in t.named("block.end") if e["args"].get("fn") in ("read", "write")]
    expect(sorted(e["args"]["res"] for e in ends) == [-1, -1, 1, 1], "two IO ok, two EBADF", ends)


def check_annotate(t, args):
    names = [e["args"]["name"] for e in t.named("thread_name")]
    expect("producer" in names and "pthread-named" in names and "prctl-named" in names,
           f"thread names: {names}")
    by_main = [e for e in t.named("thread_name") if e["args"]["name"] == "by-main"]
    created = t.threads_created()
    expect(len(by_main) == 1 and by_main[0]["tid"] == created[-1],
           f"a name given by main to another thread is that thread's (tid {created[-1]})", by_main)
    expect(t.obj_by_name("my queue"), "object named by the API")
    marks = [e["args"]["text"] for e in t.named("user.mark")]
    expect(marks == ['checkpoint "1"'], f"marks: {marks}")
    expect(len(t.named("user.begin")) == 2 and len(t.named("user.end")) == 2, "two regions")
    sw = t.named("coro.switch")
    expect([e["args"].get("to") for e in sw] == [3, 0], "coroutine 3, then back to 0", sw)


def check_python(t, args):
    check_lifetimes(t)
    gil = t.obj_by_name("GIL")
    expect(gil, "the GIL mutex is declared with name GIL",
           [e for e in t.named("object.declare")][:20])
    expect(t.obj_by_name("GIL.cond"), "the GIL condvar is declared")
    kinds = {t.decl[k]["kind"] for k in t.decl if k[1] in gil}
    expect(kinds == {"mutex"}, f"GIL is a mutex: {kinds}")
    sems = [k[1] for k, a in t.decl.items() if a["kind"] == "sem"]
    acq = [e for e in t.named("lock.acquire") if e["args"]["obj"] in sems]
    expect(len(acq) >= int(args[0]), f"threading.Lock is a sem: {len(acq)} acquisitions")
    gwaits = [e for e in t.named("cond.wait") if e["args"]["obj"] in t.obj_by_name("GIL.cond")]
    expect(gwaits, "threads wait for the GIL on GIL.cond")


CHECKS = {name[6:]: fn for name, fn in globals().items() if name.startswith("check_")}


def preload_list(lib):
    """LD_PRELOAD for lib: a sanitizer build of the library needs its runtime first in the list
    (the traced program, e.g. /usr/bin/python3, is not instrumented)."""
    lib = os.path.abspath(lib)
    try:
        out = subprocess.run(["ldd", lib], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    runtimes = [w.split("=>")[1].split()[0] for w in out.splitlines()
                if "=>" in w and any(r in w for r in ("libasan.so", "libubsan.so"))
                and len(w.split("=>")[1].split()) > 1]
    return " ".join(runtimes + [lib])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lib", required=True, help="path of libconviz.so")
    ap.add_argument("--out", required=True, help="directory for the trace")
    ap.add_argument("--args", default="", help="arguments of the check (space separated)")
    ap.add_argument("--wrap", default="", help="command to run the program under (valgrind ...)")
    ap.add_argument("--name", default="", help="trace file name (default: the check's name)")
    ap.add_argument("test", choices=sorted(CHECKS))
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    opt = ap.parse_args()
    cmd = opt.cmd[1:] if opt.cmd[:1] == ["--"] else opt.cmd
    if not cmd:
        ap.error("no program to run (after --)")
    os.makedirs(opt.out, exist_ok=True)
    trace = os.path.join(opt.out, f"{opt.name or opt.test}.json")
    if os.path.exists(trace):
        os.unlink(trace)
    # 1 MiB rings per thread (a sparse file: only what is written costs), so that bursts on a
    # loaded machine are not lost; check_lifetimes skips traces that lost events anyway.
    env = dict(os.environ, LD_PRELOAD=preload_list(opt.lib), CONVIZ_OUT=trace, CONVIZ_QUIET="1",
               CONVIZ_BUFFER="1M")
    if "libasan" in env["LD_PRELOAD"]:
        # leaks of the traced program (python3 keeps its heap at exit) are not ours to report
        env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
    full = opt.wrap.split() + cmd if opt.wrap else cmd
    proc = subprocess.run(full, env=env, timeout=120)
    expect(proc.returncode == 0, f"{' '.join(full)} exited with {proc.returncode}")
    expect(os.path.exists(trace), f"no trace written at {trace}")
    CHECKS[opt.test](Trace(trace), opt.args.split())
    print(f"ok: {opt.test} ({trace})")


if __name__ == "__main__":
    main()
