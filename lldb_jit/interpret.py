"""Evaluate the expression's IR without running it, when it only reads the debuggee.

Running code costs a resume and a stop of the debuggee, most of a warm evaluation's
time. The IR irgen made for an expression that calls nothing and writes only its own
locals and the result can instead be interpreted here: its loads read debuggee memory
through the debugger, its stores go to memory of the interpreter's own, and the result
is the bytes the code would have written. This is what LLDB's `expression` does with its
IR interpreter; the IR is the very IR compiled for the debuggee (the hardware's answers
where C is undefined included, lldb_jit/hardware.py), so both ways give one answer.

Whatever the interpreter cannot do exactly as the machine would, it does not do: a
module it does not know how to run is `Unsupported` (the session compiles and runs it),
and `Bail` stops an interpretation before anything outside its own memory changed: a
store to debuggee memory, a division the machine traps on, a load the debuggee could
not make, too many steps. Then the code runs, from the start, as it would have anyway.
"""
from __future__ import annotations

import ctypes
import math
import operator
import struct
from typing import Callable, Protocol

from llvmlite import ir

BUDGET = 20_000        # instructions per interpretation; a longer one runs as code
# where the interpreter's own objects (the expression's locals) seem to be: above any
# user-space address on the 64-bit CPUs we support, so a pointer to one that escapes
# into the result or into an integer is seen and the code runs instead
OWN_BASE = 0xFFFF_FF00_0000_0000


class Unsupported(Exception):
    """The module uses something the interpreter does not do."""


class Bail(Exception):
    """This interpretation cannot go on as the machine would: run the code instead.
    `again` says whether interpreting the same code later may succeed."""

    def __init__(self, why: str, again: bool = True):
        super().__init__(why)
        self.again = again


class Memory(Protocol):
    def read(self, address: int, size: int) -> bytes:
        """The debuggee's bytes, or Bail when its code could not load them."""


class _Poison:
    """LLVM's poison: what `fptosi` of an out-of-range value gives. irgen only ever
    selects it away; any other use is a TypeError, which bails."""

    def _fail(self, *args):
        raise TypeError("poison used")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __index__ = __int__ = _fail
    __hash__ = object.__hash__


POISON = _Poison()


