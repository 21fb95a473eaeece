"""RISC-V 64: relocations linked at fixed fake addresses with every patched immediate
decoded (decoders written from the ISA manual's formats, not from the linker's
encoders), the trampoline's bytes against GNU as, and the LP64D record lowering.
Objects come from GNU as (binutils-riscv64-linux-gnu, which the Makefile installs with
gcc-riscv64-linux-gnu): relaxation on, as gcc assembles, so RELAX, ALIGN and ADD/SUB
pairs are in them too."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from lldb_jit.callconv import Class
from lldb_jit.errors import LinkError
from lldb_jit.frontend.ctype import CType, Kind, Member
from lldb_jit.link.elf import read_elf
from lldb_jit.targets import for_triple
from lldb_jit.targets.riscv64 import callconv, trampoline
from lldb_jit.targets.riscv64.relocations import POINTER_JUMP_STUB, R_RISCV_NAMES, hi_lo
from test_link_support import FAR, RX_BASE, FakeMemory, link_with, segment_bytes

AS = "riscv64-linux-gnu-as"


def assemble(source: str, *flags: str) -> bytes:
    if shutil.which(AS) is None:
        pytest.skip(f"{AS} is not installed (make system-deps)")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a.s").write_text(source)
        subprocess.run([AS, "-march=rv64gc", "-mabi=lp64d", *flags, "-o", f"{tmp}/a.o",
                        f"{tmp}/a.s"], check=True)
        return (Path(tmp) / "a.o").read_bytes()


# -- decoders: one per instruction format (RISC-V Unprivileged ISA, 2.3 and 16) -------

def sext(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def u_imm(i: int) -> int:
    assert i & 0x7F in (0x17, 0x37), f"{i:#x} is not auipc/lui"
    return sext(i & 0xFFFFF000, 32)


def i_imm(i: int) -> int:
    assert i & 0x7F in (0x03, 0x07, 0x13, 0x1B, 0x67), f"{i:#x} is not I-type"
    return sext(i >> 20, 12)


def s_imm(i: int) -> int:
    assert i & 0x7F in (0x23, 0x27), f"{i:#x} is not S-type"
    return sext(((i >> 25) << 5) | ((i >> 7) & 31), 12)


def b_imm(i: int) -> int:
    assert i & 0x7F == 0x63
    return sext((i >> 31) << 12 | ((i >> 7) & 1) << 11 | ((i >> 25) & 0x3F) << 5
                | ((i >> 8) & 0xF) << 1, 13)


def j_imm(i: int) -> int:
    assert i & 0x7F == 0x6F
    return sext((i >> 31) << 20 | ((i >> 12) & 0xFF) << 12 | ((i >> 20) & 1) << 11
                | ((i >> 21) & 0x3FF) << 1, 21)


def cb_imm(h: int) -> int:
    assert h & 3 == 1 and h >> 13 in (6, 7)
    return sext(((h >> 12) & 1) << 8 | ((h >> 5) & 3) << 6 | ((h >> 2) & 1) << 5
                | ((h >> 10) & 3) << 3 | ((h >> 3) & 3) << 1, 9)


def cj_imm(h: int) -> int:
    assert h & 3 == 1 and h >> 13 == 5
    return sext(((h >> 12) & 1) << 11 | ((h >> 8) & 1) << 10 | ((h >> 9) & 3) << 8
                | ((h >> 6) & 1) << 7 | ((h >> 7) & 1) << 6 | ((h >> 2) & 1) << 5
                | ((h >> 11) & 1) << 4 | ((h >> 3) & 7) << 1, 12)


def word(image, address: int) -> int:
    return int.from_bytes(segment_bytes(image, address, 4), "little")


def half(image, address: int) -> int:
    return int.from_bytes(segment_bytes(image, address, 2), "little")


SOURCE = """
    .text
    .globl f, at_call_near, at_call_far, at_tail, at_pcrel, at_store, at_got, at_branch
    .globl at_jal, at_cbeqz, at_cj, there
f:
at_call_near: call ext_near
at_call_far:  call ext_far
at_tail:      tail ext_near
at_pcrel:     auipc a0, %pcrel_hi(datum + 8)
              addi a0, a0, %pcrel_lo(at_pcrel)
at_store:     auipc a1, %pcrel_hi(datum)
              sd a0, %pcrel_lo(at_store)(a1)
at_got:       auipc a2, %got_pcrel_hi(ext_far)
              ld a2, %pcrel_lo(at_got)(a2)
at_branch:    beq a0, a1, there
at_jal:       jal there
at_cbeqz:     c.beqz a0, there
at_cj:        c.j there
              .p2align 4
there:        ret
    .data
    .globl datum, table
datum: .quad 0, 0
table: .word there - f
       .quad ext_far
