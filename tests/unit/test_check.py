"""The checker: C typing rules (the type of each expression, as LLDB would print it),
symbol bookkeeping, and type errors with their spans."""
import os

import pytest
from hypothesis import given, settings, strategies as st

from lldb_jit.errors import CompileError
from lldb_jit.frontend import analyze
from lldb_jit.frontend import ast as A
from lldb_jit.frontend.ctype import (Kind, LazyMember, LazyRecord, Member, pointer_to,
                                     qualified, ty_int, type_name)
from lldb_jit.frontend.provider import DictProvider, Symbol, SymKind
from lldb_jit.irgen import gen_module

# expression -> type of the result (None: no value). Variables: see conftest.SCALARS.
TYPES = [
    ("1", "int"), ("'a'", "int"), ("1.0f", "float"), ("1.0", "double"),
    ("1.0L", "long double"), ('"abc"', "char[4]"), ("x", "int"),
    ("c", "char"), ("c + c", "int"),                         # integer promotion
    ("uc * 2", "int"), ("s - us", "int"), ("b + b", "int"),
    ("-c", "int"), ("~us", "int"), ("+b", "int"), ("!d", "int"), ("!str", "int"),
    ("x + u", "unsigned int"), ("u + l", "long"), ("x + ul", "unsigned long"),
    ("u * 1L", "long"), ("l + ul", "unsigned long"), ("x + 1ll", "long long"),
    ("1u + 1ll", "long long"), ("1ul + 1ll", "unsigned long long"),
    ("x + f", "float"), ("f + d", "double"), ("d + 1.0L", "long double"),
    ("x << l", "int"), ("c >> 1", "int"), ("ul >> x", "unsigned long"),
    ("x < u", "int"), ("d == f", "int"), ("str != 0", "int"), ("x && d", "int"),
    ("x || str", "int"), ("x ? c : s", "int"), ("x ? u : l", "long"),
    ("x ? str : 0", "char *"), ("x ? d : 1", "double"), ("x ? st : st", "struct S"),
    ("x, d", "double"), ("x % 3", "int"), ("u / 2", "unsigned int"),
    ("arr", "int[4]"), ("&arr", "int (*)[4]"), ("arr + 1", "int *"),
    ("*arr", "int"), ("arr[1]", "int"), ("1[arr]", "int"), ("&arr[1]", "int *"),
    ("str + 1", "char *"), ("1 + str", "char *"), ("str - 1", "char *"),
    ("str - str", "long"), ("&arr[3] - arr", "long"), ("*str", "char"),
    ("str[0]", "char"), ("st", "struct S"), ("st.a", "int"), ("st.b", "char"),
    ("st.f1", "unsigned int"), ("st.f2", "int"), ("st.f1 + 0", "int"),
    ("ps", "struct S *"), ("ps->g", "long"), ("(*ps).g", "long"), ("&st", "struct S *"),
    ("&ps->b", "char *"), ("&*ps", "struct S *"), ("un.f", "float"),
    ("add2", "int (*)(int, int)"), ("&add2", "int (*)(int, int)"),
    ("*add2", "int (*)(int, int)"), ("add2(1, 2)", "int"), ("fp(x, c)", "int"),
    ("(*fp)(1, 2)", "int"), ("scale(1, 2)", "double"),
    ("snprintf(str, 1, \"%d\", c)", "int"),
    ("(size_t)strlen(str)", "size_t"), ("(int)strlen(\"a\")", "int"),
    ("(void)strlen(\"a\")", None), ("strlen", "void (*)()"),
    ("(char)x", "char"), ("(unsigned char)x", "unsigned char"),
    ("(long double)x", "long double"), ("(void *)str", "void *"),
    ("(void)x", None), ("(int (*)(int))0", "int (*)(int)"), ("(_Bool)str", "_Bool"),
    ("(struct S *)str", "struct S *"), ("(Color_t)1", "enum Color"), ("color", "enum Color"),
    ("color + 1", "unsigned int"), ("BLUE", "int"), ("(enum Color)BLUE", "enum Color"),
    ("sizeof x", "unsigned long"), ("sizeof(struct S)", "unsigned long"),
    ("$0", "int"), ("$pc", "unsigned long"), ("$pc + 4", "unsigned long"),
    ("x = 3", "int"), ("c = 300", "char"), ("d += 1", "double"), ("str += 2", "char *"),
    ("x++", "int"), ("--c", "char"), ("ps++", "struct S *"), ("st.f1++", "unsigned int"),
    ("st = st", "struct S"), ("x;", "int"),
    ("int i = 1; i", "int"), ("int i = 1;", None), ("int a[3]; a", "int[3]"),
    ("int a[] = {1, 2, 3}; a", "int[3]"), ("int a[] = {[5] = 1, 2}; a", "int[7]"),
    ('char s[] = "abc"; s', "char[4]"), ("struct S t = {1}; t", "struct S"),
    ("if (x) y; else x;", None), ("for (;;) break; 1.0", "double"),
    ("return 1;", "int"), ("if (x) return c; 2", "int"),
]


