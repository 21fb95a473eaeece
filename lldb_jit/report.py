"""The report step: the result, where the code stored it in debuggee memory, becomes an
SBValue of its C type, so LLDB's own formatters print it as `expression` would, and one
of LLDB's own persistent `$N` variables, so `expression` and `jit-eval` share one
numbering and each reads the other's results."""
from __future__ import annotations

import re

import lldb

from .errors import ExecError

# (lldb_jit.frontend is imported where a value of a type jit-eval defined is printed:
# the command imports this module, and loading the plugin must stay quick)


def result_value(target: lldb.SBTarget, name: str, address: int,
                 sbtype: lldb.SBType) -> lldb.SBValue:
    value = target.CreateValueFromAddress(name, lldb.SBAddress(address, target), sbtype)
    if not value.IsValid():
        raise ExecError(f"cannot make a value of type '{sbtype.GetName()}' at {address:#x}")
    return value


def persistent_result(target: lldb.SBTarget, address: int,
                      sbtype: lldb.SBType) -> tuple[lldb.SBValue, str]:
    """The result at `address` made one of LLDB's persistent variables by
    `SBValue.Persist()`: named by the counter `expression` uses ($0, $1...), so a name
    never means two things, and kept as a reference to the debuggee memory, so
    `expression $N` reads (and assigns) what our code reads through the argument
    block. (Persisting a value made from data would leave LLDB a reference to
    LLDB's own memory, which `expression` then reads as if it were the debuggee's.)
    Returns the value and its name."""
    kept = result_value(target, "$result", address, sbtype).Persist()
    name = (kept.GetName() or "") if kept.IsValid() else ""
    if not name.startswith("$"):
        raise ExecError("LLDB could not keep the result as a persistent $ variable")
    return kept, name


def value_from_bytes(target: lldb.SBTarget, name: str, data: bytes,
                     sbtype: lldb.SBType) -> lldb.SBValue:
    """An SBValue of `sbtype` holding `data`, in the target's byte order (LLDB copies
    the bytes into the value)."""
    order = lldb.eByteOrderBig if target.GetByteOrder() == lldb.eByteOrderBig \
        else lldb.eByteOrderLittle
    sbdata = lldb.SBData()
    sbdata.SetData(lldb.SBError(), data, order, target.GetAddressByteSize())
    return target.CreateValueFromData(name, sbdata, sbtype)


def describe(value: lldb.SBValue, spelling: str | None = None,
             language: int = lldb.eLanguageTypeUnknown) -> str:
    """`(TYPE) $N = VALUE`, exactly as `expression` prints it; with `spelling`, TYPE is
    that instead of the SBType's name. A value made from an address is formatted by
    the language of its type, C++ for a pointer to a struct (`nullptr`); in a C
    frame, LLDB's own variables and results say `NULL`, and so do ours."""
    stream = lldb.SBStream()
    value.GetDescription(stream)
    text = stream.GetData().rstrip("\n")
    prefix = f"({value.GetTypeName()}) "
    if spelling is not None and text.startswith(prefix):
        text = f"({spelling}) " + text[len(prefix):]
    if language in C_LANGUAGES:
        text = NULLPTR.sub("= NULL", text)
    at = text.find(") constant = ")
    if at >= 0 and value.GetName() == "constant":   # no `$N` name: `(int) 12`
        text = text[:at + 1] + " " + text[at + len(") constant = "):]
    return text


C_LANGUAGES = frozenset(getattr(lldb, f"eLanguageType{name}", lldb.eLanguageTypeC)
                        for name in ("C", "C89", "C99", "C11", "C17"))
NULLPTR = re.compile(r"= nullptr(?=$|[,)\n])", re.M)


_AGGREGATES = (lldb.eTypeClassStruct, lldb.eTypeClassUnion, lldb.eTypeClassArray,
               lldb.eTypeClassClass)


def describe_with_types(value: lldb.SBValue, spelling: str | None = None,
                        language: int = lldb.eLanguageTypeUnknown) -> str:
    """`expression -T`'s output: every member and element on its own line, with its
    type (LLDB's SBValue.GetDescription has no such option)."""
    def lines(v: lldb.SBValue, type_text: str, depth: int) -> list[str]:
        pad = "  " * depth
        head = f"{pad}({type_text}) {v.GetName()} = "
        summary = v.GetSummary()
        if v.GetType().GetCanonicalType().GetTypeClass() in _AGGREGATES and not summary:
            body = []
            for i in range(v.GetNumChildren()):
                child = v.GetChildAtIndex(i)
                body += lines(child, child.GetTypeName(), depth + 1)
            return [head + "{", *body, pad + "}"]
        return [head + " ".join(x for x in (v.GetValue(), summary) if x)]
    text = "\n".join(lines(value, spelling or value.GetTypeName(), 0))
    if language in C_LANGUAGES:
        text = NULLPTR.sub("= NULL", text)
    return text


