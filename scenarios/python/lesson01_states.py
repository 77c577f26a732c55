"""Lesson 1: the three process states (the course's first example).

The program starts READY (waiting to be scheduled), RUNS, BLOCKS on input(), becomes READY
when a line arrives, RUNS, BLOCKS in time.sleep(1), RUNS and ends.
Run it in a terminal and type a line; or feed it: echo hello | python3 lesson01_states.py
"""
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
import _conviz

SLEEP = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0

print('程序开始运行')       # the program starts running
sum(i * i for i in range(300000))  # RUNNING: some work
name = input('>>>')         # BLOCKED: waiting for the user's input
print(name)                 # READY, then RUNNING
time.sleep(SLEEP)           # BLOCKED: sleeping
print('程序运行结束')       # RUNNING, then the end
_conviz.mark("done")
