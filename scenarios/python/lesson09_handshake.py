"""Lesson 9: Semaphore(0) synchronising a producer and a consumer (the course's example)."""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import _conviz

WORK = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1  # the course: 3 seconds

# 同步两个不同线程,信号量被初始化为0
semaphore = threading.Semaphore(0)
item = None


def consumer():
    print("----等待producer运行----")
    semaphore.acquire()  # 获取资源,信号量为0被挂起,等待信号量释放
    print("----consumer 结束--- 编号:%s" % item)
    _conviz.mark("consumed item=%s" % item)


def producer():
    global item
    time.sleep(WORK)
    item = random.randint(0, 100)
    print("producer运行编号:%s" % item)
    semaphore.release()


if __name__ == "__main__":
    for i in range(0, 4):
        t1 = threading.Thread(target=producer)
        t2 = threading.Thread(target=consumer)
        t1.start()
        t2.start()
        t1.join()
        t2.join()
    print('程序终止')
