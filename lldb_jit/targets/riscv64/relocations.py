"""RISC-V 64 (ELF) back end: relocation table, edge kinds, stub and GOT constants,
apply_fixup.

Facts from the RISC-V ELF psABI ("Relocations", "Instruction encodings") and LLVM
JITLink's ELF_riscv.cpp / riscv.h. RISC-V splits a 32-bit PC-relative value over two
instructions: an `auipc` carries the high 20 bits (rounded: hi = (v + 0x800) >> 12)
and a following I- or S-type instruction the low 12 bits, signed. The low part's
relocation (PCREL_LO12_I/S) names not the target but the label of its `auipc`: its value
is the one the HI20 relocation at that label computes. The kinds below are RISC-V's
own (the edge model's EdgeKind holds the kinds several CPUs share, of which this
folder uses the data ones); each checks the instruction's opcode before patching, and
nothing wraps, except the ADD/SUB pairs whose sum is a label difference (below).

What LLVM emits for us, measured with llvmlite 0.50 (LLVM 22) for
riscv64-unknown-linux-gnu, +m,+a,+f,+d,+c, lp64d, position-independent, small code model
(tests/unit/test_link_riscv64.py keeps the record): GOT_HI20 + PCREL_LO12_I for every
debuggee global and function whose address is taken; CALL_PLT for calls (debuggee
functions, libc, the soft-float fp128 routines for long double); PCREL_HI20 +
PCREL_LO12_I for string literals and constants; 64 in .data.rel.ro. Without +relax (our
target machine's default) LLVM resolves its own branches and emits no RELAX; gcc's
objects (relaxing by default) add RELAX and ALIGN beside them, BRANCH / JAL / RVC_BRANCH
/ RVC_JUMP between local labels, and ADD32/SUB32 pairs in jump tables, ADD/SUB/SET and
SET_ULEB128/SUB_ULEB128 in .eh_frame and debug sections, which the linker skips with
the section. RELAX only allows a linker to shorten the pair after it; ALIGN asks it to
delete some of the nops the assembler put before an aligned label: a linker that does
neither leaves correct code (the nops run), so both are no-ops here.
"""

from __future__ import annotations

import enum
import struct

from lldb_jit.link.edges import (
    Arch, Block, Edge, EdgeKind, apply_data_fixup, check_range, fixup_error,
)

EM_RISCV = 243                  # ELF e_machine

R_RISCV_NAMES = {
    0: "R_RISCV_NONE", 1: "R_RISCV_32", 2: "R_RISCV_64", 3: "R_RISCV_RELATIVE",
    4: "R_RISCV_COPY", 5: "R_RISCV_JUMP_SLOT", 6: "R_RISCV_TLS_DTPMOD32",
    7: "R_RISCV_TLS_DTPMOD64", 8: "R_RISCV_TLS_DTPREL32", 9: "R_RISCV_TLS_DTPREL64",
    10: "R_RISCV_TLS_TPREL32", 11: "R_RISCV_TLS_TPREL64", 12: "R_RISCV_TLSDESC",
    16: "R_RISCV_BRANCH", 17: "R_RISCV_JAL", 18: "R_RISCV_CALL", 19: "R_RISCV_CALL_PLT",
    20: "R_RISCV_GOT_HI20", 21: "R_RISCV_TLS_GOT_HI20", 22: "R_RISCV_TLS_GD_HI20",
    23: "R_RISCV_PCREL_HI20", 24: "R_RISCV_PCREL_LO12_I", 25: "R_RISCV_PCREL_LO12_S",
    26: "R_RISCV_HI20", 27: "R_RISCV_LO12_I", 28: "R_RISCV_LO12_S",
    29: "R_RISCV_TPREL_HI20", 30: "R_RISCV_TPREL_LO12_I", 31: "R_RISCV_TPREL_LO12_S",
    32: "R_RISCV_TPREL_ADD", 33: "R_RISCV_ADD8", 34: "R_RISCV_ADD16", 35: "R_RISCV_ADD32",
    36: "R_RISCV_ADD64", 37: "R_RISCV_SUB8", 38: "R_RISCV_SUB16", 39: "R_RISCV_SUB32",
    40: "R_RISCV_SUB64", 41: "R_RISCV_GOT32_PCREL", 43: "R_RISCV_ALIGN",
    44: "R_RISCV_RVC_BRANCH", 45: "R_RISCV_RVC_JUMP", 51: "R_RISCV_RELAX",
    52: "R_RISCV_SUB6", 53: "R_RISCV_SET6", 54: "R_RISCV_SET8", 55: "R_RISCV_SET16",
    56: "R_RISCV_SET32", 57: "R_RISCV_32_PCREL", 58: "R_RISCV_IRELATIVE",
    59: "R_RISCV_PLT32", 60: "R_RISCV_SET_ULEB128", 61: "R_RISCV_SUB_ULEB128",
    62: "R_RISCV_TLSDESC_HI20", 63: "R_RISCV_TLSDESC_LOAD_LO12",
    64: "R_RISCV_TLSDESC_ADD_LO12", 65: "R_RISCV_TLSDESC_CALL",
}


