"""LLVM IR generation from a checked Program, in pykaleidoscope's manner: one
`_gen_<NodeClass>` handler per node kind returning an ir.Value, named temporaries, and
allocas in the entry block.

The module defines

    void @__lldb_jit_expr(ptr %frame, ptr %result)

`%frame` points to an array of pointers, slot i holding the address of the storage of
program.frame_refs[i]; the value of the expression is stored at `%result`. Globals and
functions of the debuggee are external declarations by link name, resolved by the
linker: no address ever appears in the IR.

Record and array values are represented by their address; struct layout comes from
debug info, so a struct is an opaque byte array reached by byte offsets (packing and
bit-fields included)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from types import MappingProxyType

from llvmlite import ir
from llvmlite.ir._utils import DuplicatedNameError, NameScope
from llvmlite.ir.values import ArgumentAttributes

from . import callconv, targets
from .callconv import Class, Passing
from .frontend import Program
from .frontend import ast as A
from .frontend.ast import Op
from .frontend.ctype import (FLOAT_KINDS, RECORD_KINDS, CType, Kind, is_flonum, is_function,
                             is_integer, is_pointer, is_record, is_unsigned, is_void,
                             qualifier_set, strip_typedefs)
from .frontend.provider import SymKind

ENTRY = "__lldb_jit_expr"

i1, i8, i32, i64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
ptr = ir.PointerType()
ENTRY_TYPE = ir.FunctionType(ir.VoidType(), [ptr, ptr])   # void (ptr %frame, ptr %result)
FLOAT_RANK = {Kind.FLOAT: 0, Kind.DOUBLE: 1, Kind.LDOUBLE: 2}
# (Tuples of kinds named once: an enum member looked up on its class costs a call.)
BY_ADDRESS_KINDS = RECORD_KINDS + (Kind.ARRAY, Kind.FUNC)  # values that are their address
COPIED_KINDS = RECORD_KINDS + (Kind.ARRAY,)                 # stored by memcpy


class QuickNameScope(NameScope):
    """llvmlite's naming of values (a name taken gets `.1`, `.2`, ... appended), in one
    call instead of its three or four: an expression names dozens of values."""

    def register(self, name: str, deduplicate: bool = False) -> str:
        used = self._useset
        if name in used:
            if not deduplicate:
                raise DuplicatedNameError(name)
            basename, counts = name, self._basenamemap
            while name in used:
                counts[basename] += 1
                name = f"{basename}.{counts[basename]}"
        used.add(name)
        return name


class VolatileLoad(ir.LoadInstr):
    """`load volatile` (llvmlite has no flag for it); `volatile` tells the interpreter
    to leave it to the machine's own load."""
    volatile = True

    def descr(self, buf):
        super().descr(buf)
        buf[-1] = buf[-1].replace("load ", "load volatile ", 1)


class VolatileStore(ir.StoreInstr):
    volatile = True

    def descr(self, buf):
        super().descr(buf)
        buf[-1] = buf[-1].replace("store ", "store volatile ", 1)


# Never with nsw/nuw: signed overflow wraps, as on the hardware.
INT_OPS = {Op.ADD: "add", Op.SUB: "sub", Op.MUL: "mul", Op.BITAND: "and_",
           Op.BITOR: "or_", Op.BITXOR: "xor"}
SHIFT_OPS = {(Op.SHL, True): "shl", (Op.SHL, False): "shl", (Op.SHR, True): "ashr",
             (Op.SHR, False): "lshr"}
FLOAT_OPS = {Op.ADD: "fadd", Op.SUB: "fsub", Op.MUL: "fmul", Op.DIV: "fdiv",
             Op.MOD: "frem"}
TEMP_NAMES = {op: f"{op.name.lower()}tmp" for op in Op}   # "addtmp"
OP_SYMBOLS = {op: op.value for op in Op}                  # "<=" (op.value is slow)
DIVISIONS = (Op.DIV, Op.MOD)


class ExtFloatType(ir.Type):
    """x86_fp80 and fp128, which llvmlite.ir does not spell."""

    def __init__(self, name: str):
        self.name = name

    def _to_string(self) -> str:
        return self.name

    def __eq__(self, other) -> bool:
        return isinstance(other, ExtFloatType) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


class TypedCallee:
    """A callee called with an explicit function type: calls of functions without a
    prototype, whose declaration may not match this call's argument types."""

    def __init__(self, value: ir.Value, fnty: ir.FunctionType):
        self.value = value
        self.type = value.type
        self.function_type = fnty

    def get_reference(self) -> str:
        return self.value.get_reference()


class TypedAttributes(ArgumentAttributes):
    """`byval(T)`/`sret(T)` on an opaque `ptr` argument (llvmlite takes T from a typed
    pointer, which our addresses are not)."""

    def __init__(self, name: str, pointee: ir.Type, align: int):
        super().__init__([name])
        self.pointee = pointee
        self.align = align

    def _expand(self, name: str, typ: ir.Type) -> str:
        return f"{name}({self.pointee})" if self._known.get(name) else name


