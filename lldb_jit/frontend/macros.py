"""C preprocessor macros, expanded in the expression before it is parsed, as gdb's
`print` does with the `#define`s a `-g3` program carries in its debug info.

    tokens = expand(tokenize(source), {"MAX": Macro.parse("MAX(a,b) ((a)>(b)?(a):(b))")})

The algorithm is Dave Prosser's, as chibicc's preprocess.c implements it: every token
carries a hide set, the names of the macros whose expansion produced it; a name in its
own token's hide set is not expanded again (C11 6.10.3.4). Arguments are fully expanded
before substitution unless they are operands of `#` or `##` (6.10.3.1); the result is
rescanned with the rest of the input.

A token a macro's body produced carries the span of the invocation in the user's text
(from the macro's name to its closing parenthesis), so an error inside an expansion puts
the caret under the invocation; a token of an argument keeps its own span.
"""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Mapping

from ..errors import CompileError
from .ctype import array_of, ty_char
from .tokenize import _IDENT, _PPNUM, IDENT, KEYWORD, PUNCTUATORS, TK, Token, tokenize

MAX_TOKENS = 200_000   # an expansion longer than this is an error, not a hang

_DEFINITION = re.compile(r"\s*([A-Za-z_$][A-Za-z0-9_$]*)(\()?")
_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)+", re.S)
_PP_PUNCTUATORS = ["##"] + PUNCTUATORS          # `##` only means something in a body


@dataclass(slots=True, eq=False)
class Macro:
    """One `#define`: object-like when `params` is None. `body` is the replacement
    list's text; its tokens are made on first use."""
    name: str
    params: tuple[str, ...] | None = None
    variadic: bool = False     # the last parameter takes the rest (`...` or GNU `args...`)
    body: str = ""
    _tokens: list[_PP] | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, definition: str) -> Macro:
        """A macro from the text DWARF records for a `#define`: `NAME body`,
        `NAME(a,b) body`, `NAME(fmt, ...) body`, `NAME(args...) body`."""
        m = _DEFINITION.match(definition)
        if not m:
            raise ValueError(f"not a macro definition: {definition!r}")
        name, rest = m.group(1), definition[m.end():]
        if not m.group(2):
            return cls(name, body=rest.strip())
        close = rest.find(")")
        if close < 0:
            raise ValueError(f"unterminated parameter list: {definition!r}")
        params = [p.strip() for p in rest[:close].split(",")] if rest[:close].strip() else []
        variadic = bool(params) and params[-1].endswith("...")
        if variadic:
            params[-1] = params[-1][:-3].strip() or "__VA_ARGS__"
        return cls(name, tuple(params), variadic, rest[close + 1:].strip())

    def tokens(self) -> list[_PP]:
        if self._tokens is None:
            self._tokens = _lex(self.body, self.name)
        return self._tokens


@dataclass(slots=True, eq=False)
class _PP:
    """A preprocessing token during expansion."""
    text: str
    space: bool                    # white space before it (for `#` stringizing)
    offset: int                    # its span in the user's text
    length: int
    hide: frozenset = frozenset()
    tok: Token | None = None       # the user's own token, when it is one unchanged
    macro: str = ""                # the macro whose body made it (for messages)

    @property
    def is_ident(self) -> bool:
        return _IDENT.fullmatch(self.text) is not None

    def copy(self, **changes) -> _PP:
        new = _PP(self.text, self.space, self.offset, self.length, self.hide, self.tok,
                  self.macro)
        for key, value in changes.items():
            setattr(new, key, value)
        return new


def _lex(text: str, macro: str) -> list[_PP]:
    """Preprocessing tokens of a macro body (C11 6.4): nothing is converted or
    rejected here; what is not a token of ours becomes a one-character token that
    fails, at the invocation, only if it reaches the parser."""
    toks: list[_PP] = []
    pos, space = 0, False
    while pos < len(text):
        m = _SPACE.match(text, pos)
        if m:
            pos, space = m.end(), True
            continue
        end = _token_end(text, pos)
        toks.append(_PP(text[pos:end], space, 0, 0, macro=macro))
        pos, space = end, False
    return toks


