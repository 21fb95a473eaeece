"""A small debuggee world for the front-end and irgen tests: one table of variables
(each a frame LOCAL or a GLOBAL), a struct with bit-fields, functions, and a runner that
JIT-compiles `__lldb_jit_expr` with MCJIT in this process and calls it on ctypes
storage."""
from __future__ import annotations

import ctypes
import faulthandler
import os
import struct
import sys
from pathlib import Path
from dataclasses import dataclass
from fractions import Fraction

import llvmlite.binding as llvm
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from lldb_jit.compile import data_layout, level_for, optimize, target_machine
from lldb_jit.frontend import Program, analyze
from lldb_jit.frontend.ctype import (CType, Kind, Member, array_of, enum_type, func_type,
                                     pointer_to, strip_typedefs, struct_type, ty_bool,
                                     ty_char, ty_double, ty_float, ty_int, ty_long,
                                     ty_short, ty_uchar, ty_uint, ty_ulong, ty_ushort,
                                     typedef_of, is_unsigned, layout_record)
from lldb_jit.frontend.provider import DictProvider, Symbol, SymKind
from lldb_jit.irgen import ENTRY, gen_module

LOCAL, GLOBAL = SymKind.LOCAL, SymKind.GLOBAL

# struct S { int a; char b; unsigned f1 : 3; int f2 : 5; long g; };  (gcc x86-64 layout)
STRUCT_S = struct_type(Kind.STRUCT, "S", [
    Member("a", ty_int, 0), Member("b", ty_char, 4),
    Member("f1", ty_uint, 5, bit_offset=0, bit_width=3),
    Member("f2", ty_int, 5, bit_offset=3, bit_width=5),
    Member("g", ty_long, 8)], 16, 8)
STRUCT_S_C = "struct S { int a; char b; unsigned f1 : 3; int f2 : 5; long g; };"
STRUCT_S_INIT = (10, ord("z"), 5, -7, 99)

COLOR = enum_type("Color", {"RED": 0, "GREEN": 1, "BLUE": 7})
INCOMPLETE = struct_type(Kind.STRUCT, "opaque", None, 0, 1)
UNION_U = struct_type(Kind.UNION, "U", [Member("i", ty_int, 0), Member("f", ty_float, 0)],
                      4, 4)
SIZE_T = typedef_of("size_t", ty_ulong)


@dataclass
class Var:
    name: str
    ty: CType
    kind: SymKind
    value: int | float


# The scalar variables, with C's initial values (used by the gcc cross-check too).
SCALARS = [
    Var("x", ty_int, LOCAL, 7),
    Var("y", ty_int, LOCAL, -3),
    Var("u", ty_uint, GLOBAL, 4000000000),
    Var("c", ty_char, LOCAL, -5),
    Var("uc", ty_uchar, GLOBAL, 250),
    Var("s", ty_short, LOCAL, -300),
    Var("us", ty_ushort, GLOBAL, 65000),
    Var("l", ty_long, GLOBAL, -1234567890123),
    Var("ul", ty_ulong, LOCAL, 18446744073709551615),
    Var("b", ty_bool, LOCAL, 1),
    Var("d", ty_double, LOCAL, 2.5),
    Var("f", ty_float, GLOBAL, 1.25),
]
ARR = [1, 2, 3, 4]
STRING = b"hello"

PACK = {Kind.BOOL: "B", Kind.CHAR: "b", Kind.UCHAR: "B", Kind.SCHAR: "b", Kind.SHORT: "h",
        Kind.USHORT: "H", Kind.INT: "i", Kind.UINT: "I", Kind.LONG: "q", Kind.ULONG: "Q",
        Kind.LLONG: "q", Kind.ULLONG: "Q", Kind.FLOAT: "f", Kind.DOUBLE: "d", Kind.PTR: "Q"}


def pack(ty: CType, value) -> bytes:
    ty = strip_typedefs(ty)
    if ty.kind is Kind.ENUM:
        ty = ty.base
    return struct.pack("<" + PACK[ty.kind], value)


def pack_struct_s(a, b, f1, f2, g) -> bytes:
    bits = (f1 & 7) | ((f2 & 31) << 3)
    return struct.pack("<ibBxxq", a, b, bits, g)


HOST = llvm.get_process_triple()


