"""Macro expansion: the examples of C11 6.10.3.5 that apply to an expression, the rules
against recursive expansion, `#`, `##` and variadic macros, GNU's extensions, and where
an error inside an expansion points in what the user typed."""
import pytest

from lldb_jit.errors import CompileError
from lldb_jit.frontend import analyze
from lldb_jit.frontend.ctype import type_name
from lldb_jit.frontend.macros import Macro, expand, spelling
from lldb_jit.frontend.tokenize import TK, tokenize


def table(*definitions: str) -> dict[str, Macro]:
    """Macros from `#define` lines as DWARF records them ("NAME(a,b) body"); a later
    definition of a name replaces the earlier one."""
    macros = {}
    for d in definitions:
        m = Macro.parse(d)
        macros[m.name] = m
    return macros


def tokens(text: str) -> list:
    """(kind, text or value) of each token: string literals by value, joined."""
    return [(t.kind, t.value if t.kind is TK.STR else t.text) for t in tokenize(text)]


def expanded(source: str, macros) -> list:
    return [(t.kind, t.value if t.kind is TK.STR else t.text)
            for t in expand(tokenize(source), macros)]


# --- C11 6.10.3.5 ------------------------------------------------------------------

EXAMPLE_3 = table("x 3", "f(a) f(x * (a))", "x 2", "g f", "z z[0]", "h g(~", "m(a) a(w)",
                  "w 0,1", "t(a) a", "p() int", "q(x) x", "r(x,y) x ## y", "str(x) # x")


@pytest.mark.parametrize("source,result", [
    ("f(y+1) + f(f(z)) % t(t(g)(0) + t)(1);",
     "f(2 * (y+1)) + f(2 * (f(2 * (z[0])))) % f(2 * (0)) + t(1);"),
    ("g(x+(3,4)-w) | h 5) & m\n(f)^m(m);",
     "f(2 * (2+(3,4)-0,1)) | f(2 * (~ 5)) & f(2 * (0,1))^m(0,1);"),
    ("p() i[q()] = { q(1), r(2,3), r(4,), r(,5), r(,) };",
     "int i[] = { 1, 23, 4, 5, };"),
    ('char c[2][6] = { str(hello), str() };', 'char c[2][6] = { "hello", "" };'),
])
def test_c11_example_3(source, result):
    assert expanded(source, EXAMPLE_3) == tokens(result)


EXAMPLE_4 = table("str(s) # s", "xstr(s) str(s)",
                  'debug(s, t) printf("x" # s "= %d, x" # t "= %s", x ## s, x ## t)',
                  "INCFILE(n) vers ## n", "glue(a, b) a ## b", "xglue(a, b) glue(a, b)",
                  'HIGHLOW "hello"', 'LOW LOW ", world"')


@pytest.mark.parametrize("source,result", [
    ("debug(1, 2);", 'printf("x" "1" "= %d, x" "2" "= %s", x1, x2);'),
    ("fputs(str(strncmp(\"abc\\0d\", \"abc\", '\\4') // this goes away\n == 0), s);",
     'fputs("strncmp(\\"abc\\\\0d\\", \\"abc\\", \'\\\\4\') == 0", s);'),
    ("xstr(INCFILE(2).h)", '"vers2.h"'),
    ("glue(HIGH, LOW);", '"hello";'),
    ("xglue(HIGH, LOW)", '"hello" ", world"'),
])
def test_c11_example_4(source, result):
    assert expanded(source, EXAMPLE_4) == tokens(result)


def test_c11_example_5_placemarkers():
    macros = table("t(x,y,z) x ## y ## z")
    source = ("int j[] = { t(1,2,3), t(,4,5), t(6,,7), t(8,9,), t(10,,), t(,11,), "
              "t(,,12), t(,,) };")
    assert expanded(source, macros) == tokens("int j[] = { 123, 45, 67, 89, 10, 11, 12, };")


