"""The run step: call code in the debuggee on the selected thread, the way LLDB's
ThreadPlanCallFunction does it, without LLDB's expression machinery.

Snapshot every register, push a return address that points at a trap, set the
argument registers and the PC, continue with the other threads held, check that the
thread stopped at *our* trap, and restore every register that changed, in a `finally`
that runs exactly once whatever happened.
"""
from __future__ import annotations

import threading
import lldb

from .errors import ExecError

DEFAULT_TIMEOUT = 1.0


class Registers:
    """The saved registers of one thread, by full name (see the ABI's SAVED_REGISTERS)."""

    def __init__(self, thread: lldb.SBThread, abi):
        self.thread = thread
        self.abi = abi
        self.names = self._available(abi)

    def _available(self, abi) -> list[str]:
        frame = self.thread.GetFrameAtIndex(0)
        names = []
        for name in abi.SAVED_REGISTERS:
            if frame.FindRegister(name).IsValid():
                names.append(name)
            elif name in abi.FALLBACK_REGISTERS:
                names.append(abi.FALLBACK_REGISTERS[name])
        return names

    def values(self) -> dict[str, lldb.SBValue]:
        frame = self.thread.GetFrameAtIndex(0)   # re-fetched: frames go stale after a run
        return {name: frame.FindRegister(name) for name in self.names}

    def snapshot(self) -> dict[str, bytes]:
        return {name: _raw(value) for name, value in self.values().items()}

    def read_int(self, name: str) -> int:
        return self.thread.GetFrameAtIndex(0).FindRegister(name).GetValueAsUnsigned()

    def write(self, writes: dict[str, int]) -> None:
        frame = self.thread.GetFrameAtIndex(0)
        for name, value in writes.items():
            reg = frame.FindRegister(name)
            data = lldb.SBData.CreateDataFromUInt64Array(lldb.eByteOrderLittle, 8, [value])
            _set(reg, data, name)

    def restore(self, saved: dict[str, bytes]) -> None:
        """Write back every register whose value differs from the snapshot."""
        process = self.thread.GetProcess()
        order = lldb.eByteOrderLittle if process.GetByteOrder() == lldb.eByteOrderLittle \
            else lldb.eByteOrderBig
        size = process.GetAddressByteSize()
        failed = []
        for name, value in self.values().items():
            if _raw(value) != saved[name]:
                data = lldb.SBData()
                data.SetData(lldb.SBError(), saved[name], order, size)
                try:
                    _set(value, data, name)
                except ExecError:
                    failed.append(name)
        if failed:
            raise ExecError("could not restore register(s) " + ", ".join(failed))


def _raw(value: lldb.SBValue) -> bytes:
    data = value.GetData()
    error = lldb.SBError()
    raw = data.ReadRawData(error, 0, data.GetByteSize())
    return bytes(raw) if error.Success() and raw is not None else b""


def _set(reg: lldb.SBValue, data: lldb.SBData, name: str) -> None:
    error = lldb.SBError()
    if not reg.IsValid() or not reg.SetData(data, error) or error.Fail():
        raise ExecError(f"cannot write register {name}: {error.GetCString() or 'invalid'}")


def call(thread: lldb.SBThread, abi, entry: int, args: list[int], trap: int,
         write_memory, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Run `entry(args...)` on `thread` until it returns to `trap`. Raises ExecError if
    it stops anywhere else; the thread's registers are restored in every case."""
    process = thread.GetProcess()
    if process.GetState() != lldb.eStateStopped:
        raise ExecError("the process must be stopped")
    regs = Registers(thread, abi)
    saved = regs.snapshot()
    setup = abi.prepare_call({abi.SP: regs.read_int(abi.SP),
                              "rflags": regs.read_int("rflags")},
                             entry, args, trap)
    for address, data in setup.stack:
        write_memory(address, data)
    try:
        regs.write(setup.registers)
        watchdog = _Watchdog(process, timeout)
        with watchdog:
            _resume_alone(thread)
        pc = regs.read_int(abi.PC)
        if pc == trap + abi.TRAP_PC_OFFSET:
            return
        if watchdog.fired.is_set():
            raise ExecError(f"the expression timed out after {timeout:g} s and was "
                            f"interrupted at {pc:#x}")
        raise ExecError(f"the expression stopped: {_stop_description(thread)} at {pc:#x}")
    finally:
        if process.GetState() == lldb.eStateStopped:
            regs.restore(saved)


class _Watchdog:
    """Interrupts the process if the call has not returned after `timeout` seconds."""

    def __init__(self, process: lldb.SBProcess, timeout: float):
        self.process = process
        self.fired = threading.Event()
        self._timer = threading.Timer(timeout, self._fire) if timeout else None

    def _fire(self) -> None:
        self.fired.set()
        self.process.SendAsyncInterrupt()

    def __enter__(self):
        if self._timer:
            self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._timer:
            self._timer.cancel()


def _resume_alone(thread: lldb.SBThread) -> None:
    """Continue only `thread`, synchronously, and check the process is stopped again."""
    process = thread.GetProcess()
    debugger = process.GetTarget().GetDebugger()
    held = [t for t in process if t.GetThreadID() != thread.GetThreadID() and not t.IsSuspended()]
    was_async = debugger.GetAsync()
    for t in held:
        t.Suspend()
    debugger.SetAsync(False)
    try:
        error = process.Continue()
    finally:
        debugger.SetAsync(was_async)
        for t in held:
            t.Resume()
    state = process.GetState()
    if state in (lldb.eStateExited, lldb.eStateDetached):
        raise ExecError(f"the process exited during the evaluation "
                        f"(status {process.GetExitStatus()})")
    if error.Fail() or state != lldb.eStateStopped:
        raise ExecError(f"cannot run the expression: {error.GetCString() or 'process is '}"
                        f"{'' if error.Fail() else lldb.SBDebugger.StateAsCString(state)}")


def _stop_description(thread: lldb.SBThread) -> str:
    return thread.GetStopDescription(256) or "stopped for an unknown reason"
