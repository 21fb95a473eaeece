"""Structs and unions by value on AArch64 Linux (AAPCS64, lldb_jit/targets/aarch64/
callconv.py): the classification, the LLVM signatures it gives (the types clang's
AArch64ABIInfo picks), and calls run under qemu-aarch64. For the run, callees are compiled by
aarch64-linux-gnu-gcc; each expression is compiled by our pipeline (analyze, gen_module,
compile_module) into an ELF object whose entry is renamed expr_<i>; a gcc main calls
them all, and its output is compared with the same expressions compiled by gcc."""
import re

import pytest

from lldb_jit.callconv import Class, Part
from lldb_jit.frontend import analyze
from lldb_jit.frontend.ctype import (Kind, array_of, func_type, ty_double, ty_float, ty_int,
                                     ty_ldouble, ty_long)
from lldb_jit.frontend.provider import DictProvider, Symbol, SymKind
from lldb_jit.irgen import gen_module
from lldb_jit.targets.aarch64.callconv import (classify_argument, classify_return,
                                               homogeneous_aggregate, is_empty_record,
                                               lower_call, unadjusted_align)

from cabi import build_types, compare_with_gcc, leaves, tools_missing
from conftest import record_type

TRIPLE = "aarch64-unknown-linux-gnu"
TOOLS = ("aarch64-linux-gnu-gcc", "aarch64-linux-gnu-objcopy", "qemu-aarch64")

# tag, struct/union, fields ("type name", "type name[n]", "type name:bits"), attribute.
# gcc checks our layout of each (static asserts in the callee file).
TYPES = [
    ("f2", "struct", "float x; float y", ""),
    ("f3", "struct", "float x; float y; float z", ""),
    ("f4", "struct", "float v[4]", ""),
    ("d2", "struct", "double x; double y", ""),
    ("d3", "struct", "double a; double b[2]", ""),
    ("d4", "struct", "double x; double y; double z; double w", ""),
    ("fnest", "struct", "struct f2 p; float z", ""),
    ("ld2", "struct", "long double a; long double b", ""),
    ("v4", "struct", "float a[4]", "aligned(16)"),
    ("hv16", "struct", "struct v4 v", ""),
    ("ufa", "union", "float a[2]; float f", ""),
    ("c1", "struct", "char c", ""),
    ("c3", "struct", "char a; char b; char c", ""),
    ("s3", "struct", "short a; short b; short c", ""),
    ("fi", "struct", "float f; int i", ""),
    ("i3", "struct", "int a; int b; int c", ""),
    ("fd", "struct", "float f; double d", ""),
    ("lc", "struct", "long l; char c", ""),
    ("chars", "struct", "char name[10]; short n", ""),
    ("cs", "struct", "char c; short s", ""),
    ("nest", "struct", "struct cs in; int k; char t", ""),
    ("bf", "struct", "unsigned a:3; int b:10; unsigned char c", ""),
    ("pk", "struct", "char c; int i; short s", "packed"),
    ("uif", "union", "int i; float f", ""),
    ("al16", "struct", "long a; long b", "aligned(16)"),
    ("a16", "struct", "struct al16 in", ""),
    ("uld", "union", "long l[2]; long double d", ""),
    ("f5", "struct", "float a; float b; float c; float d; float e", ""),
    ("big24", "struct", "long a; long b; long c", ""),
    ("big40", "struct", "int a; double b; short s[6]; long d", ""),
    ("ubig", "union", "long a[3]; double d", ""),
    ("pkbig", "struct", "char c; double d; long l", "packed"),
    ("empty", "struct", "", ""),
]
TYPE_OF = build_types(TYPES)
KINDS = {tag: kind for tag, kind, _, _ in TYPES}


# --- the classification --------------------------------------------------------------

@pytest.mark.parametrize("tag,expected", [
    ("f2", (ty_float, 2)), ("f3", (ty_float, 3)), ("f4", (ty_float, 4)),
    ("d3", (ty_double, 3)), ("d4", (ty_double, 4)), ("fnest", (ty_float, 3)),
    ("ld2", (ty_ldouble, 2)), ("hv16", (ty_float, 4)), ("ufa", (ty_float, 2)),
    ("fd", None), ("fi", None), ("f5", None), ("uif", None), ("empty", None)])
def test_homogeneous_aggregates(tag, expected):
    hfa = homogeneous_aggregate(TYPE_OF[tag])
    assert (hfa and (hfa[0].kind, hfa[1])) == (expected and (expected[0].kind, expected[1]))


def test_padding_or_a_zero_length_array_is_no_hfa():
    padded = record_type(Kind.STRUCT, "p", [("a", ty_float), ("b", ty_double)])
    flexible = record_type(Kind.STRUCT, "fx", [("a", ty_float),
                                               ("b", array_of(ty_float, 0))])
    assert homogeneous_aggregate(padded) is None
    assert homogeneous_aggregate(flexible) is None


