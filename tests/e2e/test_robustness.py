"""Never lose the debuggee: whatever the expression does (crash, abort, loop forever,
wait for another thread, exit), the session survives and the debuggee is as it was."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from lldbrun import PROMPT_JIT, THREAD_STATUS, batch, interactive, parse_result

# What must be identical before and after: every register, the frame, program data.
STATE = ["register read --all", "frame variable", "thread list",
         "memory read -s4 -fx -c8 &data", "memory read -s4 -fx -c4 &ready"]


def _without_stop_reason(text: str) -> str:
    """The one thing that does change, and is not the debuggee's: LLDB's record of why
    the thread last stopped (ours was a trap; the SB API cannot set a stop reason)."""
    return re.sub(r", stop reason = [^\n]*", "", text)


def run_between_state(exe, commands, state=STATE):
    blocks = batch(exe, state + commands + state)
    n = len(state)
    for (cmd_a, before), (cmd_b, after) in zip(blocks[:n], blocks[-n:]):
        assert "error" not in before, f"{cmd_a} is no check: {before}"
        before, after = _without_stop_reason(before), _without_stop_reason(after)
        assert cmd_a == cmd_b and before == after, f"{cmd_a} changed:\n{before}\n---\n{after}"
    return [out for _, out in blocks[n:-n]]


@pytest.mark.parametrize("expr, signal, where", [
    ("*nowhere", "SIGSEGV", "expression"),
    ("crash_via(nowhere)", "SIGSEGV", "deep_crash"),
    ("divide(1, zero)", "SIGFPE", "divide"),
    ("give_up()", "SIGABRT", ""),
    ("data[1] + *(int *)8", "SIGSEGV", "expression"),
])
def test_crash_is_reported_and_undone(trouble_exe, expr, signal, where):
    out, after, check = run_between_state(
        trouble_exe, [f"jit-eval {expr}", "jit-eval sum_data() + local", "expression -- sum_data() + local"])
    assert out.startswith("error: ") and signal in out and "Traceback" not in out
    assert where in out
    assert parse_result(after) == parse_result(check)   # the session goes on


def test_timeout_interrupts_restores_and_says_so(trouble_exe):
    out, default, after = run_between_state(
        trouble_exe, ["jit-eval -t 0.3 -- spin()", "jit-eval spin() + 1", "jit-eval local * 3"])
    assert "timed out after 0.3 s" in out
    assert "timed out after 1 s" in default          # the default timeout
    assert parse_result(after) == ("int", "15")


def test_other_threads_stay_put_unless_asked(trouble_exe):
    out, held = run_between_state(trouble_exe, [
        "jit-eval -t 0.3 -- locked_value()",            # the lock's holder does not run:
        "jit-eval ready + release_lock"])              # every thread is where it was
    assert "timed out" in out
    assert parse_result(held) == ("int", "1")
    freed = dict(batch(trouble_exe, ["jit-eval -a -- (release_lock = 1, locked_value())"]))
    assert parse_result(freed["jit-eval -a -- (release_lock = 1, locked_value())"]) == \
        ("int", "42")                                   # with -a the holder lets go


def test_thread_stopped_in_a_system_call(trouble_exe):
    """The holder thread sits in nanosleep: evaluating there must not let the kernel
    restart the sleep at our code, and the program must end as it ends alone."""
    blocks = batch(trouble_exe, ["thread select 2", "register read --all",
                                 "jit-eval data[7] * 2", "jit-eval sum_data()",
                                 "register read --all", "thread select 1",
                                 "jit-eval release_lock", "continue"])
    out = dict(blocks)
    assert parse_result(out["jit-eval data[7] * 2"]) == ("int", "16")
    assert parse_result(out["jit-eval sum_data()"]) == ("int", "36")
    registers = [THREAD_STATUS.sub("", o).strip() for c, o in blocks
                 if c == "register read --all"]     # (`thread select`'s status may come late)
    assert registers[0] == registers[1]       # rax too: the -ERESTART... code the kernel
                                              # acts on when the thread goes on
    alone = subprocess.run([str(trouble_exe)], capture_output=True, text=True).stdout
    assert alone in out["continue"] and "exited with status = 0" in out["continue"]


def test_process_exiting_during_evaluation(trouble_exe):
    out = dict(batch(trouble_exe, ["jit-eval exit(3)", "jit-eval local + 1", "jit-eval 1 + 1",
                                   "run", "jit-eval local * 2"]))
    assert "exited during the evaluation (status 3)" in out["jit-eval exit(3)"]
    assert "error:" in out["jit-eval local + 1"]         # no frame: no locals
    assert out["jit-eval 1 + 1"].strip() == "(int) 2"      # a constant needs no process
    assert parse_result(out["jit-eval local * 2"]) == ("int", "10")   # a new run works


def test_process_killed_during_evaluation(trouble_exe):
    out = dict(batch(trouble_exe, ["jit-eval (int)kill((int)getpid(), 9)", "jit-eval 2"]))
    assert "error: " in out["jit-eval (int)kill((int)getpid(), 9)"]
    assert "Traceback" not in out["jit-eval 2"]


def test_ctrl_c_interrupts_a_long_evaluation(trouble_exe):
    with interactive(trouble_exe) as child:
        child.sendline("jit-eval -t 0 -- spin()")
        time.sleep(1.0)
        child.sendintr()
        child.expect(r"error: the expression was interrupted")
        child.expect_exact(PROMPT_JIT)
        child.sendintr()                 # at the prompt, LLDB's own handler is back:
        time.sleep(0.5)                  # with the default one, lldb would die here
        assert child.isalive()
        child.sendline("jit-eval local + 2")
        child.expect(r"\(int\) \$\d+ = 7")
        child.expect_exact(PROMPT_JIT)


def _mapped_kib(maps: str) -> int:
    total = 0
    for line in maps.splitlines():
        m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        if m:
            assert not ("w" in m.group(3) and "x" in m.group(3)), line
            total += (int(m.group(2), 16) - int(m.group(1), 16)) // 1024
    return total


@pytest.mark.soak
def test_memory_does_not_grow_with_evaluations(trouble_exe):
    """Distinct expressions (compiled, linked, loaded, freed) and cached ones: the
    mapped memory stays put once warm, beyond what the $N results need."""
    count = int(os.environ.get("LLDB_JIT_SOAK", "400"))   # 10000 by hand: see README
    maps = "script print(open('/proc/%d/maps' % lldb.process.GetProcessID()).read())"
    # run as code (`--interpret false`): interpreted, they would compile, link and load
    # nothing
    warm = [f"jit-eval --interpret false -- data[{i % 8}] + {i}" for i in range(80)]
    soak = [f"jit-eval --no-cache --interpret false -t 10 -- data[{i % 8}] * {i} + local"
            for i in range(count)]
    blocks = batch(trouble_exe, warm + [maps] + soak + [maps], timeout=60 + count * 0.1)
    before, after = blocks[len(warm)][1], blocks[-1][1]
    failed = [(cmd, out) for cmd, out in blocks if cmd.startswith("jit-eval") and not parse_result(out)]
    assert not failed, failed[:3]
    # each result keeps 4 bytes; allow one extra 64 KiB chunk for them and alignment
    assert _mapped_kib(after) - _mapped_kib(before) <= 64 + count * 4 // 1024


def test_unwind_on_error_false_leaves_the_crash_to_inspect(trouble_exe):
    out, bt, abandon, after = run_between_state(trouble_exe, [
        "jit-eval -u false -- crash_via(nowhere) + 1", "bt 2", "jit-eval --abandon",
        "jit-eval local"])
    assert "SIGSEGV" in out and "--abandon" in out
    assert "deep_crash" in bt and "crash_via" in bt       # the user sees where it crashed
    assert "back as it was" in abandon
    assert parse_result(after) == ("int", "5")


def test_breakpoints_in_called_code(trouble_exe):
    ignored = dict(batch(trouble_exe, ["breakpoint set -n divide", "jit-eval divide(9, 3)",
                                       "breakpoint list -b"]))
    assert parse_result(ignored["jit-eval divide(9, 3)"]) == ("int", "3")
    _, out, bt, nested, abandon, again = run_between_state(trouble_exe, [
        "breakpoint set -n divide", "jit-eval -i false -- divide(9, 3)", "bt 1",
        # code run in the thread stopped inside the first (interpreted, none would run)
        "jit-eval --interpret false -- data[2] * 10", "jit-eval --abandon",
        "jit-eval --abandon"])
    assert "breakpoint" in out and "in divide" in out and "--abandon" in out
    assert "divide" in bt
    assert parse_result(nested) == ("int", "30")        # evaluating while stopped there
    assert "back as it was" in abandon
    assert again.startswith("error: ") and "no evaluation left" in again


def test_gdb_remote_connection_dropping(trouble_exe):
    """lldb-server as a gdb-remote stub, killed while an expression runs."""
    import socket

    import lldb_for_pwndbg
    server_bin = Path(lldb_for_pwndbg.__file__).parent / "_vendor" / "bin" / "lldb-server"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(server_bin), "gdbserver", f"127.0.0.1:{port}", str(trouble_exe)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        with interactive(trouble_exe, connect=[f"gdb-remote 127.0.0.1:{port}"],
                         run="continue") as child:
            child.sendline("jit-eval local + 1")
            child.expect(r"\(int\) \$0 = 6")
            child.expect_exact(PROMPT_JIT)
            child.sendline("jit-eval -t 0 -- spin()")
            time.sleep(1.0)
            server.kill()
            child.expect(r"error: the process exited during the evaluation[^\r\n]*")
            child.expect_exact(PROMPT_JIT)
            child.sendline("jit-eval local + 1")
            child.expect_exact("error: ")
            child.expect_exact(PROMPT_JIT)
            child.sendline("script print(6 * 7)")
            child.expect_exact("42")                  # lldb itself is fine
    finally:
        server.kill()
        server.wait()
        _kill_processes_of(trouble_exe)     # a killed stub leaves its debuggee running


def _kill_processes_of(exe: Path) -> None:
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if proc.name.isdigit() and Path(os.readlink(proc / "exe")) == exe:
                os.kill(int(proc.name), signal.SIGKILL)
