"""Debuggee memory: pages from a page source (mmap run as a system call in the
debuggee), sub-allocated by arenas (one per permission: "rx" for code and read-only
data, "rw" for data), and the load step that copies linked segments in. No mapping is
ever writable and executable: code pages are written through the debugger, which needs
no write permission in the debuggee, or between two mprotects where the stub does.
"""
from __future__ import annotations

import bisect
import os
from typing import Callable, Protocol

from .errors import ExecError

PAGE = 4096
CHUNK = 64 * 1024


def align_up(value: int, align: int) -> int:
    return (value + align - 1) & ~(align - 1)


class PageSource(Protocol):
    def allocate_pages(self, size: int, perm: str) -> int: ...
    def write(self, address: int, data: bytes) -> None: ...
    def read(self, address: int, size: int) -> bytes: ...


class Arena:
    """First-fit allocator over chunks of pages of one permission; freed ranges are
    merged with their neighbours and reused, so memory does not grow with use."""

    def __init__(self, grow: Callable[[int], int], chunk: int = CHUNK):
        self._grow = grow
        self._chunk = chunk
        self._free: list[tuple[int, int]] = []   # sorted, disjoint [start, end) ranges
        self._used: dict[int, int] = {}          # start -> end of each live block

    def allocate(self, size: int, align: int = 16) -> int:
        size = max(size, 1)
        address = self._take(size, align)
        if address is None:
            grow = align_up(max(self._chunk, size + align), PAGE)
            base = self._grow(grow)
            self._release(base, base + grow)
            address = self._take(size, align)
        return address

    def free(self, address: int) -> None:
        end = self._used.pop(address, None)
        if end is not None:
            self._release(address, end)

    def _take(self, size: int, align: int) -> int | None:
        for i, (start, end) in enumerate(self._free):
            address = align_up(start, align)
            if address + size <= end:
                rest = [(s, e) for s, e in ((start, address), (address + size, end)) if e > s]
                self._free[i:i + 1] = rest
                self._used[address] = address + size
                return address
        return None

    def _release(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self._free, (start, end))
        if i > 0 and self._free[i - 1][1] == start:          # merge with the one before
            i -= 1
            start = self._free.pop(i)[0]
        if i < len(self._free) and self._free[i][0] == end:  # and with the one after
            end = self._free.pop(i)[1]
        self._free.insert(i, (start, end))


class Heap:
    """The debuggee memory of one process: an arena per permission, and a record of what
    each evaluation took so it can be given back."""

    def __init__(self, pages: PageSource):
        self.pages = pages
        self.arenas = {perm: Arena(lambda size, perm=perm: pages.allocate_pages(size, perm))
                       for perm in ("rx", "rw")}

    def allocate(self, size: int, align: int, perm: str) -> int:
        return self.arenas[perm].allocate(size, align)

    def free(self, perm: str, address: int) -> None:
        self.arenas[perm].free(address)

    def write(self, address: int, data: bytes) -> None:
        self.pages.write(address, data)

    def read(self, address: int, size: int) -> bytes:
        return self.pages.read(address, size)


class Scope:
    """The allocations of one evaluation: freed together unless kept."""

    def __init__(self, heap: Heap):
        self.heap = heap
        self.blocks: list[tuple[str, int]] = []

    def allocate(self, size: int, align: int, perm: str) -> int:
        address = self.heap.allocate(size, align, perm)
        self.blocks.append((perm, address))
        return address

    def keep(self, address: int) -> None:
        self.blocks = [(p, a) for p, a in self.blocks if a != address]

    def free_all(self) -> None:
        for perm, address in reversed(self.blocks):
            self.heap.free(perm, address)
        self.blocks.clear()


