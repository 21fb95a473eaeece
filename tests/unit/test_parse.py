"""The parser: AST shapes (as s-expressions), type names, statements and syntax errors."""
import pytest

from lldb_jit.errors import CompileError
from lldb_jit.frontend import ast as A
from lldb_jit.frontend.ctype import type_name
from lldb_jit.frontend.parse import parse


def sexp(node) -> str:
    """A compact spelling of a syntax tree: `(+ 1 (* 2 3))`."""
    match node:
        case A.IntLit(value=v) | A.FloatLit(value=v):
            return repr(v)
        case A.StrLit(value=v):
            return repr(v.decode())
        case A.Ident(name=n):
            return n
        case A.Unary(op=op, operand=x) | A.IncDec(op=op, operand=x):
            return f"({op.value} {sexp(x)})"
        case A.Binary(op=op, lhs=l, rhs=r):
            return f"({op.value} {sexp(l)} {sexp(r)})"
        case A.Assign(op=op, lhs=l, rhs=r):
            return f"({op.value if op else ''}= {sexp(l)} {sexp(r)})"
        case A.Cond(cond=c, then=t, els=e):
            return f"(? {sexp(c)} {sexp(t)} {sexp(e)})"
        case A.Call(func=f, args=args):
            return f"(call {' '.join(sexp(x) for x in [f, *args])})"
        case A.Index(base=b, index=i):
            return f"([] {sexp(b)} {sexp(i)})"
        case A.MemberRef(base=b, name=n, arrow=arrow):
            return f"({'->' if arrow else '.'} {sexp(b)} {n})"
        case A.TypeCast(to=t, operand=x):
            return f"(cast '{type_name(t)}' {sexp(x)})"
        case A.SizeofType(of=t):
            return f"(sizeof '{type_name(t)}')"
        case A.SizeofExpr(operand=x):
            return f"(sizeof {sexp(x)})"
        case A.ExprStmt(expr=x):
            return sexp(x)
        case A.Block(body=body, scoped=scoped):
            inner = " ".join(sexp(s) for s in body)
            return f"{{{inner}}}" if scoped else f"(decl {inner})"
        case A.Decl(name=n, decl_ty=t, init=i):
            return f"'{type_name(t)}' {n}" + (f"={sexp(i)}" if i else "")
        case A.InitList(items=items):
            return "{" + " ".join(sexp(i) for i in items) + "}"
        case A.InitItem(designators=ds, value=v):
            return "".join(f".{d.name}" if d.index is None else f"[{sexp(d.index)}]"
                           for d in ds) + ("=" if ds else "") + sexp(v)
        case A.If(cond=c, then=t, els=e):
            return f"(if {sexp(c)} {sexp(t)}" + (f" {sexp(e)})" if e else ")")
        case A.Loop(init=i, cond=c, step=s, body=b, test_first=tf):
            parts = [sexp(x) if x else "_" for x in (i, c, s, b)]
            return f"({'loop' if tf else 'do'} {' '.join(parts)})"
        case A.Jump(keyword=k):
            return k
        case A.Return(value=v):
            return f"(return {sexp(v) if v else ''})"
    raise AssertionError(f"no spelling for {node!r}")


def shape(src, provider) -> str:
    return " ; ".join(sexp(s) for s in parse(src, provider))


