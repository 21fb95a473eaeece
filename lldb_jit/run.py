"""The run step: call code in the debuggee on the selected thread, without LLDB's
expression machinery.

The thread enters the architecture's trampoline (lldb_jit/targets/<cpu>/trampoline.py),
which saves every register in the debuggee, calls the expression per the platform ABI
with what the debugger left in the trampoline's mailbox, restores them, checks them
against its own copy and traps. The debugger writes the mailbox and the PC, continues
with the other threads held, and checks that the thread stopped at *our* trap: the one
that says the registers are back as they were needs nothing more than the PC set back.
Anything else (a crash, a breakpoint it may not ignore, a timeout) sends the thread
through the trampoline's restore path with the pending signal suppressed. In a
`finally` that runs exactly once, the PC goes back and, unless the trampoline vouched
for them, every general register is checked against what the trampoline saved.
"""
from __future__ import annotations

import _signal
import contextlib
import ctypes
import os
import signal
import threading
import time
from dataclasses import dataclass, field

import lldb

from . import stophandling, stubs
from .errors import ExecError
from .memory import align_up
from .report import plain
from .targets import (MAILBOX_COPY, MAILBOX_FRAME, MAILBOX_SIZE, STATUS, SyscallStub,
                      call_words, mailbox_block, mailbox_words)

DEFAULT_TIMEOUT = 1.0
RESULT_CHUNK = 16 * 1024     # results are placed one after the other in chunks this big
RESTORE_TIMEOUT = 5.0   # the restore path is a few instructions; this only guards a hang


class Registers:
    """Register access through frame 0 of a thread, fetched once per stop. A register
    is found by the target's name for it or, failing that, by the names stubs give it
    (GNU gdbserver calls rflags `eflags`); one found by neither is an error, never 0."""

    def __init__(self, thread: lldb.SBThread, abi):
        self.thread = thread
        self.aliases = abi.REGISTER_ALIASES
        self.order = thread.GetProcess().GetByteOrder()
        self.refresh()

    def refresh(self) -> None:
        """After the thread ran, the frame it had is stale."""
        self.frame = self.thread.GetFrameAtIndex(0)

    def find(self, name: str) -> lldb.SBValue:
        for spelling in (name, *self.aliases.get(name, ())):
            reg = self.frame.FindRegister(spelling)
            if reg.IsValid():
                return plain(reg)
        raise ExecError(f"the thread has no register '{name}'")

    def read(self, names) -> dict[str, int]:
        return {name: self.find(name).GetValueAsUnsigned() for name in names}

    def write(self, values: dict[str, int]) -> None:
        for name, value in values.items():
            reg = self.find(name)
            size = reg.GetByteSize()
            data = lldb.SBData()
            error = lldb.SBError()
            # SBData.SetData keeps a pointer to the bytes, not a copy: they must live
            # until the register is written (a temporary freed at once was read back
            # as whatever Python put there next)
            raw = (value % (1 << 8 * size)).to_bytes(
                size, "little" if self.order == lldb.eByteOrderLittle else "big")
            data.SetData(error, raw, self.order, size)
            if error.Fail() or not reg.SetData(data, error) or error.Fail():
                raise ExecError(f"cannot write register {name}: "
                                f"{error.GetCString() or 'unknown error'}")

    def set_pc(self, pc: int) -> None:
        """Write the PC through frame 0, which also moves LLDB's frame 0 there (a plain
        register write leaves the thread's cached frame at the trap); the older frames
        are unwound from it afresh when asked for."""
        if not self.frame.SetPC(pc):
            raise ExecError(f"cannot set the PC back to {pc:#x}")


class _Mailbox:
    """What the debugger knows of a trampoline's mailbox: the call its words are for,
    as call_words' arguments (the words are a function of them: a repeated call
    needs them neither made nor written), None when unknown (after any call that did
    not end in the trap that vouches for them); and the chunk results are placed in,
    one after the other."""

    def __init__(self):
        self.call: tuple | None = None
        self.next = 0           # where the next result goes
        self.end = 0            # the end of the chunk it is in


