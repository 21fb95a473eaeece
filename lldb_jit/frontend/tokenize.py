"""The tokenizer, in the manner of chibicc's tokenize.c: one pass over the source text
producing tokens that know their offset and length. Literals carry their value and C
type; adjacent string literals are joined into one token spanning them all."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import CompileError
from .ctype import (CType, FastEnum, array_of, is_unsigned, ty_char, ty_double, ty_float,
                    ty_int, ty_ldouble, ty_llong, ty_long, ty_uint, ty_ullong, ty_ulong)


class TK(FastEnum):
    IDENT = "identifier"
    KEYWORD = "keyword"
    PUNCT = "punctuator"
    NUM = "number"        # integer, floating and character constants
    STR = "string"
    EOF = "end of input"


# The kinds as module constants, for the tokenizer's and the parser's loops: in Python
# 3.11 naming a member through its class (`TK.IDENT`) is a Python-level lookup
# (EnumType.__getattr__).
IDENT, KEYWORD, PUNCT, NUM, STR, EOF = (TK.IDENT, TK.KEYWORD, TK.PUNCT, TK.NUM, TK.STR,
                                       TK.EOF)


@dataclass(slots=True, eq=False)
class Token:
    kind: TK
    offset: int
    length: int
    text: str
    value: int | float | bytes | None = None  # NUM: int or float; STR: bytes without NUL
    ty: CType | None = None                    # NUM and STR: the literal's C type


KEYWORDS = frozenset("""
    auto break case char const continue default do double else enum extern float for goto
    if inline int long register restrict return short signed sizeof static struct switch
    typedef union unsigned void volatile while _Bool _Alignof _Static_assert
    __typeof__ typeof __restrict __restrict__ __const __volatile __volatile__ _Atomic
""".split())

# Longest first, so that the first match at a position is the right one.
PUNCTUATORS = sorted("""
    <<= >>= ... -> ++ -- << >> <= >= == != && || += -= *= /= %= &= |= ^= ::
    [ ] ( ) { } . & * + - ~ ! / % < > ^ | ? : ; = , #