class Plan:
    """A module prepared for interpretation: its entry function's blocks as closures
    over a list of values. `addresses` gives every external global and function."""

    def __init__(self, module: ir.Module, entry: str, little: bool):
        self.little = little
        self.endian = "<" if little else ">"
        self.externals: list[str] = []
        self.usable = True        # False once it bailed for a reason that stays
        functions = [f for f in module.functions if f.blocks]
        if len(functions) != 1 or functions[0].name != entry:
            raise Unsupported("defines functions")
        for gv in module.global_values:
            if isinstance(gv, ir.GlobalVariable):
                if gv.initializer is not None:
                    raise Unsupported("has data of its own")
                if getattr(gv, "thread_local", False) or getattr(gv, "threadlocal", False):
                    raise Unsupported("thread-local")
        func = functions[0]
        self._slots: dict[int, int] = {}
        self._checked: dict[int, ir.Type] = {}    # the types _check_type accepted, by id
        self._args = [self._slot(arg) for arg in func.args]
        self.promoted = _promotable(func)
        # Blocks name one another by index, not by reference: a loop's blocks make no
        # reference cycle, so a plan is freed as soon as it is dropped, with no work
        # for Python's garbage collector. The entry block is the first.
        self._index = {id(block): i for i, block in enumerate(func.blocks)}
        self.blocks = [_Block() for _ in func.blocks]
        for block, out in zip(func.blocks, self.blocks):
            self._prepare(block, out)

    # --- preparation ---------------------------------------------------------------

    def _slot(self, value) -> int:
        return self._slots.setdefault(id(value), len(self._slots))

    def _getter(self, value) -> Callable[[list], object]:
        if isinstance(value, (ir.Instruction, ir.Argument)):
            return operator.itemgetter(self._slot(value))
        if isinstance(value, (ir.GlobalVariable, ir.Function)):
            if value.name.startswith("llvm."):
                raise Unsupported(f"intrinsic {value.name} as a value")
            if value.name not in self.externals:
                self.externals.append(value.name)
            index = self.externals.index(value.name)
            return lambda env: env[EXTERNALS][index]
        constant = self._constant(value)
        return lambda env: constant

    def _constant(self, value):
        if not isinstance(value, ir.Constant) or type(value) is not ir.Constant:
            raise Unsupported(f"operand {value!r}")
        ty, c = value.type, value.constant
        if isinstance(ty, ir.IntType):
            return 0 if c is ir.Undefined else int(c or 0) & ((1 << ty.width) - 1)
        if isinstance(ty, ir.FloatType):
            return _f32(float(c or 0.0))
        if isinstance(ty, ir.DoubleType):
            return float(c or 0.0)
        if isinstance(ty, ir.PointerType) and c is None:
            return 0
        if isinstance(ty, ir.ArrayType) and c is None:
            return bytes(_size(ty))
        raise Unsupported(f"constant {value}")

    def _prepare(self, block: ir.Block, out: "_Block") -> None:
        checked, slots = self._checked, self._slots
        for inst in block.instructions:
            _, prepare = _preparation(type(inst))
            if prepare is _phi:
                out.phis.append(self._phi(inst))
                continue
            if prepare is _terminator:
                out.terminator = self._terminator(inst)
                continue
            # an operation: its slot, its types checked, the getters of its operands,
            # and then the closure computing it into its slot, or None for a no-op
            slot = self._slot(inst)
            if id(inst.type) not in checked:
                self._check(inst.type)
            for o in inst.operands:
                if id(o.type) not in checked and not isinstance(o, (ir.Function, ir.InlineAsm)):
                    self._check(o.type)
            ops = []
            if prepare is not _call:
                for o in inst.operands:
                    at = slots.get(id(o))       # a value with a slot already: _getter's answer
                    ops.append(operator.itemgetter(at) if at is not None else self._getter(o))
            op = prepare(self, inst, slot, ops)
            if op is not None:
                out.ops.append(op)

    def _phi(self, inst: ir.PhiInstr):
        return self._slot(inst), {self._index[id(b)]: self._getter(v)
                                  for v, b in inst.incomings}

    def _terminator(self, inst):
        index = self._index
        if isinstance(inst, ir.Ret):
            return lambda env: None
        if isinstance(inst, ir.ConditionalBranch):
            cond = self._getter(inst.operands[0])
            yes, no = index[id(inst.operands[1])], index[id(inst.operands[2])]
            return lambda env: yes if cond(env) else no
        if isinstance(inst, ir.Branch):
            target = index[id(inst.operands[0])]
            return lambda env: target
        if isinstance(inst, ir.SwitchInstr):
            value = self._getter(inst.value)
            cases = {self._constant(c): index[id(b)] for c, b in inst.cases}
            default = index[id(inst.default)]
            return lambda env: cases.get(value(env), default)
        raise Unsupported(inst.opname)

    def _check(self, ty: ir.Type) -> None:
        _check_type(ty)
        self._checked[id(ty)] = ty      # kept: the id stays this type's

    def _alloca(self, inst: ir.AllocaInstr, slot: int, ops: list):
        if id(inst) in self.promoted:      # a local only loaded and stored: a slot
            zero = _zero(inst.allocated_type)

            def local(env):
                env[slot] = zero
            return local
        size, align = _size(inst.allocated_type), _align(inst.allocated_type)
        count = ops[0] if ops else (lambda env: 1)

        def alloca(env):
            env[slot] = env[MEMORY].own(size * count(env), align)
        return alloca

    def _load(self, inst: ir.LoadInstr | ir.LoadAtomicInstr, slot: int, ops: list):
        if id(inst.operands[0]) in self.promoted:
            home = self._slots[id(inst.operands[0])]     # slotted with its getter

            def load_local(env):
                env[slot] = env[home]
            return load_local
        if getattr(inst, "volatile", False):
            raise Unsupported("volatile load")   # left to the machine's own load
        decode, size = self._codec(inst.type)
        address = ops[0]

        def load(env):
            env[slot] = decode(env[MEMORY].read(address(env), size))
        return load

    def _store(self, inst: ir.StoreInstr | ir.StoreAtomicInstr, slot: int, ops: list):
        if id(inst.operands[1]) in self.promoted:
            home, value = self._slots[id(inst.operands[1])], ops[0]

            def store_local(env):
                env[home] = value(env)
            return store_local
        if getattr(inst, "volatile", False):
            raise Unsupported("volatile store")
        encode = self._encoder(inst.operands[0].type)
        value, address = ops
        if isinstance(inst.operands[0].type, ir.PointerType):
            def store_pointer(env):
                v, at = value(env), address(env)
                if v >= OWN_BASE > at:
                    raise Bail("the address of the expression's own object escapes",
                               again=False)
                env[MEMORY].write(at, encode(v))
            return store_pointer

        def store(env):
            env[MEMORY].write(address(env), encode(value(env)))
        return store

    def _select(self, inst: ir.SelectInstr, slot: int, ops: list):
        cond, yes, no = ops
        return _set(slot, lambda env: yes(env) if cond(env) else no(env))

    def _icmp(self, inst: ir.ICMPInstr, slot: int, ops: list):
        return _set(slot, _icmp(inst.op, inst.operands[0].type, *ops))

    def _fcmp(self, inst: ir.FCMPInstr, slot: int, ops: list):
        return _set(slot, _fcmp(inst.op, *ops))

    def _arithmetic(self, inst: ir.Instruction, slot: int, ops: list):
        """The instructions llvmlite makes of class Instruction itself, by opcode."""
        name = inst.opname
        if name in _INT_OPS and isinstance(inst.type, ir.IntType):
            return _set(slot, _int_op(name, inst.type.width, *ops))
        if name in _FLOAT_OPS and isinstance(inst.type, (ir.FloatType, ir.DoubleType)):
            return _set(slot, _float_op(name, isinstance(inst.type, ir.FloatType), *ops))
        if name == "fneg" and isinstance(inst.type, (ir.FloatType, ir.DoubleType)):
            (a,) = ops
            return _set(slot, lambda env: -a(env))
        raise Unsupported(name)

    def _gep(self, inst: ir.GEPInstr, slot: int, ops: list):
        """Address arithmetic: the pointer plus each index times its element's size."""
        ty = inst.source_etype
        terms = []      # (getter, scale, signed width) or constant offsets
        offset = 0
        for i, index in enumerate(inst.indices):
            if i > 0:
                if isinstance(ty, ir.ArrayType):
                    ty = ty.element
                else:
                    raise Unsupported(f"getelementptr into {ty}")
            scale = _size(ty)
            if isinstance(index, ir.Constant) and type(index) is ir.Constant:
                offset += _signed(self._constant(index), index.type.width) * scale
            else:
                terms.append((ops[i + 1], scale, index.type.width))
        base = ops[0]

        def gep(env):
            address = base(env) + offset
            for get, scale, width in terms:
                address += _signed(get(env), width) * scale
            return address & MASK64
        return _set(slot, gep)

    def _call(self, inst: ir.CallInstr, slot: int, ops: list):
        callee = inst.callee
        args = [self._getter(a) for a in inst.args]
        if isinstance(callee, ir.InlineAsm):
            # x86's hardware division (lldb_jit/targets/x86_64/hardware.py): an empty asm
            # that hides the divisor, and one that keeps the quotient alive
            if callee.asm != "":
                raise Unsupported("inline assembly")
            if callee.constraint == "=r,0":
                return _set(slot, args[0])
            if callee.constraint == "r":
                return None
            raise Unsupported("inline assembly")
        name = getattr(callee, "name", "")
        if name.startswith("llvm.memcpy") or name.startswith("llvm.memmove"):
            dst, src, size = args[:3]

            def copy(env):
                n = size(env)
                env[MEMORY].write(dst(env), env[MEMORY].read(src(env), n) if n else b"")
            return copy
        if name.startswith("llvm.memset"):
            dst, byte, size = args[:3]
            return lambda env: env[MEMORY].write(dst(env), bytes([byte(env)]) * size(env))
        if name.startswith("llvm.fptosi.sat.") or name.startswith("llvm.fptoui.sat."):
            width = inst.type.width
            signed = name.startswith("llvm.fptosi")
            (value,) = args
            return _set(slot, lambda env: _saturate(value(env), width, signed))
        raise Unsupported(f"a call of {name or 'a pointer'}")

    def _cast(self, inst: ir.CastInstr, slot: int, ops: list):
        return _set(slot, self._conversion(inst.opname, inst.operands[0].type, inst.type,
                                           ops[0]))

    def _conversion(self, name: str, src: ir.Type, dst: ir.Type, value):
        if name == "trunc":
            mask = (1 << dst.width) - 1
            return lambda env: value(env) & mask
        if name == "zext":
            return value
        if name == "inttoptr":
            return lambda env: value(env) & MASK64
        if name == "ptrtoint":
            mask = (1 << dst.width) - 1

            def ptrtoint(env):
                v = value(env)
                if v >= OWN_BASE:
                    raise Bail("the address of the expression's own object", again=False)
                return v & mask
            return ptrtoint
        if name == "sext":
            width, mask = src.width, (1 << dst.width) - 1
            return lambda env: _signed(value(env), width) & mask
        if name == "bitcast":
            if isinstance(src, ir.PointerType) and isinstance(dst, ir.PointerType):
                return value
            decode, _ = self._codec(dst)
            encode = self._encoder(src)
            return lambda env: decode(encode(value(env)))
        if name == "fpext":
            if not isinstance(dst, ir.DoubleType):
                raise Unsupported("fpext")
            return value
        if name == "fptrunc":
            if not isinstance(dst, ir.FloatType):
                raise Unsupported("fptrunc")
            return lambda env: _f32(value(env))
        if name in ("fptosi", "fptoui"):
            width, signed = dst.width, name == "fptosi"
            return lambda env: _to_int(value(env), width, signed)
        if name in ("sitofp", "uitofp"):
            width, single = src.width, isinstance(dst, ir.FloatType)
            if name == "sitofp":
                return lambda env: _int_to_float(_signed(value(env), width), single)
            return lambda env: _int_to_float(value(env), single)
        raise Unsupported(name)

    def _codec(self, ty: ir.Type):
        """(bytes -> value, size) for loads of `ty`."""
        e = self.endian
        if isinstance(ty, ir.IntType):
            size = (ty.width + 7) // 8
            order = "little" if self.little else "big"
            mask = (1 << ty.width) - 1
            return (lambda data: int.from_bytes(data, order) & mask), size
        if isinstance(ty, ir.PointerType):
            order = "little" if self.little else "big"
            return (lambda data: int.from_bytes(data, order)), 8
        if isinstance(ty, ir.FloatType):
            return (lambda data: struct.unpack(e + "f", data)[0]), 4
        if isinstance(ty, ir.DoubleType):
            return (lambda data: struct.unpack(e + "d", data)[0]), 8
        if isinstance(ty, ir.ArrayType) and _plain_bytes(ty):
            return bytes, _size(ty)
        raise Unsupported(f"values of type {ty}")

    def _encoder(self, ty: ir.Type):
        e = self.endian
        if isinstance(ty, (ir.IntType, ir.PointerType)):
            size = (ty.width + 7) // 8 if isinstance(ty, ir.IntType) else 8
            order = "little" if self.little else "big"
            return lambda v: int(v).to_bytes(size, order)
        if isinstance(ty, ir.FloatType):
            return lambda v: struct.pack(e + "f", v)
        if isinstance(ty, ir.DoubleType):
            return lambda v: struct.pack(e + "d", v)
        if isinstance(ty, ir.ArrayType) and _plain_bytes(ty):
            return bytes
        raise Unsupported(f"values of type {ty}")

    # --- running ---------------------------------------------------------------------

    def run(self, addresses: list[int], block: bytes, result: int, result_size: int,
            memory: Memory, copies: tuple[tuple[int, bytes], ...] = ()) -> bytes:
        """The bytes the code would leave in its `result_size`-byte result at address
        `result`, given the argument block's bytes and the addresses of `externals`.
        `copies`: objects the argument block points to that are not yet in the
        debuggee's memory (copies of values kept in registers), as (address, bytes);
        the code reads them, a store to one raises Bail. Raises Bail."""
        own = _OwnMemory(memory, copies)
        env: list = [None] * (len(self._slots) + 2)
        env[MEMORY] = own
        block_address = own.own(max(len(block), 1), 16)
        own.write(block_address, block)
        own.add_result(result, result_size)
        frame, result_arg = self._args
        env[frame] = block_address
        env[result_arg] = result
        env[EXTERNALS] = addresses
        blocks = self.blocks
        current, previous, steps = 0, None, 0
        try:
            while current is not None:
                block = blocks[current]
                if block.phis:
                    values = [(slot, incoming[previous](env))
                              for slot, incoming in block.phis]
                    for slot, value in values:
                        env[slot] = value
                for op in block.ops:
                    op(env)
                steps += len(block.ops) + 1
                if steps > BUDGET:
                    raise Bail("too many steps to interpret", again=False)
                previous, current = current, block.terminator(env)
        except (TypeError, KeyError, OverflowError, ValueError) as e:
            raise Bail(f"not as the machine would: {e}") from None
        return bytes(own.result)


