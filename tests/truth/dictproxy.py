"""dictproxy.py - how many requests is d["total"] += 1 on a DictProxy?

Usage: python3 dictproxy.py

A manager's DictProxy sends every method call to the manager's process
(BaseProxy._callmethod, Lib/multiprocessing/managers.py). This proxy
counts them: "d['total'] += 1" is a __getitem__ request, then a
__setitem__ request, so another client can slip in between. It shows that
too, without any timing: a second proxy adds 1 between the two requests
of the first, and that update is lost.

    requests __getitem__ __setitem__ total 1 after two additions

Used by tests/truth.sh (lesson 10).
"""
from multiprocessing.managers import BaseManager, DictProxy

requests = []


class CountingProxy(DictProxy):
    def _callmethod(self, methodname, args=(), kwds={}):
        requests.append(methodname)
        return super()._callmethod(methodname, args, kwds)


class Manager(BaseManager):
    pass


Manager.register("dict", dict, CountingProxy)

if __name__ == "__main__":
    with Manager() as manager:
        d = manager.dict()
        d["total"] = 0
        requests.clear()
        d["total"] += 1
        counted = list(requests)

        # Client 1's two requests, with client 2's whole addition between
        # them: what a preemption between the two can do.
        d["total"] = 0
        read = d["total"]        # client 1: __getitem__
        d["total"] += 1          # client 2: __getitem__, __setitem__
        d["total"] = read + 1    # client 1: __setitem__, client 2's 1 is lost
        print("requests", " ".join(counted), "total", d["total"], "after two additions")
