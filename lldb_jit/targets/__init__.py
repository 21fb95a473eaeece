"""One folder per target CPU, found through one registry, as LLVM's lib/Target/<Arch>/
and LLDB's Plugins/ABI/<Arch>/ do. Each folder holds everything that CPU needs, behind
the same names:

    trampoline.py   calling into the debuggee: the call trampoline's bytes, the registers
                    it saves, the syscall instruction (lldb_jit/run.py, lldb_jit/syscall.py)
    callconv.py     the C calling convention for records (irgen): lower_call()
    relocations.py  ELF relocation table and range-checked apply_fixup() (lldb_jit/link)
    hardware.py     what the machine does where C leaves the result undefined (irgen)
    __init__.py     TARGET: the Target below, filled in (with its TLS facts)

The stages ask the target (`target.callconv.lower_call(...)`, `target.link.apply_fixup`)
and never test the architecture themselves. Adding a CPU is one folder and one line in
_FOLDERS.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from ..errors import JitError
from ..tls import TlsAbi

# Triple architecture names -> folder. One line per target.
_FOLDERS = {
    "x86_64": "x86_64", "amd64": "x86_64",
    "aarch64": "aarch64", "arm64": "aarch64",
    "riscv64": "riscv64",
}


@dataclass(frozen=True, slots=True)
class Target:
    name: str                 # the folder's name
    elf_machine: int          # ELF e_machine of its objects
    abi: ModuleType           # trampoline.py
    callconv: ModuleType      # callconv.py
    link: object              # relocations.ARCH, a lldb_jit.link.edges.Arch
    hardware: object          # a lldb_jit.hardware.Hardware
    long_double: str          # LLVM's type for C's long double: x86_fp80, fp128, double
    char_signed: bool         # plain `char` is signed (x86-64) or unsigned (AArch64)
    tls: TlsAbi               # thread pointer register and TLS variant (lldb_jit/tls.py)
    # LLVM's TargetMachine for the platform's ABI (lldb_jit/compile.py): extensions the
    # debuggee's Linux assumes (RISC-V: "+m,+a,+f,+d,+c") and the ABI name ("lp64d");
    # empty: LLVM's default for the triple
    llvm_features: str = ""
    llvm_abi: str = ""
    sign_extend_int32: bool = False   # 32-bit integer arguments are sign-extended to 64
                                      # bits whatever their signedness (RV64: `signext`)


def for_triple(triple: str) -> Target:
    """The target of an LLVM/LLDB triple such as x86_64-pc-linux-gnu or aarch64--linux."""
    arch = triple.split("-", 1)[0]
    folder = _FOLDERS.get(arch)
    if folder is None:
        raise JitError(f"architecture '{arch}' is not supported (target triple {triple})")
    return importlib.import_module(f"{__name__}.{folder}").TARGET


def for_elf_machine(machine: int) -> Target | None:
    """The target whose objects have ELF e_machine `machine`, None if none does."""
    for folder in dict.fromkeys(_FOLDERS.values()):
        target = importlib.import_module(f"{__name__}.{folder}").TARGET
        if target.elf_machine == machine:
            return target
    return None


# The mailbox: where the trampoline finds what to call and keeps what it saved, in
# 8-byte words. The trampoline writes the frame (where it stored the registers) and a
# copy of the stored registers; then come the call words (mailbox_words()): a status
# (the trampoline sets 1 when it refused the call words and ran nothing), a check of
# them, the result's address (`next`; the trampoline advances it by the result's size
# for the next call, and keeps its complement beside it), the number of words checked,
# and those: the entry point, the argument block's address, the result's size and,
# when it fits, the argument block. A call that changes none of them needs no write:
# the same expression again puts its result just after the last one.
MAILBOX_SIZE = 4096
MAILBOX_FRAME = 0
MAILBOX_COPY = 8
STATUS, CHECK, NEXT, NOT_NEXT, COUNT, ENTRY = 0, 8, 16, 24, 32, 40   # from mailbox_words()
CHECKED_WORDS = 3          # entry point, argument block, result size; then the block
HASH_KEY, HASH_MULTIPLIER = 0x9E3779B97F4A7C15, 0x5BD1E995   # as the trampolines compute
_MASK = (1 << 64) - 1


def mailbox_words(abi: ModuleType) -> int:
    """Offset of the call words: the debugger writes from here."""
    return MAILBOX_COPY + abi.SAVED_BYTES


def mailbox_block(abi: ModuleType) -> int:
    """Offset of the argument block, the last of the call words."""
    return mailbox_words(abi) + ENTRY + 8 * CHECKED_WORDS


def call_check(words: list[int]) -> int:
    """The check of the call words, as the trampoline computes it: a multiplicative
    hash (a stray write into the mailbox is caught; nothing here is a secret)."""
    h = HASH_KEY
    for word in words:
        h = ((h ^ word) * HASH_MULTIPLIER) & _MASK
    return h


def call_words(abi: ModuleType, mailbox: int, entry: int, block: bytes,
               block_address: int | None, result: int, result_size: int) -> bytes:
    """The call words for one call, as written at mailbox_words(abi): the argument
    block is in them unless it is elsewhere (`block_address`)."""
    order = abi.BYTE_ORDER
    if block_address is None:
        block_address = mailbox + mailbox_block(abi) if block else 0
        tail = [int.from_bytes(block[i:i + 8], order) for i in range(0, len(block), 8)]
    else:
        tail = []
    checked = [entry, block_address, result_size] + tail
    words = [0, call_check(checked), result, ~result & _MASK, len(checked)] + checked
    return b"".join(w.to_bytes(8, order) for w in words)


def trampoline_bytes(abi: ModuleType, mailbox: int) -> bytes:
    """The trampoline as loaded: its code and the address of its mailbox."""
    return abi.TRAMPOLINE[:abi.MAILBOX_POINTER] + mailbox.to_bytes(8, abi.BYTE_ORDER)


@dataclass(frozen=True)
class SyscallStub:
    """System calls the debuggee runs by itself, one after the other, for a target whose
    trampoline.py has syscall_stub(): written over the program's entry point
    (lldb_jit/memory.py), it moves the SP `drop` bytes down, saves the registers the
    calls change there (`saved`, 8 bytes each from the lowered SP; none is changed
    before offset `saves_end`), loads each call's number and arguments and stores its
    result at lowered SP + `results[i]`, restores the registers and stops at its trap
    (offset `trap`) with the SP still lowered: the results stay out of reach of a
    signal handler. The debugger writes only the PC and, after, the SP
    (lldb_jit/run.py: stub_system_calls)."""
    code: bytes
    drop: int
    saved: tuple[str, ...]
    saves_end: int
    results: tuple[int, ...]
    trap: int
