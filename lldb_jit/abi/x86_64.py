"""The SysV x86-64 calling convention, as LLDB's ABISysV_x86_64::PrepareTrivialCall does it.

Pure data and arithmetic: the run step applies what this module computes.
"""
from __future__ import annotations

from . import CallSetup

NAME = "x86_64"
TRAP = b"\xcc"                 # int3: the return address of every call points here
TRAP_PC_OFFSET = 1             # after the trap, the reported PC is just past the int3
PC, SP = "rip", "rsp"
RED_ZONE = 128
STACK_ALIGN = 16
ARG_REGS = ("rdi", "rsi", "rdx", "rcx", "r8", "r9")

# Every architectural register the code we run could change, by full name only: a
# sub-register (eax, al, xmm0 inside ymm0) is restored through the register holding it.
SAVED_REGISTERS = (
    "rax", "rbx", "rcx", "rdx", "rdi", "rsi", "rbp", "rsp",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    "rip", "rflags", "fs_base", "gs_base",
    "fctrl", "fstat", "ftag", "fop", "fioff", "fiseg", "fooff", "foseg", "mxcsr",
    "st0", "st1", "st2", "st3", "st4", "st5", "st6", "st7",
    *(f"ymm{i}" for i in range(16)),
)
# Where a target has no AVX, the vector registers are only these.
FALLBACK_REGISTERS = {f"ymm{i}": f"xmm{i}" for i in range(16)}

RFLAGS_DF = 1 << 10


def prepare_call(regs: dict[str, int], entry: int, args: list[int], return_address: int,
                 ptr_size: int = 8) -> CallSetup:
    """Registers and stack words for calling `entry(args...)` so that it returns to
    `return_address`. `regs` holds at least the current SP and flags."""
    if len(args) > len(ARG_REGS):
        raise ValueError("more integer arguments than argument registers")
    sp = (regs[SP] - RED_ZONE) & ~(STACK_ALIGN - 1)
    sp -= ptr_size                     # the pushed return address: (sp + 8) % 16 == 0 at entry
    writes = {name: value for name, value in zip(ARG_REGS, args)}
    writes["rax"] = 0                  # no vector arguments, should the callee be variadic
    if regs.get("rflags", 0) & RFLAGS_DF:
        writes["rflags"] = regs["rflags"] & ~RFLAGS_DF   # the ABI wants DF clear on entry
    writes[SP] = sp
    writes[PC] = entry                 # last: the caller applies writes in this order
    return CallSetup(registers=writes,
                     stack=[(sp, return_address.to_bytes(ptr_size, "little"))])
