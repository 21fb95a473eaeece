"""expression's options on jit-eval (-f, -G, -O, defaults), constant expressions before
the process runs, and the Python API (`lldb_jit.evaluate`) from `script` and from a
breakpoint callback."""
from __future__ import annotations

import re

from lldbrun import batch, parse_result

UNNAMED = re.compile(r"^\((?P<type>.*?)\) (?P<value>.*)$")


def constant(out: str):
    """`(TYPE) VALUE`: before `run` a result is not kept as a `$N` (see api.py)."""
    m = UNNAMED.match(out.strip())
    return (m.group("type"), m.group("value")) if m else None


def test_formats_and_options_as_expression_has_them(values_exe):
    cmds = ["jit-eval -f x -- 255", "expression -f x -- 255", "jit-eval -G x -- 255",
            "jit-eval -f b -- counter", "expression -f b -- counter",
            "jit-eval --format c -- 65", "expression --format c -- 65", "jit-eval -G t -- 5", "jit-eval -O 0 -- counter * 2",
            "jit-eval -O 1 -- counter * 2", "jit-eval -f nope -- 1",
            "jit-eval --set-default -f x", "jit-eval counter", "jit-eval -f d -- counter",
            "jit-eval --set-default", "jit-eval counter"]
    out = dict(batch(values_exe, cmds))
    assert parse_result(out["jit-eval -f x -- 255"]) == ("int", "0x000000ff")
    assert parse_result(out["jit-eval -f x -- 255"])[1] == \
        parse_result(out["expression -f x -- 255"])[1]
    assert parse_result(out["jit-eval -G x -- 255"])[1] == "0x000000ff"
    assert parse_result(out["jit-eval -f b -- counter"])[1] == \
        parse_result(out["expression -f b -- counter"])[1] == "0b00000000000000000000000000101001"
    assert parse_result(out["jit-eval --format c -- 65"])[1] == \
        parse_result(out["expression --format c -- 65"])[1]
    assert parse_result(out["jit-eval -G t -- 5"])[1].endswith("101")
    assert parse_result(out["jit-eval -O 0 -- counter * 2"]) == ("int", "82")
    assert parse_result(out["jit-eval -O 1 -- counter * 2"]) == ("int", "82")
    assert "error: invalid format 'nope'" in out["jit-eval -f nope -- 1"]
    assert "jit-eval defaults: -f x" in out["jit-eval --set-default -f x"]
    outs = [o for c, o in batch(values_exe, cmds) if c == "jit-eval counter"]
    assert parse_result(outs[0])[1] == "0x00000029"       # the default format
    assert parse_result(out["jit-eval -f d -- counter"])[1] == "41"   # overridden
    assert parse_result(outs[1])[1] == "41"               # defaults cleared


def test_constant_expressions_before_the_process_runs(values_exe):
    cmds = ["jit-eval -- sizeof(struct point) * 2", "expression -- sizeof(struct point) * 2",
            "jit-eval GREEN + 1", "jit-eval (char)0x141", "jit-eval 1.5 * 3",
            "jit-eval int s = 0; for (int i = 1; i <= 10; i++) s += i; s",
            "jit-eval -f x -- 4096", "jit-eval 7 / 0", "jit-eval counter + 1",
            "jit-eval add(1, 2)", "jit-eval sizeof counter"]
    out = dict(batch(values_exe, cmds, stop_at=None))
    assert constant(out["jit-eval -- sizeof(struct point) * 2"]) == ("unsigned long", "32")
    assert parse_result(out["expression -- sizeof(struct point) * 2"])[1] == "32"
    assert constant(out["jit-eval GREEN + 1"]) == ("int", "6")
    assert constant(out["jit-eval (char)0x141"]) == ("char", "'A'")
    assert constant(out["jit-eval 1.5 * 3"]) == ("double", "4.5")
    assert constant(out["jit-eval int s = 0; for (int i = 1; i <= 10; i++) s += i; s"]) \
        == ("int", "55")
    assert constant(out["jit-eval -f x -- 4096"]) == ("int", "0x00001000")
    assert "signal SIGFPE" in out["jit-eval 7 / 0"]      # in a child, never in LLDB
    assert "'counter' needs a running process" in out["jit-eval counter + 1"]
    assert "'add' needs a running process" in out["jit-eval add(1, 2)"]
    assert constant(out["jit-eval sizeof counter"]) == ("unsigned long", "4")


def test_python_api_from_script(values_exe, tmp_path):
    """(From a breakpoint callback the evaluation runs but LLDB then waits forever for
    the stop our own resume consumed: see the issue 10 notes; not tested here.)"""
    helper = tmp_path / "apiuse.py"
    helper.write_text(
        "import lldb, lldb_jit\n"
        "def show(frame):\n"
        "    v = lldb_jit.evaluate(frame, 'local * 2')\n"
        "    print('value', v.GetTypeName(), v.GetValueAsSigned(), v.GetName())\n"
        "    print('none', lldb_jit.evaluate(frame, 'int t = 1;'))\n"
        "    print('target', lldb_jit.evaluate(frame.GetThread().GetProcess().GetTarget(),"
        " 'counter + 1').GetValueAsSigned())\n"
        "    try:\n"
        "        lldb_jit.evaluate(frame, 'local +* 2')\n"
        "    except lldb_jit.CompileError as e:\n"
        "        print('caught', e.offset, e.length, e.message)\n"
        "    try:\n"
        "        lldb_jit.evaluate(frame, 'local', bogus=1)\n"
        "    except lldb_jit.JitError as e:\n"
        "        print('caught', e)\n"
        )
    cmds = [f"command script import {helper}", "script apiuse.show(lldb.frame)"]
    text = "\n".join(o for _, o in batch(values_exe, cmds))
    assert "value int 20 $" in text                # local = 10: LLDB's next $N
    assert "none None" in text                     # a statement list without a value
    assert "target 42" in text                     # a target: its selected frame
    assert "caught 7 3 indirection requires pointer operand" in text   # under `* 2`
    assert "caught unknown option(s): bogus" in text


def test_show_types_prints_as_expression_does(values_exe):
    exprs = ["origin", "primes", "greeting", "*head", "lp", "5", "name"]
    cmds = [c for e in exprs for c in (f"jit-eval -T -- {e}", f"expression -T -- {e}")]
    out = dict(batch(values_exe, cmds))
    for e in exprs:
        mine, theirs = out[f"jit-eval -T -- {e}"], out[f"expression -T -- {e}"]
        strip = lambda t: re.sub(r"\$\d+", "$N", t.strip())   # noqa: E731
        assert strip(mine) == strip(theirs), (e, mine, theirs)


def test_dump_object_shows_sections_symbols_and_relocations(values_exe):
    out = dict(batch(values_exe, ["jit-eval --dump object -- add(counter, 1)",
                                  "expression -- &counter", "expression -- (void *)add"]))
    text = out["jit-eval --dump object -- add(counter, 1)"]
    counter = re.search(r"0x[0-9a-f]+", out["expression -- &counter"]).group()
    add = re.search(r"0x[0-9a-f]+", out["expression -- (void *)add"]).group()
    assert re.search(r"^  \.text +0x[0-9a-f]{16} rx  \d+ bytes$", text, re.M)
    assert re.search(rf"^  counter +0x0*{counter[2:]}$", text, re.M)     # where LLDB says
    assert re.search(rf"^  add +0x0*{add[2:]}$", text, re.M)
    assert "R_X86_64_PLT32: add" in text and "GOT entry: counter" in text
    assert parse_result(text.splitlines()[-1]) == ("int", "42")
