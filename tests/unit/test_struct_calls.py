"""Structs and unions by value across calls (lldb_jit.cabi, SysV x86-64): a shared
library built by gcc during the test is loaded into this process, its functions are
called from MCJIT-compiled expressions, and each value is compared with the same
expression compiled by gcc against the same library."""
import subprocess

import llvmlite.binding as llvm
import pytest

from lldb_jit.callconv import Class
from lldb_jit.targets.x86_64.callconv import classify, lower_call
from lldb_jit.frontend.ctype import (BASIC_TYPES, Kind, Member, func_type, pointer_to,
                                     struct_type, ty_double, ty_int, ty_long)
from lldb_jit.frontend.provider import DictProvider, Symbol, SymKind

from conftest import HOST

pytestmark = pytest.mark.skipif(not HOST.startswith("x86_64"), reason="x86-64 host")

# tag -> members (name, C type); gcc lays them out, layout() does the same here.
STRUCTS = {
    "i1": [("a", "int")], "i2": [("a", "int"), ("b", "int")],
    "i3": [("a", "int"), ("b", "int"), ("c", "int")],
    "i4": [("a", "int"), ("b", "int"), ("c", "int"), ("d", "int")],
    "c3": [("a", "char"), ("b", "char"), ("c", "char")],
    "cs": [("c", "char"), ("s", "short")],
    "id": [("i", "int"), ("d", "double")], "di": [("d", "double"), ("i", "int")],
    "fi": [("f", "float"), ("i", "int")], "ff": [("x", "float"), ("y", "float")],
    "fff": [("x", "float"), ("y", "float"), ("z", "float")],
    "dd": [("x", "double"), ("y", "double")], "df": [("d", "double"), ("f", "float")],
    "big": [("a", "long"), ("b", "long"), ("c", "long")],
    "mix": [("c", "char"), ("d", "double"), ("f", "float")],
    "ld": [("x", "long double")],
    "p": [("p", "char *"), ("n", "long")],
}
C_TYPES = {"int": Kind.INT, "char": Kind.CHAR, "short": Kind.SHORT, "long": Kind.LONG,
           "float": Kind.FLOAT, "double": Kind.DOUBLE, "long double": Kind.LDOUBLE}


def member_type(spelling: str):
    if spelling == "char *":
        return pointer_to(BASIC_TYPES[Kind.CHAR])
    return BASIC_TYPES[C_TYPES[spelling]]


def layout(tag: str, fields) -> object:
    members, offset, align = [], 0, 1
    for name, spelling in fields:
        ty = member_type(spelling)
        offset = (offset + ty.align - 1) // ty.align * ty.align
        members.append(Member(name, ty, offset))
        offset, align = offset + ty.size, max(align, ty.align)
    return struct_type(Kind.STRUCT, tag, members, (offset + align - 1) // align * align,
                       align)


def c_functions(tag: str, fields) -> str:
    """make_T(seed), check_T(v) (a weighted sum), with registers used up before, and
    through `...`; a global g_T and a pointer make_T_ptr."""
    T = f"struct {tag}"
    decl = " ".join(f"{'char *' if s == 'char *' else s} {n};" for n, s in fields)
    sets = " ".join(
        f"v.{n} = (char *)0 + seed * {k + 2};" if s == "char *" else
        f"v.{n} = seed * {k + 2} + {k}{' + 0.5' if 'double' in s or s == 'float' else ''};"
        for k, (n, s) in enumerate(fields))
    terms = " + ".join(f"(double)(long)v.{n} * {k + 1}" if s == "char *" else
                       f"(double)v.{n} * {k + 1}" for k, (n, s) in enumerate(fields))
    return f"""
{T} {{ {decl} }};
{T} g_{tag};
{T} make_{tag}(int seed) {{ {T} v; memset(&v, 0, sizeof v); {sets} return v; }}
double check_{tag}({T} v) {{ return {terms}; }}
double many_{tag}(long a, long b, long c, long d, long e, {T} v, double x, {T} w) {{
    return check_{tag}(v) * 3 + check_{tag}(w) + a + b * 2 + c + d + e + x; }}
double sse_{tag}(double a, double b, double c, double d, double e, double f, double g,
                 {T} v, {T} w) {{
    return check_{tag}(v) * 3 + check_{tag}(w) + a + b * 2 + c + d + e + f + g; }}
double vcheck_{tag}(int n, ...) {{
    va_list ap; double t = 0; va_start(ap, n);
    for (int i = 1; i <= n; i++) t += check_{tag}(va_arg(ap, {T})) * i;
    va_end(ap); return t; }}
{T} (*make_{tag}_ptr)(int) = make_{tag};
{T} twice_{tag}({T} v) {{ return make_{tag}((int)check_{tag}(v) % 50); }}
void set_{tag}(int k, {T} v) {{ g_{tag} = v; g_{tag}.{fields[0][0]} += k; }}
"""


def expressions(tag: str, fields) -> list[str]:
    first, last = fields[0][0], fields[-1][0]
    value = "(long)" if fields[-1][1] == "char *" else ""
    return [f"check_{tag}(make_{tag}(3))", f"{value}make_{tag}(4).{last}",
            f"many_{tag}(1, 2, 3, 4, 5, make_{tag}(2), 0.5, make_{tag}(9))",
            f"sse_{tag}(1, 2, 3, 4, 5, 6, 7, make_{tag}(2), make_{tag}(5))",
            f"vcheck_{tag}(2, make_{tag}(1), make_{tag}(6))",
            f"struct {tag} v = make_{tag}(8); check_{tag}(v) + 1",
            f"check_{tag}(make_{tag}_ptr(5))", f"check_{tag}(twice_{tag}(make_{tag}(7)))",
            f"g_{tag} = make_{tag}(6); check_{tag}(g_{tag})",
            f"struct {tag} v; v = g_{tag} = make_{tag}(11); check_{tag}(v)",
            f"check_{tag}(1 ? make_{tag}(2) : make_{tag}(3))",
            f"set_{tag}(3, make_{tag}(4)); make_{tag}(1); check_{tag}(g_{tag})"]


