"""x86-64's answers where C leaves the result undefined (see lldb_jit/hardware.py)."""
from __future__ import annotations

from llvmlite import ir

from ...hardware import Hardware, min_int, plain_divide


class X86_64(Hardware):
    def hardware_divide(self, b, op, lhs, rhs, signed) -> ir.Value:
        """`idiv`/`div` itself, which traps as the program's would: the divisor goes
        through an empty asm so the optimizer cannot see it is 0 (or -1), and the
        result into another (with side effects) so the division is never dead."""
        ty = lhs.type
        hide = ir.InlineAsm(ir.FunctionType(ty, [ty]), "", "=r,0")
        divisor = b.call(hide, [rhs], name="divisor")
        result = plain_divide(b, op, lhs, divisor, signed)
        keep = ir.InlineAsm(ir.FunctionType(ir.VoidType(), [ty]), "", "r", side_effect=True)
        b.call(keep, [result])
        return result

    def float_to_int(self, b, value, to, signed) -> ir.Value:
        """cvttsd2si: 32-bit for types up to int, 64-bit for unsigned int and long,
        then truncated to the type."""
        if to.width == 64 and not signed:
            return self.cvtt_unsigned64(b, value)
        bits = 32 if to.width < 32 or (to.width == 32 and signed) else 64
        result = self.cvtt(b, value, bits)
        return b.trunc(result, to, "fptoi") if bits > to.width else result

    def cvtt_unsigned64(self, b: ir.IRBuilder, value: ir.Value) -> ir.Value:
        """gcc's unsigned long conversion: below 2^63 (NaN included, as comisd/jnb
        sees it) as is, else 2^63 less, with the top bit flipped back."""
        two63 = b.uitofp(min_int(64), value.type)
        low = self.cvtt(b, value, 64)
        high = b.xor(self.cvtt(b, b.fsub(value, two63), 64), min_int(64))
        below = b.fcmp_unordered("<", value, two63, "below")
        return b.select(below, low, high, "fptoui")

    @staticmethod
    def cvtt(b: ir.IRBuilder, value: ir.Value, bits: int) -> ir.Value:
        """Truncation to a signed `bits`-bit integer, 0x80..0 when out of range or NaN
        (for values just below the minimum, truncating gives that same number)."""
        low = b.sitofp(min_int(bits), value.type)
        high = b.uitofp(min_int(bits), value.type)
        in_range = b.and_(b.fcmp_ordered(">=", value, low), b.fcmp_ordered("<", value, high))
        return b.select(in_range, b.fptosi(value, ir.IntType(bits)), min_int(bits), "cvtt")
