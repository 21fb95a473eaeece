"""AArch64 (ELF) back end: relocation table, stub and GOT constants, apply_fixup.

Facts from ARM's ELF for the Arm 64-bit Architecture (AAELF64), the Arm ARM instruction
encodings, and LLVM JITLink's ELF_aarch64.cpp / aarch64.h. Every instruction is checked
for the expected opcode before its immediate field is patched.
"""

from __future__ import annotations

import struct

from lldb_jit.link.edges import (
    Arch, Block, Edge, EdgeKind, apply_data_fixup, check_range, fixup_error,
)
from lldb_jit.link.elf import EM_AARCH64

K = EdgeKind

R_AARCH64_NAMES = {
    0: "R_AARCH64_NONE", 257: "R_AARCH64_ABS64", 258: "R_AARCH64_ABS32",
    259: "R_AARCH64_ABS16", 260: "R_AARCH64_PREL64", 261: "R_AARCH64_PREL32",
    262: "R_AARCH64_PREL16", 263: "R_AARCH64_MOVW_UABS_G0",
    264: "R_AARCH64_MOVW_UABS_G0_NC", 265: "R_AARCH64_MOVW_UABS_G1",
    266: "R_AARCH64_MOVW_UABS_G1_NC", 267: "R_AARCH64_MOVW_UABS_G2",
    268: "R_AARCH64_MOVW_UABS_G2_NC", 269: "R_AARCH64_MOVW_UABS_G3",
    270: "R_AARCH64_MOVW_SABS_G0", 271: "R_AARCH64_MOVW_SABS_G1",
    272: "R_AARCH64_MOVW_SABS_G2", 273: "R_AARCH64_LD_PREL_LO19",
    274: "R_AARCH64_ADR_PREL_LO21", 275: "R_AARCH64_ADR_PREL_PG_HI21",
    276: "R_AARCH64_ADR_PREL_PG_HI21_NC", 277: "R_AARCH64_ADD_ABS_LO12_NC",
    278: "R_AARCH64_LDST8_ABS_LO12_NC", 279: "R_AARCH64_TSTBR14",
    280: "R_AARCH64_CONDBR19", 282: "R_AARCH64_JUMP26", 283: "R_AARCH64_CALL26",
    284: "R_AARCH64_LDST16_ABS_LO12_NC", 285: "R_AARCH64_LDST32_ABS_LO12_NC",
    286: "R_AARCH64_LDST64_ABS_LO12_NC", 299: "R_AARCH64_LDST128_ABS_LO12_NC",
    309: "R_AARCH64_GOT_LD_PREL19", 311: "R_AARCH64_ADR_GOT_PAGE",
    312: "R_AARCH64_LD64_GOT_LO12_NC", 313: "R_AARCH64_LD64_GOTPAGE_LO15",
    1024: "R_AARCH64_COPY", 1025: "R_AARCH64_GLOB_DAT", 1026: "R_AARCH64_JUMP_SLOT",
    1027: "R_AARCH64_RELATIVE", 1028: "R_AARCH64_TLS_DTPMOD64",
    1029: "R_AARCH64_TLS_DTPREL64", 1030: "R_AARCH64_TLS_TPREL64",
    1031: "R_AARCH64_TLSDESC", 1032: "R_AARCH64_IRELATIVE",
}

# ELF relocation type -> (edge kind, addend adjustment). AArch64 needs no adjustment:
# its PC-relative relocations are all relative to the instruction's own address.
RELOCATIONS: dict[int, tuple[EdgeKind | None, int]] = {
    0: (None, 0),                                       # NONE
    257: (K.Pointer64, 0),                              # ABS64: S + A
    258: (K.Pointer32, 0),                              # ABS32: S + A
    260: (K.Delta64, 0),                                # PREL64: S + A - P
    261: (K.Delta32, 0),                                # PREL32: S + A - P
    275: (K.Page21, 0),                                 # ADR_PREL_PG_HI21
    277: (K.PageOffset12, 0),                           # ADD_ABS_LO12_NC
    278: (K.PageOffset12, 0),                           # LDST8_ABS_LO12_NC
    284: (K.PageOffset12, 0),                           # LDST16_ABS_LO12_NC
    285: (K.PageOffset12, 0),                           # LDST32_ABS_LO12_NC
    286: (K.PageOffset12, 0),                           # LDST64_ABS_LO12_NC
    299: (K.PageOffset12, 0),                           # LDST128_ABS_LO12_NC
    282: (K.Branch26PCRel, 0),                          # JUMP26: S + A - P
    283: (K.Branch26PCRel, 0),                          # CALL26: S + A - P
    311: (K.RequestGOTAndTransformToPage21, 0),         # ADR_GOT_PAGE
    312: (K.RequestGOTAndTransformToPageOffset12, 0),   # LD64_GOT_LO12_NC
}