class ProcessMemory:
    """Reads and writes of the debuggee's memory through LLDB, checked."""

    def __init__(self, process):
        import lldb
        self._lldb = lldb
        self.process = process

    def write(self, address: int, data: bytes) -> None:
        if not data:
            return
        error = self._lldb.SBError()
        written = self.process.WriteMemory(address, data, error)
        if error.Fail() or written != len(data):
            raise ExecError(f"cannot write {len(data)} bytes at {address:#x}: "
                            f"{error.GetCString() or 'short write'}")

    def read(self, address: int, size: int) -> bytes:
        if size == 0:
            return b""
        error = self._lldb.SBError()
        data = self.process.ReadMemory(address, size, error)
        if error.Fail() or data is None or len(data) != size:
            raise ExecError(f"cannot read {size} bytes at {address:#x}: "
                            f"{error.GetCString() or 'short read'}")
        return bytes(data)


class Readable:
    """Debuggee memory as its own code could load it, for the interpreter
    (lldb_jit/interpret.py): bytes of pages mapped readable, read through `memory`
    (LLDB's memory cache); anything else raises Bail (the debugger could read a
    PROT_NONE guard page, the code would fault). Nothing writes memory while one
    interpretation runs, so what it read once it keeps. What is readable is asked of
    the stub once per region and kept in `regions` while the memory map stays as it
    was."""

    LINE = 256      # bytes read at once (a page holds whole lines: one region each)

    def __init__(self, memory: ProcessMemory, regions: list[tuple[int, int, bool]]):
        self.memory = memory
        self.regions = regions
        self.lines: dict[int, bytes] = {}     # this interpretation's reads

    def read(self, address: int, size: int) -> bytes:
        offset = address % self.LINE
        first, end = address - offset, address + size
        if offset + size <= self.LINE:      # (most reads: within one line)
            return (self.lines.get(first) or self._line(first))[offset:offset + size]
        data = b"".join(self._line(line) for line in range(first, end, self.LINE))
        return data[offset:end - first]

    def _line(self, line: int) -> bytes:
        from .interpret import Bail
        data = self.lines.get(line)
        if data is None:
            if not self._region(line)[2]:
                raise Bail(f"{line:#x} is not readable")
            try:
                data = self.lines[line] = self.memory.read(line, self.LINE)
            except ExecError as e:
                raise Bail(str(e)) from None
        return data

    def _region(self, address: int) -> tuple[int, int, bool]:
        import lldb
        from .interpret import Bail
        for region in self.regions:
            if region[0] <= address < region[1]:
                return region
        info = lldb.SBMemoryRegionInfo()
        error = self.memory.process.GetMemoryRegionInfo(address, info)
        if error.Fail() or not info.GetRegionBase() <= address < info.GetRegionEnd():
            raise Bail("the stub does not describe memory regions", again=False)
        region = (info.GetRegionBase(), info.GetRegionEnd(),
                  info.IsMapped() and info.IsReadable())
        self.regions.append(region)
        return region


# Linux's values, the same on x86-64, AArch64 and RISC-V.
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MAP_PRIVATE, MAP_ANONYMOUS = 0x02, 0x20
MAP_FIXED_NOREPLACE = 0x100000    # Linux 4.17+; older kernels take the address as a hint
PROTECTION = {"rx": PROT_READ | PROT_EXEC, "rw": PROT_READ | PROT_WRITE}


def _errno(result: int) -> int:
    """The error number a Linux system call's raw result `result` holds (-4095..-1 as
    an unsigned 64-bit value), 0 for a success."""
    return (1 << 64) - result if result >= (1 << 64) - 4095 else 0


def _mmap(size: int, perm: str) -> tuple[str, tuple[int, ...]]:
    """The system call mapping `size` bytes of new pages with permission `perm`."""
    return "mmap", (0, size, PROTECTION[perm], MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)


