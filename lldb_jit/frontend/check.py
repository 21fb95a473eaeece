"""The checker: resolves names and types the syntax tree by C's rules, as chibicc's
add_type and new_add/new_sub do, but as a separate pass that rewrites the tree into the
checked node set (see ast.py). It inserts every conversion as an explicit Cast and
scales pointer arithmetic, so irgen never guesses. Errors are CompileErrors on the
offending span, worded like clang's."""
from __future__ import annotations

from ..errors import CompileError
from . import ast as A
from .ast import Op
from .ctype import (ARRAY, ENUM, FLOAT, FUNC, OPAQUE, RANK, CType, Kind, find_member,
                    is_arithmetic, is_array, is_flonum,
                    is_function, is_integer, is_pointer, is_record, is_scalar, is_unsigned,
                    is_void, func_type, pointer_to, array_of, const_of, member_names, same_type,
                    strip_typedefs, ty_double, ty_float, unqualified, is_no_debug_info,
                    ty_int, ty_ldouble, ty_long, ty_uint, ty_ulong, ty_ullong, ty_void)
from .diag import (ASSIGNING, INITIALIZING, PASSING, RETURNING, describe, did_you_mean,
                   error)
from .initializer import Initializer
from .provider import SymKind, Symbol, TypeProvider

FRAME_KINDS = frozenset({SymKind.LOCAL, SymKind.PERSISTENT, SymKind.REGISTER,
                         SymKind.THREAD_LOCAL})
FRAME_KIND_WORDS = {SymKind.LOCAL: "variable of the selected frame",
                    SymKind.PERSISTENT: "`$` variable", SymKind.REGISTER: "register",
                    SymKind.THREAD_LOCAL: "thread-local variable"}
EXTERNAL_KINDS = frozenset({SymKind.GLOBAL, SymKind.FUNCTION})
TO_UNSIGNED = {Kind.INT: ty_uint, Kind.LONG: ty_ulong, Kind.LLONG: ty_ullong}
UNKNOWN_FUNCTION = func_type(ty_void, [], has_proto=False)
INTEGER_OPS = frozenset({Op.MOD, Op.BITAND, Op.BITOR, Op.BITXOR})
SHIFT_OPS = frozenset({Op.SHL, Op.SHR})
ADDITIVE_OPS = frozenset({Op.ADD, Op.SUB})
INCREMENTS = frozenset({Op.PREINC, Op.POSTINC})
PREFIX_OPS = frozenset({Op.PREINC, Op.PREDEC})
PROMOTED_KINDS = frozenset(k for k in RANK if RANK[k] < RANK[Kind.INT])  # to int
# Members named at every node, as module constants (the kinds: ctype's): in Python 3.11
# naming one through its class (`Op.ADDR`) is a Python-level lookup (EnumType.__getattr__).
ENUM_CONST, ADDR, DEREF, NOT, COMMA = (SymKind.ENUM_CONST, Op.ADDR, Op.DEREF, Op.NOT,
                                       Op.COMMA)


