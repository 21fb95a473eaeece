"""The RISC-V LP64D calling convention (psABI "Integer/Hardware Floating-point Calling
Convention") for records, as clang's RISCVABIInfo does it: XLEN = FLEN = 64, eight
argument registers a0-a7 and eight fa0-fa7. clang counts the registers left, because a
record goes in floating-point registers only when all it needs are free:

    empty record (size 0)        nothing is passed
    a struct that flattens to    in fa/a registers, one LLVM argument per field
      float | float+float |      (clang's coerce-and-expand), when the registers it
      float+int | int+float      needs are left and the argument is a named one; a
      (float: float or double;   field is found through nested structs and arrays;
      int: an integer <= 8 bytes) unions, pointers and long double never flatten;
                                 as gcc (not clang), a zero-length array or an array
                                 of empty records makes a struct ineligible, unless
                                 gcc gives it a float mode (float_mode)
    other records <= 16 bytes    i64, or [2 x i64] (i128 when 16-aligned: an aligned
                                 register pair when variadic), in a registers, the
                                 rest on the stack when they run out
    larger records               by reference: the address of a copy the caller made;
                                 returned through the address in a0 (sret)

Returned records flatten the same way into fa0/fa1 and a0/a1. Variadic arguments never
go in floating-point registers: LLVM passes variadic float and double scalars in a
registers itself; variadic records are not flattened (the `nfixed` named arguments
are). Scalars are LLVM's; 32-bit integers are sign-extended to 64 bits whatever their
signedness (Target.sign_extend_int32)."""
from __future__ import annotations

from ...callconv import CallLowering, Class, Part, Passing
from ...frontend.ctype import CType, Kind, is_flonum, is_integer, is_record, strip_typedefs

XLEN = FLEN = 8                 # bytes
ARG_GPRS = ARG_FPRS = 8


def lower_call(ret: CType | None, params: list[CType],
               nfixed: int | None = None) -> CallLowering:
    """clang's RISCVABIInfo::computeInfo: the return value, then each argument with the
    registers the ones before it left."""
    nfixed = len(params) if nfixed is None else nfixed
    gprs, fprs = ARG_GPRS, ARG_FPRS
    ret_passing = None
    if ret is not None and strip_typedefs(ret).kind is not Kind.VOID:
        ret_passing = classify_return(ret)
        if ret_passing.in_memory:
            gprs -= 1                   # the sret pointer, in a0
    args = []
    for i, ty in enumerate(params):
        passing, gprs, fprs = classify_argument(ty, i < nfixed, gprs, fprs)
        args.append(passing)
    return CallLowering(ret_passing, args)


def classify_return(ty: CType) -> Passing:
    """clang: classifyArgumentType with two of each register, larger records in memory."""
    t = strip_typedefs(ty)
    if is_record(t) and t.size > 2 * XLEN:
        return Passing(in_memory=True)
    return classify_argument(t, True, 2, 2)[0]


def classify_argument(ty: CType, fixed: bool, gprs: int, fprs: int
                      ) -> tuple[Passing, int, int]:
    """How one argument goes, and the a and fa registers left after it."""
    t = strip_typedefs(ty)
    if is_record(t) and t.size == 0:
        return Passing(), gprs, fprs
    if fixed and is_flonum(t) and t.size <= FLEN and fprs:
        return scalar(t), gprs, fprs - 1
    if fixed and t.kind is Kind.STRUCT:
        fields = flatten(t)
        if fields is not None:
            need_fprs = sum(1 for f in fields if f.cls is Class.SSE)
            need_gprs = len(fields) - need_fprs
            if need_gprs <= gprs and need_fprs <= fprs:
                return Passing(parts=fields), gprs - need_gprs, fprs - need_fprs
    need = 1
    if not fixed and t.align == 2 * XLEN:
        need = 2 + gprs % 2             # an aligned pair, skipping an odd register
    elif XLEN < t.size <= 2 * XLEN:
        need = 2
    gprs -= min(need, gprs)
    if not is_record(t):
        return scalar(t), gprs, fprs
    if t.size <= XLEN:
        return Passing(parts=[Part(Class.INTEGER, 0, XLEN)]), gprs, fprs
    if t.size <= 2 * XLEN:
        part = Part(Class.INTEGER, 0, 16) if t.align == 2 * XLEN else \
            Part(Class.INTEGER, 0, XLEN, 2)
        return Passing(parts=[part]), gprs, fprs
    return Passing(in_memory=True, by_reference=True), gprs, fprs


