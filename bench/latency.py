"""Latency of `jit-eval` against LLDB's own `expression`, in one lldb session,
alternating on the same expressions; where jit-eval's time goes, stage by stage; the
floor for running code at all (a bare resume/stop round trip, measured in the same
session); gdb-remote packets per evaluation; and, in fresh processes, the time to
import the plugin and of the first evaluation against LLDB's first `expression`.

    make bench            (or: .venv/bin/python bench/latency.py [REPEAT])

Not a test: figures on a shared machine are noisy; read the medians.
"""
from __future__ import annotations

import os
import re
import shutil
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
EXPRESSIONS = ["counter + 1", "pt->y * scale",
               "primes[4] * 3 + (counter > 40 ? 100 : 0)",
               "int s = 0; for (int i = 0; i < 5; i++) s += primes[i] * i; s",
               "add(counter, 1)", "norm2(pt) + local"]
STAGES = ("parse", "irgen", "compile", "link", "load", "run", "report")
FRESH_RUNS = 5
# 10^8 turns of a loop: its code must stay optimized (native speed)
LOOP = "long s = 0; for (long i = 0; i < 100000000; i++) s += i ^ (s >> 3); s"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


SAMPLE_STOP = ('breakpoint set -p "break here" -f sample.c', "run")


class Session:
    """One debugger stopped at the sample's `break here` (or where the `stop` commands
    stop `exe`), commands timed in-process."""

    def __init__(self, exe: Path, log: Path | None = None, plugin: bool = True,
                 stop: tuple[str, ...] = SAMPLE_STOP):
        self.debugger = lldb.SBDebugger.Create()
        self.debugger.SetAsync(False)
        self.ci = self.debugger.GetCommandInterpreter()
        self.log = log
        if log:
            self.run(f"log enable -f {log} gdb-remote packets")
        if plugin:
            self.run("command script import lldb_jit")
            self.run(f"command script import {ROOT / 'bench' / 'floorcmd.py'}")
        self.run(f"target create {exe}")
        for command in stop:
            self.run(command)
        self.process = self.debugger.GetSelectedTarget().GetProcess()

    def run(self, command: str) -> tuple[float, str]:
        result = lldb.SBCommandReturnObject()
        start = time.perf_counter()
        self.ci.HandleCommand(command, result)
        elapsed = time.perf_counter() - start
        if not result.Succeeded():
            raise SystemExit(f"{command}: {result.GetError()}")
        return elapsed, result.GetOutput()

    def packets(self, command: str) -> int:
        """gdb-remote packets LLDB sends while running `command`."""
        start = self.log.stat().st_size
        self.run(command)
        with open(self.log, "rb") as f:
            f.seek(start)
            return f.read().count(b"send packet:")

    def floor(self, repeat: int, warmup: int = 5) -> list[float]:
        """The bare round trip: SetPC to an `int3`, Continue, the stop, SetPC back
        (through a fresh frame 0, as after any stop)."""
        return [self.round_trip() for _ in range(repeat + warmup)][warmup:]

    def round_trip(self) -> float:
        thread = self.process.GetSelectedThread()
        if not hasattr(self, "page"):
            error = lldb.SBError()
            self.page = self.process.AllocateMemory(
                4096, lldb.ePermissionsReadable | lldb.ePermissionsExecutable, error)
            if error.Fail():
                raise SystemExit(f"cannot allocate memory for the floor: {error}")
            self.process.WriteMemory(self.page, b"\xcc" * 16, error)
        pc = thread.GetFrameAtIndex(0).GetPC()
        start = time.perf_counter()
        thread.GetFrameAtIndex(0).SetPC(self.page)
        self.process.Continue()
        frame = thread.GetFrameAtIndex(0)
        if frame.GetPC() not in (self.page, self.page + 1):
            raise SystemExit(f"the floor's int3 did not stop the thread: {frame}")
        frame.SetPC(pc)
        return time.perf_counter() - start


