"""The link graph: blocks of bytes, symbols, and edges (fixups) between them.

Modelled on LLVM JITLink: every relocation becomes an `Edge` whose `EdgeKind` says what
it means, independent of the ELF relocation type it came from. Each kind's docstring
gives its formula and what makes it fail, with

    Fixup  = address of the patched bytes        Target = address of the target symbol
    Addend = the edge's addend                   GOTBase = address of the GOT
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from typing import Callable

from lldb_jit.errors import LinkError


class EdgeKind(enum.Enum):
    """Architecture-independent meaning of a fixup; a member's docstring is its formula."""

    def __new__(cls, doc: str):
        member = object.__new__(cls)
        member._value_ = len(cls.__members__) + 1
        member.__doc__ = doc
        return member

    # -- plain pointers ----------------------------------------------------
    Pointer64 = """Fixup <- Target + Addend : uint64.
        Fails if Target + Addend is negative or >= 2^64."""
    Pointer32 = """Fixup <- Target + Addend : uint32.
        Fails if Target + Addend does not fit in 32 unsigned bits (e.g. any address >= 4 GiB)."""
    Pointer32Signed = """Fixup <- Target + Addend : int32 (sign-extended when used).
        Fails unless -2^31 <= Target + Addend < 2^31."""
    Pointer16 = """Fixup <- Target + Addend : uint16.
        Fails if Target + Addend does not fit in 16 unsigned bits (any address >= 64 KiB)."""

    # -- PC-relative deltas --------------------------------------------------
    Delta64 = """Fixup <- Target - Fixup + Addend : int64.
        Fails only if the delta does not fit in 64 signed bits."""
    Delta32 = """Fixup <- Target - Fixup + Addend : int32.
        Fails unless -2^31 <= delta < 2^31 (target more than 2 GiB away)."""
    Delta16 = """Fixup <- Target - Fixup + Addend : int16.
        Fails unless -2^15 <= delta < 2^15 (target more than 32 KiB away)."""
    Delta64FromGOT = """Fixup <- Target - GOTBase + Addend : int64.
        Fails only if the delta does not fit in 64 signed bits."""

    # -- x86-64 branches -----------------------------------------------------
    BranchPCRel32 = """Fixup <- Target - (Fixup + 4) + Addend : int32.
        The rel32 of a call/jmp; fails unless the target is within +-2 GiB of the next
        instruction."""
    BranchPCRel32ToPtrJumpStubBypassable = """As BranchPCRel32, with Target a jump stub that the
        linker created. After layout, when the stub's real target is in range the edge is
        retargeted to it and the stub is bypassed; otherwise it stays on the stub."""

    # -- x86-64 GOT requests (rewritten by the GOT pass) ---------------------
    RequestGOTAndTransformToDelta32 = """Asks for a GOT entry holding Target, then becomes
        Delta32 to that entry: Fixup <- GOTEntry - Fixup + Addend : int32.
        Fails as Delta32 (the GOT lives in the code block, so only if the block is > 2 GiB)."""
    RequestGOTAndTransformToDelta64 = """Asks for a GOT entry, then becomes Delta64 to it:
        Fixup <- GOTEntry - Fixup + Addend : int64."""
    RequestGOTAndTransformToDelta64FromGOT = """Asks for a GOT entry, then becomes
        Delta64FromGOT to it: Fixup <- GOTEntry - GOTBase + Addend : int64."""

    # -- AArch64 -------------------------------------------------------------
    # Every AArch64 kind patches the immediate field of one 32-bit instruction and checks
    # the instruction's opcode first: a mismatch is an error, never a silent patch. Each
    # also fails if Target + Addend is not an address (< 0 or >= 2^64): nothing wraps.
    Branch26PCRel = """Fixup <- (Target - Fixup + Addend) >> 2 : int26, into the imm26 field of
        a B or BL instruction. Fails if the instruction is not B/BL, the delta is not a
        multiple of 4, or the target is not within +-128 MiB."""
    Branch26PCRelToPtrJumpStubBypassable = """As Branch26PCRel, with Target a jump stub that
        the linker created; bypassed after layout when the real target is in range."""
    CondBranch19PCRel = """Fixup <- (Target - Fixup + Addend) >> 2 : int19, into the imm19
        field of a B.cond, BC.cond, CBZ or CBNZ. Fails if the instruction is none of these,
        the delta is not a multiple of 4, or the target is not within +-1 MiB. No stub can
        extend a conditional branch (JITLink makes none either)."""
    TestAndBranch14PCRel = """Fixup <- (Target - Fixup + Addend) >> 2 : int14, into the imm14
        field of a TBZ or TBNZ. Fails if the instruction is neither, the delta is not a
        multiple of 4, or the target is not within +-32 KiB. No stub is possible."""
    LDRLiteral19 = """Fixup <- (Target - Fixup + Addend) >> 2 : int19, into the imm19 field
        of an LDR (literal) -- w, x, s, d or q register, LDRSW or PRFM. Fails on any other
        instruction, if the delta is not a multiple of 4, or if the target is not within
        +-1 MiB."""
    ADRLiteral21 = """Fixup <- Target - Fixup + Addend : int21, into the immhi:immlo fields of
        an ADR. Fails if the instruction is not ADR or the target is not within +-1 MiB."""
    Page21 = """Fixup <- (((Target + Addend) & ~0xfff) - (Fixup & ~0xfff)) >> 12 : int21, into
        the immhi:immlo fields of an ADRP. Fails if the instruction is not ADRP or the page
        delta does not fit in 21 signed bits (+-4 GiB)."""
    PageOffset12 = """Fixup <- ((Target + Addend) & 0xfff) >> Shift : uint12, into the imm12
        field of an ADD (immediate, Shift 0) or of an unsigned-offset LDR/STR whose access
        size is 2^Shift bytes (Shift 4 for a q register). Fails on any other instruction or
        if the offset is not a multiple of the access size."""
    MoveWide16 = """Fixup <- ((Target + Addend) >> Shift) & 0xffff : uint16, into the imm16
        field of a MOVZ or MOVK, Shift = 16 * hw (the instruction's LSL #0/16/32/48): one
        slice of an absolute address that a movz/movk sequence builds (the _NC relocations
        and G3). Fails if the instruction is not MOVZ/MOVK (or a 32-bit one with LSL
        #32/48) or Target + Addend is not a 64-bit address (negative or >= 2^64)."""
    MoveWide16Checked = """As MoveWide16, and the bits above the slice must be zero:
        Fixup <- (Target + Addend) >> Shift : uint16. Fails also unless
        Target + Addend < 2^(Shift + 16) (MOVW_UABS_G0/G1/G2 without _NC)."""
    GotPageOffset15 = """Fixup <- (Target + Addend - (GOTBase & ~0xfff)) >> 3 : uint12, into the
        imm12 field of a 64-bit LDR (unsigned offset); Target is a GOT entry, reached from
        an ADRP of _GLOBAL_OFFSET_TABLE_. Fails if the instruction is not LDR x, the offset is
        not a multiple of 8, or the entry is not within 32 KiB above the GOT's page."""
    RequestGOTAndTransformToPage21 = """Asks for a GOT entry holding Target, then becomes
        Page21 to that entry (the ADRP of an adrp/ldr GOT load)."""
    RequestGOTAndTransformToPageOffset12 = """Asks for a GOT entry holding Target, then
        becomes PageOffset12 to that entry (the LDR of an adrp/ldr GOT load)."""
    RequestGOTAndTransformToPageOffset15 = """Asks for a GOT entry holding Target, then
        becomes GotPageOffset15 to that entry (ldr x, [GOT page, #:gotpage_lo15:sym])."""
    RequestGOTAndTransformToLDRLiteral19 = """Asks for a GOT entry holding Target, then
        becomes LDRLiteral19 to that entry (ldr x, :got:sym)."""