CASES = [e for tag, fields in STRUCTS.items() for e in expressions(tag, fields)]


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """Build the library and a gcc-compiled driver printing each case's value."""
    work = tmp_path_factory.mktemp("structs")
    source = "#include <stdarg.h>\n#include <string.h>\n" + "".join(
        c_functions(t, f) for t, f in STRUCTS.items())
    (work / "lib.c").write_text(source)
    lib = work / "libstructs.so"
    subprocess.run(["gcc", "-O0", "-shared", "-fPIC", "-o", str(lib), str(work / "lib.c")],
                   check=True)
    cases = "\n".join(f'    printf("%.17g\\n", (double)({{ {e}; }}));' for e in CASES)
    (work / "main.c").write_text(f"#include <stdio.h>\n{source}\nint main(void) {{\n"
                                 f"{cases}\n    return 0;\n}}\n")
    subprocess.run(["gcc", "-O0", "-w", "-o", str(work / "main"), str(work / "main.c")],
                   check=True)
    out = subprocess.run([str(work / "main")], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    llvm.load_library_permanently(str(lib))
    return dict(zip(CASES, out))


class LibWorld:
    """The library's functions and globals as a provider; nothing in a frame."""

    def __init__(self):
        self.addr = {}
        symbols, tags = {}, {}
        for tag, fields in STRUCTS.items():
            ty = tags["struct", tag] = layout(tag, fields)
            maker = func_type(ty, [ty_int])
            fns = {f"make_{tag}": maker, f"check_{tag}": func_type(ty_double, [ty]),
                   f"many_{tag}": func_type(ty_double, [ty_long] * 5 + [ty, ty_double, ty]),
                   f"sse_{tag}": func_type(ty_double, [ty_double] * 7 + [ty, ty]),
                   f"vcheck_{tag}": func_type(ty_double, [ty_int], variadic=True),
                   f"twice_{tag}": func_type(ty, [ty]),
                   f"set_{tag}": func_type(BASIC_TYPES[Kind.VOID], [ty_int, ty])}
            for name, fty in fns.items():
                symbols[name] = Symbol(name, SymKind.FUNCTION, fty)
            symbols[f"g_{tag}"] = Symbol(f"g_{tag}", SymKind.GLOBAL, ty)
            symbols[f"make_{tag}_ptr"] = Symbol(f"make_{tag}_ptr", SymKind.GLOBAL,
                                                pointer_to(maker))
        self.provider = DictProvider(symbols, {}, tags)


@pytest.mark.parametrize("src", CASES)
def test_struct_by_value_matches_gcc(src, library, runner):
    value, _ = runner.run(src, LibWorld())
    assert format(float(value), ".17g") == library[src]


def test_struct_result_is_the_returned_bytes(library, runner):
    value, program = runner.run("make_id(4)", LibWorld())
    assert value[:4] == (4 * 2 + 0).to_bytes(4, "little")
    assert value[8:16] == __import__("struct").pack("<d", 4 * 3 + 1 + 0.5)


# --- the classification itself -----------------------------------------------------

@pytest.mark.parametrize("tag,expected", [
    ("i1", [Class.INTEGER]), ("i3", [Class.INTEGER, Class.INTEGER]),
    ("ff", [Class.SSE]), ("fff", [Class.SSE, Class.SSE]), ("fi", [Class.INTEGER]),
    ("id", [Class.INTEGER, Class.SSE]), ("di", [Class.SSE, Class.INTEGER]),
    ("big", None), ("mix", None), ("p", [Class.INTEGER, Class.INTEGER])])
def test_classification(tag, expected):
    passing = classify(layout(tag, STRUCTS[tag]), returning=False)
    assert (None if passing.in_memory else [p.cls for p in passing.parts]) == expected


def test_long_double_struct_returns_in_x87_but_is_passed_in_memory():
    ty = layout("ld", STRUCTS["ld"])
    assert [p.cls for p in classify(ty, returning=True).parts] == [Class.X87]
    assert classify(ty, returning=False).in_memory


def test_struct_goes_to_memory_when_registers_run_out():
    ty = layout("i3", STRUCTS["i3"])
    lowering = lower_call(ty_double, [ty_long] * 5 + [ty, ty_long])
    assert [a.in_memory for a in lowering.args] == [False] * 5 + [True, False]


def test_sret_takes_an_integer_register():
    big, i3 = layout("big", STRUCTS["big"]), layout("i3", STRUCTS["i3"])
    lowering = lower_call(big, [ty_long] * 4 + [i3])
    assert lowering.ret.in_memory and lowering.args[-1].in_memory
    assert not lower_call(ty_int, [ty_long] * 4 + [i3]).args[-1].in_memory


def test_packed_struct_goes_to_memory():
    packed = struct_type(Kind.STRUCT, "pk", [Member("c", BASIC_TYPES[Kind.CHAR], 0),
                                            Member("i", ty_int, 1)], 5, 1)
    assert classify(packed, returning=False).in_memory
