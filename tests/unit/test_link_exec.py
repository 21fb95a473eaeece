"""Link an object for this very process and run it: no debugger. The code block is mapped
far (> 2 GiB) from libc and from the Python callback, so its calls really go through the
jump stubs and GOT (small code model; the large one reaches everything through the GOT
with 64-bit offsets). Pages are mapped RW, filled, then made R-X (never RWX)."""

from __future__ import annotations

import ctypes
import mmap
import platform

import pytest

from lldb_jit.link import link
from lldb_jit.targets.x86_64.relocations import R_X86_64_NAMES
from test_link_support import (
    X86_64, compile_ir, read_i32, relocation_offsets, section_address, segment_bytes,
)

pytestmark = pytest.mark.skipif(platform.machine() != "x86_64", reason="runs x86-64 code")

PROGRAM = r"""
declare i32 @abs(i32)
declare i32 @callback(i32)
@ext_g = external global i32
@counter = internal global i32 5
@fptr = internal global ptr @abs

define i32 @entry(i32 %x) {
  %a = call i32 @abs(i32 %x)
  %g = load i32, ptr @ext_g
  %c = call i32 @callback(i32 %g)
  %n = load i32, ptr @counter
  %n1 = add i32 %n, 1
  store i32 %n1, ptr @counter
  %f = load ptr, ptr @fptr
  %d = call i32 %f(i32 -100)
  %s1 = add i32 %a, %c
  %s2 = add i32 %s1, %n1
  %s3 = add i32 %s2, %d
  ret i32 %s3
}
"""

MAP_FIXED_NOREPLACE = 0x100000  # Linux >= 4.17; older kernels take the address as a hint
FAR_HINT = 0x200000000000  # 32 TiB: far from the heap, libc and the stack
TWO_GIB = 1 << 31

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
MAP_FAILED = ctypes.c_void_p(-1).value


class ProcessMemory:
    """`allocate` for this process: anonymous RW mappings near a far hint address."""

    def __init__(self, hint: int):
        self.hint = hint
        self.maps: dict[str, tuple[int, int]] = {}

    def __call__(self, size: int, align: int, perm: str) -> int:
        assert align <= mmap.PAGESIZE
        length = -(-size // mmap.PAGESIZE) * mmap.PAGESIZE
        want = self.hint + (0 if perm == "rx" else 1 << 20)
        addr = libc.mmap(want, length, mmap.PROT_READ | mmap.PROT_WRITE,
                         mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)
        if addr in (None, MAP_FAILED):
            addr = libc.mmap(None, length, mmap.PROT_READ | mmap.PROT_WRITE,
                             mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
        assert addr not in (None, MAP_FAILED), ctypes.get_errno()
        self.maps[perm] = (addr, length)
        return addr

    def release(self) -> None:
        for addr, length in self.maps.values():
            libc.munmap(addr, length)


@pytest.mark.parametrize("codemodel", ["small", "large"])
def test_linked_code_runs_in_process(codemodel):
    abs_addr = ctypes.cast(libc.abs, ctypes.c_void_p).value
    seen = []

    @ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)
    def callback(value):
        seen.append(value)
        return value * 10

    ext_g = ctypes.c_int(7)
    externals = {"abs": abs_addr, "ext_g": ctypes.addressof(ext_g),
                 "callback": ctypes.cast(callback, ctypes.c_void_p).value}
    obj = compile_ir(PROGRAM, triple=X86_64, codemodel=codemodel)

    memory = ProcessMemory(FAR_HINT)
    try:
        image = link(obj, externals.get, memory)
        rx, rx_len = memory.maps["rx"]
        # The stubs are needed for real: both call targets are out of rel32 range.
        far = [n for n in ("abs", "callback") if abs(externals[n] - rx) > TWO_GIB]
        if len(far) < 2:
            pytest.skip("could not map the code far from libc and the callback")
        if codemodel == "small":  # calls are rel32: they must land on our stubs
            text = section_address(image, obj, ".text")
            calls = relocation_offsets(obj, ".rela.text", R_X86_64_NAMES)
            for name in ("abs", "callback"):
                [call] = calls[f"R_X86_64_PLT32 {name}"]
                stub = text + call + 4 + read_i32(image, text + call)
                assert rx <= stub < rx + rx_len
                assert segment_bytes(image, stub, 2) == b"\xff\x25"
        for seg in image.segments:
            ctypes.memmove(seg.address, seg.data, len(seg.data))
        assert libc.mprotect(rx, rx_len, mmap.PROT_READ | mmap.PROT_EXEC) == 0
        entry = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)(image.symbols["entry"])
        # abs(-3) + callback(7) + (++counter) + abs(-100)
        assert entry(-3) == 3 + 70 + 6 + 100
        assert entry(4) == 4 + 70 + 7 + 100  # counter lives in writable memory
        assert seen == [7, 7]
        ext_g.value = 1
        assert entry(0) == 0 + 10 + 8 + 100
    finally:
        memory.release()
