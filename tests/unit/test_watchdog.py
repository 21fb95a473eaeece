"""The watchdog of lldb_jit/run.py: while a call is armed it stops the process every
tick, from one tick after arming; disarmed it never does; idle, it goes to sleep and
the next arming wakes it. (A stand-in process records the interrupts: the thread's
logic, not LLDB's, is under test; the e2e timeout and Ctrl-C tests run it against
LLDB.)"""
import itertools
import threading
import time

from lldb_jit import run

_ids = itertools.count(1 << 40)


class Process:
    def __init__(self):
        self.uid = next(_ids)
        self.stops: list[float] = []

    def GetUniqueID(self):
        return self.uid

    def SendAsyncInterrupt(self):
        self.stops.append(time.monotonic())


def eventually(condition, seconds=10.0) -> bool:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.002)
    return True


def watchdog(tick=0.02, idle=3):
    dog = run._Watchdog()
    dog.TICK, dog.IDLE_TICKS = tick, idle
    return dog


def test_an_armed_call_is_stopped_every_tick_from_one_tick_on():
    dog, process = watchdog(), Process()
    with dog.armed(process) as pokes:
        armed = time.monotonic()
        assert eventually(lambda: len(process.stops) >= 3)
    assert process.stops[0] - armed >= dog.TICK
    assert len(pokes) >= 3


def test_a_disarmed_watchdog_stops_nothing_and_then_sleeps():
    dog, process = watchdog(), Process()
    with dog.armed(process):
        pass
    assert eventually(lambda: dog._sleeping)
    time.sleep(dog.TICK * 3)
    assert process.stops == []


def test_arming_wakes_a_sleeping_watchdog_and_a_ticking_one():
    dog, process = watchdog(tick=0.01, idle=100), Process()
    for _ in range(2):
        with dog.armed(process):
            pass
        assert eventually(lambda: dog._sleeping)
        with dog.armed(process):                      # wakes it
            assert not dog._sleeping
            assert eventually(lambda: process.stops)
        count = len(process.stops)
        with dog.armed(process):                      # still ticking: nothing to wake
            assert not dog._sleeping
            assert eventually(lambda: len(process.stops) > count)
        process.stops.clear()


def test_disarming_waits_for_a_stop_under_way_and_none_comes_after():
    """A stop the thread sends as the call ends must not reach what runs next (the
    next call, the user's `continue`): disarming waits for it."""
    dog = watchdog()
    started, release, disarmed = threading.Event(), threading.Event(), threading.Event()

    class Slow(Process):
        def SendAsyncInterrupt(self):
            started.set()
            release.wait(5)
            super().SendAsyncInterrupt()

    process = Slow()

    def call():
        with dog.armed(process):
            started.wait(5)
        disarmed.set()

    caller = threading.Thread(target=call)
    caller.start()
    assert started.wait(5)
    time.sleep(dog.TICK * 3)
    assert not disarmed.is_set()        # the stop under way holds the disarming
    release.set()
    caller.join(5)
    assert disarmed.is_set()
    stops = len(process.stops)          # (one more may have come while still armed)
    assert stops >= 1
    time.sleep(dog.TICK * 3)
    assert len(process.stops) == stops
