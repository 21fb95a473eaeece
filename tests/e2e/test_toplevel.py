"""`jit-eval --top-level`: C functions and global variables defined in the debuggee
(tests/e2e/programs/toplevel.c), called by later expressions and by the program's own
code, redefined, recursive, calling the program's functions; a definition with an
error changes nothing."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from lldbrun import HERE, batch, build, parse_result, stub

TOP = "jit-eval --top-level -- "


@pytest.fixture(scope="module")
def toplevel_exe(tmp_path_factory):
    return build(HERE / "programs" / "toplevel.c", tmp_path_factory.mktemp("toplevel"))


def results(exe, commands):
    return [out for _, out in batch(exe, commands)]


def test_define_call_redefine(toplevel_exe):
    out = results(toplevel_exe, [
        TOP + "int twice(int x) { return 2 * x; }",
        "jit-eval twice(21)",
        "jit-eval twice(twice(5)) + 1",
        TOP + "int twice(int x) { return 3 * x; }",
        "jit-eval twice(21)",
        "jit-eval twice(twice(5)) + 1",
    ])
    assert out[0] == "" and out[3] == ""        # as `expression --top-level`: silent
    assert parse_result(out[1]) == ("int", "42")
    assert parse_result(out[2]) == ("int", "21")
    assert parse_result(out[4]) == ("int", "63")
    assert parse_result(out[5]) == ("int", "46")     # the cached code is not reused


def test_recursion_and_calls_to_the_program(toplevel_exe):
    out = results(toplevel_exe, [
        TOP + "long fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }",
        "jit-eval fact(20)",
        TOP + "int fib(int n) { int a = 0, b = 1; while (n--) { int t = a + b; a = b; "
              "b = t; } return a; }",
        "jit-eval fib(30)",
        TOP + "int plus_base(int x) { return add(x, base); } "
              "void set_base(int v) { base = v; }",
        "jit-eval plus_base(5)",
        "jit-eval set_base(32)",
        "jit-eval plus_base(10)",
        "expression base",
    ])
    assert parse_result(out[1]) == ("long", "2432902008176640000")
    assert parse_result(out[3]) == ("int", "832040")
    assert parse_result(out[5]) == ("int", "15")
    assert out[6] == ""
    assert parse_result(out[7]) == ("int", "42")
    assert parse_result(out[8]) == ("int", "32")     # LLDB's own evaluator sees the write


def test_the_program_calls_the_defined_function(toplevel_exe):
    """Passed as a function pointer to the program's `apply`, and stored in the
    program's `hook`, which its own code calls after `continue`."""
    blocks = batch(toplevel_exe, [
        TOP + "int twice(int x) { return 2 * x; }",
        "jit-eval apply(twice, 5)",
        "jit-eval hook = twice",
        "jit-eval call_hook(7)",
        "continue",
    ])
    out = [o for _, o in blocks]
    assert parse_result(out[1]) == ("int", "10")
    assert parse_result(out[2])[0] == "int (*)(int)"
    assert parse_result(out[3]) == ("int", "14")
    assert "work: 20" in out[4] and "apply: 4" in out[4]   # 12 + twice(4); twice(2)


def test_a_definition_hides_the_program_name_found_before_at_the_same_stop(toplevel_exe):
    """The program's `base` and `add` are found (and kept for this stop) first; the
    definitions of the same names made at that stop win from then on, as C scope says,
    while LLDB's `expression` still sees the program's."""
    out = results(toplevel_exe, [
        "jit-eval base",
        "jit-eval add(3, 4)",
        TOP + "int base = 7; int add(int a, int b) { return a * b; }",
        "jit-eval base",
        "jit-eval add(3, 4)",
        "expression base",
    ])
    assert parse_result(out[0]) == ("int", "10")
    assert parse_result(out[1]) == ("int", "7")
    assert parse_result(out[3]) == ("int", "7")
    assert parse_result(out[4]) == ("int", "12")
    assert parse_result(out[5]) == ("int", "10")


def test_globals_persist(toplevel_exe):
    out = results(toplevel_exe, [
        TOP + "int tl_counter = 5; int bump(void) { return ++tl_counter; }",
        "jit-eval tl_counter",
        "jit-eval bump()",
        "jit-eval bump()",
        "jit-eval tl_counter = 100",
        "jit-eval bump()",
        TOP + "int tl_scaled = local * base; double tl_ratios[3] = {0.5, 1.5};",
        "jit-eval tl_scaled",
        "jit-eval tl_ratios[1] + tl_ratios[2]",
        "jit-eval &tl_counter == &tl_counter",
    ])
    assert parse_result(out[1]) == ("int", "5")
    assert parse_result(out[2]) == ("int", "6")
    assert parse_result(out[3]) == ("int", "7")
    assert parse_result(out[5]) == ("int", "101")
    assert parse_result(out[7]) == ("int", "120")    # an initializer runs in the frame
    assert parse_result(out[8]) == ("double", "1.5")


@pytest.mark.parametrize("bad, message, column", [
    ("int twice(int x) { return x + ; }", "expected an expression", 30),
    ("int twice(int x) { return local; }", "'local' is not visible in a top-level "
                                           "function", 26),
    ("int twice(int x) { return nope(x); }", "use of undeclared identifier 'nope'", 26),
    ("int twice(int x) { return; }", "non-void function 'twice' should return a value",
     19),
    ("void twice(int x) { return x; }", "void function 'twice' should not return a value",
     27),
    ("int twice(int x) { return 1; } int twice(int y) { return 2; }",
     "redefinition of 'twice'", 35),
    ("int twice(int x);", "declared but not defined", 4),
    ("twice(2)", "expected a function or variable definition", 0),
])
def test_error_changes_nothing(toplevel_exe, bad, message, column):
    out = results(toplevel_exe, [
        TOP + "int twice(int x) { return 2 * x; }",
        TOP + bad,
        "jit-eval twice(21)",
    ])
    lines = out[1].splitlines()
    assert lines[0] == bad
    assert re.fullmatch(r" *\^~*", lines[1]) and lines[1].index("^") == column, out[1]
    assert lines[2].startswith("error: ") and message in lines[2], out[1]
    assert "Traceback" not in out[1]
    assert parse_result(out[2]) == ("int", "42")


