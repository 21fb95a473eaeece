"""Structs, unions and scalars by value on RISC-V 64 Linux (LP64D, lldb_jit/targets/
riscv64/callconv.py), run under qemu-riscv64: the RISC-V counterpart of test_aapcs64.
Callees are compiled by riscv64-linux-gnu-gcc; each expression is compiled by our
pipeline (analyze, gen_module, compile_module) into an ELF object whose entry is renamed
expr_<i>; a gcc main calls them all, and its output is compared with the same
expressions compiled by gcc. One gcc build and one qemu run of each main for the table.

The records cover LP64D's cases: flattening into fa/a registers (one float or double,
two, float+int and int+float, through nested structs and arrays, with padding, packed,
bit-fields); the fallback to the integer convention when the fa or a registers run out
(the `ints`, `dbls`, `i8`, `d8` and `full` callees use them up first); records of up to
2xXLEN in a register pair (split with the stack at a7, an aligned pair when variadic),
larger ones by reference; returns in fa0/fa1/a0/a1 and through sret; variadic records
(never flattened); empty records, and gcc's rules for zero-length arrays and arrays
of empty records (where clang differs, gcc is the debuggee's compiler). The scalars cover char/short/_Bool extension, 32-bit
integers sign-extended whatever their signedness, floats in a registers once fa0-fa7
are used, and variadic long double in an aligned pair."""
import pytest

from lldb_jit.callconv import Class, Part
from lldb_jit.frontend.ctype import (Kind, func_type, is_record, strip_typedefs, ty_bool,
                                     ty_double, ty_float, ty_int, ty_ldouble, ty_long,
                                     ty_schar, ty_short, ty_uchar, ty_uint, ty_ushort)
from lldb_jit.frontend.provider import DictProvider, Symbol, SymKind
from lldb_jit.targets.riscv64.callconv import lower_call

from cabi import build_types, compare_with_gcc, leaves, tools_missing

TRIPLE = "riscv64-unknown-linux-gnu"
TOOLS = ("riscv64-linux-gnu-gcc", "riscv64-linux-gnu-objcopy", "qemu-riscv64")

# tag, struct/union, fields ("type name", "type name[n]", "type name:bits"), attribute;
# the comment is how a named argument goes with registers free. gcc checks our layout
# of each (static asserts in the callee file).
TYPES = [
    ("empty", "struct", "", ""),                                 # nothing
    ("f1", "struct", "float x", ""),                             # fa
    ("d1", "struct", "double x", ""),                            # fa
    ("f2", "struct", "float x; float y", ""),                    # fa fa
    ("d2", "struct", "double x; double y", ""),                  # fa fa
    ("fd", "struct", "float f; double d", ""),                   # fa fa
    ("df", "struct", "double d; float f", ""),                   # fa fa, tail padding
    ("fi", "struct", "float f; int i", ""),                      # fa a
    ("iff", "struct", "int i; float f", ""),                      # a fa
    ("dl", "struct", "double d; long l", ""),                    # fa a
    ("ld", "struct", "long l; double d", ""),                    # a fa
    ("cd", "struct", "char c; double d", ""),                    # a fa, padding
    ("sf", "struct", "short s; float f", ""),                    # a fa
    ("fuc", "struct", "float f; unsigned char c", ""),           # fa a
    ("dsc", "struct", "double d; signed char c", ""),            # fa a
    ("fnest", "struct", "struct f1 p; float z", ""),             # fa fa, nested
    ("dnest", "struct", "struct d1 p; struct iff q", ""),         # no: three fields
    ("inest", "struct", "struct d1 p; long k", ""),              # fa a, nested
    ("farr", "struct", "float v[2]", ""),                        # fa fa, an array
    ("darr", "struct", "double v[1]; int k", ""),                # fa a
    ("fz", "struct", "float a; int z[0]; float b", ""),          # [2 x i64]: gcc, a [0]
    ("fz1", "struct", "float a; float z[0]", ""),                # fa: gcc's float mode
    ("dz1", "struct", "struct d1 in; int z[0]", ""),             # fa: gcc's float mode
    ("ez2", "struct", "struct empty z[1]; float f; float g", ""),   # i64: gcc
    ("ez1", "struct", "struct empty z[0]; float f", ""),         # fa: gcc's float mode
    ("fe", "struct", "float a; struct empty e; float b", ""),    # empty member
    ("f3", "struct", "float v[3]", ""),                          # [2 x i64]
    ("f4", "struct", "float a; float b; float c; float d", ""),  # [2 x i64]
    ("fii", "struct", "float f; int i; int j", ""),              # [2 x i64]
    ("i2", "struct", "int a; int b", ""),                        # i64: two ints
    ("il", "struct", "int a; long b", ""),                       # [2 x i64]
    ("c3", "struct", "char a; char b; char c", ""),              # i64
    ("cic", "struct", "char a; int b; char c", ""),              # [2 x i64], padding
    ("chars", "struct", "char name[10]; short n", ""),           # [2 x i64]
    ("uf", "union", "float f", ""),                              # i64: unions never
    ("ufd", "union", "float f; double d", ""),                   # i64
    ("uif", "union", "int i; float f", ""),                      # i64
    ("fu", "struct", "float f; union uf u", ""),                 # i64: a union field
    ("ldb", "struct", "long double x", ""),                      # i128, no flattening
    ("al16", "struct", "long a; long b", "aligned(16)"),         # i128
    ("da16", "struct", "double x", "aligned(16)"),               # fa
    ("pkd", "struct", "char c; double d", "packed"),             # a fa at offset 1
    ("pkf", "struct", "char c; float f", "packed"),              # a fa at offset 1
    ("bfi", "struct", "float f; int a:5", ""),                   # fa a, bit-field
    ("bfd", "struct", "unsigned char a:3; double d", ""),        # a fa, bit-field
    ("bfl", "struct", "double d; long a:40", ""),                # fa a, bit-field
    ("bf3", "struct", "float f; int a:3; int b:4", ""),          # i64: three fields
    ("bfs", "struct", "unsigned a:3; int b:10; unsigned char c", ""),   # i64
    ("d3", "struct", "double a; double b; double c", ""),        # by reference
    ("big24", "struct", "long a; long b; long c", ""),           # by reference
    ("fl3", "struct", "float f; long double x", ""),             # by reference
    ("ubig", "union", "long a[3]; double d", ""),                # by reference
]
TYPE_OF = build_types(TYPES)
KINDS = {tag: kind for tag, kind, _, _ in TYPES}


