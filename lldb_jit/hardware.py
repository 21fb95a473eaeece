"""What the debuggee's machine does where C leaves the result undefined.

The user of a debugger expects an expression to behave as the program's own code does
at -O0 on that machine, where LLVM would treat the same operations as undefined (poison)
and optimize accordingly. irgen therefore emits these few operations through the
target's `Hardware`:

| operation | x86-64 (gcc -O0) | AArch64 (gcc -O0) |
|---|---|---|
| `a / 0`, `a % 0` | SIGFPE (`idiv`/`div`), even when the value is unused | quotient 0, remainder `a` (`sdiv`/`msub`) |
| `INT_MIN / -1`, `INT_MIN % -1` | SIGFPE | `INT_MIN`, 0 |
| shift count >= width or < 0 | count & (width - 1) (`sal %cl`) | the same (`lslv`) |
| float to int out of range, NaN | "integer indefinite" `0x80..0` of the 32- or 64-bit `cvtt*2si`, then truncated | saturated (`fcvtzs`/`fcvtzu`), NaN is 0 |

Signed overflow needs nothing here: irgen never emits `nsw`/`nuw`, so it wraps."""
from __future__ import annotations

from llvmlite import ir

from .frontend.ast import Op

class Hardware:
    """The shared part; subclasses supply division and float-to-int conversion."""

    def shift_count(self, b: ir.IRBuilder, count: ir.Value) -> ir.Value:
        """Both machines use the count modulo the operand width (32 or 64 bits)."""
        return b.and_(count, ir.Constant(count.type, count.type.width - 1), "shcount")

    def divide(self, b: ir.IRBuilder, op: Op, lhs: ir.Value, rhs: ir.Value,
               signed: bool) -> ir.Value:
        """`lhs / rhs` (op DIV) or `lhs % rhs` (op MOD) on integers of one type."""
        if isinstance(rhs, ir.Constant) and rhs.constant not in (0, -1):
            return plain_divide(b, op, lhs, rhs, signed)  # no undefined case: optimizable
        return self.hardware_divide(b, op, lhs, rhs, signed)

    def hardware_divide(self, b, op, lhs, rhs, signed) -> ir.Value:
        raise NotImplementedError

    def float_to_int(self, b: ir.IRBuilder, value: ir.Value, to: ir.IntType,
                     signed: bool) -> ir.Value:
        raise NotImplementedError


def plain_divide(b: ir.IRBuilder, op: Op, lhs: ir.Value, rhs: ir.Value,
                 signed: bool) -> ir.Value:
    names = {(Op.DIV, True): "sdiv", (Op.DIV, False): "udiv", (Op.MOD, True): "srem",
             (Op.MOD, False): "urem"}
    return getattr(b, names[op, signed])(lhs, rhs, name=f"{op.name.lower()}tmp")


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


def min_int(bits: int) -> ir.Constant:
    """0x80..0: the most negative `bits`-bit integer, x86's "integer indefinite"."""
    return ir.Constant(ir.IntType(bits), -(1 << (bits - 1)))


def float_suffix(ty: ir.Type) -> str:
    return {"float": "f32", "double": "f64", "x86_fp80": "f80", "fp128": "f128"}[str(ty)]


def for_triple(triple: str) -> Hardware:
    arch = triple.split("-", 1)[0]
    if arch in ("aarch64", "arm64"):
        return AArch64()
    return X86_64()