"""
NEAR = RX_BASE + (1 << 30)          # 1 GiB above: in auipc's +-2 GiB


@pytest.fixture(scope="module")
def linked():
    obj = assemble(SOURCE)
    image = link_with(obj, {"ext_near": NEAR, "ext_far": FAR})
    return obj, image


def test_the_object_has_the_relocations_gcc_objects_have(linked):
    obj, _ = linked
    elf = read_elf(obj)
    types = {R_RISCV_NAMES[r.type] for s in elf.sections if s.name.startswith(".rela")
             for r in elf.relocations(s)}
    assert {"R_RISCV_CALL_PLT", "R_RISCV_PCREL_HI20", "R_RISCV_PCREL_LO12_I",
            "R_RISCV_PCREL_LO12_S", "R_RISCV_GOT_HI20", "R_RISCV_BRANCH", "R_RISCV_JAL",
            "R_RISCV_RVC_BRANCH", "R_RISCV_RVC_JUMP", "R_RISCV_RELAX", "R_RISCV_ALIGN",
            "R_RISCV_ADD32", "R_RISCV_SUB32", "R_RISCV_64"} <= types


def call_target(image, at: int) -> int:
    return at + u_imm(word(image, at)) + i_imm(word(image, at + 4))


def test_near_call_is_direct_far_call_through_a_stub(linked):
    _, image = linked
    s = image.symbols
    assert call_target(image, s["at_call_near"]) == NEAR
    assert call_target(image, s["at_tail"]) == NEAR
    stub = call_target(image, s["at_call_far"])
    assert segment_bytes(image, stub, 4) == POINTER_JUMP_STUB[:4]   # auipc t3
    got = stub + u_imm(word(image, stub)) + i_imm(word(image, stub + 4))
    assert int.from_bytes(segment_bytes(image, got, 8), "little") == FAR


def test_pcrel_pairs_reach_through_their_auipc(linked):
    _, image = linked
    s = image.symbols
    auipc = s["at_pcrel"]
    assert auipc + u_imm(word(image, auipc)) + i_imm(word(image, auipc + 4)) == s["datum"] + 8
    store = s["at_store"]
    assert store + u_imm(word(image, store)) + s_imm(word(image, store + 4)) == s["datum"]
    got = s["at_got"]
    entry = got + u_imm(word(image, got)) + i_imm(word(image, got + 4))
    assert int.from_bytes(segment_bytes(image, entry, 8), "little") == FAR


def test_branches_and_compressed_jumps(linked):
    _, image = linked
    s = image.symbols
    assert s["at_branch"] + b_imm(word(image, s["at_branch"])) == s["there"]
    assert s["at_jal"] + j_imm(word(image, s["at_jal"])) == s["there"]
    assert s["at_cbeqz"] + cb_imm(half(image, s["at_cbeqz"])) == s["there"]
    assert s["at_cj"] + cj_imm(half(image, s["at_cj"])) == s["there"]


def test_add_sub_pair_and_abs64_in_data(linked):
    _, image = linked
    s = image.symbols
    assert int.from_bytes(segment_bytes(image, s["table"], 4), "little") == s["there"] - s["f"]
    assert int.from_bytes(segment_bytes(image, s["table"] + 4, 8), "little") == FAR


@pytest.mark.parametrize("distance, ok", [
    ((1 << 31) - 0x800 - 2, True), ((1 << 31) - 0x800, False),
    (-(1 << 31) - 0x800, True), (-(1 << 31) - 0x800 - 2, False)])
def test_auipc_range_edges(distance, ok):
    """A data reference (no stub possible) at both ends of auipc's range."""
    obj = assemble("""
        .text
        .globl at
    at: auipc a0, %pcrel_hi(ext)
        ld a0, %pcrel_lo(at)(a0)
    """)
    code = 0x100000000
    where = code + distance
    if not ok:
        with pytest.raises(LinkError, match="R_RISCV_PCREL_HI20.*auipc's range"):
            link_with(obj, {"ext": where}, FakeMemory(rx=code, rw=code + 0x100000))
        return
    image = link_with(obj, {"ext": where}, FakeMemory(rx=code, rw=code + 0x100000))
    at = image.symbols["at"]
    assert at == code
    assert at + u_imm(word(image, at)) + i_imm(word(image, at + 4)) == where