class Checker:
    def __init__(self, provider: TypeProvider):
        self.provider = provider
        self.scopes: list[dict[str, A.LocalVar]] = [{}]
        self.frame_refs: list[Symbol] = []
        self.externals: list[Symbol] = []
        self.slots: dict[str, int] = {}      # frame symbol name -> slot
        self.extern_names: set[str] = set()
        self.loop_depth = 0
        self.persistents: dict[str, Symbol] = {}   # `$name`s declared by this program
        self.new_persistents: list[Symbol] = []
        self.returns: list[A.Return] = []
        self.unevaluated_depth = 0    # inside `sizeof`: nothing is read
        self.no_debug_info_ok = False # the operand of a cast or `&`: see no_debug_info()
        # top level (`jit-eval --top-level`): what this program defines, by name
        self.definitions: dict[str, Symbol] = {}
        self.functions: list[A.FuncDef] = []
        self.new_globals: list[Symbol] = []
        self.function: A.FuncDef | None = None   # the definition being checked

    # --- program and statements -------------------------------------------------------

    def program(self, stmts: list[A.Node], source: str) -> tuple[A.Block, CType | None]:
        body = [self.stmt(s) for s in stmts[:-1]]
        last = stmts[-1] if stmts else None
        if isinstance(last, A.ExprStmt):    # its value may be the result: kept whole
            last.expr = self.expr(last.expr)
            body.append(last)
        elif last is not None:
            body.append(self.stmt(last))
        result_type = None
        if isinstance(last, A.ExprStmt) and not is_void(last.expr.ty):
            expr = last.expr
            if is_function(expr.ty):
                expr = self.decay(expr)
            if is_record(expr.ty) and strip_typedefs(expr.ty).members is None:
                error(expr, f"expression has incomplete type {describe(expr.ty)}")
            body[-1] = A.Result(last.offset, last.length, expr)
            result_type = expr.ty
        for ret in self.returns:
            result_type = self.return_value(ret, result_type)
        return A.Block(0, max(len(source), 1), body), result_type

    def top_level(self, items: list[A.Node], source: str) -> A.Block:
        """Check top-level definitions: functions (kept in `functions`) and global
        variables (`new_globals`, GLOBAL symbols the session gives storage). The block
        returned initializes the globals, in order, when the entry function runs."""
        body = []
        for item in items:
            if isinstance(item, A.FuncDef):
                self.functions.append(self.function_def(item))
            else:
                body += [self.global_decl(d) for d in item.body]
        return A.Block(0, max(len(source), 1), body)

    def define(self, node: A.Node, name: str, sym: Symbol):
        if name in self.definitions:
            raise CompileError(node.offset, node.length, f"redefinition of '{name}'")
        if name.startswith("$"):
            raise CompileError(node.offset, node.length,
                               f"'{name}': a `$` variable is made without --top-level")
        self.definitions[name] = sym

    def function_def(self, node: A.FuncDef) -> A.FuncDef:
        """A function: its parameters are locals of its outermost scope; its name is
        visible in its own body (recursion) and to the definitions after it."""
        fty = strip_typedefs(node.func_ty)
        name_node = A.Ident(node.name_offset, len(node.name), node.name)
        for ty, what in [(fty.base, "return")] + [(p.decl_ty, "parameter") for p in node.params]:
            if is_record(ty) or strip_typedefs(ty).kind is OPAQUE:
                error(name_node, f"a {what} of type {describe(ty)} (a structure by value) "
                                 "is not supported in a top-level function; pass a pointer")
        for p in node.params:
            if is_void(p.decl_ty):
                error(p, f"parameter has incomplete type {describe(p.decl_ty)}")
        self.define(name_node, node.name, Symbol(node.name, SymKind.FUNCTION, node.func_ty))
        scope: dict[str, A.LocalVar] = {}
        for p in node.params:
            if p.name in scope:
                error(p, f"redefinition of parameter '{p.name}'")
            p.var = scope[p.name] = A.LocalVar(p.name, p.decl_ty)
        self.scopes.append(scope)
        self.function = node
        try:
            node.body.body = [self.stmt(s) for s in node.body.body]
        finally:
            self.function = None
            self.scopes.pop()
        return node

    def global_decl(self, node: A.Decl) -> A.Node:
        """`int tl_counter = 5;`: storage the session allocates (zeroed) and keeps; the
        initializer, any expression, runs once as the definition is loaded."""
        self.check_definable(node)
        sym = Symbol(node.name, SymKind.GLOBAL, node.decl_ty)
        stores, _ = self.symbol_init(node, sym)
        self.define(node, node.name, sym)
        self.new_globals.append(sym)
        return self.sequence_stmts(node, stores)

    def return_value(self, ret: A.Return, result_type: CType | None) -> CType | None:
        if ret.value is None:
            return result_type
        if result_type is None:
            result_type = ret.value.ty
        ret.value = self.convert(ret.value, result_type, RETURNING)
        return result_type

    def stmt(self, node: A.Node) -> A.Node:
        return STMT_RULES[type(node)](self, node)

    def stmt_ExprStmt(self, node: A.ExprStmt) -> A.Node:
        node.expr = self.discarded(node.expr)
        return node

    def discarded(self, node: A.Node) -> A.Node:
        """An expression whose value is unused: `x++` is then `++x`, which keeps no
        temporary for the old value."""
        if isinstance(node, A.IncDec):
            return self.increment(node, prefix=True)
        return self.expr(node)

    def stmt_Block(self, node: A.Block) -> A.Node:
        if node.scoped:
            self.scopes.append({})
        node.body = [self.stmt(s) for s in node.body]
        if node.scoped:
            self.scopes.pop()
        return node

    def stmt_Decl(self, node: A.Decl) -> A.Node:
        self.check_definable(node)
        if node.name.startswith("$"):
            return self.persistent_decl(node)
        if node.name in self.scopes[-1]:
            error(node, f"redefinition of '{node.name}'")
        stmt = self.local_decl(node)
        self.scopes[-1][node.name] = node.var
        return stmt

    def local_decl(self, node: A.Decl) -> A.Node:
        """A new local variable (`node.var`) and the statements initializing it."""
        node.var = A.LocalVar(node.name, node.decl_ty)
        target = A.VarRef(node.offset, node.length, local=node.var, ty=node.decl_ty)
        stores = self.initialize(node, target)
        node.var.ty = target.ty
        return self.sequence_stmts(node, [node] + stores) if stores else node

    def expr_CompoundLit(self, node: A.CompoundLit) -> A.Node:
        """`(T){...}`: an unnamed local object (C11 6.5.2.5), an lvalue."""
        ty = node.to
        if is_function(ty) or is_void(ty) or (is_record(ty) and
                                              strip_typedefs(ty).members is None):
            error(node, f"compound literal has incomplete type {describe(ty)}")
        decl = A.Decl(node.offset, node.length, "(compound literal)", ty, node.init)
        stmts = self.local_decl(decl)
        value = A.VarRef(node.offset, node.length, local=decl.var, ty=decl.var.ty)
        return A.StmtExpr(node.offset, node.length, stmts, value, ty=value.ty)

    def persistent_decl(self, node: A.Decl) -> A.Node:
        """`int $n = 1;`: a new persistent variable, stored in an argument-block slot
        that the session allocates and keeps; the initializer assigns to it."""
        if len(self.scopes) > 1:
            error(node, f"persistent variable '{node.name}' must be declared at the top "
                        "level")
        if node.name in self.persistents or self.provider.lookup_identifier(node.name):
            error(node, f"redefinition of '{node.name}'")
        if node.name[1:2].isdigit():    # LLDB's counter may hand this name out later
            error(node, f"'{node.name}': names $0, $1... are reserved for results")
        sym = Symbol(node.name, SymKind.PERSISTENT, node.decl_ty)
        stores, target = self.symbol_init(node, sym, self.reference(sym))
        self.persistents[node.name] = sym
        self.new_persistents.append(sym)
        return self.sequence_stmts(node, stores or [A.Zero(node.offset, node.length, target)])

    @staticmethod
    def check_definable(node: A.Decl) -> None:
        """A variable can be defined with this type (and initializer)."""
        ty = node.decl_ty
        if is_void(ty) or is_function(ty) or (is_record(ty) and
                                              strip_typedefs(ty).members is None):
            error(node, f"variable has incomplete type {describe(ty)}")
        if is_array(ty) and strip_typedefs(ty).length < 0 and node.init is None:
            error(node, "definition of variable with array type needs an explicit size")

    def symbol_init(self, node: A.Decl, sym: Symbol,
                    slot: int = -1) -> tuple[list[A.Node], A.VarRef]:
        """The statements initializing a variable that is a symbol (a `$name` in frame
        slot `slot`, a top-level global): an initializer list's stores, or one
        assignment; `sym.type` gets the array size the initializer gives."""
        target = A.VarRef(node.offset, node.length, sym=sym, slot=slot, ty=sym.type)
        stores = self.initialize(node, target)
        if node.init is not None:
            stores = [A.ExprStmt(node.offset, node.length, A.Assign(
                node.offset, node.length, None, target, node.init, ty=target.ty))]
        sym.type = target.ty
        return stores, target

    def initialize(self, node: A.Decl, target: A.VarRef) -> list[A.Node]:
        """Check the initializer: a scalar or record value stays `node.init`; a list
        (or an array's string) becomes assignments to `target` after zeroing it, and
        an array of unknown size gets its size (in target.ty and node.decl_ty)."""
        ty = node.decl_ty
        if node.init is None:
            return []
        if not (isinstance(node.init, A.InitList) or is_array(ty)):
            node.init = self.convert(self.rvalue(node.init), ty, INITIALIZING)
            return []
        init = Initializer(self, target)
        init.initialize(node.init)
        if is_array(ty) and strip_typedefs(ty).length < 0:
            node.decl_ty = target.ty = array_of(strip_typedefs(ty).base, init.extent)
        node.init = None
        return [A.Zero(node.offset, node.length, target)] + init.stores

    @staticmethod
    def sequence_stmts(node: A.Node, stmts: list[A.Node]) -> A.Node:
        return A.Block(node.offset, node.length, stmts, scoped=False)

    def stmt_If(self, node: A.If) -> A.Node:
        node.cond = self.condition(node.cond)
        node.then = self.stmt(node.then)
        node.els = node.els and self.stmt(node.els)
        return node

    def stmt_Loop(self, node: A.Loop) -> A.Node:
        self.scopes.append({})
        node.init = node.init and self.stmt(node.init)
        node.cond = node.cond and self.condition(node.cond)
        node.step = node.step and self.discarded(node.step)
        self.loop_depth += 1
        node.body = self.stmt(node.body)
        self.loop_depth -= 1
        self.scopes.pop()
        return node

    def stmt_Jump(self, node: A.Jump) -> A.Node:
        if not self.loop_depth:
            error(node, f"'{node.keyword}' statement not in loop statement")
        return node

    def stmt_Return(self, node: A.Return) -> A.Node:
        if self.function is not None:
            return self.function_return(node)
        if node.value is not None:
            node.value = self.rvalue(node.value)
            if is_void(node.value.ty):
                node.value = None
            else:
                self.returns.append(node)
        return node

    def function_return(self, node: A.Return) -> A.Node:
        """`return` in a function definition: the value converted to its return type."""
        ret = strip_typedefs(self.function.func_ty).base
        name = self.function.name
        value = self.rvalue(node.value) if node.value is not None else None
        if value is not None and not is_void(value.ty):
            if is_void(ret):
                error(value, f"void function '{name}' should not return a value")
            node.value = self.convert(value, ret, RETURNING)
            return node
        if not is_void(ret):
            error(value or node, f"non-void function '{name}' should return a value")
        node.value = None
        if value is None:
            return node
        return self.sequence_stmts(node, [A.ExprStmt(value.offset, value.length, value), node])

    def condition(self, node: A.Node) -> A.Node:
        node = self.rvalue(node)
        if not is_scalar(node.ty):
            error(node, f"statement requires expression of scalar type ({describe(node.ty)}"
                        " invalid)")
        return node

    # --- symbol registry --------------------------------------------------------------

    def lookup_local(self, name: str) -> A.LocalVar | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def reference(self, sym: Symbol) -> int:
        """Record a use of `sym`; returns its argument-block slot (-1 if none)."""
        if sym.kind in FRAME_KINDS:
            if sym.name not in self.slots:
                self.slots[sym.name] = len(self.frame_refs)
                self.frame_refs.append(sym)
            return self.slots[sym.name]
        if sym.kind in EXTERNAL_KINDS and sym.link_name not in self.extern_names:
            self.extern_names.add(sym.link_name)
            self.externals.append(sym)
        return -1

    def unevaluated(self, node: A.Node) -> A.Node:
        """Check an operand of sizeof: it is never run, so it references nothing."""
        saved = (len(self.frame_refs), len(self.externals))
        self.unevaluated_depth += 1
        try:
            node = self.expr(node)
        finally:
            self.unevaluated_depth -= 1
        for sym in self.frame_refs[saved[0]:]:
            del self.slots[sym.name]
        for sym in self.externals[saved[1]:]:
            self.extern_names.discard(sym.link_name)
        del self.frame_refs[saved[0]:], self.externals[saved[1]:]
        return node

    # --- conversions ------------------------------------------------------------------

    def expr(self, node: A.Node) -> A.Node:
        """Check an expression; arrays and functions are not decayed."""
        return EXPR_RULES[type(node)](self, node)

    def rvalue(self, node: A.Node) -> A.Node:
        """The value of an expression: arrays and functions decay, and an lvalue's
        value has its type without qualifiers (C11 6.3.2.1p2-4)."""
        node = self.decay(self.expr(node))
        plain = unqualified(node.ty)
        if plain is not node.ty and not is_record(plain):
            return A.Cast(node.offset, node.length, node, ty=plain)
        return node

    @staticmethod
    def decay(node: A.Node) -> A.Node:
        ty = strip_typedefs(node.ty)
        if ty.kind is ARRAY:
            return A.Decay(node.offset, node.length, node, ty=pointer_to(ty.base))
        if ty.kind is FUNC:
            # A function without debug info is, as a value, a `void (*)()`.
            fty = node.ty if ty.base is not None else UNKNOWN_FUNCTION
            return A.Decay(node.offset, node.length, node, ty=pointer_to(fty))
        return node

    @staticmethod
    def cast(node: A.Node, ty: CType) -> A.Node:
        if same_type(node.ty, ty):
            return node
        return A.Cast(node.offset, node.length, node, ty=ty)

    def promote(self, node: A.Node) -> A.Node:
        """Integer promotions (C11 6.3.1.1p2), bit-fields included."""
        ty = strip_typedefs(node.ty)
        if ty.kind is ENUM:
            return self.promote(self.cast(node, ty.base))
        width = bit_width(node)
        if width and width < 32 and is_integer(ty):
            return self.cast(node, ty_int)
        if ty.kind in PROMOTED_KINDS:
            return self.cast(node, ty_int)
        return node

    def arith_type(self, a: CType, b: CType) -> CType:
        """The usual arithmetic conversions (C11 6.3.1.8) of two promoted types."""
        a, b = strip_typedefs(a), strip_typedefs(b)
        for flo in (ty_ldouble, ty_double, ty_float):
            if a.kind is flo.kind or b.kind is flo.kind:
                return flo
        if a.kind is b.kind:
            return a
        if is_unsigned(a) == is_unsigned(b):
            return a if RANK[a.kind] > RANK[b.kind] else b
        uns, sig = (a, b) if is_unsigned(a) else (b, a)
        if RANK[uns.kind] >= RANK[sig.kind]:
            return uns
        if sig.size > uns.size:
            return sig
        return TO_UNSIGNED[sig.kind]

    def usual_arith(self, lhs: A.Node, rhs: A.Node) -> tuple[A.Node, A.Node]:
        lhs, rhs = self.promote(lhs), self.promote(rhs)
        ty = self.arith_type(lhs.ty, rhs.ty)
        return self.cast(lhs, ty), self.cast(rhs, ty)

    def default_promote(self, node: A.Node) -> A.Node:
        """Default argument promotions: float to double, integer promotions."""
        if strip_typedefs(node.ty).kind is FLOAT:
            return self.cast(node, ty_double)
        self.complete(node, node.ty, "argument")
        return self.promote(node)

    @staticmethod
    def complete(node: A.Node, ty: CType, what: str):
        """A record passed or returned by value must be complete; a call cannot pass
        a value whose calling convention the front end does not know."""
        if is_record(ty) and strip_typedefs(ty).members is None:
            error(node, f"{what} has incomplete type {describe(ty)}")
        if strip_typedefs(ty).kind is OPAQUE:
            error(node, f"{what} of type {describe(ty)} is not supported in a call")

    def convert(self, node: A.Node, ty: CType, context: str) -> A.Node:
        """Conversion as if by assignment (C11 6.5.16.1), lenient as a debugger is:
        pointers and integers convert to each other. `context` is one of the
        messages below, for the error."""
        src = node.ty
        if is_scalar(ty) and is_scalar(src) and not (
                is_flonum(ty) and is_pointer(src) or is_pointer(ty) and is_flonum(src)):
            return self.cast(node, ty)
        if is_record(ty) and same_type(ty, src):
            return node
        error(node, context.format(src=describe(src), dst=describe(ty)))

    # --- primary ----------------------------------------------------------------------

    def expr_IntLit(self, node: A.IntLit) -> A.Node:
        return node

    expr_FloatLit = expr_StrLit = expr_IntLit

    def expr_Ident(self, node: A.Ident) -> A.Node:
        if node.scope:
            return self.scoped_ident(node)
        local = self.lookup_local(node.name)
        if local is not None:
            return A.VarRef(node.offset, node.length, local=local, ty=local.ty)
        sym = (self.persistents.get(node.name) or self.definitions.get(node.name)
               or self.provider.lookup_identifier(node.name))
        if sym is not None and self.function is not None and sym.kind in FRAME_KINDS:
            error(node, f"'{node.name}' is not visible in a top-level function (it is a "
                        f"{FRAME_KIND_WORDS[sym.kind]}); pass it as an argument")
        if sym is None and node.name == "NULL":   # <stddef.h>'s, when no macro says
            return A.Cast(node.offset, node.length, A.IntLit(node.offset, node.length, 0,
                                                             ty=ty_int), ty=pointer_to(ty_void))
        if sym is None:
            error(node, f"use of undeclared identifier '{node.name}'"
                        + self.suggestion(node.name))
        if is_no_debug_info(sym.type) and not self.no_debug_info_ok:
            error(node, f"'{node.name}' has unknown type; cast it to its declared type")
        if sym.unavailable and not self.unevaluated_depth:
            error(node, f"'{node.name}' is not available here: {sym.unavailable}")
        if sym.kind is ENUM_CONST:
            # an `int`, unless out of its range: then, as gcc (and C23) have it, the
            # enumeration's own integer type
            fits = -2**31 <= sym.value < 2**31
            ty = ty_int if fits else strip_typedefs(strip_typedefs(sym.type).base)
            value = sym.value & (2**64 - 1) if is_unsigned(ty) else sym.value
            return A.IntLit(node.offset, node.length, value, ty=ty)
        slot = self.reference(sym)
        return A.VarRef(node.offset, node.length, sym=sym, slot=slot, ty=sym.type)

    def scoped_ident(self, node: A.Ident) -> A.Node:
        """`function::name` or `'file.c'::name`: a static of that function or file."""
        lookup = getattr(self.provider, "lookup_scoped", None)
        sym = lookup(node.scope, node.name) if lookup else None
        if sym is None:
            where = (f"file {node.scope}" if node.scope.startswith("'")
                     else f"function '{node.scope}'")
            error(node, f"no static variable '{node.name}' in {where}")
        return A.VarRef(node.offset, node.length, sym=sym, slot=self.reference(sym),
                        ty=sym.type)

    def suggestion(self, name: str) -> str:
        candidates = list(self.provider.similar_names(name))
        for scope in self.scopes:
            candidates += scope
        return did_you_mean(name, candidates + list(self.persistents))

    # --- unary ------------------------------------------------------------------------

    def expr_Unary(self, node: A.Unary) -> A.Node:
        if node.op is ADDR:
            return self.address_of(node)
        operand = self.rvalue(node.operand)
        ty = operand.ty
        if node.op is DEREF:
            return self.deref(operand, node)
        if node.op is NOT:
            if not is_scalar(ty):
                self.unary_error(node, ty)
            return A.Unary(node.offset, node.length, node.op, operand, ty=ty_int)
        if not (is_integer(ty) if node.op is Op.BITNOT else is_arithmetic(ty)):
            self.unary_error(node, ty)
        operand = self.promote(operand)
        return A.Unary(node.offset, node.length, node.op, operand, ty=operand.ty)

    @staticmethod
    def unary_error(node: A.Node, ty: CType):
        error(node, f"invalid argument type {describe(ty)} to unary expression")

    def deref(self, operand: A.Node, node: A.Node) -> A.Node:
        if not is_pointer(operand.ty):
            error(node, f"indirection requires pointer operand ({describe(operand.ty)}"
                        " invalid)")
        base = strip_typedefs(operand.ty).base
        if is_void(base):
            error(node, f"indirection of {describe(operand.ty)} yields a void value")
        return A.Unary(node.offset, node.length, DEREF, operand, ty=base)

    def address_of(self, node: A.Unary) -> A.Node:
        ref = self.no_debug_info(node.operand)
        if ref is not None:
            return A.Unary(node.offset, node.length, ADDR, ref, ty=pointer_to(ty_void))
        operand = self.expr(node.operand)
        if bit_width(operand):
            error(node, "address of bit-field requested")
        if isinstance(operand, A.VarRef) and operand.sym is not None and \
                operand.sym.kind is SymKind.REGISTER:
            error(node, f"address of register '{operand.sym.name}' requested")
        if not (is_lvalue(operand) or is_function(operand.ty)):
            error(node, f"cannot take the address of an rvalue of type "
                        f"{describe(operand.ty)}")
        if is_function(operand.ty):
            return self.decay(operand)  # &f is f's address, as f itself is
        return A.Unary(node.offset, node.length, ADDR, operand,
                       ty=pointer_to(operand.ty))

    def expr_SizeofType(self, node: A.SizeofType) -> A.Node:
        return self.size_of(node, node.of)

    def expr_SizeofExpr(self, node: A.SizeofExpr) -> A.Node:
        operand = self.unevaluated(node.operand)
        if bit_width(operand):
            error(node, "invalid application of 'sizeof' to bit-field")
        return self.size_of(node, operand.ty)

    def size_of(self, node: A.Node, ty: CType) -> A.Node:
        t = strip_typedefs(ty)
        if t.kind is FUNC or (t.kind is ARRAY and t.length < 0) or \
                (is_record(t) and t.members is None):
            error(node, f"invalid application of 'sizeof' to an incomplete type "
                        f"{describe(ty)}")
        return A.IntLit(node.offset, node.length, t.size, ty=ty_ulong)

    def no_debug_info(self, operand: A.Node) -> A.VarRef | None:
        """A data symbol without debug info, named alone under a cast or `&`."""
        if not isinstance(operand, A.Ident) or operand.scope:
            return None
        self.no_debug_info_ok = True
        try:
            ref = self.expr(operand)
        finally:
            self.no_debug_info_ok = False
        return ref if isinstance(ref, A.VarRef) and is_no_debug_info(ref.ty) else None

    def expr_TypeCast(self, node: A.TypeCast) -> A.Node:
        ref = self.no_debug_info(node.operand)
        if ref is not None:       # `(char *)name`: the object at the symbol, of that type
            if is_void(node.to) or is_function(node.to):
                error(node, f"cannot read a value of type {describe(node.to)}")
            ref.ty = node.to
            return ref
        to = unqualified(node.to)     # a cast's value is unqualified (C11 6.5.4p5)
        if isinstance(node.operand, A.Call):
            operand = self.call(node.operand, cast_to=to)
        else:
            operand = self.rvalue(node.operand)
        if is_void(to):
            return A.Cast(node.offset, node.length, operand, ty=to)
        if not is_scalar(to):
            error(node, f"used type {describe(to)} where arithmetic or pointer type is "
                        "required")
        src = operand.ty
        if not is_scalar(src):
            error(node, f"operand of type {describe(src)} where arithmetic or pointer "
                        "type is required")
        if is_pointer(to) and is_flonum(src) or is_flonum(to) and is_pointer(src):
            error(node, f"cannot cast from {describe(src)} to {describe(to)}")
        return A.Cast(node.offset, node.length, operand, ty=to)

    # --- binary -----------------------------------------------------------------------

    def expr_Binary(self, node: A.Binary) -> A.Node:
        if node.op is COMMA:
            lhs, rhs = self.discarded(node.lhs), self.rvalue(node.rhs)
            return A.Binary(node.offset, node.length, COMMA, lhs, rhs, ty=rhs.ty)
        return self.binary(node, node.op, self.rvalue(node.lhs), self.rvalue(node.rhs))

    def binary(self, node: A.Node, op: Op, lhs: A.Node, rhs: A.Node) -> A.Node:
        """`lhs op rhs` on checked rvalues; node gives the span and operator place."""
        lt, rt = lhs.ty, rhs.ty
        if op in ADDITIVE_OPS and (is_pointer(lt) or is_pointer(rt)):
            return self.pointer_arith(node, op, lhs, rhs)
        if op in A.LOGICAL_OPS:
            if not (is_scalar(lt) and is_scalar(rt)):
                self.operands_error(node, lt, rt)
            return self.new_binary(node, op, lhs, rhs, ty_int)
        if op in A.COMPARISONS:
            return self.comparison(node, op, lhs, rhs)
        wanted = is_integer if op in INTEGER_OPS or op in SHIFT_OPS else is_arithmetic
        if not (wanted(lt) and wanted(rt)):
            self.operands_error(node, lt, rt)
        if op in SHIFT_OPS:
            lhs = self.promote(lhs)
            rhs = self.cast(self.promote(rhs), lhs.ty)
        else:
            lhs, rhs = self.usual_arith(lhs, rhs)
        return self.new_binary(node, op, lhs, rhs, lhs.ty)

    @staticmethod
    def new_binary(node: A.Node, op: Op, lhs: A.Node, rhs: A.Node, ty: CType) -> A.Node:
        return A.Binary(node.offset, node.length, op, lhs, rhs,
                        op_offset=getattr(node, "op_offset", node.offset), ty=ty)

    @staticmethod
    def operands_error(node: A.Node, lt: CType, rt: CType):
        op_offset = getattr(node, "op_offset", node.offset)
        op_len = len(node.op.value) if isinstance(node, A.Binary) else 1
        raise CompileError(op_offset, op_len, "invalid operands to binary expression "
                                              f"({describe(lt)} and {describe(rt)})")

    def comparison(self, node: A.Node, op: Op, lhs: A.Node, rhs: A.Node) -> A.Node:
        lt, rt = lhs.ty, rhs.ty
        if is_arithmetic(lt) and is_arithmetic(rt):
            lhs, rhs = self.usual_arith(lhs, rhs)
        elif is_pointer(lt) and is_pointer(rt):
            pass
        elif is_pointer(lt) and is_integer(rt):
            rhs = self.cast(rhs, lt)
        elif is_integer(lt) and is_pointer(rt):
            lhs = self.cast(lhs, rt)
        else:
            self.operands_error(node, lt, rt)
        return self.new_binary(node, op, lhs, rhs, ty_int)

    def pointer_arith(self, node: A.Node, op: Op, lhs: A.Node, rhs: A.Node) -> A.Node:
        lt, rt = lhs.ty, rhs.ty
        if op is Op.ADD and is_integer(lt):
            lhs, rhs, lt, rt = rhs, lhs, rt, lt
        if is_pointer(lt) and is_integer(rt):
            size = self.pointee_size(lhs, lt)
            offset = self.cast(self.promote(rhs), ty_long)
            if op is Op.SUB:
                offset = A.Unary(rhs.offset, rhs.length, Op.NEG, offset, ty=ty_long)
            if size != 1:
                size_lit = A.IntLit(rhs.offset, rhs.length, size, ty=ty_long)
                offset = self.new_binary(node, Op.MUL, offset, size_lit, ty_long)
            return A.PtrAdd(node.offset, node.length, lhs, offset, ty=lt)
        if op is Op.SUB and is_pointer(lt) and is_pointer(rt):
            if not same_type(strip_typedefs(lt).base, strip_typedefs(rt).base):
                self.operands_error(node, lt, rt)
            size = self.pointee_size(lhs, lt)
            diff = self.new_binary(node, Op.SUB, lhs, rhs, ty_long)
            if size == 1:
                return diff
            size_lit = A.IntLit(node.offset, node.length, size, ty=ty_long)
            return self.new_binary(node, Op.DIV, diff, size_lit, ty_long)
        self.operands_error(node, lt, rt)

    @staticmethod
    def pointee_size(node: A.Node, ptr: CType) -> int:
        base = strip_typedefs(strip_typedefs(ptr).base)
        if base.kind is Kind.VOID:
            return 1  # GNU C: arithmetic on void * is byte-wise
        if base.kind is FUNC or (is_record(base) and base.members is None):
            error(node, f"arithmetic on a pointer to an incomplete type "
                        f"{describe(strip_typedefs(ptr).base)}")
        return base.size

    def expr_Cond(self, node: A.Cond) -> A.Node:
        cond = self.condition(node.cond)
        then, els = self.rvalue(node.then), self.rvalue(node.els)
        tt, et = then.ty, els.ty
        if is_arithmetic(tt) and is_arithmetic(et):
            then, els = self.usual_arith(then, els)
        elif is_pointer(tt) and is_integer(et):
            els = self.cast(els, tt)
        elif is_integer(tt) and is_pointer(et):
            then = self.cast(then, et)
        elif not (is_pointer(tt) and is_pointer(et) or same_type(tt, et)):
            error(node, f"incompatible operand types ({describe(tt)} and {describe(et)})")
        return A.Cond(node.offset, node.length, cond, then, els, ty=then.ty)

    # --- postfix ----------------------------------------------------------------------

    def expr_Index(self, node: A.Index) -> A.Node:
        base, index = self.rvalue(node.base), self.rvalue(node.index)
        if not (is_pointer(base.ty) and is_integer(index.ty) or
                is_integer(base.ty) and is_pointer(index.ty)):
            error(node, "subscripted value is not an array or pointer")
        return self.deref(self.binary(node, Op.ADD, base, index), node)

    def expr_MemberRef(self, node: A.MemberRef) -> A.Node:
        base = self.expr(node.base)
        bt = base.ty
        if node.arrow:
            if is_record(bt):
                error(base, f"member reference type {describe(bt)} is not a pointer; "
                            "did you mean to use '.'?")
            base = self.rvalue(node.base) if is_array(bt) else base
            if not (is_pointer(base.ty) and is_record(strip_typedefs(base.ty).base)):
                error(base, f"member reference type {describe(base.ty)} is not a "
                            "pointer to a structure or union")
            base = self.deref(base, node.base)
        elif is_pointer(bt) and is_record(strip_typedefs(bt).base):
            error(base, f"member reference type {describe(bt)} is a pointer; did you mean "
                        "to use '->'?")
        elif not is_record(bt):
            error(base, f"member reference base type {describe(bt)} is not a structure or "
                        "union")
        return self.member(node, base)

    def member(self, node: A.MemberRef, base: A.Node) -> A.Node:
        record = strip_typedefs(base.ty)
        if record.members is None:
            error(base, f"member access into incomplete type {describe(base.ty)}")
        path = find_member(record, node.name)
        if path is None:
            raise CompileError(node.name_offset, len(node.name),
                               f"no member named '{node.name}' in {describe(base.ty)}"
                               + did_you_mean(node.name, member_names(record)))
        for m in path:  # a member of a const record is const
            ty = const_of(m.type) if base.ty.is_const else m.type
            base = A.Member(node.offset, node.length, base, m, ty=ty)
        return base

    def expr_Call(self, node: A.Call) -> A.Node:
        return self.call(node, cast_to=None)

    def call(self, node: A.Call, cast_to: CType | None) -> A.Node:
        callee = self.expr(node.func)
        func = self.decay(callee)
        if not (is_pointer(func.ty) and is_function(strip_typedefs(func.ty).base)):
            error(node.func, f"called object type {describe(func.ty)} is not a function or "
                             "function pointer")
        fty = strip_typedefs(strip_typedefs(func.ty).base)
        ret = fty.base
        if is_function(callee.ty) and strip_typedefs(callee.ty).base is None:
            if cast_to is None:
                error(node.func, f"function '{callee_name(func)}' has unknown return type; "
                                 "cast the call to its declared return type")
            ret, fty = cast_to, UNKNOWN_FUNCTION
        self.complete(node, ret, "result")
        args = self.call_args(node, fty, [self.rvalue(a) for a in node.args])
        return A.Call(node.offset, node.length, func, args, ty=ret)

    def call_args(self, node: A.Call, fty: CType, args: list[A.Node]) -> list[A.Node]:
        params = fty.params if fty.has_proto else []
        if fty.has_proto:
            few, many = len(args) < len(params), len(args) > len(params)
            if few or (many and not fty.variadic):
                which = "few" if few else "many"
                at_least = "at least " if fty.variadic else ""
                error(node, f"too {which} arguments to function call, expected "
                            f"{at_least}{len(params)}, have {len(args)}")
        fixed = [self.convert(a, p, PASSING) for a, p in zip(args, params)]
        return fixed + [self.default_promote(a) for a in args[len(params):]]

    # --- assignment -------------------------------------------------------------------

    def expr_Assign(self, node: A.Assign) -> A.Node:
        lhs = self.expr(node.lhs)
        self.check_assignable(lhs)
        if node.op is None:
            rhs = self.convert(self.rvalue(node.rhs), lhs.ty, ASSIGNING)
            return A.Assign(node.offset, node.length, None, lhs, rhs, ty=lhs.ty)
        setup, lhs = self.hoist(lhs)
        value = self.binary(node, node.op, self.decay(lhs), self.rvalue(node.rhs))
        assign = A.Assign(node.offset, node.length, None, lhs,
                          self.convert(value, lhs.ty, ASSIGNING), ty=lhs.ty)
        return self.sequence(node, setup, assign)

    def expr_IncDec(self, node: A.IncDec) -> A.Node:
        return self.increment(node, node.op in PREFIX_OPS)

    def increment(self, node: A.IncDec, prefix: bool) -> A.Node:
        """`++x` is `x += 1`; `x++` is `(old = x, x = old + 1, old)`."""
        lhs = self.expr(node.operand)
        self.check_assignable(lhs)
        if not is_scalar(lhs.ty):
            self.unary_error(node, lhs.ty)
        op = Op.ADD if node.op in INCREMENTS else Op.SUB
        one = A.IntLit(node.offset, node.length, 1, ty=ty_int)
        setup, lhs = self.hoist(lhs)
        if prefix:
            new = self.binary(node, op, lhs, one)
            assign = A.Assign(node.offset, node.length, None, lhs,
                              self.cast(new, lhs.ty), ty=lhs.ty)
            return self.sequence(node, setup, assign)
        old = self.temporary(node, lhs.ty)
        save = A.Assign(node.offset, node.length, None, old, lhs, ty=lhs.ty)
        new = self.cast(self.binary(node, op, old, one), lhs.ty)
        assign = A.Assign(node.offset, node.length, None, lhs, new, ty=lhs.ty)
        result = self.sequence(node, save, self.sequence(node, assign, old))
        return self.sequence(node, setup, result)

    def check_assignable(self, lhs: A.Node):
        if is_array(lhs.ty) and is_lvalue(lhs):
            error(lhs, f"array type {describe(lhs.ty)} is not assignable")
        if not is_lvalue(lhs) or is_function(lhs.ty):
            error(lhs, "expression is not assignable")
        if lhs.ty.is_const and isinstance(lhs, A.VarRef):
            name = lhs.local.name if lhs.local else lhs.sym.name
            error(lhs, f"cannot assign to variable '{name}' with const-qualified type "
                       f"{describe(lhs.ty)}")
        if lhs.ty.is_const:
            error(lhs, f"cannot assign to a read-only location of type {describe(lhs.ty)}")

    def hoist(self, lvalue: A.Node) -> tuple[A.Node | None, A.Node]:
        """Make `lvalue` safe to evaluate twice: (setup expression or None, lvalue).
        An lvalue with side effects is reached through a temporary pointer (for a
        bit-field, a pointer to the struct holding it), as chibicc's to_assign does."""
        if is_pure(lvalue):
            return None, lvalue
        if isinstance(lvalue, A.Member):
            setup, base = self.hoist(lvalue.base)
            return setup, A.Member(lvalue.offset, lvalue.length, base, lvalue.member,
                                   ty=lvalue.ty)
        ptr_ty = pointer_to(lvalue.ty)
        tmp = self.temporary(lvalue, ptr_ty)
        addr = A.Unary(lvalue.offset, lvalue.length, ADDR, lvalue, ty=ptr_ty)
        setup = A.Assign(lvalue.offset, lvalue.length, None, tmp, addr, ty=ptr_ty)
        return setup, A.Unary(lvalue.offset, lvalue.length, DEREF, tmp, ty=lvalue.ty)

    @staticmethod
    def temporary(node: A.Node, ty: CType) -> A.VarRef:
        return A.VarRef(node.offset, node.length, local=A.LocalVar("tmp", ty), ty=ty)

    @staticmethod
    def sequence(node: A.Node, first: A.Node | None, second: A.Node) -> A.Node:
        if first is None:
            return second
        return A.Binary(node.offset, node.length, COMMA, first, second, ty=second.ty)


