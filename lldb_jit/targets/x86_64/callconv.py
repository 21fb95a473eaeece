"""The System V x86-64 calling convention for records (psABI 3.2.3), as clang's
X86_64ABIInfo does it: classify each eightbyte from the scalars it holds, merge, clean
up, then give whole records to memory when the registers left do not hold them all."""
from __future__ import annotations

from ...frontend.ctype import (CType, Kind, is_flonum, is_integer, is_pointer, is_record,
                              strip_typedefs, ty_uchar)
from ...callconv import CallLowering, Class, Part, Passing

INTEGER_REGS, SSE_REGS = 6, 8   # rdi rsi rdx rcx r8 r9; xmm0-xmm7


def lower_call(ret: CType | None, params: list[CType],
               nfixed: int | None = None) -> CallLowering:
    ret_passing = None if ret is None or strip_typedefs(ret).kind is Kind.VOID \
        else classify(ret, returning=True)
    free = {Class.INTEGER: INTEGER_REGS - bool(ret_passing and ret_passing.in_memory),
            Class.SSE: SSE_REGS}
    args = []
    for ty in params:
        passing = classify(ty, returning=False)
        wanted = {c: sum(p.cls is c for p in passing.parts) for c in free}
        if all(wanted[c] <= free[c] for c in free):
            for c in free:
                free[c] -= wanted[c]
        elif is_record(ty):
            passing = Passing(in_memory=True)  # not all in registers: all on the stack
        args.append(passing)
    return CallLowering(ret_passing, args)


def classify(ty: CType, returning: bool) -> Passing:
    t = strip_typedefs(ty)
    classes = eightbyte_classes(t)
    if classes is None or Class.MEMORY in classes or \
            (Class.X87 in classes and not returning) or \
            any(c is Class.X87UP and (i == 0 or classes[i - 1] is not Class.X87)
                for i, c in enumerate(classes)):
        return Passing(in_memory=True)
    parts = [Part(c, 8 * i, min(8, t.size - 8 * i)) for i, c in enumerate(classes)
             if c is not Class.X87UP]
    return Passing(parts=parts)


def eightbyte_classes(t: CType) -> list[Class] | None:
    """The merged class of each eightbyte of `t`, None when `t` is in memory anyway
    (larger than two eightbytes, or a misaligned field)."""
    if t.size > 16 or t.size == 0 and is_record(t):
        return None
    classes = [Class.NO_CLASS] * ((t.size + 7) // 8)
    for offset, scalar in scalars(t, 0):
        if offset % max(scalar.align, 1):
            return None
        for i, cls in enumerate(scalar_classes(scalar)):
            index = offset // 8 + i
            if index < len(classes):
                classes[index] = merge(classes[index], cls)
    return [Class.SSE if c is Class.NO_CLASS else c for c in classes]


def scalars(t: CType, base: int):
    """(byte offset, type) of each scalar in `t`, records and arrays flattened."""
    t = strip_typedefs(t)
    if is_record(t):
        for m in t.members or ():
            member_type = strip_typedefs(m.type)
            if m.bit_width:
                yield base + m.offset, ty_uchar  # an integer in that byte; any alignment
            else:
                yield from scalars(member_type, base + m.offset)
    elif t.kind is Kind.ARRAY:
        element = strip_typedefs(t.base)
        for i in range(max(t.length, 0)):
            yield from scalars(element, base + i * element.size)
    else:
        yield base, t


def scalar_classes(t: CType) -> list[Class]:
    if t.kind is Kind.LDOUBLE:
        return [Class.X87, Class.X87UP]
    if is_flonum(t):
        return [Class.SSE]
    if is_integer(t) or is_pointer(t):
        return [Class.INTEGER]
    return [Class.MEMORY]


def merge(a: Class, b: Class) -> Class:
    """psABI 3.2.3, point 4 of the classification of aggregates."""
    if a is b or b is Class.NO_CLASS:
        return a
    if a is Class.NO_CLASS:
        return b
    if Class.MEMORY in (a, b):
        return Class.MEMORY
    if Class.INTEGER in (a, b):
        return Class.INTEGER
    if {a, b} & {Class.X87, Class.X87UP}:
        return Class.MEMORY
    return Class.SSE
