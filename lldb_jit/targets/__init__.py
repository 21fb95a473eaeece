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
# copy of the stored registers; the debugger writes the entry point, the two arguments
# (the argument block's address and the result's) and, when it fits, the argument block.
MAILBOX_SIZE = 4096
MAILBOX_FRAME = 0
MAILBOX_COPY = 8


def mailbox_entry(abi: ModuleType) -> int:
    """Offset of the entry point: the words the debugger writes start here."""
    return MAILBOX_COPY + abi.SAVED_BYTES


def mailbox_block(abi: ModuleType) -> int:
    """Offset of the argument block, after the entry point and the two arguments."""
    return mailbox_entry(abi) + 3 * 8


def call_words(abi: ModuleType, mailbox: int, entry: int, block: bytes,
               block_address: int | None, result: int) -> bytes:
    """What the debugger writes at mailbox_entry(abi) for one call: the entry point, the
    two arguments and, unless it is elsewhere (`block_address`), the argument block."""
    if block_address is None:
        block_address = mailbox + mailbox_block(abi) if block else 0
        tail = block
    else:
        tail = b""
    order = abi.BYTE_ORDER
    return b"".join(v.to_bytes(8, order) for v in (entry, block_address, result)) + tail


def trampoline_bytes(abi: ModuleType, mailbox: int) -> bytes:
    """The trampoline as loaded: its code and the address of its mailbox."""
    return abi.TRAMPOLINE[:abi.MAILBOX_POINTER] + mailbox.to_bytes(8, abi.BYTE_ORDER)
