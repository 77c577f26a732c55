"""Lesson 10: producer/consumer with a bounded queue.Queue (the course's Productor/Consumer).

queue.Queue(maxsize) is a mutex plus the conditions not_full and not_empty, the same shape as
the C scenario.  The producer is fast and the consumer slow at first (the queue fills up and
put() blocks), then the other way round (get() blocks on an empty queue).
"""
import os
import sys
import threading
import time
from queue import Queue

sys.path.insert(0, os.path.dirname(__file__))
import _conviz

ITEMS = 12
SLOW = 0.02


class Productor(threading.Thread):
    def __init__(self, name, queue):
        super(Productor, self).__init__(name=name)
        self.queue = queue

    def run(self):
        for i in range(1, ITEMS + 1):
            if i > ITEMS // 2:
                time.sleep(SLOW)  # second half: a slow producer, the queue runs dry
            print("{} is producting {} to the queue".format(self.name, i))
            self.queue.put(i)
        print("{} finished!".format(self.name))


class Consumer(threading.Thread):
    def __init__(self, name, queue):
        super(Consumer, self).__init__(name=name)
        self.queue = queue
        self.total = 0

    def run(self):
        for i in range(1, ITEMS + 1):
            val = self.queue.get()
            self.total += val
            print("{} is consuming {} in the queue".format(self.name, val))
            if val <= ITEMS // 2:
                time.sleep(SLOW)  # first half: a slow consumer, the queue fills up
        print("{} finished!".format(self.name))


def main():
    start = time.time()
    queue = Queue(maxsize=3)
    producer = Productor('Producer', queue)
    consumer = Consumer('Consumer', queue)
    producer.start()
    consumer.start()
    producer.join()
    consumer.join()
    _conviz.mark("consumed=%d sum=%d expected_sum=%d" % (ITEMS, consumer.total,
                                                         ITEMS * (ITEMS + 1) // 2))
    print("all threads finished!, 耗时 {} 秒".format(time.time() - start))


if __name__ == "__main__":
    main()
