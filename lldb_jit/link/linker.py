"""The generic linker: ELF object -> link graph -> GOT/stub pass -> layout -> fixups.

The passes follow LLVM JITLink: build blocks, symbols and edges from the object (the
architecture checks each relocation's instruction on the way, as JITLink's ELF graph
builders do); run the table managers (GOT, then jump stubs) over every edge; ask the
caller for memory and assign addresses; bypass stubs whose real target turned out to be in
range; apply every fixup with the architecture's range-checked `apply_fixup`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lldb_jit.errors import LinkError
from lldb_jit.targets import for_elf_machine
from lldb_jit.link.edges import Arch, Block, Edge, EdgeKind, LinkSymbol
from lldb_jit.link.elf import (
    SHF_EXECINSTR, SHF_TLS, SHF_WRITE, SHN_ABS, SHN_COMMON, SHN_LORESERVE, SHN_UNDEF,
    SHT_NOBITS, SHT_REL, SHT_RELA, SHT_X86_64_UNWIND, STB_GLOBAL, STB_WEAK, STT_COMMON,
    STT_FUNC, STT_NOTYPE, STT_OBJECT, STT_SECTION, ElfObject, Section, read_elf,
)

GOT_SYMBOL = "_GLOBAL_OFFSET_TABLE_"
GOT_SECTION = "$__GOT"
STUBS_SECTION = "$__STUBS"
COMMON_SECTION = "$__COMMON"
PERMS = ("rx", "rw")  # allocation order
_UNWIND_SECTIONS = (".eh_frame", ".eh_frame_hdr", ".gcc_except_table")
_MAX_ADDRESS = 1 << 64
MAX_ALIGN = 1 << 16  # larger alignments in an expression's object mean a corrupt file
MAX_ZERO_FILL = 1 << 28  # .bss and COMMON together; more means a corrupt file


@dataclass
class Segment:
    address: int
    data: bytes  # final bytes to copy into the debuggee (zeros for .bss)
    perm: str  # "rx" (code, stubs, read-only data, GOT) or "rw" (writable data, .bss)


@dataclass
class LinkedImage:
    segments: list[Segment]
    symbols: dict[str, int]  # defined (global and local function/object) symbols -> address
    description: str = ""    # what was placed where, resolved, patched (`--dump object`)


Resolver = Callable[[str], "int | None"]
Allocator = Callable[[int, int, str], int]


def _align_up(value: int, align: int) -> int:
    return (value + align - 1) // align * align


def _check_align(align: int, what: str) -> int:
    """A power-of-two alignment (0 means 1), or LinkError."""
    align = max(1, align)
    if align & (align - 1) or align > MAX_ALIGN:
        raise LinkError(f"{what} has a bad alignment {align:#x}")
    return align


def _section_perm(sec: Section) -> str | None:
    """Which allocation a section goes into, or None if it is not loaded."""
    if not sec.is_alloc or sec.type == SHT_X86_64_UNWIND or sec.name in _UNWIND_SECTIONS:
        return None
    if sec.name.startswith(".note"):
        return None
    if sec.flags & SHF_TLS:
        raise LinkError(f"thread-local section '{sec.name}' is not supported")
    if sec.flags & SHF_EXECINSTR or not sec.flags & SHF_WRITE:
        return "rx"
    # Relocated here before it is copied, and read-only from then on.
    if sec.name.startswith(".data.rel.ro"):
        return "rx"
    return "rw"


class GOTTableManager:
    """One GOT entry per target symbol, each filled by a pointer edge."""

    def __init__(self, arch: Arch):
        self.arch = arch
        self.block = Block(GOT_SECTION, "rx", arch.got_entry_size, bytearray())
        self._entries: dict[LinkSymbol, LinkSymbol] = {}

    def get_entry(self, target: LinkSymbol) -> LinkSymbol:
        entry = self._entries.get(target)
        if entry is None:
            offset = len(self.block.data)
            self.block.data += bytes(self.arch.got_entry_size)
            self.block.edges.append(
                Edge(self.arch.got_entry_kind, offset, target, 0, "GOT entry"))
            entry = self._entries[target] = LinkSymbol(f"{target.name}@GOT", self.block, offset)
        return entry

    def visit_edge(self, block: Block, edge: Edge) -> bool:
        kind = self.arch.got_requests.get(edge.kind)
        if kind is None:
            return False
        edge.kind = kind
        edge.target = self.get_entry(edge.target)
        return True


class StubTableManager:
    """One jump stub (an indirect jump through a GOT entry) per branch target that may be
    out of a branch's range: anything not defined in the branching block's allocation."""

    def __init__(self, arch: Arch, got: GOTTableManager):
        self.arch = arch
        self.got = got
        self.block = Block(STUBS_SECTION, "rx", 16, bytearray())
        self._entries: dict[LinkSymbol, LinkSymbol] = {}
        self.real_target: dict[LinkSymbol, LinkSymbol] = {}  # stub -> what it jumps to

    def get_entry(self, target: LinkSymbol) -> LinkSymbol:
        stub = self._entries.get(target)
        if stub is None:
            offset = len(self.block.data)
            self.block.data += self.arch.stub_content
            got_entry = self.got.get_entry(target)
            for kind, at, addend in self.arch.stub_edges:
                self.block.edges.append(Edge(kind, offset + at, got_entry, addend, "stub"))
            stub = self._entries[target] = LinkSymbol(f"{target.name}@STUB", self.block, offset)
            self.real_target[stub] = target
        return stub

    def visit_edge(self, block: Block, edge: Edge) -> bool:
        kind = self.arch.stub_branches.get(edge.kind)
        target = edge.target
        if kind is None or edge.addend != 0:
            return False
        if target.block is not None and target.block.perm == block.perm:
            return False  # same allocation: always in range
        edge.kind = kind
        edge.target = self.get_entry(target)
        return True

    def bypass(self, block: Block, edge: Edge, plain: EdgeKind) -> None:
        """After layout: branch straight to the real target if it is in range."""
        real = self.real_target[edge.target]
        edge.kind = plain
        if self.arch.branch_reaches(plain, block.address + edge.offset,
                                   real.address + edge.addend):
            edge.target = real


class _Linker:
    def __init__(self, elf: ElfObject, resolve: Resolver):
        target = for_elf_machine(elf.machine)
        arch = target.link if target is not None else None
        if arch is None:
            raise LinkError(f"unsupported architecture (ELF e_machine {elf.machine})")
        if not elf.is64 or not elf.little_endian:
            raise LinkError(f"{arch.name} objects must be 64-bit little-endian ELF")
        self.elf = elf
        self.arch = arch
        self.resolve = resolve
        self.got = GOTTableManager(arch)
        self.stubs = StubTableManager(arch, self.got)
        self.common = Block(COMMON_SECTION, "rw", 1, bytearray())
        self.blocks: dict[int, Block] = {}  # section index -> block
        self.symbols: list[LinkSymbol | None] = []  # by symbol index; None until needed
        self.externals: dict[str, LinkSymbol] = {}
        self.zero_filled = 0

    # -- graph building --------------------------------------------------------

    def zero_fill(self, size: int, what: str) -> bytes:
        self.zero_filled += size
        if self.zero_filled > MAX_ZERO_FILL:
            raise LinkError(f"{what}: {size:#x} bytes of zero-initialized data is too much")
        return bytes(size)

    def build_blocks(self) -> None:
        for sec in self.elf.sections:
            perm = _section_perm(sec)
            if perm is None:
                continue
            what = f"section '{sec.name}'"
            align = _check_align(sec.addralign, what)
            data = bytearray(self.zero_fill(sec.size, what) if sec.type == SHT_NOBITS
                             else sec.data)
            self.blocks[sec.index] = Block(sec.name, perm, align, data)

    def build_symbols(self) -> None:
        """Defined symbols now (COMMON ones need space before layout); undefined ones
        are resolved when a relocation first uses them."""
        for sym in self.elf.symbols:
            link_sym = None
            if sym.type == STT_SECTION:
                block = self.blocks.get(sym.shndx)
                if block is not None:
                    link_sym = LinkSymbol(block.name, block, 0)
            elif sym.shndx == SHN_ABS:
                link_sym = LinkSymbol(sym.name, None, sym.value)
            elif sym.shndx == SHN_COMMON:
                what = f"COMMON symbol '{sym.name}'"
                align = _check_align(sym.value, what)
                offset = _align_up(len(self.common.data), align)
                self.common.data += self.zero_fill(offset + sym.size - len(self.common.data),
                                                   what)
                self.common.align = max(self.common.align, align)
                link_sym = LinkSymbol(sym.name, self.common, offset)
            elif sym.shndx != SHN_UNDEF and sym.shndx < SHN_LORESERVE:
                block = self.blocks.get(sym.shndx)
                if block is not None:
                    link_sym = LinkSymbol(sym.name, block, sym.value)
            self.symbols.append(link_sym)

    def symbol(self, index: int, where: str) -> LinkSymbol:
        """The target of a relocation against symbol `index`, in section `where`."""
        link_sym = self.symbols[index]
        if link_sym is not None:
            return link_sym
        sym = self.elf.symbols[index]
        if index == 0:  # no symbol: S = 0, the addend is the whole value
            link_sym = self.symbols[0] = LinkSymbol("<none>", None, 0)
            return link_sym
        if sym.shndx != SHN_UNDEF:
            name = sym.name or self.elf.section(sym.shndx).name
            raise LinkError(f"relocation in section '{where}' against '{name}', which is in a "
                            f"section that is not loaded")
        if sym.name == GOT_SYMBOL:
            link_sym = LinkSymbol(GOT_SYMBOL, self.got.block, 0)
        else:
            link_sym = self.external(sym.name, sym.bind == STB_WEAK)
        self.symbols[index] = link_sym
        return link_sym

    def external(self, name: str, weak: bool) -> LinkSymbol:
        link_sym = self.externals.get(name)
        if link_sym is None:
            if not name:
                raise LinkError("relocation against an undefined symbol with no name")
            address = self.resolve(name)
            if address is None:
                if not weak:
                    raise LinkError(f"undefined symbol '{name}'")
                address = 0  # an unresolved weak reference is null
            if not isinstance(address, int) or not 0 <= address < _MAX_ADDRESS:
                raise LinkError(f"symbol '{name}' resolved to a bad address {address!r}")
            link_sym = self.externals[name] = LinkSymbol(name, None, address)
        return link_sym

    def build_edges(self) -> None:
        arch = self.arch
        for rel_sec in self.elf.sections:
            if rel_sec.type not in (SHT_RELA, SHT_REL):
                continue
            block = self.blocks.get(rel_sec.info)
            if block is None:
                continue  # relocations of .eh_frame, debug info, ...
            if rel_sec.type == SHT_REL:
                raise LinkError(f"{arch.name}: SHT_REL section '{rel_sec.name}' is not "
                                f"supported (expected SHT_RELA)")
            for rela in self.elf.relocations(rel_sec):
                entry = arch.relocations.get(rela.type)
                if entry is None:
                    name = arch.reloc_names.get(rela.type, f"type {rela.type}")
                    sym = self.elf.symbols[rela.sym]
                    raise LinkError(
                        f"unsupported {arch.name} relocation {name} against symbol "
                        f"'{sym.name}' in section '{block.name}' at offset {rela.offset:#x}")
                kind, adjust = entry
                if kind is None:
                    continue
                if rela.offset >= len(block.data):
                    raise LinkError(f"relocation at offset {rela.offset:#x} is outside "
                                    f"section '{block.name}'")
                problem = arch.check_relocation and arch.check_relocation(
                    rela.type, block.data, rela.offset, rela.addend)
                if problem:
                    sym = self.elf.symbols[rela.sym]
                    name = sym.name or (self.elf.section(sym.shndx).name
                                        if 0 < sym.shndx < SHN_LORESERVE else "")
                    raise LinkError(
                        f"{arch.reloc_names[rela.type]} against symbol '{name}' in section "
                        f"'{block.name}' at offset {rela.offset:#x}: {problem}")
                target = self.symbol(rela.sym, block.name)
                block.edges.append(Edge(kind, rela.offset, target, rela.addend + adjust,
                                        arch.reloc_names[rela.type]))

    def build_tables(self) -> None:
        """The GOT and stub table managers, run over every edge of the object."""
        for block in self.blocks.values():
            for edge in block.edges:
                self.got.visit_edge(block, edge) or self.stubs.visit_edge(block, edge)

    # -- layout and fixups -----------------------------------------------------

    def ordered_blocks(self, perm: str) -> list[Block]:
        """Code, then read-only data, GOT and stubs; or data, then .bss, then COMMON."""
        secs = self.elf.sections
        mine = [(i, b) for i, b in self.blocks.items() if b.perm == perm]
        if perm == "rx":
            mine.sort(key=lambda ib: (not secs[ib[0]].flags & SHF_EXECINSTR, ib[0]))
            return [b for _, b in mine] + [self.got.block, self.stubs.block]
        mine.sort(key=lambda ib: (secs[ib[0]].type == SHT_NOBITS, ib[0]))
        return [b for _, b in mine] + [self.common]

    def layout(self, allocate: Allocator) -> list[tuple[str, int, list[tuple[int, Block]]]]:
        placed = []
        for perm in PERMS:
            size, align, offsets = 0, 1, []
            for block in self.ordered_blocks(perm):
                size = _align_up(size, block.align)
                offsets.append((size, block))
                size += len(block.data)
                align = max(align, block.align)
            if size == 0:
                continue
            base = allocate(size, align, perm)
            if not isinstance(base, int) or base <= 0 or base + size > _MAX_ADDRESS:
                raise LinkError(f"allocation of {size:#x} {perm} bytes returned a bad "
                                f"address {base!r}")
            if base % align:
                raise LinkError(f"allocation of {size:#x} {perm} bytes at {base:#x} is not "
                                f"aligned to {align}")
            for offset, block in offsets:
                block.address = base + offset
            placed.append((perm, base, offsets))
        return placed

    def all_blocks(self) -> list[Block]:
        return [*self.blocks.values(), self.got.block, self.stubs.block, self.common]

    def optimize_stubs(self) -> None:
        plain_kind = {v: k for k, v in self.arch.stub_branches.items()}
        for block in self.blocks.values():
            for edge in block.edges:
                plain = plain_kind.get(edge.kind)
                if plain is not None:
                    self.stubs.bypass(block, edge, plain)

    def apply_fixups(self) -> None:
        got_base = self.got.block.address
        apply = self.arch.apply_fixup
        for block in self.all_blocks():
            for edge in block.edges:
                apply(block, edge, got_base)

    def describe(self) -> str:
        """Sections (with their debuggee address and permissions), the symbols resolved
        against the debuggee, and every relocation as applied."""
        blocks = [b for b in self.all_blocks() if len(b.data)]
        out = ["sections:"]
        out += [f"  {b.name:<20} {b.address:#018x} {b.perm}  {len(b.data)} bytes"
                for b in blocks]
        out.append("symbols resolved in the debuggee:")
        out += [f"  {name:<28} {sym.address:#018x}"
                for name, sym in sorted(self.externals.items())]
        out.append("relocations applied:")
        for b in blocks:
            for e in b.edges:
                out.append(f"  {b.name}+{e.offset:#x} ({b.address + e.offset:#x}) "
                           f"{e.origin}: {e.target.name or '(section)'} "
                           f"{e.target.address:#x}{e.addend:+#x}")
        return "\n".join(out)

    def exported_symbols(self) -> dict[str, int]:
        """Named function/object symbols, globals winning over locals of the same name."""
        out: dict[str, int] = {}
        for sym, link_sym in zip(self.elf.symbols, self.symbols):
            if link_sym is None or not sym.name or sym.shndx == SHN_UNDEF:
                continue
            if sym.type in (STT_FUNC, STT_OBJECT, STT_COMMON) or (
                    sym.type == STT_NOTYPE and sym.bind in (STB_GLOBAL, STB_WEAK)):
                if sym.bind != STB_GLOBAL and sym.name in out:
                    continue
                out[sym.name] = link_sym.address
        return out


def link_object(obj: bytes, resolve: Resolver, allocate: Allocator) -> LinkedImage:
    """See lldb_jit.link.link."""
    linker = _Linker(read_elf(obj), resolve)
    linker.build_blocks()
    linker.build_symbols()
    linker.build_edges()
    linker.build_tables()
    placed = linker.layout(allocate)
    linker.optimize_stubs()
    linker.apply_fixups()
    segments = []
    for perm, base, offsets in placed:
        end = max(off + len(b.data) for off, b in offsets)
        data = bytearray(end)
        for offset, block in offsets:
            data[offset:offset + len(block.data)] = block.data
        segments.append(Segment(base, bytes(data), perm))
    return LinkedImage(segments, linker.exported_symbols(), linker.describe())