@pytest.mark.parametrize("tag,part", [
    ("fz", Part(Class.INTEGER, 0, 8)), ("ez2", Part(Class.INTEGER, 0, 8)),
    ("fz1", Part(Class.SSE, 0, 4)), ("dz1", Part(Class.SSE, 0, 8)),
    ("ez1", Part(Class.SSE, 0, 4))])
def test_zero_length_arrays_as_gcc(tag, part):
    """gcc (and so the debuggee) does not flatten a struct with a zero-length array or
    an array of empty records, but passes one whose machine mode is a float as it."""
    lowering = lower_call(TYPE_OF[tag], [TYPE_OF[tag]])
    assert lowering.args[0].parts == [part] and lowering.ret.parts == [part]


# --- the records' callees ---------------------------------------------------------------

def record_functions(ty) -> dict[str, object]:
    """The callees of one record type T, by prefix: make_T(int seed), check_T(T),
    ints_T(7 longs, T, long, T), dbls_T(7 doubles, T, double, T), i8_T(8 longs, T,
    double, T), d8_T(8 doubles, T, long, T), full_T(8 longs, 8 doubles, T, T),
    many_T(T, int, T, double, T, T), vcheck_T(int, ...), vmix_T(double, int, ...),
    twice_T(T), pick_T(int, T, T, T), mutate_T(T)."""
    L, D = ty_long, ty_double
    return {"make": func_type(ty, [ty_int]), "check": func_type(D, [ty]),
            "ints": func_type(D, [L] * 7 + [ty, L, ty]),
            "dbls": func_type(D, [D] * 7 + [ty, D, ty]),
            "i8": func_type(D, [L] * 8 + [ty, D, ty]),
            "d8": func_type(D, [D] * 8 + [ty, L, ty]),
            "full": func_type(D, [L] * 8 + [D] * 8 + [ty, ty]),
            "many": func_type(D, [ty, ty_int, ty, D, ty, ty]),
            "vcheck": func_type(D, [ty_int], variadic=True),
            "vmix": func_type(D, [D, ty_int], variadic=True),
            "twice": func_type(ty, [ty]), "pick": func_type(ty, [ty_int, ty, ty, ty]),
            "mutate": func_type(D, [ty])}


