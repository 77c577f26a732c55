"""Lesson 12: daemon threads and processes end with the main program.

    python3 lesson12_daemon.py thread   # the course's loop(6) thread, daemon=True, not joined
    python3 lesson12_daemon.py join     # the same thread joined: all 6 steps run
    python3 lesson12_daemon.py process  # the course's p1 (daemon) and p2 processes
"""
import os
import sys
import threading
import time
from multiprocessing import Process

sys.path.insert(0, os.path.dirname(__file__))
import _conviz

STEP = 0.03  # the course: 1 second


def loop(x):
    print("%s start" % threading.current_thread().name)
    for i in range(x):
        time.sleep(STEP)
        print("%s:%d" % (threading.current_thread().name, i))
        _conviz.mark("step %d" % i)
    print("%s stop" % threading.current_thread().name)


def foo():
    print(123)
    time.sleep(STEP * 2)
    print("end123")
    _conviz.mark("end123")


def bar():
    print(456)
    time.sleep(STEP * 4)
    print("end456")
    _conviz.mark("end456")


if __name__ == '__main__':
    mode = sys.argv[1] if len(sys.argv) > 1 else "thread"
    if mode in ("thread", "join"):
        print("%s start" % threading.current_thread().name)
        t1 = threading.Thread(target=loop, args=(6,))
        t1.daemon = mode == "thread"  # 守护线程: ends when the main thread ends
        t1.start()
        if mode == "join":
            t1.join()  # 主线程等待子线程执行完
        else:
            time.sleep(STEP * 2.5)
        print("%s stop" % threading.current_thread().name)
        _conviz.mark("main ends")
    elif mode == "process":
        p1 = Process(target=foo)
        p2 = Process(target=bar)
        p1.daemon = True
        p1.start()
        p2.start()
        print("main-------")  # the main's code ends here: the daemon p1 is terminated
        _conviz.mark("main ends")
    else:
        sys.exit("usage: lesson12_daemon.py [thread|join|process]")