EXAMPLE_7 = table("debug(...) fprintf(stderr, __VA_ARGS__)",
                  "showlist(...) puts(#__VA_ARGS__)",
                  "report(test, ...) ((test)?puts(#test): printf(__VA_ARGS__))")


@pytest.mark.parametrize("source,result", [
    ('debug("Flag");', 'fprintf(stderr, "Flag" );'),
    ('debug("X = %d\\n", x);', 'fprintf(stderr, "X = %d\\n", x );'),
    ("showlist(The first, second, and third items.);",
     'puts( "The first, second, and third items." );'),
    ('report(x>y, "x is %d but y is %d", x, y);',
     '((x>y)?puts("x>y"): printf("x is %d but y is %d", x, y));'),
])
def test_c11_example_7_variadic(source, result):
    assert expanded(source, EXAMPLE_7) == tokens(result)


# --- recursion (6.10.3.4) -------------------------------------------------------------

@pytest.mark.parametrize("definitions,source,result", [
    (["foo foo"], "foo", "foo"),
    (["foo (foo + 1)"], "foo", "(foo + 1)"),
    (["a b", "b a"], "a + b", "a + b"),                 # each stops at its own name
    (["a b + 1", "b a * 2"], "a", "a * 2 + 1"),
    (["f(x) x + f(x)"], "f(1)", "1 + f(1)"),
    (["f(x) g(x)", "g(x) f(x)"], "f(2)", "f(2)"),
    (["f(x) (x)", "g f"], "g(1)", "(1)"),             # the name, then `(` from the input
    (["f(x) (x)"], "f + f(2)", "f + (2)"),            # the name alone is not an invocation
    (["f(x) (x)", "ID(x) x"], "ID(f)(3)", "(3)"),     # `(` after the argument's expansion
    (["AA BB", "BB AA"], "AA", "AA"),
    # an argument's names are hidden only within their own expansion
    (["f(x) x", "g f(g)"], "g", "g"),
    (["f(x) x", "y f(y)"], "f(y)", "y"),
])
def test_no_recursive_expansion(definitions, source, result):
    assert expanded(source, table(*definitions)) == tokens(result)


def test_gcc_docs_self_reference_through_two_macros():
    # gcc cpp manual, "Self-Referential Macros": x -> (4 + y) -> (4 + (2 * x))
    macros = table("x (4 + y)", "y (2 * x)")
    assert expanded("x", macros) == tokens("(4 + (2 * x))")
    assert expanded("y", macros) == tokens("(2 * (4 + y))")


# --- # and ## ----------------------------------------------------------------------

@pytest.mark.parametrize("definitions,source,result", [
    (["STR(x) #x"], "STR(  a  +   b  )", '"a + b"'),
    (["STR(x) #x"], 'STR("q\\n")', '"\\"q\\\\n\\""'),
    (["STR(x) #x"], "STR('\"')", '"\'\\"\'"'),
    (["STR(x) #x", "N 42"], "STR(N)", '"N"'),          # no expansion under #
    (["STR(x) #x", "XSTR(x) STR(x)", "N 42"], "XSTR(N)", '"42"'),
    (["CAT(a, b) a##b"], "CAT(x, 1)", "x1"),
    (["CAT(a, b) a##b"], "CAT(<, <)", "<<"),
    (["CAT(a, b) a##b"], "CAT(-, >)", "->"),
    (["CAT(a, b) a##b", "x1 99"], "CAT(x, 1)", "99"),   # the pasted name is rescanned
    (["CAT(a, b) a##b", "N 7"], "CAT(N, 2)", "N2"),     # no expansion under ##
    (["CAT(a, b) a##b", "XCAT(a, b) CAT(a, b)", "N 7"], "XCAT(N, 2)", "72"),
    (["OBJ x ## y"], "OBJ", "xy"),                      # ## in an object-like macro
    (["F(a, b, c) a ## b ## c"], "F(1, , 3)", "13"),
    (["F(a) [a ## a]"], "F()", "[ ]"),
    (["S(a) #a #a"], "S(x)", '"x" "x"'),
    (["PASTE_STR(a) # a ## _ok"], "PASTE_STR()", '""_ok'),  # "" pasted with _ok: not a token
])
def test_stringize_and_paste(definitions, source, result):
    macros = table(*definitions)
    if result == '""_ok':
        with pytest.raises(CompileError, match="does not give a valid preprocessing token"):
            expand(tokenize(source), macros)
        return
    assert expanded(source, macros) == tokens(result)


