"""deck/gcpolicy.py: after a run that imported something, the heap is frozen (full collections skip it)."""
import gc
import sys
import types

from deck import gcpolicy


def test_freezes_only_after_new_imports():
    gcpolicy.after_run()                       # whatever the suite imported so far
    assert gcpolicy.after_run() is False       # nothing new: no freeze, nothing walked
    frozen = gc.get_freeze_count()
    sys.modules["_deck_gcpolicy_probe"] = types.ModuleType("_deck_gcpolicy_probe")
    try:
        keep = [object() for _ in range(1000)] + [[] for _ in range(1000)]
        assert gcpolicy.after_run() is True
        assert gc.get_freeze_count() >= frozen + 1000   # the lists made since are frozen too
        assert gcpolicy.after_run() is False
    finally:
        del sys.modules["_deck_gcpolicy_probe"]
        gc.unfreeze()
    del keep


def test_a_frozen_heap_makes_full_collections_cheaper():
    import time
    junk = [[i] for i in range(300_000)]      # a big, long-lived heap
    gc.collect()
    t0 = time.perf_counter()
    gc.collect()
    full = time.perf_counter() - t0
    gc.freeze()
    try:
        t0 = time.perf_counter()
        gc.collect()
        frozen = time.perf_counter() - t0
    finally:
        gc.unfreeze()
    del junk
    assert frozen < full / 2, (frozen, full)
