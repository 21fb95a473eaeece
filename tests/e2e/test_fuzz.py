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
          "(struct nope *)", "int", "$0", "$zz", "{", "}", ";", "if", "while", "for", "return"]


def random_inputs(rng: random.Random, count: int) -> list[str]:
    makers = [
        lambda: " ".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 12))),
        lambda: "".join(chr(rng.randint(32, 126)) for _ in range(rng.randint(1, 40))),
        lambda: "".join(chr(rng.randint(0xA0, 0x2FFF)) for _ in range(rng.randint(1, 8))),
        lambda: "(" * rng.randint(200, 3000) + "1" + ")" * rng.randint(0, 3000),
        lambda: "+".join(["data[1]"] * rng.randint(100, 5000)),
        lambda: '"' + "y" * rng.randint(1000, 100000) + '"[3]',
        lambda: rng.choice(TOKENS) * rng.randint(1, 400),
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
