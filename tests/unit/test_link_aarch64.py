"""AArch64 linking, JITLink style: sections at fixed fake addresses, externals put near and
far, and every patched instruction decoded (one small decoder per instruction form below)
to check it reaches its target, directly or through a stub / GOT entry.

Three sources of objects:
  - `elf_object`, a tiny ELF writer: one instruction per relocation type, so each type is
    tested at the exact edges of its range, one step beyond, and misaligned;
  - our own pipeline (analyze -> gen_module -> compile_module) for aarch64 at -O0/-O2,
    and llvmlite IR in the large code model: what LLVM really emits, every fixup checked;
  - cross-checks with binutils when installed: gas assembles the same instruction forms
    (same encodings, same relocation types) and objdump disassembles linked bytes; and,
    with aarch64-linux-gnu-gcc and qemu-aarch64, pipeline objects linked against a static
    gcc-built program at chosen addresses near and far from it, and run there.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess

import pytest

from lldb_jit.compile import compile_module
from lldb_jit.errors import LinkError
from lldb_jit.frontend import analyze
from lldb_jit.irgen import gen_module
from lldb_jit.link import LinkedImage, link
from lldb_jit.link.edges import Block, Edge, LinkSymbol
from lldb_jit.link.elf import SHT_RELA, read_elf
from lldb_jit.targets.aarch64.relocations import (
    ADRP_X16, ARCH, BR_X16, LDR_X16_X16, POINTER_JUMP_STUB, R_AARCH64_NAMES, RELOCATIONS,
)
from test_link_support import (
    AARCH64, FAR, PROGRAM, RW_BASE, RX_BASE, FakeMemory, Resolver, compile_ir, link_with,
    read_u32, read_u64, relocation_offsets, relocations, section_address, segment_bytes,
    with_reloc,
)

NEAR_CODE = RX_BASE + 0x1000000  # 16 MiB: within BL's +-128 MiB
MID_CODE = RX_BASE + 0x40000000  # 1 GiB: out of BL's range, in ADRP's +-4 GiB
MiB, GiB = 1 << 20, 1 << 30
RELOC = {name: rtype for rtype, name in R_AARCH64_NAMES.items()}

# -- instruction encodings (immediate fields zero), as gas assembles them ------------------
NOP = 0xD503201F
B, BL = 0x14000000, 0x94000000                        # b ext / bl ext
B_EQ = 0x54000000                                     # b.eq ext
CBZ_X0, CBNZ_W1 = 0xB4000000, 0x35000001              # cbz x0, ext / cbnz w1, ext
TBZ_W0_3, TBNZ_W2_31 = 0x36180000, 0x37F80002         # tbz w0, #3, ext / tbnz w2, #31, ext
LDR_X0_LIT, LDR_W0_LIT = 0x58000000, 0x18000000       # ldr x0, ext / ldr w0, ext
LDR_Q0_LIT, LDRSW_X0_LIT = 0x9C000000, 0x98000000     # ldr q0, ext / ldrsw x0, ext
LDR_X1_LIT = 0x58000001                               # ldr x1, :got:ext
ADR_X2 = 0x10000002                                   # adr x2, ext
ADRP_X3, ADRP_X7 = 0x90000003, 0x90000007             # adrp x3, ext / adrp x7, :got:ext
ADD_X0 = 0x91000000                                   # add x0, x0, #:lo12:ext
LDRB_W0, STRB_W0, LDRH_W0 = 0x39400000, 0x39000000, 0x79400000
LDR_W0, LDR_S0 = 0xB9400000, 0xBD400000               # ldr w0 / s0, [x0, #:lo12:ext]
LDR_X0, LDR_D0 = 0xF9400000, 0xFD400000               # ldr x0 / d0, [x0, #:lo12:ext]
LDR_Q0, STR_Q0 = 0x3DC00000, 0x3D800000               # ldr q0 / str q0, [x0, #:lo12:ext]
LDR_X4_X3, LDR_X7_X7 = 0xF9400064, 0xF94000E7         # ldr x4, [x3, ...] / x7, [x7, ...]
MOVZ_X6, MOVZ_X6_16, MOVZ_X6_32 = 0xD2800006, 0xD2A00006, 0xD2C00006
MOVZ_W6_16, MOVZ_W6_32 = 0x52A00006, 0x52C00006       # the second is unallocated
MOVZ_X5_48 = 0xD2E00005
MOVK_X5, MOVK_X5_16, MOVK_X5_32, MOVK_X5_48 = 0xF2800005, 0xF2A00005, 0xF2C00005, 0xF2E00005


# -- decoders: one per instruction form; each checks the opcode first ---------------------

def sext(value: int, bits: int) -> int:
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def branch26_target(instr: int, pc: int) -> int:
    assert instr & 0x7C000000 == 0x14000000, f"{instr:#x} is not B/BL"
    return pc + 4 * sext(instr & 0x03FFFFFF, 26)


def imm19_target(instr: int, pc: int) -> int:
    """B.cond, CBZ/CBNZ and LDR (literal): imm19 in bits 23:5, in words."""
    assert (instr & 0xFF000000 == 0x54000000 or instr & 0x7E000000 == 0x34000000
            or instr & 0x3B000000 == 0x18000000), f"{instr:#x} has no imm19"
    return pc + 4 * sext((instr >> 5) & 0x7FFFF, 19)


def imm14_target(instr: int, pc: int) -> int:
    assert instr & 0x7E000000 == 0x36000000, f"{instr:#x} is not TBZ/TBNZ"
    return pc + 4 * sext((instr >> 5) & 0x3FFF, 14)


def _immhi_immlo(instr: int) -> int:
    return sext(((instr >> 5) & 0x7FFFF) << 2 | (instr >> 29) & 3, 21)


def adr_target(instr: int, pc: int) -> int:
    assert instr & 0x9F000000 == 0x10000000, f"{instr:#x} is not ADR"
    return pc + _immhi_immlo(instr)


def adrp_page(instr: int, pc: int) -> int:
    assert instr & 0x9F000000 == 0x90000000, f"{instr:#x} is not ADRP"
    return (pc & ~0xFFF) + (_immhi_immlo(instr) << 12)


def lo12_offset(instr: int) -> int:
    """The byte offset of an ADD (immediate) or a LDR/STR (unsigned offset), scaled."""
    imm = (instr >> 10) & 0xFFF
    if instr & 0x7FC00000 == 0x11000000:
        return imm
    assert instr & 0x3B000000 == 0x39000000, f"{instr:#x} is not ADD/LDR/STR imm12"
    size = instr >> 30
    if instr & (1 << 26) and size == 0 and instr & (1 << 23):
        return imm * 16
    return imm << size


def movw_slice(instr: int) -> tuple[int, int]:
    """(shift, imm16) of a MOVZ/MOVK."""
    assert instr & 0x5F800000 == 0x52800000, f"{instr:#x} is not MOVZ/MOVK"
    return 16 * ((instr >> 21) & 3), (instr >> 5) & 0xFFFF


def through_stub(image: LinkedImage, stub: int) -> int:
    """The address the adrp/ldr/br x16 stub at `stub` jumps to."""
    words = struct.unpack("<III", segment_bytes(image, stub, 12))
    assert words[0] & 0x9F00001F == ADRP_X16
    assert words[1] & ~(0xFFF << 10) == LDR_X16_X16
    assert words[2] == BR_X16
    return read_u64(image, adrp_page(words[0], stub) + lo12_offset(words[1]))


# -- a tiny ELF writer ---------------------------------------------------------------------

def elf_object(text: bytes, text_relocs=(), data: bytes = b"", data_relocs=(),
               externs=()) -> bytes:
    """A relocatable AArch64 ELF object: .text with the global 'probe' at 0, .data with
    'blob' at 0, their .rela sections, and the undefined `externs`. A relocation is
    (offset, type name, symbol, addend), the symbol an extern, '.text', '.data' or
    '_GLOBAL_OFFSET_TABLE_'."""
    names = list(dict.fromkeys([*externs, *(r[2] for r in (*text_relocs, *data_relocs)
                                            if r[2] not in (".text", ".data"))]))
    strtab, shstrtab = bytearray(b"\0"), bytearray(b"\0")

    def string(table: bytearray, s: str) -> int:
        table += s.encode() + b"\0"
        return len(table) - len(s) - 1

    # name, info (bind << 4 | type), shndx: null, 2 section symbols, 2 globals, externals
    syms = [(0, 0, 0), (0, 3, 1), (0, 3, 2), (string(strtab, "probe"), 0x12, 1),
            (string(strtab, "blob"), 0x11, 2)] + [(string(strtab, n), 0x10, 0) for n in names]
    index = {".text": 1, ".data": 2, **{n: 5 + i for i, n in enumerate(names)}}
    symtab = b"".join(struct.pack("<IBBHQQ", n, info, 0, shndx, 0, 0) for n, info, shndx in syms)

    def rela(relocs) -> bytes:
        return b"".join(struct.pack("<QQq", off, index[sym] << 32 | RELOC[rtype], addend)
                        for off, rtype, sym, addend in relocs)

    # name, type, flags, data, link, info, align, entsize
    sections = [
        (".text", 1, 0x6, text, 0, 0, 4, 0),
        (".data", 1, 0x3, data, 0, 0, 8, 0),
        (".rela.text", 4, 0x40, rela(text_relocs), 5, 1, 8, 24),
        (".rela.data", 4, 0x40, rela(data_relocs), 5, 2, 8, 24),
        (".symtab", 2, 0, symtab, 6, 3, 8, 24),
        (".strtab", 3, 0, bytes(strtab), 0, 0, 1, 0),
        (".shstrtab", 3, 0, None, 0, 0, 1, 0),
    ]
    name_offsets = [string(shstrtab, s[0]) for s in sections]
    body, headers = bytearray(), [bytes(64)]
    for (name, typ, flags, content, link_, info, align, entsize), name_off in zip(
            sections, name_offsets):
        content = bytes(shstrtab) if content is None else content
        body += bytes(-len(body) % 8)
        headers.append(struct.pack("<IIQQQQIIQQ", name_off, typ, flags, 0, 64 + len(body),
                                   len(content), link_, info, align, entsize))
        body += content
    body += bytes(-len(body) % 8)
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    header = ident + struct.pack("<HHIQQQIHHHHHH", 1, 183, 1, 0, 0, 64 + len(body), 0, 64, 0,
                                 0, 64, len(headers), len(headers) - 1)
    return header + bytes(body) + b"".join(headers)


def words(*instrs: int) -> bytes:
    return struct.pack(f"<{len(instrs)}I", *instrs)


# Code at TEXT, the probed instruction 12 bytes in: P = 0x7f0000000ffc, its page 0x...0000,
# the next page 4 bytes later.
TEXT = RX_BASE + 0xFF0
AT = 12
P = TEXT + AT


def link_one(instr: int, reloc: str, target: int, addend: int = 0, *, rx: int = TEXT,
             symbol: str = "ext") -> tuple[LinkedImage, int]:
    """Link three NOPs and `instr` with `reloc` against `symbol` (at `target`) + addend;
    the patched instruction."""
    obj = elf_object(words(NOP, NOP, NOP, instr, NOP), [(AT, reloc, symbol, addend)])
    image = link(obj, Resolver({symbol: target}), FakeMemory(rx=rx))
    assert image.symbols["probe"] == rx
    return image, read_u32(image, rx + AT)


def fixup_error(reloc: str, where: int = P, symbol: str = "ext", section: str = ".text"):
    """The start of the LinkError a fixup raises: relocation, symbol, section, address."""
    return (rf"{reloc} against symbol '{symbol}' \(0x[0-9a-f]+\) in section "
            rf"'{re.escape(section)}' at {where:#x}: ")


def unchanged_outside(patched: int, instr: int, field: int) -> None:
    assert (patched ^ instr) & ~field & 0xFFFFFFFF == 0, \
        f"{patched:#010x} changed bits of {instr:#010x} outside its immediate"


# -- every PC-relative instruction: both ends of its range, one step beyond, misaligned ----

# relocation, instruction, decoder, reach (lowest and highest delta), alignment, imm field
PC_RELATIVE = [
    ("R_AARCH64_CALL26", BL, branch26_target, (-(1 << 27), (1 << 27) - 4), 4, 0x03FFFFFF),
    ("R_AARCH64_JUMP26", B, branch26_target, (-(1 << 27), (1 << 27) - 4), 4, 0x03FFFFFF),
    ("R_AARCH64_CONDBR19", B_EQ, imm19_target, (-MiB, MiB - 4), 4, 0x00FFFFE0),
    ("R_AARCH64_CONDBR19", CBZ_X0, imm19_target, (-MiB, MiB - 4), 4, 0x00FFFFE0),
    ("R_AARCH64_CONDBR19", CBNZ_W1, imm19_target, (-MiB, MiB - 4), 4, 0x00FFFFE0),
    ("R_AARCH64_TSTBR14", TBZ_W0_3, imm14_target, (-0x8000, 0x7FFC), 4, 0x0007FFE0),
    ("R_AARCH64_TSTBR14", TBNZ_W2_31, imm14_target, (-0x8000, 0x7FFC), 4, 0x0007FFE0),
    ("R_AARCH64_LD_PREL_LO19", LDR_X0_LIT, imm19_target, (-MiB, MiB - 4), 4, 0x00FFFFE0),
    ("R_AARCH64_LD_PREL_LO19", LDR_W0_LIT, imm19_target, (-MiB, MiB - 4), 4, 0x00FFFFE0),
    ("R_AARCH64_LD_PREL_LO19", LDR_Q0_LIT, imm19_target, (-MiB, MiB - 4), 4, 0x00FFFFE0),
    ("R_AARCH64_LD_PREL_LO19", LDRSW_X0_LIT, imm19_target, (-MiB, MiB - 4), 4, 0x00FFFFE0),
    ("R_AARCH64_ADR_PREL_LO21", ADR_X2, adr_target, (-MiB, MiB - 1), 1, 0x60FFFFE0),
]
PC_IDS = [f"{r[0][10:]}-{r[1]:08x}" for r in PC_RELATIVE]


@pytest.mark.parametrize("reloc, instr, decode, reach, align, field", PC_RELATIVE, ids=PC_IDS)
def test_pc_relative_reaches_both_ends_of_its_range(reloc, instr, decode, reach, align, field):
    """With an addend (so B/BL get no stub either): symbol + 8 is the destination."""
    lo, hi = reach
    for delta in (lo, hi, 0, 0x40, -0x44, 0x123 if align == 1 else 0x124):
        _, patched = link_one(instr, reloc, P + delta - 8, addend=8)
        assert decode(patched, P) == P + delta, hex(delta)
        unchanged_outside(patched, instr, field)


@pytest.mark.parametrize("reloc, instr, decode, reach, align, field", PC_RELATIVE, ids=PC_IDS)
def test_pc_relative_one_step_out_of_range_is_an_error(reloc, instr, decode, reach, align,
                                                       field):
    lo, hi = reach
    for dest in (P + lo - align, P + hi + align, FAR, FAR + (1 << 46)):
        with pytest.raises(LinkError, match=fixup_error(reloc) + r"value .* does not fit in "
                                            r"int\d+ \(\w+\): the target is not within"):
            link_one(instr, reloc, dest - 8, addend=8)


@pytest.mark.parametrize("reloc, instr, decode, reach, align, field",
                         [r for r in PC_RELATIVE if r[4] == 4],
                         ids=[i for i, r in zip(PC_IDS, PC_RELATIVE) if r[4] == 4])
def test_pc_relative_misaligned_target_is_an_error(reloc, instr, decode, reach, align, field):
    for dest in (P + 2, P - 1, P + 0x1001):
        with pytest.raises(LinkError, match=fixup_error(reloc) + r"PC-relative delta .* is "
                                                                 r"not a multiple of 4"):
            link_one(instr, reloc, dest - 8, addend=8)


@pytest.mark.parametrize("reloc, instr", [("R_AARCH64_CONDBR19", B_EQ),
                                          ("R_AARCH64_CONDBR19", CBZ_X0),
                                          ("R_AARCH64_TSTBR14", TBZ_W0_3)])
def test_conditional_branch_to_far_external_gets_no_stub(reloc, instr):
    """As in JITLink, only B/BL are given stubs; LLVM emits CONDBR19/TSTBR14 only for
    branches between sections of one object, never to an external symbol."""
    _, patched = link_one(instr, reloc, P + 0x7000)
    assert (imm14_target if reloc.endswith("TSTBR14") else imm19_target)(patched, P) == P + 0x7000
    with pytest.raises(LinkError, match=fixup_error(reloc) + r".*a conditional branch cannot "
                                                             r"go through a stub"):
        link_one(instr, reloc, FAR)


@pytest.mark.parametrize("code", [TEXT, 0xFFFFFFF0, 0x1000, (1 << 48) - 0x10000])
def test_adrp_reaches_pages_4_gib_either_way(code):
    """Page21: Page(S + A) - Page(P) in 21 signed bits of pages, from code placed near
    the bottom of memory, across a 4 GiB line, and near the top of the 48-bit space."""
    p = code + AT
    page = p & ~0xFFF
    for dest in (page + (1 << 32) - 0x1000, page + (1 << 32) - 1, page - (1 << 32), p,
                 p + 0x123456, page - 1):
        if dest < 8:
            continue
        image, patched = link_one(ADRP_X3, "R_AARCH64_ADR_PREL_PG_HI21", dest - 8, 8, rx=code)
        assert adrp_page(patched, p) == dest & ~0xFFF
        unchanged_outside(patched, ADRP_X3, 0x60FFFFE0)
    for dest in (page + (1 << 32), page - (1 << 32) - 1, FAR if code < (1 << 44) else 8):
        if dest < 8:
            continue
        with pytest.raises(LinkError, match=fixup_error("R_AARCH64_ADR_PREL_PG_HI21", p) +
                           r"value .* does not fit in int21 \(Page21\)"):
            link_one(ADRP_X3, "R_AARCH64_ADR_PREL_PG_HI21", dest - 8, 8, rx=code)


# -- page offsets: ADD and LDR/STR of every size ---------------------------------------------

LO12 = [
    ("R_AARCH64_ADD_ABS_LO12_NC", ADD_X0, 1),
    ("R_AARCH64_LDST8_ABS_LO12_NC", LDRB_W0, 1),
    ("R_AARCH64_LDST8_ABS_LO12_NC", STRB_W0, 1),
    ("R_AARCH64_LDST16_ABS_LO12_NC", LDRH_W0, 2),
    ("R_AARCH64_LDST32_ABS_LO12_NC", LDR_W0, 4),
    ("R_AARCH64_LDST32_ABS_LO12_NC", LDR_S0, 4),
    ("R_AARCH64_LDST64_ABS_LO12_NC", LDR_X0, 8),
    ("R_AARCH64_LDST64_ABS_LO12_NC", LDR_D0, 8),
    ("R_AARCH64_LDST128_ABS_LO12_NC", LDR_Q0, 16),
    ("R_AARCH64_LDST128_ABS_LO12_NC", STR_Q0, 16),
]


@pytest.mark.parametrize("reloc, instr, size", LO12, ids=[f"{r[10:]}-{i:08x}" for r, i, _ in LO12])
def test_page_offset_near_and_far(reloc, instr, size):
    """(S + A) & 0xfff, scaled by the access size; no range: near and far alike."""
    for dest in (NEAR_CODE + 0xFF0, FAR + 0x10, RW_BASE + 0x7F0, (FAR + 0xFFF) & -size,
                 0x1000):
        _, patched = link_one(instr, reloc, dest - 16, addend=16)
        assert lo12_offset(patched) == dest & 0xFFF
        unchanged_outside(patched, instr, 0xFFF << 10)


@pytest.mark.parametrize("reloc, instr, size", [r for r in LO12 if r[2] > 1],
                         ids=[r[0][10:] + f"-{r[1]:08x}" for r in LO12 if r[2] > 1])
def test_page_offset_misaligned_for_the_access_size(reloc, instr, size):
    with pytest.raises(LinkError, match=fixup_error(reloc) + rf"page offset 0x[0-9a-f]+ is "
                                        rf"not a multiple of the {size}-byte access size"):
        link_one(instr, reloc, NEAR_CODE + 0x100 + size // 2)


@pytest.mark.parametrize("reloc, instr", [
    ("R_AARCH64_LDST32_ABS_LO12_NC", LDR_X0), ("R_AARCH64_LDST64_ABS_LO12_NC", LDR_Q0),
    ("R_AARCH64_LDST128_ABS_LO12_NC", LDR_D0), ("R_AARCH64_LDST8_ABS_LO12_NC", ADD_X0),
    ("R_AARCH64_ADD_ABS_LO12_NC", LDRB_W0), ("R_AARCH64_ADR_PREL_PG_HI21", ADR_X2),
    ("R_AARCH64_ADR_PREL_LO21", ADRP_X3), ("R_AARCH64_CALL26", B_EQ),
    ("R_AARCH64_CONDBR19", TBZ_W0_3), ("R_AARCH64_TSTBR14", CBZ_X0),
    ("R_AARCH64_LD_PREL_LO19", LDR_X0), ("R_AARCH64_GOT_LD_PREL19", LDR_W0_LIT),
    ("R_AARCH64_LD64_GOT_LO12_NC", LDR_W0), ("R_AARCH64_LD64_GOTPAGE_LO15", LDR_D0),
    ("R_AARCH64_ADR_GOT_PAGE", ADD_X0), ("R_AARCH64_MOVW_UABS_G1", MOVZ_X6),
    ("R_AARCH64_MOVW_UABS_G0_NC", MOVK_X5_16), ("R_AARCH64_MOVW_UABS_G2", MOVZ_W6_32),
    ("R_AARCH64_MOVW_UABS_G3", MOVK_X5_32), ("R_AARCH64_MOVW_UABS_G0", NOP),
])
def test_instruction_must_fit_the_relocation(reloc, instr):
    """The access size of LDSTn, the group of MOVW_UABS_Gn and the instruction class of
    every other type are checked while the graph is built, before anything is patched."""
    with pytest.raises(LinkError, match=rf"{reloc} against symbol 'ext' in section '.text' "
                                        rf"at offset {AT:#x}: instruction {instr:#010x} is "
                                        rf"not "):
        link_one(instr, reloc, NEAR_CODE)


# -- MOVZ/MOVK slices of an absolute address (-mcmodel=large) -------------------------------

# relocation, instruction, its shift, the address limit of the checked kinds
MOVW = [
    ("R_AARCH64_MOVW_UABS_G0", MOVZ_X6, 0, 1 << 16),
    ("R_AARCH64_MOVW_UABS_G0_NC", MOVK_X5, 0, None),
    ("R_AARCH64_MOVW_UABS_G1", MOVZ_X6_16, 16, 1 << 32),
    ("R_AARCH64_MOVW_UABS_G1", MOVZ_W6_16, 16, 1 << 32),
    ("R_AARCH64_MOVW_UABS_G1_NC", MOVK_X5_16, 16, None),
    ("R_AARCH64_MOVW_UABS_G2", MOVZ_X6_32, 32, 1 << 48),
    ("R_AARCH64_MOVW_UABS_G2_NC", MOVK_X5_32, 32, None),
    ("R_AARCH64_MOVW_UABS_G3", MOVZ_X5_48, 48, None),
    ("R_AARCH64_MOVW_UABS_G3", MOVK_X5_48, 48, None),
]


@pytest.mark.parametrize("reloc, instr, shift, limit", MOVW,
                         ids=[f"{r[17:]}-{i:08x}" for r, i, _, _ in MOVW])
def test_move_wide_slices(reloc, instr, shift, limit):
    targets = [FAR + 0x1234, (1 << 64) - 0x10, NEAR_CODE, 0x12345678, 0x9ABC]
    for dest in targets:
        if limit is not None and dest >= limit:
            with pytest.raises(LinkError, match=fixup_error(reloc) + rf"value {dest:#x} does "
                               rf"not fit in uint{shift + 16} \(MoveWide16Checked\)"):
                link_one(instr, reloc, dest - 4, addend=4)
            continue
        _, patched = link_one(instr, reloc, dest - 4, addend=4)
        assert movw_slice(patched) == (shift, (dest >> shift) & 0xFFFF), hex(dest)
        unchanged_outside(patched, instr, 0xFFFF << 5)


@pytest.mark.parametrize("reloc, instr, kind", [
    ("R_AARCH64_MOVW_UABS_G0_NC", MOVK_X5, "MoveWide16"),
    ("R_AARCH64_ADR_PREL_PG_HI21", ADRP_X3, "Page21"),
    ("R_AARCH64_ADD_ABS_LO12_NC", ADD_X0, "PageOffset12"),
    ("R_AARCH64_CALL26", BL, "Branch26PCRel"),
    ("R_AARCH64_ADR_PREL_LO21", ADR_X2, "ADRLiteral21"),
])
def test_destination_below_0_is_an_error_not_a_wrap(reloc, instr, kind):
    """From code at 0x1000, symbol 8 - 16 is in every instruction's reach modulo 2^64."""
    with pytest.raises(LinkError, match=fixup_error(reloc, 0x1000 + AT) +
                       rf"value -0x8 does not fit in uint64 \({kind}\)"):
        link_one(instr, reloc, 8, addend=-16, rx=0x1000)


