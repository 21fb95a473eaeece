"""RISC-V's answers where C leaves the result undefined (see lldb_jit/hardware.py), as
gcc -O0 for riscv64-linux-gnu compiles them (RISC-V Unprivileged ISA, "M" and "F"/"D"
chapters):

| operation | RV64GC |
|---|---|
| `a / 0`, `a % 0` | quotient all ones (-1, UINT_MAX...), remainder `a`: no trap (`div[u][w]`, `rem[u][w]`) |
| `INT_MIN / -1`, `INT_MIN % -1` | `INT_MIN`, 0 |
| shift count >= width or < 0 | count & (width - 1) (`sll`/`sllw` read 6 / 5 bits) |
| float to int out of range | saturated (`fcvt.w[u]`, `fcvt.l[u]`), to 32 bits for types up to 32 bits, then truncated (`zext.b`...) |
| float to int of NaN | the largest value: 2^31 - 1, 2^32 - 1, 2^63 - 1 or 2^64 - 1 (not 0 as on AArch64) |

long double (binary128) goes through libgcc's soft-float __fixtf[u]{s,d}i, which
saturates the same way; a NaN with its sign bit clear, the one arithmetic makes,
gives the largest value there too."""
from __future__ import annotations

from llvmlite import ir

from ...hardware import Hardware, saturating_float_to_int, untrapped_divide


class RiscV64(Hardware):
    def hardware_divide(self, b, op, lhs, rhs, signed) -> ir.Value:
        """div/divu give all ones for a zero divisor and INT_MIN for INT_MIN / -1;
        rem/remu give the dividend for a zero divisor and 0 for INT_MIN % -1, which is
        `lhs - quotient * rhs` in both cases, wrapping."""
        return untrapped_divide(b, op, lhs, rhs, signed, by_zero=-1)

    def float_to_int(self, b, value, to, signed) -> ir.Value:
        """fcvt saturates, to 32 bits for types up to 32 bits; NaN is the largest value."""
        bits = max(to.width, 32)
        saturated = saturating_float_to_int(b, value, bits, signed)
        largest = ir.Constant(ir.IntType(bits),
                              (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1)
        is_nan = b.fcmp_unordered("uno", value, value, "isnan")
        result = b.select(is_nan, largest, saturated, "fcvt")
        return b.trunc(result, to) if bits > to.width else result