def warm(session: Session, repeat: int) -> list[dict]:
    rows = []
    for expr in EXPRESSIONS:
        ours, theirs, cold, run_warm, floor_cmd = [], [], [], [], []
        stages: dict[str, list[float]] = {s: [] for s in STAGES}
        for _ in range(3):   # warm up both
            session.run(f"jit-eval -- {expr}")
            session.run(f"expression -- {expr}")
        for _ in range(repeat):
            ours.append(session.run(f"jit-eval -- {expr}")[0])
            theirs.append(session.run(f"expression -- {expr}")[0])
            elapsed, out = session.run(f"jit-eval --no-cache --time -- {expr}")
            cold.append(elapsed)
            for stage, t in re.findall(r"(\w+) ([\d.]+)", out.split("time (ms):")[1]):
                if stage in stages:
                    stages[stage].append(float(t) / 1e3)
            _, out = session.run(f"jit-eval --time -- {expr}")
            run_warm.append(float(re.search(r"run ([\d.]+)", out).group(1)) / 1e3)
            session.run(f"expression -- {expr}")
            floor_cmd.append(session.run("result-floor")[0])
        rows.append({"expr": expr, "ours": statistics.median(ours),
                     "theirs": statistics.median(theirs), "cold": statistics.median(cold),
                     "run": statistics.median(run_warm),
                     "result floor": statistics.median(floor_cmd),
                     "stages": {s: statistics.median(v) for s, v in stages.items() if v}})
    return rows


def between_ratio(row: dict, between: float) -> str:
    return f"{row['run between'] / between:.2f}" if "run between" in row else "-"


def alternating(session: Session, rows: list[dict], repeat: int,
                floor: float) -> list[float]:
    """For the rows whose code ran (calls): their run stage again, each evaluation
    followed by a bare round trip, so both are taken in the same conditions (after a
    stop, the machine as busy); sets row["run between"], returns the round trips.
    The round trip is a stop jit-eval did not make: the first call after it looks at
    the thread anew (two packets, as after any stop), so an evaluation that is not
    timed comes first."""
    trips = []
    for row in rows:
        if row["run"] < 0.5 * floor:
            continue                        # interpreted: no code ran
        runs = []
        for _ in range(repeat):
            session.run(f"jit-eval -- {row['expr']}")
            _, out = session.run(f"jit-eval --time -- {row['expr']}")
            runs.append(float(re.search(r"run ([\d.]+)", out).group(1)) / 1e3)
            trips.append(session.round_trip())
        row["run between"] = statistics.median(runs)
    return trips


FRESH = r"""
import os, sys, time
from pathlib import Path
import lldb_for_pwndbg
os.environ.setdefault("LLDB_DEBUGSERVER_PATH", str(
    Path(lldb_for_pwndbg.__file__).parent / "_vendor" / "bin" / "lldb-server"))
import lldb
exe, command, plugin, stop = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
d = lldb.SBDebugger.Create(); d.SetAsync(False); ci = d.GetCommandInterpreter()
def run(c):
    r = lldb.SBCommandReturnObject(); t = time.perf_counter(); ci.HandleCommand(c, r)
    t = time.perf_counter() - t
    if not r.Succeeded(): raise SystemExit(c + ": " + r.GetError())
    return t
imported = run("command script import lldb_jit") if plugin else 0.0
run("target create " + exe)
for c in stop:
    run(c)
print(imported, run(command))
"""


def fresh(exe: Path, expr: str = "counter + 1", stop: tuple[str, ...] = SAMPLE_STOP,
          runs: int = FRESH_RUNS) -> dict[str, float]:
    """Medians over fresh processes: importing the plugin (first, as an lldbinit
    does), the first `jit-eval` once the program stopped, LLDB's first `expression`
    at the same place in a fresh lldb."""
    out = {"import": [], "first jit-eval": [], "first expression": []}
    for _ in range(runs):
        for command, plugin in ((f"jit-eval -- {expr}", "1"), (f"expression -- {expr}", "0")):
            done = subprocess.run([sys.executable, "-c", FRESH, str(exe), command, plugin,
                                   *stop], capture_output=True, text=True, check=True)
            imported, first = map(float, done.stdout.split()[-2:])
            if plugin == "1":
                out["import"].append(imported)
                out["first jit-eval"].append(first)
            else:
                out["first expression"].append(first)
    return {k: statistics.median(v) for k, v in out.items()}


