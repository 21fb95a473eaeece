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


def untrapped_divide(b: ir.IRBuilder, op: Op, lhs: ir.Value, rhs: ir.Value, signed: bool,
                     by_zero: int) -> ir.Value:
    """Division on a CPU that never traps: quotient `by_zero` for a zero divisor and
    INT_MIN for INT_MIN / -1; the remainder `lhs - quotient * rhs`, wrapping (the
    dividend for a zero divisor, 0 for INT_MIN % -1). The divisor given to LLVM is
    never one it may treat as undefined."""
    ty = lhs.type
    zero, one = ir.Constant(ty, 0), ir.Constant(ty, 1)
    is_zero = b.icmp_unsigned("==", rhs, zero, "byzero")
    unsafe = is_zero
    if signed:
        overflow = b.and_(b.icmp_unsigned("==", lhs, min_int(ty.width)),
                          b.icmp_unsigned("==", rhs, ir.Constant(ty, -1)))
        unsafe = b.or_(is_zero, overflow)
    divisor = b.select(unsafe, one, rhs, "divisor")
    quotient = b.select(is_zero, ir.Constant(ty, by_zero),
                        plain_divide(b, Op.DIV, lhs, divisor, signed), "quot")
    if op is Op.DIV:
        return quotient
    return b.sub(lhs, b.mul(quotient, rhs), "modtmp")


def saturating_float_to_int(b: ir.IRBuilder, value: ir.Value, bits: int,
                            signed: bool) -> ir.Value:
    """`value` converted to a `bits`-bit integer, clamped to its range, NaN to 0
    (`llvm.fpto[su]i.sat`)."""
    wide = ir.IntType(bits)
    name = f"llvm.fpto{'s' if signed else 'u'}i.sat.i{bits}.{float_suffix(value.type)}"
    fn = b.module.globals.get(name) or ir.Function(
        b.module, ir.FunctionType(wide, [value.type]), name)
    return b.call(fn, [value], name="fptoi")


def min_int(bits: int) -> ir.Constant:
    """0x80..0: the most negative `bits`-bit integer, x86's "integer indefinite"."""
    return ir.Constant(ir.IntType(bits), -(1 << (bits - 1)))


def float_suffix(ty: ir.Type) -> str:
    return {"float": "f32", "double": "f64", "x86_fp80": "f80", "fp128": "f128"}[str(ty)]