@dataclass(frozen=True)
class Trampoline:
    """A loaded trampoline and the mailbox its last word points to."""
    address: int
    mailbox: int
    size: int
    known: _Mailbox = field(default_factory=_Mailbox, compare=False)

    def result_slot(self, size: int, align: int, allocate) -> int:
        """Where the next call puts a result of `size` bytes: just after the last one
        (the call words need no write then), in chunks `allocate(size, align, perm)`
        gives, kept for good as the results are."""
        known = self.known
        at = align_up(known.next, align)
        if not known.next or at + size > known.end:
            chunk = max(RESULT_CHUNK, size + align)
            known.next = allocate(chunk, 16, "rw")
            known.end = known.next + chunk
            at = align_up(known.next, align)
        known.next = at + size
        return at

    def trap_pcs(self, abi) -> set[int]:
        """Where the thread stops once the registers came back as they were saved."""
        return _trap_pcs(abi, self.address + abi.TRAP)

    def check_pcs(self, abi) -> set[int]:
        """Where it stops when they did not: the debugger must look."""
        return _trap_pcs(abi, self.address + abi.CHECK_TRAP)

    def in_prologue(self, abi, pc: int) -> bool:
        """Whether `pc` is in the trampoline before its call: saving is not done."""
        return self.address <= pc < self.address + abi.CALL_SITE


@dataclass
class Problem:
    kind: str      # "crash", "breakpoint", "timeout" or "interrupt"
    text: str


@dataclass
class Suspended:
    """A call left stopped inside the expression for the user to look at. Its
    trampoline's mailbox is its own from then on: the caller loads another."""
    abi: object
    trampoline: Trampoline
    before: dict[str, int]


class CallSuspended(ExecError):
    def __init__(self, message: str, suspended: Suspended):
        super().__init__(message)
        self.suspended = suspended


def call(thread: lldb.SBThread, abi, trampoline: Trampoline, entry: int, block: bytes,
         result: int, memory, timeout: float = DEFAULT_TIMEOUT,
         before: dict[str, int] | None = None, all_threads: bool = False,
         unwind_on_error: bool = True, ignore_breakpoints: bool = True,
         result_size: int = 0) -> dict[str, int]:
    """Run `entry(&block, result)` on `thread` through `trampoline`; the argument block
    goes in its mailbox (or, too big for it, in memory of its own), and the result
    (`result_size` bytes) at `result`. Raises ExecError if the code does not return;
    the registers are as they were in every case, except that a crash (without
    `unwind_on_error`) or a breakpoint (without `ignore_breakpoints`) leaves the thread
    there: CallSuspended, and `abandon()` puts it back. `before` may give what an
    earlier call at this stop returned (the registers abi.entry_checked() names, the PC
    and SP); the registers the trampoline saves need no looking at, so a register the
    user changed since is never put back to an older value. Only `thread` runs unless
    `all_threads`."""
    process = thread.GetProcess()
    if process.GetState() != lldb.eStateStopped:
        raise ExecError("the process must be stopped")
    stophandling.check_resume()
    if stophandling.inside():
        # LLDB resumes after a callback as it returned: never with a thread left
        # inside the expression (and passes over breakpoints in called code itself)
        unwind_on_error = ignore_breakpoints = True
    regs = Registers(thread, abi)
    live = {abi.PC: regs.frame.GetPC(), abi.SP: regs.frame.GetSP()}
    if before is None or any(before.get(n) != v for n, v in live.items()):
        # a new stop, or moved
        before = {**regs.read(abi.entry_checked(memory.read, live[abi.PC])), **live}
        _probe_stack(thread, memory, live[abi.SP] - abi.STACK_NEEDED)
    elif abi.entry_registers(before):   # stopped in a system call: look each time
        before = {**before, **regs.read(abi.entry_checked(memory.read, live[abi.PC]))}
    block_address = None
    if block and mailbox_block(abi) + len(block) > MAILBOX_SIZE:
        block_address = memory.allocate(len(block), 16, "rw")
        memory.write(block_address, block)
    try:
        for attempt in (1, 2):
            this_call = (entry, block, block_address, result, result_size)
            if this_call != trampoline.known.call:
                memory.write(trampoline.mailbox + mailbox_words(abi),
                             call_words(abi, trampoline.mailbox, *this_call))
            trampoline.known.call = None         # until the trap vouches for the words
            if _call_once(regs, abi, trampoline, memory, before, timeout, all_threads,
                          unwind_on_error, ignore_breakpoints):
                # the trampoline moved the result's address on by its size
                trampoline.known.call = (entry, block, block_address, result + result_size,
                                         result_size)
                return before
            regs.refresh()                      # refused the words: write them again
        raise ExecError("the call trampoline refused its mailbox twice (something in the "
                        "debuggee overwrites it)")
    finally:
        if block_address is not None:
            memory.free("rw", block_address)


