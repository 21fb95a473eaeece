"""AArch64 (ELF) back end: relocation table, stub and GOT constants, apply_fixup.

Facts from ARM's ELF for the Arm 64-bit Architecture (AAELF64), the Arm ARM instruction
encodings, and LLVM JITLink's ELF_aarch64.cpp / aarch64.h. Each relocation's instruction
is checked twice: while the graph is built (`check_relocation`: the instruction class and
access size or MOVW group the relocation type implies, as JITLink's graph builder does),
and by `apply_fixup` for the edge kind's instruction class before the field is patched.

What LLVM emits for us, measured with llvmlite 0.50 (LLVM 22) for
aarch64-unknown-linux-gnu, position-independent, small code model, on objects from
analyze -> gen_module -> compile_module at -O0 and -O2 (test_link_aarch64.py keeps the
record: test_pipeline_emits_the_measured_relocations):

    ADR_GOT_PAGE + LD64_GOT_LO12_NC   every debuggee global, and every debuggee function
                                      whose address is taken (at -O2 a call through a
                                      known pointer becomes a direct CALL26)
    CALL26                            calls to debuggee functions, libc (memset to zero
                                      an array initializer, strlen, snprintf) and the
                                      fp128 soft-float routines for long double (__addtf3,
                                      __multf3, __divtf3, __extenddftf2, __floatsitf,
                                      __fixtfsi, __lttf2, __gttf2, __unordtf2, ...): all
                                      external, so often far, through a stub
    JUMP26                            tail calls at -O2 (a void expression ending in a call)
    ADR_PREL_PG_HI21 + ADD_ABS_LO12_NC  string literals (.rodata.str1.4); switch lookup
                                      tables (.rodata, relative entries, no relocations
                                      inside); jump tables (.rodata, from 12 cases of an
                                      if-chain at -O2, entries are label deltas the
                                      assembler resolves); address tables (.data.rel.ro)
    ADR_PREL_PG_HI21 + LDST64_ABS_LO12_NC   double constants (.rodata.cst8)
    ADR_PREL_PG_HI21 + LDST128_ABS_LO12_NC  long double constants (.rodata.cst16, ldr q)
    ABS64 in .data.rel.ro             tables of debuggee addresses (a ?: between &globals)

Not seen: float constants (built with fmov/mov), large initializers (stored field by
field, no copy from .rodata), branches of loops and conditionals (resolved by the
assembler inside .text: no CONDBR19/TSTBR14), .eh_frame (the expression's function is
nounwind without uwtable; with unwind tables LLVM adds .rela.eh_frame PREL32, PREL64 in
the large model, which the linker skips with the section). LLVM's -mcmodel=large
(static) builds addresses with MOVW_UABS_G3 + G2_NC + G1_NC + G0_NC.

The other types come from gcc or hand-written code (gcc 12.2 for aarch64-linux-gnu):
-fpic gives LD64_GOTPAGE_LO15 off an ADR_PREL_PG_HI21 of _GLOBAL_OFFSET_TABLE_,
-mcmodel=tiny GOT_LD_PREL19 and ADR_PREL_LO21, -mcmodel=large a literal pool of ABS64 in
.text; LD_PREL_LO19 (ldr x0, label), CONDBR19 and TSTBR14 (branches between sections)
and ABS16/PREL16 (data) are assembly's.
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
    286: "R_AARCH64_LDST64_ABS_LO12_NC", 287: "R_AARCH64_MOVW_PREL_G0",
    288: "R_AARCH64_MOVW_PREL_G0_NC", 289: "R_AARCH64_MOVW_PREL_G1",
    290: "R_AARCH64_MOVW_PREL_G1_NC", 291: "R_AARCH64_MOVW_PREL_G2",
    292: "R_AARCH64_MOVW_PREL_G2_NC", 293: "R_AARCH64_MOVW_PREL_G3",
    299: "R_AARCH64_LDST128_ABS_LO12_NC", 307: "R_AARCH64_GOTREL64",
    308: "R_AARCH64_GOTREL32", 309: "R_AARCH64_GOT_LD_PREL19",
    310: "R_AARCH64_LD64_GOTOFF_LO15", 311: "R_AARCH64_ADR_GOT_PAGE",
    312: "R_AARCH64_LD64_GOT_LO12_NC", 313: "R_AARCH64_LD64_GOTPAGE_LO15",
    314: "R_AARCH64_PLT32",
    512: "R_AARCH64_TLSGD_ADR_PREL21", 513: "R_AARCH64_TLSGD_ADR_PAGE21",
    514: "R_AARCH64_TLSGD_ADD_LO12_NC", 541: "R_AARCH64_TLSIE_ADR_GOTTPREL_PAGE21",
    542: "R_AARCH64_TLSIE_LD64_GOTTPREL_LO12_NC", 549: "R_AARCH64_TLSLE_ADD_TPREL_HI12",
    550: "R_AARCH64_TLSLE_ADD_TPREL_LO12", 551: "R_AARCH64_TLSLE_ADD_TPREL_LO12_NC",
    562: "R_AARCH64_TLSDESC_ADR_PAGE21", 563: "R_AARCH64_TLSDESC_LD64_LO12",
    564: "R_AARCH64_TLSDESC_ADD_LO12", 569: "R_AARCH64_TLSDESC_CALL",
    1024: "R_AARCH64_COPY", 1025: "R_AARCH64_GLOB_DAT", 1026: "R_AARCH64_JUMP_SLOT",
    1027: "R_AARCH64_RELATIVE", 1028: "R_AARCH64_TLS_DTPMOD64",
    1029: "R_AARCH64_TLS_DTPREL64", 1030: "R_AARCH64_TLS_TPREL64",
    1031: "R_AARCH64_TLSDESC", 1032: "R_AARCH64_IRELATIVE",
}

# ELF relocation type -> (edge kind, addend adjustment). AArch64 needs no adjustment:
# its PC-relative relocations are all relative to the instruction's own address.
# S = symbol, A = addend, P = place, G(GDAT(S + A)) = its GOT entry, Page(x) = x & ~0xfff.
RELOCATIONS: dict[int, tuple[EdgeKind | None, int]] = {
    0: (None, 0),                                       # NONE
    # Data. AAELF64 lets ABS32/PREL32/ABS16/PREL16 take -2^(n-1) <= X < 2^n; as JITLink,
    # absolute values must be unsigned and deltas signed.
    257: (K.Pointer64, 0),                              # ABS64: S + A
    258: (K.Pointer32, 0),                              # ABS32: S + A
    259: (K.Pointer16, 0),                              # ABS16: S + A
    260: (K.Delta64, 0),                                # PREL64: S + A - P
    261: (K.Delta32, 0),                                # PREL32: S + A - P
    262: (K.Delta16, 0),                                # PREL16: S + A - P
    # MOVZ/MOVK slices of S + A (-mcmodel=large); the group (G0..G3 = LSL #0..#48) is
    # the instruction's hw field, checked against the type by check_relocation.
    263: (K.MoveWide16Checked, 0),                      # MOVW_UABS_G0:    X < 2^16
    264: (K.MoveWide16, 0),                             # MOVW_UABS_G0_NC
    265: (K.MoveWide16Checked, 0),                      # MOVW_UABS_G1:    X < 2^32
    266: (K.MoveWide16, 0),                             # MOVW_UABS_G1_NC
    267: (K.MoveWide16Checked, 0),                      # MOVW_UABS_G2:    X < 2^48
    268: (K.MoveWide16, 0),                             # MOVW_UABS_G2_NC
    269: (K.MoveWide16, 0),                             # MOVW_UABS_G3: the top slice
    # PC-relative instructions
    273: (K.LDRLiteral19, 0),                           # LD_PREL_LO19: S + A - P
    274: (K.ADRLiteral21, 0),                           # ADR_PREL_LO21: S + A - P
    275: (K.Page21, 0),                                 # ADR_PREL_PG_HI21: Page(S+A) - Page(P)
    277: (K.PageOffset12, 0),                           # ADD_ABS_LO12_NC: (S + A) & 0xfff
    278: (K.PageOffset12, 0),                           # LDST8_ABS_LO12_NC
    284: (K.PageOffset12, 0),                           # LDST16_ABS_LO12_NC
    285: (K.PageOffset12, 0),                           # LDST32_ABS_LO12_NC
    286: (K.PageOffset12, 0),                           # LDST64_ABS_LO12_NC
    299: (K.PageOffset12, 0),                           # LDST128_ABS_LO12_NC
    # Branches. Only B/BL get a stub when out of range; conditional ones cannot.
    279: (K.TestAndBranch14PCRel, 0),                   # TSTBR14: S + A - P
    280: (K.CondBranch19PCRel, 0),                      # CONDBR19: S + A - P
    282: (K.Branch26PCRel, 0),                          # JUMP26: S + A - P
    283: (K.Branch26PCRel, 0),                          # CALL26: S + A - P
    # GOT. AAELF64 puts A in the entry (GDAT(S + A)); LLVM never emits one, so a
    # non-zero addend is refused by check_relocation rather than mislinked.
    309: (K.RequestGOTAndTransformToLDRLiteral19, 0),   # GOT_LD_PREL19: G - P
    311: (K.RequestGOTAndTransformToPage21, 0),         # ADR_GOT_PAGE: Page(G) - Page(P)
    312: (K.RequestGOTAndTransformToPageOffset12, 0),   # LD64_GOT_LO12_NC: G & 0xff8
    313: (K.RequestGOTAndTransformToPageOffset15, 0),   # LD64_GOTPAGE_LO15: G - Page(GOT)
}

GOT_ENTRY_SIZE = 8
# adrp x16, GOTENTRY@PAGE ; ldr x16, [x16, GOTENTRY@PAGEOFF] ; br x16
ADRP_X16 = 0x90000010
LDR_X16_X16 = 0xF9400210
BR_X16 = 0xD61F0200
POINTER_JUMP_STUB = struct.pack("<III", ADRP_X16, LDR_X16_X16, BR_X16)
POINTER_JUMP_STUB_EDGES = ((K.Page21, 0, 0), (K.PageOffset12, 4, 0))

# Opcode masks (Arm ARM, "Top-level encodings"): instr & MASK == BITS
ADRP_MASK, ADRP_BITS = 0x9F000000, 0x90000000
ADR_MASK, ADR_BITS = 0x9F000000, 0x10000000
B_BL_MASK, B_BL_BITS = 0x7C000000, 0x14000000  # B (000101) and BL (100101)
B_COND_MASK, B_COND_BITS = 0xFF000000, 0x54000000  # B.cond and BC.cond
CBZ_MASK, CBZ_BITS = 0x7E000000, 0x34000000  # CBZ and CBNZ, w or x
TBZ_MASK, TBZ_BITS = 0x7E000000, 0x36000000  # TBZ and TBNZ
LDR_LIT_MASK, LDR_LIT_BITS = 0x3B000000, 0x18000000  # LDR w/x/s/d/q, LDRSW, PRFM (literal)
LDR_X_LIT_MASK, LDR_X_LIT_BITS = 0xFF000000, 0x58000000  # LDR x (literal)
ADD_IMM_MASK, ADD_IMM_BITS = 0x7FC00000, 0x11000000  # ADD (immediate), sh = 0
LDST_IMM12_MASK, LDST_IMM12_BITS = 0x3B000000, 0x39000000  # LDR/STR (unsigned offset)
LDR_X_IMM12_MASK, LDR_X_IMM12_BITS = 0xFFC00000, 0xF9400000  # LDR x (unsigned offset)
MOVW_MASK, MOVW_BITS = 0x5F800000, 0x52800000  # MOVZ (opc 10) and MOVK (opc 11), w or x

_INSTR = struct.Struct("<I")


def is_adrp(instr: int) -> bool:
    return instr & ADRP_MASK == ADRP_BITS


def is_adr(instr: int) -> bool:
    return instr & ADR_MASK == ADR_BITS


def is_b_bl(instr: int) -> bool:
    return instr & B_BL_MASK == B_BL_BITS


def is_cond_branch19(instr: int) -> bool:
    return instr & B_COND_MASK == B_COND_BITS or instr & CBZ_MASK == CBZ_BITS


def is_test_branch14(instr: int) -> bool:
    return instr & TBZ_MASK == TBZ_BITS


def is_ldr_literal(instr: int) -> bool:
    return instr & LDR_LIT_MASK == LDR_LIT_BITS


def is_ldr_x_literal(instr: int) -> bool:
    return instr & LDR_X_LIT_MASK == LDR_X_LIT_BITS


def is_ldr_x_imm12(instr: int) -> bool:
    return instr & LDR_X_IMM12_MASK == LDR_X_IMM12_BITS


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


def move_wide_shift(instr: int) -> int | None:
    """The LSL (0, 16, 32, 48) of a MOVZ/MOVK; None for any other instruction and for
    a 32-bit one with LSL #32/#48 (unallocated)."""
    if instr & MOVW_MASK != MOVW_BITS:
        return None
    hw = (instr >> 21) & 3
    if not instr >> 31 and hw >= 2:
        return None
    return 16 * hw


