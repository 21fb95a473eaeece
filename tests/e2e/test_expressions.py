"""`jit-eval` against LLDB's own `expression`, in the same session, on the same
expressions: type and value must match. Where C and LLDB's C++ differ, gcc is the
oracle (test_c_semantics below)."""
from __future__ import annotations

import math
import re
import subprocess

import pytest

from lldbrun import HERE, MODE_IDS, MODES, batch, parse_result

# chibicc-style table: one expression a line. All are compared with `expression`.
SAME_AS_LLDB = [
    # globals and integer arithmetic
    "counter", "counter + 1", "counter * 2 - 3", "counter / 4", "counter % 5", "-counter",
    "~counter", "counter << 3", "counter >> 1", "counter & 0xf", "counter | 0x100",
    "counter ^ 0xff", "hidden", "hidden * counter", "100 / 7 * 7 + 100 % 7", "-7 / 2",
    "-7 % 3", "1u - 2", "10000000000", "'a' - 'A'", "primes[counter % 6]", "*&counter",
    # every basic type
    "scale", "scale * 2", "counter + scale", "ratio", "ratio * 2", "letter", "letter + 1",
    "byte", "byte + 1", "small", "usmall", "usmall + 1", "big", "big * 3", "ubig",
    "ubig + 1", "llv", "fixed", "ufixed", "3.0 / 2", "1.5f",
    # pointers, strings, arrays
    "greeting", "*greeting", "greeting[1]", "primes", "primes[3]", "primes[2] + primes[4]",
    "*primes", "*(primes + 5)", "&primes[2]", "grid[1][2]", "grid[1]", "name", "name[0]",
    "null_ptr", "&counter",
    # structs, unions, enums, bit-fields
    "origin", "origin.x", "origin.y * 2", "points[1].y", "points[2]", "head->value",
    "head->next->value", "head->next->next->value", "*head", "head->next", "&*head",
    "num.i", "num.f", "favourite", "fl.a", "fl.b", "fl.c", "&origin", "&origin.y",
    # locals and parameters of the selected frame
    "param", "dparam", "local", "dlocal", "lp", "lp.y", "larr", "larr[2]", "lstr",
    "*lptr", "lptr[1]", "lus", "pp->x", "pp->y + dlocal", "param * local + counter",
    # calls
    "add(counter, 1)", "add(param, local)", "sub(10, 3)", "half(scale)", "mul3(2, 3, 4)",
    "sum_list(head)", "pick(1)", "low_byte(300)", "scalef(1.5f)", "twice(21)",
    "add(add(1, 2), sub(10, 4))", "op(10, 4)", "op", "&add", "*op", "half",
    # casts and the conditional operator
    "(char)65", "(unsigned char)200", "(short)-3", "(long)counter * 100000000",
    "(double)counter / 2", "(int)scale", "(unsigned)-1", "(float)1 / 3", "(signed char)-1",
    "(char *)name", "(point_t *)&origin", "counter > 40 ? 100 : 200",
    "scale > 2 ? scale : 0.0", "(long)primes[5] << 40", "pk.i", "ld", "level",
]