class Kind(enum.Enum):
    """RISC-V's edge kinds; a member's docstring is its formula (as EdgeKind's), with
    Hi(v) = (v + 0x800) >> 12 and Lo(v) = v - (Hi(v) << 12), in -2048..2047."""

    def __new__(cls, doc: str):
        member = object.__new__(cls)
        member._value_ = len(cls.__members__) + 1
        member.__doc__ = doc
        return member

    CallPlt = """Fixup <- Hi(Target + Addend - Fixup) : int20 into the auipc at Fixup and
        Lo(...) : int12 into the jalr at Fixup + 4 (CALL, CALL_PLT). Fails if they are not
        auipc and jalr of one register, the delta is odd, or the target is not within
        -2 GiB - 2 KiB .. 2 GiB - 2 KiB."""
    CallPltToPtrJumpStubBypassable = """As CallPlt, with Target a jump stub that the linker
        created; bypassed after layout when the real target is in range."""
    PCRelHi20 = """Fixup <- Hi(Target + Addend - Fixup) : int20, into an auipc (PCREL_HI20;
        GOT_HI20 once its entry exists). Fails if the instruction is not auipc or the
        delta is not within -2 GiB - 2 KiB .. 2 GiB - 2 KiB."""
    PCRelLo12I = """Fixup <- Lo(HiTarget - HiFixup) : int12, into an I-type instruction
        (load, addi, jalr...), where Target is the label of an auipc whose PCRelHi20 edge
        (HiFixup, to HiTarget) gives the value (PCREL_LO12_I). Fails if no such edge is
        at the label or the instruction is not I-type."""
    PCRelLo12S = """As PCRelLo12I, into an S-type instruction (a store) (PCREL_LO12_S)."""
    StubLo12I = """Fixup <- Lo(Target + Addend - Fixup) : int12, into an I-type
        instruction: the low half of a stub's GOT load, its auipc `Addend` bytes
        before it (the stub has no label for a PCRelLo12I to name)."""
    Hi20 = """Fixup <- Hi(Target + Addend) : int20, into a lui (HI20, absolute). Fails if
        the instruction is not lui or Target + Addend is not below 2 GiB - 2 KiB."""
    Lo12I = """Fixup <- Lo(Target + Addend) : int12, into an I-type instruction (LO12_I).
        Fails as Hi20 does, and if the instruction is not I-type."""
    Lo12S = """As Lo12I, into an S-type instruction (LO12_S)."""
    Branch12 = """Fixup <- Target + Addend - Fixup : int13, even, into a conditional branch
        (B-type; BRANCH). Fails unless within +-4 KiB. No stub extends it."""
    Jal20 = """Fixup <- Target + Addend - Fixup : int21, even, into a jal (J-type; JAL).
        Fails unless within +-1 MiB."""
    RvcBranch8 = """Fixup <- Target + Addend - Fixup : int9, even, into a c.beqz/c.bnez
        (RVC_BRANCH). Fails unless within +-256 bytes."""
    RvcJump11 = """Fixup <- Target + Addend - Fixup : int12, even, into a c.j (RVC_JUMP).
        Fails unless within +-2 KiB."""
    Add8 = """Fixup <- Fixup + Target + Addend : uint8, modulo 2^8 (ADD8)."""
    Add16 = """Fixup <- Fixup + Target + Addend : uint16, modulo 2^16 (ADD16)."""
    Add32 = """Fixup <- Fixup + Target + Addend : uint32, modulo 2^32 (ADD32)."""
    Add64 = """Fixup <- Fixup + Target + Addend : uint64, modulo 2^64 (ADD64)."""
    Sub6 = """Fixup[5:0] <- Fixup[5:0] - (Target + Addend), modulo 2^6 (SUB6)."""
    Sub8 = """Fixup <- Fixup - (Target + Addend) : uint8, modulo 2^8 (SUB8)."""
    Sub16 = """Fixup <- Fixup - (Target + Addend) : uint16, modulo 2^16 (SUB16)."""
    Sub32 = """Fixup <- Fixup - (Target + Addend) : uint32, modulo 2^32 (SUB32)."""
    Sub64 = """Fixup <- Fixup - (Target + Addend) : uint64, modulo 2^64 (SUB64)."""
    Set6 = """Fixup[5:0] <- (Target + Addend) mod 2^6 (SET6)."""
    Set8 = """Fixup <- (Target + Addend) mod 2^8 (SET8)."""
    Set16 = """Fixup <- (Target + Addend) mod 2^16 (SET16)."""
    Set32 = """Fixup <- (Target + Addend) mod 2^32 (SET32)."""
    RequestGOTAndTransformToPCRelHi20 = """Asks for a GOT entry holding Target, then becomes
        PCRelHi20 to that entry (the auipc of an auipc/ld GOT load: GOT_HI20)."""


