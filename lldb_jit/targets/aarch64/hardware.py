"""AArch64's answers where C leaves the result undefined (see lldb_jit/hardware.py)."""
from __future__ import annotations

from llvmlite import ir

from ...frontend.ast import Op
from ...hardware import Hardware, float_suffix, min_int, plain_divide


class AArch64(Hardware):
    def hardware_divide(self, b, op, lhs, rhs, signed) -> ir.Value:
        """sdiv/udiv give 0 for a zero divisor and INT_MIN for INT_MIN / -1; the
        remainder is `lhs - quotient * rhs` (msub), wrapping."""
        ty = lhs.type
        zero, one = ir.Constant(ty, 0), ir.Constant(ty, 1)
        by_zero = b.icmp_unsigned("==", rhs, zero, "byzero")
        unsafe = by_zero
        if signed:
            overflow = b.and_(b.icmp_unsigned("==", lhs, min_int(ty.width)),
                              b.icmp_unsigned("==", rhs, ir.Constant(ty, -1)))
            unsafe = b.or_(by_zero, overflow)
        divisor = b.select(unsafe, one, rhs, "divisor")
        quotient = b.select(by_zero, zero, plain_divide(b, Op.DIV, lhs, divisor, signed),
                            "quot")
        if op is Op.DIV:
            return quotient
        return b.sub(lhs, b.mul(quotient, rhs), "modtmp")

    def float_to_int(self, b, value, to, signed) -> ir.Value:
        """fcvtzs/fcvtzu saturate, to a w register for types up to 32 bits."""
        bits = max(to.width, 32)
        wide = ir.IntType(bits)
        name = f"llvm.fpto{'s' if signed else 'u'}i.sat.i{bits}.{float_suffix(value.type)}"
        fn = b.module.globals.get(name) or ir.Function(
            b.module, ir.FunctionType(wide, [value.type]), name)
        result = b.call(fn, [value], name="fptoi")
        return b.trunc(result, to) if bits > to.width else result
