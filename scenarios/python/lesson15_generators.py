"""Lesson 15: the course's generator ping-pong: A and B take turns inside one thread.

One OS thread: the switches between A and B are Python's `yield`/`next`, invisible to the
operating system (and to the tracer's thread lanes); the marks show the alternation.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import _conviz

PAUSE = 0.04   # the course: 0.5
ROUNDS = 6     # the course: forever


def A():
    while True:
        print("----A---")
        _conviz.mark("A")
        yield
        time.sleep(PAUSE)


def B(c):
    for _ in range(ROUNDS):
        print("----B---")
        _conviz.mark("B")
        next(c)
        time.sleep(PAUSE)


if __name__ == '__main__':
    a = A()
    B(a)
    _conviz.mark("rounds=%d" % ROUNDS)