K = Kind
# The ADD/SUB/SET kinds: (bytes patched, sign, keeps the old value). An ADD and a SUB at
# one place make a label difference (Target1 - Target2) the assembler could not compute
# because a linker may relax the code between them: the sum is what counts, and the
# first of the pair alone may overflow, so these wrap as the psABI's word8..word64 do.
_ACCUMULATE = {
    K.Add8: (1, 1, True), K.Add16: (2, 1, True), K.Add32: (4, 1, True), K.Add64: (8, 1, True),
    K.Sub8: (1, -1, True), K.Sub16: (2, -1, True), K.Sub32: (4, -1, True),
    K.Sub64: (8, -1, True), K.Set8: (1, 1, False), K.Set16: (2, 1, False),
    K.Set32: (4, 1, False),
}

# ELF relocation type -> (edge kind, addend adjustment); all are relative to the place.
RELOCATIONS: dict[int, tuple[EdgeKind | Kind | None, int]] = {
    0: (None, 0),                                       # NONE
    1: (EdgeKind.Pointer32, 0),                         # 32: S + A
    2: (EdgeKind.Pointer64, 0),                         # 64: S + A
    16: (K.Branch12, 0),                                # BRANCH: S + A - P
    17: (K.Jal20, 0),                                   # JAL: S + A - P
    18: (K.CallPlt, 0),                                 # CALL: S + A - P
    19: (K.CallPlt, 0),                                 # CALL_PLT: S + A - P
    20: (K.RequestGOTAndTransformToPCRelHi20, 0),       # GOT_HI20: G + GOT + A - P
    23: (K.PCRelHi20, 0),                               # PCREL_HI20: S + A - P
    24: (K.PCRelLo12I, 0),                              # PCREL_LO12_I: the HI20's S - P
    25: (K.PCRelLo12S, 0),                              # PCREL_LO12_S
    26: (K.Hi20, 0),                                    # HI20: S + A
    27: (K.Lo12I, 0),                                   # LO12_I: S + A
    28: (K.Lo12S, 0),                                   # LO12_S: S + A
    33: (K.Add8, 0), 34: (K.Add16, 0), 35: (K.Add32, 0), 36: (K.Add64, 0),
    37: (K.Sub8, 0), 38: (K.Sub16, 0), 39: (K.Sub32, 0), 40: (K.Sub64, 0),
    43: (None, 0),                                      # ALIGN: the nops stay (above)
    44: (K.RvcBranch8, 0),                              # RVC_BRANCH: S + A - P
    45: (K.RvcJump11, 0),                               # RVC_JUMP: S + A - P
    51: (None, 0),                                      # RELAX: a hint, never needed
    52: (K.Sub6, 0), 53: (K.Set6, 0), 54: (K.Set8, 0), 55: (K.Set16, 0), 56: (K.Set32, 0),
    57: (EdgeKind.Delta32, 0),                          # 32_PCREL: S + A - P
}