def value(k: int, ty) -> str:
    """C for the k-th scalar's value, exact in every type used (negative in signed
    integers, so that a lost sign extension shows)."""
    if ty.kind in (Kind.FLOAT, Kind.DOUBLE, Kind.LDOUBLE):
        return f"seed * {k + 2} + {k} + 0.5"
    if ty.kind in (Kind.SCHAR, Kind.SHORT, Kind.INT, Kind.LONG):
        return f"-((seed * {k + 2} + {k}) % 61)"
    return f"(seed * {k + 2} + {k}) % 61"


def c_declarations(tag: str, kind: str, spec: str, attr: str) -> str:
    """The type, gcc's check of our layout of it, and the callees' prototypes."""
    T, ty = f"{kind} {tag}", TYPE_OF[tag]
    fields = "".join(f"{f.strip()}; " for f in spec.split(";") if f.strip())
    attribute = f" __attribute__(({attr}))" if attr else ""
    asserts = [f"sizeof({T}) == {ty.size}", f"_Alignof({T}) == {ty.align}"] + \
        [f"offsetof({T}, {m.name}) == {m.offset}" for m in ty.members if not m.bit_width]
    L8, D8 = "long, " * 8, "double, " * 8
    return f"""
{T} {{ {fields}}}{attribute};
{"".join(f'_Static_assert({a}, "{tag} layout");' for a in asserts)}
extern {T} g_{tag};
{T} make_{tag}(int seed);
double check_{tag}({T} v);
double ints_{tag}(long, long, long, long, long, long, long, {T}, long, {T});
double dbls_{tag}(double, double, double, double, double, double, double, {T}, double,
                  {T});
double i8_{tag}({L8}{T}, double, {T});
double d8_{tag}({D8}{T}, long, {T});
double full_{tag}({L8}{D8}{T}, {T});
double many_{tag}({T} a, int k, {T} b, double x, {T} c, {T} d);
double vcheck_{tag}(int n, ...);
double vmix_{tag}(double x, int n, ...);
{T} twice_{tag}({T} v);
{T} pick_{tag}(int i, {T} a, {T} b, {T} c);
double mutate_{tag}({T} v);
"""


def c_definitions(tag: str, kind: str, spec: str, attr: str) -> str:
    """make_T sets each scalar from a seed, check_T sums them with weights; the others
    mix them with registers used up before, several records, and `...`."""
    T, paths = f"{kind} {tag}", leaves(TYPE_OF, tag)
    sets = " ".join(f"v.{p} = {value(k, t)};" for k, (p, t) in enumerate(paths))
    terms = " + ".join(f"(double)v.{p} * {k + 1}" for k, (p, _) in enumerate(paths)) or "0"
    first = f"v.{paths[0][0]} += 100;" if paths else ""
    ls = ", ".join(f"long a{i}" for i in range(8))
    ds = ", ".join(f"double b{i}" for i in range(8))
    lsum = " + ".join(f"a{i} * {i + 1}" for i in range(8))
    dsum = " + ".join(f"b{i} * {i + 9}" for i in range(8))
    return f"""
{T} g_{tag};
{T} make_{tag}(int seed) {{ {T} v; memset(&v, 0, sizeof v); {sets} return v; }}
double check_{tag}({T} v) {{ return {terms}; }}
double ints_{tag}(long a, long b, long c, long d, long e, long f, long g, {T} v, long h,
                  {T} w) {{
    return check_{tag}(v) * 3 + check_{tag}(w) * 5 + a + b * 2 + c * 3 + d * 4 + e * 5
           + f * 6 + g * 7 + h * 8; }}
double dbls_{tag}(double a, double b, double c, double d, double e, double f, double g,
                  {T} v, double h, {T} w) {{
    return check_{tag}(v) * 3 + check_{tag}(w) * 5 + a + b * 2 + c * 3 + d * 4 + e * 5
           + f * 6 + g * 7 + h * 8; }}
double i8_{tag}({ls}, {T} v, double x, {T} w) {{
    return check_{tag}(v) * 3 + check_{tag}(w) * 5 + {lsum} + x * 9; }}
double d8_{tag}({ds}, {T} v, long x, {T} w) {{
    return check_{tag}(v) * 3 + check_{tag}(w) * 5 + {dsum} + x * 17; }}
double full_{tag}({ls}, {ds}, {T} v, {T} w) {{
    return check_{tag}(v) * 3 + check_{tag}(w) * 5 + {lsum} + {dsum}; }}
double many_{tag}({T} a, int k, {T} b, double x, {T} c, {T} d) {{
    return check_{tag}(a) + check_{tag}(b) * 2 + check_{tag}(c) * 3 + check_{tag}(d) * 4
           + k * 10 + x; }}
double vcheck_{tag}(int n, ...) {{
    va_list ap; double t = 0; va_start(ap, n);
    for (int i = 1; i <= n; i++) t += check_{tag}(va_arg(ap, {T})) * i;
    va_end(ap); return t; }}
double vmix_{tag}(double x, int n, ...) {{
    va_list ap; double t = x; va_start(ap, n);
    for (int i = 1; i <= n; i++) {{
        t += check_{tag}(va_arg(ap, {T})) * i; t += va_arg(ap, double) * 7; }}
    va_end(ap); return t; }}
{T} twice_{tag}({T} v) {{ return make_{tag}((int)check_{tag}(v) % 50); }}
{T} pick_{tag}(int i, {T} a, {T} b, {T} c) {{ return i == 0 ? a : i == 1 ? b : c; }}
double mutate_{tag}({T} v) {{ {first} return check_{tag}(v); }}
"""


