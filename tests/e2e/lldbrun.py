"""Driving a real LLDB for the end-to-end tests: `lldb -b` with a command file, the
output split per command; debuggees compiled by gcc in the test run."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pexpect

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LLDB = str(Path(sys.executable).parent / "lldb")
PROMPT = "(lldb) "
# Read-only code runs in the debuggee instead of being interpreted: a test of the machine
# code's path says so, and a table of values runs both ways (MODES)
AS_CODE = "--interpret false -- "
MODES, MODE_IDS = ["", AS_CODE], ["default", "code"]
RESULT = re.compile(r"^\((?P<type>.*?)\) \$\d+ = (?P<value>.*)$", re.S)
# The status of a thread that `thread select` made the selected one: LLDB prints it from
# its event thread, so in a batch it lands after a later command's output (on a loaded
# machine, after more than one): its frame line and source lines are not the value's
THREAD_STATUS = re.compile(r"^\* thread #\d+.*(?:\n[ \t]+frame #.*)?(?:\n(?:->)? *\d* *\t.*)*",
                           re.M)


def build(source: Path, out_dir: Path, *flags: str) -> Path:
    exe = out_dir / source.stem
    subprocess.run(["gcc", "-g", "-O0", *flags, "-o", str(exe), str(source)], check=True)
    return exe


def build_library(source: Path, out_dir: Path) -> Path:
    """`source` as the shared library lib<stem>.so in `out_dir`."""
    lib = out_dir / f"lib{source.stem}.so"
    subprocess.run(["gcc", "-g", "-O0", "-shared", "-fPIC", "-o", str(lib), str(source)],
                   check=True)
    return lib


def cross_build(source: Path, out_dir: Path, cpu: str, *flags: str) -> Path:
    """`source` built -static by `cpu`'s Debian cross compiler, for qemu-`cpu`."""
    import pytest
    for tool in (f"{cpu}-linux-gnu-gcc", f"qemu-{cpu}"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: `make system-deps` installs it")
    exe = out_dir / source.stem
    subprocess.run([f"{cpu}-linux-gnu-gcc", "-g", "-O0", "-static", *flags, "-o", str(exe),
                    str(source)], check=True)
    return exe


def batch(exe: Path, commands: list[str], stop_at: str | None = "break here",
          timeout: float = 120, connect: str | None = None,
          source: str | None = None) -> list[tuple[str, str]]:
    """Run `commands` in one lldb session stopped at the line holding `stop_at`
    (in `source`, by default the executable's name with .c); returns (command,
    output) for each command, in order. With `connect` (a `gdb-remote` command) the
    process is a stub's, continued to the stop instead of run."""
    script = ["command script import lldb_jit"]
    if connect:
        script.append(connect)
    if stop_at:
        script += [f'breakpoint set -p "{stop_at}" -f {source or exe.name + ".c"}',
                   "continue" if connect else "run"]
    script += commands
    cmdfile = exe.parent / f"{exe.name}.{os.getpid()}.lldb"
    cmdfile.write_text("\n".join(script) + "\n")
    # the setting must come before the file is sourced, or the first error ends it
    proc = subprocess.run([LLDB, "--no-lldbinit", "--no-use-colors", "-b",
                           "-O", "settings set interpreter.stop-command-source-on-error false",
                           "-s", str(cmdfile), str(exe)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, cwd=exe.parent)
    blocks = split_transcript(proc.stdout, script)
    return blocks[len(script) - len(commands):]


def split_transcript(text: str, script: list[str]) -> list[tuple[str, str]]:
    """Cut lldb's echo of each command and what follows it, in order."""
    blocks, rest = [], text
    for i, command in enumerate(script):
        marker = PROMPT + command
        start = rest.find(marker)
        if start < 0:
            blocks.append((command, "<command not echoed>"))
            continue
        rest = rest[start + len(marker):]
        end = len(rest)
        if i + 1 < len(script):
            nxt = rest.find(PROMPT + script[i + 1])
            end = nxt if nxt >= 0 else end
        blocks.append((command, rest[:end].strip("\n")))
    return blocks


def packets_sent(exe: Path, before: list[str], commands: list[str], log: Path) -> tuple[
        list[tuple[str, str]], list[str]]:
    """Run `before`, then `commands` with LLDB's gdb-remote packets logged to `log`:
    the outputs of all, and the packets LLDB sent for `commands` (without their `$`)."""
    blocks = batch(exe, before + [f"log enable -f {log} gdb-remote packets",
                                  "process plugin packet send qJitMarker"] + commands +
                   ["log disable gdb-remote packets"])
    text = log.read_text(errors="replace")    # (LLDB may first dump its packet history)
    after = text[text.rindex("send packet: $qJitMarker"):].splitlines()[1:]
    sent = [line.split("send packet: $", 1)[1] for line in after if "send packet: $" in line]
    return blocks[:len(before)] + blocks[len(before) + 2:-1], sent


def parse_result(output: str) -> tuple[str, str] | None:
    """(type, value) of a `(TYPE) $N = VALUE` line, None if there is none."""
    output = THREAD_STATUS.sub("", output).strip("\n")
    for line_start in range(len(output.splitlines())):
        text = "\n".join(output.splitlines()[line_start:])
        m = RESULT.match(text)
        if m:
            return m.group("type"), m.group("value").strip()
    return None


PROMPT_JIT = "(jit) "


@contextlib.contextmanager
def interactive(exe: Path, connect: list[str] = (), run: str = "run"):
    """An interactive lldb (pexpect) on `exe`, stopped at the "break here" line, with a
    unique prompt; killed whatever happens. `connect` commands come before `run`."""
    child = pexpect.spawn(LLDB, ["--no-lldbinit", "--no-use-colors", str(exe)],
                          encoding="utf-8", timeout=30, cwd=str(exe.parent))
    try:
        child.expect_exact(PROMPT)
        child.sendline(f"settings set prompt '{PROMPT_JIT}'")
        child.expect_exact(PROMPT_JIT)
        for command in ["settings set show-statusline false", "command script import lldb_jit",
                        f'breakpoint set -p "break here" -f {exe.name}.c', *connect, run]:
            child.sendline(command)
            child.expect_exact(PROMPT_JIT)
        child.expect("stop reason = breakpoint")   # `run` gives the prompt back at once
        child.expect_exact(PROMPT_JIT)
        yield child
        assert "Traceback" not in child.before
    finally:
        if child.isalive():     # kill the debuggee first: it would outlive a killed lldb
            child.sendline("process kill")
            child.expect([PROMPT_JIT, pexpect.EOF, pexpect.TIMEOUT], timeout=5)
        child.close(force=True)


STUBS = ("lldb-server", "gdbserver", "qemu-aarch64", "qemu-riscv64")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def stub(kind: str, exe: Path):
    """A gdb-remote stub of `kind` serving `exe` on a loopback port: yields the
    `gdb-remote` command and the file collecting the debuggee's output. The stub and
    its debuggee are killed (as a process group) whatever happens."""
    import lldb_for_pwndbg
    server = Path(lldb_for_pwndbg.__file__).parent / "_vendor" / "bin" / "lldb-server"
    port = free_port()
    argv = {"lldb-server": [str(server), "gdbserver", f"127.0.0.1:{port}", str(exe)],
            "gdbserver": ["gdbserver", f"127.0.0.1:{port}", str(exe)],
            "qemu-aarch64": ["qemu-aarch64", "-g", str(port), str(exe)],
            "qemu-riscv64": ["qemu-riscv64", "-g", str(port), str(exe)]}[kind]
    output = exe.parent / f"{exe.name}.{kind}.{port}.out"
    with open(output, "w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=exe.parent)
    try:
        deadline = time.monotonic() + 10
        while not _listening(port) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        yield f"gdb-remote 127.0.0.1:{port}", output
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _listening(port: int) -> bool:
    """Something listens on 127.0.0.1:`port` (probing with a connection would use up
    a stub that serves one)."""
    tables = [Path(t).read_text() for t in ("/proc/net/tcp", "/proc/net/tcp6") if Path(t).exists()]
    return any(f.split()[1].endswith(f":{port:04X}") and f.split()[3] == "0A"
               for table in tables for f in table.splitlines()[1:])
