"""t_python.py - CPython threads through the system python3: two CPU-bound threads fight for the
GIL (which must be declared as "GIL"), and a threading.Lock (a sem_t) guards a counter."""
import threading

lock = threading.Lock()
counter = 0


def spin(n):
    global counter
    x = 0
    for i in range(n):
        x += i * i
        if i % 1000 == 0:
            with lock:
                counter += 1
    return x


threads = [threading.Thread(target=spin, args=(300000,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert counter == 600, counter