def test_large_code_model_from_llvm_builds_every_address():
    """LLVM's -mcmodel=large (static) builds the addresses of our own data with movz/movk
    G3, G2_NC, G1_NC, G0_NC (calls stay CALL26, external data goes through the GOT)."""
    o = compile_ir(PROGRAM, triple=AARCH64, codemodel="large", reloc="static")
    elf = read_elf(o)
    image = link_with(o, {"abs": FAR + 0x1230, "puts": NEAR_CODE + 0x40, "ext_g": FAR},
                      FakeMemory(rw=RW_BASE + 0x12340))
    text = section_address(image, o, ".text")
    built: dict[str, int] = {}
    slices: dict[str, list[str]] = {}
    for _, r in relocations(o, ".rela.text"):
        name = R_AARCH64_NAMES[r.type]
        if "MOVW" in name:
            sym = elf.symbols[r.sym]
            key = sym.name or elf.sections[sym.shndx].name
            shift, imm = movw_slice(read_u32(image, text + r.offset))
            built[key] = built.get(key, 0) | imm << shift
            slices.setdefault(key, []).append(name[20:])
    assert slices == {k: ["G0_NC", "G1_NC", "G2_NC", "G3"] for k in (".bss", ".rodata.str1.4")}
    assert built[".bss"] == image.symbols["counter"] >= RW_BASE + 0x12340
    assert RX_BASE < built[".rodata.str1.4"] < RX_BASE + 0x1000  # our string, our block
    assert segment_bytes(image, built[".rodata.str1.4"], 6) == b"hello\0"


