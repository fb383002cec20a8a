"""The shared training slots and per-object locks in demos/kit/fair_share.py (fast, no Streamlit)."""
import threading
import time

import pytest

from demos.kit import fair_share as s1


@pytest.fixture
def slots(monkeypatch):
    """Run each test with its own semaphore; put the process's back afterwards."""
    def make(n):
        monkeypatch.setenv(s1.TRAINING_SLOTS_ENV, str(n))
        s1.reset_training_slots()
    yield make
    monkeypatch.delenv(s1.TRAINING_SLOTS_ENV, raising=False)
    s1.reset_training_slots()


class Model:
    pass


def test_slot_count_from_env_and_cores(monkeypatch):
    import os

    monkeypatch.setenv(s1.TRAINING_SLOTS_ENV, "3")
    assert s1.training_slots() == 3
    for bad in ("0", "-2", "many", ""):
        monkeypatch.setenv(s1.TRAINING_SLOTS_ENV, bad)
        assert s1.training_slots() == max(1, (os.cpu_count() or 1) - 1)


def test_one_slot_second_trainer_waits_then_skips_with_a_note(slots):
    slots(1)
    a, b = Model(), Model()
    with s1.training_slot(a) as first:
        assert first and first.note == ""
        t0 = time.perf_counter()
        with s1.training_slot(b, wait=0.2) as second:
            waited = time.perf_counter() - t0
            assert not second
            assert second.note == s1.WAITING_NOTE and not second.busy
        assert 0.15 <= waited < 1.0
    with s1.training_slot(b, wait=0.0) as third:  # the slot is free again
        assert third


def test_two_slots_run_two_trainers_at_once(slots):
    slots(2)
    with s1.training_slot(Model()) as x, s1.training_slot(Model(), wait=0) as y:
        assert x and y
        with s1.training_slot(Model(), wait=0) as z:
            assert not z


def test_same_object_is_never_trained_twice_at_once(slots):
    slots(4)
    m = Model()
    with s1.training_slot(m) as first:
        t0 = time.perf_counter()
        with s1.training_slot(m) as again:
            assert not again and again.busy and again.note == ""  # skipped at once, quietly
        assert time.perf_counter() - t0 < 0.1
        # a group that contains the busy object is busy too, and holds nothing afterwards
        other = Model()
        with s1.training_slot((other, m)) as pair:
            assert not pair and pair.busy
        with s1.training_slot(other, wait=0) as alone:
            assert alone
    with s1.training_slot((m, Model())) as pair:
        assert pair


def test_slot_is_released_on_error_and_threads_restored(slots):
    import torch

    slots(1)
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError):
        with s1.training_slot(Model()) as slot:
            assert slot and torch.get_num_threads() == 1
            raise RuntimeError("boom")
    assert torch.get_num_threads() == before
    with s1.training_slot(Model(), wait=0) as slot:
        assert slot


def test_objects_without_weakrefs_keep_their_lock_on_themselves(slots):
    slots(2)

    class NoWeakref:
        __slots__ = ("__dict__",)  # attributes, but no weak references

    m = NoWeakref()
    with s1.training_slot(m) as a:
        with s1.training_slot(m) as b:
            assert a and not b and b.busy
    with pytest.raises(TypeError):  # neither: say so rather than lock nothing
        s1.training_slot({})


def test_many_threads_never_exceed_the_slots(slots):
    slots(2)
    active, peak, lock = [0], [0], threading.Lock()
    trained = []

    def worker(i):
        for _ in range(5):
            with s1.training_slot(Model(), wait=0.5) as slot:
                if slot:
                    with lock:
                        active[0] += 1
                        peak[0] = max(peak[0], active[0])
                    time.sleep(0.01)
                    with lock:
                        active[0] -= 1
                    trained.append(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] <= 2
    assert len(trained) == 40  # 0.5 s is plenty for 10 ms steps: nobody was starved