# How each class of instruction is prepared: as the first of these classes it is a
# subclass of, in the order isinstance tests would take (irgen's VolatileLoad is a
# LoadInstr)
_PREPARATIONS = [
    (ir.PhiInstr, Plan._phi),
    (ir.Terminator, Plan._terminator),
    (ir.AllocaInstr, Plan._alloca),
    (ir.LoadInstr, Plan._load),
    (ir.LoadAtomicInstr, Plan._load),
    (ir.StoreInstr, Plan._store),
    (ir.StoreAtomicInstr, Plan._store),
    (ir.GEPInstr, Plan._gep),
    (ir.CallInstr, Plan._call),
    (ir.SelectInstr, Plan._select),
    (ir.ICMPInstr, Plan._icmp),
    (ir.FCMPInstr, Plan._fcmp),
    (ir.CastInstr, Plan._cast),
    (ir.Instruction, Plan._arithmetic),
]
_PREPARE: dict[type, tuple[type, Callable]] = {}   # _preparation's answers
_phi, _terminator, _call = Plan._phi, Plan._terminator, Plan._call


def _preparation(cls: type) -> tuple[type, Callable]:
    """The class of _PREPARATIONS instructions of class `cls` are, and their preparation."""
    found = _PREPARE.get(cls)
    if found is None:
        found = next(((known, prepare) for known, prepare in _PREPARATIONS
                      if issubclass(cls, known)), None)
        if found is None:
            raise Unsupported(cls.__name__)
        _PREPARE[cls] = found
    return found