def _ldst(shift: int):
    return lambda instr: (instr & LDST_IMM12_MASK == LDST_IMM12_BITS
                          and page_offset12_shift(instr) == shift)


def _movw(shift: int):
    return lambda instr: move_wide_shift(instr) == shift


# ELF relocation type -> (does the instruction fit this type?, what it must be)
_INSTRUCTIONS = {
    263: (_movw(0), "MOVZ/MOVK with LSL #0"),
    264: (_movw(0), "MOVZ/MOVK with LSL #0"),
    265: (_movw(16), "MOVZ/MOVK with LSL #16"),
    266: (_movw(16), "MOVZ/MOVK with LSL #16"),
    267: (_movw(32), "a 64-bit MOVZ/MOVK with LSL #32"),
    268: (_movw(32), "a 64-bit MOVZ/MOVK with LSL #32"),
    269: (_movw(48), "a 64-bit MOVZ/MOVK with LSL #48"),
    273: (is_ldr_literal, "an LDR (literal)"),
    274: (is_adr, "ADR"),
    275: (is_adrp, "ADRP"),
    277: (lambda i: i & ADD_IMM_MASK == ADD_IMM_BITS, "ADD (immediate)"),
    278: (_ldst(0), "an 8-bit LDR/STR (unsigned offset)"),
    279: (is_test_branch14, "TBZ or TBNZ"),
    280: (is_cond_branch19, "B.cond, CBZ or CBNZ"),
    282: (is_b_bl, "B or BL"),
    283: (is_b_bl, "B or BL"),
    284: (_ldst(1), "a 16-bit LDR/STR (unsigned offset)"),
    285: (_ldst(2), "a 32-bit LDR/STR (unsigned offset)"),
    286: (_ldst(3), "a 64-bit LDR/STR (unsigned offset)"),
    299: (_ldst(4), "a 128-bit LDR/STR (unsigned offset)"),
    309: (is_ldr_x_literal, "a 64-bit LDR (literal)"),
    311: (is_adrp, "ADRP"),
    312: (is_ldr_x_imm12, "a 64-bit LDR (unsigned offset)"),
    313: (is_ldr_x_imm12, "a 64-bit LDR (unsigned offset)"),
}
_GOT_RELOCATIONS = frozenset({309, 311, 312, 313})


