"""AAPCS64 (Linux) for records, as clang's AArch64ABIInfo does it. The front end only
picks an LLVM type per record; LLVM's AArch64 backend does the register accounting:

    empty record                 nothing is passed (C: clang and gcc ignore it)
    HFA/HVA: 1-4 members of one  [N x float], [N x double], [N x fp128]: N consecutive v
      floating-point type        registers or, all of it, the stack (then no v register
                                 is used for later arguments); returned in v0-v3
    other records <= 16 bytes    i64 or [2 x i64] (x registers, all or nothing), i128
                                 when 16-aligned (an even register pair); returned in
                                 x0/x1 as iN, [2 x i64] or i128
    larger records               by reference: the address of a copy the caller made
                                 (B.4), in an x register or on the stack; returned
                                 through the address in x8 (sret)

Variadic arguments go the same way as named ones on Linux."""
from __future__ import annotations

from ...callconv import CallLowering, Class, Part, Passing
from ...frontend.ctype import CType, Kind, is_flonum, is_record, strip_typedefs

HFA_MAX_MEMBERS = 4


def lower_call(ret: CType | None, params: list[CType],
               nfixed: int | None = None) -> CallLowering:
    ret_passing = None if ret is None or strip_typedefs(ret).kind is Kind.VOID \
        else classify_return(ret)
    return CallLowering(ret_passing, [classify_argument(ty) for ty in params])


def classify_argument(ty: CType) -> Passing:
    """clang's AArch64ABIInfo::classifyArgumentType, AAPCS variant."""
    t = strip_typedefs(ty)
    if not is_record(t):
        return scalar(t)
    if t.size == 0 or is_empty_record(t):
        return Passing()
    hfa = hfa_part(t)
    if hfa is not None:
        return Passing(parts=[hfa], stack_align=16 if unadjusted_align(t) >= 16 else 8)
    if t.size <= 16:
        unit = 16 if unadjusted_align(t) >= 16 else 8   # i128 in an even pair, or i64s
        return Passing(parts=[Part(Class.INTEGER, 0, unit, -(-t.size // unit))])
    return Passing(in_memory=True, by_reference=True)


def classify_return(ty: CType) -> Passing:
    """clang's AArch64ABIInfo::classifyReturnType, little-endian."""
    t = strip_typedefs(ty)
    if not is_record(t):
        return scalar(t)
    if t.size == 0 or is_empty_record(t):
        return Passing()
    hfa = hfa_part(t)
    if hfa is not None:
        return Passing(parts=[hfa])
    if t.size <= 8:
        return Passing(parts=[Part(Class.INTEGER, 0, t.size)])   # i8 ... i64, i24 too
    if t.size <= 16:
        return Passing(parts=[Part(Class.INTEGER, 0, 16)] if t.align >= 16 else
                       [Part(Class.INTEGER, 0, 8, 2)])
    return Passing(in_memory=True)


def scalar(t: CType) -> Passing:
    return Passing(parts=[Part(float_class(t) if is_flonum(t) else Class.INTEGER, 0,
                               t.size)])


def hfa_part(t: CType) -> Part | None:
    """An HFA/HVA as one part of `count` v registers (one LLVM array), or None."""
    hfa = homogeneous_aggregate(t)
    if hfa is None:
        return None
    base, count = hfa
    return Part(float_class(base), 0, base.size, count)


def float_class(t: CType) -> Class:
    """float and double in s/d registers (SSE); long double is fp128 in a q register,
    irgen's "target's long double" (X87)."""
    return Class.X87 if t.kind is Kind.LDOUBLE else Class.SSE


def homogeneous_aggregate(t: CType) -> tuple[CType, int] | None:
    """(base type, member count) when `t` is a homogeneous floating-point aggregate:
    1-4 floating-point members of one size after flattening nested records and arrays,
    no padding (clang's ABIInfo::isHomogeneousAggregate). Union members overlap: a
    union counts its largest member."""
    t = strip_typedefs(t)
    if t.kind is Kind.ARRAY:
        element = homogeneous_aggregate(t.base) if t.length > 0 else None
        if element is None:
            return None
        base, count = element[0], element[1] * t.length
    elif is_record(t):
        base, count = None, 0
        for m in t.members or ():
            field = strip_typedefs(m.type)
            while field.kind is Kind.ARRAY and field.length > 0:
                field = strip_typedefs(field.base)
            if field.kind is Kind.ARRAY and field.length == 0:
                return None
            if is_record(field) and is_empty_record(field):
                continue
            member = homogeneous_aggregate(m.type)
            if member is None or base is not None and member[0].size != base.size:
                return None
            base = base or member[0]
            count = max(count, member[1]) if t.kind is Kind.UNION else count + member[1]
        if base is None or base.size * count != t.size:
            return None
    elif is_flonum(t):
        base, count = t, 1
    else:
        return None
    return (base, count) if 0 < count <= HFA_MAX_MEMBERS else None


def is_empty_record(t: CType) -> bool:
    """A record with no data: every field an empty record, an array of them, or a
    zero-length array (clang's isEmptyRecord with arrays allowed)."""
    for m in strip_typedefs(t).members or ():
        field = strip_typedefs(m.type)
        while field.kind is Kind.ARRAY and field.length > 0:
            field = strip_typedefs(field.base)
        if field.kind is Kind.ARRAY and field.length == 0:
            continue
        if not (is_record(field) and is_empty_record(field)):
            return False
    return True


def unadjusted_align(t: CType) -> int:
    """The alignment AAPCS64 passes a record by: its fields' (what gcc's
    aarch64_function_arg_alignment and clang's getTypeUnadjustedAlign take), so an
    `aligned` attribute on the record itself does not count and `packed` does.
    Debug info does not tell an `aligned` attribute on a field from one on the record:
    such a field counts as its type only."""
    t = strip_typedefs(t)
    if t.kind is Kind.ARRAY:
        return unadjusted_align(t.base)
    if not is_record(t) or not t.members:
        return t.align
    return min(t.align, max(strip_typedefs(m.type).align for m in t.members))
