"""The watchdog of lldb_jit/run.py: while a call is armed it stops the process every
tick, from one tick after arming; disarmed it never does; idle, it goes to sleep and
the next arming wakes it. (A stand-in process records the interrupts: the thread's
logic, not LLDB's, is under test; the e2e timeout and Ctrl-C tests run it against
LLDB.)"""
import itertools
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