EXPRESSIONS = [
    ("1 + 2 * 3", "(+ 1 (* 2 3))"),
    ("1 - 2 - 3", "(- (- 1 2) 3)"),
    ("a || b && c | d ^ e & f == g < h << i + j * k",
     "(|| a (&& b (| c (^ d (& e (== f (< g (<< h (+ i (* j k))))))))))"),
    ("a * b / c % d", "(% (/ (* a b) c) d)"),
    ("a != b == c", "(== (!= a b) c)"),
    ("-x + ~y - !z", "(- (+ (-x x) (~ y)) (! z))"),
    ("*p++", "(*x (x++ p))"),
    ("&a[1]", "(&x ([] a 1))"),
    ("++*p", "(++x (*x p))"),
    ("--x--", "(--x (x-- x))"),
    ("a ? b : c ? d : e", "(? a b (? c d e))"),
    ("a ? b, c : d", "(? a (, b c) d)"),
    ("a = b = c", "(= a (= b c))"),
    ("a += b -= c", "(+= a (-= b c))"),
    ("x <<= 1, y >>= 2", "(, (<<= x 1) (>>= y 2))"),
    ("a %= b ^= c |= d &= e *= f /= g",
     "(%= a (^= b (|= c (&= d (*= e (/= f g))))))"),
    ("f()", "(call f)"),
    ("f(1, g(2), 3)", "(call f 1 (call g 2) 3)"),
    ("a.b->c[2].d", "(. ([] (-> (. a b) c) 2) d)"),
    ("(*fp)(1)(2)", "(call (call (*x fp) 1) 2)"),
    ("(x)", "x"),
    ("((x + 1))", "(+ x 1)"),
    ("(int)x", "(cast 'int' x)"),
    ("(unsigned long long)-1", "(cast 'unsigned long long' (-x 1))"),
    ("(long double)1", "(cast 'long double' 1)"),
    ("(signed char)c", "(cast 'signed char' c)"),
    ("(unsigned)c", "(cast 'unsigned int' c)"),
    ("(short int)c", "(cast 'short' c)"),
    ("(long int unsigned)c", "(cast 'unsigned long' c)"),
    ("(_Bool)c", "(cast '_Bool' c)"),
    ("(char *)p", "(cast 'char *' p)"),
    ("(const char *)p", "(cast 'const char *' p)"),
    ("(void **)p", "(cast 'void **' p)"),
    ("(int (*)(int))p", "(cast 'int (*)(int)' p)"),
    ("(int (*)(void))p", "(cast 'int (*)(void)' p)"),
    ("(char *(*)(char *, ...))p", "(cast 'char *(*)(char *, ...)' p)"),
    ("(int (*)[4])p", "(cast 'int (*)[4]' p)"),
    ("(size_t)strlen(s)", "(cast 'size_t' (call strlen s))"),
    ("(size_t)x + 1", "(+ (cast 'size_t' x) 1)"),
    ("(struct S *)p", "(cast 'struct S *' p)"),
    ("(enum Color)1", "(cast 'enum Color' 1)"),
    ("(union U *)0", "(cast 'union U *' 0)"),
    ("(int)(char)x", "(cast 'int' (cast 'char' x))"),
    ("sizeof x", "(sizeof x)"),
    ("sizeof(x) + 1", "(+ (sizeof x) 1)"),
    ("sizeof(int)", "(sizeof 'int')"),
    ("sizeof(int[3])", "(sizeof 'int[3]')"),
    ("sizeof(struct S *)", "(sizeof 'struct S *')"),
    ("sizeof (size_t) - 1", "(- (sizeof 'size_t') 1)"),
    ("sizeof -x", "(sizeof (-x x))"),
    ("$0 + $pc", "(+ $0 $pc)"),
    ('"a" "b"', "'ab'"),
    ("1.5f * 'a'", "(* 1.5 97)"),
    ("x;", "x"),
]


@pytest.mark.parametrize("src,expected", EXPRESSIONS)
def test_expression_shape(src, expected, provider):
    assert shape(src, provider) == expected


STATEMENTS = [
    ("int i = 1; i + 1", "(decl 'int' i=1) ; (+ i 1)"),
    ("int a, *b = 0, c[3];", "(decl 'int' a 'int *' b=0 'int[3]' c)"),
    ("unsigned long n = sizeof(int);", "(decl 'unsigned long' n=(sizeof 'int'))"),
    ("int (*fp)(int) = 0;", "(decl 'int (*)(int)' fp=0)"),
    ("size_t n = 3; n", "(decl 'size_t' n=3) ; n"),
    ("if (x) y = 1; else y = 2;", "(if x (= y 1) (= y 2))"),
    ("if (x) if (y) z;", "(if x (if y z))"),
    ("for (int i = 0; i < 3; i++) s += i;",
     "(loop (decl 'int' i=0) (< i 3) (x++ i) (+= s i))"),
    ("for (;;) break;", "(loop {} _ _ break)"),
    ("while (x) { x--; continue; }", "(loop _ x _ {(x-- x) continue})"),
    ("do x++; while (x < 3);", "(do _ (< x 3) _ (x++ x))"),
    ("{ int x = 1; } x", "{(decl 'int' x=1)} ; x"),
    ("return x + 1;", "(return (+ x 1))"),
    ("return;", "(return )"),
    (";", "{}"),
    ("int a[3] = {1, 2, 3};", "(decl 'int[3]' a={1 2 3})"),
    ("int a[] = {1, 2,};", "(decl 'int[]' a={1 2})"),
    ("struct S t = {1, .g = 2, [0] = {3}, .a.b[1 + 1] = x};",
     "(decl 'struct S' t={1 .g=2 [0]={3} .a.b[(+ 1 1)]=x})"),
    ("int z[2] = {};", "(decl 'int[2]' z={})"),
    ('char s[] = "ab";', "(decl 'char[]' s='ab')"),
]


