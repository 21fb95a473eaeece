"""x86-64 (ELF) back end: relocation table, stub and GOT constants, apply_fixup.

Facts from the System V x86-64 psABI and LLVM JITLink's ELF_x86_64.cpp / x86_64.h.
"""

from __future__ import annotations

import struct

from lldb_jit.link.edges import (
    Arch, Block, Edge, EdgeKind, apply_data_fixup, check_range, fixup_error, patch,
)
from lldb_jit.link.elf import EM_X86_64

K = EdgeKind

# Every relocation type's name, so an unsupported one is reported by name.
R_X86_64_NAMES = {
    0: "R_X86_64_NONE", 1: "R_X86_64_64", 2: "R_X86_64_PC32", 3: "R_X86_64_GOT32",
    4: "R_X86_64_PLT32", 5: "R_X86_64_COPY", 6: "R_X86_64_GLOB_DAT",
    7: "R_X86_64_JUMP_SLOT", 8: "R_X86_64_RELATIVE", 9: "R_X86_64_GOTPCREL",
    10: "R_X86_64_32", 11: "R_X86_64_32S", 12: "R_X86_64_16", 13: "R_X86_64_PC16",
    14: "R_X86_64_8", 15: "R_X86_64_PC8", 16: "R_X86_64_DTPMOD64", 17: "R_X86_64_DTPOFF64",
    18: "R_X86_64_TPOFF64", 19: "R_X86_64_TLSGD", 20: "R_X86_64_TLSLD",
    21: "R_X86_64_DTPOFF32", 22: "R_X86_64_GOTTPOFF", 23: "R_X86_64_TPOFF32",
    24: "R_X86_64_PC64", 25: "R_X86_64_GOTOFF64", 26: "R_X86_64_GOTPC32",
    27: "R_X86_64_GOT64", 28: "R_X86_64_GOTPCREL64", 29: "R_X86_64_GOTPC64",
    30: "R_X86_64_GOTPLT64", 31: "R_X86_64_PLTOFF64", 32: "R_X86_64_SIZE32",
    33: "R_X86_64_SIZE64", 34: "R_X86_64_GOTPC32_TLSDESC", 35: "R_X86_64_TLSDESC_CALL",
    36: "R_X86_64_TLSDESC", 37: "R_X86_64_IRELATIVE", 38: "R_X86_64_RELATIVE64",
    41: "R_X86_64_GOTPCRELX", 42: "R_X86_64_REX_GOTPCRELX",
}

# ELF relocation type -> (edge kind, addend adjustment). ELF's PC-relative addends
# already hold the -4 from the end of the rel32 field to the next instruction.
RELOCATIONS: dict[int, tuple[EdgeKind | None, int]] = {
    0: (None, 0),                                     # NONE: no-op
    1: (K.Pointer64, 0),                              # 64:   S + A
    2: (K.Delta32, 0),                                # PC32: S + A - P
    # PLT32: L + A - P. BranchPCRel32 subtracts the 4 itself, so compensate.
    4: (K.BranchPCRel32, +4),
    9: (K.RequestGOTAndTransformToDelta32, 0),        # GOTPCREL: G + GOT + A - P
    10: (K.Pointer32, 0),                             # 32:  S + A, zero-extended
    11: (K.Pointer32Signed, 0),                       # 32S: S + A, sign-extended
    24: (K.Delta64, 0),                               # PC64: S + A - P
    25: (K.Delta64FromGOT, 0),                        # GOTOFF64: S + A - GOT
    # GOTPC32 / GOTPC64: GOT + A - P. Their symbol is _GLOBAL_OFFSET_TABLE_, which the
    # linker defines as the GOT base, so they are plain deltas to it.
    26: (K.Delta32, 0),
    29: (K.Delta64, 0),
    27: (K.RequestGOTAndTransformToDelta64FromGOT, 0),  # GOT64: G + A
    28: (K.RequestGOTAndTransformToDelta64, 0),       # GOTPCREL64: G + GOT - P + A
    # GOTPCRELX / REX_GOTPCRELX: as GOTPCREL; we keep the GOT load (no relaxation).
    41: (K.RequestGOTAndTransformToDelta32, 0),
    42: (K.RequestGOTAndTransformToDelta32, 0),
}

GOT_ENTRY_SIZE = 8
# jmpq *GOTENTRY(%rip): FF 25 rel32, the rel32 at offset 2 relative to the stub's end.
POINTER_JUMP_STUB = bytes([0xFF, 0x25, 0x00, 0x00, 0x00, 0x00])
POINTER_JUMP_STUB_EDGES = ((K.BranchPCRel32, 2, 0),)

_I32 = struct.Struct("<i")


def apply_fixup(block: Block, edge: Edge, got_base: int) -> None:
    """Compute edge's value, range-check it, and patch it into block.data."""
    if apply_data_fixup(block, edge, got_base):
        return
    if edge.kind is K.BranchPCRel32:
        fixup = block.address + edge.offset
        value = edge.target.address - (fixup + 4) + edge.addend
        patch(block, edge, _I32, check_range(block, edge, value, 32, signed=True))
    else:
        raise fixup_error(block, edge, f"edge kind {edge.kind.name} cannot be applied on x86-64")


def branch_reaches(kind: EdgeKind, fixup: int, destination: int) -> bool:
    """Can a BranchPCRel32 at `fixup` reach `destination` (target + addend) directly?"""
    return -(1 << 31) <= destination - (fixup + 4) < (1 << 31)


ARCH = Arch(
    name="x86-64",
    machine=EM_X86_64,
    reloc_names=R_X86_64_NAMES,
    relocations=RELOCATIONS,
    apply_fixup=apply_fixup,
    got_entry_size=GOT_ENTRY_SIZE,
    got_entry_kind=K.Pointer64,
    got_requests={
        K.RequestGOTAndTransformToDelta32: K.Delta32,
        K.RequestGOTAndTransformToDelta64: K.Delta64,
        K.RequestGOTAndTransformToDelta64FromGOT: K.Delta64FromGOT,
    },
    stub_content=POINTER_JUMP_STUB,
    stub_edges=POINTER_JUMP_STUB_EDGES,
    stub_branches={K.BranchPCRel32: K.BranchPCRel32ToPtrJumpStubBypassable},
    branch_reaches=branch_reaches,
)
