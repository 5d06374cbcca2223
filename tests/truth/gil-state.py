"""gil-state.py - sys._is_gil_enabled() says whether the GIL is on now.

Usage: python3 gil-state.py

Python 3.13 added it. On a free-threaded build (Py_GIL_DISABLED) the GIL
is off unless PYTHON_GIL=1 or -X gil=1 turns it back on (or an extension
module that needs it is imported), so one build gives both answers; on a
default build it is always on. Prints the build and the answer:

    build free-threaded enabled False

Used by tests/truth.sh (lesson 17): on a free-threaded build with PYTHON_GIL=0 and 1.
"""
import sys
import sysconfig

if not hasattr(sys, "_is_gil_enabled"):
    print("no sys._is_gil_enabled (Python %d.%d)" % sys.version_info[:2])
    sys.exit(77)
build = "free-threaded" if sysconfig.get_config_var("Py_GIL_DISABLED") else "default"
print(f"build {build} enabled {sys._is_gil_enabled()}")
