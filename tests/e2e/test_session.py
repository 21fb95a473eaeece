"""What a user sees around the results: errors with carets, a debuggee left as it was,
no writable+executable memory, `$N` results, and lldb staying usable."""
from __future__ import annotations

import re
import subprocess

import pytest

from lldbrun import AS_CODE, PROMPT_JIT, batch, interactive, packets_sent, parse_result

STATE = ["register read --all", "frame variable", "memory read -s4 -fx -c8 &counter"]


def test_errors_show_caret_and_leave_debuggee_untouched(values_exe):
    bad = ["counter +* 2", "no_such_thing + 1", "origin.nope", "*counter", "add(1)",
           "counter +", "(nope *)0", "1 +", "head->value.x", "add(1, 2", "\"open"]
    blocks = batch(values_exe, STATE + [f"jit-eval {b}" for b in bad] + STATE)
    n = len(STATE)
    for (cmd_a, before), (cmd_b, after) in zip(blocks[:n], blocks[-n:]):
        assert cmd_a == cmd_b and before == after, cmd_a
    for expr, (_, out) in zip(bad, blocks[n:-n]):
        assert "error: " in out, out
        assert "Traceback" not in out
        lines = out.splitlines()
        caret = next(i for i, line in enumerate(lines) if re.fullmatch(r" *\^~*", line))
        assert lines[caret - 1] == expr


@pytest.mark.parametrize("expr, message, column, width", [
    ("no_such_thing + 1", "use of undeclared identifier 'no_such_thing'", 0, 13),
    ("counter + 1 +", "expected", 13, 1),
    ("origin.nope", "no member named 'nope'", 7, 4),
])
def test_error_messages_and_caret_positions(values_exe, expr, message, column, width):
    out = dict(batch(values_exe, [f"jit-eval {expr}"]))[f"jit-eval {expr}"]
    lines = out.splitlines()
    assert lines[0] == expr
    assert lines[1] == " " * column + "^" + "~" * (width - 1)
    assert message in lines[2] and lines[2].startswith("error: ")


def test_registers_and_memory_unchanged_by_evaluation(values_exe):
    commands = STATE + ["jit-eval add(counter, 1)", "jit-eval half(scale) * ratio",
                        "jit-eval sum_list(head)", "jit-eval pick(0)", "jit-eval *null_ptr",
                        "jit-eval lp.y + dlocal", "expression -- lp.y + dlocal"] + STATE
    blocks = batch(values_exe, commands)
    n = len(STATE)
    for (cmd_a, before), (cmd_b, after) in zip(blocks[:n], blocks[-n:]):
        assert cmd_a == cmd_b and before == after, cmd_a
    results = [out for cmd, out in blocks[n:-n]]
    assert parse_result(results[0]) == ("int", "42")
    assert parse_result(results[2]) == ("int", "60")
    assert "error: " in results[4] and "SIGSEGV" in results[4]   # the crash is reported...
    assert parse_result(results[5]) == parse_result(results[6])   # ...and the next one works


def test_breakpoints_where_the_first_evaluation_maps_memory(values_exe):
    """The first evaluation maps its memory with code written over the program's entry
    point (_start), the system call alone where a breakpoint is set in the longer code
    that saves registers itself: the thread's registers come back as they were, and
    the breakpoints are kept."""
    commands = ["breakpoint set -K false -n _start -R 62", *STATE,
                f"jit-eval {AS_CODE}add(counter, 1)", *STATE, "continue"]
    blocks = batch(values_exe, commands)
    n = len(STATE)
    for (cmd_a, before), (cmd_b, after) in zip(blocks[1:1 + n], blocks[2 + n:2 + 2 * n]):
        assert cmd_a == cmd_b and before == after, cmd_a
    assert parse_result(blocks[1 + n][1]) == ("int", "42"), blocks[1 + n]
    # at exit, the C runtime's destructors run deregister_tm_clones: _start + 62
    assert "stop reason = breakpoint 2.1" in blocks[-1][1], blocks[-1]


def test_the_first_evaluation_maps_its_memory_in_one_resume(values_exe, tmp_path):
    """Code and data pages come from one run of the system call stub (x86-64): the
    first evaluation that runs code resumes the thread twice, for its pages and for
    the call, and the pages mapped ahead are used, not mapped again."""
    blocks, sent = packets_sent(values_exe, [], [f"jit-eval {AS_CODE}add(counter, 1)",
                                                "jit-eval counter * 2"], tmp_path / "log")
    assert [parse_result(out) for _, out in blocks] == [("int", "42"), ("int", "82")]
    assert len([p for p in sent if p.startswith("vCont;c")]) == 2, sent


