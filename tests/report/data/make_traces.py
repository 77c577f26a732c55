#!/usr/bin/env python3
# make_traces.py - writes the hand-made traces of this folder, whose answers check_report.py
# knows.  Run it after changing a scenario here; the outputs are committed (a few KB each).
import json, os
D = os.path.dirname(os.path.abspath(__file__))
PID = 4200
class T:
    def __init__(self, name, sched='none'):
        self.ev = []
        self.name = name
        self.meta(PID, 'process_name', name)
        self.inst(PID, 'process.start', 0, ppid=1, via='start', cmdline=name, exe='/bin/' + name,
                  ncpu=2, sched=sched, version=1, mono_ns=1000000000, real_ns=1700000000000000000)
    def meta(self, tid, what, name, us=0):
        # metadata carries the time the name was given (the trace's start for the process)
        self.ev.append({"ph":"M","name":what,"pid":PID,"tid":tid,"ts":1000000.0 + us,"args":{"name":name}})
    def inst(self, tid, evname, us, **args):
        self.ev.append({"ph":"i","s":"t","name":evname,"cat":"cvz","pid":PID,"tid":tid,"ts":1000000.0 + us,"args":args})
    def run(self, tid, us, dur, cpu, out):
        self.ev.append({"ph":"X","name":"RUNNING","cat":"cvz.sched","pid":PID,"tid":tid,"ts":1000000.0+us,"dur":dur,"args":{"cpu":cpu,"out":out}})
    def declare(self, tid, us, obj, kind, name):
        self.inst(tid, 'object.declare', us, obj=obj, kind=kind, name=name)
    def thread(self, tid, us, name):
        self.inst(PID, 'thread.create', us, child=tid)
        self.inst(tid, 'thread.start', us + 1, parent=PID)
        self.meta(tid, 'thread_name', name, us + 1)
    def lock(self, tid, us, obj, wait_us=0):
        if wait_us:
            self.inst(tid, 'lock.request', us, obj=obj, mode='w')
        self.inst(tid, 'lock.acquire', us + wait_us, obj=obj, mode='w', res='ok', wait_ns=int(wait_us*1000), depth=1)
    def request(self, tid, us, obj):
        self.inst(tid, 'lock.request', us, obj=obj, mode='w')
    def unlock(self, tid, us, obj, hold_us):
        self.inst(tid, 'lock.release', us, obj=obj, mode='w', hold_ns=int(hold_us*1000), depth=0)
    def end(self, us, tids, close=True):
        for t in tids:
            self.inst(t, 'thread.exit', us)
        self.inst(PID, 'process.exit', us + 1, status=0, signal=0, how='exit')
        self.close = close
    def write(self, fname, close=True):
        with open(os.path.join(D, fname), 'w') as f:
            f.write('[\n')
            for e in self.ev:
                f.write(json.dumps(e, separators=(',', ':')) + ',\n')
            if close:
                f.write(']\n')

A, B, C = '0x1000', '0x1040', '0x1080'
# counter: 3 threads x 4 acquisitions of counter_lock, each held 10us; the second round of
# thread 2 and 3 waits 5us and 7us.
t = T('counter')
t.declare(PID, 1, A, 'mutex', 'counter_lock')
for i, tid in enumerate((4201, 4202, 4203)):
    t.thread(tid, 2 + i, 'worker-%d' % (i + 1))
at = 100
for rnd in range(4):
    for i, tid in enumerate((4201, 4202, 4203)):
        w = 0
        if rnd == 1 and i == 1: w = 5
        if rnd == 1 and i == 2: w = 7
        if w:
            t.request(tid, at - w, A)
        t.inst(tid, 'lock.acquire', at, obj=A, mode='w', res='ok', wait_ns=w * 1000, depth=1)
        t.unlock(tid, at + 10, A, 10)
        at += 10
    at += 100
t.end(at + 50, (4201, 4202, 4203))
t.write('counter.json')

# abba: worker-1 takes a then b (t=100..), worker-2 takes b then a much later: no deadlock.
t = T('abba')
t.declare(PID, 1, A, 'mutex', 'lock_a'); t.declare(PID, 1, B, 'mutex', 'lock_b')
t.thread(4201, 2, 'worker-1'); t.thread(4202, 3, 'worker-2')
t.lock(4201, 100, A); t.lock(4201, 110, B); t.unlock(4201, 120, B, 10); t.unlock(4201, 130, A, 30)
t.lock(4202, 500, B); t.lock(4202, 510, A); t.unlock(4202, 520, A, 10); t.unlock(4202, 530, B, 30)
t.end(600, (4201, 4202))
t.write('abba.json')

# deadlock: worker-1 holds a and asks for b, worker-2 holds b and asks for a; the recording was
# killed (no process.exit, no closing bracket).
t = T('deadlock')
t.declare(PID, 1, A, 'mutex', 'lock_a'); t.declare(PID, 1, B, 'mutex', 'lock_b')
t.thread(4201, 2, 'worker-1'); t.thread(4202, 3, 'worker-2')
t.lock(4201, 100, A); t.lock(4202, 105, B)
t.request(4201, 110, B); t.request(4202, 120, A)
t.inst(PID, 'user.mark', 1000, text='still stuck')
t.write('deadlock.json', close=False)

# clean: both workers take a then b.
t = T('clean')
t.declare(PID, 1, A, 'mutex', 'lock_a'); t.declare(PID, 1, B, 'mutex', 'lock_b')
t.thread(4201, 2, 'worker-1'); t.thread(4202, 3, 'worker-2')
for base, tid in ((100, 4201), (500, 4202)):
    t.lock(tid, base, A); t.lock(tid, base + 10, B); t.unlock(tid, base + 20, B, 10); t.unlock(tid, base + 30, A, 30)
t.end(600, (4201, 4202))
t.write('clean.json')

# philosophers: 3 philosophers, each takes its left fork then its right one, one at a time.
t = T('philosophers')
forks = [A, B, C]
for i, f in enumerate(forks):
    t.declare(PID, 1, f, 'mutex', 'fork%d' % i)
for i in range(3):
    t.thread(4201 + i, 2 + i, 'philosopher-%d' % i)
for i in range(3):
    tid, base = 4201 + i, 100 + 100 * i
    t.lock(tid, base, forks[i]); t.lock(tid, base + 10, forks[(i + 1) % 3])
    t.unlock(tid, base + 20, forks[(i + 1) % 3], 10); t.unlock(tid, base + 30, forks[i], 30)
t.end(600, (4201, 4202, 4203))
t.write('philosophers.json')

# sched: perf-style RUNNING spans for parallelism: worker-1 runs 0..100us on cpu0, worker-2
# 50..150 on cpu1 then 150..200 on cpu0.
t = T('sched', sched='perf')
t.thread(4201, 0, 'worker-1'); t.thread(4202, 0, 'worker-2')
t.run(4201, 0, 100, 0, 'block')
t.run(4202, 50, 100, 1, 'preempt')
t.run(4202, 150, 50, 0, 'exit')
t.inst(4201, 'thread.exit', 200); t.inst(4202, 'thread.exit', 200)
t.inst(PID, 'process.exit', 200, status=0, signal=0, how='exit')
t.write('sched.json')