# -- data ------------------------------------------------------------------------------------

DATA = RW_BASE + 0x7F8  # the datum is at DATA + 8


@pytest.mark.parametrize("reloc, fmt, delta", [
    ("R_AARCH64_ABS64", "<Q", False), ("R_AARCH64_ABS32", "<I", False),
    ("R_AARCH64_ABS16", "<H", False), ("R_AARCH64_PREL64", "<q", True),
    ("R_AARCH64_PREL32", "<i", True), ("R_AARCH64_PREL16", "<h", True),
])
def test_data_relocations(reloc, fmt, delta):
    size = struct.calcsize(fmt)
    bits = 8 * size
    place = DATA + 8
    if delta:  # S + A - P: signed
        ok = [place - (1 << (bits - 1)), place + (1 << (bits - 1)) - 1, place]
        bad = [place - (1 << (bits - 1)) - 1, place + (1 << (bits - 1))]
    else:  # S + A: unsigned
        ok = [(1 << bits) - 1, 0x10, FAR if bits == 64 else 0x1234]
        bad = [1 << bits] if bits < 64 else []
    ok, bad = [d for d in ok if d >= 4], [d for d in bad if d >= 4]
    for dest in ok + bad:
        obj = elf_object(words(NOP), data=bytes(16),
                         data_relocs=[(8, reloc, "ext", 4)], externs=["ext"])
        memory = FakeMemory(rw=DATA)
        if dest in bad:
            with pytest.raises(LinkError, match=fixup_error(reloc, place, section=".data") +
                               rf"value .* does not fit in u?int{bits}"):
                link(obj, Resolver({"ext": dest - 4}), memory)
            continue
        image = link(obj, Resolver({"ext": dest - 4}), memory)
        [value] = struct.unpack(fmt, segment_bytes(image, place, size))
        assert value == (dest - place if delta else dest), hex(dest)
        assert segment_bytes(image, DATA, 8) == bytes(8)  # nothing else written