def test_registers_the_user_writes_are_kept(values_exe):
    """`register write` between evaluations at one stop: a later evaluation neither
    puts the old values back nor sees them. The code runs (`--interpret false`): an
    interpretation would neither save nor restore a register."""
    run = f"jit-eval {AS_CODE}"
    blocks = batch(values_exe, [f"{run}counter", "register write rbx 7",
                                "register write rax 0x1234", f"{run}counter + 1",
                                "register read rbx rax", f"{run}$rbx + $rax",
                                "register read rbx rax"])
    outputs = [out for _, out in blocks]
    assert parse_result(outputs[3]) == ("int", "42")
    for after in (outputs[4], outputs[6]):
        assert re.search(r"rbx = 0x0+7\b", after) and re.search(r"rax = 0x0+1234\b", after)
    assert parse_result(outputs[5]) == ("unsigned long", str(7 + 0x1234))


def test_no_writable_executable_mapping(values_exe):
    maps = "script print(open('/proc/%d/maps' % lldb.process.GetProcessID()).read())"
    blocks = batch(values_exe, ["jit-eval add(counter, primes[2])", "jit-eval greeting",
                                "jit-eval origin", maps])
    assert parse_result(blocks[0][1]) == ("int", "46")
    perms = [line.split()[1] for line in blocks[-1][1].splitlines()
             if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line)]
    assert len(perms) > 5 and "r-xp" in perms
    assert not [p for p in perms if "w" in p and "x" in p]


def test_results_persist_as_dollar_names(values_exe):
    blocks = batch(values_exe, ["jit-eval counter", "jit-eval $0 + 1", "jit-eval origin",
                                "jit-eval $2.y * 2", "jit-eval head", "jit-eval $4->next->value",
                                "jit-eval $1 * $0"])
    got = [parse_result(out) for _, out in blocks]
    assert got[0] == ("int", "41") and got[1] == ("int", "42")
    assert got[3] == ("double", "9") and got[5] == ("int", "20")
    assert got[6] == ("int", str(42 * 41))
    assert [out.split(" = ")[0].split(") ")[1] for _, out in blocks] == \
        [f"${i}" for i in range(7)]


def test_process_continues_normally_afterwards(values_exe):
    blocks = batch(values_exe, ["jit-eval add(counter, 1)", "jit-eval *null_ptr",
                                "jit-eval twice(param)", "continue"])
    assert "exited with status = 0" in blocks[-1][1]
    alone = subprocess.run([str(values_exe)], capture_output=True, text=True).stdout
    assert alone and alone in blocks[-1][1]   # it prints what it prints without us


def test_without_a_process_is_a_clear_error(values_exe):
    """Except for constants (tests/e2e/test_command_api.py)."""
    blocks = batch(values_exe, ["jit-eval counter + 2", "jit-eval 1 + 2"], stop_at=None)
    out = blocks[0][1]
    assert "error:" in out and "needs a running process" in out and "Traceback" not in out
    assert blocks[1][1].strip() == "(int) 3"


def test_interactive_session(values_exe):
    with interactive(values_exe) as child:
        prompt = PROMPT_JIT
        child.sendline("jit-eval counter + local * 2")
        child.expect(r"\(int\) \$0 = 61")
        child.expect_exact(prompt)
        child.sendline("jit-eval -- pt->")
        child.expect_exact("error: ")
        child.expect_exact(prompt)
        child.sendline("jit-eval --time -- add(counter, 1)")
        child.expect(r"\(int\) \$1 = 42")
        child.expect(r"time \(ms\): parse .* total")
        child.expect_exact(prompt)
        child.sendline("help jit-eval")
        child.expect_exact("jit-eval [OPTIONS] -- EXPR")
        child.expect_exact(prompt)
        child.sendline("frame variable local")
        child.expect(r"\(int\) local = 10")
        child.expect_exact(prompt)


def test_double_dash_separates_options_from_the_expression(values_exe):
    blocks = batch(values_exe, ["jit-eval -- counter + 1", "expression -- counter",
                                "jit-eval -t 5 -- -counter", "jit-eval --counter",
                                "expression -- counter"])
    got = [parse_result(out) for _, out in blocks]
    assert got[0] == ("int", "42") and got[1] == ("int", "41")   # `--` was not a decrement
    assert got[2] == ("int", "-41")
    assert got[3] == ("int", "40") and got[4] == ("int", "40")   # this one is, and LLDB sees it