def scalar(t: CType) -> Passing:
    return Passing(parts=[Part(float_class(t) if is_flonum(t) else Class.INTEGER, 0,
                               t.size)])


def float_class(t: CType) -> Class:
    """float and double in f registers (SSE); long double is fp128, irgen's "target's
    long double" (X87), which LLVM passes in a pair of a registers."""
    return Class.X87 if t.kind is Kind.LDOUBLE else Class.SSE


def flatten(t: CType) -> list[Part] | None:
    """The fields of a struct eligible for the floating-point calling convention, as
    parts at their offsets (clang's detectFPCCEligibleStruct): one float, two floats, or
    a float and an integer in either order; None if it is not eligible. A struct gcc
    gives a float mode (float_mode) is one float even when its fields do not flatten."""
    fields: list[Part] = []
    if not _flatten_into(t, 0, fields) or not fields:
        mode = float_mode(t)
        return [Part(Class.SSE, 0, mode.size)] if mode is not None else None
    if len(fields) == 1 and fields[0].cls is Class.INTEGER:
        return None
    if len(fields) == 2 and fields[0].cls is fields[1].cls is Class.INTEGER:
        return None
    return fields


def _flatten_into(t: CType, offset: int, fields: list[Part]) -> bool:
    t = strip_typedefs(t)
    if t.kind is Kind.ENUM:
        t = strip_typedefs(t.base)
    if is_integer(t) or is_flonum(t):
        if t.kind is Kind.LDOUBLE or t.size > (FLEN if is_flonum(t) else XLEN):
            return False
        if len(fields) == 2:
            return False
        fields.append(Part(Class.SSE if is_flonum(t) else Class.INTEGER, offset, t.size))
        return True
    if t.kind is Kind.ARRAY:
        # gcc (riscv_flatten_aggregate_field): a zero-length or flexible array, or an
        # array of empty records, makes the struct ineligible (clang skips them)
        element, sub = strip_typedefs(t.base), []
        if t.length <= 0 or not _flatten_into(element, 0, sub) or not sub:
            return False
        return all(_flatten_into(element, offset + i * element.size, fields)
                   for i in range(t.length))
    if t.kind is Kind.STRUCT and t.members is not None:
        for m in t.members:
            if m.bit_width:             # a bit-field: an integer of its declared type
                if not is_integer(strip_typedefs(m.type)):
                    return False
                if len(fields) == 2:
                    return False
                fields.append(Part(Class.INTEGER, m.offset, strip_typedefs(m.type).size))
                continue
            if is_record(m.type) and strip_typedefs(m.type).size == 0:
                continue                # an empty struct takes no register
            if not _flatten_into(m.type, offset + m.offset, fields):
                return False
        return True
    return False                        # unions, pointers, incomplete types


def float_mode(t: CType) -> CType | None:
    """The float or double gcc's compute_record_mode makes a struct's machine mode: a
    member of that type (or of such a struct) as large as the struct, the others of
    size 0. gcc passes such a struct as that float (riscv_pass_mode_in_fpr_p) even when
    a zero-length array or an array of empty records keeps it from flattening."""
    t = strip_typedefs(t)
    if t.kind is not Kind.STRUCT or not t.members or t.size == 0:
        return None
    found = None
    for m in t.members:
        mt = strip_typedefs(m.type)
        if mt.kind is Kind.ARRAY and mt.length < 0:
            return None                 # a flexible array member: gcc's BLKmode
        if mt.size == 0 and not m.bit_width:
            continue
        if found is not None or m.bit_width or mt.size != t.size:
            return None
        found = mt if mt.kind in (Kind.FLOAT, Kind.DOUBLE) else float_mode(mt)
    return found
