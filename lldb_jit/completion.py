"""Completing a C expression being typed: the identifiers in scope, the members of a
record after `.` and `->`, the tags after `struct`/`union`/`enum`.

    complete("pt->", provider)   ->  Completion(start=4, candidates=["x", "y"])

Members come from our own front end: the text before `.`/`->` (the postfix expression
that ends there) is type-checked against the provider and the member names of its
record type are offered, those of anonymous members included. Names come from the
provider's listing methods (`identifier_names`, `tag_names`), which FrameProvider
answers from LLDB's debug info and DictProvider from its tables.

Pure logic: nothing here knows LLDB. `jit-complete` (command.py) is its user; LLDB
calls no Python when Tab is pressed after a raw scripted command, see the README."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Protocol

from .errors import CompileError
from .frontend import analyze
from .frontend.ctype import (CType, is_array, is_pointer, is_record, member_names,
                             strip_typedefs)
from .frontend.provider import TypeProvider
from .frontend.tokenize import KEYWORDS, TK, Token, tokenize

_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
_TAG_KEYWORD = re.compile(r"(?<![A-Za-z0-9_$])(struct|union|enum)\s*\Z")
_CLOSERS = {")": "(", "]": "["}


class NameLister(TypeProvider, Protocol):
    def identifier_names(self, prefix: str) -> Iterable[str]:
        """The identifiers in scope that begin with `prefix`: variables, functions,
        enumerators, typedef names, and `$` names (persistent variables, registers)
        when `prefix` begins with `$`. For an empty prefix, only the frame's variables
        (everything would be too many)."""

    def tag_names(self, kind: str, prefix: str) -> Iterable[str]:
        """The `struct`/`union`/`enum` tags (kind is one of those words) that begin
        with `prefix`."""


@dataclass(slots=True)
class Completion:
    start: int              # offset in the text of the word being completed
    candidates: list[str]   # sorted words that may replace text[start:]

    def lines(self, text: str) -> list[str]:
        """Each candidate in place in the text, as gdb's `complete` prints them."""
        return [text[:self.start] + c for c in self.candidates]


def complete(text: str, provider: NameLister) -> Completion:
    """What may replace the word that ends `text` (the expression up to the cursor)."""
    m = _WORD.search(text)
    start = m.start() if m else len(text)
    word = text[start:]
    before = text[:start]
    if before[-1:].isdigit() or not _tokenizes(before):
        return Completion(start, [])      # the end of a number, or inside a literal
    stripped = before.rstrip()
    if stripped.endswith("->"):
        names = _members(stripped[:-2], "->", provider)
    elif stripped.endswith(".") and not stripped.endswith("..."):
        names = _members(stripped[:-1], ".", provider)
    elif (tag := _TAG_KEYWORD.search(before)) is not None:
        names = list(provider.tag_names(tag.group(1), word))
    else:
        names = list(provider.identifier_names(word))
        if word and not word.startswith("$"):
            names += [k for k in KEYWORDS if not k.startswith("__")]
    return Completion(start, sorted({n for n in names if n.startswith(word)}))


def _tokenizes(text: str) -> bool:
    try:
        tokenize(text)
    except CompileError:
        return False
    return True


def _members(operand: str, op: str, provider: TypeProvider) -> list[str]:
    """The member names `op` (`.` or `->`) reaches from the expression ending `operand`."""
    toks = [t for t in tokenize(operand) if t.kind is not TK.EOF]
    first = _postfix_start(toks)
    if first is None:
        return []
    ty = _type_of(operand, toks, first, provider)
    if ty is None:
        return []
    ty = strip_typedefs(ty)
    if op == "->":
        if not (is_pointer(ty) or is_array(ty)) or ty.base is None:
            return []
        ty = strip_typedefs(ty.base)
    return member_names(ty) if is_record(ty) else []


def _postfix_start(toks: list[Token]) -> int | None:
    """The index of the first token of the postfix expression that ends `toks`
    (C11 6.5.2: primary ( `[` expr `]` | `(` args `)` | `.` id | `->` id )*);
    None when `toks` does not end with one."""
    i = len(toks) - 1
    while i >= 0:
        t = toks[i]
        if t.kind is TK.PUNCT and t.text in _CLOSERS:
            j = _matching_open(toks, i)
            if j is None:
                return None
            called = j > 0 and (toks[j - 1].kind is TK.IDENT or toks[j - 1].text in _CLOSERS)
            if t.text == "]" or called:    # a subscript or a call: its operand is before
                i = j - 1
                continue
            return j                       # a parenthesized expression
        if t.kind in (TK.IDENT, TK.NUM, TK.STR):
            if i >= 2 and toks[i - 1].kind is TK.PUNCT and toks[i - 1].text in (".", "->"):
                i -= 2
                continue
            return i
        return None
    return None


def _matching_open(toks: list[Token], close: int) -> int | None:
    depth = 0
    for i in range(close, -1, -1):
        text = toks[i].text if toks[i].kind is TK.PUNCT else ""
        if text in _CLOSERS:
            depth += 1
        elif text in ("(", "["):
            depth -= 1
            if depth == 0:
                return i
    return None


def _type_of(operand: str, toks: list[Token], first: int,
             provider: TypeProvider) -> CType | None:
    """The type of the expression operand[toks[first].offset:], checked after the
    statements before it (`int i = 1; pts[i].`: `i` is declared there), else alone."""
    expr = operand[toks[first].offset:]
    sources = [expr]
    end = _last_statement_end(toks[:first])
    if end is not None:
        sources.insert(0, operand[:end] + " " + expr)
    for source in sources:
        try:
            ty = analyze(source, provider).result_type
        except (CompileError, RecursionError):
            continue
        if ty is not None:
            return ty
    return None


def _last_statement_end(toks: list[Token]) -> int | None:
    """The end offset of the last `;` outside any bracket, None if there is none."""
    depth = 0
    for t in reversed(toks):
        if t.kind is not TK.PUNCT:
            continue
        if t.text in (")", "]", "}"):
            depth += 1
        elif t.text in ("(", "[", "{"):
            depth -= 1
        elif t.text == ";" and depth == 0:
            return t.offset + t.length
    return None