def _call_once(regs: Registers, abi, trampoline: Trampoline, memory, before: dict[str, int],
               timeout: float, all_threads: bool, unwind_on_error: bool,
               ignore_breakpoints: bool) -> bool:
    """One run through the trampoline: True if the call was made, False if the
    trampoline refused the call words (nothing ran; the registers are back)."""
    process = regs.thread.GetProcess()
    leave_there = {kind for kind, keep in (("crash", not unwind_on_error),
                                           ("breakpoint", not ignore_breakpoints)) if keep}
    problem, suspended, outcome, refused = None, None, None, False
    try:
        regs.write(abi.entry_registers(before))
        regs.set_pc(trampoline.address)
        problem = _run_to_trap(regs, abi, trampoline, timeout, all_threads=all_threads,
                               stop_at_breakpoints=not ignore_breakpoints)
        if problem is None:
            outcome = regs.frame.GetPC()
        elif problem.kind in leave_there and \
                not trampoline.in_prologue(abi, regs.frame.GetPC()):
            suspended = Suspended(abi, trampoline, before)
        else:
            outcome = _through_restore_path(regs, abi, trampoline)
    finally:
        if suspended is None and process.GetState() == lldb.eStateStopped:
            refused = _put_back(regs, abi, memory, trampoline, before, outcome,
                                wrote_since=problem is not None)
    if suspended is not None:
        raise CallSuspended(f"{problem.text}\nThe thread is left there to inspect; "
                            f"'jit-eval --abandon' puts it back as it was.", suspended)
    if problem is not None:
        raise ExecError(problem.text if outcome is not None else
                        problem.text + "; the thread could not run the register restore path")
    return not refused


_probed: dict[tuple[int, int], int] = {}   # (process, thread) -> lowest stack address read


def _probe_stack(thread: lldb.SBThread, memory, lowest: int) -> None:
    """That the thread's stack has room down to `lowest`: read there, unless an
    address at or below it was read before (a stack does not shrink)."""
    key = (thread.GetProcess().GetUniqueID(), thread.GetThreadID())
    if _probed.get(key, lowest + 1) <= lowest:
        return
    try:
        memory.read(lowest, 1)
    except ExecError:
        raise ExecError("the thread's stack has no room to run the expression") from None
    _probed[key] = lowest


def system_call(thread: lldb.SBThread, abi, number: int, args: tuple[int, ...], place: int,
                written: bool) -> int:
    """Run Linux system call `number` on `thread` alone and return its raw result (a
    negative errno on failure). At `place` is the target's system call instruction:
    followed by its trap when we `written` it there (the thread runs to the trap), or
    one found in the program (the thread runs to an internal breakpoint just after it;
    single-stepping is no substitute, qemu's stub steps one instruction past a system
    call). Every register it touches is put back, whatever happens."""
    if thread.GetProcess().GetState() != lldb.eStateStopped:
        raise ExecError("the process must be stopped")
    stophandling.check_resume()
    regs = Registers(thread, abi)
    names = list(dict.fromkeys([abi.PC, abi.SYSCALL_NUMBER, *abi.SYSCALL_ARGS[:len(args)],
                                abi.SYSCALL_RESULT, *abi.SYSCALL_CLOBBERS]))
    before = regs.read(names)
    instruction = abi.SYSCALL_CODE[:abi.SYSCALL_TRAP]
    done = _trap_pcs(abi, place + abi.SYSCALL_TRAP) if written else {place + len(instruction)}
    try:
        regs.write({abi.SYSCALL_NUMBER: number, **dict(zip(abi.SYSCALL_ARGS, args))})
        regs.set_pc(place)
        if written:
            _resume(thread)
            regs.refresh()
            if _stale_trap(thread, regs.frame.GetPC(), place):
                _resume(thread, _pending_signal(thread))
        else:
            _run_to(thread, place + len(instruction))
        regs.refresh()
        if regs.frame.GetPC() not in done:
            raise ExecError(f"the system call {number} in the debuggee did not return: "
                            f"{thread.GetStopDescription(256) or 'stopped'} at "
                            f"{regs.frame.GetPC():#x}")
        return regs.read([abi.SYSCALL_RESULT])[abi.SYSCALL_RESULT]
    finally:
        if thread.GetProcess().GetState() == lldb.eStateStopped:
            regs.refresh()
            regs.write({n: v for n, v in before.items() if n != abi.PC})
            regs.set_pc(before[abi.PC])