# -- GOT: the three ways to load an entry ------------------------------------------------------

def test_got_page_and_lo12_near_and_far():
    for dest in (NEAR_CODE, FAR, 0):
        obj = elf_object(words(ADRP_X7, LDR_X7_X7),
                         [(0, "R_AARCH64_ADR_GOT_PAGE", "ext", 0),
                          (4, "R_AARCH64_LD64_GOT_LO12_NC", "ext", 0)])
        image = link(obj, Resolver({"ext": dest}), FakeMemory(rx=TEXT))
        entry = adrp_page(read_u32(image, TEXT), TEXT) + lo12_offset(read_u32(image, TEXT + 4))
        assert entry % 8 == 0 and TEXT < entry < TEXT + 0x100  # our GOT, after the code
        assert read_u64(image, entry) == dest


def test_got_literal_load():
    """GOT_LD_PREL19 (tiny code model: ldr x1, :got:ext) becomes LDRLiteral19 to the
    entry; it fails if the code pushes the GOT more than 1 MiB away."""
    image, patched = link_one(LDR_X1_LIT, "R_AARCH64_GOT_LD_PREL19", FAR)
    entry = imm19_target(patched, P)
    assert read_u64(image, entry) == FAR
    unchanged_outside(patched, LDR_X1_LIT, 0x00FFFFE0)
    big = words(LDR_X1_LIT) + words(NOP) * (MiB // 4)
    obj = elf_object(big, [(0, "R_AARCH64_GOT_LD_PREL19", "ext", 0)])
    with pytest.raises(LinkError, match=fixup_error("R_AARCH64_GOT_LD_PREL19", TEXT, "ext@GOT")
                       + r"value 0x100008 does not fit in int21 \(LDRLiteral19\)"):
        link(obj, Resolver({"ext": FAR}), FakeMemory(rx=TEXT))


def test_gotpage_lo15_from_the_got_symbol():
    """adrp x3, _GLOBAL_OFFSET_TABLE_ ; ldr x4, [x3, #:gotpage_lo15:ext]: the entry's offset
    from the GOT's page, for GOTs up to 32 KiB past that page."""
    names = [f"ext{i}" for i in range(4200)]
    code = [ADRP_X3] + [LDR_X4_X3] * len(names)
    relocs = [(0, "R_AARCH64_ADR_PREL_PG_HI21", "_GLOBAL_OFFSET_TABLE_", 0)]
    relocs += [(4 + 4 * i, "R_AARCH64_LD64_GOTPAGE_LO15", n, 0) for i, n in enumerate(names)]
    targets = {n: FAR + 0x10 * i for i, n in enumerate(names)}
    small = elf_object(words(*code[:3], NOP), relocs[:3])
    rx = RX_BASE + 0x800  # the GOT at 0x...810, 0x810 into its page
    image = link(small, Resolver(targets), FakeMemory(rx=rx))
    got_page = adrp_page(read_u32(image, rx), rx)
    assert got_page == RX_BASE
    for i in range(2):
        ldr = read_u32(image, rx + 4 + 4 * i)
        unchanged_outside(ldr, LDR_X4_X3, 0xFFF << 10)
        assert lo12_offset(ldr) == 0x810 + 8 * i
        assert read_u64(image, got_page + lo12_offset(ldr)) == targets[names[i]]
    # 4200 entries: the GOT starts 0x...ff0 + 16804 bytes of code in; the entries from 32 KiB
    # past its page on do not fit.
    with pytest.raises(LinkError, match=r"R_AARCH64_LD64_GOTPAGE_LO15 against symbol "
                                        r"'ext\d+@GOT'.*does not fit in uint15 "
                                        r"\(GotPageOffset15\)"):
        link(elf_object(words(*code), relocs), Resolver(targets), FakeMemory(rx=TEXT))


@pytest.mark.parametrize("reloc, instr", [
    ("R_AARCH64_ADR_GOT_PAGE", ADRP_X7), ("R_AARCH64_LD64_GOT_LO12_NC", LDR_X7_X7),
    ("R_AARCH64_GOT_LD_PREL19", LDR_X1_LIT), ("R_AARCH64_LD64_GOTPAGE_LO15", LDR_X4_X3),
])
def test_got_relocation_with_addend_is_refused(reloc, instr):
    """AAELF64 asks for a GOT entry holding S + A; LLVM never emits one, and sharing the
    entry of S with the addend applied to the entry's address would be wrong."""
    with pytest.raises(LinkError, match=rf"{reloc} against symbol 'ext'.*addend 0x8 on a GOT "
                                        rf"relocation is not supported"):
        link_one(instr, reloc, FAR, addend=8)


# -- far calls: stubs ---------------------------------------------------------------------------

@pytest.mark.parametrize("reloc, instr", [("R_AARCH64_CALL26", BL), ("R_AARCH64_JUMP26", B)])
def test_branch_near_goes_direct_far_through_stub(reloc, instr):
    for dest, direct in ((P + (1 << 27) - 4, True), (P - (1 << 27), True), (NEAR_CODE, True),
                         (P + (1 << 27), False), (P - (1 << 27) - 4, False), (MID_CODE, False),
                         (FAR, False), (P + 2, False)):
        image, patched = link_one(instr, reloc, dest)
        unchanged_outside(patched, instr, 0x03FFFFFF)
        landing = branch26_target(patched, P)
        if direct:
            assert landing == dest
        else:
            assert P < landing < P + 0x100, "the stub follows the code and its GOT"
            assert through_stub(image, landing) == dest


def test_calls_share_one_stub_and_one_got_entry_with_got_loads():
    code = words(BL, B, ADRP_X7, LDR_X7_X7, BL)
    relocs = [(0, "R_AARCH64_CALL26", "f", 0), (4, "R_AARCH64_JUMP26", "f", 0),
              (8, "R_AARCH64_ADR_GOT_PAGE", "f", 0), (12, "R_AARCH64_LD64_GOT_LO12_NC", "f", 0),
              (16, "R_AARCH64_CALL26", "g", 0)]
    image = link(elf_object(code, relocs), Resolver({"f": FAR, "g": FAR + 0x40}),
                 FakeMemory(rx=TEXT))
    stub_f = branch26_target(read_u32(image, TEXT), TEXT)
    assert branch26_target(read_u32(image, TEXT + 4), TEXT + 4) == stub_f
    stub_g = branch26_target(read_u32(image, TEXT + 16), TEXT + 16)
    # 20 bytes of code, the GOT (f, g) at 8-byte alignment, the stubs at 16
    assert (stub_f, stub_g) == (TEXT + 0x30, TEXT + 0x30 + len(POINTER_JUMP_STUB))
    entry = adrp_page(read_u32(image, TEXT + 8), TEXT + 8) + lo12_offset(
        read_u32(image, TEXT + 12))
    assert entry == TEXT + 0x18
    stub_words = struct.unpack("<II", segment_bytes(image, stub_f, 8))
    assert adrp_page(stub_words[0], stub_f) + lo12_offset(stub_words[1]) == entry
    assert through_stub(image, stub_f) == FAR and through_stub(image, stub_g) == FAR + 0x40
    [rx] = [s for s in image.segments if s.perm == "rx"]
    assert len(rx.data) == 0x30 + 2 * len(POINTER_JUMP_STUB)


def test_stub_and_got_across_the_4_gib_line():
    """Code just below 4 GiB, its GOT and stubs just above: ADRP's page arithmetic across
    the line (all of one allocation, so always within ADRP's +-4 GiB)."""
    rx = (1 << 32) - 0x10
    obj = elf_object(words(ADRP_X7, LDR_X7_X7, BL, NOP),
                     [(0, "R_AARCH64_ADR_GOT_PAGE", "f", 0),
                      (4, "R_AARCH64_LD64_GOT_LO12_NC", "f", 0),
                      (8, "R_AARCH64_CALL26", "f", 0)])
    image = link(obj, Resolver({"f": FAR}), FakeMemory(rx=rx))
    entry = adrp_page(read_u32(image, rx), rx) + lo12_offset(read_u32(image, rx + 4))
    stub = branch26_target(read_u32(image, rx + 8), rx + 8)
    assert rx + 8 < 1 << 32 <= entry < stub
    assert read_u64(image, entry) == FAR and through_stub(image, stub) == FAR


@pytest.mark.parametrize("got_distance, ok", [
    ((1 << 32) - 0x1000, True), (-(1 << 32), True), (0x10, True),
    (1 << 32, False), (-(1 << 32) - 0x1000, False), (1 << 40, False),
])
def test_stub_reaches_its_got_entry_within_4_gib_only(got_distance, ok):
    """Our layout keeps the GOT next to the stubs; if it were placed elsewhere the stub's
    ADRP reaches an entry up to 4 GiB away and no farther (JITLink's stubs alike)."""
    stub_at = RX_BASE + 0x2000
    stubs = Block("$__STUBS", "rx", 16, bytearray(POINTER_JUMP_STUB), address=stub_at)
    got = Block("$__GOT", "rx", 8, bytearray(16), address=stub_at + got_distance)
    entry = LinkSymbol("ext@GOT", got, 8)
    got.edges.append(Edge(ARCH.got_entry_kind, 8, LinkSymbol("ext", None, FAR), 0, "GOT entry"))
    stubs.edges = [Edge(kind, at, entry, addend, "stub") for kind, at, addend in ARCH.stub_edges]
    apply = [(got, e) for e in got.edges] + [(stubs, e) for e in stubs.edges]
    if not ok:
        with pytest.raises(LinkError, match=r"stub against symbol 'ext@GOT' .* in section "
                           r"'\$__STUBS' at 0x7f0000002000: value .* does not fit in int21 "
                           r"\(Page21\)"):
            for block, edge in apply:
                ARCH.apply_fixup(block, edge, got.address)
        return
    for block, edge in apply:
        ARCH.apply_fixup(block, edge, got.address)
    adrp, ldr, br = struct.unpack("<III", stubs.data)
    assert adrp_page(adrp, stub_at) + lo12_offset(ldr) == got.address + 8 and br == BR_X16
    assert struct.unpack_from("<Q", got.data, 8)[0] == FAR


# -- what our own pipeline emits, every fixup checked ---------------------------------------

# Expressions over conftest's World; between them they produce every relocation type that
# relocations.py's docstring lists as measured.
JUMP_TABLE = "int r = 0; " + " else ".join(
    f"if (x == {i}) r = add2(y, {i});" if i % 2 else f"if (x == {i}) r = (int)scale(d, {i});"
    for i in range(16)) + " r"
PIPELINE = {
    "globals": "u + l + arr[x] + st.g + un.i",
    "calls": "add2(x, y) + (int)scale(d, c)",
    "tail_call": "(void)add2(1, 2)",
    "fn_address": "fp = add2; (long)fp + (fp == add2)",
    "strings": '(x == 0 ? "zero" : x == 1 ? "one" : x == 2 ? "two" : x == 3 ? "three" : '
               'x == 4 ? "four" : "many")[y & 1]',
    "snprintf": 'char buf[16]; snprintf(buf, 16, "%d", x); buf[0]',
    "double_const": "d * 3.14159 + 2.718281828",
    "long_double": "(long double)d * 3.14159265358979323846L + (long double)x",
    "zeroed_array": "int a[64] = {1, 2}; for (int i = 2; i < 64; i++) a[i] = a[i-1] + "
                    "a[i-2]; a[x & 63]",
    "jump_table": JUMP_TABLE,
    "address_table": "x == 0 ? &u : x == 1 ? (unsigned*)&l : x == 2 ? (unsigned*)arr : "
                     "x == 3 ? (unsigned*)&st : (unsigned*)0",
}
MEASURED = {"R_AARCH64_ADR_GOT_PAGE", "R_AARCH64_LD64_GOT_LO12_NC", "R_AARCH64_CALL26",
            "R_AARCH64_JUMP26", "R_AARCH64_ADR_PREL_PG_HI21", "R_AARCH64_ADD_ABS_LO12_NC",
            "R_AARCH64_LDST64_ABS_LO12_NC", "R_AARCH64_LDST128_ABS_LO12_NC", "R_AARCH64_ABS64"}


def compile_c(source: str, provider, opt: int) -> bytes:
    program = analyze(source, provider)
    return compile_module(gen_module(program, AARCH64), AARCH64, opt=opt)


def externals_of(obj: bytes, where: int) -> dict[str, int]:
    """An address for every undefined symbol: distinct, 16 bytes apart, from `where`."""
    elf = read_elf(obj)
    names = sorted({s.name for s in elf.symbols if s.name and s.shndx == 0})
    return {n: where + 0x10 * i for i, n in enumerate(names)}


def check_every_fixup(obj: bytes, image: LinkedImage, externals: dict[str, int]) -> set[str]:
    """Decode each patched instruction and datum of `obj` and check it reaches its target:
    an external at its address (directly, through its stub, or through its GOT entry), or
    a section of ours, wherever the linker put it (consistently, with the right bytes).
    Returns the relocation types seen."""
    elf = read_elf(obj)
    text = section_address(image, obj, ".text")
    pages: dict[tuple, set[int]] = {}
    lows: dict[tuple, set[int]] = {}
    data_relocs, seen = [], set()
    for sec in elf.sections:
        target_sec = elf.sections[sec.info] if sec.type == SHT_RELA else None
        if target_sec is None or not target_sec.is_alloc or target_sec.name == ".eh_frame":
            continue
        for r in elf.relocations(sec):
            name = R_AARCH64_NAMES[r.type]
            seen.add(name)
            sym = elf.symbols[r.sym]
            key = (sym.name or elf.sections[sym.shndx].name, r.addend,
                   "GOT" in name)
            if target_sec.name != ".text":
                data_relocs.append((target_sec, r, key))
                continue
            pc = text + r.offset
            instr = read_u32(image, pc)
            if name in ("R_AARCH64_CALL26", "R_AARCH64_JUMP26"):
                dest = externals[key[0]] + r.addend
                landing = branch26_target(instr, pc)
                if -(1 << 27) <= dest - pc < 1 << 27:
                    assert landing == dest, name
                else:
                    assert through_stub(image, landing) == dest, name
            elif name in ("R_AARCH64_ADR_PREL_PG_HI21", "R_AARCH64_ADR_GOT_PAGE"):
                pages.setdefault(key, set()).add(adrp_page(instr, pc))
            else:
                assert "LO12" in name, f"unexpected {name} in .text"
                lows.setdefault(key, set()).add(lo12_offset(instr))
    bases: dict[str, set[int]] = {}
    for key, page_set in pages.items():
        [page], [low] = page_set, lows.pop(key)
        address = page + low
        symbol, addend, got = key
        if got:
            assert read_u64(image, address) == externals[symbol]
        elif symbol in externals:
            assert address == externals[symbol] + addend
        else:
            bases.setdefault(symbol, set()).add(address - addend)
    assert not lows, f"page offsets without their ADRP: {lows}"
    relocated = {s.name for s, _, _ in data_relocs}
    for sec in elf.sections:
        if sec.name in bases:
            [base] = bases[sec.name]
            if sec.name not in relocated:
                assert segment_bytes(image, base, len(sec.data)) == sec.data
    for sec, r, (symbol, addend, _) in data_relocs:
        assert R_AARCH64_NAMES[r.type] == "R_AARCH64_ABS64"
        [base] = bases[sec.name]
        assert read_u64(image, base + r.offset) == externals[symbol] + addend
    return seen


@pytest.mark.parametrize("opt", [0, 2])
@pytest.mark.parametrize("placement", ["near", "far"])
@pytest.mark.parametrize("name", list(PIPELINE))
def test_pipeline_objects_link_correctly(name, placement, opt, provider):
    obj = compile_c(PIPELINE[name], provider, opt)
    externals = externals_of(obj, NEAR_CODE if placement == "near" else FAR)
    image = link_with(obj, externals)
    check_every_fixup(obj, image, externals)


def test_pipeline_emits_the_measured_relocations(provider):
    """The relocation types our front end's code needs, as relocations.py's docstring
    records them; if LLVM or irgen start emitting others, update that record."""
    seen = set()
    for source in PIPELINE.values():
        for opt in (0, 2):
            elf = read_elf(compile_c(source, provider, opt))
            seen |= {R_AARCH64_NAMES[r.type] for sec in elf.sections
                     if sec.type == SHT_RELA and sec.name != ".rela.eh_frame"
                     for r in elf.relocations(sec)}
    assert seen == MEASURED
    assert all(RELOCATIONS.get(RELOC[n], (None,))[0] is not None for n in seen)


# -- llvmlite's PROGRAM (calls, GOT, strings, .bss, COMMON, a pointer table) ---------------

def obj() -> bytes:
    return compile_ir(PROGRAM, triple=AARCH64)


def fixups(o: bytes, section: str = ".rela.text") -> dict[str, list[int]]:
    return relocation_offsets(o, section, R_AARCH64_NAMES)


def test_calls_near_direct_far_through_stub():
    o = obj()
    f = fixups(o)
    for where, direct in ((NEAR_CODE, True), (MID_CODE, False), (FAR, False)):
        image = link_with(o, {"abs": where, "puts": FAR, "ext_g": FAR})
        text = section_address(image, o, ".text")
        [call] = f["R_AARCH64_CALL26 abs"]
        dest = branch26_target(read_u32(image, text + call), text + call)
        if direct:
            assert dest == where
        else:
            assert dest != where and through_stub(image, dest) == where


def test_got_load_and_page_references():
    o = obj()
    f = fixups(o)
    image = link_with(o, {"abs": FAR, "puts": FAR, "ext_g": FAR + 0x40})
    text = section_address(image, o, ".text")

    def address(page_at: int, lo_at: int) -> int:
        return (adrp_page(read_u32(image, text + page_at), text + page_at)
                + lo12_offset(read_u32(image, text + lo_at)))

    [page] = f["R_AARCH64_ADR_GOT_PAGE ext_g"]
    [lo12] = f["R_AARCH64_LD64_GOT_LO12_NC ext_g"]
    assert read_u64(image, address(page, lo12)) == FAR + 0x40
    # counter (in .bss, rw block) through adrp + ldr w (scale 4)
    [bss_page] = f["R_AARCH64_ADR_PREL_PG_HI21 .bss"]
    [bss_lo] = f["R_AARCH64_LDST32_ABS_LO12_NC .bss"]
    assert address(bss_page, bss_lo) == image.symbols["counter"] >= RW_BASE
    # the string constant through adrp + add
    [str_page] = f["R_AARCH64_ADR_PREL_PG_HI21 .rodata.str1.4"]
    [str_lo] = f["R_AARCH64_ADD_ABS_LO12_NC .rodata.str1.4"]
    assert segment_bytes(image, address(str_page, str_lo), 6) == b"hello\0"


SIZED_LOADS = r"""
@b = internal global i8 1
@h = internal global i16 2, align 2
@w = internal global i64 3, align 8
define i64 @sum() {
  %b = load i8, ptr @b
  %h = load i16, ptr @h
  %w = load i64, ptr @w
  %b64 = zext i8 %b to i64
  %h64 = zext i16 %h to i64
  %s = add i64 %b64, %h64
  %t = add i64 %s, %w
  ret i64 %t
}
"""


@pytest.mark.parametrize("reloc, symbol", [
    ("R_AARCH64_LDST8_ABS_LO12_NC", "b"),
    ("R_AARCH64_LDST16_ABS_LO12_NC", "h"),
    ("R_AARCH64_LDST64_ABS_LO12_NC", "w"),
])
def test_scaled_load_offsets(reloc, symbol):
    o = compile_ir(SIZED_LOADS, triple=AARCH64)
    f = fixups(o)
    # Place .data so that the page offsets are not zero.
    image = link_with(o, {}, FakeMemory(rw=RW_BASE + 0x7F0))
    text = section_address(image, o, ".text")
    # One ADRP per global, all to the same page here.
    [page] = {adrp_page(read_u32(image, text + p), text + p)
              for p in f["R_AARCH64_ADR_PREL_PG_HI21 .data"]}
    [lo] = f[f"{reloc} .data"]
    assert image.symbols[symbol] & 0xFFF  # a real offset, not 0
    assert page + lo12_offset(read_u32(image, text + lo)) == image.symbols[symbol]


def test_function_pointer_table_abs64():
    image = link_with(obj(), {"abs": FAR, "puts": FAR + 4, "ext_g": FAR})
    table = image.symbols["table"]
    assert [read_u64(image, table + 8 * i) for i in range(3)] == [
        FAR, image.symbols["helper"], FAR + 4]


def test_opcode_is_checked_before_patching():
    o = bytearray(obj())
    [call] = fixups(bytes(o))["R_AARCH64_CALL26 abs"]
    text_offset = next(s.offset for s in read_elf(bytes(o)).sections if s.name == ".text")
    struct.pack_into("<I", o, text_offset + call, NOP)
    with pytest.raises(LinkError, match=r"R_AARCH64_CALL26 against symbol 'abs'.*"
                                        r"section '.text'.*0xd503201f is not B or BL"):
        link_with(bytes(o), {"abs": NEAR_CODE, "puts": FAR, "ext_g": FAR})


def test_page21_out_of_range():
    """.text reaches .bss by ADRP (+-4 GiB); rw placed 8 GiB away cannot work."""
    mem = FakeMemory(rw=RX_BASE + (8 << 30))
    with pytest.raises(LinkError, match=r"R_AARCH64_ADR_PREL_PG_HI21 against symbol "
                                        r"'.bss'.*section '.text'.*int21"):
        link_with(obj(), {"abs": FAR, "puts": FAR, "ext_g": FAR}, mem)


def test_misaligned_ldst_offset_is_an_error():
    o = obj()
    index = next(i for i, (_, r) in enumerate(relocations(o, ".rela.text"))
                 if R_AARCH64_NAMES[r.type] == "R_AARCH64_LDST32_ABS_LO12_NC")
    o = with_reloc(o, ".rela.text", index, addend=2)
    with pytest.raises(LinkError, match="not a multiple of the 4-byte access size"):
        link_with(o, {"abs": FAR, "puts": FAR, "ext_g": FAR})


@pytest.mark.parametrize("rtype", [270, 276, 287, 307, 314, 562, 1026, 4000])
def test_unsupported_relocation_is_named(rtype):
    name = R_AARCH64_NAMES.get(rtype, f"type {rtype}")
    o = with_reloc(obj(), ".rela.text", 0, rtype=rtype)
    with pytest.raises(LinkError, match=f"unsupported AArch64 relocation {name} against"):
        link_with(o, {"abs": FAR, "puts": FAR, "ext_g": FAR})


# -- cross-checks with binutils ---------------------------------------------------------------

# One instruction of each form: gas source, our encoding, the relocation gas picks
FORMS = [
    ("bl ext", BL, "R_AARCH64_CALL26"),
    ("b ext", B, "R_AARCH64_JUMP26"),
    ("b.eq ext", B_EQ, "R_AARCH64_CONDBR19"),
    ("cbz x0, ext", CBZ_X0, "R_AARCH64_CONDBR19"),
    ("cbnz w1, ext", CBNZ_W1, "R_AARCH64_CONDBR19"),
    ("tbz w0, #3, ext", TBZ_W0_3, "R_AARCH64_TSTBR14"),
    ("tbnz w2, #31, ext", TBNZ_W2_31, "R_AARCH64_TSTBR14"),
    ("ldr x0, ext", LDR_X0_LIT, "R_AARCH64_LD_PREL_LO19"),
    ("ldr w0, ext", LDR_W0_LIT, "R_AARCH64_LD_PREL_LO19"),
    ("ldr q0, ext", LDR_Q0_LIT, "R_AARCH64_LD_PREL_LO19"),
    ("ldrsw x0, ext", LDRSW_X0_LIT, "R_AARCH64_LD_PREL_LO19"),
    ("adr x2, ext", ADR_X2, "R_AARCH64_ADR_PREL_LO21"),
    ("adrp x3, ext", ADRP_X3, "R_AARCH64_ADR_PREL_PG_HI21"),
    ("add x0, x0, #:lo12:ext", ADD_X0, "R_AARCH64_ADD_ABS_LO12_NC"),
    ("ldrb w0, [x0, #:lo12:ext]", LDRB_W0, "R_AARCH64_LDST8_ABS_LO12_NC"),
    ("strb w0, [x0, #:lo12:ext]", STRB_W0, "R_AARCH64_LDST8_ABS_LO12_NC"),
    ("ldrh w0, [x0, #:lo12:ext]", LDRH_W0, "R_AARCH64_LDST16_ABS_LO12_NC"),
    ("ldr w0, [x0, #:lo12:ext]", LDR_W0, "R_AARCH64_LDST32_ABS_LO12_NC"),
    ("ldr s0, [x0, #:lo12:ext]", LDR_S0, "R_AARCH64_LDST32_ABS_LO12_NC"),
    ("ldr x0, [x0, #:lo12:ext]", LDR_X0, "R_AARCH64_LDST64_ABS_LO12_NC"),
    ("ldr d0, [x0, #:lo12:ext]", LDR_D0, "R_AARCH64_LDST64_ABS_LO12_NC"),
    ("ldr q0, [x0, #:lo12:ext]", LDR_Q0, "R_AARCH64_LDST128_ABS_LO12_NC"),
    ("str q0, [x0, #:lo12:ext]", STR_Q0, "R_AARCH64_LDST128_ABS_LO12_NC"),
    ("movz x6, #:abs_g0:ext0", MOVZ_X6, "R_AARCH64_MOVW_UABS_G0"),
    ("movk x5, #:abs_g0_nc:ext", MOVK_X5, "R_AARCH64_MOVW_UABS_G0_NC"),
    ("movz x6, #:abs_g1:ext1", MOVZ_X6_16, "R_AARCH64_MOVW_UABS_G1"),
    ("movz w6, #:abs_g1:ext1", MOVZ_W6_16, "R_AARCH64_MOVW_UABS_G1"),
    ("movk x5, #:abs_g1_nc:ext", MOVK_X5_16, "R_AARCH64_MOVW_UABS_G1_NC"),
    ("movz x6, #:abs_g2:ext", MOVZ_X6_32, "R_AARCH64_MOVW_UABS_G2"),
    ("movk x5, #:abs_g2_nc:ext", MOVK_X5_32, "R_AARCH64_MOVW_UABS_G2_NC"),
    ("movz x5, #:abs_g3:ext", MOVZ_X5_48, "R_AARCH64_MOVW_UABS_G3"),
    ("movk x5, #:abs_g3:ext", MOVK_X5_48, "R_AARCH64_MOVW_UABS_G3"),
    ("ldr x1, :got:ext", LDR_X1_LIT, "R_AARCH64_GOT_LD_PREL19"),
    ("adrp x7, :got:ext", ADRP_X7, "R_AARCH64_ADR_GOT_PAGE"),
    ("ldr x7, [x7, #:got_lo12:ext]", LDR_X7_X7, "R_AARCH64_LD64_GOT_LO12_NC"),
    ("adrp x3, _GLOBAL_OFFSET_TABLE_", ADRP_X3, "R_AARCH64_ADR_PREL_PG_HI21"),
    ("ldr x4, [x3, #:gotpage_lo15:ext]", LDR_X4_X3, "R_AARCH64_LD64_GOTPAGE_LO15"),
]
# ext within every form's reach (TBZ: +-32 KiB), 16-byte aligned (ldr q); ext0 and ext1 small
# enough for the checked MOVW_UABS_G0 and G1; far for a stub
CROSS_TARGETS = {"ext": TEXT + 0x4000 + 0x240, "ext0": 0xBEEF, "ext1": 0xDEADBEEF,
                 "far": FAR}


def forms_object(*extra: tuple[int, str, str]) -> bytes:
    """FORMS, one instruction each, then `extra` (instruction, relocation, symbol)."""
    forms = [(instr, reloc, re.search(r"\b(ext\d?|_GLOBAL_OFFSET_TABLE_)\b", src).group(1))
             for src, instr, reloc in FORMS] + list(extra)
    return elf_object(words(*(f[0] for f in forms)),
                      [(4 * i, reloc, symbol, 0) for i, (_, reloc, symbol) in enumerate(forms)])


def meaning(instr: int, pc: int) -> tuple:
    """What an instruction refers to, from our decoders: an address, a page, a page
    offset, or a slice of an absolute address."""
    if instr & 0x5F800000 == 0x52800000:
        shift, imm = movw_slice(instr)
        return ("movw", imm << shift)
    for decode in (branch26_target, imm19_target, imm14_target, adr_target):
        try:
            return ("address", decode(instr, pc))
        except AssertionError:
            pass
    try:
        return ("page", adrp_page(instr, pc))
    except AssertionError:
        return ("offset", lo12_offset(instr))


def objdump_meaning(line: str) -> tuple:
    """The same from one line of `objdump -D` on raw bytes."""
    mnemonic, _, operands = line.split("//")[0].strip().partition("\t")
    operands = operands.strip()
    addresses = [int(n, 16) for n in re.findall(r"\b0x[0-9a-f]+", operands)]
    immediates = [int(n, 0) for n in re.findall(r"#(0x[0-9a-f]+|\d+)", operands)]
    if mnemonic in ("movz", "movk", "mov"):
        shift = re.search(r"lsl #(\d+)", operands)
        return ("movw", immediates[0] << (int(shift.group(1)) if shift else 0))
    if mnemonic == "adrp":
        return ("page", addresses[-1])
    if "[" in operands or mnemonic == "add":
        return ("offset", immediates[-1] if immediates else 0)
    return ("address", addresses[-1])


OBJDUMP = shutil.which("aarch64-linux-gnu-objdump")
GAS = shutil.which("aarch64-linux-gnu-as")


@pytest.mark.skipif(OBJDUMP is None, reason="aarch64-linux-gnu-objdump is not installed")
def test_patched_instructions_agree_with_objdump(tmp_path):
    obj = forms_object((BL, "R_AARCH64_CALL26", "far"))
    image = link(obj, Resolver(CROSS_TARGETS), FakeMemory(rx=TEXT))
    [rx] = [s for s in image.segments if s.perm == "rx"]
    raw = tmp_path / "rx.bin"
    raw.write_bytes(rx.data)
    out = subprocess.run([OBJDUMP, "-b", "binary", "-m", "aarch64", "-D",
                          f"--adjust-vma={rx.address:#x}", str(raw)],
                         capture_output=True, text=True, check=True).stdout
    lines = {}
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+([0-9a-f]{8})\s+(.*)", line)
        if m:
            lines[int(m.group(1), 16)] = (int(m.group(2), 16), m.group(3))
    checked = 0
    for i in range(len(FORMS) + 1):
        pc = TEXT + 4 * i
        word, text = lines[pc]
        assert word == read_u32(image, pc)
        assert objdump_meaning(text) == meaning(word, pc), text
        checked += 1
    # the far call's stub: adrp/ldr/br x16 as objdump reads it
    stub = branch26_target(read_u32(image, TEXT + 4 * len(FORMS)), TEXT + 4 * len(FORMS))
    assert [lines[stub + 4 * k][1].split()[0] for k in range(3)] == ["adrp", "ldr", "br"]
    page = objdump_meaning(lines[stub][1])[1]
    offset = objdump_meaning(lines[stub + 4][1])[1]
    assert read_u64(image, page + offset) == FAR
    assert checked == len(FORMS) + 1


@pytest.mark.skipif(GAS is None, reason="aarch64-linux-gnu-as is not installed")
def test_instruction_forms_agree_with_gas(tmp_path):
    """gas assembles FORMS to our encodings with our relocation types; and the object it
    writes links like ours."""
    source = tmp_path / "forms.s"
    source.write_text(".text\n.globl probe\nprobe:\n" + "".join(
        f"  {src}\n" for src, _, _ in FORMS))
    out = tmp_path / "forms.o"
    subprocess.run([GAS, str(source), "-o", str(out)], check=True, capture_output=True)
    gas_obj = out.read_bytes()
    elf = read_elf(gas_obj)
    text = next(s for s in elf.sections if s.name == ".text")
    assert struct.unpack(f"<{len(FORMS)}I", text.data) == tuple(f[1] for f in FORMS)
    rels = {r.offset: R_AARCH64_NAMES[r.type] for _, r in relocations(gas_obj, ".rela.text")}
    assert [rels[4 * i] for i in range(len(FORMS))] == [f[2] for f in FORMS]
    ours = link(forms_object(), Resolver(CROSS_TARGETS), FakeMemory(rx=TEXT))
    theirs = link(gas_obj, Resolver(CROSS_TARGETS), FakeMemory(rx=TEXT))
    for i in range(len(FORMS)):
        assert read_u32(theirs, TEXT + 4 * i) == read_u32(ours, TEXT + 4 * i), FORMS[i][0]


# -- run under qemu: our code linked into a gcc-compiled static program ------------------------

GCC = shutil.which("aarch64-linux-gnu-gcc")
NM = shutil.which("aarch64-linux-gnu-nm")
QEMU = shutil.which("qemu-aarch64")

# The debuggee side of conftest's World, by link name, and a loader: it maps each segment
# named on the command line (address:size:perm, bytes read in order from the image file)
# at its address, calls __lldb_jit_expr(frame, result) and prints the result block in hex.
HOST_C = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

struct S { int a; char b; unsigned f1 : 3; int f2 : 5; long g; };
union U { int i; float f; };
unsigned jt_u = 4000000000u;
long jt_l = -1234567890123L;
float jt_f = 1.25f;
int jt_arr[4] = {1, 2, 3, 4};
struct S jt_st = {10, 'z', 5, -7, 99};
union U jt_un = {.f = 1.0f};
int jt_add2(int a, int b) { return a + b; }
double jt_scale(double v, char k) { return v * k; }

/* glibc's strlen and memset are IFUNCs, whose symbol is the resolver: LLDB resolves them
   for the session; here plain functions stand in. */
unsigned long host_strlen(const char *s) { unsigned long n = 0; while (s[n]) n++; return n; }
void *host_memset(void *p, int c, unsigned long n) {
    for (unsigned long i = 0; i < n; i++)
        ((volatile unsigned char *)p)[i] = c;
    return p;
}

int main(int argc, char **argv) {
    FILE *image = fopen(argv[1], "rb");
    void (*entry)(void *, void *) = (void (*)(void *, void *))strtoul(argv[2], 0, 16);
    if (!image)
        return 2;
    for (int i = 3; i < argc; i++) {
        unsigned long address, size;
        char perm[3];
        if (sscanf(argv[i], "%lx:%lx:%2s", &address, &size, perm) != 3)
            return 3;
        unsigned long length = (size + 0xfff) & ~0xfffUL;
        void *at = mmap((void *)address, length, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (at != (void *)address || fread(at, 1, size, image) != size)
            return 4;
        if (perm[1] == 'x') {
            __builtin___clear_cache((char *)at, (char *)at + size);
            if (mprotect(at, length, PROT_READ | PROT_EXEC))
                return 5;
        }
    }
    void *frame[1] = {0};
    unsigned char result[32] = {0};
    entry(frame, result);
    for (int i = 0; i < 32; i++)
        printf("%02x", result[i]);
    printf("\n");
    return 0;
}
"""
# What the expressions call that is not in HOST_C: libc and libgcc's fp128 routines
HOST_ALIASES = {"strlen": "host_strlen", "memset": "host_memset"}
HOST_LIBCALLS = ["snprintf", "__addtf3", "__subtf3", "__multf3",
                 "__divtf3", "__extendsftf2", "__extenddftf2", "__trunctfdf2", "__floatsitf",
                 "__floatditf", "__fixtfsi", "__fixtfdi", "__lttf2", "__gttf2", "__unordtf2"]
HOST_JUMP_TABLE = "int k = arr[1]; int r = 0; " + " else ".join(
    f"if (k == {i}) r = add2(k, {100 * i});" if i % 2 else
    f"if (k == {i}) r = (int)scale(k, {i + 1});" for i in range(16)) + " r"
# expression, struct format of its result, the value (None: the address of a host symbol)
RUNS = [
    ("u + l + arr[2] + add2(3, 4)", "<q", 4000000000 - 1234567890123 + 3 + 7),
    ("(int)scale(2.5, 3) + add2(arr[0], arr[3])", "<i", 12),
    ("f * 3.14159", "<d", 1.25 * 3.14159),
    ("(double)((long double)f * 3.0L + (long double)l)", "<d", 3.75 - 1234567890123),
    ('(int)(unsigned long)strlen("hello, world")', "<i", 12),
    ('char b[32]; snprintf(b, 32, "%ld|%s", l, "ok"); (int)(unsigned long)strlen(b)', "<i",
     len("-1234567890123|ok")),
    (HOST_JUMP_TABLE, "<i", 6),  # k = 2: (int)scale(2, 3)
    ("arr[3] = add2(arr[3], 10); arr[3] * 2", "<i", 28),
    ("arr[1] == 0 ? &u : arr[1] == 1 ? (unsigned*)&l : arr[1] == 2 ? (unsigned*)arr : "
     "arr[1] == 3 ? (unsigned*)&st : (unsigned*)0", "<Q", None),
    ("(void)add2(1, 2)", None, None),
]
PLACES = {"near": (0x2000000, 0x2100000),  # 32 MiB: calls within BL's reach
          "mid": (0x40000000, 0x40100000),  # 1 GiB: calls through stubs
          # 32 TiB: out of every PC-relative range, and below where the kernel's randomized
          # mmap base (the top 1 TiB or so under 128 TiB) may have put qemu's own mappings
          "far": (0x200000000000, 0x200000100000)}


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """The static host program and its symbols' addresses (not the IFUNCs')."""
    if not (GCC and NM and QEMU):
        pytest.skip("aarch64-linux-gnu-gcc, aarch64-linux-gnu-nm or qemu-aarch64 missing")
    work = tmp_path_factory.mktemp("host")
    (work / "host.c").write_text(HOST_C)
    subprocess.run([GCC, "-static", "-O1", "-o", str(work / "host"), str(work / "host.c"),
                    *(f"-Wl,-u,{name}" for name in HOST_LIBCALLS)],
                   check=True, capture_output=True)
    symbols = {}
    for line in subprocess.run([NM, str(work / "host")], check=True, capture_output=True,
                               text=True).stdout.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] != "i":
            symbols[fields[2]] = int(fields[0], 16)
    for name, alias in HOST_ALIASES.items():
        symbols[name] = symbols[alias]
    return work / "host", symbols


def run_in_host(program, image: LinkedImage, tmp_path) -> bytes:
    """Run the host under qemu with `image` mapped at its addresses: the result block."""
    (tmp_path / "image").write_bytes(b"".join(s.data for s in image.segments))
    run = subprocess.run([QEMU, str(program), str(tmp_path / "image"),
                          f"{image.symbols['__lldb_jit_expr']:x}",
                          *(f"{s.address:x}:{len(s.data):x}:{s.perm}" for s in image.segments)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, (run.returncode, run.stderr)
    assert len(run.stdout.strip()) == 64
    return bytes.fromhex(run.stdout.strip())


@pytest.mark.parametrize("opt", [0, 2])
@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("source, fmt, expected", RUNS, ids=[f"run{i}" for i in range(len(RUNS))])
def test_linked_code_runs_under_qemu(source, fmt, expected, place, opt, host, provider,
                                     tmp_path):
    program, symbols = host
    obj = compile_c(source, provider, opt)
    rx, rw = PLACES[place]
    image = link(obj, Resolver(symbols), lambda size, align, perm: rx if perm == "rx" else rw)
    check_every_fixup(obj, image, symbols)  # near calls direct, the others through stubs
    result = run_in_host(program, image, tmp_path)
    if fmt is None:
        return
    [value] = struct.unpack_from(fmt, result)
    if expected is None:
        assert value == symbols["jt_arr"]
    elif isinstance(expected, float):
        assert value == pytest.approx(expected, rel=1e-15)
    else:
        assert value == expected


# gcc's code for the same host: -fpic uses LD64_GOTPAGE_LO15 off an ADRP of
# _GLOBAL_OFFSET_TABLE_, the tiny model GOT_LD_PREL19 and ADR_PREL_LO21, the large model a
# literal pool in .text (ABS64) read by adrp/ldr; all with .eh_frame (skipped).
GCC_SOURCE = r"""
extern int jt_arr[4];
extern long jt_l;
extern int jt_add2(int, int);
static const double k[2] = {1.5, 2.5};
static int counter;
void __lldb_jit_expr(void **frame, long *result) {
    counter += jt_arr[1];
    *result = jt_add2(jt_arr[3], counter) + jt_l + (long)(k[jt_arr[0] & 1] * 4);
}
"""
GCC_MODELS = {
    "-O2 -fpic": {"R_AARCH64_LD64_GOTPAGE_LO15", "R_AARCH64_LDST32_ABS_LO12_NC"},
    "-O0 -fpic": {"R_AARCH64_LD64_GOTPAGE_LO15", "R_AARCH64_ADD_ABS_LO12_NC"},
    "-O2 -fPIC": {"R_AARCH64_ADR_GOT_PAGE", "R_AARCH64_LD64_GOT_LO12_NC"},
    "-O2 -mcmodel=tiny -fpic": {"R_AARCH64_GOT_LD_PREL19", "R_AARCH64_ADR_PREL_LO21"},
    "-O2 -mcmodel=large -fno-pic": {"R_AARCH64_ABS64", "R_AARCH64_LDST64_ABS_LO12_NC"},
}


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("flags", list(GCC_MODELS))
def test_gcc_code_links_and_runs_under_qemu(flags, place, host, tmp_path):
    program, symbols = host
    (tmp_path / "expr.c").write_text(GCC_SOURCE)
    subprocess.run([GCC, *flags.split(), "-c", "-o", str(tmp_path / "expr.o"),
                    str(tmp_path / "expr.c")], check=True, capture_output=True)
    obj = (tmp_path / "expr.o").read_bytes()
    types = {R_AARCH64_NAMES[r.type] for sec in read_elf(obj).sections
             if sec.type == SHT_RELA for r in read_elf(obj).relocations(sec)}
    assert GCC_MODELS[flags] <= types
    rx = PLACES[place][0]
    image = link(obj, Resolver(symbols), lambda size, align, perm: rx if perm == "rx"
                 else rx + 0x10000)  # the tiny model reaches .bss by ADR: +-1 MiB
    result = run_in_host(program, image, tmp_path)
    assert struct.unpack_from("<q", result)[0] == (4 + 2) - 1234567890123 + int(2.5 * 4)
