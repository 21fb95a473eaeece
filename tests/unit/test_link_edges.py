"""Edge kinds and range checks, independent of any object file."""

from __future__ import annotations

import struct

import pytest

from lldb_jit.errors import LinkError
from lldb_jit.targets.aarch64 import relocations as aarch64
from lldb_jit.targets.x86_64 import relocations as x86_64
from lldb_jit.link.edges import Block, Edge, EdgeKind, LinkSymbol, check_range

ARCHES = [x86_64.ARCH, aarch64.ARCH]


def test_every_edge_kind_documents_its_formula():
    for kind in EdgeKind:
        assert kind.__doc__ and ("Fixup <-" in kind.__doc__ or "As " in kind.__doc__ or
                                 "Asks for a GOT entry" in kind.__doc__), kind


# For each AArch64 relocation type that patches an instruction: one it is defined for
# (immediate zero); the others patch data.
AARCH64_INSTRUCTIONS = {
    "R_AARCH64_LD_PREL_LO19": 0x58000000, "R_AARCH64_ADR_PREL_LO21": 0x10000002,
    "R_AARCH64_ADR_PREL_PG_HI21": 0x90000003, "R_AARCH64_ADD_ABS_LO12_NC": 0x91000000,
    "R_AARCH64_LDST8_ABS_LO12_NC": 0x39400000, "R_AARCH64_LDST16_ABS_LO12_NC": 0x79400000,
    "R_AARCH64_LDST32_ABS_LO12_NC": 0xB9400000, "R_AARCH64_LDST64_ABS_LO12_NC": 0xF9400000,
    "R_AARCH64_LDST128_ABS_LO12_NC": 0x3DC00000, "R_AARCH64_TSTBR14": 0x36180000,
    "R_AARCH64_CONDBR19": 0x54000000, "R_AARCH64_JUMP26": 0x14000000,
    "R_AARCH64_CALL26": 0x94000000, "R_AARCH64_MOVW_UABS_G0": 0xD2800006,
    "R_AARCH64_MOVW_UABS_G0_NC": 0xF2800005, "R_AARCH64_MOVW_UABS_G1": 0xD2A00006,
    "R_AARCH64_MOVW_UABS_G1_NC": 0xF2A00005, "R_AARCH64_MOVW_UABS_G2": 0xD2C00006,
    "R_AARCH64_MOVW_UABS_G2_NC": 0xF2C00005, "R_AARCH64_MOVW_UABS_G3": 0xD2E00005,
    "R_AARCH64_GOT_LD_PREL19": 0x58000001, "R_AARCH64_ADR_GOT_PAGE": 0x90000007,
    "R_AARCH64_LD64_GOT_LO12_NC": 0xF94000E7, "R_AARCH64_LD64_GOTPAGE_LO15": 0xF9400064,
}
AARCH64_DATA = {"R_AARCH64_ABS64", "R_AARCH64_ABS32", "R_AARCH64_ABS16", "R_AARCH64_PREL64",
                "R_AARCH64_PREL32", "R_AARCH64_PREL16"}


@pytest.mark.parametrize("arch", ARCHES, ids=lambda a: a.name)
def test_every_table_kind_can_be_applied(arch):
    """Each relocation's kind, after the GOT pass rewrites requests, has a fixup, and the
    instruction its type is defined for passes the graph builder's check."""
    for rtype, (kind, _) in arch.relocations.items():
        if kind is None:
            continue
        name = arch.reloc_names[rtype]
        instr = AARCH64_INSTRUCTIONS.get(name, 0)
        data = bytearray(instr.to_bytes(8, "little"))
        if arch.check_relocation is not None:
            assert arch.check_relocation(rtype, data, 0, 0) is None, name
        kind = arch.got_requests.get(kind, kind)
        block = Block(".text", "rx", 16, data, address=0x1000)
        target = LinkSymbol("t", None, 0x1010)  # aligned for every access size
        arch.apply_fixup(block, Edge(kind, 0, target, 0, name), 0x1000)
        assert name.startswith(("R_X86_64_", "R_AARCH64_"))


def test_aarch64_table_is_what_the_tests_cover():
    supported = {aarch64.R_AARCH64_NAMES[t] for t, (k, _) in aarch64.RELOCATIONS.items() if k}
    assert supported == set(AARCH64_INSTRUCTIONS) | AARCH64_DATA


AARCH64_INSTRUCTION_KINDS = [
    EdgeKind.Branch26PCRel, EdgeKind.CondBranch19PCRel, EdgeKind.TestAndBranch14PCRel,
    EdgeKind.LDRLiteral19, EdgeKind.ADRLiteral21, EdgeKind.Page21, EdgeKind.PageOffset12,
    EdgeKind.GotPageOffset15, EdgeKind.MoveWide16, EdgeKind.MoveWide16Checked,
]