def test_empty_records_are_skipped_in_an_hfa_and_passed_as_nothing():
    empty = TYPE_OF["empty"]
    holey = record_type(Kind.STRUCT, "h", [("a", ty_float), ("e", empty),
                                           ("z", array_of(empty, 3)), ("b", ty_float)])
    assert homogeneous_aggregate(holey)[1] == 2
    nested = record_type(Kind.STRUCT, "n", [("e", empty), ("z", array_of(ty_int, 0))])
    assert is_empty_record(empty) and is_empty_record(nested)
    for ty in (empty, nested):
        assert classify_argument(ty).parts == [] and not classify_argument(ty).in_memory
        assert classify_return(ty).parts == [] and not classify_return(ty).in_memory


def test_unadjusted_alignment_is_the_fields():
    assert TYPE_OF["al16"].align == 16 and unadjusted_align(TYPE_OF["al16"]) == 8
    assert unadjusted_align(TYPE_OF["a16"]) == 16
    assert unadjusted_align(TYPE_OF["uld"]) == 16
    assert unadjusted_align(TYPE_OF["pk"]) == 1


@pytest.mark.parametrize("tag,arg,ret", [
    ("f3", Part(Class.SSE, 0, 4, 3), Part(Class.SSE, 0, 4, 3)),
    ("d2", Part(Class.SSE, 0, 8, 2), Part(Class.SSE, 0, 8, 2)),
    ("ld2", Part(Class.X87, 0, 16, 2), Part(Class.X87, 0, 16, 2)),
    ("c3", Part(Class.INTEGER, 0, 8), Part(Class.INTEGER, 0, 3)),
    ("i3", Part(Class.INTEGER, 0, 8, 2), Part(Class.INTEGER, 0, 8, 2)),
    ("al16", Part(Class.INTEGER, 0, 8, 2), Part(Class.INTEGER, 0, 16)),
    ("a16", Part(Class.INTEGER, 0, 16), Part(Class.INTEGER, 0, 16))])
def test_register_parts(tag, arg, ret):
    assert classify_argument(TYPE_OF[tag]).parts == [arg]
    assert classify_return(TYPE_OF[tag]).parts == [ret]


@pytest.mark.parametrize("tag", ["f5", "big24", "big40", "ubig", "pkbig"])
def test_large_records_go_by_reference_and_return_through_sret(tag):
    arg, ret = classify_argument(TYPE_OF[tag]), classify_return(TYPE_OF[tag])
    assert arg.in_memory and arg.by_reference and not arg.parts
    assert ret.in_memory and not ret.by_reference


def test_hfa_stack_alignment_follows_the_fields():
    assert classify_argument(TYPE_OF["v4"]).stack_align == 8
    assert classify_argument(TYPE_OF["hv16"]).stack_align == 16
    assert classify_argument(TYPE_OF["ld2"]).stack_align == 16


def test_lower_call_leaves_register_accounting_to_llvm():
    f3, big = TYPE_OF["f3"], TYPE_OF["big24"]
    lowering = lower_call(big, [ty_double] * 7 + [f3, ty_double, big])
    assert lowering.ret.in_memory
    assert lowering.args[7].parts == [Part(Class.SSE, 0, 4, 3)]   # not split at v7
    assert lowering.args[9].by_reference


# --- the LLVM signatures, as clang writes them ------------------------------------------

def provider_for(types: dict) -> DictProvider:
    """make_T(int seed), check_T(T), ints_T(7 longs, T, long, T), dbls_T(7 doubles, T,
    double, T), many_T(T, int, T, double, T, T), vcheck_T(int, ...), twice_T(T),
    pick_T(int, T, T, T), mutate_T(T) and a global g_T, for every T."""
    symbols, tags = {}, {}
    for tag, ty in types.items():
        tags[KINDS[tag], tag] = ty
        fns = {"make": func_type(ty, [ty_int]), "check": func_type(ty_double, [ty]),
               "ints": func_type(ty_double, [ty_long] * 7 + [ty, ty_long, ty]),
               "dbls": func_type(ty_double, [ty_double] * 7 + [ty, ty_double, ty]),
               "many": func_type(ty_double, [ty, ty_int, ty, ty_double, ty, ty]),
               "vcheck": func_type(ty_double, [ty_int], variadic=True),
               "twice": func_type(ty, [ty]), "pick": func_type(ty, [ty_int, ty, ty, ty]),
               "mutate": func_type(ty_double, [ty])}
        for prefix, fty in fns.items():
            symbols[f"{prefix}_{tag}"] = Symbol(f"{prefix}_{tag}", SymKind.FUNCTION, fty)
        symbols[f"g_{tag}"] = Symbol(f"g_{tag}", SymKind.GLOBAL, ty)
    return DictProvider(symbols, {}, tags)


