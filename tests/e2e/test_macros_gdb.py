"""Macros of a program built with -g3, expanded by jit-eval as gdb's `print` expands
them: the same expressions at the same two stops, printed by both. The second stop
comes after `#undef MODE` / `#define MODE 2` / `#undef SQUARE`."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from lldbrun import HERE, batch, build, parse_result

SOURCE = HERE / "programs" / "macros.c"

# At the first stop (first_stop(a=3, b=4)), then at the second (second_stop(x=5)).
FIRST = [
    "MAX(a, b)", "MIN(a, b)", "ARRAY_SIZE(values)", "FLAG_READY | FLAG_DIRTY",
    "FLAG_ALL & ~FLAG_READY", "flags | FLAG_DIRTY", "STR(a + b)", "XSTR(FLAG_ALL)",
    "FIELD(pf, b)", "CAT(fs.field_, a)", "SUM(5, 6)", "SELF", "TWICE(SQUARE, a)",
    "SQUARE(MAX(a, b))", "MODE", "MODE * 10 + a", "errno", "INT_MAX", "INT_MIN",
    "EXIT_FAILURE", "HDR_SCALE(2)", "HDR_LIMIT", "hp.a * HDR_LIMIT",
    "values[ARRAY_SIZE(values) - 1]", "MAX(values[2], values[5])", "sizeof(STR(hello))",
    "CHAR_BIT", "MAX(1)", "nosuch_macro(1)",
]
SECOND = ["MODE", "local * MODE", "SQUARE(x)", "MAX(x, 2)"]


def stop_line(marker: str) -> int:
    return next(n for n, line in enumerate(SOURCE.read_text().splitlines(), 1)
                if marker in line)


@pytest.fixture(scope="module")
def macros_exe(tmp_path_factory) -> Path:
    return build(SOURCE, tmp_path_factory.mktemp("macros"), "-g3")


@pytest.fixture(scope="module")
def plain_exe(tmp_path_factory) -> Path:
    return build(SOURCE, tmp_path_factory.mktemp("macros-plain"))


def gdb_prints(exe: Path, first: list[str], second: list[str]) -> list[str | None]:
    """gdb's value for each expression (None where gdb reports an error)."""
    args = ["gdb", "-nx", "-batch", "-ex", "set style enabled off",
            "-ex", f"break macros.c:{stop_line('break here first')}",
            "-ex", f"break macros.c:{stop_line('break here second')}", "-ex", "run"]
    for i, expr in enumerate(first + ["continue"] + second):
        args += ["-ex", f"echo @@@{i}\\n",
                 "-ex", expr if expr == "continue" else f"print {expr}"]
    args += ["-ex", "echo @@@end\\n", "-ex", "kill"]
    out = subprocess.run(args + [str(exe)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=120, cwd=exe.parent).stdout
    values = []
    for i, expr in enumerate(first + ["continue"] + second):
        chunk = out.split(f"@@@{i}\n", 1)[1].split("@@@", 1)[0]
        if expr != "continue":
            m = re.search(r"^\$\d+ = (.*)$", chunk, re.M)
            values.append(m.group(1).strip() if m else None)
    return values


def jit_prints(exe: Path, first: list[str], second: list[str]) -> list[tuple[str, str]]:
    commands = [f"jit-eval {e}" for e in first]
    commands += ['breakpoint set -p "break here second" -f macros.c', "continue"]
    commands += [f"jit-eval {e}" for e in second]
    blocks = batch(exe, commands, stop_at="break here first")
    return [out for cmd, out in blocks if cmd.startswith("jit-eval")]


def test_jit_eval_expands_macros_as_gdb_prints_them(macros_exe):
    gdb = gdb_prints(macros_exe, FIRST, SECOND)
    jit = jit_prints(macros_exe, FIRST, SECOND)
    rows = []
    for expr, want, out in zip(FIRST + SECOND, gdb, jit):
        got = parse_result(out)
        rows.append((expr, want, got[1] if got else None, out))
    mismatched = [r for r in rows if r[1] != r[2]]
    assert not mismatched, "\n".join(f"{e}: gdb {w!r}, jit-eval {g!r}\n{o}"
                                     for e, w, g, o in mismatched)
    outputs = dict((r[0], r[3]) for r in rows)
    # sanity: the values themselves, so that agreeing on nothing cannot pass
    assert [r[2] for r in rows[:5]] == ["4", "3", "10", "3", "2"]
    assert rows[FIRST.index("MODE")][2] == "1" and rows[len(FIRST)][2] == "2"
    assert rows[FIRST.index("STR(a + b)")][2] == '"a + b"'
    assert "macro 'MAX' requires 2 arguments, but only 1 given" in outputs["MAX(1)"]
    assert "use of undeclared identifier 'SQUARE'" in outputs["SQUARE(x)"]   # #undef'd


def test_errors_inside_an_expansion_point_at_the_invocation(macros_exe):
    out = jit_prints(macros_exe, ["1 + MAX(a, nosuch)", "CAT(1, +)", "2 + SQUARE(pf)"], [])
    assert "1 + MAX(a, nosuch)\n    ^~~~~~~~~~~~~~\nerror: use of undeclared identifier " \
           "'nosuch'" in out[0]
    assert 'error: pasting "1" and "+" does not give a valid preprocessing token ' \
           "(in expansion of macro 'CAT')" in out[1]
    assert "2 + SQUARE(pf)\n    ^~~~~~~~~~" in out[2] and "error: invalid operands" in out[2]


def test_without_g3_nothing_changes(plain_exe):
    gdb = gdb_prints(plain_exe, ["a + b", "MAX(a, b)"], ["x * 2"])
    out = jit_prints(plain_exe, ["a + b", "MAX(a, b)"], ["x * 2"])
    assert gdb == ["7", None, "10"]
    assert parse_result(out[0]) == ("int", "7") and parse_result(out[2]) == ("int", "10")
    assert "error: use of undeclared identifier 'MAX'" in out[1]


@pytest.mark.parametrize("which", ["macros_exe", "plain_exe"])
def test_the_lookup_per_evaluation_is_cheap(request, which):
    """Finding the macro table of the stop, after the first time, reads no file: the
    reader (or that the file has no macros) is kept, with or without -g3. (Counted,
    not timed: speed is the benchmark's.)"""
    exe = request.getfixturevalue(which)
    script = ("script import builtins, lldb_jit.debuginfo as d, lldb_jit.dwarfmacros as m; "
              "d.frame_macros(lldb.frame); opened = []; real = builtins.open; "
              "builtins.open = lambda *a, **k: opened.append(a[0]) or real(*a, **k); "
              "n = [len(d.frame_macros(lldb.frame)) for _ in range(50)][0]; "
              "builtins.open = real; "
              f"print('lookup', n, sum(str(f).endswith('{exe.name}') for f in opened))")
    (_, out), = batch(exe, [script], stop_at="break here first")
    count, opened = re.search(r"lookup (\d+) (\d+)", out).groups()
    assert (int(count) > 500) == (which == "macros_exe")   # built-ins, headers, ours
    assert int(opened) == 0       # (the plugin's warm-up thread may open files of its own)


def test_where_gdb_fails_jit_eval_answers(macros_exe):
    """gdb 13 knows neither `__builtin_offsetof` (what <stddef.h>'s offsetof expands
    to) nor compound literals ("Too many array elements")."""
    out = [o for _, o in batch(macros_exe, [
        "jit-eval offsetof(struct fields, field_b)", "jit-eval COUNT_ARGS(1, 2, 3)",
        "jit-eval NULL", "jit-eval offsetof(struct fields, nope)"], stop_at="break here first")]
    assert parse_result(out[0]) == ("unsigned long", "4")
    assert parse_result(out[1]) == ("unsigned long", "3")
    assert parse_result(out[2]) == ("void *", "0x0000000000000000")
    assert "no member named 'nope' in 'struct fields'" in out[3]
