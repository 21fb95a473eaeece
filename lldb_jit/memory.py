"""Debuggee memory: pages from a page source, sub-allocated by arenas (one per
permission: "rx" for code and read-only data, "rw" for data), and the load step that
copies linked segments in. No mapping is ever writable and executable: code pages are
written through the debugger, which needs no write permission in the debuggee.
"""
from __future__ import annotations

import bisect
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


class ProcessPages:
    """Pages from LLDB's SBProcess.AllocateMemory (lldb-server and qemu's stub can do it)."""

    def __init__(self, process):
        import lldb
        self._lldb = lldb
        self.process = process
        self._perms = {"rx": lldb.ePermissionsReadable | lldb.ePermissionsExecutable,
                       "rw": lldb.ePermissionsReadable | lldb.ePermissionsWritable}

    def allocate_pages(self, size: int, perm: str) -> int:
        error = self._lldb.SBError()
        address = self.process.AllocateMemory(size, self._perms[perm], error)
        if error.Fail() or address == self._lldb.LLDB_INVALID_ADDRESS:
            raise ExecError(f"cannot allocate {size} bytes ({perm}) in the debuggee: "
                            f"{error.GetCString() or 'unknown error'}")
        return address

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


def load(heap: Heap, segments) -> None:
    """The load step: copy each linked segment to the address the linker gave it."""
    for segment in segments:
        heap.write(segment.address, segment.data)
