"""Edge kinds and range checks, independent of any object file."""

from __future__ import annotations

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


@pytest.mark.parametrize("arch", ARCHES, ids=lambda a: a.name)
def test_every_table_kind_can_be_applied(arch):
    """Each relocation's kind, after the GOT pass rewrites requests, has a fixup."""
    instr = {EdgeKind.Branch26PCRel: 0x94000000, EdgeKind.Page21: 0x90000000,
             EdgeKind.PageOffset12: 0xF9400000}  # bl / adrp / ldr x
    for rtype, (kind, _) in arch.relocations.items():
        if kind is None:
            continue
        kind = arch.got_requests.get(kind, kind)
        block = Block(".text", "rx", 16, bytearray(instr.get(kind, 0).to_bytes(8, "little")),
                      address=0x10000)
        target = LinkSymbol("t", None, 0x10008)
        arch.apply_fixup(block, Edge(kind, 0, target, 0, arch.reloc_names[rtype]), 0x10000)
        assert arch.reloc_names[rtype].startswith(("R_X86_64_", "R_AARCH64_"))


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
