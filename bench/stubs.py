"""Warm latency and gdb-remote packets per evaluation of `jit-eval` on each stub
(lldb-server, GNU gdbserver, qemu-aarch64 and qemu-riscv64 with the program built for
that CPU), beside LLDB's own `expression` where LLDB manages it. The stubs run on
loopback.

    .venv/bin/python bench/stubs.py [REPEAT]

Not a test: figures on a shared machine are noisy; read the medians.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lldb_for_pwndbg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
os.environ.setdefault("LLDB_DEBUGSERVER_PATH", str(
    Path(lldb_for_pwndbg.__file__).parent / "_vendor" / "bin" / "lldb-server"))
import lldb  # noqa: E402
from lldbrun import STUBS, cross_build, stub  # noqa: E402

EXPRESSIONS = ["counter + local", "head->next->next->value * 2", "add(counter, 1)",
               "sum8(1, 2, 3, 4, 5, 6, 7, 8)",
               "int s = 0; for (int i = 0; i < 6; i++) s += primes[i]; s"]


def packets(run, command: str, log: Path) -> int:
    """Packets LLDB sends for one `command` (its packet log, less the history LLDB
    dumps when the log is enabled)."""
    log.unlink(missing_ok=True)
    run(f"log enable -f {log} gdb-remote packets")
    run(command)
    run("log disable gdb-remote packets")
    return sum(1 for line in log.read_text(errors="replace").splitlines()
               if "send packet:" in line and "history[" not in line and not line.endswith(": +"))


def bench(kind: str, exe: Path, repeat: int, work: Path) -> None:
    debugger = lldb.SBDebugger.Create()
    debugger.SetAsync(False)
    ci = debugger.GetCommandInterpreter()

    def run(command: str) -> tuple[float, bool]:
        result = lldb.SBCommandReturnObject()
        start = time.perf_counter()
        ci.HandleCommand(command, result)
        return time.perf_counter() - start, result.Succeeded()

    with stub(kind, exe) as (connect, _):
        for command in ("command script import lldb_jit", f"target create {exe}", connect,
                        'breakpoint set -p "break here" -f values.c', "continue"):
            run(command)
        print(f"\n{kind}: {'expression':40} {'jit-eval':>9} {'packets':>8} {'uncached':>9}"
              f" {'packets':>8} {'expression':>11}")
        for expr in EXPRESSIONS:
            for _ in range(3):
                run(f"jit-eval -- {expr}")
                run(f"expression -- {expr}")
            ours, cold, theirs, theirs_ok = [], [], [], True
            for _ in range(repeat):
                ours.append(run(f"jit-eval -- {expr}")[0])
                cold.append(run(f"jit-eval --no-cache -- {expr}")[0])
                elapsed, ok = run(f"expression -- {expr}")
                theirs.append(elapsed)
                theirs_ok &= ok
            warm_packets = packets(run, f"jit-eval -- {expr}", work / "packets.log")
            cold_packets = packets(run, f"jit-eval --no-cache -- {expr}", work / "packets.log")
            theirs_text = f"{statistics.median(theirs) * 1e3:9.2f}ms" if theirs_ok else "   fails"
            print(f"{'':{len(kind) + 2}}{expr[:40]:40} {statistics.median(ours) * 1e3:7.2f}ms "
                  f"{warm_packets:8} {statistics.median(cold) * 1e3:7.2f}ms {cold_packets:8} "
                  f"{theirs_text:>11}")
        run("process kill")
    lldb.SBDebugger.Destroy(debugger)


def main(repeat: int) -> None:
    work = Path(tempfile.mkdtemp())
    source = ROOT / "tests" / "e2e" / "programs" / "values.c"
    native = work / "values"
    subprocess.run(["gcc", "-g", "-O0", "-o", str(native), str(source)], check=True)
    for kind in STUBS:
        exe = native
        if kind.startswith("qemu-"):     # the program built for that CPU
            (work / kind).mkdir()
            exe = cross_build(source, work / kind, kind[len("qemu-"):])
        bench(kind, exe, repeat, work)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
