"""The `#define`s of a program built with `-g3`, read from its DWARF without LLDB
(LLDB's SB API does not show them): the macros in scope at a source line, as gdb
finds them for `print`.

    table = macros_at("/path/prog", pc_file_address, "/src/prog.c", "/src/prog.c", 42)

Formats: `.debug_macro` of DWARF 5 (gcc 12's default) and the GNU version 4 before it
(`-gdwarf-4`), `.debug_macinfo` of strict DWARF 2-4. A compile unit's table is the
DW_AT_macros (DW_AT_GNU_macros, DW_AT_macro_info) offset of its DIE; `import` entries
bring in units that gcc shares between compile units. Strings of the supplementary
file of a `dwz`-compressed debug file are not read: those entries are skipped.

Scope is by source position, as gdb's macrotab.c decides it: a definition at line D
of the file being read is visible at line L of that file when D <= L and no `#undef`
at a line <= L ended it; a header's entries count at the line of its `#include`.
Everything is parsed once per file (keyed by its modification time) and each table
once per (compile unit, file, line).
"""
from __future__ import annotations

import os
import struct
from collections import OrderedDict
from typing import Mapping

from .frontend.macros import Macro

# DW_MACRO_* (DWARF 5; the GNU version 4 uses the same numbers for these)
DEFINE, UNDEF, START_FILE, END_FILE, DEFINE_STRP, UNDEF_STRP, IMPORT = range(1, 8)
DEFINE_SUP, UNDEF_SUP, IMPORT_SUP, DEFINE_STRX, UNDEF_STRX = range(8, 13)
# DW_MACINFO_*
MACINFO_DEFINE, MACINFO_UNDEF, MACINFO_START_FILE, MACINFO_END_FILE = 1, 2, 3, 4
MACINFO_VENDOR_EXT = 0xFF

# DW_FORM_* sizes, to skip an opcode described by the header's operand table
_FIXED_FORMS = {0x0b: 1, 0x05: 2, 0x06: 4, 0x07: 8, 0x1e: 16, 0x11: 1, 0x12: 2, 0x13: 4,
                0x14: 8, 0x0c: 1, 0x19: 0, 0x25: 1, 0x26: 2, 0x27: 3, 0x28: 4}
_OFFSET_FORMS = {0x0e, 0x17, 0x1f, 0x1d, 0x10}   # strp, sec_offset, line_strp, strp_sup, ref_addr
FORM_STRING, FORM_UDATA, FORM_SDATA, FORM_STRX, FORM_BLOCK = 0x08, 0x0f, 0x0d, 0x1a, 0x09
FORM_BLOCK1 = 0x0a

TABLES_KEPT = 64     # tables remembered per file, (compile unit, file, line) each

EMPTY: Mapping[str, Macro] = {}


class DwarfMacroError(Exception):
    """The macro section is not as DWARF describes it."""


def macros_at(path: str, address: int | None, cu_name: str, file: str,
              line: int) -> Mapping[str, Macro]:
    """The macros visible at `file`:`line` in the compile unit that holds the file
    address `address` (or, without one, whose name is `cu_name`) of the ELF file at
    `path`. Empty when the file has no macro information or cannot be read."""
    reader = _reader(path)
    if reader is None:
        return EMPTY
    try:
        return reader.table(address, cu_name, file, line)
    except Exception:    # debug info we cannot read must not stop the evaluation
        return EMPTY


_readers: dict[str, tuple[tuple, MacroReader | None]] = {}


def load_elf_reader() -> None:
    """Import pyelftools, which the first reader needs (the plugin's warm-up thread
    does it, lldb_jit/__init__.py)."""
    from elftools.elf.elffile import ELFFile  # noqa: F401


def _reader(path: str) -> MacroReader | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    cached = _readers.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    if cached is not None and cached[1] is not None:
        cached[1].close()
    try:
        reader = MacroReader.open(path)
    except Exception:    # not an ELF file we can read: no macros, and not asked again
        reader = None
    _readers[path] = (stamp, reader)
    return reader


