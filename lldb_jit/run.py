"""The run step: call code in the debuggee on the selected thread, without LLDB's
expression machinery.

The thread enters the architecture's trampoline (see lldb_jit/abi/), which saves every
register in the debuggee, calls the expression per the platform ABI, restores them and
traps. The debugger writes only SP and PC, continues with the other threads held, and
checks that the thread stopped at *our* trap. Anything else (a crash, a breakpoint it
may not ignore, a timeout) sends the thread through the trampoline's restore path with
the pending signal suppressed. In a `finally` that runs exactly once, SP and PC go back
and the general registers are checked against what they were.
"""
from __future__ import annotations

import contextlib
import threading
import time

import lldb

from .errors import ExecError

DEFAULT_TIMEOUT = 1.0


class Registers:
    """Register access through frame 0 of a thread, fetched once per stop."""

    def __init__(self, thread: lldb.SBThread):
        self.thread = thread
        self.order = thread.GetProcess().GetByteOrder()
        self.refresh()

    def refresh(self) -> None:
        """After the thread ran, the frame it had is stale."""
        self.frame = self.thread.GetFrameAtIndex(0)

    def read(self, names) -> dict[str, int]:
        return {name: self.frame.FindRegister(name).GetValueAsUnsigned() for name in names}

    def write(self, values: dict[str, int]) -> None:
        for name, value in values.items():
            self._write(name, value)

    def write_and_flush(self, name: str, value: int) -> None:
        """Write the register with LLDB's `register write` command, which also throws
        away the thread's cached stack frames (SBValue.SetData does not). Run inside our
        command, it acts on that command's thread: the one we ran on."""
        self._write(name, value)
        interpreter = self.thread.GetProcess().GetTarget().GetDebugger().GetCommandInterpreter()
        result = lldb.SBCommandReturnObject()
        interpreter.HandleCommand(f"register write {name} {value:#x}", result, False)
        if not result.Succeeded():
            raise ExecError(f"cannot write register {name}: {result.GetError().strip()}")

    def _write(self, name: str, value: int) -> None:
        reg = self.frame.FindRegister(name)
        data = lldb.SBData.CreateDataFromUInt64Array(self.order, 8, [value])
        error = lldb.SBError()
        if not reg.IsValid() or not reg.SetData(data, error) or error.Fail():
            raise ExecError(f"cannot write register {name}: "
                            f"{error.GetCString() or 'no such register'}")


def call(thread: lldb.SBThread, abi, trampoline: int, entry: int, args: list[int],
         memory, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Run `entry(*args)` on `thread` through the trampoline at `trampoline`. Raises
    ExecError if it does not return; the registers are as they were in every case."""
    process = thread.GetProcess()
    if process.GetState() != lldb.eStateStopped:
        raise ExecError("the process must be stopped")
    regs = Registers(thread)
    before = regs.read(abi.CHECKED_REGISTERS)
    entry_sp, stack = abi.prepare_call(before[abi.SP], entry, args)
    try:
        memory.read(entry_sp - abi.STACK_NEEDED, 1)
    except ExecError:
        raise ExecError("the thread's stack has no room to run the expression") from None
    memory.write(entry_sp, stack)
    problem = None
    try:
        regs.write({abi.SP: entry_sp, abi.PC: trampoline})
        problem = _run_to_trap(regs, abi, trampoline, timeout)
        if problem is not None:
            regs.write(abi.recovery_registers(entry_sp, trampoline))
            if _run_to_trap(regs, abi, trampoline, 0, suppress=True) is not None:
                problem += "; the thread could not run the register restore path"
    finally:
        if process.GetState() == lldb.eStateStopped:
            regs.write({abi.SP: before[abi.SP]})
            regs.write_and_flush(abi.PC, before[abi.PC])
            regs.refresh()
            after = regs.read(abi.CHECKED_REGISTERS)
            changed = {name: value for name, value in before.items() if after[name] != value}
            if changed:
                regs.write(changed)
    if problem is not None:
        raise ExecError(problem)


def _run_to_trap(regs: Registers, abi, trampoline: int, timeout: float,
                 suppress: bool = False) -> str | None:
    """Resume until the thread reaches the trampoline's trap (None), or say why not.
    Breakpoints in called code are stepped over; `suppress` keeps a pending signal
    from being delivered."""
    thread = regs.thread
    trap_pc = trampoline + abi.TRAP + abi.TRAP_PC_OFFSET
    with WATCHDOG.armed(thread.GetProcess(), timeout) as fired:
        while True:
            _resume_alone(thread, _pending_signal(thread) if suppress else 0)
            regs.refresh()
            pc = regs.frame.GetPC()
            if pc == trap_pc:
                return None
            if fired.is_set():
                return f"the expression timed out after {timeout:g} s and was interrupted"
            if thread.GetStopReason() != lldb.eStopReasonBreakpoint:
                return f"the expression stopped: {_where(thread, regs.frame, pc)}"


def _pending_signal(thread: lldb.SBThread) -> int:
    if thread.GetStopReason() == lldb.eStopReasonSignal:
        return thread.GetStopReasonDataAtIndex(0)
    return 0


def _where(thread: lldb.SBThread, frame: lldb.SBFrame, pc: int) -> str:
    reason = thread.GetStopDescription(256) or "stopped"
    symbol = frame.GetSymbol()
    place = f"in {symbol.GetName()}" if symbol.IsValid() else "in the expression's code"
    return f"{reason}, at {pc:#x} {place}"


class _Watchdog:
    """One long-lived thread that interrupts the process when an armed call overruns
    (starting a thread per call would cost more than the call)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._process: lldb.SBProcess | None = None
        self._fired = threading.Event()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def armed(self, process: lldb.SBProcess, timeout: float):
        fired = threading.Event()
        if not timeout:
            yield fired
            return
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="lldb-jit watchdog",
                                                daemon=True)
                self._thread.start()
            self._process, self._fired = process, fired
            self._deadline = time.monotonic() + timeout
            self._cond.notify()
        try:
            yield fired
        finally:
            with self._cond:
                self._deadline = None

    def _loop(self) -> None:
        with self._cond:
            while True:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self._deadline = None
                self._fired.set()
                self._process.SendAsyncInterrupt()


WATCHDOG = _Watchdog()


def _resume_alone(thread: lldb.SBThread, suppress_signal: int = 0) -> None:
    """Continue only `thread`, synchronously, and check the process stopped again."""
    process = thread.GetProcess()
    debugger = process.GetTarget().GetDebugger()
    held = [t for t in process if t.GetThreadID() != thread.GetThreadID() and not t.IsSuspended()]
    signals = process.GetUnixSignals()
    was_suppressed = signals.GetShouldSuppress(suppress_signal) if suppress_signal else None
    was_async = debugger.GetAsync()
    for t in held:
        t.Suspend()
    if suppress_signal:
        signals.SetShouldSuppress(suppress_signal, True)
    debugger.SetAsync(False)
    try:
        error = process.Continue()
    finally:
        debugger.SetAsync(was_async)
        if suppress_signal:
            signals.SetShouldSuppress(suppress_signal, was_suppressed)
        for t in held:
            t.Resume()
    state = process.GetState()
    if state in (lldb.eStateExited, lldb.eStateDetached):
        raise ExecError(f"the process exited during the evaluation "
                        f"(status {process.GetExitStatus()})")
    if error.Fail() or state != lldb.eStateStopped:
        raise ExecError(f"cannot run the expression: "
                        f"{error.GetCString() or lldb.SBDebugger.StateAsCString(state)}")
