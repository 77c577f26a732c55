"""Lesson 5: CPU-bound -> processes, IO-bound -> threads (the course's timing lesson).

    python3 lesson05_cpu_io.py cpu-procs    # 4 processes computing: parallel
    python3 lesson05_cpu_io.py cpu-threads  # 4 threads computing: they share one GIL
    python3 lesson05_cpu_io.py io-threads   # 10 threads waiting on I/O: the waits overlap
"""
import os
import sys
import threading
import time
from multiprocessing import Process

sys.path.insert(0, os.path.dirname(__file__))
import _conviz

N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000  # the course: 10000000


def work():                       # CPU-bound
    res = 0
    for i in range(N):
        res *= i
    _conviz.mark("work done")


def io_work():                    # IO-bound: the GIL is released while sleeping
    time.sleep(0.2)


if __name__ == '__main__':
    mode = sys.argv[1] if len(sys.argv) > 1 else "cpu-procs"
    kinds = {"cpu-procs": (Process, work, 4), "cpu-threads": (threading.Thread, work, 4),
             "io-threads": (threading.Thread, io_work, 10)}
    if mode not in kinds:
        sys.exit("usage: lesson05_cpu_io.py [cpu-procs|cpu-threads|io-threads] [N]")
    kind, target, count = kinds[mode]
    print(os.cpu_count())
    start = time.time()
    l = []
    for i in range(count):
        p = kind(target=work if target is work else io_work)
        l.append(p)
        p.start()
    for p in l:
        p.join()
    stop = time.time()
    _conviz.mark("%s done" % mode)
    print('%s: run time is %s' % (mode, stop - start))
