"""expression's options on jit-eval (-f, -G, -O, defaults), constant expressions before
the process runs, and the Python API (`lldb_jit.evaluate`) from `script` and from a
breakpoint callback."""
from __future__ import annotations

import re

import pytest
from lldbrun import HERE, batch, build, parse_result

UNNAMED = re.compile(r"^\((?P<type>.*?)\) (?P<value>.*)$")


def constant(out: str):
    """`(TYPE) VALUE`: before `run` a result is not kept as a `$N` (see api.py)."""
    m = UNNAMED.match(out.strip())
    return (m.group("type"), m.group("value")) if m else None


def test_formats_and_options_as_expression_has_them(values_exe):
    cmds = ["jit-eval -f x -- 255", "expression -f x -- 255", "jit-eval -G x -- 255",
            "jit-eval -f b -- counter", "expression -f b -- counter",
            "jit-eval --format c -- 65", "expression --format c -- 65", "jit-eval -G t -- 5",
            # -O is how the code is compiled: it must run (interpreted, none is made)
            "jit-eval -O 0 --interpret false -- counter * 2",
            "jit-eval -O 1 --interpret false -- counter * 2", "jit-eval -f nope -- 1",
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
    assert parse_result(out["jit-eval -O 0 --interpret false -- counter * 2"]) == ("int", "82")
    assert parse_result(out["jit-eval -O 1 --interpret false -- counter * 2"]) == ("int", "82")
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
    """From `script`; from breakpoint callbacks, see the tests below."""
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


@pytest.fixture(scope="module")
def hits_exe(tmp_path_factory):
    return build(HERE / "programs" / "hits.c", tmp_path_factory.mktemp("hits"))


CALLBACKS = (
    "import lldb, lldb_jit\n"
    "def go_on(frame, bp_loc, extra_args, internal_dict):\n"
    "    v = lldb_jit.evaluate(frame, 'add(local, counter)')\n"   # runs code
    "    w = lldb_jit.evaluate(frame, 'counter += 1')\n"          # and changes the debuggee
    "    print('hit', v.GetValueAsSigned(), w.GetValueAsSigned(), v.GetName()[:1])\n"
    "    return False\n"
    "def stop(frame, bp_loc, extra_args, internal_dict):\n"
    # runs code (interpret=False) in a callback that stops: interpreted, none would run
    "    print('stop', lldb_jit.evaluate(frame, 'local * 2', interpret=False)"
    ".GetValueAsSigned())\n"
    "    return True\n")


def test_breakpoint_callback_evaluates_and_continues(hits_exe, tmp_path):
    """A Python callback that runs code at each of three hits and returns False: the
    values, then the process runs on to its normal exit (a hang fails on the timeout)."""
    helper = tmp_path / "cbs.py"
    helper.write_text(CALLBACKS)
    cmds = [f"command script import {helper}", 'breakpoint set -p "hit here" -f hits.c',
            "breakpoint command add -F cbs.go_on 1", "run", "process status"]
    out = batch(hits_exe, cmds, stop_at=None, timeout=60)
    text = "\n".join(o for _, o in out)
    assert re.findall(r"^hit .*$", text, re.M) == ["hit 51 42 $", "hit 62 43 $", "hit 73 44 $"]
    assert "done 63 44" in text                      # the three increments stayed
    assert "exited with status = 0" in dict(out)["process status"]
    assert "Traceback" not in text and "error:" not in text


def test_breakpoint_callback_that_stops_and_command_lists(hits_exe, tmp_path):
    """A callback returning True stops there, and jit-eval and continue work after it;
    a `breakpoint command` list running jit-eval on an auto-continue breakpoint."""
    helper = tmp_path / "cbs.py"
    helper.write_text(CALLBACKS)
    cmds = [f"command script import {helper}", 'breakpoint set -p "hit here" -f hits.c',
            "breakpoint command add -F cbs.stop 1", "breakpoint set -n main",
            "breakpoint modify --auto-continue true 2",
            'breakpoint command add -o "jit-eval add(counter, 100)" 2',
            "run", "jit-eval add(local, 5)", "continue", "jit-eval add(local, counter)",
            "frame variable local", "continue", "continue", "process status"]
    out = batch(hits_exe, cmds, stop_at=None, timeout=60)
    got = dict((c, o) for c, o in out if c != "continue")
    continues = [o for c, o in out if c == "continue"]
    text = "\n".join(o for _, o in out)
    assert re.search(r"^\(int\) \$\d+ = 141$", got["run"], re.M)   # the command list
    assert "stop 20" in got["run"] and "step(i=1)" in got["run"]
    assert parse_result(got["jit-eval add(local, 5)"]) == ("int", "15")
    assert "stop 40" in continues[0] and "step(i=2)" in continues[0]
    assert parse_result(got["jit-eval add(local, counter)"]) == ("int", "61")
    assert got["frame variable local"].strip() == "(int) local = 20"
    assert "stop 60" in continues[1]
    assert "done 63 41" in continues[2] and "exited with status = 0" in got["process status"]
    assert "Traceback" not in text and "error:" not in text