def _promotable(func: ir.Function) -> set[int]:
    """The allocas only ever loaded and stored whole, as one scalar type: each can
    live in a slot of the environment instead of memory (LLVM's mem2reg)."""
    candidates: dict[int, ir.AllocaInstr] = {}
    accesses = []                   # (address, type loaded or stored, instruction)
    spoilt: set[int] = set()        # the values used otherwise
    for block in func.blocks:
        for inst in block.instructions:
            known, _ = _preparation(type(inst))
            if known is ir.LoadInstr:
                accesses.append((inst.operands[0], inst.type, inst))
            elif known is ir.StoreInstr:
                value, address = inst.operands
                spoilt.add(id(value))
                accesses.append((address, value.type, inst))
            elif known is ir.PhiInstr:
                spoilt.update(id(v) for v, _ in inst.incomings)
            elif known is ir.CallInstr:
                spoilt.update(map(id, inst.args))
            else:
                spoilt.update(map(id, inst.operands))
                if known is ir.AllocaInstr and not inst.operands \
                        and isinstance(inst.allocated_type, _SCALARS):
                    candidates[id(inst)] = inst
    for address, ty, inst in accesses:
        alloca = candidates.get(id(address))
        if alloca is None:
            continue
        # whole: as the allocated type (`is` first: llvmlite's == is slow)
        whole = alloca.allocated_type is ty or alloca.allocated_type == ty
        if not whole or getattr(inst, "volatile", False):
            spoilt.add(id(address))
    return candidates.keys() - spoilt


