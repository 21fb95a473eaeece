"""The C of real code bases (issue 8): qualifiers and _Atomic, types completed in another
compile unit or module, statics of one name in several files, function-local statics,
VLAs, flexible array members, anonymous members, wide and negative enums, compound
literals, null loads, optimized-out variables and only-inlined functions. LLDB's
`expression` is the oracle where it answers; where it fails, the program's own values."""
from __future__ import annotations

import subprocess

import pytest
from lldbrun import HERE, MODE_IDS, MODES, batch, build_library, parse_result

PROGRAMS = HERE / "programs"


@pytest.fixture(scope="module")
def realc(tmp_path_factory):
    out = tmp_path_factory.mktemp("realc")
    exe = out / "realc"
    subprocess.run(["gcc", "-g", "-O0", "-o", str(exe), str(PROGRAMS / "realc.c"),
                    str(PROGRAMS / "realc_other.c")], check=True)
    return exe


@pytest.fixture(scope="module")
def realc_so(tmp_path_factory):
    """realc_other.c as a shared library: struct opaque is defined only there, and the
    executable holds a copy-relocated `the_opaque`."""
    out = tmp_path_factory.mktemp("realc_so")
    build_library(PROGRAMS / "realc_other.c", out)
    exe = out / "realc"
    subprocess.run(["gcc", "-g", "-O0", "-o", str(exe), str(PROGRAMS / "realc.c"),
                    f"-L{out}", "-lrealc_other", f"-Wl,-rpath,{out}"], check=True)
    return exe


def run(exe, commands, **kw):
    return {cmd: out for cmd, out in batch(exe, commands, **kw)}


# (expression, (type, value)) as a C programmer expects them at the stop in work(4)
EXPECTED = [
    ("atom + 1", ("int", "42")),
    ("atom", ("_Atomic(int)", "41")),
    ("atom_ul * 2", ("unsigned long", "14")),
    ("atom_typedef", ("atomic_int", "3")),
    ("ctr.hits + ctr.flag + ctr.plain", ("unsigned long", "103")),
    ("alocal", ("_Atomic(int)", "6")),
    ("vflag * 2", ("int", "18")),
    ("vlocal", ("volatile int", "5")),
    ("cvu", ("const volatile unsigned int", "12")),
    ("sizeof(ctr)", ("unsigned long", "16")),
    ("op->a", ("int", "5")),
    ("the_opaque->self->d", ("double", "2.5")),
    ("shared_name", ("int", "1")),                        # the frame's own file first
    ("'realc_other.c'::shared_name", ("int", "2")),
    ("'realc.c'::shared_name", ("int", "1")),
    ("ticks::calls", ("int", "2")),
    ("uv.hi", ("short", "2")),
    ("uv.lo + uv.hi", ("int", "3")),
    ("tg.l", ("long", "-77")),
    ("bl->len", ("int", "4")),
    ("bl->data[1]", ("char", "'b'")),
    ("sizeof(*bl)", ("unsigned long", "4")),
    ("sg", ("sign", "NEG")),
    ("NEG", ("int", "-3")),
    ("HUGE", ("long", "140737488355327")),
    ("NEGBIG", ("long", "-1099511627776")),
    ("wd == HUGE", ("int", "1")),
    ("vla[3]", ("int", "9")),
    ("sizeof(vla)", ("unsigned long", "16")),
    ("rp[2]", ("int", "4")),
    ("fp_table[1](5)", ("int", "4")),
    ("((struct opaque){1, 2.0, 0}).d", ("double", "2")),
    ("(struct opaque){.a = 7}.a * 2", ("int", "14")),
    ("*(int[]){4, 5}", ("int", "4")),
    ("sizeof (int[]){1, 2, 3}", ("unsigned long", "12")),
    ("int *q = (int[3]){7, 8, 9}; q[2]", ("int", "9")),
    ("(_Atomic(int))3", ("int", "3")),
    ("_Atomic long al = 5; al += 2; al", ("_Atomic(long)", "7")),
    ("volatile int v = 3; v *= 2; v", ("volatile int", "6")),
    ("int *restrict r = vla; r[1]", ("int", "1")),
    ("nothing == NULL", ("int", "1")),
    ("sizeof(both) + sizeof(struct both) * 10", ("unsigned long", "88")),   # C's two
    ("(both)bo.y * bl_typedef", ("both", "264")),                         # name spaces
    ("((struct both *)&bo)->x", ("int", "5")),
    ("hidden * 2", ("int", "18")),                        # the local, not the typedef
    ("(hidden)+1", ("int", "10")),
    ("hidden_global", ("hidden", "5")),
]


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_real_world_c_constructs(realc, mode):
    """By default most of these read-only expressions are interpreted: run as code too
    (atomic and volatile loads, statics by file, compound literals on the stack...)."""
    out = run(realc, [f"jit-eval {mode}{e}" for e, _ in EXPECTED])
    got = {e: parse_result(out[f"jit-eval {mode}{e}"]) for e, _ in EXPECTED}
    assert got == dict(EXPECTED)


def test_agrees_with_lldb_where_lldb_answers(realc):
    """The same expressions through `expression` (C++ rules, so only those whose
    meaning is the same in both languages), value for value."""
    exprs = ["atom + 1", "vflag * 2", "op->a", "uv.lo + uv.hi", "tg.l", "bl->len",
             "vla[3]", "sizeof(vla)", "rp[2]", "fp_table[1](5)", "shared_name",
             "ctr.hits + ctr.flag + ctr.plain"]
    cmds = [c for e in exprs for c in (f"jit-eval {e}", f"expression -- {e}")]
    out = run(realc, cmds)
    for e in exprs:
        mine, theirs = parse_result(out[f"jit-eval {e}"]), parse_result(out[f"expression -- {e}"])
        assert mine is not None and theirs is not None, (e, out[f"jit-eval {e}"])
        assert mine[1] == theirs[1], e


