"""What the front end needs to know about the debuggee, behind one small interface.

The LLDB side implements it from debug info (lldb_jit/debuginfo.py); unit tests use
DictProvider. The front end asks by name and gets C types back; it never sees an
address: globals and functions become symbolic references, frame objects become slots
of the argument block.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Protocol

from .ctype import CType, FastEnum
from .macros import Macro


class SymKind(FastEnum):
    LOCAL = "local"            # a variable of the selected frame: reached through the argument block
    PERSISTENT = "persistent"  # a `$0` result or `$name` variable: argument block too
    REGISTER = "register"      # `$pc`, `$rax`...: argument block (a copy of the register)
    THREAD_LOCAL = "thread_local"  # `_Thread_local`: argument block (the selected thread's copy)
    GLOBAL = "global"          # a debuggee global or static: external declaration `@link_name`
    FUNCTION = "function"      # a debuggee function: external declaration `@link_name`
    ENUM_CONST = "enum_const"  # an enumerator: `value`


@dataclass(slots=True, eq=False)
class Symbol:
    name: str          # the name as written in the expression
    kind: SymKind
    type: CType
    link_name: str = ""  # GLOBAL/FUNCTION: the symbol the linker resolves (defaults to name)
    value: int = 0       # ENUM_CONST: the enumerator's value
    unavailable: str = ""  # why the value cannot be had (optimized out...): its type
                           # still serves `sizeof`, any use of its value is an error

    def __post_init__(self):
        if not self.link_name:
            self.link_name = self.name


class TypeProvider(Protocol):
    def lookup_identifier(self, name: str) -> Symbol | None:
        """A name used in an expression, by C scope: frame locals (innermost block
        first), persistent `$` names, registers, globals and statics, functions,
        enumerators. None when unknown."""

    def lookup_typedef(self, name: str) -> CType | None:
        """A typedef name (the parser asks this to tell casts from parentheses)."""

    def lookup_tag(self, kind: str, name: str) -> CType | None:
        """`struct`/`union`/`enum` tag lookup; kind is one of those three words."""

    def similar_names(self, name: str) -> list[str]:
        """Candidate identifiers for a "did you mean" hint (may be empty)."""

    def macros(self) -> Mapping[str, Macro]:
        """The preprocessor macros in scope (empty without `-g3` debug info)."""


class DictProvider:
    """A TypeProvider over plain dicts, for tests and for tools without LLDB."""

    def __init__(self, symbols: dict[str, Symbol] | None = None,
                 typedefs: dict[str, CType] | None = None,
                 tags: dict[tuple[str, str], CType] | None = None,
                 macros: dict[str, Macro] | None = None):
        self.symbols = dict(symbols or {})
        self.typedefs = dict(typedefs or {})
        self.tags = dict(tags or {})
        self.macro_table = dict(macros or {})

    def lookup_identifier(self, name: str) -> Symbol | None:
        return self.symbols.get(name)

    def lookup_typedef(self, name: str) -> CType | None:
        return self.typedefs.get(name)

    def lookup_tag(self, kind: str, name: str) -> CType | None:
        return self.tags.get((kind, name))

    def similar_names(self, name: str) -> list[str]:
        return list(self.symbols)

    def macros(self) -> Mapping[str, Macro]:
        return self.macro_table

    # the listing completion asks for (lldb_jit/completion.py)
    def identifier_names(self, prefix: str) -> list[str]:
        return [n for n in [*self.symbols, *self.typedefs] if n.startswith(prefix)]

    def tag_names(self, kind: str, prefix: str) -> list[str]:
        return [n for k, n in self.tags if k == kind and n.startswith(prefix)]