@dataclass(slots=True, eq=False)
class Block:
    """A run of bytes placed at one address: a section of the object, the GOT or the stubs."""

    name: str
    perm: str  # "rx" or "rw": which allocation it goes into
    align: int
    data: bytearray
    address: int = 0  # set by layout
    edges: list[Edge] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class LinkSymbol:
    """A target of edges: defined in a block, or absolute (resolved external, SHN_ABS)."""

    name: str
    block: Block | None = None
    offset: int = 0  # within block, or the absolute address when block is None

    @property
    def address(self) -> int:
        return self.block.address + self.offset if self.block is not None else self.offset


@dataclass(slots=True, eq=False)
class Edge:
    kind: EdgeKind
    offset: int  # of the patched bytes within their block
    target: LinkSymbol
    addend: int
    origin: str  # the ELF relocation type name ("R_X86_64_PLT32"), or "GOT entry"/"stub"


def fixup_error(block: Block, edge: Edge, detail: str) -> LinkError:
    """A LinkError naming the relocation, symbol, section and address of a fixup."""
    fixup = block.address + edge.offset
    return LinkError(
        f"{edge.origin} against symbol '{edge.target.name}' ({edge.target.address:#x}) in "
        f"section '{block.name}' at {fixup:#x}: {detail}")


def check_range(block: Block, edge: Edge, value: int, bits: int, signed: bool) -> int:
    """Return `value` if it fits in `bits` (signed or unsigned) bits, else raise."""
    lo, hi = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
    if not lo <= value < hi:
        kind = f"int{bits}" if signed else f"uint{bits}"
        raise fixup_error(block, edge, f"value {value:#x} does not fit in {kind}"
                          f" ({edge.kind.name})")
    return value


