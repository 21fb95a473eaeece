"""Every stub, another CPU: `jit-eval` through lldb-server's and GNU gdbserver's gdb
remote protocol, and on an AArch64 program (built -static by the cross compiler) under
qemu-aarch64's gdb stub. The stubs run on loopback, started and always stopped by the
tests. Each must print what a local x86-64 session prints."""
from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest

from lldbrun import (HERE, PROMPT_JIT, STUBS, batch, cross_build, interactive, parse_result,
                     stub)

# Printed the same on every stub and CPU (no addresses, no plain char).
TABLE = [
    "counter", "counter * 2 - 3", "-7 / 2", "scale * 2", "ratio * 2", "byte + 1", "small",
    "big * 3", "ubig", "llv", "ufixed", "hidden", "primes[3] + grid[1][2]", "name",
    "greeting", "*greeting", "origin", "origin.y * 2", "points[2]", "head->next->value",
    "num.f", "favourite", "fl.b", "level", "pk.i", "ld",
    "param", "dparam", "local", "dlocal", "lp", "larr", "lstr", "*lptr", "lus", "pp->x",
    "add(counter, 1)", "half(scale)", "mul3(2, 3, 4)", "sum_list(head)", "pick(1)",
    "low_byte(300)", "scalef(1.5f)", "op(10, 4)", "twice(21)",
    "sum8(1, 2, 3, 4, 5, 6, 7, 8)", "mix(1, 2.5, 3.25f, 4, 5)",
    "mid(origin, points[2])", "len2(origin)", "mid(lp, *pp).y",
    "(unsigned long)strlen(greeting)", "(int)strcmp(name, \"debugger\")",
    "(long)write(1, greeting, 0) + (int)memcmp(name, \"debug\", 5)",
    "int s = 0; for (int i = 0; i < 6; i++) s += primes[i] * i; s",
    "double acc = 0; int i = 0; while (i < 4) acc += larr[i++] * dparam; acc",
    "$0 + $1", "int $kept = 5", "$kept * counter",
]
ASSIGNMENTS = ["local = 77", "lp.x = lp.x + 100", "larr[2] = -1", "dlocal *= 2"]
CRASH = "*null_ptr"
TIMEOUT = "-t 0.5 -- int i = 0; while (1) i++; i"
MAPS = ("-- char b[4096]; int fd = (int)open(\"/proc/self/maps\", 0); long n, t = 0; "
        "while ((n = (long)read(fd, b, sizeof b)) > 0) t += (long)write(1, b, n); "
        "(int)close(fd); t > 0")
REGS = "register read --all"
COMMANDS = ([REGS] + [f"jit-eval {e}" for e in TABLE] + [f"jit-eval {e}" for e in ASSIGNMENTS]
            + ["frame variable local lp larr dlocal", f"jit-eval {CRASH}", f"jit-eval {TIMEOUT}",
               "jit-eval counter + 1", f"jit-eval {MAPS}", REGS])


def cross_exe(tmp_path_factory, cpu: str):
    """values.c built for qemu-`cpu`."""
    return cross_build(HERE / "programs" / "values.c", tmp_path_factory.mktemp(f"values-{cpu}"),
                       cpu)


@pytest.fixture(scope="module")
def aarch64_exe(tmp_path_factory):
    return cross_exe(tmp_path_factory, "aarch64")


@pytest.fixture(scope="module")
def riscv64_exe(tmp_path_factory):
    return cross_exe(tmp_path_factory, "riscv64")


@pytest.fixture(scope="module")
def local(values_exe):
    return dict(batch(values_exe, COMMANDS[1:-1]))


@pytest.fixture(scope="module", params=STUBS)
def remote(request, values_exe, tmp_path_factory):
    kind = request.param
    if kind != "lldb-server" and shutil.which(kind.split("-")[0] if kind == "gdbserver" else kind) is None:
        pytest.fail(f"{kind} is missing: `make system-deps` installs it")
    exe = cross_exe(tmp_path_factory, kind[5:]) if kind.startswith("qemu-") else values_exe
    with stub(kind, exe) as (connect, output):
        blocks = batch(exe, COMMANDS, connect=connect, source="values.c")
    return kind, blocks, output.read_text()


def values(out: str) -> str:
    """A result without its $N and with addresses masked."""
    return re.sub(r"0x[0-9a-f]{6,16}", "0xADDR", re.sub(r"\$\d+", "$N", out))


def test_same_results_as_a_local_session(remote, local):
    kind, blocks, _ = remote
    outputs = dict(blocks)
    for expr in TABLE:
        command = f"jit-eval {expr}"
        assert values(outputs[command]) == values(local[command]), (kind, expr)
        assert parse_result(outputs[command]) or expr.startswith("int $"), (kind, outputs[command])