def _token_end(text: str, pos: int) -> int:
    c = text[pos]
    if "0" <= c <= "9" or (c == "." and "0" <= text[pos + 1:pos + 2] <= "9"):
        return _PPNUM.match(text, pos).end()
    m = _IDENT.match(text, pos)
    if m:
        if text[m.end():m.end() + 1] in ("'", '"') and m.group() in ("L", "u", "U", "u8"):
            return _quoted_end(text, m.end())     # L"wide": one token, not supported later
        return m.end()
    if c in "'\"":
        return _quoted_end(text, pos)
    for p in _PP_PUNCTUATORS:
        if text.startswith(p, pos):
            return pos + len(p)
    return pos + 1


def _quoted_end(text: str, pos: int) -> int:
    quote, i = text[pos], pos + 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    return min(i + 1, len(text)) if i < len(text) else pos + 1


# --- expansion ---------------------------------------------------------------------

def expand(tokens: list[Token], macros: Mapping[str, Macro]) -> list[Token]:
    """The tokens with every macro of `macros` expanded; `tokens` itself when no
    macro is used. Raises CompileError."""
    if not macros or not any(t.kind in (IDENT, KEYWORD) and t.text in macros
                             for t in tokens):
        return tokens
    pps, end = [], 0
    for tok in tokens[:-1]:           # the last is EOF
        pps.append(_PP(tok.text, tok.offset > end, tok.offset, tok.length, tok=tok))
        end = tok.offset + tok.length
    out = _Expander(macros).run(deque(pps))
    return _join_strings([_to_token(pp) for pp in out]) + [tokens[-1]]


def spelling(tokens: list[Token]) -> str:
    """The text of tokens, one space between each: equal spellings parse the same."""
    return " ".join(t.text for t in tokens if t.kind is not TK.EOF)


