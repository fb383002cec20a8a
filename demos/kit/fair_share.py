"""Sharing one small machine fairly between visitors: training slots, per-model locks, ``memo``, one torch
thread per live demo, and the pause that lets a live fragment's picture reach the browser. No Streamlit here."""
from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
import weakref

from models.device import set_threads


class single_thread:
    """Run torch on one intra-op thread inside a block, then restore.

    Why: Streamlit runs every (fragment) rerun in a fresh Python thread, and each thread that calls torch
    gets its own OpenMP pool. On a busy 2-core host those pools spin against each other and a painting
    step measured 40× slower with the default 2 threads than with 1 (8k vs 580k samples/s, load ~10).
    The small nets in these demos gain almost nothing from a second thread anyway.
    """

    def __enter__(self):
        import torch

        self.before = torch.get_num_threads()
        set_threads("single")
        return self

    def __exit__(self, *exc):
        set_threads(self.before)
        return False


# ------------------------------------------------------------------------------------------------
# Live fragments: let each refresh reach the browser.

FLUSH_PAUSE_S = 0.02


def flush_pause() -> None:
    """Call at the end of a live fragment's run (after drawing, outside the training slot).

    Streamlit sends a run's output from its event-loop thread every few milliseconds, and drops what
    is still unsent when the next run starts. A fragment that trains for its whole tick starts its next
    run at once, while this thread still holds the interpreter: measured on the painting demo, the
    server drew 7-8 pictures a second and the browser received 2-3 (the rest were cleared unsent).
    Sleeping here frees the interpreter for one flush cycle; Streamlit does the same before
    ``st.switch_page``'s rerun. With it the browser showed 6.8 pictures a second."""
    time.sleep(FLUSH_PAUSE_S)


# ------------------------------------------------------------------------------------------------
# Fair share: one small machine, many visitors.

TRAINING_SLOTS_ENV = "DECK_TRAINING_SLOTS"
SLOT_WAIT_S = 0.5  # a live-training tick waits this long for a slot, then skips (and says so)
CLICK_WAIT_S = 5.0  # a one-off press (Step, Dream, ...) waits longer before giving up
RUN_SECONDS = 60.0  # "Start" trains for at most this many seconds per press (then press Start again)
WAITING_NOTE = "Waiting for a free training slot: other visitors are training right now."
_slots_lock = threading.Lock()
_slots = None  # FairSlots, made on first use (after DECK_TRAINING_SLOTS can be read)
_object_locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # trained object -> its lock


def training_slots() -> int:
    """How many training steps may run at once in this process: ``DECK_TRAINING_SLOTS``, else one
    fewer than the CPU cores (at least 1), so one core is always left for drawing slides."""
    try:
        n = int(os.environ.get(TRAINING_SLOTS_ENV, ""))
    except ValueError:
        n = 0
    return n if n >= 1 else max(1, (os.cpu_count() or 1) - 1)


class FairSlots:
    """A bounded semaphore that hands a freed slot straight to a waiting thread, choosing the waiter
    whose owner (one visitor's demo: the trained object) was served longest ago; waiters without an
    owner rank by when they arrived. So each training demo gets its turn however often it ticks: with
    ``threading.Semaphore`` a newcomer takes a freed slot before the waiting threads wake, and a demo
    that ticks every 0.12 s kept beating one that ticks every 1.5 s to it."""

    def __init__(self, n: int):
        self.n = n
        self._free = n
        self._lock = threading.Lock()
        self._waiters: list = []  # heap of [priority, arrival number, event, owner]
        self._served: dict = {}  # owner -> time.monotonic() of its last grant
        self._arrivals = itertools.count()

    def acquire(self, timeout: float | None = None, owner=None) -> bool:
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                self._mark(owner)
                return True
            if timeout is not None and timeout <= 0:
                return False
            granted = threading.Event()
            priority = time.monotonic() if owner is None else self._served.get(owner, 0.0)
            entry = [priority, next(self._arrivals), granted, owner]
            heapq.heappush(self._waiters, entry)
        granted.wait(timeout)
        with self._lock:
            if granted.is_set():  # handed over by release(), perhaps just as the wait timed out
                return True
            self._waiters.remove(entry)
            heapq.heapify(self._waiters)
            return False

    def release(self) -> None:
        with self._lock:
            if self._waiters:
                entry = heapq.heappop(self._waiters)
                self._mark(entry[3])
                entry[2].set()  # the slot passes straight to that waiter
            elif self._free < self.n:
                self._free += 1
            else:
                raise ValueError("FairSlots released more often than acquired")

    def _mark(self, owner) -> None:
        if owner is None:
            return
        self._served[owner] = time.monotonic()
        if len(self._served) > 2000:  # forget the owners served longest ago
            for key, _ in sorted(self._served.items(), key=lambda kv: kv[1])[:1000]:
                del self._served[key]

    def in_use(self) -> int:
        with self._lock:
            return self.n - self._free


def _shared() -> FairSlots:
    """The process-wide training slots, made on first use."""
    global _slots
    if _slots is None:
        with _slots_lock:
            if _slots is None:
                _slots = FairSlots(training_slots())
    return _slots


def _lock_for(obj):
    """One lock per trained object (a model, a trainer), shared by every thread that touches it."""
    with _slots_lock:
        try:
            lock = _object_locks.get(obj)
            if lock is None:
                lock = _object_locks[obj] = threading.Lock()
        except TypeError:  # not weak-referenceable: keep the lock on the object itself
            try:
                lock = obj.__dict__.setdefault("_deck_train_lock", threading.Lock())
            except AttributeError:
                raise TypeError(f"training_slot cannot lock a {type(obj).__name__}: pass the model or "
                                "trainer object itself") from None
    return lock