def type_of(src, provider):
    ty = analyze(src, provider).result_type
    return None if ty is None else type_name(ty)


@pytest.mark.parametrize("src,expected", TYPES)
def test_result_type(src, expected, provider):
    assert type_of(src, provider) == expected


def test_integer_promotion_inserts_casts(provider):
    result = analyze("c + s", provider).body.body[-1].expr
    assert isinstance(result, A.Binary)
    for side in (result.lhs, result.rhs):
        assert isinstance(side, A.Cast) and type_name(side.ty) == "int"


def test_pointer_arithmetic_is_scaled(provider):
    node = analyze("ps + x", provider).body.body[-1].expr
    assert isinstance(node, A.PtrAdd)
    offset = node.offset_expr
    assert isinstance(offset, A.Binary) and offset.op is A.Op.MUL
    assert offset.rhs.value == 16  # sizeof(struct S)


def test_pointer_difference_divides_by_size(provider):
    node = analyze("&arr[3] - &arr[0]", provider).body.body[-1].expr
    assert node.op is A.Op.DIV and node.rhs.value == 4


def test_frame_refs_and_externals_in_first_use_order(provider):
    program = analyze("y + x + u + add2(x, y) + $0 + l + add2(1, 2) + BLUE", provider)
    assert [s.name for s in program.frame_refs] == ["y", "x", "$0"]
    assert [s.name for s in program.externals] == ["u", "add2", "l"]


def test_sizeof_operand_references_nothing(provider):
    program = analyze("sizeof(x + u) + sizeof add2(1, 2)", provider)
    assert program.frame_refs == [] and program.externals == []


def test_locals_shadow_frame_variables(provider):
    program = analyze("int x = 1; { int x = 2; } x + y", provider)
    assert [s.name for s in program.frame_refs] == ["y"]


def test_a_records_members_are_converted_when_first_used():
    """Debug info's records are LazyRecords: a pointer to one, or its qualified copy,
    reads no member; the first member access reads them, once, for the copies too;
    and a member's type is converted only when that member is used."""
    loads = []

    def load():
        loads.append("members")
        return [Member("a", ty_int, 0), LazyMember("next", next_type, 8)]

    def next_type():
        loads.append("next")
        return pointer_to(node)

    node = LazyRecord(Kind.STRUCT, "node", 16, 8, None, load)
    const_node = qualified(node, const=True)
    provider = DictProvider({
        "n": Symbol("n", SymKind.LOCAL, pointer_to(node)),
        "cn": Symbol("cn", SymKind.LOCAL, pointer_to(const_node))})
    analyze("n == 0 || cn != 0", provider)
    assert loads == []
    analyze("n->a", provider)
    assert loads == ["members"]
    program = analyze("n->next->next->a + cn->next->a", provider)
    assert type_name(program.result_type) == "int" and loads == ["members", "next"]
    assert const_node.members == node.members and const_node.is_const
    gen_module(program, "x86_64-unknown-linux-gnu")