class _Expander:
    def __init__(self, macros: Mapping[str, Macro]):
        self.macros = macros
        self.count = 0

    def run(self, stream: deque[_PP]) -> list[_PP]:
        """Expand a token stream to the end (an argument on its own, or the input)."""
        out: list[_PP] = []
        while stream:
            tok = stream.popleft()
            macro = self.macros.get(tok.text)
            if macro is None or tok.text in tok.hide or not tok.is_ident:
                out.append(tok)
                continue
            if macro.params is None:
                hide = tok.hide | {macro.name}
                body = self._subst(macro, [], hide, tok.offset, tok.length)
            else:
                if not stream or stream[0].text != "(":
                    out.append(tok)    # a function-like macro's name alone is a name
                    continue
                args, rparen = self._arguments(macro, tok, stream)
                hide = (tok.hide & rparen.hide) | {macro.name}
                start = min(tok.offset, rparen.offset)
                end = max(tok.offset + tok.length, rparen.offset + rparen.length)
                body = self._subst(macro, args, hide, start, end - start)
            if body:
                body[0].space = tok.space
            self.count += len(body)
            if self.count > MAX_TOKENS:
                raise CompileError(tok.offset, tok.length,
                                   f"the expansion of macro '{macro.name}' is too large")
            stream.extendleft(reversed(body))
        return out

    # macro_args = "(" (arg ("," arg)*)? ")", commas inside parentheses do not split
    def _arguments(self, macro: Macro, name: _PP,
                   stream: deque[_PP]) -> tuple[list[list[_PP]], _PP]:
        stream.popleft()                                   # "("
        args: list[list[_PP]] = [[]]
        depth = 0
        nparams = len(macro.params)
        while True:
            if not stream:
                raise CompileError(name.offset, name.length,
                                   f"unterminated argument list invoking macro '{macro.name}'")
            tok = stream.popleft()
            if tok.text == ")" and depth == 0:
                break
            if tok.text == "," and depth == 0 and not (macro.variadic and len(args) >= nparams):
                args.append([])
                continue
            depth += (tok.text == "(") - (tok.text == ")")
            args[-1].append(tok)
        if nparams == 0 and args == [[]]:
            args = []
        if macro.variadic and len(args) == nparams - 1:
            args.append([])                          # the variable part may be left out
        if len(args) != nparams:
            end = tok.offset + tok.length
            what = (f"requires {nparams} argument{'s' * (nparams != 1)}, but only "
                    f"{len(args)} given" if len(args) < nparams else
                    f"passed {len(args)} arguments, but takes just {nparams}")
            raise CompileError(name.offset, end - name.offset, f"macro '{macro.name}' {what}")
        return args, tok

    def _subst(self, macro: Macro, args: list[list[_PP]], hide: frozenset,
               offset: int, length: int) -> list[_PP]:
        """The body with its parameters replaced (C11 6.10.3.1-3), `#` and `##`
        applied; every token gets `hide` added."""
        index = {p: i for i, p in enumerate(macro.params or ())}
        expanded: dict[int, list[_PP]] = {}

        def arg_expanded(i: int) -> list[_PP]:
            if i not in expanded:
                expanded[i] = self.run(deque(args[i]))
            return expanded[i]

        seq = self._replace(macro, macro.tokens(), index, args, arg_expanded)
        out = _paste(seq, macro, offset, length)
        for tok in out:                  # each is a copy or new: change it in place
            tok.hide = tok.hide | hide
            if tok.tok is None and tok.length == 0:    # made by this body
                tok.offset, tok.length = offset, length
        return out

    def _replace(self, macro, body, index, args, arg_expanded) -> list:
        """The body with parameters replaced: a list of tokens, PASTE where `##` was
        and PLACEMARKER for an empty operand of `##`."""
        seq: list = []
        variadic_index = len(macro.params) - 1 if macro.variadic else -1
        i = 0
        while i < len(body):
            tok = body[i]
            nxt = body[i + 1] if i + 1 < len(body) else None
            if tok.text == "##":
                seq.append(PASTE)
                i += 1
                continue
            if (macro.params is not None and tok.text == "#" and nxt is not None
                    and nxt.text in index):
                seq.append(_stringize(args[index[nxt.text]], tok))
                i += 2
                continue
            if tok.text == "__VA_OPT__" and macro.variadic and nxt is not None \
                    and nxt.text == "(":
                close = _matching(body, i + 1)
                inner = body[i + 2:close]
                if arg_expanded(variadic_index):
                    seq += self._replace(macro, inner, index, args, arg_expanded)
                else:
                    seq.append(PLACEMARKER)
                i = close + 1
                continue
            if tok.text in index:
                n = index[tok.text]
                by_paste = (seq and seq[-1] is PASTE) or (nxt is not None and nxt.text == "##")
                if by_paste:
                    # GNU: `, ## __VA_ARGS__` drops the comma when the variable part is empty
                    if (n == variadic_index and len(seq) >= 2 and seq[-1] is PASTE
                            and isinstance(seq[-2], _PP) and seq[-2].text == ","):
                        seq.pop()
                        if not args[n]:
                            seq.pop()
                        seq += [a.copy() for a in args[n]]
                    else:
                        seq += [a.copy() for a in args[n]] or [PLACEMARKER]
                else:
                    seq += [a.copy() for a in arg_expanded(n)]
                i += 1
                continue
            seq.append(tok.copy())
            i += 1
        return seq


PASTE = object()        # a `##` in a replaced body
PLACEMARKER = object()  # an empty argument next to `##` (C11 6.10.3.3p2)


def _matching(body: list[_PP], open_index: int) -> int:
    depth = 0
    for i in range(open_index, len(body)):
        depth += (body[i].text == "(") - (body[i].text == ")")
        if depth == 0:
            return i
    return len(body) - 1


