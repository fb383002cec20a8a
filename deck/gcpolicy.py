"""When the deck server's garbage collector may look at the whole heap.

Python's full (generation 2) collection walks every object the collector tracks. Once torch, Streamlit,
Plotly and the models are loaded that is a few million objects, and a full collection took 55-150 ms on
this 2-core machine, at moments chosen by allocation counts: in the middle of a presenter's move (one
move to a demo slide took 269 ms instead of ~90 with a live room of 300, a 149 ms collection inside it).

Modules, classes and functions made by an import live as long as the process, so after a run that
imported something new :func:`after_run` moves everything alive into the collector's permanent
generation (``gc.freeze()``); later full collections walk only what was made since. A collection of the
young generations first keeps short-lived cycles out of the frozen set; what an old cycle leaves frozen
is bounded by the number of runs that import something (a few dozen in a server's life).
"""
from __future__ import annotations

import gc
import sys
import threading

_LOCK = threading.Lock()
_MODULES_AT_FREEZE = 0


def after_run() -> bool:
    """Call at the end of a script run: freezes the heap if modules were imported since the last
    freeze (True then). Cheap otherwise (a length check)."""
    global _MODULES_AT_FREEZE
    n = len(sys.modules)
    if n == _MODULES_AT_FREEZE:
        return False
    with _LOCK:
        if len(sys.modules) == _MODULES_AT_FREEZE:
            return False
        gc.collect(1)
        gc.freeze()
        _MODULES_AT_FREEZE = len(sys.modules)
    return True