_U64, _I64, _U32, _I32, _U16, _I16 = (struct.Struct(f) for f in ("<Q", "<q", "<I", "<i",
                                                                  "<H", "<h"))


def patch(block: Block, edge: Edge, st: struct.Struct, value: int) -> None:
    """Write `value` (already range-checked) at the edge's offset."""
    if edge.offset + st.size > len(block.data):
        raise fixup_error(block, edge, "fixup runs past the end of the section")
    st.pack_into(block.data, edge.offset, value)


def apply_data_fixup(block: Block, edge: Edge, got_base: int) -> bool:
    """Apply the little-endian pointer and delta kinds every architecture shares;
    False if `edge.kind` is not one of them."""
    kind = edge.kind
    fixup = block.address + edge.offset
    target = edge.target.address
    a = edge.addend
    if kind is EdgeKind.Pointer64:
        patch(block, edge, _U64, check_range(block, edge, target + a, 64, signed=False))
    elif kind is EdgeKind.Pointer32:
        patch(block, edge, _U32, check_range(block, edge, target + a, 32, signed=False))
    elif kind is EdgeKind.Pointer32Signed:
        patch(block, edge, _I32, check_range(block, edge, target + a, 32, signed=True))
    elif kind is EdgeKind.Pointer16:
        patch(block, edge, _U16, check_range(block, edge, target + a, 16, signed=False))
    elif kind is EdgeKind.Delta64:
        patch(block, edge, _I64, check_range(block, edge, target - fixup + a, 64, signed=True))
    elif kind is EdgeKind.Delta32:
        patch(block, edge, _I32, check_range(block, edge, target - fixup + a, 32, signed=True))
    elif kind is EdgeKind.Delta16:
        patch(block, edge, _I16, check_range(block, edge, target - fixup + a, 16, signed=True))
    elif kind is EdgeKind.Delta64FromGOT:
        patch(block, edge, _I64,
              check_range(block, edge, target - got_base + a, 64, signed=True))
    else:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Arch:
    """What the generic linker needs to know about one architecture."""

    name: str
    machine: int  # ELF e_machine
    reloc_names: dict[int, str]  # every known relocation type, supported or not
    # ELF relocation type -> (edge kind, or None for a no-op; addend adjustment)
    relocations: dict[int, tuple[EdgeKind | None, int]]
    # apply_fixup(block, edge, got_base): compute, range-check, patch block.data
    apply_fixup: Callable[[Block, Edge, int], None]
    got_entry_size: int
    got_entry_kind: EdgeKind  # the edge that fills a GOT entry with its target's address
    # RequestGOTAndTransformTo<K> -> K
    got_requests: dict[EdgeKind, EdgeKind]
    stub_content: bytes  # an indirect jump through a GOT entry
    stub_edges: tuple[tuple[EdgeKind, int, int], ...]  # (kind, offset, addend) -> GOT entry
    # branch kind that may need a stub -> its StubBypassable variant
    stub_branches: dict[EdgeKind, EdgeKind]
    # branch_reaches(kind, fixup, destination): can this branch reach destination directly?
    branch_reaches: Callable[[EdgeKind, int, int], bool]
    # check_relocation(type, section bytes, offset, addend): what is wrong with one
    # relocation that its table entry cannot see -- the instruction it patches, its
    # addend -- or None. Run while the graph is built, as JITLink's ELF graph builders do.
    check_relocation: Callable[[int, bytes, int, int], str | None] | None = None