def _paste(seq: list, macro: Macro, offset: int, length: int) -> list[_PP]:
    """Apply the `##` operators left to right (6.10.3.3) and drop placemarkers."""
    out: list = []
    i = 0
    while i < len(seq):
        item = seq[i]
        if item is PASTE:
            right = seq[i + 1] if i + 1 < len(seq) else PLACEMARKER
            left = out.pop() if out else PLACEMARKER
            if left is PLACEMARKER:
                out.append(right)
            elif right is PLACEMARKER:
                out.append(left)
            else:
                text = left.text + right.text
                if len(_lex(text, macro.name)) != 1:
                    raise CompileError(offset, length,
                                       f"pasting \"{left.text}\" and \"{right.text}\" does not "
                                       f"give a valid preprocessing token (in expansion of "
                                       f"macro '{macro.name}')")
                out.append(_PP(text, left.space, 0, 0, left.hide & right.hide,
                               macro=macro.name))
            i += 2
            continue
        out.append(item)
        i += 1
    return [t for t in out if t is not PLACEMARKER]


def _stringize(arg: list[_PP], hash_tok: _PP) -> _PP:
    """`#param`: the argument's spelling as a string literal (C11 6.10.3.2)."""
    parts = []
    for n, tok in enumerate(arg):
        text = tok.text
        if text[:1] in ("'", '"') or text[:2] in ('L"', "L'", 'u"', 'U"') or text[:3] == 'u8"':
            text = text.replace("\\", "\\\\").replace('"', '\\"')
        parts.append((" " if n and tok.space else "") + text)
    return _PP('"' + "".join(parts) + '"', hash_tok.space, 0, 0, macro=hash_tok.macro)


def _to_token(pp: _PP) -> Token:
    """The parser's token for a preprocessing token: the user's own when unchanged,
    otherwise its text converted now, at the invocation's span."""
    if pp.tok is not None:
        return pp.tok
    try:
        toks = tokenize(pp.text)
    except CompileError as e:
        raise CompileError(pp.offset, pp.length,
                           f"{e.message} (in expansion of macro '{pp.macro}')") from None
    if len(toks) != 2:   # not one token: `L"..."`, say
        raise CompileError(pp.offset, pp.length,
                           f"'{pp.text}' is not supported (in expansion of macro '{pp.macro}')")
    tok = toks[0]
    tok.offset, tok.length = pp.offset, pp.length
    return tok


def _join_strings(toks: list[Token]) -> list[Token]:
    """Adjacent string literals join after expansion (translation phase 6)."""
    out: list[Token] = []
    for tok in toks:
        if tok.kind is TK.STR and out and out[-1].kind is TK.STR:
            first = out.pop()
            data = first.value + tok.value
            start = min(first.offset, tok.offset)
            end = max(first.offset + first.length, tok.offset + tok.length)
            tok = Token(TK.STR, start, end - start, f"{first.text} {tok.text}", data,
                        array_of(ty_char, len(data) + 1))
        out.append(tok)
    return out


def locate(error: CompileError, typed: list[Token], expanded: list[Token]) -> CompileError:
    """An error of the expanded program, placed in what the user typed: kept when it
    spans tokens the user typed (an argument, say), otherwise put under the smallest
    macro invocation that holds it (a span mixing a body's tokens with an argument's
    means nothing in the typed text)."""
    own = {id(t) for t in typed}
    starts = {t.offset for t in expanded if id(t) in own}
    ends = {t.offset + t.length for t in expanded if id(t) in own}
    start, end = error.offset, error.offset + error.length
    invocations = {(t.offset, t.offset + t.length) for t in expanded
                   if id(t) not in own and t.kind is not TK.EOF}
    inside = [r for r in invocations if r[0] <= start < r[1]]
    if not inside or (start in starts and end in ends):
        return error
    holding = [r for r in inside if end <= r[1]]
    s, e = (min(holding, key=lambda r: r[1] - r[0]) if holding
            else max(inside, key=lambda r: r[1] - r[0]))
    return CompileError(s, e - s, error.message)
