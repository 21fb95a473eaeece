"""AArch64 linking, JITLink style: llvmlite objects for aarch64-unknown-linux-gnu placed at
fake addresses; each patched instruction (BL, ADRP, LDR/ADD imm12) is decoded to check it
reaches its target, directly or through a stub / GOT entry."""

from __future__ import annotations

import struct

import pytest

from lldb_jit.errors import LinkError
from lldb_jit.link import LinkedImage
from lldb_jit.targets.aarch64.relocations import ADRP_X16, BR_X16, LDR_X16_X16, R_AARCH64_NAMES
from lldb_jit.link.elf import read_elf
from test_link_support import (
    AARCH64, FAR, PROGRAM, RW_BASE, RX_BASE, FakeMemory, compile_ir, link_with, read_u32,
    read_u64, relocation_offsets, relocations, section_address, segment_bytes, with_reloc,
)

NEAR_CODE = RX_BASE + 0x1000000  # 16 MiB: within BL's +-128 MiB
MID_CODE = RX_BASE + 0x40000000  # 1 GiB: out of BL's range, in ADRP's +-4 GiB
NOP = 0xD503201F


def obj() -> bytes:
    return compile_ir(PROGRAM, triple=AARCH64)


def fixups(o: bytes, section: str = ".rela.text") -> dict[str, list[int]]:
    return relocation_offsets(o, section, R_AARCH64_NAMES)


def sext(value: int, bits: int) -> int:
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def bl_target(image: LinkedImage, pc: int) -> int:
    instr = read_u32(image, pc)
    assert instr & 0x7C000000 == 0x14000000, f"{instr:#x} is not B/BL"
    return pc + 4 * sext(instr & 0x03FFFFFF, 26)


def adrp_page(image: LinkedImage, pc: int) -> int:
    instr = read_u32(image, pc)
    assert instr & 0x9F000000 == 0x90000000, f"{instr:#x} is not ADRP"
    imm = ((instr >> 5) & 0x7FFFF) << 2 | (instr >> 29) & 3
    return (pc & ~0xFFF) + (sext(imm, 21) << 12)


def imm12_offset(image: LinkedImage, pc: int, scale: int) -> int:
    return ((read_u32(image, pc) >> 10) & 0xFFF) * scale


def through_stub(image: LinkedImage, stub: int) -> int:
    """The address the adrp/ldr/br x16 stub at `stub` jumps to."""
    words = struct.unpack("<III", segment_bytes(image, stub, 12))
    assert words[0] & 0x9F00001F == ADRP_X16
    assert words[1] & ~(0xFFF << 10) == LDR_X16_X16
    assert words[2] == BR_X16
    got_entry = adrp_page(image, stub) + imm12_offset(image, stub + 4, 8)
    return read_u64(image, got_entry)


def test_calls_near_direct_far_through_stub():
    o = obj()
    f = fixups(o)
    text = None
    for where, direct in ((NEAR_CODE, True), (MID_CODE, False), (FAR, False)):
        image = link_with(o, {"abs": where, "puts": FAR, "ext_g": FAR})
        text = section_address(image, o, ".text")
        [call] = f["R_AARCH64_CALL26 abs"]
        dest = bl_target(image, text + call)
        if direct:
            assert dest == where
        else:
            assert dest != where and through_stub(image, dest) == where


def test_got_load_and_page_references():
    o = obj()
    f = fixups(o)
    image = link_with(o, {"abs": FAR, "puts": FAR, "ext_g": FAR + 0x40})
    text = section_address(image, o, ".text")
    [page] = f["R_AARCH64_ADR_GOT_PAGE ext_g"]
    [lo12] = f["R_AARCH64_LD64_GOT_LO12_NC ext_g"]
    got_entry = adrp_page(image, text + page) + imm12_offset(image, text + lo12, 8)
    assert read_u64(image, got_entry) == FAR + 0x40
    # counter (in .bss, rw block) through adrp + ldr w (scale 4)
    [bss_page] = f["R_AARCH64_ADR_PREL_PG_HI21 .bss"]
    [bss_lo] = f["R_AARCH64_LDST32_ABS_LO12_NC .bss"]
    assert (adrp_page(image, text + bss_page) + imm12_offset(image, text + bss_lo, 4)
            == image.symbols["counter"] >= RW_BASE)
    # the string constant through adrp + add
    [str_page] = f["R_AARCH64_ADR_PREL_PG_HI21 .rodata.str1.4"]
    [str_lo] = f["R_AARCH64_ADD_ABS_LO12_NC .rodata.str1.4"]
    addr = adrp_page(image, text + str_page) + imm12_offset(image, text + str_lo, 1)
    assert segment_bytes(image, addr, 6) == b"hello\0"


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


@pytest.mark.parametrize("reloc, symbol, scale", [
    ("R_AARCH64_LDST8_ABS_LO12_NC", "b", 1),
    ("R_AARCH64_LDST16_ABS_LO12_NC", "h", 2),
    ("R_AARCH64_LDST64_ABS_LO12_NC", "w", 8),
])
def test_scaled_load_offsets(reloc, symbol, scale):
    o = compile_ir(SIZED_LOADS, triple=AARCH64)
    f = fixups(o)
    # Place .data so that the page offsets are not zero.
    image = link_with(o, {}, FakeMemory(rw=RW_BASE + 0x7F0))
    text = section_address(image, o, ".text")
    # One ADRP per global, all to the same page here.
    [page] = {adrp_page(image, text + p) for p in f["R_AARCH64_ADR_PREL_PG_HI21 .data"]}
    [lo] = f[f"{reloc} .data"]
    assert image.symbols[symbol] & 0xFFF  # a real offset, not 0
    assert page + imm12_offset(image, text + lo, scale) == image.symbols[symbol]


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


def test_unknown_relocation_is_named():
    o = with_reloc(obj(), ".rela.text", 0, rtype=280)  # CONDBR19
    with pytest.raises(LinkError, match="unsupported AArch64 relocation R_AARCH64_CONDBR19"):
        link_with(o, {"abs": FAR, "puts": FAR, "ext_g": FAR})
