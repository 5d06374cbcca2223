"""mp-value.py - where does multiprocessing.Value keep its number?

Usage: python3 mp-value.py

CPython's POSIX heap (Lib/multiprocessing/heap.py, class Arena) makes a
temporary file in /dev/shm (if it has room, else in the temp folder),
unlinks it, sizes it with ftruncate and maps the descriptor MAP_SHARED, so
that a spawned child can be sent the descriptor. This reads
/proc/self/maps and prints the mapping that holds the Value's address:

    mapping /dev/shm/pym-4242-abc123 (deleted) perms rw-s

Used by tests/truth.sh (lesson 7).
"""
import ctypes
import multiprocessing

value = multiprocessing.Value("i", 7)
address = ctypes.addressof(value.get_obj())
with open("/proc/self/maps") as maps:
    for line in maps:
        fields = line.split(maxsplit=5)
        start, end = (int(x, 16) for x in fields[0].split("-"))
        if start <= address < end:
            name = fields[5].strip() if len(fields) > 5 else "[anonymous]"
            print(f"mapping {name} perms {fields[1]}")
            break
    else:
        print("mapping none")