PROVIDER = provider_for(TYPE_OF)


def declarations(source: str) -> dict[str, tuple[str, str]]:
    """name -> (return type, parameters) of each function `source` calls, in LLVM IR
    with the parameter names dropped."""
    module = str(gen_module(analyze(source, PROVIDER), TRIPLE))
    return {m[2]: (m[1], re.sub(r' %"\.\d+"', "", m[3]))
            for m in re.finditer(r'declare (.*?) @"(\w+)"\((.*)\)', module)}


def signature(tag: str) -> tuple[str, str]:
    """(the parameters of check_T, the return type of make_T) in LLVM IR; with sret,
    the parameters of make_T instead."""
    decls = declarations(f"check_{tag}(make_{tag}(1))")
    ret, params = decls[f"make_{tag}"]
    return decls[f"check_{tag}"][1], params if "sret" in params else ret


# The coerced types clang's AArch64ABIInfo (clang/lib/CodeGen/Targets/AArch64.cpp,
# AAPCS kind) gives these records. For sret, clang names the struct type and its own
# alignment; ours is the record's bytes and at least 8 (irgen's record_attrs).
CLANG_SIGNATURES = {
    "f2": ("[2 x float] alignstack(8)", "[2 x float]"),
    "f4": ("[4 x float] alignstack(8)", "[4 x float]"),
    "d4": ("[4 x double] alignstack(8)", "[4 x double]"),
    "fnest": ("[3 x float] alignstack(8)", "[3 x float]"),
    "ld2": ("[2 x fp128] alignstack(16)", "[2 x fp128]"),
    "v4": ("[4 x float] alignstack(8)", "[4 x float]"),
    "hv16": ("[4 x float] alignstack(16)", "[4 x float]"),
    "ufa": ("[2 x float] alignstack(8)", "[2 x float]"),
    "c1": ("i64", "i8"), "c3": ("i64", "i24"), "s3": ("i64", "i48"),
    "fi": ("i64", "i64"), "bf": ("i64", "i32"), "pk": ("i64", "i56"), "uif": ("i64", "i32"),
    "i3": ("[2 x i64]", "[2 x i64]"), "fd": ("[2 x i64]", "[2 x i64]"),
    "chars": ("[2 x i64]", "[2 x i64]"), "nest": ("[2 x i64]", "[2 x i64]"),
    "al16": ("[2 x i64]", "i128"), "a16": ("i128", "i128"), "uld": ("i128", "i128"),
    "f5": ("ptr", "ptr sret([20 x i8]) align 8, i32"),
    "big24": ("ptr", "ptr sret([24 x i8]) align 8, i32"),
    "pkbig": ("ptr", "ptr sret([17 x i8]) align 8, i32"),
    "empty": ("", "void"),
}


@pytest.mark.parametrize("tag", CLANG_SIGNATURES)
def test_llvm_signature_is_clangs(tag):
    assert signature(tag) == CLANG_SIGNATURES[tag]


def test_hfa_alignstack_is_on_the_call_too():
    module = str(gen_module(analyze("check_hv16(make_hv16(1))", PROVIDER), TRIPLE))
    assert re.search(r'call double @"check_hv16"\(\[4 x float\] alignstack\(16\)', module)


def test_by_reference_passes_a_copy():
    """The callee owns its copy (it may write to it): never the original's address."""
    module = str(gen_module(analyze("check_big24(g_big24)", PROVIDER), TRIPLE))
    copy = re.search(r'call void @"llvm.memcpy.p0.p0.i64"\(ptr %"(agg.tmp[.\d]*)", '
                     r'ptr @"g_big24", i64 24', module)
    assert copy and f'@"check_big24"(ptr %"{copy[1]}")' in module


def test_rounded_up_argument_is_loaded_from_a_padded_copy():
    """A 3-byte struct goes as an i64: its bytes are copied to 8 bytes of scratch
    first, never read past the object."""
    module = str(gen_module(analyze("check_c3(g_c3)", PROVIDER), TRIPLE))
    assert re.search(r'%"agg.tmp[.\d]*" = alloca \[8 x i8\]', module)
    assert 'ptr @"g_c3", i64 3' in module


# --- run under qemu-aarch64 against gcc ----------------------------------------------

def value(k: int, ty) -> str:
    """C for the k-th scalar's value, exact in every type used."""
    if ty.kind in (Kind.FLOAT, Kind.DOUBLE, Kind.LDOUBLE):
        return f"seed * {k + 2} + {k} + 0.5"
    return f"(seed * {k + 2} + {k}) % 61"