@pytest.mark.parametrize("src,expected", STATEMENTS)
def test_statement_shape(src, expected, provider):
    assert shape(src, provider) == expected


def test_spans(provider):
    (stmt,) = parse("  foo->bar + (int)3.5 ", provider)
    node = stmt.expr
    assert (node.offset, node.length, node.op_offset) == (2, 19, 11)
    assert (node.lhs.offset, node.lhs.length, node.lhs.name_offset) == (2, 8, 7)
    assert (node.rhs.offset, node.rhs.length) == (13, 8)


def test_typedef_name_used_as_variable_backtracks():
    """A name the provider calls a typedef, which turns out to be used as a value."""
    from lldb_jit.frontend.ctype import ty_int
    from lldb_jit.frontend.provider import DictProvider
    provider = DictProvider(typedefs={"T": ty_int})
    assert shape("(T * 2)", provider) == "(* T 2)"
    assert shape("(T)(1)", provider) == "(cast 'int' 1)"
    assert shape("(T) + 1", provider) == "(cast 'int' (+x 1))"  # C: a cast


# source -> (offset, length, message)
ERRORS = [
    ("", None, None, None),
    ("1 +", 3, 1, "expected an expression at end of input"),
    ("(1 + 2", 6, 1, "expected ')' at end of input"),
    ("f(1, 2", 6, 1, "expected ')' at end of input"),
    ("a[1", 3, 1, "expected ']' at end of input"),
    ("x 1", 2, 1, "expected ';'"),
    ("a ? b", 5, 1, "expected ':' at end of input"),
    ("a.+", 2, 1, "expected a member name"),
    ("a.1", 1, 2, "expected ';'"),  # `.1` is a number, as in C
    ("a->", 3, 1, "expected a member name at end of input"),
    ("* / 2", 2, 1, "expected an expression"),
    ("(int", 4, 1, "expected ')' at end of input"),
    ("(int x)y", 5, 1, "unexpected identifier in type name"),
    ("(struct nosuch *)p", 1, 13, "unknown type 'struct nosuch'"),
    ("struct s { int a; int a; } v; 1", 22, 1, "duplicate member 'a'"),
    ("struct s { int a : 40; } v; 1", 19, 2, "invalid bit-field width for 'a'"),
    ("struct s { struct s inner; } v; 1", 20, 5, "member 'inner' has incomplete type"),
    ("struct s { } v; 1", 7, 1, "struct 's' has no members"),
    ("enum e { A } v; 1", 7, 1, "defining an enum is not supported"),
    ("(struct 3)p", 8, 1, "expected a struct tag name"),
    ("(long char)x", 6, 4, "cannot combine with previous type specifier"),
    ("(unsigned double)x", 10, 6, "cannot combine with previous type specifier"),
    ("(short long)x", 7, 4, "cannot combine with previous type specifier"),
    ("(int size_t)x", 5, 6, "unexpected identifier in type name"),
    ("(static int)x", 1, 6, "'static' is not supported in expressions"),
    ("(int[x])p", 5, 1, "array size must be an integer constant"),
    ("(int (*)(int)[3])p", 13, 1, "function cannot return a function or an array"),
    ("(int [3](int))p", 5, 1, "declared as an array of functions"),
    ("(int ()())p", 7, 1, "function cannot return a function or an array"),
    ("sizeof(int", 10, 1, "expected ')' at end of input"),
    ("{ x = 1;", 8, 1, "expected '}' at end of input"),
    ("if x) y;", 3, 1, "expected '('"),
    ("do x; until (y);", 6, 5, "expected 'while'"),
    ("int = 3;", 4, 1, "expected identifier in declaration"),
    ("int x = 3 4", 10, 1, "expected ';'"),
    ("break", 5, 1, "expected ';' at end of input"),
    ("int a[2] = {1 2};", 14, 1, "expected '}'"),
    ("struct S t = {.=1};", 15, 1, "expected a field designator"),
    ("struct S t = {.a 1};", 17, 1, "expected '='"),
    ("int a[2] = {1,", 14, 1, "expected an expression at end of input"),
]


@pytest.mark.parametrize("src,offset,length,message", ERRORS[1:])
def test_syntax_error(src, offset, length, message, provider):
    with pytest.raises(CompileError) as e:
        parse(src, provider)
    assert (e.value.offset, e.value.length, e.value.message) == (offset, length, message)


def test_empty_input_is_no_statements(provider):
    assert parse("  /* nothing */ ", provider) == []