def test_a_freed_slot_goes_to_the_longest_waiting_thread():
    slots = s1.FairSlots(1)
    assert slots.acquire(0)
    order, started = [], []

    def waiter(name):
        started.append(name)
        if slots.acquire(timeout=5):
            order.append(name)
            time.sleep(0.01)
            slots.release()

    threads = []
    for name in ("first", "second", "third"):
        t = threading.Thread(target=waiter, args=(name,))
        t.start()
        threads.append(t)
        while len(started) < len(threads):
            time.sleep(0.001)
        time.sleep(0.02)  # let it queue before the next one comes
    # a newcomer does not jump the queue while others wait
    assert not slots.acquire(0)
    slots.release()
    for t in threads:
        t.join()
    assert order == ["first", "second", "third"]
    assert slots.in_use() == 0
    with pytest.raises(ValueError):
        slots.release()


def test_a_wait_that_times_out_leaves_the_queue():
    slots = s1.FairSlots(1)
    assert slots.acquire()
    t0 = time.perf_counter()
    assert not slots.acquire(timeout=0.05)
    assert time.perf_counter() - t0 >= 0.04
    slots.release()
    assert slots.acquire(0)  # nobody left queued ahead
    slots.release()


def test_the_demo_served_longest_ago_goes_first():
    slots = s1.FairSlots(1)
    assert slots.acquire(owner="painting")  # painting ticks often: it was just served
    slots.release()
    assert slots.acquire(owner="painting")
    order, started = [], []

    def waiter(owner):
        started.append(owner)
        if slots.acquire(timeout=5, owner=owner):
            order.append(owner)
            slots.release()

    threads = []
    for owner in ("painting", "bubble"):  # painting queues first, but bubble has not had a turn yet
        t = threading.Thread(target=waiter, args=(owner,))
        t.start()
        threads.append(t)
        while len(started) < len(threads):
            time.sleep(0.001)
        time.sleep(0.02)
    slots.release()
    for t in threads:
        t.join()
    assert order == ["bubble", "painting"]


def test_memo_rebuilds_only_for_a_new_owner_or_version():
    calls = []

    def make():
        calls.append(1)
        return len(calls)

    store, a, b = {}, Model(), Model()
    assert s1.memo(store, "fig", a, 1, make) == 1
    assert s1.memo(store, "fig", a, 1, make) == 1  # same model, same epoch: kept
    assert s1.memo(store, "fig", a, 2, make) == 2  # trained on
    assert s1.memo(store, "fig", b, 2, make) == 3  # another model at the same epoch
    assert s1.memo(store, "fig", [a, b], 2, make) == 4
    assert s1.memo(store, "fig", [a, b], 2, make) == 4  # a list of owners compares item by item
    assert s1.memo(store, "fig", [b, a], 2, make) == 5


def test_live_tick_trains_in_a_slot_then_pauses_outside_it(slots, monkeypatch):
    slots(1)
    events = []
    monkeypatch.setattr(s1, "flush_pause", lambda: events.append(("pause", s1._shared().in_use())))
    m = Model()
    with s1.live_tick(m, train=True) as tick:
        assert tick and tick.note == ""
        events.append(("train", s1._shared().in_use()))
    assert events == [("train", 1), ("pause", 0)]  # the pause comes after the slot is given back


def test_live_tick_without_a_free_slot_skips_with_the_note(slots, monkeypatch):
    slots(1)
    pauses = []
    monkeypatch.setattr(s1, "flush_pause", lambda: pauses.append(1))
    with s1.training_slot(Model()):
        t0 = time.perf_counter()
        with s1.live_tick(Model(), train=True, wait=0.05) as tick:
            assert not tick and tick.note == s1.WAITING_NOTE
        assert time.perf_counter() - t0 < 1.0
    assert pauses == [1]


def test_live_tick_pause_rules(slots, monkeypatch):
    slots(1)
    pauses = []
    monkeypatch.setattr(s1, "flush_pause", lambda: pauses.append(1))
    with s1.live_tick(Model(), train=False) as tick:  # not training: no slot taken, no pause
        assert not tick and tick.note == "" and s1._shared().in_use() == 0
    with s1.live_tick(train=False, pause=True):  # an animation: pause only
        pass
    with s1.live_tick(Model()) as tick:  # the run stops on this tick: no pause
        tick.pause = False
    with pytest.raises(RuntimeError):  # an exception (st.rerun included): slot freed, no pause
        with s1.live_tick(Model()):
            raise RuntimeError("boom")
    assert pauses == [1] and s1._shared().in_use() == 0