# --- variadic macros and GNU extensions ---------------------------------------------------

@pytest.mark.parametrize("definitions,source,result", [
    (["F(...) f(__VA_ARGS__)"], "F()", "f()"),
    (["F(...) f(__VA_ARGS__)"], "F(1, (2, 3), 4)", "f(1, (2, 3), 4)"),
    (["F(fmt, ...) f(fmt, __VA_ARGS__)"], "F(1)", "f(1, )"),   # may be left out
    (["F(fmt, ...) f(fmt, ## __VA_ARGS__)"], "F(1)", "f(1)"),  # GNU: the comma goes
    (["F(fmt, ...) f(fmt, ## __VA_ARGS__)"], "F(1, 2, 3)", "f(1, 2, 3)"),
    (["F(fmt, ...) f(fmt, ##__VA_ARGS__)"], "F(1,)", "f(1)"),
    (["F(fmt, args...) f(fmt, args)"], "F(1, 2, 3)", "f(1, 2, 3)"),   # GNU named
    (["F(fmt, args...) f(fmt, ## args)"], "F(1)", "f(1)"),
    (["F(a, ...) f(a __VA_OPT__(,) __VA_ARGS__)"], "F(1)", "f(1)"),   # C23
    (["F(a, ...) f(a __VA_OPT__(,) __VA_ARGS__)"], "F(1, 2)", "f(1, 2)"),
    (["F(...) (sizeof((int[]){__VA_ARGS__}) / sizeof(int))"], "F(1, 2, 3)",
     "(sizeof((int[]){1, 2, 3}) / sizeof(int))"),
])
def test_variadic(definitions, source, result):
    assert expanded(source, table(*definitions)) == tokens(result)


# --- definitions as DWARF records them -----------------------------------------------

@pytest.mark.parametrize("definition,name,params,variadic,body", [
    ("N 1", "N", None, False, "1"),
    ("EMPTY ", "EMPTY", None, False, ""),
    ("EMPTY", "EMPTY", None, False, ""),
    ("MAX(a,b) ((a) > (b) ? (a) : (b))", "MAX", ("a", "b"), False, "((a) > (b) ? (a) : (b))"),
    ("F() 1", "F", (), False, "1"),
    ("F(fmt,...) g(fmt)", "F", ("fmt", "__VA_ARGS__"), True, "g(fmt)"),
    ("F(fmt, args...) g(fmt)", "F", ("fmt", "args"), True, "g(fmt)"),
    ("P (1)", "P", None, False, "(1)"),          # a space: object-like
    ("errno (*__errno_location ())", "errno", None, False, "(*__errno_location ())"),
])
def test_definition(definition, name, params, variadic, body):
    m = Macro.parse(definition)
    assert (m.name, m.params, m.variadic, m.body) == (name, params, variadic, body)


def test_empty_object_like_macro():
    assert expanded("1 + EMPTY 2", table("EMPTY ")) == tokens("1 + 2")


# --- errors and their spans ---------------------------------------------------------

