"""The interpreter against the machine, on random C: each random read-only expression
over values.c's variables is evaluated interpreted (lldb_jit/interpret.py) and run as
code (`--interpret false`); both must print the same value, or fail the same way (a
signal, an error). LLDB_JIT_IFUZZ=N expressions (default 150), LLDB_JIT_IFUZZ_SEED=S."""
from __future__ import annotations

import os
import random
import re

from lldbrun import batch

INTS = ["counter", "byte", "small", "usmall", "big", "ubig", "llv", "fixed", "ufixed",
        "letter", "primes[2]", "grid[1][2]", "origin.x", "n2.value", "head->next->value",
        "fl.a", "fl.b", "fl.c", "pk.i", "pk.s", "favourite", "local", "larr[3]", "lus",
        "*lptr", "lp.x", "pp->x", "param", "name[1]", "(int)sizeof(origin)"]
FLOATS = ["scale", "ratio", "origin.y", "points[1].y", "dlocal", "dparam", "lp.y"]
LITERALS = ["0", "1", "-1", "7", "3u", "255", "-128", "2147483647", "0x80000000",
            "4294967295u", "9223372036854775807L", "1.5", "-0.25", "1e10", "0.0", "3.0f"]
CASTS = ["(char)", "(unsigned char)", "(short)", "(unsigned short)", "(int)", "(unsigned)",
         "(long)", "(unsigned long)", "(float)", "(double)", "(_Bool)", "(signed char)"]
BINARY = ["+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "<", "<=", ">", ">=", "==",
          "!=", "&&", "||"]


def expression(rng: random.Random, depth: int, leaves: list[str] = INTS * 3 + FLOATS + LITERALS) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(leaves)
    kind = rng.random()
    a = expression(rng, depth - 1, leaves)
    if kind < 0.5:
        b = expression(rng, depth - 1, leaves)
        return f"({a} {rng.choice(BINARY)} {b})"
    if kind < 0.7:
        return f"{rng.choice(CASTS)}({a})"
    if kind < 0.8:
        return f"{rng.choice(['-', '~', '!'])}({a})"
    if kind < 0.9:
        b, c = expression(rng, depth - 1, leaves), expression(rng, depth - 1, leaves)
        return f"({a} ? {b} : {c})"
    return f"primes[({a}) & 3]"


# Statement lists whose locals live in the interpreter's slots and whose loops give its
# blocks' phis: a random expression of the loop's `i` in each body
LOOPS = [
    "int s = 0; for (int i = 0; i < {n}; i++) s += (int)({e}); s",
    "long acc = 1; int i = {n}; while (i-- > 0) acc = acc * 3 + (long)({e}); acc",
    "unsigned h = 2166136261u; int i = 0; do h = (h ^ (unsigned)({e})) * 16777619u; "
    "while (++i < {n}); h",
    "double d = 0; for (int i = {n}; i > 0; i -= 2) {{ if (({e}) > i) d += i; "
    "else d -= 0.5; }} d",
    "int c = 0; for (int i = 0; i < {n}; i++) {{ if (!({e})) continue; c++; "
    "if (c > 3) break; }} c",
]
LOOP_LEAVES = INTS + FLOATS + LITERALS + ["i"] * 12 + ["(i * 7)", "(i - 3)", "primes[i & 3]"]


TIMES = re.compile(r"^time \(ms\): .*$", re.M)


def outcome(text: str) -> str:
    """What the evaluation printed, without the result's number (each has its own $N),
    addresses where code ran (the trampoline's PC in a crash report) or its times."""
    text = re.sub(r"\$\d+", "$N", TIMES.sub("", text).strip())
    return re.sub(r"0x[0-9a-f]{6,}", "0xADDR", text)


def test_interpreted_equals_run(values_exe):
    seed = int(os.environ.get("LLDB_JIT_IFUZZ_SEED", "20261123"))
    rng = random.Random(seed)
    exprs = [expression(rng, rng.randint(1, 4))
             for _ in range(int(os.environ.get("LLDB_JIT_IFUZZ", "150")))]
    compare(values_exe, exprs, seed)


def test_interpreted_loops_equal_run(values_exe):
    seed = int(os.environ.get("LLDB_JIT_IFUZZ_SEED", "20261123"))
    rng = random.Random(seed)
    exprs = [rng.choice(LOOPS).format(n=rng.randint(0, 9),
                                      e=expression(rng, rng.randint(1, 3), LOOP_LEAVES))
             for _ in range(int(os.environ.get("LLDB_JIT_IFUZZ", "150")) // 2)]
    compare(values_exe, exprs, seed)


def compare(exe, exprs: list[str], seed: int) -> None:
    commands = ["jit-eval 0"]          # maps the results' memory: nothing to compare
    for e in exprs:
        commands += [f"jit-eval --time -- {e}", f"jit-eval --interpret false -- {e}"]
    out = [o for _, o in batch(exe, commands)][1:]
    mismatches = [(e, out[2 * i], out[2 * i + 1]) for i, e in enumerate(exprs)
                  if outcome(out[2 * i]) != outcome(out[2 * i + 1])]
    assert not mismatches, (seed, mismatches[:5])
    # the table must exercise the interpreter, not only errors nor code it gave up on
    # (its times would then name a compile)
    interpreted = [o for o in out[::2] if "$N" in outcome(o) and "compile" not in o]
    assert len(interpreted) > len(exprs) // 2, (len(interpreted), len(exprs))