def main(repeat: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    exe = tmp / "sample"
    subprocess.run(["gcc", "-g", "-O0", "-o", str(exe), str(ROOT / "examples" / "sample.c")],
                   check=True)
    session = Session(exe)
    floor = session.floor(repeat * 2)
    rows = warm(session, repeat)
    floor += session.floor(repeat * 2)
    floor_ms = statistics.median(floor)
    between = alternating(session, rows, repeat * 2, floor_ms)
    between_ms = statistics.median(between)
    session.process.DeallocateMemory(session.page)
    loop = [session.run(f"jit-eval -t 0 -- {LOOP}")[0] for _ in range(3)]
    session.run("process kill")

    counting = Session(exe, log=tmp / "packets.log")
    for row in rows:
        for _ in range(3):
            counting.run(f"jit-eval -- {row['expr']}")
            counting.run(f"expression -- {row['expr']}")
        row["packets"] = counting.packets(f"jit-eval -- {row['expr']}")
        row["their packets"] = counting.packets(f"expression -- {row['expr']}")
    counting.run("process kill")

    width = max(len(r["expr"]) for r in rows)
    print(f"{'expression':{width}}  {'jit-eval':>8} {'expression':>10} {'ratio':>6} "
          f"{'uncached':>8} {'$N floor':>8} {'run':>6} {'run/floor':>9} {'/between':>8} "
          f"{'packets':>8}   "
          f"(ms, medians)")
    for r in rows:
        print(f"{r['expr']:{width}}  {ms(r['ours']):>8} {ms(r['theirs']):>10} "
              f"{r['ours'] / r['theirs']:6.2f} {ms(r['cold']):>8} {ms(r['result floor']):>8} "
              f"{ms(r['run']):>6} "
              f"{r['run'] / floor_ms:9.2f} "
              f"{between_ratio(r, between_ms):>8} "
              f"{r['packets']:>4}/{r['their packets']:<3}")
    print(f"\nbare round trip (SetPC to an int3, Continue, stop, SetPC back): "
          f"{ms(floor_ms)} ms median of {len(floor)} back to back (min {ms(min(floor))}); "
          f"{ms(between_ms)} ms median of {len(between)} each right after a call's "
          f"evaluation, against which /between puts the run stage measured then")
    print("packets: jit-eval/expression, one warm evaluation each")
    print("$N floor: after the same `expression`, a Python command that evaluates nothing "
          "and only prints a $N as jit-eval must (bench/floorcmd.py: LLDB's entry into "
          "the command, 4 bytes written, Persist, print)")
    print("\njit-eval --no-cache, median per stage (ms):")
    for r in rows:
        print(f"  {r['expr']:{width}}  " + ", ".join(
            f"{s} {ms(t)}" for s, t in r["stages"].items()))
    print(f"\n10^8-iteration loop ({LOOP}): {ms(min(loop))} ms (best of 3)")
    first = fresh(exe)
    print(f"\nfresh lldb, median of {FRESH_RUNS}: import lldb_jit {ms(first['import'])} ms; "
          f"first jit-eval {ms(first['first jit-eval'])} ms; "
          f"first expression {ms(first['first expression'])} ms")
    real_program(repeat)


# A real program: CPython's debug build (python3-dbg, -Og: `obj` lives in a register)
# stopped in builtin_repr(module, obj) by tests/e2e/programs/corpus_repr.py
L = "((PyListObject *)obj)"
REAL_EXPRESSIONS = ["obj->ob_refcnt", "obj->ob_type->tp_name",
                    f"((PyFloatObject *){L}->ob_item[1])->ob_fval * 4",
                    f"int n = 0; for (int i = 0; i < {L}->ob_base.ob_size; i++) "
                    f"n += {L}->ob_item[i] == &_Py_NoneStruct; n",
                    f"PyLong_AsLong({L}->ob_item[0])"]
REAL_STOP = ("breakpoint set -n builtin_repr", "process launch -- -S -I "
             f"{ROOT / 'tests' / 'e2e' / 'programs' / 'corpus_repr.py'}")


def real_program(repeat: int) -> None:
    python = shutil.which("python3-dbg")
    if python is None:
        print("\n(python3-dbg is not installed: `make system-deps` installs it)")
        return
    session = Session(Path(python), stop=REAL_STOP)
    width = min(max(len(e) for e in REAL_EXPRESSIONS), 60)
    print(f"\npython3-dbg stopped in builtin_repr (ms, medians; first: fresh lldb, "
          f"median of 3)\n{'expression':{width}}  {'jit-eval':>8} {'expression':>10} "
          f"{'ratio':>6} {'uncached':>8} {'/expr':>6} {'first':>6} {'expr':>6}")
    for expr in REAL_EXPRESSIONS:
        ours, theirs, cold = [], [], []
        for _ in range(3):
            session.run(f"jit-eval -- {expr}")
            session.run(f"expression -- {expr}")
        for _ in range(repeat):
            ours.append(session.run(f"jit-eval -- {expr}")[0])
            theirs.append(session.run(f"expression -- {expr}")[0])
            cold.append(session.run(f"jit-eval --no-cache -- {expr}")[0])
        o, t, c = (statistics.median(x) for x in (ours, theirs, cold))
        first = fresh(Path(python), expr, REAL_STOP, runs=3)
        print(f"{expr[:width]:{width}}  {ms(o):>8} {ms(t):>10} {o / t:6.2f} {ms(c):>8} "
              f"{c / t:6.2f} {ms(first['first jit-eval']):>6} "
              f"{ms(first['first expression']):>6}")
    session.run("process kill")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