def _section_names(stream) -> bytes | None:
    """The section name string table of the ELF file open as `stream` (left at its
    start); None where the file holds no plain one (not ELF, or extended section
    numbering): then only pyelftools can tell."""
    try:
        header = stream.read(64)
        if header[:4] != b"\x7fELF" or header[4] not in (1, 2) or header[5] not in (1, 2):
            return None
        wide, order = header[4] == 2, "<" if header[5] == 1 else ">"
        shoff, = struct.unpack_from(order + ("Q" if wide else "I"), header,
                                    0x28 if wide else 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", header,
                                                        0x3A if wide else 0x2E)
        if not shoff or not shnum or shstrndx >= shnum:   # none, or SHN_XINDEX numbering
            return None
        stream.seek(shoff + shstrndx * shentsize)
        offset, size = struct.unpack_from(order + ("QQ" if wide else "II"),
                                          stream.read(shentsize), 0x18 if wide else 0x10)
        stream.seek(offset)
        return stream.read(size)
    finally:
        stream.seek(0)


class MacroReader:
    """The macro information of one ELF file."""

    @classmethod
    def open(cls, path: str) -> MacroReader | None:
        """None, cheaply, when the file has no macro section (no `-g3`)."""
        stream = open(path, "rb")
        try:
            names = _section_names(stream)
            if names is not None and b"debug_mac" not in names:
                stream.close()         # pyelftools takes milliseconds to find that out
                return None            # (and to import, which the warm-up may be doing)
            from elftools.elf.elffile import ELFFile   # pyelftools: loaded when needed
            elf = ELFFile(stream)
            macro = elf.get_section_by_name(".debug_macro")
            macinfo = elf.get_section_by_name(".debug_macinfo")
            if macro is None and macinfo is None:
                stream.close()
                return None
            return cls(stream, elf, macro, macinfo)
        except BaseException:
            stream.close()
            raise

    def __init__(self, stream, elf, macro, macinfo):
        self.stream = stream
        self.elf = elf
        self.macro = macro.data() if macro is not None else b""
        self.macinfo = macinfo.data() if macinfo is not None else b""
        self.little = elf.little_endian
        self.strings = self._section(".debug_str")
        self.str_offsets = self._section(".debug_str_offsets")
        self.dwarf = elf.get_dwarf_info(relocate_dwarf_sections=False)
        self._units: dict[int, _Unit] | None = None     # CU offset -> its macro unit
        self._events: dict[int, list] = {}             # CU offset -> flattened entries
        self._imported: dict[int, list] = {}           # import offset -> its entries
        self._tables: OrderedDict = OrderedDict()
        self._aranges: list | None = None

    def close(self) -> None:
        self.stream.close()

    def _section(self, name: str) -> bytes:
        section = self.elf.get_section_by_name(name)
        return section.data() if section is not None else b""

    # -- which compile unit ------------------------------------------------------------
    def _all_units(self) -> dict[int, _Unit]:
        if self._units is None:
            self._units = {}
            for cu in self.dwarf.iter_CUs():
                unit = _Unit.of(cu)
                if unit is not None:
                    self._units[cu.cu_offset] = unit
        return self._units

    def _unit(self, address: int | None, cu_name: str) -> _Unit | None:
        units = self._all_units()
        if address is not None:
            if self._aranges is None:
                self._aranges = [self.dwarf.get_aranges()]
            aranges = self._aranges[0]
            offset = aranges.cu_offset_at_addr(address) if aranges and aranges.entries else None
            if offset in units:
                return units[offset]
        named = [u for u in units.values() if _same_file(u.name, cu_name)]
        return named[0] if len(named) == 1 else None

    # -- the table at a line -----------------------------------------------------------
    def table(self, address: int | None, cu_name: str, file: str,
              line: int) -> Mapping[str, Macro]:
        unit = self._unit(address, cu_name)
        if unit is None:
            return EMPTY
        key = (unit.offset, file, line)
        table = self._tables.get(key)
        if table is None:
            table = _scope(self._unit_events(unit), file, line)
            self._tables[key] = table
            if len(self._tables) > TABLES_KEPT:
                self._tables.popitem(last=False)
        return table

    def _unit_events(self, unit: _Unit) -> list:
        """The unit's entries, imports inlined: ("define", line, Macro),
        ("undef", line, name), ("start", line, path), ("end",)."""
        events = self._events.get(unit.offset)
        if events is None:
            files = unit.file_names(self.dwarf)
            if unit.macinfo:
                events = self._read_macinfo(unit.macro_offset, files)
            else:
                events = self._read_macro(unit.macro_offset, unit, files)
            self._events[unit.offset] = events
        return events

    def _read_macro(self, offset: int, unit: _Unit, files) -> list:
        data = self.macro
        r = _Bytes(data, offset, self.little)
        version = r.u16()
        if version not in (4, 5):
            raise DwarfMacroError(f"unknown .debug_macro version {version}")
        flags = r.u8()
        offset_size = 8 if flags & 1 else 4
        if flags & 2:
            r.offset(offset_size)                 # its .debug_line offset
        operands: dict[int, list[int]] = {}
        if flags & 4:
            for _ in range(r.u8()):
                opcode = r.u8()
                operands[opcode] = [r.u8() for _ in range(r.uleb())]
        events: list = []
        while True:
            op = r.u8()
            if op == 0:
                return events
            if op in (DEFINE, UNDEF):
                line, text = r.uleb(), r.cstring()
                events.append(_event(op == DEFINE, line, text))
            elif op in (DEFINE_STRP, UNDEF_STRP):
                line, at = r.uleb(), r.offset(offset_size)
                events.append(_event(op == DEFINE_STRP, line, self._string(at)))
            elif op in (DEFINE_STRX, UNDEF_STRX):
                line, index = r.uleb(), r.uleb()
                at = unit.str_offsets_base + index * offset_size
                events.append(_event(op == DEFINE_STRX, line, self._string(
                    _Bytes(self.str_offsets, at, self.little).offset(offset_size))))
            elif op in (DEFINE_SUP, UNDEF_SUP):    # the supplementary file's strings
                r.uleb()
                r.offset(offset_size)
            elif op == START_FILE:
                line, index = r.uleb(), r.uleb()
                events.append(("start", line, files(index)))
            elif op == END_FILE:
                events.append(("end",))
            elif op == IMPORT:
                at = r.offset(offset_size)
                if at not in self._imported:
                    self._imported[at] = self._read_macro(at, unit, files)
                events += self._imported[at]
            elif op == IMPORT_SUP:
                r.offset(offset_size)
            elif op in operands:
                for form in operands[op]:
                    r.skip_form(form, offset_size)
            else:
                raise DwarfMacroError(f"unknown macro opcode {op:#x}")

    def _read_macinfo(self, offset: int, files) -> list:
        r = _Bytes(self.macinfo, offset, self.little)
        events: list = []
        while True:
            op = r.u8()
            if op == 0:
                return events
            if op in (MACINFO_DEFINE, MACINFO_UNDEF):
                line, text = r.uleb(), r.cstring()
                events.append(_event(op == MACINFO_DEFINE, line, text))
            elif op == MACINFO_START_FILE:
                line, index = r.uleb(), r.uleb()
                events.append(("start", line, files(index)))
            elif op == MACINFO_END_FILE:
                events.append(("end",))
            elif op == MACINFO_VENDOR_EXT:
                r.uleb()
                r.cstring()
            else:
                raise DwarfMacroError(f"unknown macinfo opcode {op:#x}")

    def _string(self, at: int) -> str:
        end = self.strings.index(b"\0", at)
        return self.strings[at:end].decode("utf-8", "replace")