class SyscallPages(ProcessMemory):
    """Pages from `mmap` run as a system call by a thread of the debuggee, which needs
    nothing from the stub (GNU gdbserver has no memory-allocation packet; LLDB's own
    fallback would call mmap through its expression machinery). Pages are mapped
    read-write, or read+execute for code (one system call: the debugger writes code
    through the stub, which needs no write permission in the debuggee): never both
    writable and executable. Stubs that cannot write into a read-only page
    (qemu-user's) get code written in between two `mprotect`s.

    The system call instruction is written, with the target's trap after it, over the
    program's entry point (its bytes are put back after each call); where the stub
    cannot write there, the thread runs one already in the program instead."""

    def __init__(self, process, abi):
        super().__init__(process)
        self.abi = abi
        self.thread = None               # the thread to run system calls on
        self._rx: list[tuple[int, int]] = []
        self._rx_writable = True         # does the stub write into read-only pages?
        self._place: tuple[int, bool] | None = None   # (address, written there)
        self._room = 0                   # bytes from there to its section's end
        self._mapped = False             # the first mapping was made
        self._spare: dict[str, tuple[int, int]] = {}   # perm -> pages mapped ahead
        self.calls = 0                   # system calls made: the memory map may differ

    def allocate_pages(self, size: int, perm: str) -> int:
        spare = self._spare.get(perm)
        if spare is not None and spare[1] == size:
            del self._spare[perm]
            return spare[0]
        # the first mapping brings a chunk of the other permission along where the
        # system calls run as one stub (one resume for both): an evaluation that runs
        # code needs both
        other = "rx" if perm == "rw" else "rw"
        along = [] if self._mapped else [_mmap(CHUNK, other)]
        self._mapped = True
        address, *ahead = self.system_calls([_mmap(size, perm)], along)
        self._mapped_pages(address, size, perm)
        if ahead and ahead[0] is not None:
            self._spare[other] = (ahead[0], CHUNK)
            self._mapped_pages(ahead[0], CHUNK, other)
        return address

    def _mapped_pages(self, address: int, size: int, perm: str) -> None:
        if perm == "rx":
            self._rx.append((address, address + size))

    def map_fixed(self, address: int, size: int) -> bool:
        """Read-write pages at exactly `address` (page-aligned), unless something is
        mapped there already: whether they were."""
        try:
            got = self.system_call("mmap", address, size, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)
        except ExecError:       # EEXIST: the address is taken
            return False
        if got != address:      # a kernel without MAP_FIXED_NOREPLACE put them elsewhere
            self.system_call("munmap", got, size)
            return False
        return True

    def write(self, address: int, data: bytes) -> None:
        end = address + len(data)
        in_rx = any(start <= address and end <= stop for start, stop in self._rx)
        if not in_rx or self._rx_writable:
            try:
                return super().write(address, data)
            except ExecError:
                if not in_rx:
                    raise
                self._rx_writable = False
        start, stop = address & ~(PAGE - 1), align_up(end, PAGE)
        self.system_call("mprotect", start, stop - start, PROTECTION["rw"])
        try:
            super().write(address, data)
        finally:
            self.system_call("mprotect", start, stop - start, PROTECTION["rx"])

    def system_call(self, name: str, *args: int) -> int:
        return self.system_calls([(name, args)])[0]

    def system_calls(self, calls: list[tuple[str, tuple[int, ...]]],
                     along: list[tuple[str, tuple[int, ...]]] = ()) -> list[int | None]:
        """The results of system calls `calls` (name, arguments), run in order; a
        failure is an ExecError. The calls `along` run after them only where all run
        as one stub, in the same resume (their results follow, None where one failed);
        elsewhere they do not run and have no result."""
        from . import run
        self.calls += 1
        thread = self.thread if self.thread is not None and self.thread.IsValid() \
            else self.process.GetSelectedThread()
        numbered = [(self.abi.SYSCALLS[name], tuple(a & (1 << 64) - 1 for a in args))
                    for name, args in [*calls, *along]]
        place, written = self._place or self._find_place()
        stub = run.stub_for(thread, self.abi, numbered, self) if written else None
        if stub is not None and (len(stub[0].code) > self._room or self._breakpoint_in(
                place, place + len(stub[0].code))):
            stub = None
        if stub is None:
            numbered = numbered[:len(calls)]
        code = stub[0].code if stub is not None else self.abi.SYSCALL_CODE
        saved = self.read(place, len(code)) if written else b""
        if written:
            super().write(place, code)
        try:
            results = run.stub_system_calls(thread, self.abi, *stub, place, self) \
                if stub is not None else \
                [run.system_call(thread, self.abi, number, args, place, written)
                 for number, args in numbered]
        finally:
            if written:
                super().write(place, saved)
        for (name, _), result in zip(calls, results):
            errno = _errno(result)
            if errno:
                raise ExecError(f"{name} in the debuggee failed: {os.strerror(errno)} "
                                f"(errno {errno})")
        return results[:len(calls)] + [None if _errno(r) else r for r in results[len(calls):]]

    def _breakpoint_in(self, start: int, end: int) -> bool:
        """Whether a breakpoint of the user's is set in [start, end): a write over it
        would lose it (the stub keeps its trap in its own copy of the bytes)."""
        for breakpoint in self.process.GetTarget().breakpoint_iter():
            for location in breakpoint:
                if location.IsEnabled() and start <= location.GetLoadAddress() < end:
                    return True
        return False

    def _find_place(self) -> tuple[int, bool]:
        lldb = self._lldb
        target = self.process.GetTarget()
        module = target.FindModule(target.GetExecutable())
        entry = module.GetObjectFileEntryPointAddress().GetLoadAddress(target)
        if entry != lldb.LLDB_INVALID_ADDRESS:
            try:
                code = self.abi.SYSCALL_CODE
                saved = self.read(entry, len(code))
                super().write(entry, saved)     # can the stub write there at all?
                section = target.ResolveLoadAddress(entry).GetSection()
                if section.IsValid():
                    self._room = section.GetLoadAddress(target) + section.GetByteSize() - entry
                self._place = (entry, True)
                return self._place
            except ExecError:
                pass
        instruction = self.abi.SYSCALL_CODE[:self.abi.SYSCALL_TRAP]
        for section in _sections(module):
            if not section.GetPermissions() & lldb.ePermissionsExecutable:
                continue
            data = section.GetSectionData()
            raw = bytes(data.ReadRawData(lldb.SBError(), 0, data.GetByteSize()) or b"")
            base = section.GetLoadAddress(target)
            offset = raw.find(instruction)
            while offset >= 0 and base != lldb.LLDB_INVALID_ADDRESS:
                if offset % self.abi.INSTRUCTION_ALIGN == 0 and \
                        self._can_stop_in(target, base + offset):
                    self._place = (base + offset, False)
                    return self._place
                offset = raw.find(instruction, offset + 1)
        raise ExecError("cannot run a system call in the debuggee: the stub cannot write "
                        "code and the program has no system call instruction")

    def _can_stop_in(self, target, address: int) -> bool:
        """Whether the thread may stop just after the system call instruction at
        `address`: the target's `stop_site_ok(function bytes)`, when it has one, is
        asked about the function around it (LLDB 23 crashes unwinding some RISC-V
        functions, see targets/riscv64/trampoline.py)."""
        check = getattr(self.abi, "stop_site_ok", None)
        if check is None:
            return True
        symbol = target.ResolveLoadAddress(address).GetSymbol()
        if not symbol.IsValid():
            return False
        start = symbol.GetStartAddress().GetLoadAddress(target)
        end = symbol.GetEndAddress().GetLoadAddress(target)
        if not start <= address < end:
            return False
        try:
            return check(self.read(start, end - start))
        except ExecError:
            return False


def _sections(module):
    """Every section of `module`, subsections included."""
    stack = [module.GetSectionAtIndex(i) for i in range(module.GetNumSections())]
    while stack:
        section = stack.pop(0)
        if section.GetNumSubSections():
            stack[:0] = [section.GetSubSectionAtIndex(i)
                         for i in range(section.GetNumSubSections())]
        else:
            yield section


def load(heap: Heap, segments) -> None:
    """The load step: copy each linked segment to the address the linker gave it."""
    for segment in segments:
        heap.write(segment.address, segment.data)
