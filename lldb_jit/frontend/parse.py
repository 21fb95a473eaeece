"""A recursive-descent parser in the manner of chibicc's parse.c: one method per grammar
rule with its EBNF above it. Binary operators go by precedence climbing over one table
(as pycparser); a parenthesized type name is told from a parenthesized expression by
asking the provider whether a name is a typedef, with backtracking when a typedef name
turns out not to start a type name."""
from __future__ import annotations

from ..errors import CompileError
from . import ast as A
from .ast import Op
from .ctype import (BASIC_TYPES, CType, Kind, array_of, find_member, func_type, is_array,
                    is_function, is_integer, is_record, layout_record, pointer_to, qualified,
                    strip_typedefs, struct_type, type_name)
from .provider import TypeProvider
from .tokenize import EOF, IDENT, KEYWORD, NUM, STR, Token, tokenize

# Binary operators by precedence, loosest first (C11 6.5.5-6.5.14).
BINARY_PRECEDENCE = {
    "||": 1,
    "&&": 2,
    "|": 3,
    "^": 4,
    "&": 5,
    "==": 6, "!=": 6,
    "<": 7, "<=": 7, ">": 7, ">=": 7,
    "<<": 8, ">>": 8,
    "+": 9, "-": 9,
    "*": 10, "/": 10, "%": 10,
}
BINARY_OPS = {text: Op(text) for text in BINARY_PRECEDENCE}

ASSIGN_OPS = {"=": None, "+=": Op.ADD, "-=": Op.SUB, "*=": Op.MUL, "/=": Op.DIV,
              "%=": Op.MOD, "<<=": Op.SHL, ">>=": Op.SHR, "&=": Op.BITAND,
              "|=": Op.BITOR, "^=": Op.BITXOR}

# Type specifiers are counted as chibicc's declspec does; the sum names the type.
VOID, BOOL, CHAR, SHORT, INT, LONG, FLOAT, DOUBLE, SIGNED, UNSIGNED = (
    1 << 0, 1 << 2, 1 << 4, 1 << 6, 1 << 8, 1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 17)
SPECIFIER_BITS = {"void": VOID, "_Bool": BOOL, "char": CHAR, "short": SHORT, "int": INT,
                  "long": LONG, "float": FLOAT, "double": DOUBLE, "signed": SIGNED,
                  "unsigned": UNSIGNED}
SPECIFIER_TYPES = {
    VOID: Kind.VOID, BOOL: Kind.BOOL,
    CHAR: Kind.CHAR, SIGNED + CHAR: Kind.SCHAR, UNSIGNED + CHAR: Kind.UCHAR,
    SHORT: Kind.SHORT, SHORT + INT: Kind.SHORT, SIGNED + SHORT: Kind.SHORT,
    SIGNED + SHORT + INT: Kind.SHORT,
    UNSIGNED + SHORT: Kind.USHORT, UNSIGNED + SHORT + INT: Kind.USHORT,
    INT: Kind.INT, SIGNED: Kind.INT, SIGNED + INT: Kind.INT,
    UNSIGNED: Kind.UINT, UNSIGNED + INT: Kind.UINT,
    LONG: Kind.LONG, LONG + INT: Kind.LONG, SIGNED + LONG: Kind.LONG,
    SIGNED + LONG + INT: Kind.LONG,
    UNSIGNED + LONG: Kind.ULONG, UNSIGNED + LONG + INT: Kind.ULONG,
    2 * LONG: Kind.LLONG, 2 * LONG + INT: Kind.LLONG, SIGNED + 2 * LONG: Kind.LLONG,
    SIGNED + 2 * LONG + INT: Kind.LLONG,
    UNSIGNED + 2 * LONG: Kind.ULLONG, UNSIGNED + 2 * LONG + INT: Kind.ULLONG,
    FLOAT: Kind.FLOAT, DOUBLE: Kind.DOUBLE, LONG + DOUBLE: Kind.LDOUBLE,
}
# the qualifier each keyword adds (`restrict` promises nothing an expression can use)
QUALIFIERS = {"const": "const", "__const": "const", "volatile": "volatile",
              "__volatile": "volatile", "__volatile__": "volatile", "_Atomic": "atomic",
              "restrict": None, "__restrict": None, "__restrict__": None}