def test_assignments_seen_by_frame_variable(remote):
    kind, blocks, _ = remote
    frame = dict(blocks)["frame variable local lp larr dlocal"]
    assert "(int) local = 77" in frame, kind
    assert "x = 105" in frame and "[2] = -1" in frame and "(double) dlocal = 3.5" in frame, frame


def test_crash_and_timeout_are_reported_and_undone(remote):
    kind, blocks, _ = remote
    outputs = dict(blocks)
    crash = outputs[f"jit-eval {CRASH}"]
    assert crash.startswith("error: ") and "SIGSEGV" in crash, (kind, crash)
    timeout = outputs[f"jit-eval {TIMEOUT}"]
    assert timeout.startswith("error: ") and "timed out after 0.5 s" in timeout, (kind, timeout)
    assert parse_result(outputs["jit-eval counter + 1"])[1] == "42", kind


def test_registers_identical_after_everything(remote):
    """Every register LLDB shows, general, floating point and vector (SVE on qemu's
    AArch64), compared by value before the first evaluation and after the last."""
    kind, blocks, _ = remote
    before, after = [out for command, out in blocks if command == REGS]

    def register_values(text):   # not RISC-V's counters: cycle, time, instret
        return [m.group(0) for m in re.finditer(r"^\s*(\w+) = (0x[0-9a-f]+|\{[^}]*\})", text, re.M)
                if m.group(1) not in ("cycle", "time", "instret")]
    assert len(register_values(before)) > 30
    assert register_values(before) == register_values(after), kind


def test_no_writable_executable_mapping(remote):
    """The debuggee's own /proc/self/maps (qemu-user emulates it with the guest's
    mappings), written to its standard output by an evaluation: the stub's output, or
    LLDB's (lldb-server forwards it)."""
    kind, blocks, output = remote
    assert parse_result(dict(blocks)[f"jit-eval {MAPS}"]) == ("int", "1"), kind
    output += "\n".join(out for _, out in blocks)
    perms = [line.split()[1] for line in output.splitlines()
             if re.match(r"^[0-9a-f]+-[0-9a-f]+ [r-][w-][x-]p ", line)]
    assert "r-xp" in perms and "rw-p" in perms, (kind, output[-2000:])
    assert not [p for p in perms if "w" in p and "x" in p], (kind, perms)


AARCH64_CASES = [   # (command, what the output must contain)
    ("jit-eval $sp % 16", "(unsigned long) $0 = 0"),
    ("jit-eval $pc > (unsigned long)compute && $pc < (unsigned long)compute + 400", "(int) $1 = 1"),
    ("jit-eval $x0 = 1234", "(unsigned long) $2 = 1234"),
    ("register read x0", "x0 = 0x00000000000004d2"),
    ("jit-eval int z = 0; 7 / z", "(int) $3 = 0"),           # sdiv: no trap on AArch64
    ("jit-eval int m = -2147483647 - 1; m / -1", "(int) $4 = -2147483648"),
    ("jit-eval (int)(char)200", "(int) $5 = 200"),            # plain char is unsigned
    ("jit-eval letter", "(char) $6 = 'J'"),
    ("jit-eval int $v = 7", ""),
    ("jit-eval $v * 6", "(int) $7 = 42"),
    ("breakpoint set -n add", "Breakpoint 2"),
    ("jit-eval -i false -- add(20, 22)", "--abandon"),
    ("bt", "values`add"),
    ("jit-eval --abandon", "back as it was"),
    ("jit-eval add(20, 22)", "(int) $8 = 42"),               # breakpoints ignored by default
    ("jit-eval -u false -- *null_ptr", "SIGSEGV"),
    ("jit-eval --abandon", "back as it was"),
    # the same on the machine (interpreted above: only the IR's model of it was checked)
    ("jit-eval --interpret false -- int z = 0; 7 / z", "(int) $9 = 0"),
    ("jit-eval --interpret false -- int m = -2147483647 - 1; m / -1", "(int) $10 = -2147483648"),
]


def test_aarch64_registers_semantics_breakpoints(aarch64_exe):
    """What is AArch64's own: register names, division, plain char; a breakpoint in
    called code and a crash left to inspect, then abandoned."""
    with stub("qemu-aarch64", aarch64_exe) as (connect, _):
        blocks = batch(aarch64_exe, [REGS] + [c for c, _ in AARCH64_CASES] + [REGS],
                       connect=connect, source="values.c")
    for (command, expected), (ran, out) in zip(AARCH64_CASES, blocks[1:-1]):
        assert ran == command and expected in out, (command, out)
        assert "Traceback" not in out and "internal error" not in out