def describe_defined(name: str, ty, data: bytes, leaf) -> str:
    """`(TYPE) $N = VALUE` for a value whose type involves a struct or union defined by
    jit-eval, which LLDB has no SBType for: laid out as `expression` lays out
    records (one line when every member is a plain scalar, else one member a line),
    each debuggee-typed part formatted by LLDB through `leaf(ctype, bytes)`."""
    from .frontend.ctype import type_name
    return f"({type_name(ty)}) {name} = {_rendered(ty, data, leaf, 0)}"


def _rendered(ty, data: bytes, leaf, depth: int) -> str:
    from .frontend.ctype import Kind, strip_typedefs
    t = strip_typedefs(ty)
    if t.kind in (Kind.STRUCT, Kind.UNION) and t.origin is None and t.members is not None:
        parts = [(m.name, m.type, _member_bytes(m, data)) for m in t.members]
    elif t.kind is Kind.ARRAY and has_defined_record(t):
        size = strip_typedefs(t.base).size
        parts = [(f"[{i}]", t.base, data[i * size:(i + 1) * size]) for i in range(t.length)]
    else:
        return leaf(ty, data)
    if all(_one_line(p[1]) for p in parts):
        return "(" + ", ".join(f"{n} = {_rendered(p, d, leaf, depth)}"
                               for n, p, d in parts) + ")"
    pad = "  " * (depth + 1)
    lines = [f"{pad}{n} = {_rendered(p, d, leaf, depth + 1)}" for n, p, d in parts]
    return "{\n" + "\n".join(lines) + "\n" + "  " * depth + "}"


def _member_bytes(member, data: bytes) -> bytes:
    """A member's bytes; a bit-field's value widened to its type's size."""
    from .frontend.ctype import is_unsigned, strip_typedefs
    size = strip_typedefs(member.type).size
    raw = data[member.offset:member.offset + size]
    if not member.bit_width:
        return raw
    bits = int.from_bytes(raw.ljust(size, b"\0"), "little") >> member.bit_offset
    bits &= (1 << member.bit_width) - 1
    if not is_unsigned(strip_typedefs(member.type)) and bits >> (member.bit_width - 1):
        bits -= 1 << member.bit_width
    return (bits % (1 << 8 * size)).to_bytes(size, "little")


def _one_line(ty) -> bool:
    """Whether LLDB prints a member inline in a one-line record: scalars, not pointers
    (which it can expand) nor records or arrays."""
    from .frontend.ctype import Kind, strip_typedefs
    t = strip_typedefs(ty)
    return t.kind not in (Kind.STRUCT, Kind.UNION, Kind.ARRAY, Kind.PTR, Kind.OPAQUE)


def has_defined_record(ty) -> bool:
    """Whether `ty` is, or is an array of, a struct or union jit-eval defined: LLDB has
    no SBType for it."""
    from .frontend.ctype import Kind, strip_typedefs
    t = strip_typedefs(ty)
    while t.kind is Kind.ARRAY:
        t = strip_typedefs(t.base)
    return t.kind in (Kind.STRUCT, Kind.UNION) and t.origin is None


def caret_lines(source: str, offset: int, length: int) -> str:
    """The source line holding `offset`, and `^~~~` under the span, like LLDB's
    expression diagnostics."""
    start = source.rfind("\n", 0, offset) + 1
    end = source.find("\n", offset)
    end = len(source) if end < 0 else end
    line = source[start:end]
    column = offset - start
    width = max(1, min(length, len(line) - column))
    pad = "".join("\t" if ch == "\t" else " " for ch in line[:column])
    return f"{line}\n{pad}^{'~' * (width - 1)}"


def plain(value: lldb.SBValue) -> lldb.SBValue:
    """`value` itself, for its address, type or bits: not a synthetic (formatter-made)
    or dynamic view of it. (The first SBValue asked for its synthetic view loads LLDB's
    data formatters: some 20 ms that a session's first evaluation need not wait for.)"""
    value.SetPreferSyntheticValue(False)
    value.SetPreferDynamicValue(lldb.eNoDynamicValues)
    return value