def stub_for(thread: lldb.SBThread, abi, calls: list[tuple[int, tuple[int, ...]]],
             memory) -> tuple[SyscallStub, int, int] | None:
    """The target's stub for system calls `calls` (number, arguments) on `thread` as it
    is stopped, with the thread's PC and SP; None where the target has none or it
    cannot run here (a pending system call the kernel would restart, no room on the
    stack)."""
    make = getattr(abi, "syscall_stub", None)
    if make is None:
        return None
    live = Registers(thread, abi).read([abi.PC, abi.SP, *_fetch_all(abi)])
    stub = make(calls, memory.read, live[abi.PC])
    if stub is None:
        return None
    try:
        _probe_stack(thread, memory, live[abi.SP] - stub.drop)
    except ExecError:
        return None
    return stub, live[abi.PC], live[abi.SP]


_STUB_RESUMES = 8      # a signal handler the stub was interrupted by must return to it


def _fetch_all(abi) -> tuple[str, ...]:
    """A register to read before writing any: one the stop does not send, so that LLDB
    fetches them all where it writes them all at once (`G`, GNU gdbserver): it then
    writes what it holds, and zeros for the registers it has not fetched."""
    return (abi.SYSCALL_NUMBER,)


def stub_system_calls(thread: lldb.SBThread, abi, stub: SyscallStub, pc: int, sp: int,
                      place: int, memory) -> list[int]:
    """Run `stub` (targets/SyscallStub, written at `place`) on `thread` alone and
    return the system calls' raw results; the thread's PC and SP (`pc`, `sp`) are put
    back, and its other registers, from the stub's save area where it stopped after
    changing them."""
    stophandling.check_resume()
    regs = Registers(thread, abi)
    done = _trap_pcs(abi, place + stub.trap)
    try:
        regs.set_pc(place)
        for _ in range(_STUB_RESUMES):
            at = regs.frame.GetPC()
            _resume(thread, _pending_signal(thread) if _stale_trap(thread, at, place) else 0)
            regs.refresh()
            if regs.frame.GetPC() in done:
                raw = memory.read(sp - stub.drop + stub.results[0], 8 * len(stub.results))
                return [int.from_bytes(raw[i:i + 8], abi.BYTE_ORDER)
                        for i in range(0, len(raw), 8)]
        raise ExecError(f"the system call in the debuggee did not return: "
                        f"{thread.GetStopDescription(256) or 'stopped'} at "
                        f"{regs.frame.GetPC():#x}")
    finally:
        if thread.GetProcess().GetState() == lldb.eStateStopped:
            regs.refresh()
            at = regs.frame.GetPC() - place
            regs.read(_fetch_all(abi))
            if stub.saves_end <= at < stub.trap:     # registers changed, not yet restored
                raw = memory.read(sp - stub.drop, 8 * len(stub.saved))
                regs.write({name: int.from_bytes(raw[8 * i:8 * i + 8], abi.BYTE_ORDER)
                            for i, name in enumerate(stub.saved)})
            regs.write({abi.SP: sp})
            regs.set_pc(pc)


