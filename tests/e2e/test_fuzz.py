"""Random input through the whole command in a live session: never a traceback, never
an internal error, never a hang, and the debuggee as it was (the inputs assign nothing,
so any change would be ours)."""
from __future__ import annotations

import os
import random

from lldbrun import batch, parse_result
from test_robustness import run_between_state

TOKENS = ["local", "data", "zero", "nowhere", "ready", "sum_data()", "divide(", "crash_via(",
          "locked_value", "1", "0", "-1", "2147483647", "0x7f", "1.5", "'a'", '"s"', "(", ")",
          "[", "]", "+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "~", "!", "&&", "||",
          "==", "<", ">=", "?", ":", ",", ".", "->", "sizeof", "(int)", "(char *)",
          "(struct nope *)", "int", "$0", "$zz", "{", "}", ";", "if", "while", "for", "return",
          "nosuch_t", "(nosuch_t)", "_Atomic", "volatile", "restrict", "::", "'f.c'::",
          "main::", "(_Atomic(int))", "NULL"]
# type names, known and unknown, for random declarations, casts and compound literals
TYPE_NAMES = ["int", "nosuch_t", "struct nope", "struct nope *", "_Atomic(int)",
              "_Atomic(nosuch_t)", "volatile int *", "const char *restrict", "int[2]",
              "int[]", "_Atomic long", "union u", "enum e", "size_t", "void", "char (*)(int)",
              "struct nope[3]", "_Atomic(struct nope)", "int *volatile const"]
OPERANDS = ["0", "local", "data", "zero", "1.5", '"s"', "{1, 2}", "(1)", "sum_data()", "-1"]


def random_inputs(rng: random.Random, count: int) -> list[str]:
    makers = [
        lambda: " ".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 12))),
        lambda: "".join(chr(rng.randint(32, 126)) for _ in range(rng.randint(1, 40))),
        lambda: "".join(chr(rng.randint(0xA0, 0x2FFF)) for _ in range(rng.randint(1, 8))),
        lambda: "(" * rng.randint(200, 3000) + "1" + ")" * rng.randint(0, 3000),
        lambda: "+".join(["data[1]"] * rng.randint(100, 5000)),
        lambda: '"' + "y" * rng.randint(1000, 100000) + '"[3]',
        lambda: rng.choice(TOKENS) * rng.randint(1, 400),
        lambda: f"({rng.choice(TYPE_NAMES)}){rng.choice(OPERANDS)}",
        lambda: f"({rng.choice(TYPE_NAMES)}){{{rng.choice(OPERANDS)}}}",
        lambda: f"{rng.choice(TYPE_NAMES)} v; sizeof v",
        lambda: f"sizeof({rng.choice(TYPE_NAMES)}) + ({rng.choice(TYPE_NAMES)})local",
    ]
    inputs = []
    for _ in range(count):
        text = rng.choice(makers)()
        # one command per line: a newline would end it; lldb strips a trailing backslash
        text = text.replace("\n", " ").replace("\r", " ").replace("\0", " ").rstrip("\\ ")
        if text.strip() and "=" not in text.replace("==", "").replace(">=", "") \
                and not text.lstrip().startswith("-"):
            inputs.append(text)
    return inputs


def test_random_input_in_a_live_session(trouble_exe):
    seed = int(os.environ.get("LLDB_JIT_FUZZ_SEED", "20261121"))
    inputs = random_inputs(random.Random(seed), int(os.environ.get("LLDB_JIT_FUZZ", "150")))
    outputs = run_between_state(trouble_exe, [f"jit-eval {text}" for text in inputs]
                                + ["jit-eval local * 2"])
    for text, out in zip(inputs, outputs):
        assert "Traceback" not in out and "internal error" not in out, (seed, text, out)
        assert parse_result(out) or "error: " in out or out.strip() == "", (seed, text, out)
    assert parse_result(outputs[-1]) == ("int", "10")
