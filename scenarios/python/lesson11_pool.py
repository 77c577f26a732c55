"""Lesson 11: Pool(3) running 10 tasks: ThreadPoolExecutor and multiprocessing.Pool.

    python3 lesson11_pool.py threads   # concurrent.futures.ThreadPoolExecutor(max_workers=3)
    python3 lesson11_pool.py procs     # multiprocessing.Pool(3) with apply_async, close, join
"""
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool

sys.path.insert(0, os.path.dirname(__file__))
import _conviz


def long_time_task(i):
    _conviz.begin("task %d" % i)
    print("子进程:{} - 任务: {}".format(os.getpid(), i))
    time.sleep((i % 3 + 1) * 0.005)
    _conviz.mark("task %d done" % i)
    _conviz.end()
    return i * i


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "threads"
    start = time.time()
    if mode == "threads":
        with ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(long_time_task, range(10)))
    elif mode == "procs":
        po = Pool(3)  # 定义一个进程池,最大进程数3
        futures = [po.apply_async(long_time_task, (i,)) for i in range(0, 10)]
        print("等待所有pool子进程完成")
        po.close()
        po.join()
        results = [f.get() for f in futures]
    else:
        sys.exit("usage: lesson11_pool.py [threads|procs]")
    _conviz.mark("tasks=10 workers=3 results_sum=%d expected=285" % sum(results))
    print("耗时:{}秒".format(time.time() - start))