def abandon(thread: lldb.SBThread, suspended: Suspended, memory) -> None:
    """Put a thread left inside an expression back as it was before the call."""
    regs = Registers(thread, suspended.abi)
    abi, trampoline = suspended.abi, suspended.trampoline
    pc = regs.frame.GetPC()
    outcome = pc if pc in trampoline.trap_pcs(abi) | trampoline.check_pcs(abi) \
        else _through_restore_path(regs, abi, trampoline)
    _put_back(regs, abi, memory, trampoline, suspended.before, outcome, wrote_since=True)
    if outcome is None:
        raise ExecError("the thread could not run the register restore path; "
                        "its general registers were put back")


def _trap_pcs(abi, trap: int) -> set[int]:
    """Where the thread stops once the trap instruction at `trap` has run: past it, as
    the CPU reports it, or on it, where the stub backs the PC up as it does for its own
    breakpoints (GNU gdbserver does, for every `int3`)."""
    return {trap, trap + abi.TRAP_PC_OFFSET}


def _through_restore_path(regs: Registers, abi, trampoline: Trampoline) -> int | None:
    """Send the thread through the restore path; the PC it trapped at, None if it did
    not get there. A thread that stopped while the trampoline was still saving (only a
    watchpoint on the stack can stop it there) stays: _put_back() knows what the
    trampoline has changed so far."""
    if trampoline.in_prologue(abi, regs.frame.GetPC()):
        return regs.frame.GetPC()
    regs.write(abi.recovery_registers(trampoline.address))
    if _run_to_trap(regs, abi, trampoline, RESTORE_TIMEOUT, recovering=True) is not None:
        return None
    return regs.frame.GetPC()


def _put_back(regs: Registers, abi, memory, trampoline: Trampoline,
              before: dict[str, int], outcome: int | None, wrote_since: bool) -> bool:
    """The PC as it was; and, unless the thread trapped where the trampoline found
    every saved register as its copy says (`outcome`: the PC the thread is at, None if
    the restore path failed), each general register checked against what the
    trampoline saved and written where it differs. True if the trampoline refused the
    call words (and ran nothing).

    A stub without `P` packets (GNU gdbserver) has every register written at once
    (`G`), from what LLDB last read; LLDB does not read them again after a stop
    before writing the PC. So once registers were written at a stop after the one
    the thread entered the trampoline from (`wrote_since`), one that is not sent with
    the stop (the flags) is read first: LLDB then reads them all anew."""
    if wrote_since:
        regs.read([abi.FLAGS])
    refused = False
    if outcome in trampoline.trap_pcs(abi):
        fix = abi.restore_after(before)
    else:
        saved, refused = _saved(abi, memory, trampoline, before, outcome)
        target = {**saved, abi.SP: before[abi.SP], **abi.restore_after(before)}
        after = regs.read(target)
        fix = {name: value for name, value in target.items() if after[name] != value}
    if fix:
        regs.write(fix)
    regs.set_pc(before[abi.PC])
    return refused


def _saved(abi, memory, trampoline: Trampoline, before: dict[str, int],
           pc: int | None) -> tuple[dict[str, int], bool]:
    """The registers as the trampoline saved them, and whether it refused the call
    words. Stopped before the call, what it stored on the stack: only the registers it
    has changed so far while still storing them. After, its copy in the mailbox,
    unless the mailbox does not name this call's frame (the code overwrote it): then
    the stack's."""
    frame = abi.frame_of(before[abi.SP])
    names = abi.PUSHED_REGISTERS
    if pc is not None and trampoline.in_prologue(abi, pc):
        offset = pc - trampoline.address
        if offset < abi.SAVED_END:
            names = abi.changed_while_saving(offset)
        raw = memory.read(frame + abi.SAVED_OFFSET, abi.SAVED_BYTES) if names else b""
        refused = False
    else:
        words = mailbox_words(abi)
        mailbox = memory.read(trampoline.mailbox, words + 8)
        raw = mailbox[MAILBOX_COPY:MAILBOX_COPY + abi.SAVED_BYTES]
        if int.from_bytes(mailbox[MAILBOX_FRAME:MAILBOX_FRAME + 8], abi.BYTE_ORDER) != frame:
            raw = memory.read(frame + abi.SAVED_OFFSET, abi.SAVED_BYTES)
        refused = int.from_bytes(mailbox[words + STATUS:words + STATUS + 8],
                                 abi.BYTE_ORDER) != 0
    return {name: int.from_bytes(raw[i * 8:i * 8 + 8], abi.BYTE_ORDER)
            for i, name in enumerate(abi.PUSHED_REGISTERS) if name in names}, refused


