"""The C calling convention of each target, as far as LLVM leaves it to the front end:
which registers a struct or union passed or returned by value travels in. LLVM lowers
scalars itself; for records the front end must say "these eightbytes, in integer or
vector registers" or "in memory" (byval argument, sret return), as clang's ABIInfo does.

    lowering = targets.for_triple(triple).callconv.lower_call(ret, params)

`ret` is None for void; `params` are the types of all the arguments of one call
(variadic ones included, already promoted). The answer is a CallLowering: one Passing
for the return value and one per argument. irgen turns each register part into an LLVM
type (INTEGER n bytes: iN; SSE: float or double; X87: the target's long double)."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from .frontend.ctype import CType, is_record


class Class(enum.Enum):
    """SysV's classes of an eightbyte (x86-64 psABI 3.2.3)."""
    NO_CLASS = "no class"
    INTEGER = "integer"
    SSE = "sse"
    X87 = "x87"
    X87UP = "x87up"
    MEMORY = "memory"


@dataclass(slots=True, frozen=True)
class Part:
    cls: Class     # INTEGER, SSE or X87
    offset: int    # byte offset in the record
    size: int      # bytes (the last part may be short)


@dataclass(slots=True)
class Passing:
    """How one value crosses the call: in memory (byval/sret), or in registers, one
    Part per register. Scalars have one Part and are lowered by LLVM itself."""
    in_memory: bool = False
    parts: list[Part] = field(default_factory=list)


@dataclass(slots=True)
class CallLowering:
    ret: Passing | None     # None: void
    args: list[Passing]


def is_record_call(ret: CType | None, params: list[CType]) -> bool:
    """Whether a call needs the target's lowering at all."""
    return (ret is not None and is_record(ret)) or any(is_record(p) for p in params)