class World:
    """ctypes storage for every variable, and the provider describing it."""

    def __init__(self):
        self.keep = []  # ctypes objects that must outlive the calls
        self.addr: dict[str, int] = {}
        symbols: dict[str, Symbol] = {}
        for v in SCALARS:
            self.add(symbols, v.name, v.ty, v.kind, pack(v.ty, v.value))
        self.add(symbols, "arr", array_of(ty_int, 4), GLOBAL, struct.pack("<4i", *ARR))
        self.add(symbols, "st", STRUCT_S, GLOBAL, pack_struct_s(*STRUCT_S_INIT))
        self.add(symbols, "str", pointer_to(ty_char), LOCAL, b"")
        self.add(symbols, "ps", pointer_to(STRUCT_S), LOCAL, pack(ty_ulong, self.addr["st"]))
        text = ctypes.create_string_buffer(STRING)
        self.keep.append(text)
        self.set("str", pointer_to(ty_char), ctypes.addressof(text))
        self.add(symbols, "color", COLOR, LOCAL, pack(ty_uint, 7))
        self.add(symbols, "$0", ty_int, SymKind.PERSISTENT, pack(ty_int, 42))
        self.add(symbols, "$pc", ty_ulong, SymKind.REGISTER, pack(ty_ulong, 0x401000))
        self.add(symbols, "un", UNION_U, GLOBAL, pack(ty_float, 1.0))
        self.add(symbols, "op", pointer_to(INCOMPLETE), LOCAL, pack(ty_ulong, 0))
        for name, value in COLOR.enumerators.items():
            symbols[name] = Symbol(name, SymKind.ENUM_CONST, ty_int, value=value)
        self.add_functions(symbols)
        self.provider = DictProvider(symbols, {"size_t": SIZE_T, "Color_t": COLOR},
                                     {("struct", "S"): STRUCT_S, ("enum", "Color"): COLOR,
                                      ("struct", "opaque"): INCOMPLETE,
                                      ("union", "U"): UNION_U})

    def add(self, symbols, name: str, ty: CType, kind: SymKind, data: bytes):
        buf = ctypes.create_string_buffer(max(strip_typedefs(ty).size, len(data), 16))
        ctypes.memmove(buf, data, len(data))
        self.keep.append(buf)
        self.addr[name] = ctypes.addressof(buf)
        link = "jt_" + name.strip("$")
        symbols[name] = Symbol(name, kind, ty, link_name=link)
        if kind is GLOBAL:
            llvm.add_symbol(link, self.addr[name])

    def persist(self, sym: Symbol):
        """What the session does for a new `$name`: storage (garbage-filled here, to
        show the initialization), and the symbol for later expressions."""
        size = strip_typedefs(sym.type).size
        self.add(self.provider.symbols, sym.name, sym.type, sym.kind, b"\xaa" * size)
        self.provider.symbols[sym.name] = sym

    def set(self, name: str, ty: CType, value):
        data = pack(ty, value)
        ctypes.memmove(self.addr[name], data, len(data))

    def read(self, name: str, ty: CType):
        return decode(ctypes.string_at(self.addr[name], strip_typedefs(ty).size), ty)

    def add_functions(self, symbols):
        add2 = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int)(lambda a, b: a + b)
        scale = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double, ctypes.c_byte)(
            lambda v, k: v * k)
        self.keep += [add2, scale]
        fns = {"add2": (add2, func_type(ty_int, [ty_int, ty_int])),
               "scale": (scale, func_type(ty_double, [ty_double, ty_char]))}
        for name, (cfn, ty) in fns.items():
            llvm.add_symbol("jt_" + name, ctypes.cast(cfn, ctypes.c_void_p).value)
            symbols[name] = Symbol(name, SymKind.FUNCTION, ty, link_name="jt_" + name)
        self.addr["add2"] = ctypes.cast(add2, ctypes.c_void_p).value
        self.add(symbols, "fp", pointer_to(fns["add2"][1]), LOCAL,
                 pack(ty_ulong, self.addr["add2"]))
        unknown = func_type(ty_int, [], has_proto=False)
        unknown.base = None  # a function without debug info
        symbols["strlen"] = Symbol("strlen", SymKind.FUNCTION, unknown)
        symbols["snprintf"] = Symbol("snprintf", SymKind.FUNCTION, func_type(
            ty_int, [pointer_to(ty_char), ty_ulong, pointer_to(ty_char)], variadic=True))