def check_relocation(rtype: int, data: bytes, offset: int, addend: int) -> str | None:
    """What is wrong with relocation `rtype` at `offset` of a section's `data` that the
    table cannot see, or None: the instruction must be the one the type is defined for
    (the access size of LDSTn, the group of MOVW_UABS_Gn), a GOT relocation's addend 0."""
    if rtype in _GOT_RELOCATIONS and addend:
        return (f"addend {addend:#x} on a GOT relocation is not supported (it would select "
                f"a GOT entry for symbol + addend)")
    fits = _INSTRUCTIONS.get(rtype)
    if fits is None:
        return None
    if offset % 4 or offset + 4 > len(data):
        return "instruction fixup is misaligned or runs past the end of the section"
    instr = _INSTR.unpack_from(data, offset)[0]
    if not fits[0](instr):
        return f"instruction {instr:#010x} is not {fits[1]}"
    return None


def _read_instr(block: Block, edge: Edge) -> int:
    if edge.offset % 4 or edge.offset + 4 > len(block.data):
        raise fixup_error(block, edge, "instruction fixup is misaligned or past the section")
    return _INSTR.unpack_from(block.data, edge.offset)[0]


def _field(instr: int, value: int, lsb: int, width: int) -> int:
    """`instr` with bits lsb..lsb+width-1 set to `value`, already range-checked (a negative
    value is stored in two's complement, as the instruction reads it)."""
    mask = (1 << width) - 1
    return (instr & ~(mask << lsb)) | ((value & mask) << lsb)