def record_expressions(tag: str) -> list[str]:
    """The calls made for one type; each is a double but make_T(5), the record."""
    T, paths = f"{KINDS[tag]} {tag}", leaves(TYPE_OF, tag)
    m = [f"make_{tag}({i})" for i in range(8)]
    ls, ds = "1, 2, 3, 4, 5, 6, 7, 8", "1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5"
    cases = [f"check_{tag}({m[3]})",
             f"ints_{tag}(1, 2, 3, 4, 5, 6, 7, {m[2]}, 8, {m[5]})",
             f"dbls_{tag}(1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, {m[2]}, 8.5, {m[5]})",
             f"i8_{tag}({ls}, {m[2]}, 0.75, {m[5]})",
             f"d8_{tag}({ds}, {m[2]}, 9, {m[5]})",
             f"full_{tag}({ls}, {ds}, {m[2]}, {m[5]})",
             f"many_{tag}({m[1]}, 7, {m[2]}, 0.25, {m[3]}, {m[4]})",
             f"vcheck_{tag}(3, {m[1]}, {m[6]}, {m[2]})",
             f"vmix_{tag}(0.5, 2, {m[1]}, 1.25, {m[6]}, 2.75)",
             f"check_{tag}(twice_{tag}({m[7]}))",
             f"check_{tag}(pick_{tag}(2, {m[1]}, {m[2]}, {m[3]}))",
             f"{T} v = {m[3]}; mutate_{tag}(v) * 1000 + check_{tag}(v)",
             f"g_{tag} = {m[6]}; check_{tag}(g_{tag})"]
    if TYPE_OF[tag].size:
        cases.append(f"make_{tag}(5)")
    if paths:
        cases.append(f"(double)make_{tag}(4).{paths[-1][0]}")
    return cases


# --- scalars ------------------------------------------------------------------------------