def _run_to_trap(regs: Registers, abi, trampoline: Trampoline, timeout: float,
                 recovering: bool = False, all_threads: bool = False,
                 stop_at_breakpoints: bool = False) -> Problem | None:
    """Resume until the thread reaches one of the trampoline's traps (None), or say why
    not. Breakpoints in called code are stepped over (unless `stop_at_breakpoints`);
    the watchdog's stops are resumed from until the timeout passes or the user presses
    Ctrl-C (not while `recovering`: running the restore path, when the pending signal
    of the stop that sent us there is not delivered either), and always while the
    trampoline is still saving registers."""
    thread = regs.thread
    traps = trampoline.trap_pcs(abi) | trampoline.check_pcs(abi)
    deadline = time.monotonic() + timeout if timeout else None
    ctrl_c = contextlib.nullcontext(lambda: False) if recovering else _ctrl_c_pressed()
    suppress = _pending_signal(thread) if recovering else 0
    interrupted = stale = False
    with WATCHDOG.armed(thread.GetProcess()) as pokes, ctrl_c as pressed:
        while True:
            seen = len(pokes)
            _resume(thread, suppress, all_threads)
            suppress = 0
            regs.refresh()
            pc = regs.frame.GetPC()
            if pc in traps:
                return None
            if not stale and _stale_trap(thread, pc, trampoline.address):
                stale = True
                suppress = _pending_signal(thread)
                continue
            ours = len(pokes) > seen and _stopped_by_interrupt(thread)
            interrupted = interrupted or pressed()
            if ours and trampoline.in_prologue(abi, pc):
                suppress = _pending_signal(thread)   # let it finish saving first
                continue
            if interrupted:
                return Problem("interrupt", "the expression was interrupted (Ctrl-C)")
            if deadline is not None and time.monotonic() >= deadline:
                return Problem("timeout", f"the expression timed out after {timeout:g} s "
                                          f"and was interrupted")
            if ours:
                suppress = _pending_signal(thread)   # ours: never delivered
                continue
            at_breakpoint = thread.GetStopReason() == lldb.eStopReasonBreakpoint
            if not at_breakpoint or stop_at_breakpoints:
                return Problem("breakpoint" if at_breakpoint else "crash",
                               _crash_report(thread, trampoline.address, trampoline.size))


def _stopped_by_interrupt(thread: lldb.SBThread) -> bool:
    """A stop the watchdog caused: no reason of its own, the SIGSTOP lldb-server sends,
    or the SIGINT of GNU gdbserver (and of our interrupt of qemu-user)."""
    reason = thread.GetStopReason()
    if reason == lldb.eStopReasonSignal:
        signals = thread.GetProcess().GetUnixSignals()
        return thread.GetStopReasonDataAtIndex(0) in (
            signals.GetSignalNumberFromName("SIGSTOP"), signals.GetSignalNumberFromName("SIGINT"))
    return reason in (lldb.eStopReasonNone, lldb.eStopReasonInvalid,
                      getattr(lldb, "eStopReasonInterrupt", -1))


def _stale_trap(thread: lldb.SBThread, pc: int, start: int) -> bool:
    """Whether the thread, resumed at `start`, stopped there with SIGTRAP without having
    moved: a stop the stub had queued from before the resume (a thread's breakpoint hit
    reported at its next resume, seen under GNU gdbserver and, under load, lldb-server).
    Nothing we run traps on its first instruction; the caller resumes once more, the
    stale trap suppressed, never delivered."""
    signals = thread.GetProcess().GetUnixSignals()
    return pc == start and _pending_signal(thread) == signals.GetSignalNumberFromName("SIGTRAP")


def _pending_signal(thread: lldb.SBThread) -> int:
    if thread.GetStopReason() == lldb.eStopReasonSignal:
        return thread.GetStopReasonDataAtIndex(0)
    return 0


