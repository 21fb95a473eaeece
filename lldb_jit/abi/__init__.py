"""Calling into the debuggee, one module per architecture behind the same names:
NAME, BYTE_ORDER, PC, SP, FP, FLAGS, CHECKED_REGISTERS, PUSHED_REGISTERS, the TRAMPOLINE bytes
with its RESTORE and TRAP offsets, TRAP_PC_OFFSET, SAVED_BYTES, STACK_NEEDED, and
prepare_call(), entry_registers(), recovery_registers()."""
from __future__ import annotations

from types import ModuleType

from ..errors import JitError


def abi_for_triple(triple: str) -> ModuleType:
    arch = triple.split("-", 1)[0]
    if arch in ("x86_64", "amd64"):
        from . import x86_64
        return x86_64
    raise JitError(f"architecture '{arch}' is not supported yet (target triple {triple})")