""".split(), key=len, reverse=True)

_FILE_SCOPE = re.compile(r"('[^'\\\n]+')\s*::")
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_BLANK = r"\s+|//[^\n]*|/\*.*?\*/"        # a blank run or a comment
_SPACE = re.compile(f"(?:{_BLANK})+", re.S)
# A preprocessing number (C11 6.4.8), checked afterwards by _convert_number.
_PPNUM = re.compile(r"\.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*")
# Blanks and comments, then a number, an identifier or a punctuator, told apart by
# their first characters: most tokens in one match (the rest, literals in quotes and
# anything invalid, _next_token looks at). The blanks are matched whole, never given
# back (a lookahead does not backtrack; Python 3.10 has no possessive `*+`): `// c` is a
# comment to the end of its line, not `//` and `c`. A `/*` left open is no `/`: the
# loop below reports it.
_NEXT = re.compile(f"(?=(?P<blank>(?:{_BLANK})*))(?P=blank)"
                   f"(?:(?P<number>{_PPNUM.pattern})|(?P<ident>{_IDENT.pattern})|"
                   f"(?!/\\*)(?P<punct>{'|'.join(map(re.escape, PUNCTUATORS))}))", re.S)
_INT = re.compile(r"(0[xX][0-9A-Fa-f]+|0[bB][01]+|[0-9]+)([uUlL]*)")
_DEC_FLOAT = re.compile(r"(?:[0-9]*\.[0-9]+|[0-9]+\.?)(?:[eE][+-]?[0-9]+)?")
_HEX_FLOAT = re.compile(r"0[xX](?:[0-9A-Fa-f]*\.[0-9A-Fa-f]+|[0-9A-Fa-f]+\.?)[pP][+-]?[0-9]+")
_OCTAL_ESCAPE = re.compile(r"[0-7]{1,3}")
_HEX_ESCAPE = re.compile(r"x([0-9A-Fa-f]+)")

_ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "e": 27,
            "\\": 92, "'": 39, '"': 34, "?": 63}

# C11 6.4.4.1: the candidate types of an integer constant, by suffix and base.
_INT_TYPES = {
    ("", True): (ty_int, ty_long, ty_llong),
    ("", False): (ty_int, ty_uint, ty_long, ty_ulong, ty_llong, ty_ullong),
    ("u", True): (ty_uint, ty_ulong, ty_ullong),
    ("l", True): (ty_long, ty_llong),
    ("l", False): (ty_long, ty_ulong, ty_llong, ty_ullong),
    ("ul", True): (ty_ulong, ty_ullong),
    ("ll", True): (ty_llong,),
    ("ll", False): (ty_llong, ty_ullong),
    ("ull", True): (ty_ullong,),
}
INT_MAX = 2**31 - 1
_SUFFIXES = {"": "", "u": "u", "l": "l", "ul": "ul", "lu": "ul", "ll": "ll", "ull": "ull",
             "llu": "ull"}


def tokenize(src: str) -> list[Token]:
    """Split `src` into tokens, ending with an EOF token; raises CompileError."""
    toks: list[Token] = []
    pos = 0
    while True:
        m = _NEXT.match(src, pos)
        if m is not None:
            kind = m.lastgroup
            start, pos = m.span(kind)
            text = src[start:pos]
            if kind == "ident":
                toks.append(Token(KEYWORD if text in KEYWORDS else IDENT, start,
                                  len(text), text))
            elif kind == "punct":
                toks.append(Token(PUNCT, start, len(text), text))
            else:
                toks.append(_number(text, start))
            continue
        m = _SPACE.match(src, pos)
        if m:
            pos = m.end()
        if src.startswith("/*", pos):
            raise CompileError(pos, 2, "unterminated comment")
        if pos >= len(src):
            toks.append(Token(TK.EOF, len(src), 0, ""))
            return toks
        tok = _next_token(src, pos)
        if tok.kind is TK.STR and toks and toks[-1].kind is TK.STR:
            tok = _join_strings(toks.pop(), tok, src)
        toks.append(tok)
        pos = tok.offset + tok.length


def _next_token(src: str, pos: int) -> Token:
    """The token at `pos` that _NEXT does not match: a literal in quotes, or an error."""
    c = src[pos]
    if c == '"':
        return _string_literal(src, pos)
    if c == "'":
        m = _FILE_SCOPE.match(src, pos)
        if m:     # gdb's `'file.c'::name`: the quoted file is a scope name
            return Token(TK.IDENT, pos, m.end(1) - pos, m.group(1))
        return _char_literal(src, pos)
    raise CompileError(pos, 1, f"invalid character '{c}' in expression")


# --- numbers ------------------------------------------------------------------------

def _number(text: str, pos: int) -> Token:
    if text.isdigit() and (text[0] != "0" or text == "0"):
        value = int(text)
        if value <= INT_MAX:    # a decimal `int`, the common case
            return Token(NUM, pos, len(text), text, value, ty_int)
    m = _INT.fullmatch(text)
    if m:
        value, ty = _integer(m.group(1), m.group(2), pos, len(text))
    else:
        value, ty = _floating(text, pos)
    return Token(NUM, pos, len(text), text, value, ty)


def _integer(digits: str, suffix: str, pos: int, length: int) -> tuple[int, CType]:
    key = _SUFFIXES.get(suffix.lower())
    if key is None or "lL" in suffix or "Ll" in suffix:
        raise CompileError(pos, length, f"invalid suffix '{suffix}' on integer constant")
    if digits[:2] in ("0x", "0X"):
        value = int(digits[2:], 16)
    elif digits[:2] in ("0b", "0B"):
        value = int(digits[2:], 2)
    elif digits.startswith("0") and len(digits) > 1:
        if not set(digits) <= set("01234567"):
            raise CompileError(pos, length, "invalid digit in octal constant")
        value = int(digits, 8)
    else:
        value = int(digits)
    decimal = not digits.startswith("0") or digits == "0"
    for ty in _INT_TYPES.get((key, decimal)) or _INT_TYPES[(key, True)]:
        if _fits(value, ty):
            return value, ty
    raise CompileError(pos, length, "integer constant is too large for its type")


def _fits(value: int, ty: CType) -> bool:
    bits = ty.size * 8
    return value < 1 << (bits if is_unsigned(ty) else bits - 1)


def _floating(text: str, pos: int) -> tuple[float, CType]:
    body, ty = text, ty_double
    is_hex = text[:2] in ("0x", "0X")
    if text[-1] in "fF" and (not is_hex or "p" in text.lower()):
        body, ty = text[:-1], ty_float
    elif text[-1] in "lL":
        body, ty = text[:-1], ty_ldouble
    if _DEC_FLOAT.fullmatch(body):
        return float(body), ty
    if _HEX_FLOAT.fullmatch(body):
        try:
            return float.fromhex(body), ty
        except OverflowError:       # as a decimal one too big: infinity (gcc warns)
            return math.inf, ty
    m = _INT.match(text)
    if m and not set(text[m.end():]) & set(".eEpP+-"):
        raise CompileError(pos, len(text),
                           f"invalid suffix '{text[m.end(1):]}' on integer constant")
    raise CompileError(pos, len(text), f"invalid number '{text}'")


# --- character and string literals --------------------------------------------------

def _escape(src: str, pos: int) -> tuple[int, int]:
    """Decode the escape sequence at src[pos] == '\\'; returns (byte value, next pos)."""
    c = src[pos + 1:pos + 2]
    if c in _ESCAPES:
        return _ESCAPES[c], pos + 2
    m = _OCTAL_ESCAPE.match(src, pos + 1)
    if m:
        return int(m.group(), 8) & 0xFF, m.end()
    m = _HEX_ESCAPE.match(src, pos + 1)
    if m:
        value = int(m.group(1), 16)
        if value > 0xFF:
            raise CompileError(pos, m.end() - pos, "hex escape sequence out of range")
        return value, m.end()
    if c == "":
        raise CompileError(pos, 1, "unterminated escape sequence")
    raise CompileError(pos, 2, f"unknown escape sequence '\\{c}'")


def _quoted(src: str, start: int, quote: str, what: str) -> tuple[bytes, int]:
    """Read the characters of a literal opening at src[start]; returns (bytes, end)."""
    out = bytearray()
    pos = start + 1
    while True:
        if pos >= len(src) or src[pos] == "\n":
            raise CompileError(start, pos - start, f"unterminated {what}")
        c = src[pos]
        if c == quote:
            return bytes(out), pos + 1
        if c == "\\":
            value, pos = _escape(src, pos)
            out.append(value)
        else:
            out += c.encode()
            pos += 1


def _string_literal(src: str, start: int) -> Token:
    data, end = _quoted(src, start, '"', "string literal")
    return Token(TK.STR, start, end - start, src[start:end], data,
                 array_of(ty_char, len(data) + 1))


def _join_strings(first: Token, second: Token, src: str) -> Token:
    data = first.value + second.value
    end = second.offset + second.length
    return Token(TK.STR, first.offset, end - first.offset, src[first.offset:end], data,
                 array_of(ty_char, len(data) + 1))


def _char_literal(src: str, start: int) -> Token:
    data, end = _quoted(src, start, "'", "character constant")
    if not data:
        raise CompileError(start, end - start, "empty character constant")
    value = 0
    for b in data:  # multi-character constants, as GCC: big-endian packing into an int
        value = (value << 8 | b) & 0xFFFFFFFF
    if len(data) == 1 and value >= 0x80:
        value -= 0x100  # plain char is signed: '\xff' == -1
    elif value >= 1 << 31:
        value -= 1 << 32
    return Token(TK.NUM, start, end - start, src[start:end], value, ty_int)