def reset_training_slots(n: int | None = None) -> None:
    """Forget the shared semaphore (tests; a changed ``DECK_TRAINING_SLOTS``); ``n`` sets the count."""
    global _slots
    with _slots_lock:
        if n is not None:
            os.environ[TRAINING_SLOTS_ENV] = str(n)
        _slots = None
    _shared()


class training_slot:
    """Hold one of the process's training slots, and the trained object's own lock, inside a block.

        with training_slot(run) as slot:
            if slot:
                run.train_epochs(1)
        if slot.note:
            st.caption(slot.note)

    Why: every visitor's live-training tick runs in its own thread of the one server process.
    Without a cap, twenty visitors pressing "train" on a 2-core machine spin twenty torch
    threads against each other and slide changes (which need the same cores) crawl. With it,
    at most ``training_slots()`` steps run at once, each demo in its turn (``FairSlots``); a tick
    that cannot get a slot within ``wait`` seconds is skipped (the demo shows ``note``) and the next
    tick tries again. The demos draw their tick's charts inside the block too, so rebuilding figures
    (pure Python, under the one interpreter lock) is capped the same way; a skipped tick redraws
    what it kept (``memo``).

    The object lock: Streamlit can overlap two reruns of one session's fragment (``fastReruns``),
    and two threads training one model at once corrupt each other's autograd graphs ("modified by
    an inplace operation"). A second thread finds the object busy and skips at once, quietly.

    ``obj`` may be one object or a tuple/list of them (e.g. two painters trained side by side).
    ``one_thread`` also keeps torch on one intra-op thread while the slot is held (see
    ``single_thread``): a slot is then one core's worth of work.
    """

    def __init__(self, obj=None, wait: float = SLOT_WAIT_S, one_thread: bool = True):
        if obj is None:
            objs = []
        elif isinstance(obj, (tuple, list)):
            objs = list(obj)
        else:
            objs = [obj]
        self._locks = sorted({id(lk): lk for lk in (_lock_for(o) for o in objs)}.values(), key=id)
        self._owner = id(objs[0]) if objs else None  # whose turn it is: see FairSlots
        self.wait = max(0.0, float(wait))
        self.one_thread = one_thread
        self.acquired = False
        self.busy = False  # the object itself is being trained by another thread (same session)
        self.note = ""
        self._held: list = []
        self._slot = False
        self._thread = None

    def __bool__(self) -> bool:
        return self.acquired

    def __enter__(self):
        slots = _shared()
        self._sem = slots
        for lk in self._locks:
            if not lk.acquire(blocking=False):
                self.busy = True
                self._release()
                return self
            self._held.append(lk)
        if not slots.acquire(timeout=self.wait, owner=self._owner):
            self.note = WAITING_NOTE
            self._release()
            return self
        self._slot = True
        self.acquired = True
        if self.one_thread:
            self._thread = single_thread()
            self._thread.__enter__()
        return self

    def _release(self) -> None:
        if self._thread is not None:
            self._thread.__exit__(None, None, None)
            self._thread = None
        if self._slot:
            self._sem.release()
            self._slot = False
        while self._held:
            self._held.pop().release()

    def __exit__(self, *exc):
        self._release()
        return False


class live_tick:
    """One run of a live fragment: the training slot for ``obj`` (when ``train``), then, after the block and
    outside the slot, the ``flush_pause`` that lets the run's picture reach the browser.

        @st.fragment(run_every=0.2 if running else None)
        def live():
            with live_tick(run, train=running) as tick:
                if tick:                      # a slot was free: train this tick
                    run.train_epochs(1)
                draw(run, tick.note)          # inside too: a skipped tick redraws what it kept (``memo``)

    ``tick.note`` says why a wanted slot was not given (``WAITING_NOTE``), else "". ``pause`` (default:
    ``train``) says whether to pause after the block; a tick that stops the run sets ``tick.pause = False``
    (no next tick to make room for). No pause after an exception (``st.rerun`` included)."""

    def __init__(self, obj=None, train: bool = True, wait: float = SLOT_WAIT_S, pause: bool | None = None):
        self.slot = training_slot(obj, wait) if train else None
        self.pause = bool(train) if pause is None else bool(pause)
        self.note = ""

    def __bool__(self) -> bool:
        return bool(self.slot)

    def __enter__(self):
        if self.slot is not None:
            self.slot.__enter__()
            self.note = self.slot.note
        return self

    def __exit__(self, exc_type, *exc):
        if self.slot is not None:
            self.slot.__exit__(exc_type, *exc)
        if self.pause and exc_type is None:
            flush_pause()
        return False


def memo(store: dict, name: str, owner, version, make):
    """``make()``, or the value kept in ``store[name]`` when it was made for the same ``owner`` object(s)
    (compared by identity) and an equal ``version`` (e.g. the epoch). A live-training tick that found no
    free slot redraws its charts from here instead of rebuilding them: building a Plotly figure costs
    tens of milliseconds of the one interpreter lock every visitor's slide changes also need."""
    hit = store.get(name)
    if hit is not None and _same(hit[0], owner) and hit[1] == version:
        return hit[2]
    value = make()
    store[name] = (owner, version, value)
    return value


def _same(a, b) -> bool:
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(x is y for x, y in zip(a, b))
    return a is b
