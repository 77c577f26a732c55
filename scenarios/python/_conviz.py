"""_conviz.py - marks and regions from Python lessons, through libconviz.so when it is loaded.

When a script runs under `conviz record` (LD_PRELOAD=libconviz.so), the annotation functions
conviz__mark/conviz__begin/conviz__end (include/conviz.h's entry points) are in the process; ctypes finds them there.  Without the
tracer every function here does nothing, so the lessons run unchanged with plain python3.
"""
import ctypes

try:
    _lib = ctypes.CDLL(None)
    _mark = _lib.conviz__mark
    _mark.argtypes = [ctypes.c_char_p]
    _begin = _lib.conviz__begin
    _begin.argtypes = [ctypes.c_char_p]
    _end = _lib.conviz__end
except (OSError, AttributeError):
    _mark = _begin = _end = None


def mark(text):
    """A labelled instant on the current thread's lane, e.g. mark("count=20000")."""
    if _mark:
        _mark(text.encode())


def begin(text):
    if _begin:
        _begin(text.encode())


def end():
    if _end:
        _end()


# The lessons import this module after their other imports: from here on the trace shows the
# lesson itself, not the interpreter starting (scripts/lessons.sh starts the pictures here).
mark("imports done")