GOT_ENTRY_SIZE = 8
# auipc t3, GOTENTRY@hi ; ld t3, GOTENTRY@lo(t3) ; jr t3  (t3: a PLT's scratch register)
AUIPC_T3 = 0x00000E17
LD_T3_T3 = 0x000E3E03
JR_T3 = 0x000E0067
POINTER_JUMP_STUB = struct.pack("<III", AUIPC_T3, LD_T3_T3, JR_T3)
POINTER_JUMP_STUB_EDGES = ((K.PCRelHi20, 0, 0), (K.StubLo12I, 4, 4))

# Major opcodes (bits 6:0)
OP_LOAD, OP_LOAD_FP, OP_OP_IMM, OP_AUIPC, OP_OP_IMM_32 = 0x03, 0x07, 0x13, 0x17, 0x1B
OP_STORE, OP_STORE_FP, OP_LUI, OP_BRANCH, OP_JALR, OP_JAL = 0x23, 0x27, 0x37, 0x63, 0x67, 0x6F
I_TYPE = frozenset({OP_LOAD, OP_LOAD_FP, OP_OP_IMM, OP_OP_IMM_32, OP_JALR})
S_TYPE = frozenset({OP_STORE, OP_STORE_FP})

_INSTR = struct.Struct("<I")
_HALF = struct.Struct("<H")


def opcode(instr: int) -> int:
    return instr & 0x7F


def is_auipc(instr: int) -> bool:
    return opcode(instr) == OP_AUIPC


def is_i_type(instr: int) -> bool:
    return opcode(instr) in I_TYPE


def is_s_type(instr: int) -> bool:
    return opcode(instr) in S_TYPE


def is_c_branch(half: int) -> bool:
    """c.beqz / c.bnez: quadrant 1, funct3 110 or 111."""
    return half & 3 == 1 and half >> 13 in (6, 7)


def is_c_j(half: int) -> bool:
    """c.j: quadrant 1, funct3 101."""
    return half & 3 == 1 and half >> 13 == 5


def is_call_pair(instr: int, next_instr: int) -> bool:
    """auipc rd, ... ; jalr ..., ...(rd)"""
    return (is_auipc(instr) and opcode(next_instr) == OP_JALR
            and (instr >> 7) & 31 == (next_instr >> 15) & 31)


# -- immediates, in and out: one encoder per instruction format ----------------------

def hi_lo(value: int) -> tuple[int, int]:
    """The auipc/lui part and the signed 12-bit rest of a 32-bit value."""
    hi = (value + 0x800) >> 12
    return hi, value - (hi << 12)


def set_u(instr: int, hi: int) -> int:
    return (instr & 0xFFF) | ((hi & 0xFFFFF) << 12)


def set_i(instr: int, lo: int) -> int:
    return (instr & 0x000FFFFF) | ((lo & 0xFFF) << 20)