def test_writes_through_qualified_lvalues(realc):
    out = run(realc, ["jit-eval atom += 10", "expression -- atom", "jit-eval vflag = 4",
                      "expression -- vflag", "jit-eval ctr.hits++", "expression -- ctr.hits",
                      "jit-eval 'realc_other.c'::shared_name = 20", "jit-eval other_count()"])
    assert parse_result(out["jit-eval atom += 10"]) == ("_Atomic(int)", "51")
    assert parse_result(out["expression -- atom"])[1] == "51"
    assert parse_result(out["expression -- vflag"])[1] == "4"
    assert parse_result(out["jit-eval ctr.hits++"])[1] == "100"
    assert parse_result(out["expression -- ctr.hits"])[1] == "101"
    assert parse_result(out["jit-eval other_count()"]) == ("int", "20")


def test_results_print_as_lldb_prints_them(realc):
    out = run(realc, ["jit-eval (const char *)\"abc\"", "jit-eval (struct opaque *)0",
                      "jit-eval ctr", "jit-eval bl->data", "frame select 1",
                      "jit-eval (struct opaque *)0"])
    assert parse_result(out['jit-eval (const char *)"abc"'])[0] == "const char *"
    assert out['jit-eval (const char *)"abc"'].rstrip().endswith('"abc"')
    assert parse_result(out["jit-eval (struct opaque *)0"]) == ("opaque *", "NULL")
    assert "hits = 100" in out["jit-eval ctr"] and "plain = 2" in out["jit-eval ctr"]
    assert parse_result(out["jit-eval bl->data"])[0] == "char[]"


ERRORS = [
    ("*(int *)0", "signal SIGSEGV"),                  # a null load faults, never folded
    ("int *p = 0; *p + 1", "signal SIGSEGV"),
    ("(nosuch_t)0", "unknown type name 'nosuch_t'"),
    ("nosuch_t x = 1; x", "unknown type name 'nosuch_t'"),
    ("(struct nosuch *)0", "unknown type 'struct nosuch'"),
    ("ticks::nope", "no static variable 'nope' in function 'ticks'"),
    ("'nofile.c'::shared_name", "no static variable 'shared_name' in file 'nofile.c'"),
    ("calls", "use of undeclared identifier 'calls'"),      # not in this frame's scope
    ("only_inline(1)", "use of undeclared identifier 'only_inline'"),  # never emitted
]


def test_errors_are_clear(realc):
    cmds = [c for e, _ in ERRORS for c in (f"jit-eval {e}", "jit-eval atom")]
    got = batch(realc, cmds)
    for (expr, message), ((_, text), (_, after)) in zip(ERRORS, zip(got[::2], got[1::2])):
        assert "error:" in text and message in text, (expr, text)
        assert "internal error" not in text and "Traceback" not in text
        assert parse_result(after) == ("_Atomic(int)", "41")   # the session goes on


def test_types_completed_in_another_module(realc_so):
    """The executable only declares struct opaque; the library defines it. Its global
    `the_opaque` was copied into the executable, where LLDB's `expression` reads the
    library's unused copy and fails."""
    out = run(realc_so, ["jit-eval op->a", "jit-eval *op", "jit-eval the_opaque->self->d",
                         "jit-eval the_opaque == op", "expression -- op->a"])
    assert parse_result(out["jit-eval op->a"]) == ("int", "5")
    assert "d = 2.5" in out["jit-eval *op"]
    assert parse_result(out["jit-eval the_opaque->self->d"]) == ("double", "2.5")
    assert parse_result(out["jit-eval the_opaque == op"]) == ("int", "1")
    assert parse_result(out["expression -- op->a"])[1] == "5"


def test_optimized_code(tmp_path):
    exe = tmp_path / "inlined"
    subprocess.run(["gcc", "-g", "-O2", "-o", str(exe), str(PROGRAMS / "inlined.c")],
                   check=True)
    out = run(exe, ["frame variable", "jit-eval b", "jit-eval dead", "jit-eval sizeof(dead)",
                    "jit-eval square(3)", "jit-eval b + 1"])
    assert parse_result(out["jit-eval b"]) == ("int", "1")
    if "dead = <" in out["frame variable"]:          # gcc 12 -O2 drops it
        assert "'dead' is not available here" in out["jit-eval dead"]
        assert parse_result(out["jit-eval sizeof(dead)"]) == ("unsigned long", "4")
    assert "only inlined" in out["jit-eval square(3)"]
    assert "internal error" not in "".join(out.values())
    assert parse_result(out["jit-eval b + 1"]) == ("int", "2")


def test_the_same_on_aarch64_under_qemu(tmp_path):
    """_Atomic (ldar/stlr), volatile, compound literals, statics and the rest on the
    other CPU, through qemu's gdb stub."""
    from lldbrun import stub
    exe = tmp_path / "realc"
    subprocess.run(["aarch64-linux-gnu-gcc", "-g", "-O0", "-static", "-o", str(exe),
                    str(PROGRAMS / "realc.c"), str(PROGRAMS / "realc_other.c")], check=True)
    with stub("qemu-aarch64", exe) as (connect, _):
        out = dict(batch(exe, [f"jit-eval {e}" for e, _ in EXPECTED], connect=connect,
                         source="realc.c"))
    got = {e: parse_result(out[f"jit-eval {e}"]) for e, _ in EXPECTED}
    assert got == dict(EXPECTED)
