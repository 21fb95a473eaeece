"""irgen, executed: each expression is JIT-compiled with MCJIT in this process and run
on ctypes storage (conftest.World); its value and type are checked against the same
expression compiled by gcc, which prints both."""
import ctypes
import subprocess

import pytest

from lldb_jit.compile import compile_module
from lldb_jit.errors import JitError
from lldb_jit.frontend import analyze
from lldb_jit.frontend.ctype import Kind, strip_typedefs, type_name
from lldb_jit.irgen import ENTRY, gen_module

from conftest import ARR, HOST, SCALARS, STRING, STRUCT_S_C, STRUCT_S_INIT, pack_struct_s

# Expressions whose value and type gcc computes independently. Each runs on freshly
# initialized variables; a `;` makes it a statement list (a GNU statement expression
# for gcc).
CROSS_CHECKED = [
    "x + y * 3", "x / y", "x % y", "-x / 2", "y >> 1", "x << 28", "u >> 3", "u + x",
    "u * 2", "-u", "~x", "~uc", "!x", "!!y", "c", "c + c", "c * uc", "uc + 10",
    "s * 100", "us + 1", "us * s", "l / 7", "l % 7", "l * 3 + ul", "ul", "ul + 2",
    "ul / 3", "b", "b + b", "x < u", "y < u", "y < l", "c == -5", "uc > c",
    "x && y", "x && 0", "0 || y", "x || (x = 99)", "x == 7 ? d : f", "y ? c : uc",
    "d * f", "d / 3", "f / 3", "f * 2", "(float)d / 3", "x / 2.0f", "d - 0.1",
    "(int)d", "(int)-d", "(unsigned char)300", "(signed char)200", "(char)x",
    "(short)70000", "(unsigned)y", "(unsigned long)y", "(long)u", "(_Bool)d",
    "(_Bool)0.0", "(double)ul", "(float)ul", "(unsigned long)(d * 1e18)",
    "(long double)x / 3", "(long double)d + 1", "1.0L / 3",
    "'a' + 1", "'\\xff'", "0xffffffff + 1", "0x7fffffff + 1u", "2147483648 - 1",
    "sizeof(struct S) + sizeof arr", "sizeof x * 2",
    "arr[2]", "arr[x - 5] + arr[3]", "*(arr + 1)", "&arr[3] - &arr[1]", "str[1]",
    "*str", "str[4] - 'a'", "st.a", "st.b", "st.f1", "st.f2", "st.f1 + st.f2", "st.g",
    "ps->a * 2", "(*ps).g", "ps->f2 - 1",
    "add2(x, y)", "add2(c, uc)", "fp(3, 4)", "(*fp)(x, 1)", "scale(d, -2)",
    "scale(x, 3)", "(int)strlen(str)", "(unsigned long)strlen(\"hello\") + 1",
    "x = 3", "c = 300", "uc = -1", "d = x / 2", "f = d / 3", "b = 5",
    "x += 3", "x -= y", "x *= 2.5", "c += 200", "uc -= 10", "d /= 4", "u <<= 1",
    "x %= 4", "x &= 3", "x |= 8", "x ^= 5", "us >>= 3",
    "x++", "++x", "x--", "--x", "c++", "uc++", "++uc", "b++", "--b", "d++", "++f",
    "(x++, x)", "(x += 2, x * 10)", "st.f1 = 11", "(st.f1 = 11, st.f1)",
    "st.f2 = 20", "(st.f2 = 20, st.f2)", "(st.f2 += 3, st.f2)", "(st.f1++, st.f1)",
    "(st.f2--, st.f2)", "(ps->a += 5, st.a)", "(arr[1] *= 7, arr[1])",
    "(*str = 'j', str[0])", "(str++, *str)", "(ps->g++, st.g)",
    "int i, t = 0; for (i = 0; i < 10; i++) { if (i == 5) continue; t += i; } t",
    "int k = 0; while (1) { k++; if (k > 6) break; } k",
    "int k = 0; do k += 3; while (k < 10); k",
    "int k = 1; { int k = 2; x = k; } k + x",
    "double acc = 0; for (int i = 1; i <= 4; i++) acc += 1.0 / i; acc",
    "int n = 0; for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) n += i * j; n",
    "long v = l; v >>= 3; v",
    # a value used as a condition, and an increment whose value is unused
    "int k = 5; k++; k--; k++; k", "int k = 5; (k++, k--, k++)", "int k = 0; k++",
    "int k = 0; for (int i = 0; i < 9; i--, i += 3) k += i; k",
    "int k = 3; while (!(k < 0)) k--; k", "int k = 0; for (double t = 0; t < 2.5; t++) k++; k",
    "int k = 0; if (x > 3 && y < 100 || !x) k = 1; k", "int k = 0; if (!(x && y)) k = 2; k",
    "(x < y) + (d > 1) * 2 + !(x == 7) * 4 + !!(u > 2) * 8", "x > 3 ? (y < 0 || u > 2) : !y",
    "char *q = str; while (*q) q++; q - str", "st.f1++; st.f2--; st.f1 * 10 + st.f2",
    "ps->g++; ps->g", "d--; d", "b++; b--; b", "int n = 0; while (d != d || n < 2) n++; n",
    # gcc x86-64 -O0 where C says undefined: wrapping, masked shift counts, cvttsd2si
    # (with run-time operands: gcc folds constant conversions with saturation)
    "int big = 2147483647; big + 1", "int big = 2147483647; big * 2",
    "long m = -9223372036854775807 - 1; -m", "long m = -9223372036854775807 - 1; m - 1",
    "(x = 2147483647, x + x)", "x << 32", "x >> 33", "l << 64", "u >> 40",
    "x << -1", "int n = 33; x << n", "int n = -1; x << n", "int n = 40; y >> n",
    "int n = 35; u >> n", "int n = 65; l << n", "int n = 64; ul >> n",
    "unsigned char k = 200; x << k", "x <<= 37", "(st.f1 = 7, st.f1 << 33)",
    "d = 1e10, (int)d", "d = -1e10, (int)d", "d = 3e9, (int)d", "d = 3e9, (unsigned)d",
    "d = -1, (unsigned)d", "d = -3e9, (unsigned)d", "d = 1e20, (unsigned)d",
    "d = 1e20, (long)d", "d = -1e20, (long)d", "d = 1e19, (unsigned long)d",
    "d = 2e19, (unsigned long)d", "d = -1e20, (unsigned long)d", "d = -1, (unsigned long)d",
    "d = 1e20, (unsigned long)d", "d = 0.0 / 0.0, (int)d", "d = 0.0 / 0.0, (long)d",
    "d = 0.0 / 0.0, (unsigned long)d", "d = 1.0 / 0.0, (unsigned long)d",
    "d = 300.7, (unsigned char)d", "d = -129.5, (signed char)d", "d = 1e10, (short)d",
    "d = 3e9, (unsigned short)d", "d = 1e10, (char)d", "f = 3e9, (int)f",
    "f = 1e20, (unsigned long)f", "f = 1e19, (unsigned long)f", "f = -1e10, (unsigned)f",
    "long double ld = 1e20; (long)ld", "long double ld = -1e20; (unsigned long)ld",
    "long double ld = 1e19; (unsigned long)ld", "long double ld = 1e10; (int)ld",
    "long double ld = 3e9; (unsigned)ld", "d = 1e10, x = d", "x += 1e10",
    "d = 1e3, c = d", "d = 1e20, ul = d", "d = -1, ul = d",
    # initializer lists
    "int a[3] = {1, 2, 3}; a[0] + a[1] * 10 + a[2] * 100", "int a[5] = {1, 2}; a[4] + a[1]",
    "int a[] = {4, 5, 6, 7}; sizeof a + a[3]", "int a[4] = {[2] = 5, 6}; a[3] * 10 + a[2]",
    "int a[] = {[3] = 1, [1] = 2}; sizeof a + a[1]", "int v = {4}; v",
    "struct S t = {1, 'q', 3, -2, 77}; t.a + t.b + t.f1 + t.f2 + t.g",
    "struct S t = {.g = 5, .a = 2}; t.g * 10 + t.a + t.b + t.f2",
    "struct S t = {.b = 'z', 9}; t.f1 + t.f2", "struct S t = {x, c, x, y, l}; t.g + t.f2",
    'char s[] = "abc"; sizeof s + s[2]', 'char s[6] = "ab"; s[1] + s[4] + sizeof s',
    'char s[3] = "abc"; s[2]', 'char s[] = {"hi"}; sizeof s',
    "int m[2][3] = {{1, 2, 3}, {4, 5, 6}}; m[1][2] + m[0][1] * 10",
    "int m[2][3] = {1, 2, 3, 4}; m[1][0] * 10 + m[1][2]",
    "int m[2][3] = {{1}, 7, 8}; m[0][1] + m[1][0] * 10 + m[1][1] * 100",
    "struct S sa[2] = {{1}, {.g = 3}}; sa[1].g + sa[0].a + sa[1].a",
    "struct S sa[2] = {1, 2, 3, 4, 5, 6}; sa[1].a + sa[0].g", "struct S sa[] = {st, *ps}; sa[1].g",
    "union U v = {.f = 2.0f}; v.i", "union U v = {5}; v.i",
    "double dd[3] = {1, x, 2.5}; dd[0] + dd[1] + dd[2]", "long z[3] = {}; z[0] + z[2]",
    'char *p[2] = {"ab", str}; p[1][1] + p[0][1]', "int k = 0, a[2] = {k++, k++}; a[1] + k",
    "for (int i = 0; i < 3; i++) { int a[2] = {i}; x += a[0] + a[1]; } x",
    # struct and union types defined in the expression, laid out as gcc lays them out
    "struct pk { char c; double d; short s; } v = {1, 2, 3}; sizeof v * 100 + v.s",
    "struct bf { unsigned a : 3; int b : 5; char c; long g : 20; } v = {5, -7, 9, -3};"
    " sizeof v * 1000 + v.a * 100 + v.b * 10 + v.c + v.g",
    "struct n { int v; struct n *next; } a = {1, 0}, b = {2, &a}; b.next->v + b.v",
    "union un { char c[5]; int i; } v = {{1, 2}}; sizeof v * 1000 + v.i",
    "struct in { int a[3]; struct { int p; } q; } v = {{1, 2, 3}, {4}}; v.a[2] + v.q.p",
]