def _crash_report(thread: lldb.SBThread, trampoline: int, size: int) -> str:
    """Why the thread stopped, and where: the innermost frames up to the expression's
    own code (no symbol there; LLDB cannot unwind past it, having no unwind info)."""
    reason = thread.GetStopDescription(256) or "stopped"
    frames = []
    for frame in thread:
        pc = frame.GetPC()
        if trampoline <= pc < trampoline + size or len(frames) == 6:
            break
        frames.append(_describe_frame(frame, pc))
        if not frame.GetSymbol().IsValid():
            break
    where = frames[0] if frames else "in the expression"
    trace = "".join(f"\n    #{i}: {text}" for i, text in enumerate(frames)) if len(frames) > 1 else ""
    return f"the expression stopped: {reason}, {where}{trace}"


def _describe_frame(frame: lldb.SBFrame, pc: int) -> str:
    symbol = frame.GetSymbol()
    if not symbol.IsValid():
        return f"in the expression at {pc:#x}"
    line = frame.GetLineEntry()
    place = (f" at {line.GetFileSpec().GetFilename()}:{line.GetLine()}"
             if line.IsValid() and line.GetFileSpec().GetFilename() else "")
    return f"in {symbol.GetName()}{place} ({pc:#x})"


class _Watchdog:
    """One long-lived thread that stops the process every TICK seconds while a call is
    armed, so that the command's own thread wakes up to look at the clock and at
    Ctrl-C (LLDB answers `WasInterrupted()` only on that thread). Starting a thread
    per call would cost more than the call, and so would waking it for each call
    (the wake-up competes with LLDB and the stub for the CPU while the call runs): it
    keeps ticking for IDLE_TICKS after a call, and arming it then is one assignment.
    A call is first stopped between one and two ticks after it was armed; disarming
    waits for a stop under way (one coming after would stop whatever runs next)."""

    TICK = 0.25
    IDLE_TICKS = 40

    def __init__(self):
        self._cond = threading.Condition()
        self._armed: tuple | None = None     # (process, pokes: list, when armed)
        self._thread: threading.Thread | None = None
        self._sleeping = True                # waiting for a notify, not ticking

    @contextlib.contextmanager
    def armed(self, process: lldb.SBProcess):
        pokes: list[float] = []              # when the process was stopped by us
        self._armed = (process, pokes, time.monotonic())
        if self._sleeping:   # (the thread sets it, then looks at _armed: one sees the other)
            with self._cond:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, daemon=True,
                                                    name="lldb-jit watchdog")
                    self._thread.start()
                self._sleeping = False
                self._cond.notify()
        try:
            yield pokes
        finally:
            with self._cond:    # the thread stops the process holding it: once this is
                self._armed = None    # left, no stop of this call's is under way or to come

    def _loop(self) -> None:
        idle = 0
        with self._cond:
            while True:
                if self._sleeping:
                    self._cond.wait()
                    idle = 0
                    continue
                self._cond.wait(self.TICK)
                armed = self._armed
                if armed is None:
                    idle += 1
                    if idle >= self.IDLE_TICKS:
                        self._sleeping = True
                        if self._armed is not None:   # armed meanwhile: tick on
                            self._sleeping = False
                    continue
                idle = 0
                process, pokes, since = armed
                if time.monotonic() - since >= self.TICK:
                    pokes.append(time.monotonic())
                    _interrupter(process)()


WATCHDOG = _Watchdog()

_interrupters: dict[int, object] = {}


def _interrupter(process: lldb.SBProcess):
    """How to stop `process` while it runs: LLDB's async interrupt, except under
    qemu-user's stub, which reads no packet while the guest runs (an interrupt loses
    the connection): there a SIGINT to the qemu process on this host stops the guest,
    and qemu reports it as the guest's signal. Found at the first interrupt a process
    needs, not on every call."""
    uid = process.GetUniqueID()
    if uid not in _interrupters:
        pid = stubs.qemu_user_peer()
        _interrupters[uid] = (process.SendAsyncInterrupt if pid is None
                              else lambda: os.kill(pid, signal.SIGINT))
    return _interrupters[uid]


