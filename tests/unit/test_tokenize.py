"""The tokenizer: literal values and types by C's rules, spans, and errors."""
import math

import pytest

from lldb_jit.errors import CompileError
from lldb_jit.frontend.ctype import type_name
from lldb_jit.frontend.tokenize import TK, tokenize

# source -> (value, type of the literal)
LITERALS = [
    ("0", 0, "int"),
    ("42", 42, "int"),
    ("2147483647", 2147483647, "int"),
    ("2147483648", 2147483648, "long"),           # decimal: never unsigned
    ("0x7fffffff", 0x7FFFFFFF, "int"),
    ("0xffffffff", 0xFFFFFFFF, "unsigned int"),   # hex: unsigned int before long
    ("0x100000000", 0x100000000, "long"),
    ("0xffffffffffffffff", 2**64 - 1, "unsigned long"),
    ("017", 15, "int"),
    ("037777777777", 0xFFFFFFFF, "unsigned int"),
    ("0b1011", 11, "int"),
    ("10u", 10, "unsigned int"),
    ("10U", 10, "unsigned int"),
    ("10l", 10, "long"),
    ("10UL", 10, "unsigned long"),
    ("10lu", 10, "unsigned long"),
    ("10ll", 10, "long long"),
    ("10LL", 10, "long long"),
    ("10ull", 10, "unsigned long long"),
    ("10LLU", 10, "unsigned long long"),
    ("0xffffffffffffffffll", 2**64 - 1, "unsigned long long"),
    ("4294967296u", 4294967296, "unsigned long"),
    ("1.5", 1.5, "double"),
    ("1.", 1.0, "double"),
    (".25", 0.25, "double"),
    ("1e3", 1000.0, "double"),
    ("2.5E-1", 0.25, "double"),
    ("1.5f", 1.5, "float"),
    ("1.5F", 1.5, "float"),
    ("1.5L", 1.5, "long double"),
    ("0x1p4", 16.0, "double"),
    ("0x1.8p1f", 3.0, "float"),
    ("1e99999", math.inf, "double"),                 # too big: infinity, as gcc makes it
    ("0x1p99999", math.inf, "double"),
    ("'a'", 97, "int"),
    ("'\\n'", 10, "int"),
    ("'\\0'", 0, "int"),
    ("'\\x41'", 65, "int"),
    ("'\\101'", 65, "int"),
    ("'\\''", 39, "int"),
    ("'\\xff'", -1, "int"),                        # plain char is signed
    ("'ab'", 0x6162, "int"),                       # multi-character, as GCC
    ('"hi"', b"hi", "char[3]"),
    ('"a\\tb\\\\"', b"a\tb\\", "char[5]"),
    ('"\\x41\\102"', b"AB", "char[3]"),
    ('""', b"", "char[1]"),
    ('"ab" "cd"', b"abcd", "char[5]"),               # adjacent literals join
    ('"a"\n  "b" "c"', b"abc", "char[4]"),
]


@pytest.mark.parametrize("src,value,ty", LITERALS)
def test_literal(src, value, ty):
    toks = tokenize(src)
    assert len(toks) == 2 and toks[1].kind is TK.EOF
    tok = toks[0]
    assert (tok.value, type_name(tok.ty)) == (value, ty)
    assert (tok.offset, tok.length) == (0, len(src))


def test_spans_and_kinds():
    src = "  $foo->bar <<= sizeof(x) ... /* c */ $0 // end"
    toks = tokenize(src)
    got = [(t.kind, t.text, t.offset, t.length) for t in toks]
    assert got == [
        (TK.IDENT, "$foo", 2, 4), (TK.PUNCT, "->", 6, 2), (TK.IDENT, "bar", 8, 3),
        (TK.PUNCT, "<<=", 12, 3), (TK.KEYWORD, "sizeof", 16, 6), (TK.PUNCT, "(", 22, 1),
        (TK.IDENT, "x", 23, 1), (TK.PUNCT, ")", 24, 1), (TK.PUNCT, "...", 26, 3),
        (TK.IDENT, "$0", 38, 2), (TK.EOF, "", len(src), 0)]


def test_all_punctuators():
    src = "<<= >>= ... -> ++ -- << >> <= >= == != && || += -= *= /= %= &= |= ^= " \
          "[ ] ( ) { } . & * + - ~ ! / % < > ^ | ? : ; = ,"
    texts = [t.text for t in tokenize(src)[:-1]]
    assert texts == src.split()


def test_greedy_punctuators():
    assert [t.text for t in tokenize("a+++b")[:-1]] == ["a", "++", "+", "b"]
    assert [t.text for t in tokenize("a->b-->c")[:-1]] == ["a", "->", "b", "--", ">", "c"]


# source -> (offset, length, message)
ERRORS = [
    ("1 @ 2", 2, 1, "invalid character '@' in expression"),
    ("x + `", 4, 1, "invalid character '`' in expression"),
    ('"abc', 0, 4, "unterminated string literal"),
    ("'a", 0, 2, "unterminated character constant"),
    ("''", 0, 2, "empty character constant"),
    ("1 + 12abc", 4, 5, "invalid suffix 'abc' on integer constant"),
    ("10uu", 0, 4, "invalid suffix 'uu' on integer constant"),
    ("10lL", 0, 4, "invalid suffix 'lL' on integer constant"),
    ("089", 0, 3, "invalid digit in octal constant"),
    ("99999999999999999999", 0, 20, "integer constant is too large for its type"),
    ("1.5q", 0, 4, "invalid number '1.5q'"),
    ("1e", 0, 2, "invalid number '1e'"),
    ('"\\q"', 1, 2, "unknown escape sequence '\\q'"),
    ("'\\x100'", 1, 5, "hex escape sequence out of range"),
    ("x /* y", 2, 2, "unterminated comment"),
]


@pytest.mark.parametrize("src,offset,length,message", ERRORS)
def test_error(src, offset, length, message):
    with pytest.raises(CompileError) as e:
        tokenize(src)
    assert (e.value.offset, e.value.length, e.value.message) == (offset, length, message)
