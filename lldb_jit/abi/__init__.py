"""Calling conventions, one module per architecture behind the same names:
NAME, TRAP, TRAP_PC_OFFSET, PC, SP, SAVED_REGISTERS, FALLBACK_REGISTERS, prepare_call()."""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from ..errors import JitError


@dataclass
class CallSetup:
    registers: dict[str, int]          # register name -> value, in the order to write them
    stack: list[tuple[int, bytes]]     # (address, bytes) to write before running


def abi_for_triple(triple: str) -> ModuleType:
    arch = triple.split("-", 1)[0]
    if arch in ("x86_64", "amd64"):
        from . import x86_64
        return x86_64
    raise JitError(f"architecture '{arch}' is not supported yet (target triple {triple})")