# Each table is evaluated as jit-eval evaluates it by default (most of it interpreted:
# it reads memory only) and run as code in the debuggee
@pytest.fixture(scope="module", params=MODES, ids=MODE_IDS)
def mode(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def transcript(values_exe, mode):
    commands = []
    for expr in SAME_AS_LLDB:
        commands += [f"jit-eval {mode}{expr}", f"expression -- {expr}"]
    blocks = batch(values_exe, commands)
    return {cmd.replace(mode, "", 1): out for cmd, out in blocks}


def normalize(value: str) -> str:
    return re.sub(r"\$\d+", "$N", value)


@pytest.mark.parametrize("expr", SAME_AS_LLDB)
def test_same_as_lldb_expression(transcript, expr):
    ours = transcript[f"jit-eval {expr}"]
    theirs = transcript[f"expression -- {expr}"]
    expected = parse_result(theirs)
    assert expected is not None, f"LLDB's expression failed on {expr!r}: {theirs}"
    got = parse_result(ours)
    assert got is not None, f"jit-eval printed no result for {expr!r}:\n{ours}"
    assert (got[0], normalize(got[1])) == (expected[0], normalize(expected[1]))
    assert "error" not in ours


def test_table_is_big_enough():
    assert len(SAME_AS_LLDB) >= 60 and len(set(SAME_AS_LLDB)) == len(SAME_AS_LLDB)


# Where C differs from LLDB's C++ (comparisons are int, char constants are int...),
# gcc compiles the same expressions over the same globals and _Generic names the type.
C_SEMANTICS = [
    "3 < 4", "counter == 41", "counter != 41", "'a'", "!counter", "counter && scale",
    "0 || null_ptr", "sizeof(struct point)", "sizeof counter", "sizeof(primes)",
    "byte > small", "1u > -1", "(_Bool)3", "(_Bool)0.5", "letter == 'J'",
    "sizeof(point_t) * 2", "-1 < 0u", "(unsigned char)255 + 1",
    # integer conversions, unsigned arithmetic, shifts and division
    "counter / 3 * 3", "counter % -5", "-counter % 5", "-counter / 4", "7u / 2", "-7 / 2u",
    "(unsigned char)300 + 0", "(signed char)200 + 0", "(short)70000", "(unsigned short)-1",
    "usmall * usmall", "small * small", "byte * byte", "letter * 2", "ubig / 3",
    "ubig % 1000", "llv / 7", "llv % 7", "big >> 3", "-big >> 3", "ubig >> 60", "1u << 31",
    "1L << 40", "~0u", "~0L", "~byte", "-byte", "0x7fffffff + 1u", "-2147483648 / -1L",
    "fixed * 3u", "fixed < 0u", "(long long)fixed * ufixed", "ufixed >> 20",
    "usmall > small", "byte + letter + small", "011 + 0x11 + 0b11", "'\\n' + '\\x41'",
    # floating point
    "!ratio", "ratio > 0.5", "scale == 2.5", "scale != scale", "(int)ratio", "(int)-scale",
    "(unsigned)scale", "(long)(ratio * 1000)", "ratio + scale", "ratio * ratio", "1.0f / 3",
    "1.0 / 3", "10 / 4.0f", "(float)scale / 3", "counter ? 1.5 : 2",
    "counter > 50 ? 'a' : 2L", "(counter, scale)",
    # calls, structs, unions, enums, bit-fields
    "half(7)", "half(counter)", "scalef(ratio)", "mul3(100000, 100000, 10)",
    "low_byte(511) + 0", "twice(-21)", "add(counter, -counter)", "sub(1, 2)",
    "sum_list(head->next)", "len2(origin)", "mid(origin, points[1]).x",
    "mid(origin, points[1]).y", "favourite + 0", "GREEN * 2", "BLUE - RED",
    "fl.a + fl.b", "fl.a * 100", "fl.b * fl.c", "num.i >> 23",
    # sizeof, pointers, logic
    "sizeof(union number)", "sizeof(enum color)", "sizeof(struct flags)",
    "sizeof(long double)", "sizeof(char *)", "sizeof(grid)", "sizeof(grid[0])",
    "sizeof(points) / sizeof(points[0])", "&primes[5] - &primes[1]",
    "&grid[1][2] - &grid[0][0]", "(char *)&primes[1] - (char *)primes",
    "primes[5] > primes[4] && grid[1][1] == 5", "counter > 40 || *null_ptr",
    "counter < 40 && *null_ptr", "head->next->next->next == 0", "greeting[0] == 'h'",
    "name[1] - 'a'", "*name + 0", "\"abc\"[1] + 0", "sizeof(\"abc\")",
    "(_Bool)counter + (_Bool)0",
    # an anonymous typedef'd enum (LLDB's own evaluator cannot see HIGH), packed
    # structs, more than six arguments, mixed float/int arguments, long double
    "HIGH + 1", "level == HIGH", "LOW * HIGH", "pk.i + pk.s", "sizeof(struct packed)",
    "pk.c + 0", "sum8(1, 2, 3, 4, 5, 6, 7, 8)", "sum8(counter, -1, 0, 0, 0, 0, 0, 1)",
    "mix(1, 2.5, 0.25f, 4L, 0.125)", "(double)ld * 2", "ld > 1",
]

ORACLE = r'''
#define main values_main
#include "%(values)s"
#undef main
#define TYPE(x) _Generic((x), _Bool: "_Bool", char: "char", signed char: "signed char", \
    unsigned char: "unsigned char", short: "short", unsigned short: "unsigned short", \
    int: "int", unsigned int: "unsigned int", long: "long", unsigned long: "unsigned long", \
    long long: "long long", unsigned long long: "unsigned long long", float: "float", \
    double: "double", default: "?")
#define P(x) printf("%%s|%%.17g\n", TYPE(x), (double)(x))
int main(void) {
    op = sub;
%(lines)s
    return 0;
}
'''


@pytest.fixture(scope="module")
def gcc_answers(tmp_path_factory):
    src = tmp_path_factory.mktemp("oracle") / "oracle.c"
    lines = "\n".join(f"    P({e});" for e in C_SEMANTICS)
    src.write_text(ORACLE % {"values": HERE / "programs" / "values.c", "lines": lines})
    exe = src.with_suffix("")
    subprocess.run(["gcc", "-w", "-o", str(exe), str(src)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return dict(zip(C_SEMANTICS, (line.split("|") for line in out.splitlines())))


@pytest.fixture(scope="module")
def c_transcript(values_exe, mode):
    return {cmd.replace(mode, "", 1): out
            for cmd, out in batch(values_exe, [f"jit-eval {mode}{e}" for e in C_SEMANTICS])}


def _number(value: str) -> float:
    if value in ("true", "false"):
        return float(value == "true")
    return float(int(value, 0)) if re.fullmatch(r"-?(0x[0-9a-f]+|\d+)", value) else float(value)


@pytest.mark.parametrize("expr", C_SEMANTICS)
def test_c_semantics_like_gcc(gcc_answers, c_transcript, expr):
    gcc_type, gcc_value = gcc_answers[expr]
    got = parse_result(c_transcript[f"jit-eval {expr}"])
    assert got is not None, c_transcript[f"jit-eval {expr}"]
    our_type, our_value = got
    # _Generic sees through typedefs (values.c's stdint ones); LLDB spells _Bool "bool"
    canonical = {"uint64_t": "unsigned long", "int32_t": "int", "bool": "_Bool"}
    assert canonical.get(our_type, our_type) == gcc_type
    if our_type == "float":   # LLDB prints floats with 9 digits, gcc printed 17
        assert math.isclose(_number(our_value), float(gcc_value), rel_tol=1e-7)
    else:
        assert _number(our_value) == float(gcc_value)


def test_tables_cover_at_least_200_cases():
    assert len(SAME_AS_LLDB) + len(C_SEMANTICS) >= 200
    assert len(set(C_SEMANTICS)) == len(C_SEMANTICS)