def c_declarations(tag: str, kind: str, spec: str, attr: str) -> str:
    """The type, gcc's check of our layout of it, and the callees' prototypes."""
    T, ty = f"{kind} {tag}", TYPE_OF[tag]
    fields = "".join(f"{f.strip()}; " for f in spec.split(";") if f.strip())
    attribute = f" __attribute__(({attr}))" if attr else ""
    asserts = [f"sizeof({T}) == {ty.size}", f"_Alignof({T}) == {ty.align}"] + \
        [f"offsetof({T}, {m.name}) == {m.offset}" for m in ty.members if not m.bit_width]
    return f"""
{T} {{ {fields}}}{attribute};
{"".join(f'_Static_assert({a}, "{tag} layout");' for a in asserts)}
extern {T} g_{tag};
{T} make_{tag}(int seed);
double check_{tag}({T} v);
double ints_{tag}(long, long, long, long, long, long, long, {T}, long, {T});
double dbls_{tag}(double, double, double, double, double, double, double, {T}, double,
                  {T});
double many_{tag}({T} a, int k, {T} b, double x, {T} c, {T} d);
double vcheck_{tag}(int n, ...);
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
double many_{tag}({T} a, int k, {T} b, double x, {T} c, {T} d) {{
    return check_{tag}(a) + check_{tag}(b) * 2 + check_{tag}(c) * 3 + check_{tag}(d) * 4
           + k * 10 + x; }}
double vcheck_{tag}(int n, ...) {{
    va_list ap; double t = 0; va_start(ap, n);
    for (int i = 1; i <= n; i++) t += check_{tag}(va_arg(ap, {T})) * i;
    va_end(ap); return t; }}
{T} twice_{tag}({T} v) {{ return make_{tag}((int)check_{tag}(v) % 50); }}
{T} pick_{tag}(int i, {T} a, {T} b, {T} c) {{ return i == 0 ? a : i == 1 ? b : c; }}
double mutate_{tag}({T} v) {{ {first} return check_{tag}(v); }}
"""


def expressions(tag: str) -> list[str]:
    """The calls made for one type; each is a double but make_T(5), the record."""
    T, paths = f"{KINDS[tag]} {tag}", leaves(TYPE_OF, tag)
    cases = [f"check_{tag}(make_{tag}(3))",
             f"ints_{tag}(1, 2, 3, 4, 5, 6, 7, make_{tag}(2), 8, make_{tag}(5))",
             f"dbls_{tag}(1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, make_{tag}(2), 8.5, "
             f"make_{tag}(5))",
             f"many_{tag}(make_{tag}(1), 7, make_{tag}(2), 0.25, make_{tag}(3), "
             f"make_{tag}(4))",
             f"vcheck_{tag}(3, make_{tag}(1), make_{tag}(6), make_{tag}(2))",
             f"check_{tag}(twice_{tag}(make_{tag}(7)))",
             f"check_{tag}(pick_{tag}(2, make_{tag}(1), make_{tag}(2), make_{tag}(3)))",
             f"{T} v = make_{tag}(3); mutate_{tag}(v) * 1000 + check_{tag}(v)",
             f"g_{tag} = make_{tag}(6); check_{tag}(g_{tag})"]
    if TYPE_OF[tag].size:
        cases.append(f"make_{tag}(5)")
    if paths:
        cases.append(f"(double)make_{tag}(4).{paths[-1][0]}")
    return cases


CASES = [(tag, e) for tag, *_ in TYPES for e in expressions(tag)]
PRELUDE = r"""#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
static void show(const unsigned char *r, int size) {   /* size 0: r holds a double */
    double d;
    if (size == 0) { memcpy(&d, r, sizeof d); printf("%.17g\n", d); return; }
    for (int i = 0; i < size; i++) printf("%02x", r[i]);
    printf("\n");
}
"""


def is_record_case(tag: str, source: str) -> bool:
    return source == f"make_{tag}(5)"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{(tag, source): (our printed value or an error, gcc's)} (cabi.compare_with_gcc)."""
    if tools_missing(TOOLS):
        pytest.skip(f"AArch64 execution tests need {tools_missing(TOOLS)}")

    def result_of(tag: str, source: str) -> tuple[str, str]:
        if is_record_case(tag, source):
            return f"{KINDS[tag]} {tag}", str(TYPE_OF[tag].size)
        return "", "0"
    header = PRELUDE + "".join(c_declarations(*t) for t in TYPES)
    return compare_with_gcc(tmp_path_factory.mktemp("aapcs64"), TRIPLE, TOOLS, header,
                            "".join(c_definitions(*t) for t in TYPES), CASES, PROVIDER,
                            result_of)


@pytest.mark.parametrize("tag,source", CASES)
def test_call_matches_gcc(tag, source, runs):
    ours, gcc = runs[tag, source]
    assert ours == gcc
