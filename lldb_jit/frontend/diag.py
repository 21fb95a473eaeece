"""Diagnostics shared by the checker's modules: errors on a node's span, type
spellings in quotes, and the conversion messages, worded like clang's."""
from __future__ import annotations

import difflib

from ..errors import CompileError
from .ctype import CType, Kind, strip_typedefs, type_name

ASSIGNING = "assigning to {dst} from incompatible type {src}"
INITIALIZING = "initializing {dst} with an expression of incompatible type {src}"
PASSING = "passing {src} to parameter of incompatible type {dst}"
RETURNING = "returning {src} from an expression of incompatible result type {dst}"


def describe(ty: CType) -> str:
    t = strip_typedefs(ty)
    if t.kind is Kind.FUNC and t.base is None:  # a function without debug info
        return "'void ()'"
    return f"'{type_name(ty)}'"


def error(node, message: str):
    raise CompileError(node.offset, node.length, message)


def did_you_mean(name: str, candidates) -> str:
    """"; did you mean 'x'?" for the closest candidate, if one is close enough."""
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
