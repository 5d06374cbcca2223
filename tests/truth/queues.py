"""queues.py - how big are Python's queues by default, and what is behind
multiprocessing.Queue?

Usage: python3 queues.py

queue.Queue() has maxsize 0, which means no bound (Lib/queue.py). A
multiprocessing.Queue() is a pipe plus a feeder thread that the first
put() starts (Lib/multiprocessing/queues.py, _start_thread): put() hands
the object to the thread and returns, so it never blocks on a full pipe.
Here 2000 items of 1000 bytes, 2 MB, far more than a pipe holds, are put
with block=False while nobody reads, then read back:

    queue.Queue maxsize 0 put 100000 full never
    multiprocessing.Queue threads +1 QueueFeederThread put 2000 full never got 2000

Used by tests/truth.sh (lessons 8 and 13).
"""
import multiprocessing
import queue
import threading

if __name__ == "__main__":
    q = queue.Queue()
    full = "never"
    try:
        for i in range(100000):
            q.put_nowait(i)
    except queue.Full:
        full = f"after {i}"
    print(f"queue.Queue maxsize {q.maxsize} put {q.qsize()} full {full}")

    mq = multiprocessing.Queue()
    before = {t.name for t in threading.enumerate()}
    full, put = "never", 0
    try:
        for i in range(2000):
            mq.put(b"x" * 1000, block=False)
            put += 1
    except queue.Full:
        full = f"after {put}"
    new = sorted(t.name for t in threading.enumerate() if t.name not in before)
    got = 0
    for _ in range(put):
        mq.get(timeout=10)
        got += 1
    print(f"multiprocessing.Queue threads +{len(new)} {' '.join(new)} put {put} full {full} got {got}")