@contextlib.contextmanager
def _ctrl_c_pressed():
    """While a call runs, Ctrl-C is ours: LLDB's driver cannot interrupt a command that
    is waiting for the process. Python's SIGINT handler (async-signal-safe: it writes
    to a wakeup pipe) stands in for LLDB's, which is saved and put back byte for byte
    with sigaction. Off the main thread Python cannot do this: no Ctrl-C then."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    lldb_handler = ctypes.create_string_buffer(256)   # > sizeof(struct sigaction)
    _libc.sigaction(signal.SIGINT, None, lldb_handler)
    read_fd, write_fd = _wakeup_pipe()
    old_wakeup = signal.set_wakeup_fd(write_fd)
    old_python = _signal.signal(signal.SIGINT, _ignore)   # (signal.signal less its enums)

    def pressed() -> bool:
        try:
            return bool(os.read(read_fd, 64))
        except BlockingIOError:
            return False
    try:
        yield pressed
    finally:
        _signal.signal(signal.SIGINT, old_python if old_python is not None else signal.SIG_DFL)
        _libc.sigaction(signal.SIGINT, lldb_handler, None)
        signal.set_wakeup_fd(old_wakeup)


def _ignore(signum, frame) -> None:
    """Python's SIGINT handler while a call runs: the wakeup pipe says it came."""


_pipe: tuple[int, int] | None = None


def _wakeup_pipe() -> tuple[int, int]:
    """The non-blocking pipe Python's signal handler writes to, made once, emptied
    of any press from before."""
    global _pipe
    if _pipe is None:
        _pipe = os.pipe()
        for fd in _pipe:
            os.set_blocking(fd, False)
    try:
        while os.read(_pipe[0], 64):
            pass
    except BlockingIOError:
        pass
    return _pipe


_libc = ctypes.CDLL(None, use_errno=True)


def _resume(thread: lldb.SBThread, suppress_signal: int = 0, all_threads: bool = False) -> None:
    """Continue `thread` (alone unless `all_threads`), synchronously, and check the
    process stopped again."""
    stophandling.check_resume()
    process = thread.GetProcess()
    debugger = process.GetTarget().GetDebugger()
    held = [] if all_threads or process.GetNumThreads() == 1 else [
        t for t in process if t.GetThreadID() != thread.GetThreadID() and not t.IsSuspended()]
    signals = process.GetUnixSignals() if suppress_signal else None
    was_suppressed = signals.GetShouldSuppress(suppress_signal) if suppress_signal else None
    for t in held:
        t.Suspend()
    if suppress_signal:
        signals.SetShouldSuppress(suppress_signal, True)
    try:
        with _synchronous(debugger):
            error = process.Continue()
    finally:
        if suppress_signal:
            signals.SetShouldSuppress(suppress_signal, was_suppressed)
        for t in held:
            t.Resume()
    _check_stopped(process, error)


def _run_to(thread: lldb.SBThread, address: int) -> None:
    """Run `thread` alone (LLDB holds the others) until it reaches `address`, where
    LLDB puts an internal breakpoint: the stub's own (`Z0`), so nothing is written in
    the debuggee."""
    stophandling.check_resume()
    error = lldb.SBError()
    with _synchronous(thread.GetProcess().GetTarget().GetDebugger()):
        thread.RunToAddress(address, error)
    _check_stopped(thread.GetProcess(), error)


@contextlib.contextmanager
def _synchronous(debugger: lldb.SBDebugger):
    """The debugger synchronous, so that a resume returns once the process stopped
    again; set only where it is async (each SetAsync is an SB call)."""
    was_async = debugger.GetAsync()
    if was_async:
        debugger.SetAsync(False)
    try:
        yield
    finally:
        if was_async:
            debugger.SetAsync(True)


def _check_stopped(process: lldb.SBProcess, error: lldb.SBError) -> None:
    state = process.GetState()
    if state in (lldb.eStateExited, lldb.eStateDetached):
        why = process.GetExitDescription()
        raise ExecError(f"the process exited during the evaluation "
                        f"(status {process.GetExitStatus()}{': ' + why if why else ''})")
    if error.Fail() or state != lldb.eStateStopped:
        raise ExecError(f"cannot run the expression: "
                        f"{error.GetCString() or lldb.SBDebugger.StateAsCString(state)}")