def _zero(ty: ir.Type):
    return 0.0 if isinstance(ty, (ir.FloatType, ir.DoubleType)) else 0


_SCALARS = (ir.IntType, ir.FloatType, ir.DoubleType, ir.PointerType)
MEMORY = -1          # the environment's last slots: the interpretation's memory
EXTERNALS = -2       # and the addresses of the externals
MASK64 = (1 << 64) - 1
_INT_OPS = {"add", "sub", "mul", "udiv", "sdiv", "urem", "srem", "shl", "lshr", "ashr",
            "and", "or", "xor"}
_FLOAT_OPS = {"fadd", "fsub", "fmul", "fdiv", "frem"}


class _Block:
    def __init__(self):
        self.phis: list = []
        self.ops: list = []
        self.terminator = None


class _OwnMemory:
    """The expression's locals and its result, in Python; everything else is the
    debuggee's, read only, as are the `copies` (address, bytes) the debugger holds
    for it."""

    def __init__(self, memory: Memory, copies: tuple[tuple[int, bytes], ...] = ()):
        self.memory = memory
        self.copies = copies
        self.regions: list[tuple[int, bytearray]] = []
        self.next = OWN_BASE
        self.result = bytearray()

    def own(self, size: int, align: int) -> int:
        address = -(-self.next // align) * align
        self.regions.append((address, bytearray(size)))
        self.next = address + size + 16      # a gap: running off an object is seen
        return address

    def add_result(self, address: int, size: int) -> None:
        self.result = bytearray(size)
        self.regions.append((address, self.result))

    @staticmethod
    def _find(regions, address: int, size: int):
        for start, data in regions:
            end = start + len(data)
            if start <= address < end or address < start < address + size:
                if address < start or address + size > end:
                    raise Bail("an access beyond one of the expression's objects")
                return start, data
        return None

    def read(self, address: int, size: int) -> bytes:
        found = self._find(self.regions, address, size) or \
            self._find(self.copies, address, size)
        if found is not None:
            start, data = found
            return bytes(data[address - start:address - start + size])
        if address >= OWN_BASE:
            raise Bail("a load outside the expression's objects")
        return self.memory.read(address, size)

    def write(self, address: int, data: bytes) -> None:
        found = self._find(self.regions, address, len(data))
        if found is None:
            raise Bail("a store to the debuggee's memory", again=False)
        start, region = found
        region[address - start:address - start + len(data)] = data


def _set(slot: int, compute):
    def op(env):
        env[slot] = compute(env)
    return op


def _signed(value: int, width: int) -> int:
    value &= (1 << width) - 1
    return value - (1 << width) if value >> (width - 1) else value


def _int_op(name: str, width: int, a, b):
    mask = (1 << width) - 1
    if name == "add":
        return lambda env: (a(env) + b(env)) & mask
    if name == "sub":
        return lambda env: (a(env) - b(env)) & mask
    if name == "mul":
        return lambda env: (a(env) * b(env)) & mask
    if name == "and":
        return lambda env: a(env) & b(env)
    if name == "or":
        return lambda env: a(env) | b(env)
    if name == "xor":
        return lambda env: a(env) ^ b(env)
    top = 1 << (width - 1)

    def s(v):
        return _signed(v, width)

    def shift(kind):
        def compute(env):
            x, n = a(env), b(env)
            if n >= width:
                raise Bail("a shift the machine does differently")   # poison in LLVM
            if kind == "shl":
                return (x << n) & mask
            if kind == "lshr":
                return x >> n
            return (s(x) >> n) & mask
        return compute

    if name in ("shl", "lshr", "ashr"):
        return shift(name)

    def divide(env):
        x, y = a(env), b(env)
        if y == 0:
            raise Bail("a division by zero")       # the machine's answer, or its trap
        if name in ("udiv", "urem"):
            return x // y if name == "udiv" else x % y
        sx, sy = s(x), s(y)
        if sx == -top and sy == -1:
            raise Bail("a division that overflows")
        q = abs(sx) // abs(sy)
        q = q if (sx < 0) == (sy < 0) else -q        # C truncates toward zero
        return (q if name == "sdiv" else sx - q * sy) & mask
    return divide


def _float_op(name: str, single: bool, a, b):
    rounded = _f32 if single else (lambda v: v)
    if name == "fadd":
        return lambda env: rounded(a(env) + b(env))
    if name == "fsub":
        return lambda env: rounded(a(env) - b(env))
    if name == "fmul":
        return lambda env: rounded(a(env) * b(env))
    if name == "fdiv":
        return lambda env: rounded(_fdiv(a(env), b(env)))
    return lambda env: rounded(_frem(a(env), b(env)))


def _fdiv(x: float, y: float) -> float:
    if y != 0.0:
        return x / y
    if x != x or x == 0.0:
        return math.nan
    return math.copysign(math.inf, x) * math.copysign(1.0, y)


def _frem(x: float, y: float) -> float:
    if y == 0.0 or math.isinf(x) or x != x or y != y:
        return math.nan
    return math.fmod(x, y)


def _f32(value: float) -> float:
    """`value` rounded to single precision as the machine rounds (to nearest even;
    overflow to infinity)."""
    return ctypes.c_float(value).value


def _int_to_float(value: int, single: bool) -> float:
    """An integer converted as the machine converts it: rounded once, to nearest even
    (rounding a 64-bit integer to double and then to float could round twice)."""
    if not single:
        return float(value)
    magnitude = abs(value)
    excess = magnitude.bit_length() - 24
    if excess > 0:
        half, rest = 1 << (excess - 1), magnitude & ((1 << excess) - 1)
        magnitude >>= excess
        if rest > half or (rest == half and magnitude & 1):
            magnitude += 1
        magnitude <<= excess
    return _f32(float(magnitude if value >= 0 else -magnitude))


def _to_int(value: float, width: int, signed: bool):
    """`fptosi`/`fptoui`: poison when out of range (irgen selects it away)."""
    if value != value or math.isinf(value):
        return POISON
    n = math.trunc(value)
    low, high = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    if not low <= n <= high:
        return POISON
    return n & ((1 << width) - 1)


def _saturate(value: float, width: int, signed: bool) -> int:
    """`llvm.fpto[su]i.sat`: clamped to the range, NaN is 0 (AArch64's fcvtz[su])."""
    if value != value:
        return 0
    low, high = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    n = high if value >= high else low if value <= low else math.trunc(value)
    return n & ((1 << width) - 1)


# icmp's predicates: the comparison, and whether it compares the values as signed
_ICMP = {"==": (operator.eq, False), "!=": (operator.ne, False),
         "eq": (operator.eq, False), "ne": (operator.ne, False),
         "ugt": (operator.gt, False), "uge": (operator.ge, False),
         "ult": (operator.lt, False), "ule": (operator.le, False),
         "sgt": (operator.gt, True), "sge": (operator.ge, True),
         "slt": (operator.lt, True), "sle": (operator.le, True)}
# fcmp's ordered predicates (the unordered ones are true for a NaN as well)
_FCMP = {"oeq": operator.eq, "one": operator.ne, "ogt": operator.gt,
         "oge": operator.ge, "olt": operator.lt, "ole": operator.le,
         "ord": lambda x, y: True}


def _icmp(op: str, ty: ir.Type, a, b):
    width = ty.width if isinstance(ty, ir.IntType) else 64
    if op not in _ICMP:
        raise Unsupported(f"icmp {op}")
    compare, signed = _ICMP[op]
    if signed:
        return lambda env: int(compare(_signed(int(a(env)), width),
                                       _signed(int(b(env)), width)))
    return lambda env: int(compare(int(a(env)), int(b(env))))


def _fcmp(op: str, a, b):
    if op == "uno":
        return lambda env: int(a(env) != a(env) or b(env) != b(env))
    if op in _FCMP:
        compare = _FCMP[op]

        def fcmp_ordered(env):
            x, y = a(env), b(env)
            return int(x == x and y == y and compare(x, y))
        return fcmp_ordered
    if op.startswith("u") and "o" + op[1:] in _FCMP:
        compare = _FCMP["o" + op[1:]]

        def fcmp_unordered(env):
            x, y = a(env), b(env)
            return int(x != x or y != y or compare(x, y))
        return fcmp_unordered
    if op == "true":
        return lambda env: 1
    if op == "false":
        return lambda env: 0
    raise Unsupported(f"fcmp {op}")


def _size(ty: ir.Type) -> int:
    if isinstance(ty, ir.IntType):
        return max(1, 1 << max(0, (ty.width - 1).bit_length() - 3)) if ty.width > 8 else 1
    if isinstance(ty, (ir.PointerType, ir.DoubleType)):
        return 8
    if isinstance(ty, ir.FloatType):
        return 4
    if isinstance(ty, ir.ArrayType):
        return ty.count * _size(ty.element)
    raise Unsupported(f"the size of {ty}")


def _check_type(ty: ir.Type) -> None:
    """Only the types whose machine behaviour the interpreter reproduces."""
    if isinstance(ty, ir.IntType) and ty.width <= 64 or isinstance(
            ty, (ir.FloatType, ir.DoubleType, ir.PointerType, ir.VoidType)):
        return
    if isinstance(ty, ir.ArrayType):
        return _check_type(ty.element)
    raise Unsupported(f"values of type {ty}")


def _align(ty: ir.Type) -> int:
    if isinstance(ty, ir.ArrayType):
        return _align(ty.element)
    return min(_size(ty), 16)


def _plain_bytes(ty: ir.ArrayType) -> bool:
    return isinstance(ty.element, ir.IntType) and ty.element.width == 8
