"""Lesson 17: multiprocessing.Queue between a writer and a reader process (the course's code)."""
import os
import sys
import time
from multiprocessing import Process, Queue

sys.path.insert(0, os.path.dirname(__file__))
import _conviz

PAUSE = 0.03  # the course: 0.5


def write(q):
    for i in ['A', 'B', 'C', 'D', 'E']:
        print('Put %s to queue' % i)
        q.put(i)
        time.sleep(PAUSE)


def read(q):
    got = 0
    while True:
        v = q.get(True)
        print('get %s from queue' % v)
        _conviz.mark("got %s" % v)
        got += 1
        if got == 5:      # the course's reader loops forever and is terminated
            _conviz.mark("items=5")
            return


if __name__ == '__main__':
    q = Queue()
    pw = Process(target=write, args=(q,))
    pr = Process(target=read, args=(q,))
    print('write process = ', pw)
    print('read  process = ', pr)
    pw.start()
    pr.start()
    pw.join()
    pr.join()
    pr.terminate()
    pw.terminate()
