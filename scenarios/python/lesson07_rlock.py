"""Lesson 7: threading.RLock, taken twice by the same thread (the course's MyThread)."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import _conviz

SLEEP_A = 0.2
SLEEP_B = float(sys.argv[1]) if len(sys.argv) > 1 else 0.3  # the course: 3

r_lock = threading.RLock()


class MyThread(threading.Thread):
    def __init__(self):
        threading.Thread.__init__(self)

    def run(self):
        self.fun_A()
        self.fun_B()

    def fun_A(self):
        r_lock.acquire()
        print("A加锁1", end='\t')
        r_lock.acquire()
        print('A加锁2', end='\t')
        time.sleep(SLEEP_A)
        r_lock.release()
        print('A释放1', end='\t')
        r_lock.release()
        print('A释放2')

    def fun_B(self):
        r_lock.acquire()
        print("B加锁1", end='\t')
        r_lock.acquire()
        print('B加锁2', end='\t')
        time.sleep(SLEEP_B)
        r_lock.release()
        print('B释放1', end='\t')
        r_lock.release()
        print('B释放2')


if __name__ == '__main__':
    t1 = MyThread()
    t2 = MyThread()
    t1.start()
    t2.start()
    t1.join()
    t2.join()
    _conviz.mark("both threads done")