def set_s(instr: int, lo: int) -> int:
    lo &= 0xFFF
    return (instr & 0x01FFF07F) | ((lo >> 5) << 25) | ((lo & 31) << 7)


def set_b(instr: int, offset: int) -> int:
    o = offset & 0x1FFF
    return ((instr & 0x01FFF07F) | ((o >> 12) & 1) << 31 | ((o >> 5) & 0x3F) << 25
            | ((o >> 1) & 0xF) << 8 | ((o >> 11) & 1) << 7)


def set_j(instr: int, offset: int) -> int:
    o = offset & 0x1FFFFF
    return ((instr & 0xFFF) | ((o >> 20) & 1) << 31 | ((o >> 1) & 0x3FF) << 21
            | ((o >> 11) & 1) << 20 | ((o >> 12) & 0xFF) << 12)


def set_cb(half: int, offset: int) -> int:
    o = offset & 0x1FF
    return ((half & 0xE383) | ((o >> 8) & 1) << 12 | ((o >> 3) & 3) << 10
            | ((o >> 6) & 3) << 5 | ((o >> 1) & 3) << 3 | ((o >> 5) & 1) << 2)


def set_cj(half: int, offset: int) -> int:
    o = offset & 0xFFF
    return ((half & 0xE003) | ((o >> 11) & 1) << 12 | ((o >> 4) & 1) << 11
            | ((o >> 8) & 3) << 9 | ((o >> 10) & 1) << 8 | ((o >> 6) & 1) << 7
            | ((o >> 7) & 1) << 6 | ((o >> 1) & 7) << 3 | ((o >> 5) & 1) << 2)


# -- checks while the graph is built --------------------------------------------------

# ELF relocation type -> (bytes of the instruction(s), does it fit?, what it must be)
_INSTRUCTIONS = {
    16: (4, lambda i: opcode(i) == OP_BRANCH, "a conditional branch"),
    17: (4, lambda i: opcode(i) == OP_JAL, "jal"),
    20: (4, is_auipc, "auipc"),
    23: (4, is_auipc, "auipc"),
    24: (4, is_i_type, "an I-type instruction (load, addi, jalr)"),
    25: (4, is_s_type, "an S-type instruction (store)"),
    26: (4, lambda i: opcode(i) == OP_LUI, "lui"),
    27: (4, is_i_type, "an I-type instruction (load, addi, jalr)"),
    28: (4, is_s_type, "an S-type instruction (store)"),
    44: (2, is_c_branch, "c.beqz or c.bnez"),
    45: (2, is_c_j, "c.j"),
}
_CALLS = frozenset({18, 19})
_GOT_RELOCATIONS = frozenset({20})
_PAIRED_LOW = frozenset({24, 25})


def check_relocation(rtype: int, data: bytes, offset: int, addend: int) -> str | None:
    """What is wrong with relocation `rtype` at `offset` of a section's `data` that the
    table cannot see, or None: the instruction must be the one the type is for (CALL:
    auipc and jalr of one register), a GOT_HI20's and a PCREL_LO12's addend 0 (the
    first would select an entry for symbol + addend; the second names the auipc, whose
    relocation carries the addend)."""
    if rtype in _GOT_RELOCATIONS | _PAIRED_LOW and addend:
        return f"addend {addend:#x} on this relocation is not supported"
    if rtype in _CALLS:
        if offset % 2 or offset + 8 > len(data):
            return "instruction fixup is misaligned or runs past the end of the section"
        first, second = struct.unpack_from("<II", data, offset)
        if not is_call_pair(first, second):
            return (f"instructions {first:#010x} {second:#010x} are not auipc and jalr of "
                    f"one register")
        return None
    fits = _INSTRUCTIONS.get(rtype)
    if fits is None:
        return None
    size, test, what = fits
    if offset % 2 or offset + size > len(data):
        return "instruction fixup is misaligned or runs past the end of the section"
    instr = (_INSTR if size == 4 else _HALF).unpack_from(data, offset)[0]
    if not test(instr):
        return f"instruction {instr:#0{2 + 2 * size}x} is not {what}"
    return None