@pytest.mark.parametrize("kind", AARCH64_INSTRUCTION_KINDS, ids=lambda k: k.name)
def test_aarch64_fixup_checks_the_opcode_before_patching(kind):
    """Also for edges no relocation made (GOT and stub edges), a wrong instruction is an
    error naming it, and the bytes stay as they were."""
    nop = bytes.fromhex("1f2003d5")
    block = Block(".text", "rx", 16, bytearray(nop), address=0x1000)
    edge = Edge(kind, 0, LinkSymbol("t", None, 0x1008), 0, "R_TEST")
    with pytest.raises(LinkError, match=r"R_TEST against symbol 't' \(0x1008\) in section "
                                        r"'.text' at 0x1000: instruction 0xd503201f is not "):
        aarch64.apply_fixup(block, edge, 0x1000)
    assert block.data == nop


@pytest.mark.parametrize("kind", AARCH64_INSTRUCTION_KINDS, ids=lambda k: k.name)
def test_x86_64_keeps_refusing_aarch64_kinds(kind):
    block = Block(".text", "rx", 16, bytearray(8), address=0x1000)
    with pytest.raises(LinkError, match="cannot be applied on x86-64"):
        x86_64.apply_fixup(block, Edge(kind, 0, LinkSymbol("t", None, 0), 0, "R"), 0)


def test_x86_64_table_is_untouched_by_the_aarch64_kinds():
    assert x86_64.ARCH.check_relocation is None
    used = {k for k, _ in x86_64.RELOCATIONS.values()}
    assert not used & {*AARCH64_INSTRUCTION_KINDS, EdgeKind.Pointer16, EdgeKind.Delta16}


@pytest.mark.parametrize("kind, fmt, value, ok", [
    (EdgeKind.Pointer16, "<H", 0xFFFF, True), (EdgeKind.Pointer16, "<H", 0x10000, False),
    (EdgeKind.Pointer16, "<H", -1, False),
    (EdgeKind.Delta16, "<h", 0x7FFF, True), (EdgeKind.Delta16, "<h", -0x8000, True),
    (EdgeKind.Delta16, "<h", 0x8000, False), (EdgeKind.Delta16, "<h", -0x8001, False),
])
def test_16_bit_data_kinds(kind, fmt, value, ok):
    """Pointer16: Target + Addend; Delta16: Target + Addend - Fixup (fixup at 0x1002)."""
    block = Block(".data", "rw", 8, bytearray(b"\xaa" * 6), address=0x1000)
    place = 0x1002 if kind is EdgeKind.Delta16 else 0
    edge = Edge(kind, 2, LinkSymbol("t", None, 0x800), value + place - 0x800, "R_TEST")
    if not ok:
        with pytest.raises(LinkError, match=rf"does not fit in u?int16 \({kind.name}\)"):
            aarch64.apply_fixup(block, edge, 0)
        assert block.data == b"\xaa" * 6
        return
    aarch64.apply_fixup(block, edge, 0)
    assert struct.unpack_from(fmt, block.data, 2)[0] == value
    assert block.data[:2] == block.data[4:] == b"\xaa\xaa"


@pytest.mark.parametrize("value, bits, signed, ok", [
    ((1 << 31) - 1, 32, True, True), (1 << 31, 32, True, False),
    (-(1 << 31), 32, True, True), (-(1 << 31) - 1, 32, True, False),
    ((1 << 32) - 1, 32, False, True), (1 << 32, 32, False, False),
    (-1, 32, False, False), ((1 << 64) - 1, 64, False, True), (1 << 64, 64, False, False),
])
def test_check_range_never_wraps(value, bits, signed, ok):
    block = Block(".text", "rx", 1, bytearray(8), address=0x1000)
    edge = Edge(EdgeKind.Pointer32, 4, LinkSymbol("sym", None, 0x1234), 0, "R_TEST")
    if ok:
        assert check_range(block, edge, value, bits, signed) == value
    else:
        with pytest.raises(LinkError, match=r"R_TEST against symbol 'sym' \(0x1234\) in "
                                            r"section '.text' at 0x1004"):
            check_range(block, edge, value, bits, signed)


def test_stub_constants():
    assert x86_64.POINTER_JUMP_STUB == bytes.fromhex("ff2500000000")
    assert aarch64.POINTER_JUMP_STUB == bytes.fromhex("10000090" "100240f9" "00021fd6")
