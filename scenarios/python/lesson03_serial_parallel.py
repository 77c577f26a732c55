"""Lessons 2/3: the same CPU-bound tasks one after another (serial) or at once in processes
(parallel: each process has its own GIL, so they can use several CPUs).

    python3 lesson03_serial_parallel.py serial
    python3 lesson03_serial_parallel.py parallel
"""
import os
import sys
import time
from multiprocessing import Barrier, Process

sys.path.insert(0, os.path.dirname(__file__))
import _conviz

N = int(sys.argv[2]) if len(sys.argv) > 2 else 400000


def work(k, start_line=None):
    if start_line:
        start_line.wait()          # the parallel tasks start together
    res = 0
    for i in range(N):
        res *= i
    _conviz.mark("task %d done" % k)


if __name__ == '__main__':
    mode = sys.argv[1] if len(sys.argv) > 1 else "serial"
    start = time.time()
    if mode == "serial":           # 串行: one after another
        for k in range(3):
            work(k)
    elif mode == "parallel":       # 并行: all at once, one process each
        start_line = Barrier(3)
        l = [Process(target=work, args=(k, start_line)) for k in range(3)]
        for p in l:
            p.start()
        for p in l:
            p.join()
    else:
        sys.exit("usage: lesson03_serial_parallel.py [serial|parallel] [N]")
    print('%s: run time is %.2f s' % (mode, time.time() - start))