@pytest.mark.parametrize("source,span,message", [
    ("1 + MAX(1)", (4, 6), "macro 'MAX' requires 2 arguments, but only 1 given"),
    ("MAX(1, 2, 3)", (0, 12), "macro 'MAX' passed 3 arguments, but takes just 2"),
    ("x + MAX(1, (2", (4, 3), "unterminated argument list invoking macro 'MAX'"),
    ("ONE(1)", (0, 6), "macro 'ONE' passed 1 arguments, but takes just 0"),
    ("2 * AT", (4, 2), "invalid character '@' in expression (in expansion of macro 'AT')"),
    ("BADNUM + 1", (0, 6), "invalid digit in octal constant (in expansion of macro 'BADNUM')"),
    ("WRAP(BADNUM)", (5, 6), "invalid digit in octal constant (in expansion of macro 'BADNUM')"),
    ("CAT(1, +)", (0, 9), "pasting \"1\" and \"+\" does not give a valid preprocessing "
                          "token (in expansion of macro 'CAT')"),
])
def test_expansion_errors(source, span, message):
    macros = table("MAX(a,b) ((a)>(b)?(a):(b))", "ONE() 1", "AT @x", "BADNUM 09",
                   "WRAP(x) (x)", "CAT(a,b) a##b")
    with pytest.raises(CompileError) as e:
        expand(tokenize(source), macros)
    assert ((e.value.offset, e.value.length), e.value.message) == (span, message)


def test_unused_macros_return_the_same_tokens():
    toks = tokenize("x + y")
    assert expand(toks, table("N 1")) is toks
    assert expand(toks, {}) is toks


def test_runaway_expansion_is_an_error():
    # each level doubles: 2**30 tokens unless stopped
    macros = table("L0 x", *[f"L{i + 1} L{i} L{i}" for i in range(30)])
    with pytest.raises(CompileError, match="too large"):
        expand(tokenize("L30"), macros)


# --- through the front end ---------------------------------------------------------------

def test_analyze_expands_and_records_the_expansion(world):
    world.provider.macro_table = table("MAX(a,b) ((a) > (b) ? (a) : (b))",
                                       "ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))")
    program = analyze("MAX(x, 2) + ARRAY_SIZE(arr)", world.provider)
    assert type_name(program.result_type) == "unsigned long"
    assert program.expanded == spelling(tokenize(
        "((x) > (2) ? (x) : (2)) + (sizeof(arr) / sizeof((arr)[0]))"))
    assert analyze("x + 1", world.provider).expanded is None


def test_errors_point_into_the_arguments_or_at_the_invocation(world):
    world.provider.macro_table = table("TWICE(a) ((a) + (a))", "BAD st.nosuch",
                                       "SQUARE(x) ((x) * (x))", "ID(x) x")
    with pytest.raises(CompileError) as e:
        analyze("1 + TWICE(x + nosuch)", world.provider)
    assert (e.value.offset, e.value.length) == (14, 6)   # under `nosuch` as typed
    with pytest.raises(CompileError) as e:
        analyze("(ID(st + 1))", world.provider)
    assert (e.value.offset, e.value.length) == (7, 1)    # the `+` as typed
    for source, span in [("x + BAD", (4, 3)),             # under the invocation
                         ("1 + SQUARE(ps)", (4, 10)),     # the body's `*`, typed operands
                         ("ID(SQUARE(ps))", (3, 10))]:    # the innermost invocation
        with pytest.raises(CompileError) as e:
            analyze(source, world.provider)
        assert (e.value.offset, e.value.length) == span, source


@pytest.mark.parametrize("source,value", [
    ("MAX(x, 100)", 100),
    ("MIN(x, 100)", 7),
    ("ARRAY_SIZE(arr)", 4),
    ("FLAG_A | FLAG_B", 3),
    ("SQUARE(SQUARE(2))", 16),
    ("TWICE(SQUARE, 3)", 81),
    ("sizeof(STR(hello))", 6),
    ("x = SELF", 8),                 # SELF is `(x + 1)`: not expanded again
])
def test_expanded_programs_run(runner, world, source, value):
    world.provider.macro_table = table(
        "MAX(a,b) ((a) > (b) ? (a) : (b))", "MIN(a,b) ((a) < (b) ? (a) : (b))",
        "ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))", "FLAG_A 0x1", "FLAG_B 0x2",
        "SQUARE(x) ((x) * (x))", "TWICE(f,x) f(f(x))", "STR(x) #x", "x x", "SELF (x + 1)")
    assert runner.run(source, world)[0] == value
