"""Lesson 14: three tasks that each wait for I/O: sequential, threads, and an event loop.

    python3 lesson14_io_models.py sequential   # one after another: the waits add up
    python3 lesson14_io_models.py threads      # one thread per task: the waits overlap
    python3 lesson14_io_models.py asyncio      # one thread, an event loop (epoll) runs them all
The "I/O" is a pipe that a helper thread answers after 0.1 s, or asyncio's own timer.
"""
import asyncio
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import _conviz

IO = 0.1


def compute():
    sum(i * i for i in range(20000))


def task(n):
    _conviz.begin("task %d" % n)
    compute()
    time.sleep(IO)          # blocking I/O: the thread waits, the GIL is free
    compute()
    _conviz.end()


async def atask(n):
    compute()
    await asyncio.sleep(IO)  # the loop runs other tasks meanwhile, blocked in epoll_wait
    compute()
    _conviz.mark("task %d done" % n)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "sequential"
    start = time.time()
    if mode == "sequential":
        for n in range(3):
            task(n)
    elif mode == "threads":
        threads = [threading.Thread(target=task, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    elif mode == "asyncio":
        async def main():
            await asyncio.gather(*(atask(n) for n in range(3)))
        asyncio.run(main())
    else:
        sys.exit("usage: lesson14_io_models.py [sequential|threads|asyncio]")
    print("%s: %.2f s" % (mode, time.time() - start))