RISCV64_CASES = [   # (command, what the output must contain)
    ("jit-eval $sp % 16", "(unsigned long) $0 = 0"),
    ("jit-eval $pc > (unsigned long)compute && $pc < (unsigned long)compute + 400", "(int) $1 = 1"),
    ("jit-eval $a0 = 1234", "(unsigned long) $2 = 1234"),
    ("register read a0", "a0 = 0x00000000000004d2"),
    ("jit-eval int z = 0; 7 / z", "(int) $3 = -1"),          # div: all ones, no trap
    ("jit-eval int z = 0; 7 % z", "(int) $4 = 7"),           # rem: the dividend
    ("jit-eval unsigned z = 0; 7u / z", "(unsigned int) $5 = 4294967295"),
    ("jit-eval int m = -2147483647 - 1; m / -1", "(int) $6 = -2147483648"),
    ("jit-eval (int)(char)200", "(int) $7 = 200"),            # plain char is unsigned
    ("jit-eval double n = 0.0 / 0.0; (int)n", "(int) $8 = 2147483647"),   # fcvt.w: NaN
    ("jit-eval double d = 300.5; (unsigned char)d", "(unsigned char) $9 = ','"),  # 44
    ("jit-eval double d = -1e30; (long)d", "(long) $10 = -9223372036854775808"),
    ("jit-eval letter", "(char) $11 = 'J'"),
    ("jit-eval int $v = 7", ""),
    ("jit-eval $v * 6", "(int) $12 = 42"),
    ("breakpoint set -n add", "Breakpoint 2"),
    ("jit-eval -i false -- add(20, 22)", "--abandon"),
    ("bt", "values`add"),
    ("jit-eval --abandon", "back as it was"),
    ("jit-eval add(20, 22)", "(int) $13 = 42"),               # breakpoints ignored by default
    ("jit-eval -u false -- *null_ptr", "SIGSEGV"),
    ("jit-eval --abandon", "back as it was"),
    # the same on the machine (interpreted above: only the IR's model of it was checked)
    ("jit-eval --interpret false -- int z = 0; 7 / z", "(int) $14 = -1"),
    ("jit-eval --interpret false -- int z = 0; 7 % z", "(int) $15 = 7"),
    ("jit-eval --interpret false -- unsigned z = 0; 7u / z", "(unsigned int) $16 = 4294967295"),
    ("jit-eval --interpret false -- int m = -2147483647 - 1; m / -1", "(int) $17 = -2147483648"),
    ("jit-eval --interpret false -- double n = 0.0 / 0.0; (int)n", "(int) $18 = 2147483647"),
    ("jit-eval --interpret false -- double d = 300.5; (unsigned char)d",
     "(unsigned char) $19 = ','"),
    ("jit-eval --interpret false -- double d = -1e30; (long)d",
     "(long) $20 = -9223372036854775808"),
]


def test_riscv64_registers_semantics_breakpoints(riscv64_exe):
    """What is RISC-V's own: register names, division by zero without a trap, fcvt's
    saturation and NaN, plain char; a breakpoint in called code and a crash left to
    inspect, then abandoned."""
    with stub("qemu-riscv64", riscv64_exe) as (connect, _):
        blocks = batch(riscv64_exe, [REGS] + [c for c, _ in RISCV64_CASES] + [REGS],
                       connect=connect, source="values.c")
    for (command, expected), (ran, out) in zip(RISCV64_CASES, blocks[1:-1]):
        assert ran == command and expected in out, (command, out)
        assert "Traceback" not in out and "internal error" not in out


@pytest.mark.parametrize("kind", ["gdbserver", "qemu-aarch64", "qemu-riscv64"])
def test_ctrl_c_interrupts_an_evaluation_on_a_stub(kind, values_exe, tmp_path_factory):
    exe = cross_exe(tmp_path_factory, kind[5:]) if kind.startswith("qemu-") else values_exe
    with stub(kind, exe) as (connect, _), \
            interactive(exe, connect=[connect], run="continue") as child:
        child.sendline("jit-eval -t 0 -- int i = 0; while (1) i++; i")
        time.sleep(1.0)
        child.sendintr()
        child.expect(r"error: the expression was interrupted")
        child.expect_exact(PROMPT_JIT)
        child.sendline("jit-eval local + 1")
        child.expect(r"\(int\) \$\d+ = 11")
        child.expect_exact(PROMPT_JIT)