def test_jal_one_step_out_of_range_is_an_error():
    """(gas makes a `beq` to an undefined symbol `bne +8; jal`: the jal is the range.)"""
    obj = assemble("""
        .text
        .globl at
    at: jal ext
    """)
    image = link_with(obj, {"ext": RX_BASE + (1 << 20) - 2}, FakeMemory())
    assert image.symbols["at"] + j_imm(word(image, image.symbols["at"])) == \
        RX_BASE + (1 << 20) - 2
    with pytest.raises(LinkError, match="R_RISCV_JAL against symbol 'ext'.*int21"):
        link_with(obj, {"ext": RX_BASE + (1 << 20)}, FakeMemory())
    with pytest.raises(LinkError, match="R_RISCV_JAL against symbol 'ext'.*int21"):
        link_with(obj, {"ext": RX_BASE - (1 << 20) - 2}, FakeMemory(rx=RX_BASE))


def test_absolute_hi_lo_below_2_gib_only():
    obj = assemble("""
        .text
        .globl at
    at: lui a0, %hi(ext)
        addi a0, a0, %lo(ext)
        sw a1, %lo(ext)(a0)
    """)
    low = 0x12345FFF                 # the low part is negative: the high part rounds up
    image = link_with(obj, {"ext": low}, FakeMemory())
    at = image.symbols["at"]
    assert u_imm(word(image, at)) + i_imm(word(image, at + 4)) == low
    assert u_imm(word(image, at)) + s_imm(word(image, at + 8)) == low
    with pytest.raises(LinkError, match="lui's range"):
        link_with(obj, {"ext": 0x7FFFF800}, FakeMemory())


def test_pcrel_lo_without_its_hi_is_an_error():
    obj = assemble("""
        .text
        .globl at
    at: nop
    lo: addi a0, a0, %pcrel_lo(at)
    """)
    with pytest.raises(LinkError, match="no R_RISCV_PCREL_HI20"):
        link_with(obj, {}, FakeMemory())


def test_hi_lo_split_rounds():
    for value in (0, 0x7FF, 0x800, -0x800, -0x801, 0x12345FFF, (1 << 31) - 0x801):
        hi, lo = hi_lo(value)
        assert (hi << 12) + lo == value and -2048 <= lo < 2048


# -- the trampoline --------------------------------------------------------------------

def linked_bytes(source: str) -> tuple[bytes, dict[str, int]]:
    """GNU as + ld (no relaxation), the .text bytes and the symbols' offsets."""
    if shutil.which("riscv64-linux-gnu-ld") is None:
        pytest.skip("riscv64-linux-gnu-ld is not installed (make system-deps)")
    obj = assemble(source)
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "a.o").write_bytes(obj)
        subprocess.run(["riscv64-linux-gnu-ld", "--no-relax", "-Ttext=0", "-e", "0", "-o",
                        f"{tmp}/a", f"{tmp}/a.o"], check=True)
        subprocess.run(["riscv64-linux-gnu-objcopy", "-O", "binary", "-j", ".text",
                        f"{tmp}/a", f"{tmp}/a.bin"], check=True)
        nm = subprocess.run(["riscv64-linux-gnu-nm", f"{tmp}/a"], check=True,
                            capture_output=True, text=True).stdout
        symbols = {line.split()[2]: int(line.split()[0], 16) for line in nm.splitlines()
                   if len(line.split()) == 3}
        return Path(tmp, "a.bin").read_bytes(), symbols


EBREAK = bytes.fromhex("73001000")


def test_trampoline_bytes_are_its_assembly():
    code, symbols = linked_bytes(trampoline.TRAMPOLINE_ASM)
    t = trampoline
    assert code == t.TRAMPOLINE
    assert symbols["restore"] == t.RESTORE and symbols["mailbox"] == t.MAILBOX_POINTER
    assert code[t.TRAP:t.TRAP + 4] == EBREAK and t.TRAP == symbols["mismatch"] - 4
    assert code[t.CHECK_TRAP:t.CHECK_TRAP + 4] == EBREAK and t.CHECK_TRAP == symbols["reject"] - 4
    assert code[t.CALL_SITE:t.RESTORE] == bytes.fromhex("e7800200")     # jalr t0
    assert code[t._READ_FCSR:t._READ_FCSR + 4] == bytes.fromhex("f3223000")   # frcsr t0
    assert code[t.SAVED_END - 4:t.SAVED_END] == bytes.fromhex("2338510e")  # sd t0, 240(sp)
    assert t.SAVED_BYTES == 8 * len(t.PUSHED_REGISTERS) == 248
    assert t.changed_while_saving(t._READ_FCSR) == ()
    assert t.changed_while_saving(t.SAVED_END - 4) == ("t0",)
    assert t.frame_of(0x7000) == 0x7000 - 128 - 512


def test_syscall_code_and_stub_are_their_assembly():
    code, _ = linked_bytes(".option norvc\necall\nebreak\n")
    assert code == trampoline.SYSCALL_CODE and trampoline.SYSCALL_TRAP == 4
    code, _ = linked_bytes(".option norvc\nauipc t3, 0\nld t3, 0(t3)\njr t3\n")
    assert code == POINTER_JUMP_STUB


