"""AArch64's answers where C leaves the result undefined (see lldb_jit/hardware.py)."""
from __future__ import annotations

from llvmlite import ir

from ...hardware import Hardware, saturating_float_to_int, untrapped_divide


class AArch64(Hardware):
    def hardware_divide(self, b, op, lhs, rhs, signed) -> ir.Value:
        """sdiv/udiv give 0 for a zero divisor and INT_MIN for INT_MIN / -1; the
        remainder is `lhs - quotient * rhs` (msub), wrapping."""
        return untrapped_divide(b, op, lhs, rhs, signed, by_zero=0)

    def float_to_int(self, b, value, to, signed) -> ir.Value:
        """fcvtzs/fcvtzu saturate, to a w register for types up to 32 bits."""
        bits = max(to.width, 32)
        result = saturating_float_to_int(b, value, bits, signed)
        return b.trunc(result, to) if bits > to.width else result