def test_did_you_mean_uses_similar_names():
    provider = DictProvider()
    provider.similar_names = lambda name: ["counter", "count_max"]
    with pytest.raises(CompileError) as e:
        analyze("1 + countr", provider)
    assert e.value.message == "use of undeclared identifier 'countr'; did you mean 'counter'?"
    assert (e.value.offset, e.value.length) == (4, 6)


# source -> (offset, length, message)
ERRORS = [
    ("nosuch + 1", 0, 6, "use of undeclared identifier 'nosuch'"),
    ("1 + xx", 4, 2, "use of undeclared identifier 'xx'; did you mean 'x'?"),
    ("*x", 0, 2, "indirection requires pointer operand ('int' invalid)"),
    ("*(void *)str", 0, 12, "indirection of 'void *' yields a void value"),
    ("x.a", 0, 1, "member reference base type 'int' is not a structure or union"),
    ("ps.a", 0, 2, "member reference type 'struct S *' is a pointer; did you mean to "
                   "use '->'?"),
    ("st->a", 0, 2, "member reference type 'struct S' is not a pointer; did you mean "
                    "to use '.'?"),
    ("x->a", 0, 1, "member reference type 'int' is not a pointer to a structure or union"),
    ("st.nope", 3, 4, "no member named 'nope' in 'struct S'"),
    ("ps->zz + 1", 4, 2, "no member named 'zz' in 'struct S'"),
    ("op->a", 0, 2, "member access into incomplete type 'struct opaque'"),
    ("x(1)", 0, 1, "called object type 'int' is not a function or function pointer"),
    ("add2(1)", 0, 7, "too few arguments to function call, expected 2, have 1"),
    ("add2(1, 2, 3)", 0, 13, "too many arguments to function call, expected 2, have 3"),
    ("snprintf(str)", 0, 13,
     "too few arguments to function call, expected at least 3, have 1"),
    ("add2(st, 1)", 5, 2, "passing 'struct S' to parameter of incompatible type 'int'"),
    ("add2(1, un)", 8, 2, "passing 'union U' to parameter of incompatible type 'int'"),
    ("strlen(str)", 0, 6, "function 'strlen' has unknown return type; cast the call to "
                          "its declared return type"),
    ("(int)strlen(*op)", 12, 3, "argument has incomplete type 'struct opaque'"),
    ("str * 2", 4, 1, "invalid operands to binary expression ('char *' and 'int')"),
    ("d % 2", 2, 1, "invalid operands to binary expression ('double' and 'int')"),
    ("x << 1.0", 2, 2, "invalid operands to binary expression ('int' and 'double')"),
    ("str + str", 4, 1, "invalid operands to binary expression ('char *' and 'char *')"),
    ("str - ps", 4, 1,
     "invalid operands to binary expression ('char *' and 'struct S *')"),
    ("st + 1", 3, 1, "invalid operands to binary expression ('struct S' and 'int')"),
    ("st == st", 3, 2, "invalid operands to binary expression ('struct S' and "
                       "'struct S')"),
    ("st && 1", 3, 2, "invalid operands to binary expression ('struct S' and 'int')"),
    ("op + 1", 0, 2, "arithmetic on a pointer to an incomplete type 'struct opaque'"),
    ("-str", 0, 4, "invalid argument type 'char *' to unary expression"),
    ("~d", 0, 2, "invalid argument type 'double' to unary expression"),
    ("!st", 0, 3, "invalid argument type 'struct S' to unary expression"),
    ("&1", 0, 2, "cannot take the address of an rvalue of type 'int'"),
    ("&(x + 1)", 0, 8, "cannot take the address of an rvalue of type 'int'"),
    ("&st.f1", 0, 6, "address of bit-field requested"),
    ("&$pc", 0, 4, "address of register '$pc' requested"),
    ("sizeof st.f2", 0, 12, "invalid application of 'sizeof' to bit-field"),
    ("sizeof strlen", 0, 13,
     "invalid application of 'sizeof' to an incomplete type 'void ()'"),
    ("strlen.a", 0, 6, "member reference base type 'void ()' is not a structure or union"),
    ("sizeof(struct opaque)", 0, 21,
     "invalid application of 'sizeof' to an incomplete type 'struct opaque'"),
    ("(struct S)x", 0, 11, "used type 'struct S' where arithmetic or pointer type is "
                           "required"),
    ("(int)st", 0, 7, "operand of type 'struct S' where arithmetic or pointer type is "
                      "required"),
    ("(int *)d", 0, 8, "cannot cast from 'double' to 'int *'"),
    ("x ? st : 1", 0, 10, "incompatible operand types ('struct S' and 'int')"),
    ("arr[str]", 0, 8, "subscripted value is not an array or pointer"),
    ("x[1]", 0, 4, "subscripted value is not an array or pointer"),
    ("1 = x", 0, 1, "expression is not assignable"),
    ("arr = 0", 0, 3, "array type 'int[4]' is not assignable"),
    ('"ab" = 0', 0, 4, "array type 'char[3]' is not assignable"),
    ("arr++", 0, 3, "array type 'int[4]' is not assignable"),
    ("st.f1 + 1 = 2", 0, 9, "expression is not assignable"),
    ("add2(1, 2) = 3", 0, 10, "expression is not assignable"),
    ("(x ? st : st).a = 1", 0, 15, "expression is not assignable"),
    ("const char *p = str; *p = 'a'", 21, 2,
     "cannot assign to a read-only location of type 'const char'"),
    ("const struct S cs = st; cs.a = 1", 24, 4,
     "cannot assign to a read-only location of type 'const int'"),
    ("st.g1", 3, 2, "no member named 'g1' in 'struct S'; did you mean 'g'?"),
    ("ps->ff2 = 1", 4, 3, "no member named 'ff2' in 'struct S'; did you mean 'f2'?"),
    ("un.ff", 3, 2, "no member named 'ff' in 'union U'; did you mean 'f'?"),
    ("*st", 0, 3, "indirection requires pointer operand ('struct S' invalid)"),
    ("d(1)", 0, 1, "called object type 'double' is not a function or function pointer"),
    ("scale(1)", 0, 8, "too few arguments to function call, expected 2, have 1"),
    ("d.x", 0, 1, "member reference base type 'double' is not a structure or union"),
    ("str = d", 6, 1, "assigning to 'char *' from incompatible type 'double'"),
    ("double q = str;", 11, 3,
     "initializing 'double' with an expression of incompatible type 'char *'"),
    ("scale(str, 1)", 6, 3, "passing 'char *' to parameter of incompatible type 'double'"),
    ("x + 1 += 2", 0, 5, "expression is not assignable"),
    ("add2 = 0", 0, 4, "expression is not assignable"),
    ("x = st", 4, 2, "assigning to 'int' from incompatible type 'struct S'"),
    ("st = x", 5, 1, "assigning to 'struct S' from incompatible type 'int'"),
    ("d = str", 4, 3, "assigning to 'double' from incompatible type 'char *'"),
    ("st++", 0, 4, "invalid argument type 'struct S' to unary expression"),
    ("const int k = 1; k = 2", 17, 1,
     "cannot assign to variable 'k' with const-qualified type 'const int'"),
    ("int k; int k;", 11, 1, "redefinition of 'k'"),
    ("void v;", 5, 1, "variable has incomplete type 'void'"),
    ("int a[];", 4, 3, "definition of variable with array type needs an explicit size"),
    ("int a[2] = 0;", 11, 1, "array initializer must be an initializer list"),
    ("char s[4] = 3;", 12, 1,
     "array initializer must be an initializer list or string literal"),
    ("int a[2] = {1, 2, 3};", 18, 1, "excess elements in array initializer"),
    ("int v = {1, 2};", 12, 1, "excess elements in scalar initializer"),
    ("union U v = {1, 2};", 16, 1, "excess elements in union initializer"),
    ("struct S t = {1, 2, 3, 4, 5, 6};", 29, 1, "excess elements in struct initializer"),
    ("struct S t = {.zz = 1};", 14, 3,
     "field designator 'zz' does not refer to any field in type 'struct S'"),
    ("struct S t = {.gg = 1};", 14, 3, "field designator 'gg' does not refer to any "
                                       "field in type 'struct S'; did you mean 'g'?"),
    ("int a[2] = {[5] = 1};", 13, 1, "array designator index (5) exceeds array bounds (2)"),
    ("int a[2] = {[x] = 1};", 13, 1, "expression is not an integer constant expression"),
    ("int a[2] = {.a = 1};", 12, 2,
     "field designator cannot initialize a non-struct, non-union type 'int[2]'"),
    ("struct S t = {[0] = 1};", 14, 3,
     "array designator cannot initialize non-array type 'struct S'"),
    ("struct S t = {.a[0] = 1};", 16, 3,
     "array designator cannot initialize non-array type 'int'"),
    ("int v = {.a = 1};", 9, 2, "designator in initializer for scalar type 'int'"),
    ('char s[2] = "abc";', 12, 5, "initializer-string for char array is too long"),
    ("int a[2] = {st};", 12, 2,
     "initializing 'int' with an expression of incompatible type 'struct S'"),
    ("struct S t = {st};", 14, 2,
     "initializing 'int' with an expression of incompatible type 'struct S'"),
    ("struct S t = 1;", 13, 1,
     "initializing 'struct S' with an expression of incompatible type 'int'"),
    ("*op", 0, 3, "expression has incomplete type 'struct opaque'"),
    ("break;", 0, 6, "'break' statement not in loop statement"),
    ("if (x) continue;", 7, 9, "'continue' statement not in loop statement"),
    ("if (st) 1;", 4, 2, "statement requires expression of scalar type ('struct S' "
                         "invalid)"),
    ("while (un) 1;", 7, 2, "statement requires expression of scalar type ('union U' "
                            "invalid)"),
    ("{ int q; } q", 11, 1, "use of undeclared identifier 'q'"),
    ("int counter; countr", 13, 6,
     "use of undeclared identifier 'countr'; did you mean 'counter'?"),
    ("(x + 1) = 2", 0, 7, "expression is not assignable"),
    ("return st; 1", 7, 2,
     "returning 'struct S' from an expression of incompatible result type 'int'"),
]