# -- apply_fixup ----------------------------------------------------------------------

def _read(block: Block, edge: Edge, at: int, st: struct.Struct) -> int:
    if at % 2 or at + st.size > len(block.data):
        raise fixup_error(block, edge, "instruction fixup is misaligned or past the section")
    return st.unpack_from(block.data, at)[0]


def _not(block: Block, edge: Edge, instr: int, what: str):
    return fixup_error(block, edge, f"instruction {instr:#010x} is not {what}")


def _pcrel32(block: Block, edge: Edge, delta: int) -> tuple[int, int]:
    """hi_lo() of a PC-relative value an auipc must reach."""
    if not -(1 << 31) - 0x800 <= delta < (1 << 31) - 0x800:
        raise fixup_error(block, edge, f"value {delta:#x} is out of auipc's range "
                                       f"(+-2 GiB) ({edge.kind.name})")
    return hi_lo(delta)


def _even(block: Block, edge: Edge, delta: int, bits: int) -> int:
    if delta % 2:
        raise fixup_error(block, edge, f"branch offset {delta:#x} is odd")
    return check_range(block, edge, delta, bits, signed=True)


def paired_hi20(block: Block, edge: Edge) -> tuple[int, int]:
    """(the auipc's address, the value its PCRelHi20 edge computes) for a PCRelLo12
    edge, whose target is the auipc's label."""
    label = edge.target
    if label.block is not None:
        for hi in label.block.edges:
            if hi.offset == label.offset and hi.kind is K.PCRelHi20:
                at = label.block.address + hi.offset
                return at, hi.target.address + hi.addend - at
    raise fixup_error(block, edge, f"no R_RISCV_PCREL_HI20 or R_RISCV_GOT_HI20 at label "
                                   f"'{label.name}'")


