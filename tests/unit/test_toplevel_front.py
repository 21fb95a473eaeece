"""`--top-level` definitions in the front end and irgen: function definitions (named
parameters, returns converted to the declared type, recursion) and global variables;
their errors with spans; and the functions compiled for the host, called by ctypes
with the platform's calling convention."""
import ctypes

import pytest

from lldb_jit.errors import CompileError
from lldb_jit.frontend import analyze_top_level
from lldb_jit.frontend import ast as A
from lldb_jit.frontend.ctype import type_name
from lldb_jit.frontend.provider import SymKind


def test_function_definition_parsed_and_checked(provider):
    program = analyze_top_level("int twice(int x) { return 2 * x; }", provider)
    (fdef,) = program.functions
    assert isinstance(fdef, A.FuncDef) and fdef.name == "twice"
    assert type_name(fdef.func_ty) == "int (int)"
    assert [p.name for p in fdef.params] == ["x"] and fdef.params[0].var is not None
    assert program.result_type is None and program.new_globals == []


def test_empty_parameter_list_means_void(provider):
    (fdef,) = analyze_top_level("int one() { return 1; }", provider).functions
    assert type_name(fdef.func_ty) == "int (void)"


def test_parameters_adjusted_and_return_converted(provider):
    program = analyze_top_level(
        "char first(char s[], int (*f)(int)) { return f(s[0]); }", provider)
    fdef = program.functions[0]
    assert type_name(fdef.func_ty) == "char (char *, int (*)(int))"
    ret = fdef.body.body[0]
    assert isinstance(ret, A.Return) and type_name(ret.value.ty) == "char"


def test_recursion_and_later_definitions_see_earlier_ones(provider):
    program = analyze_top_level(
        "int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }"
        "int g; int use(void) { return fact(g) + add2(1, 2); }", provider)
    assert [f.name for f in program.functions] == ["fact", "use"]
    assert [s.name for s in program.new_globals] == ["g"]
    assert [s.name for s in program.externals] == ["fact", "g", "add2"]


def test_global_initializers_become_the_entry_body(provider):
    program = analyze_top_level("int a = x * 2, b; double r[2] = {1.5};", provider)
    assert [(s.name, s.kind, type_name(s.type)) for s in program.new_globals] == [
        ("a", SymKind.GLOBAL, "int"), ("b", SymKind.GLOBAL, "int"),
        ("r", SymKind.GLOBAL, "double[2]")]
    assert [s.name for s in program.frame_refs] == ["x"]   # run in the frame


@pytest.mark.parametrize("src, offset, length, message", [
    ("int f(int x) { return x + ; }", 26, 1, "expected an expression"),
    ("int f(void) { return x; }", 21, 1, "'x' is not visible in a top-level function"),
    ("int f(void) { return $pc; }", 21, 3, "it is a register"),
    ("int f(void) { return; }", 14, 7, "non-void function 'f' should return a value"),
    ("void f(void) { return 1; }", 22, 1, "void function 'f' should not return a value"),
    ("int f(void) { return 1; } int f;", 30, 1, "redefinition of 'f'"),
    ("int f(int a, int a) { return a; }", 17, 1, "redefinition of parameter 'a'"),
    ("int f(int);", 4, 1, "declared but not defined"),
    ("int f(int, int b) { return b; }", 4, 1, "a parameter of 'f' has no name"),
    ("int f(int a, ...) { return a; }", 4, 1, "variadic"),
    ("struct S f(void) { }", 9, 1, "is not supported in a top-level function"),
    ("int f(struct S s) { return 0; }", 4, 1, "is not supported in a top-level function"),
    ("int $n = 1;", 4, 6, "without --top-level"),
    ("f(1);", 0, 1, "expected a function or variable definition"),
    ("void v;", 5, 1, "incomplete type"),
    ("", 0, 1, "nothing to define"),
])
def test_errors(src, offset, length, message, provider):
    with pytest.raises(CompileError) as e:
        analyze_top_level(src, provider)
    assert message in e.value.message
    assert (e.value.offset, e.value.length) == (offset, length)


def compiled(runner, world, source):
    program = analyze_top_level(source, world.provider)
    mod, _ = runner.compile(program)
    return lambda name, restype, *argtypes: ctypes.CFUNCTYPE(restype, *argtypes)(
        runner.engine.get_function_address(name))


def test_functions_run_with_the_platform_calling_convention(runner, world):
    get = compiled(runner, world, """
        int twice(int x) { return 2 * x; }
        long fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }
        int sum3(char a, short b, unsigned char c) { return a + b + c; }
        double mix(float f, double d, long double ld) { return f + d + ld; }
        int through(int (*f)(int, int), int a) { return f(a, add2(a, 1)); }
        void store(int *p, int v) { *p = v; return; }
        int falls_off(int x) { if (x) return 5; }
    """)
    assert get("twice", ctypes.c_int, ctypes.c_int)(21) == 42
    assert get("fact", ctypes.c_long, ctypes.c_int)(20) == 2432902008176640000
    assert get("sum3", ctypes.c_int, ctypes.c_byte, ctypes.c_short, ctypes.c_ubyte)(
        -5, -300, 250) == -55
    assert get("mix", ctypes.c_double, ctypes.c_float, ctypes.c_double,
               ctypes.c_longdouble)(0.5, 1.25, 2.0) == 3.75
    add2 = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int)(lambda a, b: a * b)
    assert get("through", ctypes.c_int, type(add2), ctypes.c_int)(add2, 6) == 42
    cell = ctypes.c_int(0)
    get("store", None, ctypes.POINTER(ctypes.c_int), ctypes.c_int)(ctypes.byref(cell), 9)
    assert cell.value == 9
    assert get("falls_off", ctypes.c_int, ctypes.c_int)(0) == 0