@pytest.mark.parametrize("src,offset,length,message", ERRORS)
def test_type_error(src, offset, length, message, provider):
    with pytest.raises(CompileError) as e:
        analyze(src, provider)
    assert (e.value.offset, e.value.length) == (offset, length)
    if message is not None:
        assert e.value.message == message


# --- never a traceback --------------------------------------------------------------

PIECES = ["x", "c", "d", "str", "ps", "st", "arr", "add2", "strlen", "$0", "1", "2.5",
          "'a'", '"s"', "(", ")", "[", "]", ".", "->", "a", "f2", "+", "-", "*", "&",
          "/", "%", "<<", "==", "&&", "?", ":", ",", "=", "+=", "++", "--", "!", "~",
          "sizeof", "int", "char", "unsigned", "struct S", "size_t", "void", ";", "{",
          "}", "if", "for", "while", "return", "break", "0x1fu", "...", "op", "un"]


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 300)), deadline=None)
@given(pieces=st.lists(st.sampled_from(PIECES), min_size=1, max_size=12))
def test_random_input_gives_compile_error_or_module(pieces, provider):
    src = " ".join(pieces)
    try:
        program = analyze(src, provider)
    except CompileError as e:
        assert 0 <= e.offset <= len(src) and e.length >= 1
        return
    gen_module(program, "x86_64-unknown-linux-gnu")


INIT_HEADS = ["int a[2] = ", "struct S t = ", "char s[] = ", "union U v = ", "int v = ",
              "struct S sa[] = ", "int m[2][2] = "]
INIT_PIECES = ["{", "}", ",", ".", "a", "g", "f", "b", "[", "]", "0", "1", "9", "=", '"s"',
               "st", "x", "-1", "str", "*ps"]


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 300)), deadline=None)
@given(head=st.sampled_from(INIT_HEADS),
       pieces=st.lists(st.sampled_from(INIT_PIECES), min_size=1, max_size=12))
def test_random_initializers_give_compile_error_or_module(head, pieces, provider):
    test_random_input_gives_compile_error_or_module.hypothesis.inner_test(
        [head] + pieces + [";"], provider)
