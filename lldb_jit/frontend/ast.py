"""AST nodes: slotted dataclasses. Every node knows its source span (`offset`,
`length`); expression nodes get their C type `ty` from the checker.

The parser builds the "syntax" nodes (Ident, Index, MemberRef with `arrow`, SizeofType,
compound Assign...); check() resolves and rewrites them into a smaller "checked" set that
irgen handles one class at a time: every conversion is an explicit Cast, array and
function decay is an explicit Decay, `a[i]` is `*(a + i)`, pointer arithmetic is PtrAdd
with a byte offset, compound assignment and ++/-- are spelled with a temporary.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .ctype import CType, FastEnum
from .provider import Symbol


class Op(FastEnum):
    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"
    MOD = "%"
    SHL = "<<"
    SHR = ">>"
    BITAND = "&"
    BITOR = "|"
    BITXOR = "^"
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    LOGAND = "&&"
    LOGOR = "||"
    COMMA = ","
    NEG = "-x"      # unary -
    POS = "+x"      # unary +
    NOT = "!"       # logical not
    BITNOT = "~"
    DEREF = "*x"    # unary *
    ADDR = "&x"     # unary &
    PREINC = "++x"
    PREDEC = "--x"
    POSTINC = "x++"
    POSTDEC = "x--"


UNARY_OPS = {"-": Op.NEG, "+": Op.POS, "!": Op.NOT, "~": Op.BITNOT, "*": Op.DEREF,
             "&": Op.ADDR}
COMPARISONS = frozenset({Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE})
LOGICAL_OPS = frozenset({Op.LOGAND, Op.LOGOR})     # && and ||: short-circuit


@dataclass(slots=True, eq=False)
class Node:
    offset: int
    length: int
    ty: CType | None = field(default=None, kw_only=True)

    @property
    def end(self) -> int:
        return self.offset + self.length


# --- expressions: built by the parser and kept by the checker -----------------------

@dataclass(slots=True, eq=False)
class IntLit(Node):
    value: int


@dataclass(slots=True, eq=False)
class FloatLit(Node):
    value: float


@dataclass(slots=True, eq=False)
class StrLit(Node):
    value: bytes           # without the terminating NUL


@dataclass(slots=True, eq=False)
class Unary(Node):
    op: Op                 # NEG POS NOT BITNOT DEREF ADDR (checked: no PREINC...)
    operand: Node


@dataclass(slots=True, eq=False)
class Binary(Node):
    op: Op
    lhs: Node
    rhs: Node
    op_offset: int = 0     # where the operator is, for error messages


@dataclass(slots=True, eq=False)
class Assign(Node):
    op: Op | None          # None for `=`; Op.ADD for `+=`... (checked: always None)
    lhs: Node
    rhs: Node
    op_offset: int = 0


@dataclass(slots=True, eq=False)
class Cond(Node):
    cond: Node
    then: Node
    els: Node


@dataclass(slots=True, eq=False)
class Call(Node):
    func: Node             # checked: a pointer to a function
    args: list[Node]


@dataclass(slots=True, eq=False)
class Cast(Node):
    operand: Node          # the target type is `ty`


# --- syntax only (the checker rewrites them) ----------------------------------------

@dataclass(slots=True, eq=False)
class Ident(Node):
    name: str
    scope: str = ""        # gdb's `function::name` or `'file.c'::name` (quotes kept)


@dataclass(slots=True, eq=False)
class CompoundLit(Node):
    to: CType              # `(to){ init }`, before checking
    init: InitList


@dataclass(slots=True, eq=False)
class IncDec(Node):
    op: Op                 # PREINC PREDEC POSTINC POSTDEC
    operand: Node


@dataclass(slots=True, eq=False)
class Index(Node):
    base: Node
    index: Node


@dataclass(slots=True, eq=False)
class MemberRef(Node):
    base: Node
    name: str
    arrow: bool            # `->` rather than `.`
    name_offset: int


@dataclass(slots=True, eq=False)
class TypeCast(Node):
    to: CType              # `(to)operand`, before checking
    operand: Node


@dataclass(slots=True, eq=False)
class SizeofType(Node):
    of: CType


@dataclass(slots=True, eq=False)
class SizeofExpr(Node):
    operand: Node


@dataclass(slots=True, eq=False)
class Designator(Node):
    """`.name` (index None) or `[index]` in a designated initializer."""
    name: str = ""
    index: Node | None = None


@dataclass(slots=True, eq=False)
class InitItem(Node):
    designators: list[Designator]   # consumed by the checker as it descends
    value: Node                     # an expression or an InitList


@dataclass(slots=True, eq=False)
class InitList(Node):
    """`{ item, item, ... }`, only as the initializer of a declaration."""
    items: list[InitItem]


# --- checked only -------------------------------------------------------------------

@dataclass(slots=True, eq=False)
class LocalVar:
    """A variable declared inside the expression (storage: an alloca)."""
    name: str
    ty: CType


@dataclass(slots=True, eq=False)
class VarRef(Node):
    """An object: a frame slot, a global, a function or a LocalVar."""
    sym: Symbol | None = None
    slot: int = -1         # index into the argument block for frame symbols
    local: LocalVar | None = None


@dataclass(slots=True, eq=False)
class Decay(Node):
    """Array-to-pointer or function-to-pointer: the address of `operand`."""
    operand: Node


@dataclass(slots=True, eq=False)
class StmtExpr(Node):
    """An object made by statements: a compound literal's temporary (`value`, an
    lvalue) after `stmts` initialized it."""
    stmts: Node
    value: Node


@dataclass(slots=True, eq=False)
class Member(Node):
    base: Node             # a struct/union object (an lvalue)
    member: object         # ctype.Member


@dataclass(slots=True, eq=False)
class PtrAdd(Node):
    """`ptr + offset`, offset a long already scaled to bytes."""
    ptr: Node
    offset_expr: Node


# --- statements ---------------------------------------------------------------------

@dataclass(slots=True, eq=False)
class ExprStmt(Node):
    expr: Node


@dataclass(slots=True, eq=False)
class Decl(Node):
    name: str
    decl_ty: CType
    init: Node | None             # checked: a scalar or record value, or None
    var: LocalVar | None = None   # set by the checker


@dataclass(slots=True, eq=False)
class Zero(Node):
    """Checked: fill the object `target` (an lvalue) with zero bytes, before the
    assignments an initializer list becomes."""
    target: Node


@dataclass(slots=True, eq=False)
class Block(Node):
    body: list[Node]
    scoped: bool = True       # False for the Decls of one declaration


@dataclass(slots=True, eq=False)
class If(Node):
    cond: Node
    then: Node
    els: Node | None


@dataclass(slots=True, eq=False)
class Loop(Node):
    """`for (init; cond; step) body`; while and do/while are loops too."""
    init: Node | None
    cond: Node | None
    step: Node | None
    body: Node
    test_first: bool = True   # False for do/while


@dataclass(slots=True, eq=False)
class Jump(Node):
    keyword: str              # "break" or "continue"


@dataclass(slots=True, eq=False)
class Return(Node):
    value: Node | None


@dataclass(slots=True, eq=False)
class Result(Node):
    """Checked: the final expression statement, whose value is the result."""
    expr: Node


# --- top level (`jit-eval --top-level`) ---------------------------------------------

@dataclass(slots=True, eq=False)
class FuncDef(Node):
    """`int twice(int x) { ... }`: a function definition. Its parameters are Decls
    without initializers (checked: each with its LocalVar, stored from the arguments
    on entry)."""
    name: str
    func_ty: CType
    params: list[Decl]
    body: Block
    name_offset: int = 0


def methods_by_node(owner: type, prefix: str) -> dict[type, object]:
    """`owner`'s methods named `prefix` + a node class's name, by node class: the
    checker's and irgen's dispatch tables (`stmt_Loop` checks an A.Loop), looked up
    once rather than by name at every node."""
    return {cls: getattr(owner, prefix + cls.__name__) for cls in list(globals().values())
            if isinstance(cls, type) and issubclass(cls, Node)
            and hasattr(owner, prefix + cls.__name__)}