# PC-relative kind -> (bits of the signed byte delta it encodes, that reach for messages)
_PC_RANGES = {
    K.Branch26PCRel: (28, "+-128 MiB"),
    K.CondBranch19PCRel: (21, "+-1 MiB"),
    K.TestAndBranch14PCRel: (16, "+-32 KiB"),
    K.LDRLiteral19: (21, "+-1 MiB"),
    K.ADRLiteral21: (21, "+-1 MiB"),
}
_NO_STUB = (K.CondBranch19PCRel, K.TestAndBranch14PCRel)
# The kinds apply_fixup patches into an instruction (the data kinds are shared)
_INSTRUCTION_KINDS = frozenset({*_PC_RANGES, K.Page21, K.PageOffset12, K.GotPageOffset15,
                                K.MoveWide16, K.MoveWide16Checked})


def _pc_delta(block: Block, edge: Edge, word: bool) -> int:
    """Target + Addend - Fixup, range-checked for the edge's kind; a multiple of 4 if
    the instruction encodes it in words."""
    delta = edge.target.address + edge.addend - (block.address + edge.offset)
    if word and delta % 4:
        raise fixup_error(block, edge, f"PC-relative delta {delta:#x} is not a multiple of 4 "
                                       f"({edge.kind.name})")
    bits, reach = _PC_RANGES[edge.kind]
    if not -(1 << (bits - 1)) <= delta < 1 << (bits - 1):
        note = (": a conditional branch cannot go through a stub"
                if edge.kind in _NO_STUB else "")
        raise fixup_error(block, edge, f"value {delta:#x} does not fit in int{bits} "
                                       f"({edge.kind.name}): the target is not within "
                                       f"{reach}{note}")
    return delta


