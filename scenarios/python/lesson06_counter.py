"""Lesson 6: a shared counter with threading.Lock (the course's 20 000 threads).

    python3 lesson06_counter.py [THREADS]          # with the lock: num == THREADS
    python3 lesson06_counter.py [THREADS] --no-lock  # the notes' race: read, sleep, write
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import _conviz

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 20000
NO_LOCK = "--no-lock" in sys.argv


def run(n):
    lock.acquire()  # 获取锁
    global num
    num += 1
    lock.release()  # 释放锁


def func():         # 没有加锁的情况 (no lock): the value is read, the thread sleeps, writes
    global num
    num1 = num
    time.sleep(0.01)
    num = num1 + 1


lock = threading.Lock()  # 实例化一个锁对象

num = 0
t_obj = []

for i in range(THREADS):
    if NO_LOCK:
        t = threading.Thread(target=func)
    else:
        t = threading.Thread(target=run, args=("t-%s" % i,))
    t.start()
    t_obj.append(t)

for t in t_obj:
    t.join()

_conviz.mark("count=%d expected=%d" % (num, THREADS))
print(f"num:{num}")