def apply_fixup(block: Block, edge: Edge, got_base: int) -> None:
    """Compute, range-check and patch one edge (JITLink's riscv::applyFixup)."""
    if apply_data_fixup(block, edge, got_base):
        return
    kind = edge.kind
    fixup = block.address + edge.offset
    dest = edge.target.address + edge.addend
    if kind in _ACCUMULATE:
        size, sign, keep = _ACCUMULATE[kind]
        st = {1: struct.Struct("<B"), 2: struct.Struct("<H"), 4: struct.Struct("<I"),
              8: struct.Struct("<Q")}[size]
        if edge.offset + size > len(block.data):
            raise fixup_error(block, edge, "fixup runs past the end of the section")
        old = st.unpack_from(block.data, edge.offset)[0] if keep else 0
        st.pack_into(block.data, edge.offset, (old + sign * dest) % (1 << 8 * size))
        return
    if kind is K.Sub6 or kind is K.Set6:
        if edge.offset >= len(block.data):
            raise fixup_error(block, edge, "fixup runs past the end of the section")
        old = block.data[edge.offset]
        value = (old & 0x3F) - dest if kind is K.Sub6 else dest
        block.data[edge.offset] = (old & 0xC0) | (value % 64)
        return
    if dest < 0 or dest >= 1 << 64:
        raise fixup_error(block, edge, f"destination {dest:#x} is not an address")
    if kind is K.CallPlt or kind is K.CallPltToPtrJumpStubBypassable:
        auipc, jalr = _read(block, edge, edge.offset, _INSTR), \
            _read(block, edge, edge.offset + 4, _INSTR)
        if not is_call_pair(auipc, jalr):
            raise _not(block, edge, auipc, "auipc followed by jalr of its register")
        delta = dest - fixup
        if delta % 2:
            raise fixup_error(block, edge, f"call offset {delta:#x} is odd")
        hi, lo = _pcrel32(block, edge, delta)
        struct.pack_into("<II", block.data, edge.offset, set_u(auipc, hi), set_i(jalr, lo))
        return
    if kind is K.RvcBranch8 or kind is K.RvcJump11:
        half = _read(block, edge, edge.offset, _HALF)
        if kind is K.RvcBranch8:
            if not is_c_branch(half):
                raise _not(block, edge, half, "c.beqz or c.bnez")
            half = set_cb(half, _even(block, edge, dest - fixup, 9))
        else:
            if not is_c_j(half):
                raise _not(block, edge, half, "c.j")
            half = set_cj(half, _even(block, edge, dest - fixup, 12))
        _HALF.pack_into(block.data, edge.offset, half)
        return
    instr = _read(block, edge, edge.offset, _INSTR)
    if kind is K.PCRelHi20:
        if not is_auipc(instr):
            raise _not(block, edge, instr, "auipc")
        instr = set_u(instr, _pcrel32(block, edge, dest - fixup)[0])
    elif kind is K.PCRelLo12I or kind is K.PCRelLo12S:
        value = paired_hi20(block, edge)[1]
        instr = _with_lo12(block, edge, instr, _pcrel32(block, edge, value)[1],
                           store=kind is K.PCRelLo12S)
    elif kind is K.StubLo12I:
        instr = _with_lo12(block, edge, instr, _pcrel32(block, edge, dest - fixup)[1],
                           store=False)
    elif kind in (K.Hi20, K.Lo12I, K.Lo12S):
        if dest >= (1 << 31) - 0x800:
            raise fixup_error(block, edge, f"address {dest:#x} is out of lui's range "
                                           f"(below 2 GiB - 2 KiB) ({kind.name})")
        hi, lo = hi_lo(dest)
        if kind is K.Hi20:
            if opcode(instr) != OP_LUI:
                raise _not(block, edge, instr, "lui")
            instr = set_u(instr, hi)
        else:
            instr = _with_lo12(block, edge, instr, lo, store=kind is K.Lo12S)
    elif kind is K.Branch12:
        if opcode(instr) != OP_BRANCH:
            raise _not(block, edge, instr, "a conditional branch")
        instr = set_b(instr, _even(block, edge, dest - fixup, 13))
    elif kind is K.Jal20:
        if opcode(instr) != OP_JAL:
            raise _not(block, edge, instr, "jal")
        instr = set_j(instr, _even(block, edge, dest - fixup, 21))
    else:
        raise fixup_error(block, edge, f"edge kind {kind.name} is not a RISC-V one")
    _INSTR.pack_into(block.data, edge.offset, instr)


def _with_lo12(block, edge, instr: int, lo: int, store: bool) -> int:
    """The low 12 bits of an address into an I-type instruction (a load, addi, jalr)
    or, for `store`, an S-type one; checked to be one."""
    if store:
        if not is_s_type(instr):
            raise _not(block, edge, instr, "an S-type instruction")
        return set_s(instr, lo)
    if not is_i_type(instr):
        raise _not(block, edge, instr, "an I-type instruction")
    return set_i(instr, lo)


def branch_reaches(kind, fixup: int, destination: int) -> bool:
    """Can an auipc/jalr call at `fixup` reach `destination` (target + addend) directly?"""
    delta = destination - fixup
    return delta % 2 == 0 and -(1 << 31) - 0x800 <= delta < (1 << 31) - 0x800


ARCH = Arch(
    name="RISC-V",
    machine=EM_RISCV,
    reloc_names=R_RISCV_NAMES,
    relocations=RELOCATIONS,
    apply_fixup=apply_fixup,
    got_entry_size=GOT_ENTRY_SIZE,
    got_entry_kind=EdgeKind.Pointer64,
    got_requests={K.RequestGOTAndTransformToPCRelHi20: K.PCRelHi20},
    stub_content=POINTER_JUMP_STUB,
    stub_edges=POINTER_JUMP_STUB_EDGES,
    stub_branches={K.CallPlt: K.CallPltToPtrJumpStubBypassable},
    branch_reaches=branch_reaches,
    check_relocation=check_relocation,
)
