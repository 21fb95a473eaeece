"""Where C says "undefined", the machine's answer (lldb_jit.hardware): x86-64 traps on
integer division by zero and INT_MIN / -1 as gcc's code does; AArch64 does not, and
saturates float-to-int conversions. Wrapping, shift counts and x86 conversions are
cross-checked with gcc in test_irgen.py."""
import signal

import pytest

from lldb_jit.frontend import analyze
from lldb_jit.irgen import gen_module

from conftest import HOST

X86 = "x86_64-unknown-linux-gnu"
AARCH64 = "aarch64-unknown-linux-gnu"
INT_MIN, LONG_MIN = -2**31, -2**63

pytestmark = pytest.mark.skipif(not HOST.startswith("x86_64"), reason="x86-64 host")

TRAPPING = ["int z = 0; x / z", "int z = 0; x % z", "x / 0", "x % 0", "u / 0", "ul % 0",
            "l / (l - l)", "int m = -2147483647 - 1; m / -1", "int m = -2147483647 - 1; m % -1",
            "long m = -9223372036854775807L - 1; int k = -1; m / k",
            "int z = 0; x / z; 1",           # the quotient is unused: it traps all the same
            "x /= 0", "int z = 0; for (int i = 0; i < 3; i++) x += i / z; x"]


@pytest.mark.parametrize("src", TRAPPING)
def test_x86_division_traps_with_sigfpe(src, runner):
    assert runner.signal_of(src) == signal.SIGFPE


@pytest.mark.parametrize("src", ["x / 1", "int z = 2; x / z", "u / 4000000000u",
                                 "int m = -2147483647 - 1; m / 1", "-x % 3"])
def test_x86_division_that_is_defined_does_not_trap(src, runner):
    assert runner.signal_of(src) is None


# AArch64's sdiv/udiv and fcvtzs/fcvtzu, through the same IR run on this host.
AARCH64_VALUES = [
    ("int z = 0; x / z", 0), ("int z = 0; x % z", 7), ("int z = 0; u / z", 0),
    ("int z = 0; u % z", 4000000000), ("ul % 0", 2**64 - 1),
    ("int m = -2147483647 - 1; m / -1", INT_MIN), ("int m = -2147483647 - 1; m % -1", 0),
    ("long m = -9223372036854775807L - 1; m / -1", LONG_MIN), ("x / y", -2), ("x % y", 1),
    ("-x % 3", -1), ("u / 3", 1333333333), ("int n = 33; x << n", 14),
    ("d = 1e10, (int)d", 2**31 - 1), ("d = -1e10, (int)d", INT_MIN),
    ("d = 0.0 / 0.0, (int)d", 0), ("d = -1, (unsigned)d", 0), ("d = 1e10, (unsigned)d", 2**32 - 1),
    ("d = 300.7, (unsigned char)d", 44), ("d = -129.5, (signed char)d", 127),
    ("d = 1e20, (long)d", 2**63 - 1), ("d = -1, (unsigned long)d", 0),
    ("f = 1e20, (unsigned long)f", 2**64 - 1), ("d = -2.5, (short)d", -2),
    # plain char is unsigned on AArch64 Linux
    ("(int)(char)200", 200), ("char c = -1; c > 0", 1), ("char c = 200; (long)c", 200),
    ("char c = 200; c / 2", 100),
]


@pytest.mark.parametrize("src,expected", [("(int)(char)200", -56), ("char c = -1; c > 0", 0),
                                          ("char c = 200; (long)c", -56)])
def test_x86_plain_char_is_signed(src, expected, runner):
    assert runner.run(src)[0] == expected


@pytest.mark.parametrize("src,expected", AARCH64_VALUES)
def test_aarch64_semantics(src, expected, runner):
    assert runner.run(src, hardware=AARCH64)[0] == expected


def test_aarch64_module_has_no_inline_asm_and_saturates(provider):
    text = str(gen_module(analyze("int z = 0; (x / z) + (int)d", provider), AARCH64))
    assert " asm " not in text
    assert '@"llvm.fptosi.sat.i32.f64"' in text


def test_x86_module_hides_the_divisor(provider):
    text = str(gen_module(analyze("x / y + x / 4", provider), X86))
    assert text.count('"", "=r,0"') == 1       # the constant divisor needs nothing
    assert text.count("sdiv") == 2


@pytest.mark.parametrize("triple", [X86, AARCH64])
def test_no_wrap_flags_ever(triple, provider):
    src = "x * y + -x - l * 3 + (x << 2) + c++ + ++s + (int)(str - str) + arr[x]"
    text = str(gen_module(analyze(src, provider), triple))
    assert " nsw " not in text and " nuw " not in text and "inbounds" not in text


@pytest.mark.parametrize("triple", [X86, AARCH64])
def test_compile_module_with_division_and_conversions(triple, provider):
    """The empty asm needs no assembler parser: objects for either target."""
    from lldb_jit.compile import compile_module
    program = analyze("x / y + x % y + (int)d + (unsigned long)f + (x << y)", provider)
    assert compile_module(gen_module(program, triple), triple)[:4] == b"\x7fELF"
