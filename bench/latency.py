"""Warm latency of `jit-eval` against LLDB's own `expression`, in one lldb session,
alternating on the same expressions; and where jit-eval's time goes, stage by stage.

    make bench            (or: .venv/bin/python bench/latency.py [REPEAT])

Not a test: figures on a shared machine are noisy; read the medians.
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import lldb_for_pwndbg

os.environ.setdefault("LLDB_DEBUGSERVER_PATH", str(
    Path(lldb_for_pwndbg.__file__).parent / "_vendor" / "bin" / "lldb-server"))
import lldb  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXPRESSIONS = ["counter + 1", "pt->y * scale", "add(counter, 1)",
               "primes[4] * 3 + (counter > 40 ? 100 : 0)", "norm2(pt) + local"]
STAGES = ("parse", "irgen", "compile", "link", "load", "run", "report")


def main(repeat: int) -> None:
    exe = Path(tempfile.mkdtemp()) / "sample"
    subprocess.run(["gcc", "-g", "-O0", "-o", str(exe), str(ROOT / "examples" / "sample.c")],
                   check=True)
    debugger = lldb.SBDebugger.Create()
    debugger.SetAsync(False)
    ci = debugger.GetCommandInterpreter()

    def run(command: str) -> tuple[float, str]:
        result = lldb.SBCommandReturnObject()
        start = time.perf_counter()
        ci.HandleCommand(command, result)
        elapsed = time.perf_counter() - start
        if not result.Succeeded():
            raise SystemExit(f"{command}: {result.GetError()}")
        return elapsed, result.GetOutput()

    run("command script import lldb_jit")
    run(f"target create {exe}")
    run('breakpoint set -p "break here" -f sample.c')
    run("run")
    print(f"{'expression':44} {'jit-eval':>9} {'no cache':>9} {'expression':>11} {'ratio':>6}")
    stage_times: dict[str, list[float]] = {s: [] for s in STAGES}
    for expr in EXPRESSIONS:
        ours, cold, theirs = [], [], []
        for _ in range(3):   # warm up both
            run(f"jit-eval -- {expr}")
            run(f"expression -- {expr}")
        for _ in range(repeat):
            ours.append(run(f"jit-eval -- {expr}")[0])
            theirs.append(run(f"expression -- {expr}")[0])
            elapsed, out = run(f"jit-eval --no-cache --time -- {expr}")
            cold.append(elapsed)
            for stage, ms in re.findall(r"(\w+) ([\d.]+)", out.split("time (ms):")[1]):
                if stage in stage_times:
                    stage_times[stage].append(float(ms))
        m_ours, m_cold, m_theirs = (statistics.median(x) * 1e3 for x in (ours, cold, theirs))
        print(f"{expr:44} {m_ours:7.2f}ms {m_cold:7.2f}ms {m_theirs:9.2f}ms "
              f"{m_ours / m_theirs:5.2f}x")
    print("\njit-eval --no-cache, median per stage (ms): " + ", ".join(
        f"{s} {statistics.median(v):.2f}" for s, v in stage_times.items() if v))
    run("process kill")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