def test_lldb_can_stop_in_functions_without_lr():
    lr_w, sc_w = bytes.fromhex("af270410"), bytes.fromhex("af2642 1c".replace(" ", ""))
    assert trampoline.stop_site_ok(bytes.fromhex("1305000073000000"))   # li a0, 0; ecall
    assert not trampoline.stop_site_ok(bytes.fromhex("0547") + lr_w + sc_w)  # glibc's abort
    assert trampoline.stop_site_ok(bytes.fromhex("0547") + sc_w)


def test_registry_has_the_folder():
    target = for_triple("riscv64-unknown-linux-gnu")
    assert target.name == "riscv64" and target.abi is trampoline
    assert target.llvm_abi == "lp64d" and not target.char_signed


# -- LP64D records ---------------------------------------------------------------------

def scalar(kind: Kind, size: int) -> CType:
    return CType(kind, size, size)


INT, LONG, FLOAT, DOUBLE = (scalar(Kind.INT, 4), scalar(Kind.LONG, 8),
                            scalar(Kind.FLOAT, 4), scalar(Kind.DOUBLE, 8))
LDOUBLE = scalar(Kind.LDOUBLE, 16)
PTR = CType(Kind.PTR, 8, 8, base=INT)


def struct(*fields: CType, kind: Kind = Kind.STRUCT) -> CType:
    members, offset, align = [], 0, 1
    for i, f in enumerate(fields):
        offset = -(-offset // f.align) * f.align if kind is Kind.STRUCT else 0
        members.append(Member(f"m{i}", f, offset))
        offset += f.size if kind is Kind.STRUCT else 0
        align = max(align, f.align)
    size = max(f.size for f in fields) if kind is Kind.UNION else offset
    return CType(kind, -(-size // align) * align, align, members=members)


def parts(passing):
    return [(p.cls, p.offset, p.size, p.count) for p in passing.parts]


@pytest.mark.parametrize("ty, expected", [
    (struct(FLOAT), [(Class.SSE, 0, 4, 1)]),
    (struct(DOUBLE, DOUBLE), [(Class.SSE, 0, 8, 1), (Class.SSE, 8, 8, 1)]),
    (struct(INT, DOUBLE), [(Class.INTEGER, 0, 4, 1), (Class.SSE, 8, 8, 1)]),
    (struct(FLOAT, LONG), [(Class.SSE, 0, 4, 1), (Class.INTEGER, 8, 8, 1)]),
    (struct(struct(FLOAT), FLOAT), [(Class.SSE, 0, 4, 1), (Class.SSE, 4, 4, 1)]),
    (struct(CType(Kind.ARRAY, 8, 4, base=FLOAT, length=2)),
     [(Class.SSE, 0, 4, 1), (Class.SSE, 4, 4, 1)]),
    (struct(INT, INT), [(Class.INTEGER, 0, 8, 1)]),                  # two ints: a0
    (struct(FLOAT, FLOAT, FLOAT), [(Class.INTEGER, 0, 8, 2)]),       # three: [2 x i64]
    (struct(PTR, DOUBLE), [(Class.INTEGER, 0, 8, 2)]),               # a pointer: no
    (struct(FLOAT, DOUBLE, kind=Kind.UNION), [(Class.INTEGER, 0, 8, 1)]),   # a union: no
    (struct(LDOUBLE), [(Class.INTEGER, 0, 16, 1)]),                  # 16-aligned: i128
])
def test_flattening_of_a_named_argument(ty, expected):
    lowering = callconv.lower_call(None, [ty])
    assert parts(lowering.args[0]) == expected


def test_flattening_needs_the_registers_free():
    pair = struct(DOUBLE, DOUBLE)
    lowering = callconv.lower_call(None, [DOUBLE] * 7 + [pair])
    assert parts(lowering.args[-1]) == [(Class.INTEGER, 0, 8, 2)]     # one fa left
    lowering = callconv.lower_call(None, [DOUBLE] * 6 + [pair])
    assert parts(lowering.args[-1]) == [(Class.SSE, 0, 8, 1), (Class.SSE, 8, 8, 1)]


def test_variadic_records_are_not_flattened():
    lowering = callconv.lower_call(INT, [PTR, struct(DOUBLE)], nfixed=1)
    assert parts(lowering.args[1]) == [(Class.INTEGER, 0, 8, 1)]


def test_large_records_by_reference_and_sret():
    big = struct(LONG, LONG, LONG)
    lowering = callconv.lower_call(big, [big])
    assert lowering.ret.in_memory and lowering.args[0].by_reference
    assert parts(callconv.lower_call(struct(FLOAT, INT), []).ret) == \
        [(Class.SSE, 0, 4, 1), (Class.INTEGER, 4, 4, 1)]