def _event(define: bool, line: int, text: str) -> tuple:
    if define:
        try:
            return ("define", line, Macro.parse(text))
        except ValueError:         # not a definition we can read: as if it were absent
            return ("skip",)
    return ("undef", line, text.strip())


def _scope(events: list, file: str, line: int) -> dict[str, Macro]:
    """Apply the entries that come before `file`:`line`: everything before that file
    is entered, then its own entries (and whole headers it includes) up to the
    line. A file included several times counts from its first inclusion."""
    target = next((i for i, e in enumerate(events)
                   if e[0] == "start" and _same_path(e[2], file)), None)
    if target is None:
        target = next((i for i, e in enumerate(events)
                       if e[0] == "start" and _same_name(e[2], file)), None)
    table: dict[str, Macro] = {}
    if target is None:              # as gdb: a file not in the tree sees no macro
        return table
    depth = 0                       # depth below the target file, once inside it
    for i, e in enumerate(events):
        kind = e[0]
        if i > target and depth == 0:           # an entry of the target file itself
            if kind == "end":
                break
            if e[1] > line:
                break
        if i >= target:
            if kind == "start":
                depth += i > target
            elif kind == "end":
                depth -= 1
        if kind == "define":
            table[e[2].name] = e[2]
        elif kind == "undef":
            table.pop(e[2], None)
    return table


