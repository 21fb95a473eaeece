"""Helpers shared by the linker tests (no tests here): compile LLVM IR to relocatable
objects with llvmlite, fake allocators, and editors for handcrafted relocation cases."""

from __future__ import annotations

import functools
import struct

import llvmlite.binding as llvm

from lldb_jit.link import link
from lldb_jit.link.elf import read_elf

X86_64 = "x86_64-unknown-linux-gnu"
AARCH64 = "aarch64-unknown-linux-gnu"

RX_BASE = 0x7F0000000000
RW_BASE = 0x7F0000100000
FAR = 0x555555554000  # ~40 TiB below the code: out of every PC-relative range

# Calls to external functions, a load of an external global, a string constant, local
# data, a COMMON symbol and a function-pointer table in .data.
PROGRAM = r"""
declare i32 @abs(i32)
declare i32 @puts(ptr)
@ext_g = external global i32
@.str = private unnamed_addr constant [6 x i8] c"hello\00"
@table = global [3 x ptr] [ptr @abs, ptr @helper, ptr @puts]
@counter = internal global i32 0
@cm = common global i64 0, align 8

define internal i32 @helper(i32 %x) noinline {
  %r = add i32 %x, 1
  ret i32 %r
}

define i32 @entry(i32 %x) {
  %a = call i32 @abs(i32 %x)
  %g = load i32, ptr @ext_g
  %s = add i32 %a, %g
  %h = call i32 @helper(i32 %s)
  %c = load i32, ptr @counter
  %t = add i32 %h, %c
  %p = getelementptr [6 x i8], ptr @.str, i64 0, i64 1
  %ch = load i8, ptr %p
  %chi = zext i8 %ch to i32
  %u = add i32 %t, %chi
  %q = call i32 @puts(ptr @.str)
  %v = add i32 %u, %q
  ret i32 %v
}
"""


@functools.cache
def _init_llvm() -> None:
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()


@functools.cache
def compile_ir(ir: str, triple: str = X86_64, codemodel: str = "small",
               reloc: str = "pic") -> bytes:
    """A relocatable ELF object for `ir`, as the compile step produces it."""
    _init_llvm()
    module = llvm.parse_assembly(ir)
    module.triple = triple
    target = llvm.Target.from_triple(triple)
    tm = target.create_target_machine(reloc=reloc, codemodel=codemodel, opt=2)
    return tm.emit_object(module)


class FakeMemory:
    """An `allocate` callback handing out fixed addresses, recording every call."""

    def __init__(self, rx: int = RX_BASE, rw: int = RW_BASE):
        self.bases = {"rx": rx, "rw": rw}
        self.calls: list[tuple[int, int, str]] = []

    def __call__(self, size: int, align: int, perm: str) -> int:
        self.calls.append((size, align, perm))
        return self.bases[perm]


class Resolver:
    """A `resolve` callback over a dict, recording which names were asked for."""

    def __init__(self, table: dict[str, int]):
        self.table = table
        self.asked: list[str] = []

    def __call__(self, name: str) -> int | None:
        self.asked.append(name)
        return self.table.get(name)


def link_with(obj: bytes, externals: dict[str, int], mem: FakeMemory | None = None):
    """link() with externals from a dict and fake memory."""
    return link(obj, Resolver(externals), mem or FakeMemory())


def segment_bytes(image, address: int, size: int) -> bytes:
    """`size` bytes of the linked image at `address`."""
    for seg in image.segments:
        if seg.address <= address and address + size <= seg.address + len(seg.data):
            return seg.data[address - seg.address:address - seg.address + size]
    raise AssertionError(f"{address:#x} is not inside any segment")


def read_u64(image, address: int) -> int:
    return struct.unpack("<Q", segment_bytes(image, address, 8))[0]


def read_i32(image, address: int) -> int:
    return struct.unpack("<i", segment_bytes(image, address, 4))[0]


def read_u32(image, address: int) -> int:
    return struct.unpack("<I", segment_bytes(image, address, 4))[0]


def relocations(obj: bytes, section: str):
    """(file offset of each entry, Rela) of the relocation section named `section`."""
    elf = read_elf(obj)
    sec = next(s for s in elf.sections if s.name == section)
    return [(sec.offset + 24 * i, r) for i, r in enumerate(elf.relocations(sec))]


def with_reloc(obj: bytes, section: str, index: int, rtype: int | None = None,
               addend: int | None = None) -> bytes:
    """`obj` with relocation `index` of `section` given another type and/or addend."""
    offset, rela = relocations(obj, section)[index]
    info = (rela.sym << 32) | (rela.type if rtype is None else rtype)
    out = bytearray(obj)
    struct.pack_into("<QQq", out, offset, rela.offset, info,
                     rela.addend if addend is None else addend)
    return bytes(out)


def with_symbol(obj: bytes, name: str, shndx: int, value: int, bind: int | None = None) -> bytes:
    """`obj` with symbol `name` moved to section index `shndx` at `value`."""
    elf = read_elf(obj)
    symtab = next(s for s in elf.sections if s.type == 2)  # SHT_SYMTAB
    sym = next(s for s in elf.symbols if s.name == name)
    out = bytearray(obj)
    offset = symtab.offset + 24 * sym.index
    name_off, info, other, _shndx, _value, size = struct.unpack_from("<IBBHQQ", out, offset)
    if bind is not None:
        info = (bind << 4) | (info & 0xF)
    struct.pack_into("<IBBHQQ", out, offset, name_off, info, other, shndx, value, size)
    return bytes(out)


def section_address(image, obj: bytes, section: str) -> int:
    """Where the linker put `section`, found through a named symbol defined in it."""
    elf = read_elf(obj)
    for sym in elf.symbols:
        if (sym.name in image.symbols and sym.shndx < len(elf.sections)
                and elf.sections[sym.shndx].name == section):
            return image.symbols[sym.name] - sym.value
    raise AssertionError(f"no exported symbol in {section}")


def relocation_offsets(obj: bytes, section: str, names: dict[int, str]) -> dict[str, list[int]]:
    """Fixup offsets in the patched section, keyed "<relocation type name> <symbol>"."""
    elf = read_elf(obj)
    out: dict[str, list[int]] = {}
    for _, r in relocations(obj, section):
        sym = elf.symbols[r.sym]
        name = sym.name or elf.sections[sym.shndx].name
        out.setdefault(f"{names[r.type]} {name}", []).append(r.offset)
    return out