# stmt() and expr() dispatch on the node's class: `stmt_Loop` checks an A.Loop.
STMT_RULES = A.methods_by_node(Checker, "stmt_")
EXPR_RULES = A.methods_by_node(Checker, "expr_")


# --- node predicates ----------------------------------------------------------------

def bit_width(node: A.Node) -> int:
    return node.member.bit_width if isinstance(node, A.Member) else 0


def is_lvalue(node: A.Node) -> bool:
    if isinstance(node, A.VarRef):
        return not is_function(node.ty)
    if isinstance(node, A.Unary):
        return node.op is DEREF
    if isinstance(node, A.Member):
        return is_lvalue(node.base)  # a member of a returned struct is not one
    return isinstance(node, (A.StrLit, A.StmtExpr))


def is_pure(node: A.Node) -> bool:
    """No side effects anywhere below: evaluating twice is evaluating once."""
    if isinstance(node, (A.Assign, A.Call, A.StmtExpr)):
        return False
    for child in children(node):
        if not is_pure(child):
            return False
    return True


def children(node: A.Node) -> list[A.Node]:
    return [getattr(node, f) for f in node.__slots__
            if isinstance(getattr(node, f, None), A.Node)]


def callee_name(func: A.Node) -> str:
    while isinstance(func, A.Decay):
        func = func.operand
    if isinstance(func, A.VarRef) and func.sym is not None:
        return func.sym.name
    return "<expression>"