class StackAlignAttributes(ArgumentAttributes):
    """`alignstack(N)`: the alignment of an argument's stack slot should it go to the
    stack, when not its LLVM type's (llvmlite does not spell it)."""
    _known = MappingProxyType({**ArgumentAttributes._known, "alignstack": False})

    def __init__(self, align: int):
        super().__init__(["alignstack"])
        self.stack_align = align

    def _expand(self, name: str, typ: ir.Type) -> str:
        return f"alignstack({self.stack_align})" if name == "alignstack" else \
            super()._expand(name, typ)


@dataclass(slots=True, frozen=True)
class Access:
    """How irgen loads and stores objects of one C type."""
    by_address: bool          # records, arrays, functions: their value is their address
    copied: bool              # records, arrays: stored by memcpy
    void: bool
    lltype: ir.Type | None    # the others': their LLVM type
    align: int
    size: int
    volatile: bool            # loaded and stored exactly once
    atomic: bool              # loaded and stored atomically, in one instruction


@dataclass(slots=True)
class Signature:
    """A C call as LLVM sees it once the calling convention is applied: the function
    type, the attributes of its LLVM arguments, and how each C argument travels (None:
    a scalar, lowered by LLVM itself)."""
    fnty: ir.FunctionType
    attrs: dict[int, ArgumentAttributes]
    ret: Passing | None
    args: list[Passing | None]

    @property
    def sret(self) -> bool:
        return self.ret is not None and self.ret.in_memory


def long_double_type(name: str) -> ir.Type:
    return ir.DoubleType() if name == "double" else ExtFloatType(name)


@functools.cache
def target_of(triple: str) -> tuple[targets.Target, ir.Type]:
    """The target of `triple` and the LLVM type of its long double, found once."""
    target = targets.for_triple(triple)
    return target, long_double_type(target.long_double)


def release(module: ir.Module) -> None:
    """Break the reference cycles of a module no longer used (each function and its
    blocks, arguments and return value; each block and its instructions), so that it
    is freed when it is dropped rather than by Python's garbage collector, whose
    passes over them cost an uncached evaluation more than making them did. (An
    llvmlite without these documented attributes leaves the module to the collector.)"""
    try:
        for func in module.functions:
            for block in func.blocks:
                block.instructions.clear()
                block.terminator = None
            func.blocks.clear()
            func.args, func.return_value = (), None
        module.globals.clear()
    except AttributeError:
        pass


def resolver_module(name: str, triple: str) -> ir.Module:
    """ENTRY calling the resolver of GNU indirect function `name` as `resolver(0, NULL)`
    and storing the pointer it returns at %result. `module.callee` is the resolver's
    link name."""
    module = ir.Module(name="lldb_jit_resolver")
    module.triple = triple
    resolver = ir.Function(module, ir.FunctionType(ptr, [i64, ptr]), f"{name}.resolver")
    func = ir.Function(module, ENTRY_TYPE, ENTRY)
    b = ir.IRBuilder(func.append_basic_block("entry"))
    b.store(b.call(resolver, [ir.Constant(i64, 0), ir.Constant(ptr, None)], name="impl"),
            func.args[1])
    b.ret_void()
    module.callee = resolver.name
    return module


def gen_module(program: Program, triple: str, data_layout: str = "") -> ir.Module:
    """Build the module defining ENTRY for a checked program."""
    return IRGenerator(program, triple, data_layout).module