C_PROGRAM = r"""
#include <stdio.h>
#include <string.h>
#include <stddef.h>
%(struct)s
enum Color { RED = 0, GREEN = 1, BLUE = 7 };
union U { int i; float f; };
%(decls)s
int arr[4]; struct S st; char strbuf[16]; char *str; struct S *ps; enum Color color;
int add2(int a, int b) { return a + b; }
double scale(double v, signed char k) { return v * k; }
int (*fp)(int, int);
static void reset(void) {
    %(inits)s
    int a[4] = {%(arr)s}; memcpy(arr, a, sizeof a);
    st = (struct S){%(st)s};
    strcpy(strbuf, "%(string)s"); str = strbuf; ps = &st; color = BLUE; fp = add2;
}
#define TYPE(e) _Generic((e), _Bool: "_Bool", char: "char", signed char: "signed char", \
    unsigned char: "unsigned char", short: "short", unsigned short: "unsigned short", \
    int: "int", unsigned: "unsigned int", long: "long", unsigned long: "unsigned long", \
    long long: "long long", unsigned long long: "unsigned long long", float: "float", \
    double: "double", long double: "long double", default: "other")
static void pi(long long v) { printf("%%lld\n", v); }
static void pu(unsigned long long v) { printf("%%llu\n", v); }
static void pf(long double v) { printf("%%.17g\n", (double)v); }
#define PRINT(e) _Generic((e), float: pf, double: pf, long double: pf, unsigned: pu, \
    unsigned long: pu, unsigned long long: pu, default: pi)(e)
#define CASE(e) reset(); printf("%%s|", TYPE(e)); PRINT(e);
int main(void) {
%(cases)s
    return 0;
}
"""