TYPE_KEYWORDS = frozenset(SPECIFIER_BITS) | frozenset(QUALIFIERS) | {"struct", "union", "enum"}
STATEMENT_RULES = {"return": "return_stmt", "if": "if_stmt", "for": "for_stmt",
                   "while": "while_stmt", "do": "do_stmt", "break": "jump_stmt",
                   "continue": "jump_stmt", "{": "compound_stmt"}
UNSUPPORTED_SPECIFIERS = frozenset({"typedef", "static", "extern", "auto", "register",
                                    "inline", "_Alignof", "_Static_assert", "typeof",
                                    "__typeof__"})
# the keywords that start a type name (or a declaration we refuse)
TYPENAME_KEYWORDS = TYPE_KEYWORDS | UNSUPPORTED_SPECIFIERS


def parse(source: str, provider: TypeProvider,
          tokens: list[Token] | None = None) -> list[A.Node]:
    """Parse a statement list (or a lone expression) into syntax nodes; `tokens`, when
    given, are the source's (macros expanded)."""
    return Parser(source, provider, tokens).program()


def parse_top_level(source: str, provider: TypeProvider, tokens: list[Token] | None = None
                    ) -> tuple[list[A.Node], dict[tuple[str, str], CType]]:
    """Parse top-level definitions (`jit-eval --top-level`): A.FuncDef nodes and
    declaration Blocks of A.Decl (global variables); and the struct and union types
    defined, by (keyword, tag)."""
    parser = Parser(source, provider, tokens)
    return parser.top_level(), parser.tags


def parse_type_name(source: str, provider: TypeProvider) -> CType:
    """A type name alone (`unsigned long`, `struct node *`), as debug info spells one."""
    parser = Parser(source, provider)
    ty = parser.type_name()
    if parser.tok.kind is not EOF:
        parser.error_at(parser.tok, "unexpected text after a type name")
    return ty