class IRGenerator:
    def __init__(self, program: Program, triple: str, data_layout: str):
        self.module = ir.Module(name="lldb_jit")
        self.module.scope.__class__ = QuickNameScope
        self.module.triple = triple
        if data_layout:
            self.module.data_layout = data_layout
        self.target, self.long_double = target_of(triple)
        self.hardware = self.target.hardware
        self.program = program
        self.result_type = program.result_type
        self.lltypes: dict[CType, ir.Type] = {}
        self.accesses: dict[CType, Access] = {}
        self.returning: CType | None = None   # in a FuncDef: its return type
        for fdef in program.functions:       # first: the entry may call them
            self.define(fdef)
        self.returning = None
        self.func = ir.Function(self.module, ENTRY_TYPE, ENTRY)
        self.func.attributes.add("nounwind")
        self.begin(self.func)
        self.frame, self.result = self.func.args
        self.frame.name, self.result.name = "frame", "result"
        self._gen_stmt(program.body)
        if not self.builder.block.is_terminated:
            self.builder.ret_void()

    def begin(self, func: ir.Function):
        """Start generating `func`: its entry block (for allocas) and body."""
        self.func = func
        func.scope.__class__ = QuickNameScope   # names its arguments already have stay
        # a load through a null pointer must fault, as in the program's own code, not be
        # folded away by LLVM as undefined behaviour (llvmlite does not know the name)
        set.add(func.attributes, "null_pointer_is_valid")
        self.locals: dict[int, ir.Value] = {}       # id(LocalVar) -> alloca
        self.slot_addrs: dict[int, ir.Value] = {}   # frame slot -> loaded address
        self.loops: list[tuple[ir.Block, ir.Block]] = []  # (break, continue) targets
        entry = func.append_basic_block("entry")
        self.entry_builder = ir.IRBuilder(entry)
        body = func.append_basic_block("body")
        self.entry_builder.branch(body)
        self.entry_builder.position_at_start(entry)
        self.builder = ir.IRBuilder(body)

    def define(self, fdef: A.FuncDef):
        """A top-level function `fdef.name`, with the platform's calling convention
        (the same lowering as a call of it), so that later expressions and the
        debuggee itself can call it. Its parameters (scalars: the checker refuses
        records) are stored to allocas, as clang does at -O0."""
        fty = strip_typedefs(fdef.func_ty)
        ret = None if is_void(fty.base) else fty.base
        fn = self.declare_function(fdef.name, fty)
        self.begin(fn)
        self.returning = fty.base
        for param, arg in zip(fdef.params, fn.args):
            arg.name = param.name
            self.store(self.local_addr(param.var), arg, param.var.ty)
        self._gen_stmt(fdef.body)
        if not self.builder.block.is_terminated:   # falling off the end: as main, 0
            if ret is None:
                self.builder.ret_void()
            else:
                self.builder.ret(ir.Constant(self.lltype(ret), None))

    # --- types ------------------------------------------------------------------------

    def lltype(self, ty: CType) -> ir.Type:
        """The LLVM type of `ty`, made once per CType of the program (types do not change
        while irgen runs; the same few recur at every node)."""
        lltype = self.lltypes.get(ty)
        if lltype is None:
            lltype = self.lltypes[ty] = self.lower_type(strip_typedefs(ty))
        return lltype

    def lower_type(self, ty: CType) -> ir.Type:
        k = ty.kind
        if k is Kind.ENUM:
            return self.lltype(ty.base)
        if k is Kind.VOID:
            return ir.VoidType()
        if k is Kind.FLOAT:
            return ir.FloatType()
        if k is Kind.DOUBLE:
            return ir.DoubleType()
        if k is Kind.LDOUBLE:
            return self.long_double
        if k in (Kind.PTR, Kind.FUNC):
            return ptr
        if k is Kind.ARRAY:
            return ir.ArrayType(self.lltype(ty.base), max(ty.length, 0))
        if k in RECORD_KINDS:
            return ir.ArrayType(i8, ty.size if ty.members is not None else 0)
        return ir.IntType(ty.size * 8)

    def unsigned(self, ty: CType) -> bool:
        """Whether values of `ty` are unsigned; plain `char` is as the target says."""
        t = strip_typedefs(ty)
        return is_unsigned(t) or (t.kind is Kind.CHAR and not self.target.char_signed)

    def extension_attrs(self, ty: CType) -> tuple[str, ...]:
        """The C ABI widens small integer arguments: the caller marks them."""
        t = strip_typedefs(ty)
        if t.kind is Kind.ENUM:
            t = strip_typedefs(t.base)
        if t.size < 4 and t.kind not in (Kind.STRUCT, Kind.UNION, Kind.OPAQUE, Kind.ARRAY,
                                         Kind.FLOAT):
            return ("zeroext",) if self.unsigned(t) else ("signext",)
        if t.size == 4 and is_integer(t) and self.target.sign_extend_int32:
            return ("signext",)
        return ()

    def part_type(self, part: callconv.Part) -> ir.Type:
        """The LLVM type of one part of a record: one register's worth, or an array of
        `count` of them."""
        if part.cls is Class.SSE:
            element = ir.FloatType() if part.size <= 4 else ir.DoubleType()
        elif part.cls is Class.X87:
            element = self.long_double
        else:
            element = ir.IntType(8 * part.size)
        return element if part.count == 1 else ir.ArrayType(element, part.count)

    # --- calls: the C calling convention (lldb_jit.callconv) ------------------------------

    def signature(self, ret: CType | None, args: list[CType], nfixed: int,
                  variadic: bool) -> Signature:
        """The lowered signature of a call with arguments of types `args` (the first
        `nfixed` of them declared parameters). Records go by the target's callconv."""
        ret_passing, passings = None, [None] * len(args)
        if callconv.is_record_call(ret, args):
            lowering = self.target.callconv.lower_call(ret, args, nfixed)
            ret_passing = lowering.ret if ret is not None and is_record(ret) else None
            passings = [p if is_record(t) else None for p, t in zip(lowering.args, args)]
        operands = []
        if ret_passing is not None and ret_passing.in_memory:
            operands.append((ptr, self.record_attrs("sret", ret)))
        fixed = None
        for i, (ty, passing) in enumerate(zip(args, passings)):
            fixed = len(operands) if i == nfixed else fixed
            operands += self.arg_operands(ty, passing)
        fixed = len(operands) if fixed is None else fixed
        fnty = ir.FunctionType(self.return_type(ret, ret_passing),
                               [t for t, _ in operands[:fixed]], var_arg=variadic)
        attrs = {i: a for i, (_, a) in enumerate(operands) if a}
        return Signature(fnty, attrs, ret_passing, passings)

    def record_attrs(self, name: str, ty: CType) -> TypedAttributes:
        return TypedAttributes(name, self.lltype(ty), max(strip_typedefs(ty).align, 8))

    def arg_operands(self, ty: CType, passing: Passing | None) -> list[tuple]:
        """(LLVM type, attributes or None) of each LLVM argument carrying one C one."""
        if passing is None:
            return [(self.lltype(ty), ArgumentAttributes(self.extension_attrs(ty)))]
        if passing.by_reference:
            return [(ptr, None)]
        if passing.in_memory:
            return [(ptr, self.record_attrs("byval", ty))]
        attrs = StackAlignAttributes(passing.stack_align) if passing.stack_align else None
        return [(self.part_type(p), attrs) for p in passing.parts]

    def return_type(self, ret: CType | None, passing: Passing | None) -> ir.Type:
        if ret is None or is_void(ret) or passing is not None and passing.in_memory:
            return ir.VoidType()
        if passing is None:
            return self.lltype(ret)
        types = [self.part_type(p) for p in passing.parts]
        if not types:
            return ir.VoidType()  # an empty record
        return types[0] if len(types) == 1 else ir.LiteralStructType(types)

    def arg_values(self, value: ir.Value, ty: CType,
                   passing: Passing | None) -> list[ir.Value]:
        """The LLVM arguments for one C argument (a record's value is its address)."""
        if passing is None:
            return [value]
        size = strip_typedefs(ty).size
        if passing.by_reference:  # the callee may write to its copy
            copy = self.alloca(ty, "agg.tmp")
            self.memcpy(copy, value, size)
            return [copy]
        if passing.in_memory:
            return [value]  # byval copies the record to the stack
        if passing.extent > size:  # registers rounded up past the record's end
            copy = self.record_temp(ty, passing, "agg.tmp")
            self.memcpy(copy, value, size)
            value = copy
        return [self.builder.load(self.byte_gep(value, p.offset), typ=self.part_type(p),
                                  align=1, name="part") for p in passing.parts]

    def record_temp(self, ty: CType, passing: Passing, name: str) -> ir.Value:
        """A temporary for a record crossing a call: big enough for all its register
        parts, and aligned as record_attrs tells LLVM an sret pointer is."""
        t = strip_typedefs(ty)
        slot = self.entry_builder.alloca(ir.ArrayType(i8, max(t.size, passing.extent)),
                                         name=name)
        slot.align = max(t.align, 8)
        return opaque(slot)

    def returned_record(self, call: ir.Value, ret: CType, passing: Passing) -> ir.Value:
        """Store a record returned in registers to a temporary; its address."""
        addr = self.record_temp(ret, passing, "retval")
        for i, part in enumerate(passing.parts):
            value = call if len(passing.parts) == 1 else \
                self.builder.extract_value(call, i, name="part")
            self.builder.store(value, self.byte_gep(addr, part.offset), align=1)
        return addr

    def byte_gep(self, addr: ir.Value, offset: int, name: str = "") -> ir.Value:
        if offset == 0:
            return addr
        return self.builder.gep(addr, [ir.Constant(i64, offset)], source_etype=i8, name=name)

    # --- storage ----------------------------------------------------------------------

    def alloca(self, ty: CType, name: str) -> ir.Value:
        slot = self.entry_builder.alloca(self.lltype(ty), name=name)
        slot.align = max(strip_typedefs(ty).align, 1)
        return opaque(slot)

    def local_addr(self, var: A.LocalVar) -> ir.Value:
        addr = self.locals.get(id(var))
        if addr is None:
            addr = self.locals[id(var)] = self.alloca(var.ty, var.name)
        return addr

    def slot_addr(self, slot: int, name: str) -> ir.Value:
        if slot not in self.slot_addrs:
            b = self.entry_builder
            cell = b.gep(self.frame, [ir.Constant(i64, slot)], source_etype=ptr,
                         name=f"{name}.slot")
            self.slot_addrs[slot] = b.load(cell, name=f"{name}.addr", typ=ptr)
        return self.slot_addrs[slot]

    def global_addr(self, sym) -> ir.Value:
        existing = self.module.globals.get(sym.link_name)
        if existing is not None:
            return existing
        if sym.kind is SymKind.FUNCTION or is_function(sym.type):
            return self.declare_function(sym.link_name, strip_typedefs(sym.type))
        gv = ir.GlobalVariable(self.module, self.lltype(sym.type), sym.link_name)
        gv.align = max(strip_typedefs(sym.type).align, 1)
        return opaque(gv)

    def declare_function(self, name: str, fty: CType, sig: Signature | None = None):
        """`name` declared by its prototype, else with the signature of its first call."""
        if fty.kind is Kind.FUNC and fty.base is not None and fty.has_proto:
            ret = None if is_void(fty.base) else fty.base
            sig = self.signature(ret, fty.params, len(fty.params), fty.variadic)
        if sig is None:
            return ir.Function(self.module, ir.FunctionType(ir.VoidType(), []), name)
        fn = ir.Function(self.module, sig.fnty, name)
        for i, arg in enumerate(fn.args):
            if i in sig.attrs:
                arg.attributes = sig.attrs[i]
        return fn

    def string_literal(self, data: bytes) -> ir.Value:
        data += b"\0"
        lltype = ir.ArrayType(i8, len(data))
        gv = ir.GlobalVariable(self.module, lltype, self.module.get_unique_name(".str"))
        gv.linkage = "private"
        gv.global_constant = True
        gv.unnamed_addr = True
        gv.initializer = ir.Constant(lltype, bytearray(data))
        return opaque(gv)

    def intrinsic(self, name: str, fnty: ir.FunctionType) -> ir.Function:
        return self.module.globals.get(name) or ir.Function(self.module, fnty, name)

    def memcpy(self, dst: ir.Value, src: ir.Value, size: int):
        fn = self.intrinsic("llvm.memcpy.p0.p0.i64",
                            ir.FunctionType(ir.VoidType(), [ptr, ptr, i64, i1]))
        self.builder.call(fn, [dst, src, ir.Constant(i64, size), ir.Constant(i1, 0)])

    def memset(self, dst: ir.Value, size: int):
        fn = self.intrinsic("llvm.memset.p0.i64",
                            ir.FunctionType(ir.VoidType(), [ptr, i8, i64, i1]))
        self.builder.call(fn, [dst, ir.Constant(i8, 0), ir.Constant(i64, size),
                               ir.Constant(i1, 0)])

    # --- statements -------------------------------------------------------------------

    def _gen_stmt(self, node: A.Node):
        if self.builder.block.is_terminated:  # code after return/break: unreachable
            self.builder.position_at_end(self.func.append_basic_block("dead"))
        STMT_HANDLERS[type(node)](self, node)

    def _stmt_Block(self, node: A.Block):
        for stmt in node.body:
            self._gen_stmt(stmt)

    def _stmt_ExprStmt(self, node: A.ExprStmt):
        self.gen(node.expr)

    def _stmt_Result(self, node: A.Result):
        self.store_result(node.expr)

    def _stmt_Return(self, node: A.Return):
        if self.returning is not None:    # in a top-level function
            if node.value is None:
                self.builder.ret_void()
            else:
                self.builder.ret(self.gen(node.value))
            return
        if node.value is not None:
            self.store_result(node.value)
        self.builder.ret_void()

    def store_result(self, expr: A.Node):
        value = self.gen(expr)
        self.store(self.result, value, self.result_type)

    def _stmt_Decl(self, node: A.Decl):
        addr = self.local_addr(node.var)
        if node.init is not None:
            self.store(addr, self.gen(node.init), node.var.ty)

    def _stmt_Zero(self, node: A.Zero):
        self.memset(self.addr(node.target), strip_typedefs(node.target.ty).size)

    def _stmt_If(self, node: A.If):
        then_bb = self.func.append_basic_block("if.then")
        else_bb = self.func.append_basic_block("if.else") if node.els else None
        end_bb = self.func.append_basic_block("if.end")
        self.builder.cbranch(self.condition(node.cond), then_bb, else_bb or end_bb)
        for block, stmt in ((then_bb, node.then), (else_bb, node.els)):
            if block is None:
                continue
            self.builder.position_at_end(block)
            self._gen_stmt(stmt)
            if not self.builder.block.is_terminated:
                self.builder.branch(end_bb)
        self.builder.position_at_end(end_bb)

    def _stmt_Loop(self, node: A.Loop):
        if node.init is not None:
            self._gen_stmt(node.init)
        cond_bb = self.func.append_basic_block("loop.cond")
        body_bb = self.func.append_basic_block("loop.body")
        step_bb = self.func.append_basic_block("loop.step")
        end_bb = self.func.append_basic_block("loop.end")
        self.builder.branch(cond_bb if node.test_first else body_bb)
        self.builder.position_at_end(cond_bb)
        if node.cond is not None:
            self.builder.cbranch(self.condition(node.cond), body_bb, end_bb)
        else:
            self.builder.branch(body_bb)
        self.builder.position_at_end(body_bb)
        self.loops.append((end_bb, step_bb))
        self._gen_stmt(node.body)
        self.loops.pop()
        if not self.builder.block.is_terminated:
            self.builder.branch(step_bb)
        self.builder.position_at_end(step_bb)
        if node.step is not None:
            self.gen(node.step)
        self.builder.branch(cond_bb)
        self.builder.position_at_end(end_bb)

    def _stmt_Jump(self, node: A.Jump):
        break_bb, continue_bb = self.loops[-1]
        self.builder.branch(break_bb if node.keyword == "break" else continue_bb)

    # --- loads and stores -------------------------------------------------------------

    def access(self, ty: CType) -> Access:
        """How objects of `ty` are loaded and stored, found once per CType."""
        found = self.accesses.get(ty)
        if found is None:
            t = strip_typedefs(ty)
            _, volatile, atomic = qualifier_set(ty)
            scalar = t.kind not in BY_ADDRESS_KINDS and t.kind is not Kind.VOID
            found = self.accesses[ty] = Access(
                t.kind in BY_ADDRESS_KINDS, t.kind in COPIED_KINDS, t.kind is Kind.VOID,
                self.lltype(ty) if scalar else None, max(t.align, 1), t.size, volatile,
                atomic and self.lock_free(ty))
        return found

    def load(self, addr: ir.Value, ty: CType, name: str = "") -> ir.Value:
        """The value of the object at `addr`; records and arrays are their address.
        `_Atomic` scalars are loaded atomically, `volatile` ones exactly once."""
        a = self.access(ty)
        if a.by_address:
            return addr
        if a.atomic:
            return self.builder.load_atomic(addr, "seq_cst", a.size, name=name, typ=a.lltype)
        load = self.builder.load(addr, name=name, typ=a.lltype, align=a.align)
        if a.volatile:
            load.__class__ = VolatileLoad
        return load

    def store(self, addr: ir.Value, value: ir.Value, ty: CType):
        a = self.access(ty)
        if a.copied:
            self.memcpy(addr, value, a.size)
        elif not a.void:
            if a.atomic:   # (builder.store_atomic wants typed pointers)
                self.builder._insert(ir.instructions.StoreAtomicInstr(
                    self.builder.block, value, addr, "seq_cst", a.size))
                return
            store = self.builder.store(value, addr, align=a.align)
            if a.volatile:
                store.__class__ = VolatileStore

    @staticmethod
    def lock_free(ty: CType) -> bool:
        """Whether `ty` is loaded and stored atomically in one instruction. A `long
        double` is not: it is accessed as a plain one, which is safe while every other
        thread of the debuggee is held, as it is while our code runs."""
        return strip_typedefs(ty).size in (1, 2, 4, 8)

    def bitfield_unit(self, addr: ir.Value, m) -> tuple[ir.Value, ir.IntType]:
        """The smallest whole-byte integer covering bit-field `m`, and its type."""
        nbytes = (m.bit_offset + m.bit_width + 7) // 8
        unit_ty = ir.IntType(nbytes * 8)
        return self.builder.load(addr, name="bf.unit", typ=unit_ty, align=1), unit_ty

    def load_bitfield(self, addr: ir.Value, m) -> ir.Value:
        unit, unit_ty = self.bitfield_unit(addr, m)
        shifted = self.builder.lshr(unit, ir.Constant(unit_ty, m.bit_offset), "bf.shr")
        field = self.builder.trunc(shifted, ir.IntType(m.bit_width), "bf.field")
        ext = self.builder.zext if self.unsigned(m.type) else self.builder.sext
        return ext(field, self.lltype(m.type), "bf.val")

    def store_bitfield(self, addr: ir.Value, m, value: ir.Value):
        unit, unit_ty = self.bitfield_unit(addr, m)
        mask = ((1 << m.bit_width) - 1) << m.bit_offset
        kept = self.builder.and_(unit, ir.Constant(unit_ty, ~mask & ((1 << unit_ty.width) - 1)))
        field = self.builder.trunc(value, ir.IntType(m.bit_width), "bf.field")
        placed = self.builder.shl(self.builder.zext(field, unit_ty),
                                  ir.Constant(unit_ty, m.bit_offset))
        self.builder.store(self.builder.or_(kept, placed, "bf.unit"), addr, align=1)

    # --- expressions ------------------------------------------------------------------

    def gen(self, node: A.Node) -> ir.Value | None:
        return GEN_HANDLERS[type(node)](self, node)

    def addr(self, node: A.Node) -> ir.Value:
        """The address of an lvalue (or of a record/array-valued expression)."""
        if isinstance(node, A.VarRef):
            if node.local is not None:
                return self.local_addr(node.local)
            if node.slot >= 0:
                return self.slot_addr(node.slot, node.sym.name)
            return self.global_addr(node.sym)
        if isinstance(node, A.Unary) and node.op is Op.DEREF:
            return self.gen(node.operand)
        if isinstance(node, A.Member):
            base = self.gen(node.base)  # a record's value is its address
            if not node.member.offset:
                return base
            return self.builder.gep(base, [ir.Constant(i64, node.member.offset)],
                                    source_etype=i8, name=node.member.name or "anon")
        if isinstance(node, A.StmtExpr):
            self._gen_stmt(node.stmts)
            return self.addr(node.value)
        return self.gen(node)  # string literals, record-valued calls and conditionals

    def _gen_StmtExpr(self, node: A.StmtExpr) -> ir.Value:
        self._gen_stmt(node.stmts)
        return self.gen(node.value)

    def _gen_VarRef(self, node: A.VarRef) -> ir.Value:
        name = node.local.name if node.local else node.sym.name
        return self.load(self.addr(node), node.ty, name.lstrip("$"))

    def _gen_Member(self, node: A.Member) -> ir.Value:
        if node.member.bit_width:
            return self.load_bitfield(self.addr(node), node.member)
        return self.load(self.addr(node), node.ty, node.member.name)

    def _gen_Decay(self, node: A.Decay) -> ir.Value:
        return self.addr(node.operand)

    def _gen_IntLit(self, node: A.IntLit) -> ir.Value:
        lltype = self.lltype(node.ty)
        return ir.Constant(lltype, wrap_signed(node.value, lltype.width))

    def _gen_FloatLit(self, node: A.FloatLit) -> ir.Value:
        lltype = self.lltype(node.ty)
        if isinstance(lltype, ExtFloatType):
            return self.builder.fpext(ir.Constant(ir.DoubleType(), node.value), lltype)
        return ir.Constant(lltype, node.value)

    def _gen_StrLit(self, node: A.StrLit) -> ir.Value:
        return self.string_literal(node.value)

    def _gen_Cast(self, node: A.Cast) -> ir.Value | None:
        value = self.gen(node.operand)
        return self.convert(value, node.operand.ty, node.ty)

    def _gen_Unary(self, node: A.Unary) -> ir.Value:
        op, b = node.op, self.builder
        if op is Op.ADDR:
            return self.addr(node.operand)
        if op is Op.DEREF:
            return self.load(self.gen(node.operand), node.ty, "deref")
        if op is Op.NOT:
            return b.zext(self.condition(node), i32, "lnot")
        value = self.gen(node.operand)
        if op is Op.POS:
            return value
        if op is Op.NEG:
            return b.fneg(value, "negtmp") if is_flonum(node.ty) else b.neg(value, "negtmp")
        return b.not_(value, "nottmp")     # ~

    def _gen_PtrAdd(self, node: A.PtrAdd) -> ir.Value:
        base, offset, etype = self.gen(node.ptr), node.offset_expr, i8
        if isinstance(offset, A.Binary) and offset.op is Op.MUL and \
                isinstance(offset.rhs, A.IntLit) and offset.rhs.value > 1:
            # an index times the pointee's size: a getelementptr over elements of that
            # size does the multiplication (the same 64-bit wrapping product)
            etype, offset = ir.ArrayType(i8, offset.rhs.value), offset.lhs
        return self.builder.gep(base, [self.gen(offset)], source_etype=etype, name="ptradd")

    def _gen_Binary(self, node: A.Binary) -> ir.Value:
        op = node.op
        if op is Op.COMMA:
            self.gen(node.lhs)
            return self.gen(node.rhs)
        if op in A.COMPARISONS or op in A.LOGICAL_OPS:     # an int, 0 or 1
            return self.builder.zext(self.condition(node), i32, "booltmp")
        lhs, rhs = self.gen(node.lhs), self.gen(node.rhs)
        operand_ty = strip_typedefs(node.lhs.ty)
        b = self.builder
        if operand_ty.kind is Kind.PTR:  # pointer difference in bytes (the checker divides)
            return b.sub(b.ptrtoint(lhs, i64), b.ptrtoint(rhs, i64), "ptrdiff")
        if operand_ty.kind in FLOAT_KINDS:
            return getattr(b, FLOAT_OPS[op])(lhs, rhs, name=TEMP_NAMES[op])
        method = INT_OPS.get(op)
        if method is not None:
            return getattr(b, method)(lhs, rhs, name=TEMP_NAMES[op])
        signed = not self.unsigned(operand_ty)
        if op in DIVISIONS:
            return self.hardware.divide(b, op, lhs, rhs, signed)
        rhs = self.hardware.shift_count(b, rhs)
        return getattr(b, SHIFT_OPS[op, signed])(lhs, rhs, name=TEMP_NAMES[op])

    def compare(self, op: Op, lhs: ir.Value, rhs: ir.Value, ty: CType) -> ir.Value:
        b = self.builder
        symbol = OP_SYMBOLS[op]
        if is_flonum(ty):
            return (b.fcmp_unordered if op is Op.NE else b.fcmp_ordered)(symbol, lhs, rhs)
        if self.unsigned(ty) or is_pointer(ty):
            return b.icmp_unsigned(symbol, lhs, rhs, "cmptmp")
        return b.icmp_signed(symbol, lhs, rhs, "cmptmp")

    def logical(self, node: A.Binary) -> ir.Value:
        """`a && b`, `a || b` with short-circuit evaluation."""
        b = self.builder
        is_and = node.op is Op.LOGAND
        lhs = self.condition(node.lhs)
        lhs_bb = b.block
        rhs_bb = self.func.append_basic_block("and.rhs" if is_and else "or.rhs")
        end_bb = self.func.append_basic_block("and.end" if is_and else "or.end")
        b.cbranch(lhs, *((rhs_bb, end_bb) if is_and else (end_bb, rhs_bb)))
        b.position_at_end(rhs_bb)
        rhs = self.condition(node.rhs)
        rhs_end = b.block
        b.branch(end_bb)
        b.position_at_end(end_bb)
        phi = b.phi(i1, "logtmp")
        phi.add_incoming(ir.Constant(i1, 0 if is_and else 1), lhs_bb)
        phi.add_incoming(rhs, rhs_end)
        return phi

    def _gen_Cond(self, node: A.Cond) -> ir.Value | None:
        b = self.builder
        cond = self.condition(node.cond)
        then_bb = self.func.append_basic_block("cond.then")
        else_bb = self.func.append_basic_block("cond.else")
        end_bb = self.func.append_basic_block("cond.end")
        b.cbranch(cond, then_bb, else_bb)
        incoming = []
        for block, branch in ((then_bb, node.then), (else_bb, node.els)):
            b.position_at_end(block)
            incoming.append((self.gen(branch), b.block))
            b.branch(end_bb)
        b.position_at_end(end_bb)
        if is_void(node.ty):
            return None
        phi = b.phi(incoming[0][0].type, "condtmp")
        for value, block in incoming:
            phi.add_incoming(value, block)
        return phi

    def _gen_Assign(self, node: A.Assign) -> ir.Value:
        value = self.gen(node.rhs)
        addr = self.addr(node.lhs)
        if isinstance(node.lhs, A.Member) and node.lhs.member.bit_width:
            self.store_bitfield(addr, node.lhs.member, value)
            return self.load_bitfield(addr, node.lhs.member)
        self.store(addr, value, node.ty)
        return addr if is_record(node.ty) else value

    def _gen_Call(self, node: A.Call) -> ir.Value | None:
        """A function without a prototype is called as `ret f(...)`, so that the
        arguments (promoted by the checker) go as for printf and %al is set."""
        fty = strip_typedefs(strip_typedefs(node.func.ty).base)
        ret = None if is_void(node.ty) else node.ty
        nfixed = len(fty.params) if fty.has_proto else 0
        sig = self.signature(ret, [a.ty for a in node.args], nfixed,
                             fty.variadic or not fty.has_proto)
        callee = self.callee(node.func, fty, sig)
        operands = [self.record_temp(ret, sig.ret, "retval")] if sig.sret else []
        for arg, passing in zip(node.args, sig.args):
            operands += self.arg_values(self.gen(arg), arg.ty, passing)
        call = self.builder.call(callee, operands, name="" if ret is None else "calltmp")
        call.arg_attributes.update(sig.attrs)
        if ret is None:
            return None
        if sig.sret:
            return operands[0]
        return call if sig.ret is None else self.returned_record(call, ret, sig.ret)

    def callee(self, func: A.Node, fty: CType, sig: Signature):
        """A declared function when calling one by name, else a TypedCallee."""
        if isinstance(func, A.Decay) and isinstance(func.operand, A.VarRef) and \
                func.operand.sym is not None and func.operand.slot < 0:
            sym = func.operand.sym
            fn = self.module.globals.get(sym.link_name) or \
                self.declare_function(sym.link_name, fty, sig)
        else:
            fn = self.gen(func)
        return fn if getattr(fn, "function_type", None) == sig.fnty else \
            TypedCallee(fn, sig.fnty)

    # --- conversions ------------------------------------------------------------------

    def condition(self, node: A.Node) -> ir.Value:
        """An i1: whether the scalar `node` is nonzero. A comparison or a logical
        operator gives its own i1, which C would widen to an int only to test it."""
        if isinstance(node, A.Binary):
            if node.op in A.COMPARISONS:
                return self.compare(node.op, self.gen(node.lhs), self.gen(node.rhs),
                                    strip_typedefs(node.lhs.ty))
            if node.op in A.LOGICAL_OPS:
                return self.logical(node)
        elif isinstance(node, A.Unary) and node.op is Op.NOT:
            return self.builder.not_(self.condition(node.operand))
        return self.truth(self.gen(node), node.ty)

    def truth(self, value: ir.Value, ty: CType) -> ir.Value:
        """An i1: value != 0."""
        if is_flonum(ty):
            return self.builder.fcmp_unordered("!=", value, ir.Constant(value.type, 0),
                                               "tobool")
        zero = ir.Constant(value.type, None)
        return self.builder.icmp_unsigned("!=", value, zero, "tobool")

    def convert(self, value: ir.Value, src: CType, dst: CType) -> ir.Value | None:
        """The C conversion of `value` from type src to type dst (both scalar or void)."""
        b = self.builder
        s, d = strip_typedefs(src), strip_typedefs(dst)
        if d.kind is Kind.VOID:
            return None
        to = self.lltype(d)
        if d.kind is Kind.BOOL:
            return b.zext(self.truth(value, s), to, "tobool")
        if d.kind in FLOAT_KINDS:
            if s.kind in FLOAT_KINDS:
                grow = FLOAT_RANK[d.kind] > FLOAT_RANK[s.kind]
                same = FLOAT_RANK[d.kind] == FLOAT_RANK[s.kind]
                return value if same else (b.fpext if grow else b.fptrunc)(value, to, "fconv")
            return (b.uitofp if self.unsigned(s) else b.sitofp)(value, to, "itofp")
        if s.kind in FLOAT_KINDS:
            return self.hardware.float_to_int(b, value, to, not self.unsigned(d))
        if d.kind is Kind.PTR:
            return value if s.kind is Kind.PTR else b.inttoptr(value, to, "itoptr")
        if s.kind is Kind.PTR:
            return b.ptrtoint(value, to, "ptrtoi")
        return self.int_resize(value, to, s)

    def int_resize(self, value: ir.Value, to: ir.IntType, src: CType) -> ir.Value:
        """An integer of C type `src` as one of `to`'s width."""
        width = value.type.width
        if to.width == width:
            return value
        if to.width < width:
            return self.builder.trunc(value, to, "trunc")
        extend = self.builder.zext if self.unsigned(src) else self.builder.sext
        return extend(value, to, "ext")


GEN_HANDLERS = A.methods_by_node(IRGenerator, "_gen_")      # expressions: gen()
STMT_HANDLERS = A.methods_by_node(IRGenerator, "_stmt_")    # statements: _gen_stmt()


def opaque(value: ir.Value) -> ir.Value:
    """llvmlite gives global variables and allocas typed pointer types, which its
    builder checks stores and GEPs against; all our data addresses are plain `ptr`."""
    value.type = ptr
    return value


def wrap_signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value