def c_literal(var) -> str:
    if strip_typedefs(var.ty).kind in (Kind.FLOAT, Kind.DOUBLE):
        return repr(float(var.value))
    return f"{var.value}UL" if var.value > 2**31 else str(var.value)


def c_expression(src: str) -> str:
    return f"({{ {src}; }})" if ";" in src else f"({src})"


@pytest.fixture(scope="module")
def gcc_results(tmp_path_factory) -> dict[str, tuple[str, str]]:
    """expression -> (type, printed value) as gcc computes them."""
    ctypes_of = {Kind.BOOL: "_Bool"}
    decls = " ".join(f"{ctypes_of.get(strip_typedefs(v.ty).kind, type_name(v.ty))} "
                     f"{v.name};" for v in SCALARS)
    source = C_PROGRAM % {
        "struct": STRUCT_S_C, "decls": decls,
        "inits": " ".join(f"{v.name} = {c_literal(v)};" for v in SCALARS),
        "arr": ", ".join(map(str, ARR)), "st": ", ".join(map(str, STRUCT_S_INIT)),
        "string": STRING.decode(),
        "cases": "\n".join(f"    CASE({c_expression(e)})" for e in CROSS_CHECKED)}
    work = tmp_path_factory.mktemp("gcc")
    (work / "cases.c").write_text(source)
    subprocess.run(["gcc", "-w", "-O0", "-o", str(work / "cases"), str(work / "cases.c")],
                   check=True)
    out = subprocess.run([str(work / "cases")], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    assert len(out) == len(CROSS_CHECKED)
    return {e: tuple(line.split("|", 1)) for e, line in zip(CROSS_CHECKED, out)}


def printed(value) -> str:
    return format(value, ".17g") if isinstance(value, float) else str(value)


def result_type_name(program) -> str:
    t = strip_typedefs(program.result_type)
    return "other" if t.kind in (Kind.PTR, Kind.ARRAY, Kind.STRUCT) else type_name(t)


@pytest.mark.parametrize("src", CROSS_CHECKED)
def test_cross_checked_with_gcc(src, gcc_results, runner):
    value, program = runner.run(src)
    gcc_type, gcc_value = gcc_results[src]
    if gcc_type == "other" and "st.f" in src:
        gcc_type = result_type_name(program)  # gcc's _Generic sees `int:5`, C says int
    assert (result_type_name(program), printed(value)) == (gcc_type, gcc_value)


# Statement lists and lvalues gcc's table cannot spell; values worked out by hand.
BY_HAND = [
    ("int a[2]; a[1] = 5; a[0] = 2; a[1] * a[0]", 10),
    ("struct S t; t = st; t.g = 1; t.g + st.g", 100),
    ("struct S t = *ps; t.f2", -7),
    ('char *p = "xyz"; p[1]', ord("y")),
    ("x ? st.g : ps->a", 99),
    ("(x ? st : *ps).g", 99),
    ("(char)0x1234 == 0x34", 1),
    ("un.i", 0x3F800000),                   # the bits of 1.0f
    ("(un.f = 2, un.i)", 0x40000000),
    ("color == BLUE", 1),
    ("color = GREEN", 1),
    ("$0 = 5; $0 + 1", 6),
    ("((int (*)(int, int))add2)(2, 3)", 5),
    ("fp == add2", 1),
    ("&arr[0] == arr", 1),
    ("(struct S *)0 + 1", 16),
    ("b = 256", 1),
    ("b = 0.5", 1),
    ("-2147483648", -2147483648),
    ("1;2;3", 3),
    ("int i = 0; for (;;) { if (++i == 4) break; } i", 4),
]


@pytest.mark.parametrize("src,expected", BY_HAND)
def test_by_hand(src, expected, runner):
    assert runner.run(src)[0] == expected


# --- results that are addresses, arrays and structs ----------------------------------

def test_array_result_is_copied_whole(runner):
    value, program = runner.run("arr")
    assert type_name(program.result_type) == "int[4]"
    assert value == b"".join(i.to_bytes(4, "little") for i in ARR)


def test_struct_result_is_copied_whole(runner):
    value, program = runner.run("*ps")
    assert type_name(program.result_type) == "struct S"
    assert value == pack_struct_s(*STRUCT_S_INIT)


def test_string_literal_result(runner):
    value, program = runner.run('"ab" "c\\n"')
    assert (type_name(program.result_type), value) == ("char[5]", b"abc\n\0")


def test_addresses(runner, world):
    for src, name, offset in [("&arr[2]", "arr", 8), ("arr + 3", "arr", 12),
                              ("ps", "st", 0), ("&ps->g", "st", 8), ("&st.b", "st", 4),
                              ("(char *)ps + 3", "st", 3), ("&x", "x", 0)]:
        value, _ = runner.run(src, world)
        assert value == world.addr[name] + offset, src


def test_function_addresses(runner, world):
    assert runner.run("add2", world)[0] == world.addr["add2"]
    assert runner.run("x ? fp : 0", world)[0] == world.addr["add2"]


def test_side_effects_reach_debuggee_storage(runner, world):
    runner.run("x = 41; st.f2 = -3; arr[3] += 10; d *= 2", world)
    assert world.read("x", SCALARS[0].ty) == 41
    assert runner.run("st.f2", world)[0] == -3
    assert runner.run("st.f1", world)[0] == STRUCT_S_INIT[2]  # neighbour untouched
    assert runner.run("arr[3]", world)[0] == 14
    assert runner.run("d", world)[0] == 5.0


def test_persistent_and_register_slots(runner):
    value, program = runner.run("$0 * 2 + ($pc & 0xfff)")
    assert value == 84
    assert [s.name for s in program.frame_refs] == ["$0", "$pc"]


def test_variadic_call(runner, world):
    value, _ = runner.run('snprintf(str, 12, "%d|%s|%.1f", c, "ok", f)', world)
    text_address = runner.run("str", world)[0]
    assert (value, ctypes.string_at(text_address)) == (9, b"-5|ok|1.2")


def test_no_value_statements(runner, world):
    value, program = runner.run("int k = 3; if (k) x = k;", world)
    assert (value, program.result_type) == (None, None)
    assert runner.run("x", world)[0] == 3


def test_return_ends_evaluation(runner):
    assert runner.run("if (x > 5) return 1; 2")[0] == 1
    assert runner.run("if (x > 50) return 1; 2")[0] == 2


# --- the module's shape and the compiler ---------------------------------------------

def test_module_declares_externals_without_addresses(world):
    program = analyze('add2(u, l) + arr[1] + (int)strlen("s")', world.provider)
    text = str(gen_module(program, "x86_64-unknown-linux-gnu"))
    assert f'define void @"{ENTRY}"(ptr %"frame", ptr %"result")' in text
    assert '@"jt_u" = external global i32' in text
    assert '@"jt_arr" = external global [4 x i32]' in text
    assert 'declare i32 @"jt_add2"(i32 %".1", i32 %".2")' in text
    assert "private unnamed_addr constant [2 x i8]" in text
    assert "inttoptr" not in text


@pytest.mark.parametrize("src", [
    "int s = 0; for (int i = 0; i < 5; i++) s += i; s",
    "int k = 9; while (!(k < 3 || k == 4) && x != 0) k--; k"])
def test_conditions_branch_on_the_comparison_and_unused_increments_keep_no_copy(src, world):
    """No int between a comparison and the branch on it; `i++` as a statement keeps no
    temporary (the cross-checked runs above give their values)."""
    text = str(gen_module(analyze(src, world.provider), HOST))
    assert "zext" not in text and "tobool" not in text and '"tmp"' not in text


def test_an_index_is_one_getelementptr_and_a_first_member_needs_none(world):
    body = str(gen_module(analyze("arr[x] + ps->a", world.provider), HOST)).split("body:")[1]
    assert "getelementptr [4 x i8]" in body and body.count("getelementptr") == 1
    assert " mul " not in body


@pytest.mark.parametrize("triple,fp", [("x86_64-unknown-linux-gnu", "x86_fp80"),
                                       ("aarch64-unknown-linux-gnu", "fp128")])
def test_long_double_per_target(triple, fp, world):
    program = analyze("(long double)d", world.provider)
    assert f"store {fp}" in str(gen_module(program, triple))


@pytest.mark.parametrize("triple,machine", [("x86_64-unknown-linux-gnu", b"\x3e\x00"),
                                            ("aarch64-unknown-linux-gnu", b"\xb7\x00")])
def test_compile_module_gives_elf_object_without_eh_frame(triple, machine, world):
    dumps = {}
    program = analyze("add2(x, arr[1]) + st.f2", world.provider)
    obj = compile_module(gen_module(program, triple), triple,
                         dump=lambda kind, text: dumps.setdefault(kind, text))
    assert obj[:4] == b"\x7fELF" and obj[16:18] == b"\x01\x00"  # ET_REL
    assert obj[18:20] == machine
    assert b".eh_frame" not in obj
    assert set(dumps) == {"ir", "ir-opt", "asm"}
    assert ENTRY in dumps["asm"]


def test_compile_module_unknown_triple(world):
    program = analyze("1", world.provider)
    with pytest.raises(JitError):
        compile_module(gen_module(program, "nosuch-unknown-none"), "nosuch-unknown-none")


def test_jit_runs_object_code_at_each_optimization_level(world):
    program = analyze("x * 6", world.provider)
    for opt in (0, 1, 2, 3):
        assert compile_module(gen_module(program, HOST), HOST, opt=opt)[:4] == b"\x7fELF"


@pytest.mark.parametrize("src, level", [
    ("x * 6", 0), ("x && y ? d : f", 0), ("if (x) y = 1; else y = 2; y", 0),
    ("add2(x, arr[1]) + st.f2", 0), ("int s = 0; for (int i = 0; i < 8; i++) s += i; s", 2),
    ("int i = 0; while (i < x) i++; i", 2), ("int i = 0; do i++; while (i < 3); i", 2),
    ("int i = 0; for (;;) { if (++i > 3) break; } i", 2), ("for (;;) break; 1", 0),
])
def test_level_follows_the_code_loops_optimized(src, level, world):
    """Straight-line code is emitted at O0 (it runs once); code that loops at O2."""
    from lldb_jit.compile import level_for
    assert level_for(gen_module(analyze(src, world.provider), HOST)) == level