class Parser:
    def __init__(self, source: str, provider: TypeProvider,
                 tokens: list[Token] | None = None):
        self.toks = tokens if tokens is not None else tokenize(source)
        self.pos = 0
        self.provider = provider
        self.param_names: list[Token | None] = []   # of the last parameter list read
        self.tags: dict[tuple[str, str], CType] = {}   # struct/union types defined here

    # --- helpers ----------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.toks[self.pos]

    def peek(self, n: int = 1) -> Token:
        return self.toks[min(self.pos + n, len(self.toks) - 1)]

    def equal(self, text: str) -> bool:
        """Whether the token is the punctuator or keyword `text` (no other token's text
        can be one: identifiers that are keywords are keywords, literals keep their
        digits or quotes)."""
        return self.toks[self.pos].text == text

    def consume(self, text: str) -> bool:
        if self.equal(text):
            self.pos += 1
            return True
        return False

    def skip(self, text: str) -> Token:
        if not self.equal(text):
            self.error_at(self.tok, f"expected '{text}'")
        self.pos += 1
        return self.toks[self.pos - 1]

    def advance(self) -> Token:
        tok = self.tok
        self.pos += 1
        return tok

    @staticmethod
    def error_at(tok: Token, message: str):
        if tok.kind is EOF:
            message += " at end of input"
        raise CompileError(tok.offset, tok.length, message)

    def span_from(self, start: int) -> tuple[int, int]:
        """(offset, length) from `start` to the end of the previous token."""
        prev = self.toks[self.pos - 1]
        return start, prev.offset + prev.length - start

    def is_typename(self, tok: Token) -> bool:
        if tok.text in TYPENAME_KEYWORDS:
            return True
        return tok.kind is IDENT and self.provider.lookup_typedef(tok.text) is not None

    # --- statements -------------------------------------------------------------------

    # program = (declaration | stmt)* EOF
    #   (the last expression statement may omit its ";")
    def program(self) -> list[A.Node]:
        body = []
        while self.tok.kind is not EOF:
            body.append(self.block_item())
        return body

    # top-level = (function-definition | declaration | ";")* EOF
    # function-definition = declspec declarator compound-stmt
    #   (the declarator an identifier followed by a parameter list: `int f(int x)`)
    def top_level(self) -> list[A.Node]:
        items = []
        while self.tok.kind is not EOF:
            if self.consume(";"):
                continue
            start = self.tok
            if not self.is_typename(start):
                if start.kind is IDENT and self.peek().kind is IDENT:
                    self.unknown_type_name(start)
                self.error_at(start, "expected a function or variable definition")
            defined = len(self.tags)
            base = self.declspec()
            if len(self.tags) > defined and self.consume(";"):    # `struct s { ... };`
                continue
            if self.equal(";"):
                self.error_at(self.tok, "expected identifier in declaration")
            ty, name = self.declarator(base)
            if name is None:
                self.error_at(self.tok, "expected identifier in declaration")
            if is_function(ty) and self.equal("{"):
                items.append(self.function_definition(start, ty, name))
                continue
            if is_function(ty):
                raise CompileError(name.offset, name.length,
                                   f"function '{name.text}' is declared but not defined: "
                                   "give its body")
            init = self.initializer() if self.consume("=") else None
            decls = [A.Decl(*self.span_from(name.offset), name.text, ty, init)]
            while self.consume(","):
                decls.append(self.init_declarator(base))
            if self.tok.kind is not EOF:
                self.skip(";")
            items.append(A.Block(*self.span_from(start.offset), decls, scoped=False))
        return items

    def function_definition(self, start: Token, ty: CType, name: Token) -> A.FuncDef:
        fty = strip_typedefs(ty)
        if not fty.has_proto:    # `int f() { ... }` takes no arguments: `int f(void)`
            ty = fty = func_type(fty.base, [])
        if fty.variadic:
            self.error_at(name, "defining a variadic function is not supported")
        params = []
        for param_ty, param in zip(fty.params, self.param_names):
            if param is None:
                self.error_at(name, f"a parameter of '{name.text}' has no name")
            params.append(A.Decl(param.offset, param.length, param.text, param_ty, None))
        body = self.compound_stmt(self.tok.offset)
        return A.FuncDef(*self.span_from(start.offset), name.text, ty, params, body,
                         name_offset=name.offset)

    # block-item = declaration | stmt
    def block_item(self) -> A.Node:
        if self.is_typename(self.tok):
            return self.declaration()
        if self.tok.kind is IDENT and self.peek().kind is IDENT:
            self.unknown_type_name(self.tok)      # `name_t x`: a declaration
        return self.stmt()

    def unknown_type_name(self, tok: Token):
        """`tok` is used as a type name; the error when it names nothing."""
        if self.provider.lookup_identifier(tok.text) is None:
            self.error_at(tok, f"unknown type name '{tok.text}'")

    # stmt = "return" expr? ";"
    #      | "if" "(" expr ")" stmt ("else" stmt)?
    #      | "for" "(" (declaration | expr-stmt) expr? ";" expr? ")" stmt
    #      | "while" "(" expr ")" stmt
    #      | "do" stmt "while" "(" expr ")" ";"
    #      | ("break" | "continue") ";"
    #      | "{" compound-stmt
    #      | expr-stmt
    def stmt(self) -> A.Node:
        tok = self.toks[self.pos]
        if tok.text in STATEMENT_RULES:
            return getattr(self, STATEMENT_RULES[tok.text])(tok.offset)
        return self.expr_stmt()

    def return_stmt(self, start: int) -> A.Node:
        self.skip("return")
        value = None if self.equal(";") else self.expr()
        self.skip(";")
        return A.Return(*self.span_from(start), value)

    def if_stmt(self, start: int) -> A.Node:
        self.skip("if")
        cond = self.paren_expr()
        then = self.stmt()
        els = self.stmt() if self.consume("else") else None
        return A.If(*self.span_from(start), cond, then, els)

    def for_stmt(self, start: int) -> A.Node:
        self.skip("for")
        self.skip("(")
        init = self.declaration() if self.is_typename(self.tok) else self.expr_stmt()
        cond = None if self.equal(";") else self.expr()
        self.skip(";")
        step = None if self.equal(")") else self.expr()
        self.skip(")")
        body = self.stmt()
        return A.Loop(*self.span_from(start), init, cond, step, body)

    def while_stmt(self, start: int) -> A.Node:
        self.skip("while")
        cond = self.paren_expr()
        body = self.stmt()
        return A.Loop(*self.span_from(start), None, cond, None, body)

    def do_stmt(self, start: int) -> A.Node:
        self.skip("do")
        body = self.stmt()
        self.skip("while")
        cond = self.paren_expr()
        self.skip(";")
        return A.Loop(*self.span_from(start), None, cond, None, body, test_first=False)

    def jump_stmt(self, start: int) -> A.Node:
        keyword = self.advance().text
        self.skip(";")
        return A.Jump(*self.span_from(start), keyword)

    # compound-stmt = "{" block-item* "}"
    def compound_stmt(self, start: int) -> A.Node:
        self.skip("{")
        body = []
        while not self.equal("}"):
            if self.tok.kind is EOF:
                self.error_at(self.tok, "expected '}'")
            body.append(self.block_item())
        self.skip("}")
        return A.Block(*self.span_from(start), body)

    # expr-stmt = expr? (";" | EOF)
    def expr_stmt(self) -> A.Node:
        start = self.tok.offset
        if self.consume(";"):
            return A.Block(*self.span_from(start), [])
        node = self.expr()
        if self.tok.kind is not EOF:
            self.skip(";")
        return A.ExprStmt(node.offset, node.length, node)

    # paren-expr = "(" expr ")"
    def paren_expr(self) -> A.Node:
        self.skip("(")
        node = self.expr()
        self.skip(")")
        return node

    # declaration = declspec (init-declarator ("," init-declarator)*)? (";" | EOF)
    #   (like the last expression, a last declaration may omit its ";": `int $n = 0`)
    def declaration(self) -> A.Node:
        start = self.tok.offset
        base = self.declspec()
        decls = []
        if not self.equal(";"):
            decls.append(self.init_declarator(base))
            while self.consume(","):
                decls.append(self.init_declarator(base))
        if self.tok.kind is not EOF:
            self.skip(";")
        return A.Block(*self.span_from(start), decls, scoped=False)

    # init-declarator = declarator ("=" initializer)?
    def init_declarator(self, base: CType) -> A.Decl:
        ty, name = self.declarator(base)
        if name is None:
            self.error_at(self.tok, "expected identifier in declaration")
        init = self.initializer() if self.consume("=") else None
        return A.Decl(*self.span_from(name.offset), name.text, ty, init)

    # initializer = "{" (init-item ("," init-item)* ","?)? "}" | assign
    def initializer(self) -> A.Node:
        start = self.tok.offset
        if not self.consume("{"):
            return self.assign()
        items = []
        while not self.equal("}"):
            items.append(self.init_item())
            if not self.consume(","):
                break
        self.skip("}")
        return A.InitList(*self.span_from(start), items)

    # init-item = (designator+ "=")? initializer
    # designator = "[" conditional "]" | "." ident
    def init_item(self) -> A.InitItem:
        start = self.tok.offset
        designators = []
        while self.equal("[") or self.equal("."):
            tok = self.advance()
            if tok.text == "[":
                index = self.conditional()
                self.skip("]")
                designators.append(A.Designator(*self.span_from(tok.offset), index=index))
            elif self.tok.kind is IDENT:
                name = self.advance()
                designators.append(A.Designator(*self.span_from(tok.offset), name.text))
            else:
                self.error_at(self.tok, "expected a field designator")
        if designators:
            self.skip("=")
        value = self.initializer()
        return A.InitItem(*self.span_from(start), designators, value)

    # --- types ------------------------------------------------------------------------

    # declspec = ("void" | "_Bool" | "char" | "short" | "int" | "long" | "float"
    #             | "double" | "signed" | "unsigned" | "const" | "volatile" | "restrict"
    #             | struct-union-enum-ref | typedef-name)+
    def declspec(self) -> CType:
        counter, ty, quals, start = 0, None, set(), self.tok
        while self.is_typename(self.tok):
            tok = self.tok
            if tok.text in UNSUPPORTED_SPECIFIERS and tok.kind is KEYWORD:
                self.error_at(tok, f"'{tok.text}' is not supported in expressions")
            if tok.text == "_Atomic" and self.peek().text == "(":
                if ty is not None or counter:       # `_Atomic ( type-name )`
                    self.error_at(tok, "cannot combine with previous type specifier")
                self.pos += 2
                ty = qualified(self.type_name(), atomic=True)
                self.skip(")")
                continue
            if tok.text in QUALIFIERS and tok.kind is KEYWORD:
                quals.add(QUALIFIERS[tok.text])
                self.pos += 1
                continue
            if ty is not None or (counter and tok.kind is not KEYWORD):
                break  # a second type name: it is the declarator's identifier
            if tok.kind is IDENT or tok.text in ("struct", "union", "enum"):
                if counter:
                    self.error_at(tok, "cannot combine with previous type specifier")
                ty = self.tag_ref() if tok.kind is KEYWORD else self.typedef_ref()
                continue
            counter += SPECIFIER_BITS[tok.text]
            if counter not in SPECIFIER_TYPES:
                self.error_at(tok, "cannot combine with previous type specifier")
            self.pos += 1
        if ty is None:
            if not counter:
                self.error_at(start, "expected a type")
            ty = BASIC_TYPES[SPECIFIER_TYPES[counter]]
        return qualified(ty, "const" in quals, "volatile" in quals, "atomic" in quals)

    # typedef-name = ident
    def typedef_ref(self) -> CType:
        return self.provider.lookup_typedef(self.advance().text)

    # struct-union-enum-ref = ("struct" | "union" | "enum") ident
    def tag_ref(self) -> CType:
        keyword = self.advance()
        tag = self.tok
        if tag.kind is not IDENT and not self.equal("{"):
            self.error_at(tag, f"expected a {keyword.text} tag name")
        if tag.kind is IDENT:
            self.pos += 1
        if self.equal("{"):
            if keyword.text == "enum":
                self.error_at(self.tok, "defining an enum is not supported")
            return self.record_body(keyword.text, tag)
        ty = self.tags.get((keyword.text, tag.text)) or \
            self.provider.lookup_tag(keyword.text, tag.text)
        if ty is None:
            raise CompileError(keyword.offset, tag.offset + tag.length - keyword.offset,
                               f"unknown type '{keyword.text} {tag.text}'")
        return ty

    # record-body = "{" (declspec member ("," member)* ";")+ "}"
    # member = declarator (":" integer)?
    def record_body(self, keyword: str, tag: Token) -> CType:
        """A struct or union defined here, laid out as gcc lays it out; visible from its
        own members on (`struct n { struct n *next; }`) and to the rest of the source,
        unless it has no tag (`struct { int a; } v;`)."""
        kind = Kind.UNION if keyword == "union" else Kind.STRUCT
        name = tag.text if tag.kind is IDENT else ""
        ty = struct_type(kind, name, None, 0, 1)     # incomplete until the "}"
        if name:
            self.tags[keyword, name] = ty
        self.skip("{")
        fields, names = [], set()
        while not self.consume("}"):
            base = self.declspec()
            while True:
                at = self.tok
                member, name = self.declarator(base)
                if name is None:
                    self.error_at(at, "expected a member name")
                if name.text in names:
                    self.error_at(name, f"duplicate member '{name.text}'")
                m = strip_typedefs(member)
                if is_function(m) or m.kind is Kind.VOID or \
                        m.kind in (Kind.STRUCT, Kind.UNION) and m.members is None:
                    self.error_at(name, f"member '{name.text}' has incomplete type")
                names.add(name.text)
                if self.consume(":"):
                    width_tok = self.tok
                    width = self.array_length()
                    if not 0 < width <= 8 * m.size or not is_integer(m):
                        self.error_at(width_tok, f"invalid bit-field width for '{name.text}'")
                    fields.append((name.text, member, width))
                else:
                    fields.append((name.text, member))
                if not self.consume(","):
                    break
            self.skip(";")
        if not fields:
            self.error_at(tag, f"{keyword} '{name}' has no members" if name
                          else f"the {keyword} has no members")
        laid = layout_record(kind, name, fields)
        ty.members, ty.size, ty.align = laid.members, laid.size, laid.align
        return ty

    # pointers = ("*" ("const" | "volatile" | "restrict" | "_Atomic")*)*
    def pointers(self, ty: CType) -> CType:
        while self.consume("*"):
            ty = pointer_to(ty)
            while self.tok.kind is KEYWORD and self.tok.text in QUALIFIERS:
                qual = QUALIFIERS[self.advance().text]
                if qual:
                    ty = qualified(ty, **{qual: True})
        return ty

    # declarator = pointers ("(" declarator ")" | ident)? type-suffix
    #   (the identifier is optional: an abstract declarator, as in a type name)
    def declarator(self, ty: CType) -> tuple[CType, Token | None]:
        ty = self.pointers(ty)
        if self.equal("(") and (self.peek().text in ("*", "(", "^")
                                or self.peek().kind is IDENT and
                                not self.is_typename(self.peek())):
            # The inner declarator applies to what follows the parentheses: read the
            # suffix first (chibicc's trick), then come back for the inner part.
            inner = self.pos + 1
            self.pos = inner
            self.declarator(ty)
            self.skip(")")
            ty = self.type_suffix(ty)
            after = self.pos
            self.pos = inner
            ty, name = self.declarator(ty)
            self.pos = after
            return ty, name
        name = self.advance() if self.tok.kind is IDENT else None
        return self.type_suffix(ty), name

    # type-suffix = "(" func-params | "[" array-length? "]" type-suffix | ε
    def type_suffix(self, ty: CType) -> CType:
        if self.equal("("):
            ty = self.func_params(ty)
            if self.equal("(") or self.equal("["):
                self.error_at(self.tok, "function cannot return a function or an array")
            return ty
        if self.equal("["):
            bracket = self.advance()
            length = -1 if self.equal("]") else self.array_length()
            self.skip("]")
            elem = self.type_suffix(ty)
            if is_function(elem):
                self.error_at(bracket, "declared as an array of functions")
            return array_of(elem, length)
        return ty

    def array_length(self) -> int:
        tok = self.tok
        if tok.kind is not NUM or not isinstance(tok.value, int):
            self.error_at(tok, "array size must be an integer constant")
        self.pos += 1
        return tok.value

    # func-params = "(" ("void" | param ("," param)* ("," "...")?)? ")"
    # param = declspec declarator
    def func_params(self, ret: CType) -> CType:
        start = self.skip("(")
        if is_function(ret) or is_array(ret):
            self.error_at(start, "function cannot return a function or an array")
        if self.equal("void") and self.peek().text == ")":
            self.pos += 2
            self.param_names = []
            return func_type(ret, [])
        params, variadic = [], False
        if not self.equal(")"):
            params.append(self.param())
            while self.consume(","):
                if self.consume("..."):
                    variadic = True
                    break
                params.append(self.param())
        self.skip(")")
        self.param_names = [name for _, name in params]
        return func_type(ret, [ty for ty, _ in params], variadic, has_proto=bool(params))

    def param(self) -> tuple[CType, Token | None]:
        ty, name = self.declarator(self.declspec())
        return _adjust_param(ty), name

    # type-name = declspec abstract-declarator
    def type_name(self) -> CType:
        start = self.tok
        ty, name = self.declarator(self.declspec())
        if name is not None:
            self.error_at(name, "unexpected identifier in type name")
        if start is self.tok:
            self.error_at(start, "expected a type")
        return ty

    # --- expressions ------------------------------------------------------------------

    # expr = assign ("," assign)*
    def expr(self) -> A.Node:
        node = self.assign()
        while self.equal(","):
            op = self.advance()
            rhs = self.assign()
            node = A.Binary(node.offset, rhs.end - node.offset, Op.COMMA, node, rhs,
                            op_offset=op.offset)
        return node

    # assign = conditional (assign-op assign)?
    # assign-op = "=" | "+=" | "-=" | "*=" | "/=" | "%=" | "&=" | "|=" | "^=" | "<<=" | ">>="
    def assign(self) -> A.Node:
        node = self.conditional()
        if self.toks[self.pos].text in ASSIGN_OPS:
            op = self.advance()
            rhs = self.assign()
            return A.Assign(node.offset, rhs.end - node.offset, ASSIGN_OPS[op.text], node,
                            rhs, op_offset=op.offset)
        return node

    # conditional = binary ("?" expr ":" conditional)?
    def conditional(self) -> A.Node:
        cond = self.binary(1)
        if not self.consume("?"):
            return cond
        then = self.expr()
        self.skip(":")
        els = self.conditional()
        return A.Cond(cond.offset, els.end - cond.offset, cond, then, els)

    # binary(p) = cast (binary-op binary(q + 1))*   where binary-op has precedence q >= p
    def binary(self, min_prec: int) -> A.Node:
        lhs = self.cast()
        while True:
            tok = self.toks[self.pos]
            prec = BINARY_PRECEDENCE.get(tok.text)
            if prec is None or prec < min_prec:
                return lhs
            self.pos += 1
            rhs = self.binary(prec + 1)
            lhs = A.Binary(lhs.offset, rhs.end - lhs.offset, BINARY_OPS[tok.text], lhs, rhs,
                           op_offset=tok.offset)

    # cast = "(" type-name ")" cast | unary
    #      | "(" type-name ")" "{" initializer-list "}" postfix-tail   (a compound literal)
    def cast(self) -> A.Node:
        start = self.tok.offset
        ty = self.try_paren_type_name()
        if ty is None:
            return self.unary()
        if self.equal("{"):
            return self.postfix(self.compound_literal(start, ty))
        operand = self.cast()
        return A.TypeCast(start, operand.end - start, ty, operand)

    def compound_literal(self, start: int, ty: CType) -> A.Node:
        init = self.initializer()
        return A.CompoundLit(*self.span_from(start), ty, init)

    def try_paren_type_name(self) -> CType | None:
        """`( type-name )` if one starts here, else None with nothing consumed. A typedef
        name that does not lead to a type name backtracks (pycparser's way). `(name)`
        followed by an operand is a cast: an unknown `name` is an unknown type name."""
        if not self.equal("("):
            return None
        if (self.peek().kind is IDENT and self.peek(2).text == ")"
                and not self.is_typename(self.peek()) and _starts_operand(self.peek(3))):
            self.unknown_type_name(self.peek())
        if not self.is_typename(self.peek()):
            return None
        saved = self.pos
        self.pos += 1
        try:
            ty = self.type_name()
            self.skip(")")
        except CompileError:
            if self.toks[saved + 1].kind is KEYWORD:
                raise
            self.pos = saved
            return None
        return ty

    # unary = ("+" | "-" | "*" | "&" | "!" | "~") cast
    #       | ("++" | "--") unary
    #       | "sizeof" "(" type-name ")"
    #       | "sizeof" unary
    #       | postfix
    def unary(self) -> A.Node:
        tok = self.toks[self.pos]
        if tok.text in A.UNARY_OPS:
            self.pos += 1
            operand = self.cast()
            return A.Unary(tok.offset, operand.end - tok.offset, A.UNARY_OPS[tok.text],
                           operand)
        if tok.text in ("++", "--"):
            self.pos += 1
            operand = self.unary()
            op = Op.PREINC if tok.text == "++" else Op.PREDEC
            return A.IncDec(tok.offset, operand.end - tok.offset, op, operand)
        if tok.text == "sizeof":
            self.pos += 1
            ty = self.try_paren_type_name()
            if ty is not None and self.equal("{"):
                operand = self.postfix(self.compound_literal(self.tok.offset, ty))
                return A.SizeofExpr(tok.offset, operand.end - tok.offset, operand)
            if ty is not None:
                return A.SizeofType(*self.span_from(tok.offset), ty)
            operand = self.unary()
            return A.SizeofExpr(tok.offset, operand.end - tok.offset, operand)
        return self.postfix()

    # postfix = primary ("[" expr "]" | "." ident | "->" ident | "(" args ")"
    #                    | "++" | "--")*
    def postfix(self, node: A.Node | None = None) -> A.Node:
        node = node or self.primary()
        start = node.offset
        while True:
            text = self.toks[self.pos].text
            if text == "[":
                self.pos += 1
                index = self.expr()
                self.skip("]")
                node = A.Index(*self.span_from(start), node, index)
            elif text == "." or text == "->":
                self.pos += 1
                name = self.tok
                if name.kind is not IDENT:
                    self.error_at(name, "expected a member name")
                self.pos += 1
                node = A.MemberRef(*self.span_from(start), node, name.text, text == "->",
                                   name.offset)
            elif text == "(":
                args = self.call_args()
                node = A.Call(*self.span_from(start), node, args)
            elif text == "++" or text == "--":
                self.pos += 1
                op = Op.POSTINC if text == "++" else Op.POSTDEC
                node = A.IncDec(*self.span_from(start), op, node)
            else:
                return node

    # offsetof = "__builtin_offsetof" "(" type-name "," ident ("." ident | "[" num "]")* ")"
    #   (what <stddef.h>'s `offsetof` expands to)
    def offsetof(self, start: Token) -> A.Node:
        self.skip("(")
        ty = self.type_name()
        self.skip(",")
        offset = 0
        designator = "."
        while True:
            if designator == ".":
                name = self.tok
                if name.kind is not IDENT or not is_record(ty):
                    self.error_at(name, "expected a member of a structure or union")
                path = find_member(ty, name.text) if strip_typedefs(ty).members else None
                if path is None:
                    self.error_at(name, f"no member named '{name.text}' in "
                                        f"'{type_name(ty)}'")
                self.pos += 1
                offset += sum(m.offset for m in path)
                ty = path[-1].type
                if path[-1].bit_width:
                    self.error_at(name, "cannot compute offset of bit-field")
            else:
                index = self.tok
                if index.kind is not NUM or not isinstance(index.value, int) \
                        or not is_array(ty):
                    self.error_at(index, "expected a constant index into an array")
                self.pos += 1
                self.skip("]")
                ty = strip_typedefs(ty).base
                offset += index.value * ty.size
            if self.equal(".") or self.equal("["):
                designator = self.advance().text
            else:
                break
        self.skip(")")
        return A.IntLit(*self.span_from(start.offset), offset, ty=BASIC_TYPES[Kind.ULONG])

    # args = "(" (assign ("," assign)*)? ")"
    def call_args(self) -> list[A.Node]:
        self.skip("(")
        args = []
        if not self.equal(")"):
            args.append(self.assign())
            while self.consume(","):
                args.append(self.assign())
        self.skip(")")
        return args

    # primary = "(" expr ")" | (ident "::")? ident | number | string
    #   (`function::name` and `'file.c'::name` name a static as gdb's do)
    def primary(self) -> A.Node:
        tok = self.toks[self.pos]
        self.pos += 1
        if tok.text == "(":
            node = self.expr()
            self.skip(")")
            node.offset, node.length = self.span_from(tok.offset)  # parentheses included
            return node
        if tok.kind is IDENT:
            if tok.text == "__builtin_offsetof" and self.equal("("):
                return self.offsetof(tok)
            if self.consume("::"):
                name = self.tok
                if name.kind is not IDENT:
                    self.error_at(name, "expected an identifier after '::'")
                self.pos += 1
                return A.Ident(*self.span_from(tok.offset), name.text, scope=tok.text)
            return A.Ident(tok.offset, tok.length, tok.text)
        if tok.kind is NUM:
            cls = A.IntLit if isinstance(tok.value, int) else A.FloatLit
            return cls(tok.offset, tok.length, tok.value, ty=tok.ty)
        if tok.kind is STR:
            return A.StrLit(tok.offset, tok.length, tok.value, ty=tok.ty)
        self.pos -= 1
        self.error_at(tok, "expected an expression")


OPERAND_STARTS = frozenset({"!", "~", "{", "sizeof"})


def _starts_operand(tok: Token) -> bool:
    """Whether `tok` can only begin an operand (not continue an expression)."""
    return tok.kind in (IDENT, NUM, STR) or tok.text in OPERAND_STARTS


def _adjust_param(ty: CType) -> CType:
    """C11 6.7.6.3p7-8: array and function parameters are pointers."""
    if is_array(ty):
        return pointer_to(strip_typedefs(ty).base)
    if is_function(ty):
        return pointer_to(ty)
    return ty