GOT_ENTRY_SIZE = 8
# adrp x16, GOTENTRY@PAGE ; ldr x16, [x16, GOTENTRY@PAGEOFF] ; br x16
ADRP_X16 = 0x90000010
LDR_X16_X16 = 0xF9400210
BR_X16 = 0xD61F0200
POINTER_JUMP_STUB = struct.pack("<III", ADRP_X16, LDR_X16_X16, BR_X16)
POINTER_JUMP_STUB_EDGES = ((K.Page21, 0, 0), (K.PageOffset12, 4, 0))

# Opcode masks (Arm ARM, "Top-level encodings")
ADRP_MASK, ADRP_BITS = 0x9F000000, 0x90000000
B_BL_MASK, B_BL_BITS = 0x7C000000, 0x14000000  # B (000101) and BL (100101)
ADD_IMM_MASK, ADD_IMM_BITS = 0x7FC00000, 0x11000000  # ADD (immediate), sh = 0
LDST_IMM12_MASK, LDST_IMM12_BITS = 0x3B000000, 0x39000000  # LDR/STR (unsigned offset)

_INSTR = struct.Struct("<I")


def _read_instr(block: Block, edge: Edge) -> int:
    if edge.offset % 4 or edge.offset + 4 > len(block.data):
        raise fixup_error(block, edge, "instruction fixup is misaligned or past the section")
    return _INSTR.unpack_from(block.data, edge.offset)[0]


def page_offset12_shift(instr: int) -> int | None:
    """log2 of the scale of an ADD-immediate (0) or LDR/STR unsigned-offset instruction's
    imm12; None for any other instruction."""
    if instr & ADD_IMM_MASK == ADD_IMM_BITS:
        return 0
    if instr & LDST_IMM12_MASK == LDST_IMM12_BITS:
        size = instr >> 30
        is_simd = bool(instr & (1 << 26))
        if is_simd and size == 0 and instr & (1 << 23):
            return 4  # 128-bit q-register access
        return size
    return None


def apply_fixup(block: Block, edge: Edge, got_base: int) -> None:
    """Compute edge's value, range-check it, check the opcode, patch block.data."""
    if apply_data_fixup(block, edge, got_base):
        return
    kind = edge.kind
    fixup = block.address + edge.offset
    dest = edge.target.address + edge.addend
    if kind is K.Branch26PCRel:
        instr = _read_instr(block, edge)
        if instr & B_BL_MASK != B_BL_BITS:
            raise fixup_error(block, edge, f"instruction {instr:#010x} is not B or BL")
        delta = dest - fixup
        if delta % 4:
            raise fixup_error(block, edge, f"branch delta {delta:#x} is not a multiple of 4")
        imm = check_range(block, edge, delta, 28, signed=True) >> 2
        instr = (instr & ~0x03FFFFFF) | (imm & 0x03FFFFFF)
    elif kind is K.Page21:
        instr = _read_instr(block, edge)
        if instr & ADRP_MASK != ADRP_BITS:
            raise fixup_error(block, edge, f"instruction {instr:#010x} is not ADRP")
        pages = check_range(block, edge, (dest >> 12) - (fixup >> 12), 21, signed=True)
        immlo, immhi = pages & 0x3, (pages >> 2) & 0x7FFFF
        instr = (instr & 0x9F00001F) | (immlo << 29) | (immhi << 5)
    elif kind is K.PageOffset12:
        instr = _read_instr(block, edge)
        shift = page_offset12_shift(instr)
        if shift is None:
            raise fixup_error(block, edge, f"instruction {instr:#010x} is not an ADD "
                                           f"(immediate) or LDR/STR (unsigned offset)")
        offset = dest & 0xFFF
        if offset % (1 << shift):
            raise fixup_error(block, edge, f"page offset {offset:#x} is not a multiple of "
                                           f"the {1 << shift}-byte access size")
        instr = (instr & ~(0xFFF << 10)) | ((offset >> shift) << 10)
    else:
        raise fixup_error(block, edge, f"edge kind {kind.name} cannot be applied on AArch64")
    _INSTR.pack_into(block.data, edge.offset, instr)


def branch_reaches(kind: EdgeKind, fixup: int, destination: int) -> bool:
    """Can a B/BL at `fixup` reach `destination` (target + addend) directly?"""
    delta = destination - fixup
    return delta % 4 == 0 and -(1 << 27) <= delta < (1 << 27)


ARCH = Arch(
    name="AArch64",
    machine=EM_AARCH64,
    reloc_names=R_AARCH64_NAMES,
    relocations=RELOCATIONS,
    apply_fixup=apply_fixup,
    got_entry_size=GOT_ENTRY_SIZE,
    got_entry_kind=K.Pointer64,
    got_requests={
        K.RequestGOTAndTransformToPage21: K.Page21,
        K.RequestGOTAndTransformToPageOffset12: K.PageOffset12,
    },
    stub_content=POINTER_JUMP_STUB,
    stub_edges=POINTER_JUMP_STUB_EDGES,
    stub_branches={K.Branch26PCRel: K.Branch26PCRelToPtrJumpStubBypassable},
    branch_reaches=branch_reaches,
)