def _not(block: Block, edge: Edge, instr: int, what: str):
    return fixup_error(block, edge, f"instruction {instr:#010x} is not {what}")


def apply_fixup(block: Block, edge: Edge, got_base: int) -> None:
    """Compute edge's value, range-check it, check the opcode, patch block.data."""
    if apply_data_fixup(block, edge, got_base):
        return
    kind = edge.kind
    if kind not in _INSTRUCTION_KINDS:
        raise fixup_error(block, edge, f"edge kind {kind.name} cannot be applied on AArch64")
    fixup = block.address + edge.offset
    instr = _read_instr(block, edge)
    # The instruction can only reach an address: no wrapping around 0 or 2^64.
    dest = check_range(block, edge, edge.target.address + edge.addend, 64, signed=False)
    if kind is K.Branch26PCRel:
        if not is_b_bl(instr):
            raise _not(block, edge, instr, "B or BL")
        instr = _field(instr, _pc_delta(block, edge, word=True) >> 2, 0, 26)
    elif kind is K.CondBranch19PCRel:
        if not is_cond_branch19(instr):
            raise _not(block, edge, instr, "B.cond, CBZ or CBNZ")
        instr = _field(instr, _pc_delta(block, edge, word=True) >> 2, 5, 19)
    elif kind is K.TestAndBranch14PCRel:
        if not is_test_branch14(instr):
            raise _not(block, edge, instr, "TBZ or TBNZ")
        instr = _field(instr, _pc_delta(block, edge, word=True) >> 2, 5, 14)
    elif kind is K.LDRLiteral19:
        if not is_ldr_literal(instr):
            raise _not(block, edge, instr, "an LDR (literal)")
        instr = _field(instr, _pc_delta(block, edge, word=True) >> 2, 5, 19)
    elif kind is K.ADRLiteral21:
        if not is_adr(instr):
            raise _not(block, edge, instr, "ADR")
        delta = _pc_delta(block, edge, word=False)
        instr = _field(_field(instr, delta, 29, 2), delta >> 2, 5, 19)
    elif kind is K.Page21:
        if not is_adrp(instr):
            raise _not(block, edge, instr, "ADRP")
        pages = check_range(block, edge, (dest >> 12) - (fixup >> 12), 21, signed=True)
        instr = _field(_field(instr, pages, 29, 2), pages >> 2, 5, 19)
    elif kind is K.PageOffset12:
        shift = page_offset12_shift(instr)
        if shift is None:
            raise _not(block, edge, instr, "an ADD (immediate) or LDR/STR (unsigned offset)")
        offset = dest & 0xFFF
        if offset % (1 << shift):
            raise fixup_error(block, edge, f"page offset {offset:#x} is not a multiple of "
                                           f"the {1 << shift}-byte access size")
        instr = _field(instr, offset >> shift, 10, 12)
    elif kind is K.GotPageOffset15:
        if not is_ldr_x_imm12(instr):
            raise _not(block, edge, instr, "a 64-bit LDR (unsigned offset)")
        offset = dest - (got_base & ~0xFFF)
        if offset % 8:
            raise fixup_error(block, edge, f"GOT page offset {offset:#x} is not a multiple "
                                           f"of 8")
        instr = _field(instr, check_range(block, edge, offset, 15, signed=False) >> 3, 10, 12)
    elif kind is K.MoveWide16 or kind is K.MoveWide16Checked:
        shift = move_wide_shift(instr)
        if shift is None:
            raise _not(block, edge, instr, "MOVZ or MOVK (64-bit for LSL #32/#48)")
        if kind is K.MoveWide16Checked:
            check_range(block, edge, dest, shift + 16, signed=False)
        instr = _field(instr, dest >> shift, 5, 16)
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
        K.RequestGOTAndTransformToPageOffset15: K.GotPageOffset15,
        K.RequestGOTAndTransformToLDRLiteral19: K.LDRLiteral19,
    },
    stub_content=POINTER_JUMP_STUB,
    stub_edges=POINTER_JUMP_STUB_EDGES,
    stub_branches={K.Branch26PCRel: K.Branch26PCRelToPtrJumpStubBypassable},
    branch_reaches=branch_reaches,
    check_relocation=check_relocation,
)
