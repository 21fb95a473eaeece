"""The C calling convention of each target, as far as LLVM leaves it to the front end:
which registers a struct or union passed or returned by value travels in. LLVM lowers
scalars itself; for records the front end must say "these registers", "in memory" or
"by reference", as clang's ABIInfo does.

    lowering = targets.for_triple(triple).callconv.lower_call(ret, params, nfixed)

`ret` is None for void; `params` are the types of all the arguments of one call
(variadic ones included, already promoted), the first `nfixed` of them named ones (None:
all; a target may pass variadic records differently, as RISC-V does). The answer is a CallLowering: one Passing
for the return value and one per argument. irgen turns each register part into an LLVM
type (INTEGER n bytes: iN; SSE: float or double; X87: the target's long double), an
array of `count` of them when count > 1."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from .frontend.ctype import CType, is_record


class Class(enum.Enum):
    """SysV's classes of an eightbyte (x86-64 psABI 3.2.3). Other targets use INTEGER
    for general registers and SSE for floating-point/SIMD registers."""
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
    size: int      # bytes of one register's worth (the last part may be short, or run
                   # past the record's end where the target rounds it up: AAPCS64)
    count: int = 1  # > 1: `count` consecutive such registers, one LLVM array argument
                    # ([4 x float], [2 x i64]) that the backend allocates all or nothing


@dataclass(slots=True)
class Passing:
    """How one value crosses the call. In registers: one Part per LLVM value (scalars
    have one Part and are lowered by LLVM itself); no parts and not in memory: nothing
    is passed at all (an empty record). In memory: a returned value goes through a
    hidden `sret` pointer; an argument is copied to the stack (`byval`), or, when
    `by_reference`, copied by the caller to its own memory and passed by address."""
    in_memory: bool = False
    parts: list[Part] = field(default_factory=list)
    by_reference: bool = False
    stack_align: int = 0   # an argument's stack slot alignment when it is not the LLVM
                           # type's (`alignstack`, for AAPCS64 HFAs); 0: the type's

    @property
    def extent(self) -> int:
        """Bytes the register parts cover, from the record's start."""
        return max((p.offset + p.size * p.count for p in self.parts), default=0)


@dataclass(slots=True)
class CallLowering:
    ret: Passing | None     # None: void
    args: list[Passing]


def is_record_call(ret: CType | None, params: list[CType]) -> bool:
    """Whether a call needs the target's lowering at all."""
    return (ret is not None and is_record(ret)) or any(is_record(p) for p in params)