def _same_path(a: str, b: str) -> bool:
    return bool(a) and os.path.normpath(a) == os.path.normpath(b)


def _same_name(a: str, b: str) -> bool:
    return bool(a) and os.path.basename(a) == os.path.basename(b)


def _same_file(a: str, b: str) -> bool:
    return _same_path(a, b) or (not os.path.isabs(a) and _same_name(a, b))


class _Unit:
    """What the macro reader needs of a compile unit's DIE."""

    def __init__(self, cu, offset: int, macinfo: bool):
        top = cu.get_top_DIE()
        self.cu = cu
        self.offset = cu.cu_offset
        self.macro_offset = offset
        self.macinfo = macinfo
        self.comp_dir = _text(top.attributes.get("DW_AT_comp_dir"))
        self.name = os.path.join(self.comp_dir, _text(top.attributes.get("DW_AT_name")))
        base = top.attributes.get("DW_AT_str_offsets_base")
        self.str_offsets_base = base.value if base is not None else 8

    @classmethod
    def of(cls, cu) -> _Unit | None:
        attrs = cu.get_top_DIE().attributes
        for name, macinfo in (("DW_AT_macros", False), ("DW_AT_GNU_macros", False),
                              ("DW_AT_macro_info", True)):
            if name in attrs:
                return cls(cu, attrs[name].value, macinfo)
        return None

    def file_names(self, dwarf):
        """index -> the path of that entry of the unit's line table."""
        program = dwarf.line_program_for_CU(self.cu)
        if program is None:
            return lambda index: ""
        header = program.header
        version = header.version
        dirs = [_text(d) for d in header.include_directory]
        entries = header.file_entry

        def name(index: int) -> str:
            i = index if version >= 5 else index - 1
            if not 0 <= i < len(entries):
                return ""
            entry = entries[i]
            path = _text(entry.name)
            d = entry.dir_index if version >= 5 else entry.dir_index - 1
            directory = dirs[d] if 0 <= d < len(dirs) else ""
            if version < 5 and entry.dir_index == 0:
                directory = self.comp_dir
            return os.path.join(self.comp_dir, directory, path)
        return name


def _text(attr_or_bytes) -> str:
    value = getattr(attr_or_bytes, "value", attr_or_bytes)
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class _Bytes:
    """A cursor over section bytes."""

    def __init__(self, data: bytes, pos: int, little: bool):
        self.data, self.pos = data, pos
        self.end = "<" if little else ">"

    def _unpack(self, fmt: str, size: int) -> int:
        (value,) = struct.unpack_from(self.end + fmt, self.data, self.pos)
        self.pos += size
        return value

    def u8(self) -> int:
        return self._unpack("B", 1)

    def u16(self) -> int:
        return self._unpack("H", 2)

    def offset(self, size: int) -> int:
        return self._unpack("Q" if size == 8 else "I", size)

    def uleb(self) -> int:
        result = shift = 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return result

    def cstring(self) -> str:
        end = self.data.index(b"\0", self.pos)
        text = self.data[self.pos:end].decode("utf-8", "replace")
        self.pos = end + 1
        return text

    def skip_form(self, form: int, offset_size: int) -> None:
        if form in _FIXED_FORMS:
            self.pos += _FIXED_FORMS[form]
        elif form in _OFFSET_FORMS:
            self.pos += offset_size
        elif form == FORM_STRING:
            self.cstring()
        elif form in (FORM_UDATA, FORM_SDATA, FORM_STRX):
            self.uleb()
        elif form == FORM_BLOCK:
            self.pos += self.uleb()
        elif form == FORM_BLOCK1:
            self.pos += self.u8()
        else:
            raise DwarfMacroError(f"unknown form {form:#x} in a macro opcode")
