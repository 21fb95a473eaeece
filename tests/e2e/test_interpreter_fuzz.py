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


def expression(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(INTS * 3 + FLOATS + LITERALS)
    kind = rng.random()
    a = expression(rng, depth - 1)
    if kind < 0.5:
        b = expression(rng, depth - 1)
        return f"({a} {rng.choice(BINARY)} {b})"
    if kind < 0.7:
        return f"{rng.choice(CASTS)}({a})"
    if kind < 0.8:
        return f"{rng.choice(['-', '~', '!'])}({a})"
    if kind < 0.9:
        b, c = expression(rng, depth - 1), expression(rng, depth - 1)
        return f"({a} ? {b} : {c})"
    return f"primes[({a}) & 3]"


def outcome(text: str) -> str:
    """What the evaluation printed, without the result's number (each has its own $N)
    or addresses where code ran (the trampoline's PC in a crash report)."""
    text = re.sub(r"\$\d+", "$N", text.strip())
    return re.sub(r"0x[0-9a-f]{6,}", "0xADDR", text)


def test_interpreted_equals_run(values_exe):
    seed = int(os.environ.get("LLDB_JIT_IFUZZ_SEED", "20261123"))
    rng = random.Random(seed)
    exprs = [expression(rng, rng.randint(1, 4))
             for _ in range(int(os.environ.get("LLDB_JIT_IFUZZ", "150")))]
    commands = ["jit-eval 0"]          # maps the results' memory: nothing to compare
    for e in exprs:
        commands += [f"jit-eval -- {e}", f"jit-eval --interpret false -- {e}"]
    out = [o for _, o in batch(values_exe, commands)][1:]
    mismatches = [(e, out[2 * i], out[2 * i + 1]) for i, e in enumerate(exprs)
                  if outcome(out[2 * i]) != outcome(out[2 * i + 1])]
    assert not mismatches, (seed, mismatches[:5])
    # the table must exercise the interpreter, not only errors
    assert sum(1 for o in out[::2] if "$N" in outcome(o)) > len(exprs) // 2