# name, return type, parameter types, C body (parameters a, b, c, ...; variadic: n, ...).
# The is_* callees compare in 64 bits the way gcc's code does, trusting the extension.
SCALAR_FUNCTIONS = [
    ("is_sc", ty_int, [ty_schar], "return a == -5;"),
    ("is_uc", ty_int, [ty_uchar], "return a == 200;"),
    ("is_ss", ty_int, [ty_short], "return a == -3000;"),
    ("is_us", ty_int, [ty_ushort], "return a == 60000;"),
    ("is_si", ty_int, [ty_int], "return a == -7;"),
    ("is_ui", ty_int, [ty_uint], "return a == 0x80000005u;"),
    ("is_b", ty_int, [ty_bool], "return a == 1;"),
    ("raw_ui", ty_long, [ty_uint], "long r; __asm__(\"mv %0, %1\" : \"=r\"(r) : \"r\"(a)); "
     "return r;"),
    ("mix", ty_double, [ty_schar, ty_uchar, ty_short, ty_ushort, ty_int, ty_uint, ty_long,
                        ty_float, ty_double, ty_bool],
     "return a + b * 2 + c * 3 + d * 4 + e * 5 + f * 6.0 + g * 7 + h * 8 + i * 9 "
     "+ j * 10;"),
    ("stk", ty_double, [ty_long] * 8 + [ty_schar, ty_ushort, ty_uint, ty_short],
     "return a + b + c + d + e + f + g + h + i * 10 + j * 100 + k * 1000.0 + l * 3;"),
    ("fps", ty_double, [ty_double] * 9 + [ty_float, ty_ldouble, ty_float],
     "return a + b * 2 + c * 3 + d * 4 + e * 5 + f * 6 + g * 7 + h * 8 + i * 9 + j * 10 "
     "+ (double)k * 11 + l * 12;"),
    ("ints_fps", ty_double, [ty_long] * 7 + [ty_ldouble, ty_float, ty_double],
     "return a + b + c + d + e + f + g + (double)h * 2 + i * 3 + j * 4;"),
    ("ret_sc", ty_schar, [ty_int], "return a;"),
    ("ret_us", ty_ushort, [ty_int], "return a;"),
    ("ret_ui", ty_uint, [ty_long], "return a;"),
    ("ret_ld", ty_ldouble, [ty_double], "return a * 3;"),
    ("ret_f", ty_float, [ty_float, ty_double], "return a * b;"),
    ("vsum", ty_double, [ty_int],
     "va_list ap; va_start(ap, a); int i = va_arg(ap, int); double d = va_arg(ap, double); "
     "long double x = va_arg(ap, long double); unsigned u = va_arg(ap, unsigned); "
     "double f = va_arg(ap, double); int c = va_arg(ap, int); "
     "long double y = va_arg(ap, long double); va_end(ap); "
     "return a + i * 2 + d * 3 + (double)x * 4 + u * 5.0 + f * 6 + c * 7 + (double)y * 8;"),
]
VARIADIC_SCALARS = {"vsum"}
# Globals whose bits, cast, give the values the is_* callees compare with, with junk
# above them (0x1fb is 507; (signed char)507 is -5).
SCALAR_GLOBALS = [("s_i507", ty_int, "507"), ("s_i456", ty_int, "456"),
                  ("s_i128072", ty_int, "128072"), ("s_i60000", ty_int, "-5536"),
                  ("s_l", ty_long, "0x180000005L"), ("s_i2", ty_int, "2"),
                  ("s_m7", ty_long, "0x7fffffff00000000L - 7")]
SCALAR_CASES = [
    "(double)is_sc((signed char)s_i507)", "(double)is_sc(-5)",
    "(double)is_uc((unsigned char)s_i456)", "(double)is_uc(200)",
    "(double)is_ss((short)s_i128072)", "(double)is_ss(-3000)",
    "(double)is_us((unsigned short)s_i60000 + 0)", "(double)is_us(60000)",
    "(double)is_si((int)s_m7)", "(double)is_si(-7)",
    "(double)is_ui((unsigned)s_l)", "(double)is_ui(0x80000005u)",
    "(double)is_ui(s_l)", "(double)is_b(s_i2)", "(double)is_b((_Bool)s_i456)",
    "(double)raw_ui((unsigned)s_l)", "(double)raw_ui(0xfffffff0u)",
    "mix((signed char)s_i507, (unsigned char)s_i456, (short)s_i128072, "
    "(unsigned short)s_i60000, (int)s_m7, (unsigned)s_l, -9, 1.5f, 2.25, s_i2)",
    "mix(-1, 255, -32768, 65535, -2147483647 - 1, 4294967295u, -1, -0.5f, -0.25, 0)",
    "stk(1, 2, 3, 4, 5, 6, 7, 8, (signed char)s_i507, (unsigned short)s_i60000, "
    "(unsigned)s_l, (short)s_i128072)",
    "fps(1, 2, 3, 4, 5, 6, 7, 8, 9, 10.5f, 11.25L, 12.5f)",
    "ints_fps(1, 2, 3, 4, 5, 6, 7, 8.5L, 9.5f, 10.5)",
    "(double)ret_sc(s_i507) * 1000 + ret_sc(200)", "(double)ret_us(-1) + ret_us(s_i128072)",
    "(double)ret_ui(s_l) + (ret_ui(-1) == 4294967295u)",
    "(double)(ret_ld(1.5) * 2)", "(double)ret_f(1.5f, 3.0) + ret_f(-2.0f, 0.5)",
    "vsum(1, -2, 3.5, (long double)4.25, 4000000000u, 1.5f, (char)200, 5.75L)",
    "vsum(1, (signed char)s_i507, 0.5, 2.5L, (unsigned)s_l, -1.5f, (short)s_i128072, "
    "-0.25L)",
]


