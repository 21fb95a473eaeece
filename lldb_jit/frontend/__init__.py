"""The C front end: tokenize, parse and check an expression typed in the debugger.

    program = analyze("p->x + 1", provider)

gives the checked AST, the type of the value to print, and the symbols the code refers
to: frame objects (reached through the argument block, in slot order) and externals
(globals and functions, resolved by the linker by name), and the persistent `$name`
variables it declares."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import CompileError
from .ast import Block
from .check import Checker
from .ctype import CType
from .macros import expand, locate, spelling
from .parse import parse, parse_top_level
from .provider import Symbol, TypeProvider
from .tokenize import tokenize


@dataclass(slots=True, eq=False)
class Program:
    source: str
    body: Block                # the checked statements; a final ast.Result holds the value
    result_type: CType | None  # None when there is no value to print
    frame_refs: list[Symbol]   # LOCAL/PERSISTENT/REGISTER/THREAD_LOCAL symbols, by slot
    externals: list[Symbol]    # GLOBAL/FUNCTION symbols referenced, each once
    # `$name` variables this program declares (`int $n = 1;`), PERSISTENT symbols that
    # are in frame_refs too: the session allocates their storage before the run, puts
    # the address in their slot, and keeps them for later expressions.
    new_persistents: list[Symbol] = field(default_factory=list)
    # The tokens' spelling after macro expansion, None when no macro was used: the same
    # text can mean another program at another stop.
    expanded: str | None = None
    # Top level (`--top-level`): the function definitions, and the global variables
    # defined (GLOBAL symbols by link name: the session gives them storage); `body`
    # then initializes those globals.
    functions: list = field(default_factory=list)
    new_globals: list[Symbol] = field(default_factory=list)
    new_types: dict = field(default_factory=dict)   # (keyword, tag) -> struct/union CType


def analyze(source: str, provider: TypeProvider) -> Program:
    """Expand macros, parse and check `source`; raises CompileError on bad input."""
    def check(expanded):
        stmts = parse(source, provider, expanded)
        if not stmts:
            raise CompileError(0, len(source), "empty expression")
        checker = Checker(provider)
        body, result_type = checker.program(stmts, source)
        return Program(source, body, result_type, checker.frame_refs, checker.externals,
                       checker.new_persistents)
    return _expanded(source, provider, check)


def analyze_top_level(source: str, provider: TypeProvider) -> Program:
    """Expand macros, parse and check top-level definitions (`jit-eval --top-level`):
    functions, global variables and struct and union types."""
    def check(expanded):
        items, types = parse_top_level(source, provider, expanded)
        if not items and not types:
            raise CompileError(0, len(source), "nothing to define")
        checker = Checker(provider)
        body = checker.top_level(items, source)
        return Program(source, body, None, checker.frame_refs, checker.externals,
                       functions=checker.functions, new_globals=checker.new_globals,
                       new_types=types)
    return _expanded(source, provider, check)


def _expanded(source: str, provider: TypeProvider, check) -> Program:
    """`check(tokens)` on the tokens of `source` after macro expansion: an error inside
    an expansion is put back under what the user typed, and the program records the
    expansion (None when no macro was used)."""
    tokens = tokenize(source)
    expanded = expand(tokens, provider.macros())
    try:
        program = check(expanded)
    except CompileError as e:
        if expanded is tokens:
            raise
        raise locate(e, tokens, expanded) from None
    program.expanded = spelling(expanded) if expanded is not tokens else None
    return program
