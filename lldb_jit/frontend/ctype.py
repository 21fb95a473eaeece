"""C types, in the manner of chibicc's type.c: singleton basic types, predicates and
constructors. Sizes follow the LP64 data model (x86-64 and AArch64 Linux).

Types that come from the debuggee's debug info carry an `origin`: an opaque handle
(an lldb.SBType on the LLDB side, None in unit tests) that the report step uses to
print the result with the debuggee's own type names.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable


class FastEnum(enum.Enum):
    """An enum hashed by identity. Enum's own __hash__ is Python code (it hashes the
    member's name), and the passes look kinds and operators up in sets and dicts at
    every node; members are singletons, so identity is equality."""
    __hash__ = object.__hash__


class Kind(FastEnum):
    VOID = "void"
    BOOL = "_Bool"
    CHAR = "char"
    SCHAR = "signed char"
    UCHAR = "unsigned char"
    SHORT = "short"
    USHORT = "unsigned short"
    INT = "int"
    UINT = "unsigned int"
    LONG = "long"
    ULONG = "unsigned long"
    LLONG = "long long"
    ULLONG = "unsigned long long"
    FLOAT = "float"
    DOUBLE = "double"
    LDOUBLE = "long double"
    ENUM = "enum"
    PTR = "pointer"
    ARRAY = "array"
    FUNC = "function"
    STRUCT = "struct"
    UNION = "union"
    TYPEDEF = "typedef"
    OPAQUE = "opaque"   # a debug-info type C expressions cannot compute with (`__int128`,
                        # `_Complex double`, vectors): it can be copied and printed


# Naming a member through its class (`Kind.PTR`) costs as much as a function call
# (Python 3.11's EnumType.__getattr__ sends every member lookup on the class down the
# slow path): the constructors and predicates run at every node of every pass, and the
# checker, use these names instead.
TYPEDEF, PTR, ARRAY, FUNC, VOID, ENUM, OPAQUE, FLOAT = (
    Kind.TYPEDEF, Kind.PTR, Kind.ARRAY, Kind.FUNC, Kind.VOID, Kind.ENUM, Kind.OPAQUE,
    Kind.FLOAT)
TAGGED_KINDS = frozenset({Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.OPAQUE})  # named by tag


@dataclass(slots=True, eq=False)
class Member:
    name: str            # "" for an anonymous struct/union member
    type: CType
    offset: int          # byte offset of the member (of its storage unit for a bit-field)
    bit_offset: int = 0  # bit-fields: first bit, counted from bit 0 of the byte at `offset`
    bit_width: int = 0   # 0 when not a bit-field


@dataclass(slots=True, eq=False)
class CType:
    kind: Kind
    size: int
    align: int
    name: str = ""                 # basic: its spelling; struct/union/enum: tag; typedef: name
    base: CType | None = None      # pointee, element, return type, typedef target, enum's integer type
    length: int = 0                # arrays: element count (-1 when unknown)
    members: list[Member] | None = None              # struct/union (None while incomplete)
    params: list[CType] = field(default_factory=list)  # functions
    variadic: bool = False         # functions: ends with `...`
    has_proto: bool = True         # functions: False for `int f()` / unknown prototype
    enumerators: dict[str, int] = field(default_factory=dict)  # enums
    is_const: bool = False
    is_volatile: bool = False      # loads and stores happen exactly as written
    is_atomic: bool = False        # `_Atomic`: loads and stores are atomic (seq_cst)
    origin: object = None
    plain: CType | None = None     # a qualified type: the same type unqualified          # provider's handle to the debug-info type, if any

    def __repr__(self) -> str:
        return f"CType({type_name(self)})"


def _filled_on_first_read(slot) -> property:
    """A property over a dataclass's `slot`, which the instance's `load()` fills the
    first time it is read (`load` is then None); a write replaces it."""
    def get(self):
        if self.load is not None:
            load, self.load = self.load, None
            slot.__set__(self, load())
        return slot.__get__(self)

    def put(self, value):
        self.load = None
        slot.__set__(self, value)
    return property(get, put)


class LazyRecord(CType):
    """A struct or union of the debug info whose members are converted when first
    used (`load()` gives them): a big program's types point to one another (CPython's
    PyObject reaches some 150 of them) and an expression uses few."""
    __slots__ = ("load",)
    members = _filled_on_first_read(CType.members)

    def __init__(self, kind: Kind, tag: str, size: int, align: int, origin: object,
                 load: Callable[[], list[Member]]):
        CType.__init__(self, kind, size, align, tag, origin=origin)
        self.load = load


class LazyMember(Member):
    """A member of a LazyRecord whose type is converted when first used (PyTypeObject
    has some 50 members, most of them pointers to functions and to more records)."""
    __slots__ = ("load",)
    type = _filled_on_first_read(Member.type)

    def __init__(self, name: str, load: Callable[[], CType], offset: int,
                 bit_offset: int = 0, bit_width: int = 0):
        Member.__init__(self, name, None, offset, bit_offset, bit_width)
        self.load = load


def _basic(kind: Kind, size: int) -> CType:
    return CType(kind, size, max(size, 1), kind.value)


ty_void = CType(Kind.VOID, 1, 1, "void")
ty_bool = _basic(Kind.BOOL, 1)
ty_char = _basic(Kind.CHAR, 1)
ty_schar = _basic(Kind.SCHAR, 1)
ty_uchar = _basic(Kind.UCHAR, 1)
ty_short = _basic(Kind.SHORT, 2)
ty_ushort = _basic(Kind.USHORT, 2)
ty_int = _basic(Kind.INT, 4)
ty_uint = _basic(Kind.UINT, 4)
ty_long = _basic(Kind.LONG, 8)
ty_ulong = _basic(Kind.ULONG, 8)
ty_llong = _basic(Kind.LLONG, 8)
ty_ullong = _basic(Kind.ULLONG, 8)
ty_float = _basic(Kind.FLOAT, 4)
ty_double = _basic(Kind.DOUBLE, 8)
ty_ldouble = CType(Kind.LDOUBLE, 16, 16, "long double")

BASIC_TYPES = {t.kind: t for t in (
    ty_void, ty_bool, ty_char, ty_schar, ty_uchar, ty_short, ty_ushort, ty_int, ty_uint,
    ty_long, ty_ulong, ty_llong, ty_ullong, ty_float, ty_double, ty_ldouble)}

UNSIGNED_KINDS = {Kind.BOOL, Kind.UCHAR, Kind.USHORT, Kind.UINT, Kind.ULONG, Kind.ULLONG}
INTEGER_KINDS = UNSIGNED_KINDS | {Kind.CHAR, Kind.SCHAR, Kind.SHORT, Kind.INT, Kind.LONG,
                                  Kind.LLONG, Kind.ENUM}
FLOAT_KINDS = {Kind.FLOAT, Kind.DOUBLE, Kind.LDOUBLE}
ARITHMETIC_KINDS = frozenset(INTEGER_KINDS | FLOAT_KINDS)
SCALAR_KINDS = ARITHMETIC_KINDS | {Kind.PTR}
RECORD_KINDS = (Kind.STRUCT, Kind.UNION, Kind.OPAQUE)   # values reached by their address

# Integer conversion rank (C11 6.3.1.1); enums rank as their underlying type.
RANK = {Kind.BOOL: 0, Kind.CHAR: 1, Kind.SCHAR: 1, Kind.UCHAR: 1, Kind.SHORT: 2,
        Kind.USHORT: 2, Kind.INT: 3, Kind.UINT: 3, Kind.LONG: 4, Kind.ULONG: 4,
        Kind.LLONG: 5, Kind.ULLONG: 5}


# --- constructors -------------------------------------------------------------------

def pointer_to(base: CType) -> CType:
    return CType(PTR, 8, 8, base=base)


def array_of(base: CType, length: int) -> CType:
    return CType(ARRAY, base.size * max(length, 0), base.align, base=base, length=length)


def func_type(ret: CType, params: list[CType], variadic: bool = False,
              has_proto: bool = True) -> CType:
    return CType(FUNC, 1, 1, base=ret, params=list(params), variadic=variadic,
                 has_proto=has_proto)


def typedef_of(name: str, target: CType, origin: object = None) -> CType:
    return CType(Kind.TYPEDEF, target.size, target.align, name=name, base=target, origin=origin)


def enum_type(tag: str, enumerators: dict[str, int], base: CType = ty_uint,
              origin: object = None) -> CType:
    return CType(Kind.ENUM, base.size, base.align, name=tag, base=base,
                 enumerators=dict(enumerators), origin=origin)


def struct_type(kind: Kind, tag: str, members: list[Member] | None, size: int, align: int,
                origin: object = None) -> CType:
    """kind is Kind.STRUCT or Kind.UNION; members None makes an incomplete type."""
    return CType(kind, size, align, name=tag, members=members, origin=origin)


def layout_record(kind: Kind, tag: str, fields: list[tuple], packed: bool = False,
                align: int = 0) -> CType:
    """A struct or union laid out as gcc lays it out on the Linux psABIs we support
    (x86-64, AArch64, RISC-V: the same rules).
    `fields` are (name, type) or (name, type, bit width); `packed` and `align` are
    the record's __attribute__((packed)) and __attribute__((aligned(align)))."""
    members, bit, max_align = [], 0, max(align, 1)
    for name, ty, *width in fields:
        t = strip_typedefs(ty)
        unit = 1 if packed else t.align
        max_align = max(max_align, unit)
        if kind is Kind.UNION:
            members.append(Member(name, ty, 0, 0, width[0] if width else 0))
            bit = max(bit, 8 * t.size)
        elif width:  # a bit-field may not straddle a unit of its type's alignment
            if not packed and bit // (8 * unit) != (bit + width[0] - 1) // (8 * unit):
                bit = -(-bit // (8 * unit)) * 8 * unit
            members.append(Member(name, ty, bit // 8, bit % 8, width[0]))
            bit += width[0]
        else:
            bit = -(-bit // (8 * unit)) * 8 * unit
            members.append(Member(name, ty, bit // 8))
            bit += 8 * t.size
    size = -(-bit // (8 * max_align)) * max_align
    return struct_type(kind, tag, members, size, max_align)


def qualified(ty: CType, const: bool = False, volatile: bool = False,
              atomic: bool = False, origin: object = None) -> CType:
    """`ty` with the given qualifiers added (C11 6.7.3; `_Atomic` counts as one).
    `origin` is the debug-info type of the qualified type, if it has one."""
    if ty.is_const >= const and ty.is_volatile >= volatile and ty.is_atomic >= atomic:
        return ty
    if isinstance(ty, LazyRecord) and ty.load is not None:    # members still unread
        copy = LazyRecord(ty.kind, ty.name, ty.size, ty.align, ty.origin,
                          lambda: ty.members)
    else:
        copy = CType(ty.kind, ty.size, ty.align, ty.name, ty.base, ty.length, ty.members,
                     ty.params, ty.variadic, ty.has_proto, ty.enumerators)
    copy.is_const, copy.is_volatile = ty.is_const or const, ty.is_volatile or volatile
    copy.is_atomic = ty.is_atomic or atomic
    copy.origin = origin if origin is not None else ty.origin
    copy.plain = ty.plain or ty
    return copy


def opaque_type(name: str, size: int, align: int, origin: object = None) -> CType:
    """A value of a type the front end cannot compute with, known by its size."""
    return CType(Kind.OPAQUE, size, align, name=name, members=[], origin=origin)


NO_DEBUG_INFO = "<data variable, no debug info>"


def no_debug_info_data(size: int) -> CType:
    """The type of a data symbol that debug info does not describe (gdb's name for
    it): usable only through a cast that says what it is, or by address."""
    return opaque_type(NO_DEBUG_INFO, size, 1)


def is_no_debug_info(ty: CType) -> bool:
    return ty.kind is OPAQUE and ty.name == NO_DEBUG_INFO


def const_of(ty: CType) -> CType:
    return qualified(ty, const=True)


def unqualified(ty: CType) -> CType:
    """The type of an lvalue's value (C11 6.3.2.1p2): without qualifiers or `_Atomic`,
    through typedefs that carry them."""
    if ty.plain is not None:
        return ty.plain
    if ty.kind is TYPEDEF and any(qualifier_set(ty)):
        return unqualified(strip_typedefs(ty))
    return ty


# --- predicates ---------------------------------------------------------------------

def strip_typedefs(ty: CType) -> CType:
    while ty.kind is TYPEDEF:
        ty = ty.base
    return ty


def qualifier_set(ty: CType) -> tuple[bool, bool, bool]:
    """(const, volatile, atomic), as written on the type or on any typedef it names."""
    const = volatile = atomic = False
    while True:
        const, volatile = const or ty.is_const, volatile or ty.is_volatile
        atomic = atomic or ty.is_atomic
        if ty.kind is not TYPEDEF:
            return const, volatile, atomic
        ty = ty.base


def is_integer(ty: CType) -> bool:
    return strip_typedefs(ty).kind in INTEGER_KINDS


def is_flonum(ty: CType) -> bool:
    return strip_typedefs(ty).kind in FLOAT_KINDS


def is_arithmetic(ty: CType) -> bool:
    return strip_typedefs(ty).kind in ARITHMETIC_KINDS


def is_pointer(ty: CType) -> bool:
    return strip_typedefs(ty).kind is PTR


def is_scalar(ty: CType) -> bool:
    return strip_typedefs(ty).kind in SCALAR_KINDS


def is_unsigned(ty: CType) -> bool:
    ty = strip_typedefs(ty)
    if ty.kind is ENUM:
        return is_unsigned(ty.base)
    return ty.kind in UNSIGNED_KINDS


def is_record(ty: CType) -> bool:
    return strip_typedefs(ty).kind in RECORD_KINDS


def is_void(ty: CType) -> bool:
    return strip_typedefs(ty).kind is VOID


def is_function(ty: CType) -> bool:
    return strip_typedefs(ty).kind is FUNC


def is_array(ty: CType) -> bool:
    return strip_typedefs(ty).kind is ARRAY


def same_type(a: CType, b: CType) -> bool:
    """Type identity after typedefs, ignoring top-level qualifiers."""
    a, b = strip_typedefs(a), strip_typedefs(b)
    if a is b:
        return True
    if a.kind is not b.kind:
        return False
    if a.kind in TAGGED_KINDS:
        return a.name == b.name and a.name != "" and a.size == b.size
    if a.kind is PTR:
        return same_type(a.base, b.base)
    if a.kind is ARRAY:
        return a.length == b.length and same_type(a.base, b.base)
    if a.kind is FUNC:
        return (same_type(a.base, b.base) and len(a.params) == len(b.params)
                and a.variadic == b.variadic
                and all(same_type(x, y) for x, y in zip(a.params, b.params)))
    return True  # basic types of the same kind


def find_member(ty: CType, name: str) -> list[Member] | None:
    """The path of members leading to `name`, looking through anonymous members."""
    ty = strip_typedefs(ty)
    for m in ty.members or ():
        if m.name == name:
            return [m]
        if m.name == "" and is_record(m.type):
            path = find_member(m.type, name)
            if path:
                return [m] + path
    return None


def member_names(ty: CType) -> list[str]:
    """Every member name usable after `.`, those of anonymous members included."""
    names = []
    for m in strip_typedefs(ty).members or ():
        if m.name:
            names.append(m.name)
        elif is_record(m.type):
            names += member_names(m.type)
    return names


# --- spelling -----------------------------------------------------------------------

def type_name(ty: CType) -> str:
    """The C spelling of a type, as LLDB prints it: `int *`, `int[4]`, `int (*)(int, int)`."""
    return _declarator(ty, "").strip()


def _declarator(ty: CType, inner: str) -> str:
    const = ("const " if ty.is_const else "") + ("volatile " if ty.is_volatile else "")
    if ty.is_atomic:
        inner = " " + inner.strip() if inner.strip() else ""
        return const + f"_Atomic({type_name(unqualified(ty))})" + inner
    k = ty.kind
    if k is Kind.PTR:
        base = ty.base
        star = "*" + (" const" if ty.is_const else "") + (" volatile" if ty.is_volatile else "")
        if base.kind in (Kind.FUNC, Kind.ARRAY):
            return _declarator(base, "(" + star + inner + ")")
        return _declarator(base, " " + star + inner.lstrip() if inner else " " + star)
    if k is Kind.ARRAY:
        n = "" if ty.length < 0 else str(ty.length)
        return _declarator(ty.base, inner.rstrip() + f"[{n}]")
    if k is Kind.FUNC:
        params = [type_name(p) for p in ty.params] + (["..."] if ty.variadic else [])
        if not params and ty.has_proto:
            params = ["void"]
        call = inner.rstrip() + "(" + ", ".join(params) + ")"
        if ty.base is None:     # a function without debug info: nothing is known
            return "<unknown> " + call
        return _declarator(ty.base, call)
    if k in (Kind.STRUCT, Kind.UNION, Kind.ENUM):
        head = f"{k.value} {ty.name}" if ty.name else f"{k.value} <anonymous>"
    else:
        head = ty.name
    if inner.startswith("["):
        return const + head + inner
    return const + head + (" " + inner.strip() if inner.strip() else "")
