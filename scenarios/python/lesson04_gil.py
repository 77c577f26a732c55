"""Lesson 4 (and 2/5): CPU-bound work in 2 threads under the GIL vs 2 processes.

    python3 lesson04_gil.py threads   # the GIL: only one thread runs Python code at a time
    python3 lesson04_gil.py procs     # each process has its own GIL: they run in parallel
The threads take turns every sys.getswitchinterval() = 5 ms.
"""
import os
import sys
import threading
import time
from multiprocessing import Process

sys.path.insert(0, os.path.dirname(__file__))
import _conviz

N = int(sys.argv[2]) if len(sys.argv) > 2 else 3000000


def work():
    res = 0
    for i in range(N):
        res *= i
    _conviz.mark("work done")


if __name__ == '__main__':
    mode = sys.argv[1] if len(sys.argv) > 1 else "threads"
    if mode not in ("threads", "procs"):
        sys.exit("usage: lesson04_gil.py [threads|procs] [N]")
    print("switch interval:", sys.getswitchinterval())
    start = time.time()
    l = []
    for i in range(2):
        p = threading.Thread(target=work) if mode == "threads" else Process(target=work)
        l.append(p)
        p.start()
    for p in l:
        p.join()
    print('%s: run time is %.2f s' % (mode, time.time() - start))