def scalar_c() -> tuple[str, str]:
    """The scalar callees' declarations and definitions."""
    decls, defs = [], []
    for name, ret, params, body in SCALAR_FUNCTIONS:
        names = "abcdefghijklmnop"
        if name in VARIADIC_SCALARS:
            plist = f"{params[0].name} a, ..."
        else:
            plist = ", ".join(f"{p.name} {names[i]}" for i, p in enumerate(params))
        head = f"{ret.name} {name}({plist})"
        decls.append(head + ";\n")
        defs.append(head + " { " + body + " }\n")
    for name, ty, init in SCALAR_GLOBALS:
        decls.append(f"extern {ty.name} {name};\n")
        defs.append(f"{ty.name} {name} = {init};\n")
    return "".join(decls), "".join(defs)


# --- the provider, the table, the run -----------------------------------------------------

def build_provider() -> DictProvider:
    symbols, tags = {}, {}
    for tag, ty in TYPE_OF.items():
        tags[KINDS[tag], tag] = ty
        for prefix, fty in record_functions(ty).items():
            symbols[f"{prefix}_{tag}"] = Symbol(f"{prefix}_{tag}", SymKind.FUNCTION, fty)
        symbols[f"g_{tag}"] = Symbol(f"g_{tag}", SymKind.GLOBAL, ty)
    for name, ret, params, _ in SCALAR_FUNCTIONS:
        fty = func_type(ret, params, variadic=name in VARIADIC_SCALARS)
        symbols[name] = Symbol(name, SymKind.FUNCTION, fty)
    for name, ty, _ in SCALAR_GLOBALS:
        symbols[name] = Symbol(name, SymKind.GLOBAL, ty)
    return DictProvider(symbols, {}, tags)


PROVIDER = build_provider()
CASES = [(tag, e) for tag, *_ in TYPES for e in record_expressions(tag)] + \
    [("scalar", e) for e in SCALAR_CASES]
PRELUDE = r"""#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
static void show(const unsigned char *r, int size, const unsigned char *mask) {
    double d;                                   /* size 0: r holds a double */
    if (size == 0) { memcpy(&d, r, sizeof d); printf("%.17g\n", d); return; }
    for (int i = 0; i < size; i++) printf("%02x", r[i] & mask[i]);
    printf("\n");
}
"""


def value_bits(ty, bit: int = 0, mask: list[int] | None = None) -> list[int]:
    """A byte mask of the bits of a record that hold its members' values: padding
    (which a record returned in registers leaves undefined) is not compared."""
    mask = [0] * ty.size if mask is None else mask
    t = strip_typedefs(ty)
    if is_record(t):
        for m in t.members:
            if m.bit_width:
                for b in range(m.bit_width):
                    at = bit + (m.offset * 8) + m.bit_offset + b
                    mask[at // 8] |= 1 << (at % 8)
            else:
                value_bits(m.type, bit + m.offset * 8, mask)
    elif t.kind is Kind.ARRAY:
        for i in range(max(t.length, 0)):
            value_bits(t.base, bit + i * strip_typedefs(t.base).size * 8, mask)
    else:
        for i in range(t.size):
            mask[bit // 8 + i] = 0xff
    return mask


def show_args(tag: str, size: int) -> str:
    """show's size and mask arguments."""
    if not size:
        return "0, 0"
    mask = ", ".join(map(str, value_bits(TYPE_OF[tag])))
    return f"{size}, (const unsigned char[]){{{mask}}}"


def record_size(tag: str, source: str) -> int:
    """The bytes a record-valued case leaves in `r`; 0 for a double."""
    return TYPE_OF[tag].size if source == f"make_{tag}(5)" else 0


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{(tag, source): (our printed value or an error, gcc's)} (cabi.compare_with_gcc)."""
    if tools_missing(TOOLS):
        pytest.skip(f"RISC-V execution tests need {tools_missing(TOOLS)}")

    def result_of(tag: str, source: str) -> tuple[str, str]:
        size = record_size(tag, source)
        return (f"{KINDS[tag]} {tag}" if size else ""), show_args(tag, size)
    scalar_decls, scalar_defs = scalar_c()
    header = PRELUDE + "".join(c_declarations(*t) for t in TYPES) + scalar_decls
    return compare_with_gcc(tmp_path_factory.mktemp("lp64d"), TRIPLE, TOOLS, header,
                            "".join(c_definitions(*t) for t in TYPES) + scalar_defs, CASES,
                            PROVIDER, result_of)


@pytest.mark.parametrize("tag,source", CASES)
def test_call_matches_gcc(tag, source, runs):
    ours, gcc = runs[tag, source]
    assert ours == gcc