def test_a_crashing_initializer_defines_nothing(toplevel_exe):
    out = results(toplevel_exe, [
        TOP + "int tl_bad = *(int *)0; int seen(void) { return 1; }",
        "jit-eval seen()",
        "jit-eval tl_bad",
        "jit-eval local",
    ])
    assert "error: " in out[0] and "SIGSEGV" in out[0]
    assert "use of undeclared identifier 'seen'" in out[1]
    assert "use of undeclared identifier 'tl_bad'" in out[2]
    assert parse_result(out[3]) == ("int", "12")


STUB_COMMANDS = [
    TOP + "long fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); } "
          "double mix(signed char c, float f, double d) { return c + f + d; } int tl_n = 7;",
    "jit-eval fact(15)",
    "jit-eval mix(-3, 0.5f, 0.25)",
    "jit-eval apply((int (*)(int))fact, 5)",
    "jit-eval tl_n * 6",
]


@pytest.mark.parametrize("kind", ["gdbserver", "qemu-aarch64"])
def test_through_a_stub(kind, toplevel_exe, tmp_path):
    """The calling convention of each CPU (AArch64 under qemu-aarch64's stub)."""
    exe = toplevel_exe
    if kind == "qemu-aarch64":
        for tool in ("aarch64-linux-gnu-gcc", "qemu-aarch64"):
            if shutil.which(tool) is None:
                pytest.fail(f"{tool} is missing: `make system-deps` installs it")
        exe = tmp_path / "toplevel"
        subprocess.run(["aarch64-linux-gnu-gcc", "-g", "-O0", "-static", "-o", str(exe),
                        str(HERE / "programs" / "toplevel.c")], check=True)
    with stub(kind, exe) as (connect, _):
        out = [o for _, o in batch(exe, STUB_COMMANDS, connect=connect,
                                   source="toplevel.c")]
    assert out[0] == "", out[0]
    assert parse_result(out[1]) == ("long", "1307674368000")
    assert parse_result(out[2]) == ("double", "-2.25")
    assert parse_result(out[3]) == ("int", "120")
    assert parse_result(out[4]) == ("int", "42")


def test_struct_types(values_exe):
    """Struct and union types defined at top level: laid out as gcc does, used by later
    expressions and definitions, printed as `expression` prints records (LLDB has no
    SBType for them), replaced by a new definition of the tag."""
    out = dict(batch(values_exe, [
        TOP + "struct pt2 { int x; double y; };",
        "jit-eval struct pt2 v = {3, 4.5}; v", "expression origin",
        "jit-eval sizeof(struct pt2) * 1",
        TOP + "struct link { int v; struct link *next; struct point at; char tag[4]; };",
        TOP + "struct link first = {7, 0, {1, 2.5}, \"ab\"};",
        "jit-eval first", "jit-eval first.at.y * 2",
        TOP + "int sum_links(struct link *l) { int s = 0; for (; l; l = l->next) "
              "s += l->v; return s; }",
        "jit-eval struct link second = {5, &first}; sum_links(&second)",
        "jit-eval struct pt2 two[2] = {{1, 1.5}, {2, 2.5}}; two", "expression points",
        TOP + "union bits { struct { unsigned lo : 4; int hi : 4; } f; unsigned char b; };",
        "jit-eval union bits u; u.b = 0x9a; u.f.hi",
        "jit-complete (struct pt",
        TOP + "struct pt2 { char c; };",
        "jit-eval sizeof(struct pt2)", "jit-eval struct pt2 w = {'k'}; w"]))
    assert out["jit-eval struct pt2 v = {3, 4.5}; v"].split(" = ", 1)[1] == \
        out["expression origin"].split(" = ", 1)[1]           # (x = 3, y = 4.5)
    assert out["jit-eval struct pt2 v = {3, 4.5}; v"].startswith("(struct pt2) $")
    assert parse_result(out["jit-eval sizeof(struct pt2) * 1"]) == ("unsigned long", "16")
    assert parse_result(out["jit-eval sizeof(struct pt2)"]) == ("unsigned long", "1")  # anew
    first = out["jit-eval first"]
    assert re.fullmatch(r"\(struct link\) \$\d+ = \{\n  v = 7\n  next = 0x0+\n"
                        r"  at = \(x = 1, y = 2\.5\)\n  tag = \"ab\"\n\}", first.strip()), first
    assert parse_result(out["jit-eval first.at.y * 2"]) == ("double", "5")
    assert parse_result(out["jit-eval struct link second = {5, &first}; sum_links(&second)"]) \
        == ("int", "12")
    two = out["jit-eval struct pt2 two[2] = {{1, 1.5}, {2, 2.5}}; two"]
    assert two.split(" = ", 1)[1] == out["expression points"].split(" = ", 1)[1] \
        .replace("  [2] = (x = 3, y = 3.5)\n", ""), two
    assert parse_result(out["jit-eval union bits u; u.b = 0x9a; u.f.hi"]) == ("int", "-7")
    assert parse_result(out["jit-eval struct pt2 w = {'k'}; w"]) == ("struct pt2", "(c = 'k')")
    assert "(struct pt2" in out["jit-complete (struct pt"].splitlines()   # completion sees it
