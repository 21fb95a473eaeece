"""LLDB's value formats by the names `expression -f` takes (`help format`), and gdb's
format letters for `-G` (`x/4xw` style: the letter says the format; a count and a size
letter are accepted as gdb writes them)."""
from __future__ import annotations

import re

import lldb

from .errors import JitError

# (one-character name or None, long name, format), in `help format`'s order
_FORMATS = [
    (None, "default", lldb.eFormatDefault), ("B", "boolean", lldb.eFormatBoolean),
    ("b", "binary", lldb.eFormatBinary), ("y", "bytes", lldb.eFormatBytes),
    ("Y", "bytes with ASCII", lldb.eFormatBytesWithASCII), ("c", "character", lldb.eFormatChar),
    ("C", "printable character", lldb.eFormatCharPrintable),
    ("F", "complex float", lldb.eFormatComplexFloat), ("s", "c-string", lldb.eFormatCString),
    ("d", "decimal", lldb.eFormatDecimal), ("E", "enumeration", lldb.eFormatEnum),
    ("x", "hex", lldb.eFormatHex), ("X", "uppercase hex", lldb.eFormatHexUppercase),
    ("f", "float", lldb.eFormatFloat), ("o", "octal", lldb.eFormatOctal),
    ("O", "OSType", lldb.eFormatOSType), ("U", "unicode16", lldb.eFormatUnicode16),
    (None, "unicode32", lldb.eFormatUnicode32), ("u", "unsigned decimal", lldb.eFormatUnsigned),
    ("p", "pointer", lldb.eFormatPointer), (None, "char[]", lldb.eFormatVectorOfChar),
    (None, "int8_t[]", lldb.eFormatVectorOfSInt8), (None, "uint8_t[]", lldb.eFormatVectorOfUInt8),
    (None, "int16_t[]", lldb.eFormatVectorOfSInt16),
    (None, "uint16_t[]", lldb.eFormatVectorOfUInt16),
    (None, "int32_t[]", lldb.eFormatVectorOfSInt32),
    (None, "uint32_t[]", lldb.eFormatVectorOfUInt32),
    (None, "int64_t[]", lldb.eFormatVectorOfSInt64),
    (None, "uint64_t[]", lldb.eFormatVectorOfUInt64),
    (None, "float16[]", lldb.eFormatVectorOfFloat16),
    (None, "float32[]", lldb.eFormatVectorOfFloat32),
    (None, "float64[]", lldb.eFormatVectorOfFloat64),
    (None, "uint128_t[]", lldb.eFormatVectorOfUInt128),
    ("I", "complex integer", lldb.eFormatComplexInteger),
    ("a", "character array", lldb.eFormatCharArray), ("A", "address", lldb.eFormatAddressInfo),
    (None, "hex float", lldb.eFormatHexFloat), ("i", "instruction", lldb.eFormatInstruction),
    ("v", "void", lldb.eFormatVoid), (None, "unicode8", lldb.eFormatUnicode8),
    # LLDB 20 and later; an older LLDB's `-f float128` says it has not this format
    (None, "float128", getattr(lldb, "eFormatFloat128", None)),
]
FORMATS = {name: fmt for short, long, fmt in _FORMATS for name in (short, long)
           if name and fmt is not None}
_NOT_IN_THIS_LLDB = {long for short, long, fmt in _FORMATS if fmt is None}

# gdb's output formats (`help x` in gdb) as LLDB formats
_GDB_LETTERS = {"x": lldb.eFormatHex, "d": lldb.eFormatDecimal, "u": lldb.eFormatUnsigned,
                "o": lldb.eFormatOctal, "t": lldb.eFormatBinary, "a": lldb.eFormatAddressInfo,
                "c": lldb.eFormatChar, "f": lldb.eFormatFloat, "s": lldb.eFormatCString,
                "i": lldb.eFormatInstruction, "z": lldb.eFormatHex}
_GDB_SPEC = re.compile(r"(\d*)([xduotacfsiz])([bhwg]?)")


def lldb_format(name: str) -> int:
    """The LLDB format a `-f` argument names."""
    fmt = FORMATS.get(name)
    if name in _NOT_IN_THIS_LLDB:
        raise JitError(f"format '{name}' needs a newer LLDB than this one")
    if fmt is None:
        raise JitError(f"invalid format '{name}': expected one of the names of "
                       f"'help format' ({', '.join(repr(n) for n in list(FORMATS)[:12])}, ...)")
    return fmt


def gdb_format(spec: str) -> int:
    """The LLDB format of a gdb format specifier (`x`, `4xw`, `/t`)."""
    m = _GDB_SPEC.fullmatch(spec.lstrip("/"))
    if m is None:
        raise JitError(f"invalid gdb format '{spec}': expected [COUNT]LETTER[SIZE], LETTER "
                       "one of x d u o t a c f s i z, SIZE one of b h w g")
    return _GDB_LETTERS[m.group(2)]
