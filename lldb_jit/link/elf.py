"""A small reader for relocatable ELF objects: just what the linker needs.

Struct layouts are chosen by ELF class (32/64-bit) and data encoding (little/big
endian), as pyelftools does, and wrapped in thin `Section`, `Symbol` and `Rela`
records. Every offset and size read from the file is bounds-checked: a malformed
object is an `ElfParseError`, never an IndexError or a struct.error.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from lldb_jit.errors import ElfParseError

# e_ident
ELFMAG = b"\x7fELF"
ELFCLASS32, ELFCLASS64 = 1, 2
ELFDATA2LSB, ELFDATA2MSB = 1, 2

# e_type
ET_REL = 1

# e_machine
EM_X86_64 = 62
EM_AARCH64 = 183

# sh_type
SHT_NULL = 0
SHT_PROGBITS = 1
SHT_SYMTAB = 2
SHT_STRTAB = 3
SHT_RELA = 4
SHT_NOBITS = 8
SHT_REL = 9
SHT_SYMTAB_SHNDX = 18
SHT_X86_64_UNWIND = 0x70000001

# sh_flags
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
SHF_TLS = 0x400

# special section indices
SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00
SHN_ABS = 0xFFF1
SHN_COMMON = 0xFFF2
SHN_XINDEX = 0xFFFF

# symbol binding and type
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE = 0, 1, 2, 3, 4
STT_COMMON, STT_TLS = 5, 6


@dataclass(slots=True)
class Section:
    index: int
    name: str
    type: int
    flags: int
    offset: int
    size: int
    link: int
    info: int
    addralign: int
    entsize: int
    data: bytes  # the section's contents; b"" for SHT_NOBITS

    @property
    def is_alloc(self) -> bool:
        return bool(self.flags & SHF_ALLOC)


@dataclass(slots=True)
class Symbol:
    index: int
    name: str
    value: int
    size: int
    bind: int
    type: int
    shndx: int  # section index, or SHN_UNDEF / SHN_ABS / SHN_COMMON


@dataclass(slots=True)
class Rela:
    offset: int  # r_offset: where in the target section to patch
    sym: int  # symbol table index
    type: int  # machine-specific relocation type
    addend: int


@dataclass(slots=True)
class _Layout:
    """Struct formats of one ELF class and byte order."""

    ehdr: struct.Struct  # e_type .. e_shstrndx (after the 16-byte e_ident)
    shdr: struct.Struct
    sym: struct.Struct
    rela: struct.Struct
    rel: struct.Struct
    is64: bool


def _layout(elfclass: int, endian: str) -> _Layout:
    if elfclass == ELFCLASS64:
        return _Layout(
            ehdr=struct.Struct(endian + "HHIQQQIHHHHHH"),
            shdr=struct.Struct(endian + "IIQQQQIIQQ"),
            sym=struct.Struct(endian + "IBBHQQ"),  # name info other shndx value size
            rela=struct.Struct(endian + "QQq"),
            rel=struct.Struct(endian + "QQ"),
            is64=True,
        )
    return _Layout(
        ehdr=struct.Struct(endian + "HHIIIIIHHHHHH"),
        shdr=struct.Struct(endian + "IIIIIIIIII"),
        sym=struct.Struct(endian + "IIIBBH"),  # name value size info other shndx
        rela=struct.Struct(endian + "IIi"),
        rel=struct.Struct(endian + "II"),
        is64=False,
    )


class ElfObject:
    """A parsed relocatable object: header fields, sections, symbols, relocations."""

    def __init__(self, data: bytes):
        self._data = data = bytes(data)
        if len(data) < 16 or data[:4] != ELFMAG:
            raise ElfParseError("not an ELF object (bad magic)")
        elfclass, encoding = data[4], data[5]
        if elfclass not in (ELFCLASS32, ELFCLASS64):
            raise ElfParseError(f"bad ELF class {elfclass}")
        if encoding not in (ELFDATA2LSB, ELFDATA2MSB):
            raise ElfParseError(f"bad ELF data encoding {encoding}")
        self.is64 = elfclass == ELFCLASS64
        self.little_endian = encoding == ELFDATA2LSB
        self._lay = _layout(elfclass, "<" if self.little_endian else ">")
        hdr = self._unpack(self._lay.ehdr, 16, "ELF header")
        (self.e_type, self.machine, _version, _entry, _phoff, shoff, _flags,
         _ehsize, _phentsize, _phnum, shentsize, shnum, shstrndx) = hdr
        if self.e_type != ET_REL:
            raise ElfParseError(f"not a relocatable object (e_type {self.e_type})")
        if shentsize != self._lay.shdr.size:
            raise ElfParseError(f"bad section header size {shentsize}")
        self.sections: list[Section] = self._read_sections(shoff, shnum, shstrndx)
        self.symbols: list[Symbol] = self._read_symbols()

    # -- helpers -----------------------------------------------------------

    def _unpack(self, st: struct.Struct, offset: int, what: str) -> tuple:
        if offset < 0 or offset + st.size > len(self._data):
            raise ElfParseError(f"{what} at offset {offset:#x} is past the end of the file")
        return st.unpack_from(self._data, offset)

    def _slice(self, offset: int, size: int, what: str) -> bytes:
        if offset < 0 or size < 0 or offset + size > len(self._data):
            raise ElfParseError(
                f"{what} (offset {offset:#x}, size {size:#x}) is past the end of the file")
        return self._data[offset:offset + size]

    @staticmethod
    def _cstr(table: bytes, offset: int, what: str) -> str:
        if offset >= len(table):
            if offset == 0:
                return ""
            raise ElfParseError(f"{what}: string offset {offset:#x} out of its string table")
        end = table.find(b"\0", offset)
        if end < 0:
            raise ElfParseError(f"{what}: unterminated string at {offset:#x}")
        return table[offset:end].decode("utf-8", "replace")

    # -- sections ----------------------------------------------------------

    def _read_sections(self, shoff: int, shnum: int, shstrndx: int) -> list[Section]:
        if shoff == 0:
            return []
        st = self._lay.shdr
        raw = [self._unpack(st, shoff + i * st.size, f"section header {i}") for i in range(shnum)]
        if not shnum:
            return []
        if shstrndx >= shnum:
            raise ElfParseError(f"section name table index {shstrndx} out of range")
        names_hdr = raw[shstrndx]
        names = self._slice(names_hdr[4], names_hdr[5], "section name table")
        sections = []
        for i, (name, typ, flags, _addr, off, size, link, info, align, entsize) in enumerate(raw):
            data = b"" if typ in (SHT_NOBITS, SHT_NULL) else self._slice(off, size, f"section {i}")
            sections.append(Section(i, self._cstr(names, name, f"section {i} name"), typ, flags,
                                    off, size, link, info, align, entsize, data))
        return sections

    def section(self, index: int, what: str = "section") -> Section:
        if not 0 <= index < len(self.sections):
            raise ElfParseError(f"{what} index {index} out of range")
        return self.sections[index]

    # -- symbols -----------------------------------------------------------

    def _read_symbols(self) -> list[Symbol]:
        symtab = next((s for s in self.sections if s.type == SHT_SYMTAB), None)
        if symtab is None:
            return []
        strtab = self.section(symtab.link, "symbol string table").data
        st = self._lay.sym
        if len(symtab.data) % st.size:
            raise ElfParseError(f"symbol table size {len(symtab.data):#x} is not a multiple "
                                f"of {st.size}")
        symbols = []
        cstr = self._cstr
        for i, fields in enumerate(st.iter_unpack(symtab.data)):
            if self._lay.is64:
                name, info, _other, shndx, value, size = fields
            else:
                name, value, size, info, _other, shndx = fields
            symbols.append(Symbol(i, cstr(strtab, name, f"symbol {i} name"), value, size,
                                  info >> 4, info & 0xF, shndx))
        if any(s.shndx == SHN_XINDEX for s in symbols):
            raise ElfParseError("extended section indices (SHN_XINDEX) are not supported")
        return symbols

    # -- relocations -------------------------------------------------------

    def relocations(self, rel_section: Section) -> list[Rela]:
        """The entries of one SHT_RELA (or SHT_REL, addend 0 -- the caller reads the
        implicit addend from the patched bytes) section."""
        if rel_section.type == SHT_RELA:
            st = self._lay.rela
        elif rel_section.type == SHT_REL:
            st = self._lay.rel
        else:
            raise ElfParseError(f"section '{rel_section.name}' is not a relocation section")
        if len(rel_section.data) % st.size:
            raise ElfParseError(f"relocation section '{rel_section.name}' has a partial entry")
        if self._lay.is64:
            shift, mask = 32, 0xFFFFFFFF
        else:
            shift, mask = 8, 0xFF
        out = []
        nsyms = len(self.symbols)
        for fields in st.iter_unpack(rel_section.data):
            info = fields[1]
            sym = info >> shift
            if sym >= nsyms:
                raise ElfParseError(
                    f"relocation in '{rel_section.name}' names symbol {sym}, but there are "
                    f"only {nsyms}")
            out.append(Rela(fields[0], sym, info & mask, fields[2] if len(fields) > 2 else 0))
        return out


def read_elf(data: bytes) -> ElfObject:
    """Parse a relocatable ELF object; ElfParseError if it is malformed."""
    return ElfObject(data)
