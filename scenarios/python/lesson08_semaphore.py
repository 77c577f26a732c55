"""Lesson 8: threading.Semaphore(3) with 10 threads (the course's example, shorter sleeps)."""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import _conviz

UNIT = float(sys.argv[1]) if len(sys.argv) > 1 else 0.05  # the course: 1 second

# 创建信号量对象,信号量设置为3
semaphore = threading.Semaphore(3)
inside = 0
most_inside = 0
count_lock = threading.Lock()


def func():
    global inside, most_inside
    # 获取信号 -1
    if semaphore.acquire():
        with count_lock:
            inside += 1
            most_inside = max(most_inside, inside)
        print(threading.current_thread().name + '获得信号量')
        time.sleep(random.randint(1, 5) * UNIT)
        with count_lock:
            inside -= 1
        # 释放信号 +1
        semaphore.release()


threads = []
for i in range(10):
    t1 = threading.Thread(target=func)
    t1.start()
    threads.append(t1)
for t in threads:
    t.join()
_conviz.mark("most_inside=%d slots=3" % most_inside)
print("at most %d threads inside" % most_inside)
