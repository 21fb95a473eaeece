"""Expressions that only read memory are interpreted (lldb_jit/interpret.py) without
resuming the debuggee; the answer must be the one the code gives when it runs, and
whatever the interpreter cannot do as the machine would runs as code."""
import re

import pytest

from lldbrun import HERE, batch, build, parse_result

STOP_ID = "script print('stop', lldb.process.GetStopID())"
READ_ONLY = [
    "counter + local", "table[3] * table[7] - counter", "head->next->value", "ratio * 3",
    "(float)ratio / 3", "int s = 0; for (int i = 0; i < 8; i++) s += table[i] * i; s",
    "counter > 40 ? table : 0", "*head", "table", "(char)(counter * 7)", "-ratio / 0.0",
    "(unsigned long)-ratio", "head->next->next == 0", "&table[2]", "(long)&counter % 4096",
    "switch_value: local", "local << 31", "(unsigned)ratio * 1e10",
]


@pytest.fixture(scope="module")
def exe(tmp_path_factory):
    return build(HERE / "programs" / "interpreted.c", tmp_path_factory.mktemp("interp"))


def stop_ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^stop (\d+)$", text, re.M)]


def test_read_only_expressions_agree_with_the_code_and_do_not_resume(exe):
    exprs = [e for e in READ_ONLY if not e.startswith("switch_value")]
    cmds = ["jit-eval 0"]     # the first evaluation maps memory for results: that runs
    for e in exprs:
        cmds += [STOP_ID, f"jit-eval {e}", STOP_ID, f"jit-eval --interpret false -- {e}",
                 STOP_ID]
    out = batch(exe, cmds)[1:]
    for i, e in enumerate(exprs):
        block = out[5 * i:5 * i + 5]
        interpreted, ran = parse_result(block[1][1]), parse_result(block[3][1])
        assert interpreted is not None and interpreted == ran, (e, block[1][1], block[3][1])
        before, after, after_run = (stop_ids(block[k][1])[0] for k in (0, 2, 4))
        assert before == after, e          # interpreted: the process never ran
        assert after_run > after, e        # run: it did


def test_what_the_interpreter_cannot_do_runs_as_code(exe):
    out = dict(batch(exe, [
        "jit-eval *guard", "memory read -s4 -fd -c1 `guard`",
        "jit-eval counter = 5", "jit-eval counter",
        "jit-eval int z = 0; counter / z",
        "jit-eval long s = 0; for (long i = 0; i < 1000000; i++) s += i; s",
        STOP_ID, "jit-eval int a = 1; &a", STOP_ID]))
    assert "SIGSEGV" in out["jit-eval *guard"]           # the program cannot read it...
    assert "1234" in out["memory read -s4 -fd -c1 `guard`"]   # ...the debugger can
    assert parse_result(out["jit-eval counter = 5"]) == ("int", "5")
    assert parse_result(out["jit-eval counter"]) == ("int", "5")
    assert "SIGFPE" in out["jit-eval int z = 0; counter / z"]
    assert parse_result(out["jit-eval long s = 0; for (long i = 0; i < 1000000; i++) s += i; s"]) \
        == ("long", str(sum(range(1000000))))
    # the address of the expression's own local: only the code knows it
    assert parse_result(out["jit-eval int a = 1; &a"])[0] == "int *"