def decode(data: bytes, ty: CType):
    """A Python value from the bytes of an object of type `ty`."""
    t = strip_typedefs(ty)
    if t.kind is Kind.ENUM:
        t = t.base
    if t.kind is Kind.LDOUBLE:
        return fp80_to_float(data[:10])
    if t.kind in (Kind.FLOAT, Kind.DOUBLE):
        return struct.unpack("<" + PACK[t.kind], data[:t.size])[0]
    if t.kind in (Kind.ARRAY, Kind.STRUCT, Kind.UNION):
        return bytes(data[:t.size])
    return int.from_bytes(data[:t.size], "little", signed=not (is_unsigned(t) or
                                                              t.kind is Kind.PTR))


def fp80_to_float(data: bytes) -> float:
    mantissa = int.from_bytes(data[:8], "little")
    top = int.from_bytes(data[8:10], "little")
    sign, exponent = -1 if top >> 15 else 1, top & 0x7FFF
    if exponent == 0x7FFF:
        return sign * float("inf") if mantissa << 1 == 0 else float("nan")
    return float(sign * Fraction(mantissa, 1 << 63) * Fraction(2) ** (exponent - 16383))


class Runner:
    """Compile programs with MCJIT for the host and run them on a World. The IR is
    optimized and emitted at the level compile_module chooses for it (O2 for loops,
    O0 for straight-line code): what LLVM would make of undefined behaviour at that
    level shows here too."""

    def __init__(self):
        self.layout = data_layout(HOST)
        self.engines = {}     # level -> an MCJIT engine with that level's TargetMachine
        self.engine = None    # the engine of the last compile

    def compile(self, program: Program, hardware: str = HOST):
        """`hardware` is the triple whose semantics irgen follows; its IR runs here."""
        module = gen_module(program, hardware, self.layout)
        module.triple = HOST
        opt = level_for(module)
        tm = target_machine(HOST, opt)
        mod = llvm.parse_assembly(str(module))
        mod.verify()
        if opt:
            optimize(mod, tm, opt)
        if opt not in self.engines:
            self.engines[opt] = llvm.create_mcjit_compiler(llvm.parse_assembly(""), tm)
        self.engine = self.engines[opt]
        self.engine.add_module(mod)
        self.engine.finalize_object()
        return mod, self.engine.get_function_address(ENTRY)

    def run(self, source: str, world: World | None = None, hardware: str = HOST):
        """(value, program): the decoded result of evaluating `source`."""
        world = world or World()
        program = analyze(source, world.provider)
        for sym in program.new_persistents:
            world.persist(sym)
        mod, address = self.compile(program, hardware)
        try:
            result = self.call(address, program, world)
        finally:
            self.engine.remove_module(mod)
        if program.result_type is None:
            return None, program
        return decode(result, program.result_type), program

    def signal_of(self, source: str, world: World | None = None) -> int | None:
        """Run `source` in a forked child: the signal that killed it, or None."""
        world = world or World()
        program = analyze(source, world.provider)
        mod, address = self.compile(program)
        try:
            pid = os.fork()
            if pid == 0:
                faulthandler.disable()
                self.call(address, program, world)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
        finally:
            self.engine.remove_module(mod)
        return os.WTERMSIG(status) if os.WIFSIGNALED(status) else None

    @staticmethod
    def call(address: int, program: Program, world: World) -> bytes:
        """Call the compiled ENTRY on the world's storage; the result block's bytes."""
        slots = (ctypes.c_void_p * max(len(program.frame_refs), 1))(
            *[world.addr[s.name] for s in program.frame_refs])
        result = (ctypes.c_uint8 * 256)()
        ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)(address)(
            ctypes.addressof(slots), ctypes.addressof(result))
        return bytes(result)


@pytest.fixture(scope="session")
def runner() -> Runner:
    return Runner()


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture(scope="session")
def provider() -> DictProvider:
    return World().provider


def record_type(kind: Kind, tag: str, fields: list[tuple], packed: bool = False,
                align: int = 0) -> CType:
    """A struct or union laid out as gcc lays it out (lldb_jit.frontend.ctype)."""
    return layout_record(kind, tag, fields, packed, align)
