"""RISC-V 64 Linux (LP64D) calls into the debuggee: the call trampoline and the syscall stub.

As on AArch64 (see lldb_jit/targets/aarch64/trampoline.py), the debuggee saves its own
registers: the trampoline, loaded once per process, steps 128 bytes below SP, stores
x1 and x3-x31 and fcsr below that, then f0-f31 below them; sets s0 to the bottom of that
area (the frame), keeps the frame and a copy of x1, x3-x31 and fcsr in its mailbox, calls
the expression with the entry point and a0 = argument block, a1 = result from the
mailbox, restores everything and stops at its `ebreak`: the one at TRAP when the stored
registers still equal the mailbox's copy, the one at CHECK_TRAP when they do not. The
debugger writes only the PC. On a crash or an interrupt the debugger resumes the thread
at RESTORE, which finds the saved state through the mailbox.

RISC-V Linux has no red zone; we keep 128 bytes free below SP anyway. The code is
assembled with `.option norvc, norelax`: every instruction is 4 bytes and every offset
is the assembler's. Pure data: lldb_jit/run.py applies it.
"""
from __future__ import annotations

NAME = "riscv64"
BYTE_ORDER = "little"
PC, SP, FP, FLAGS = "pc", "sp", "fp", "fcsr"
RED_ZONE = 128
STACK_ALIGN = 16
# x1, x3-x31 by the names LLDB and qemu give them (x8 is `fp`, the ABI's s0); sp is x2
GPRS = ("ra", "gp", "tp", "t0", "t1", "t2", "fp", "s1",
        *(f"a{i}" for i in range(8)), *(f"s{i}" for i in range(2, 12)),
        "t3", "t4", "t5", "t6")
CHECKED_REGISTERS = GPRS + ("sp", "pc", "fcsr")
# What the stores leave from the frame + SAVED_OFFSET upwards, in memory order (the
# mailbox's copy too).
PUSHED_REGISTERS = GPRS + ("fcsr",)
SAVED_BYTES = 8 * len(PUSHED_REGISTERS)        # 248: x1, x3-x31 and fcsr
_GPR_AREA = 256                                # SAVED_BYTES rounded up to 16
_FPR_AREA = 32 * 8                             # f0-f31
FRAME_BYTES = _GPR_AREA + _FPR_AREA
SAVED_OFFSET = _FPR_AREA                       # from the frame (s0) up to x1...
STACK_NEEDED = 16 * 1024     # below SP: the saved state and the expression's frame

_ASM_NAMES = tuple("s0" if r == "fp" else r for r in GPRS)   # gas spells x8 s0
_SAVE = "".join(f"    sd {r}, {8 * i}(sp)\n" for i, r in enumerate(_ASM_NAMES))
_LOAD = "".join(f"    ld {r}, {8 * i}(sp)\n" for i, r in enumerate(_ASM_NAMES) if r != "t0")
_FSAVE = "".join(f"    fsd f{i}, {8 * i}(sp)\n" for i in range(32))
_FLOAD = "".join(f"    fld f{i}, {8 * i}(sp)\n" for i in range(32))
_FCSR_AT = 8 * len(GPRS)                       # 240

# The restore-and-trap sequence, at two traps: "all back as they were" and "check
# every register" (the debugger tells them apart by the PC)
_RESTORE_AND_TRAP = f"""\
    ld t0, {_FCSR_AT}(sp)
    fscsr t0
    ld t0, 24(sp)
{_LOAD}    addi sp, sp, {RED_ZONE + _GPR_AREA}
    ebreak
"""

# Entered with the thread's own SP; GNU as syntax (tests/unit/test_riscv64.py checks that
# the bytes below are this assembly and the offsets its labels). t1 holds the mailbox's
# address from `1:`/`3:` on; the call words start at t1 = mailbox + 8 + SAVED_BYTES.
TRAMPOLINE_ASM = f"""
    .option norvc
    .option norelax
    addi sp, sp, -{RED_ZONE + _GPR_AREA}
{_SAVE}    frcsr t0
    sd t0, {_FCSR_AT}(sp)
    addi sp, sp, -{_FPR_AREA}
{_FSAVE}    mv s0, sp
1:  auipc t1, %pcrel_hi(mailbox)
    ld t1, %pcrel_lo(1b)(t1)
    sd s0, 0(t1)
    addi t1, t1, 8
    addi t2, s0, {SAVED_OFFSET}
    li t3, {SAVED_BYTES // 8}
2:  ld t4, 0(t2)
    sd t4, 0(t1)
    addi t2, t2, 8
    addi t1, t1, 8
    addi t3, t3, -1
    bnez t3, 2b
    ld t3, 32(t1)
    beqz t3, reject
    li t4, {(4096 - 8 - SAVED_BYTES - 40) // 8}
    bgtu t3, t4, reject
    addi t2, t1, 40
3:  auipc t5, %pcrel_hi(hashkey)
    addi t5, t5, %pcrel_lo(3b)
    ld t4, 0(t5)
    ld t5, 8(t5)
hash:
    ld t6, 0(t2)
    xor t4, t4, t6
    mul t4, t4, t5
    addi t2, t2, 8
    addi t3, t3, -1
    bnez t3, hash
    ld t6, 8(t1)
    bne t4, t6, reject
    ld t2, 16(t1)
    ld t3, 24(t1)
    not t3, t3
    bne t2, t3, reject
    ld t3, 56(t1)
    add t3, t2, t3
    not t4, t3
    sd t3, 16(t1)
    sd t4, 24(t1)
    mv a1, t2
    ld a0, 48(t1)
    ld t0, 40(t1)
    jalr ra, 0(t0)
restore:
4:  auipc t1, %pcrel_hi(mailbox)
    ld t1, %pcrel_lo(4b)(t1)
    ld s0, 0(t1)
    addi t1, t1, 8
    mv sp, s0
{_FLOAD}    addi sp, sp, {_FPR_AREA}
    mv t2, sp
    li t3, {SAVED_BYTES // 8}
5:  ld t4, 0(t1)
    ld t5, 0(t2)
    bne t4, t5, mismatch
    addi t1, t1, 8
    addi t2, t2, 8
    addi t3, t3, -1
    bnez t3, 5b
    ld t3, 0(t1)
    bnez t3, mismatch
{_RESTORE_AND_TRAP}mismatch:
{_RESTORE_AND_TRAP}reject:
    li t3, 1
    sd t3, 0(t1)
    j restore
    .p2align 3
hashkey:
    .quad 0x9E3779B97F4A7C15
hashmul:
    .quad 0x5BD1E995
mailbox:
    .quad 0
"""
TRAMPOLINE = bytes.fromhex(
    "130101e8233011002334310023384100233c5100233061022334710223388102233c91022330"
    "a1042334b1042338c104233cd1042330e1062334f10623380107233c11072330210923343109"
    "23384109233c51092330610b2334710b2338810b233c910b2330a10d2334b10d2338c10d233c"
    "d10d2330e10f2334f10ff32230002338510e130101f0273001002734110027382100273c3100"
    "273041022734510227386102273c710227308104273491042738a104273cb1042730c1062734"
    "d1062738e106273cf106273001092734110927382109273c31092730410b2734510b2738610b"
    "273c710b2730810d2734910d2738a10d273cb10d2730c10f2734d10f2738e10f273cf10f1304"
    "0100170300000333c329233083001303830093030410130ef00183be03002330d30193838300"
    "13038300130efeffe3160efe033e030263040e24930eb01d63e0ce2593038302170f0000130f"
    "8f24833e0f00033f8f0083bf0300b3cefe01b38eee0393838300130efeffe3160efe833f8300"
    "6396fe2183330301033e8301134efeff639ec31f033e8303338ec301934efeff2338c301233c"
    "d301938503000335030383328302e7800200170300000333431f033403001303830013010400"
    "0730010087308100073101018731810107320102873281020733010387338103073401048734"
    "8104073501058735810507360106873681060737010787378107073801088738810807390109"
    "87398109073a010a873a810a073b010b873b810b073c010c873c810c073d010d873d810d073e"
    "010e873e810e073f010f873f810f1301011093030100130ef001833e030003bf03006392ee0b"
    "1303830093838300130efeffe3140efe033e030063160e088332010f73903200833281018330"
    "0100833181000332010103330102833381020334010383348103033501048335810403360105"
    "83368105033701068337810603380107833881070339010883398108033a0109833a8109033b"
    "010a833b810a033c010b833c810b033d010c833d810c033e010d833e810d033f010e833f810e"
    "13010118730010008332010f7390320083328101833001008331810003320101033301028333"
    "8102033401038334810303350104833581040336010583368105033701068337810603380107"
    "833881070339010883398108033a0109833a8109033b010a833b810a033c010b833c810b033d"
    "010c833d810c033e010d833e810d033f010e833f810e1301011873001000130e10002330c301"
    "6ff05fe213000000157c4a7fb979379e95e9d15b000000000000000000000000"
)
RESTORE = 0x1B4              # offset of `restore:`
TRAP = 0x2FC                 # offset of the ebreak after the registers compared equal
CHECK_TRAP = 0x384           # the ebreak after `mismatch:`
MAILBOX_POINTER = len(TRAMPOLINE) - 8   # `mailbox:`, the mailbox's address
SAVED_END = 0x84             # past the store of fcsr: the stack holds them all
CALL_SITE = 0x1B0            # the `jalr`: everything is saved
_READ_FCSR = 0x7C            # `frcsr t0`, once t0 is stored
TRAP_PC_OFFSET = 4           # qemu-riscv64 reports an ebreak's stop with the PC past it


def changed_while_saving(offset: int) -> tuple[str, ...]:
    """Registers besides SP that the trampoline stopped at `offset` < SAVED_END has
    changed (after storing them): t0, once it holds fcsr."""
    return ("t0",) if offset > _READ_FCSR else ()


def frame_of(sp: int) -> int:
    """Where the trampoline entered with SP `sp` puts its frame (s0)."""
    return sp - RED_ZONE - FRAME_BYTES


def entry_checked(read, pc: int) -> tuple[str, ...]:
    """Registers to read once per stop before the first call: none that
    entry_registers() needs, but one the stop does not send, so that LLDB has read
    them all (see run._put_back)."""
    return (FLAGS,)


def entry_registers(before: dict[str, int]) -> dict[str, int]:
    """Registers besides the PC that send the thread into the trampoline: none (qemu-user
    delivers a stop between guest instructions, a system call done or not begun)."""
    return {}


def restore_after(before: dict[str, int]) -> dict[str, int]:
    """Registers the trampoline cannot put back: none."""
    return {}


def recovery_registers(trampoline: int) -> dict[str, int]:
    """Registers that send a stopped thread to the trampoline's restore path."""
    return {PC: trampoline + RESTORE}


# Linux system calls (lldb_jit/syscall.py): `ecall; ebreak`, number in a7, arguments in
# a0-a5, result in a0; nothing else changes. The generic table: as on AArch64.
SYSCALL_CODE = bytes.fromhex("73000000" "73001000")
SYSCALL_TRAP = 4
SYSCALL_NUMBER, SYSCALL_ARGS, SYSCALL_RESULT = "a7", ("a0", "a1", "a2", "a3", "a4", "a5"), "a0"
SYSCALL_CLOBBERS = ()
SYSCALLS = {"mmap": 222, "mprotect": 226, "munmap": 215}
INSTRUCTION_ALIGN = 2        # the C extension: 2-byte instructions
# Other names stubs give these registers (the ABI's, and the x/f numbers).
REGISTER_ALIASES = {
    **{name: (f"x{i}",) for i, name in enumerate(("zero", "ra", "sp", "gp", "tp", "t0",
                                                  "t1", "t2"))},
    "fp": ("s0", "x8"), "s1": ("x9",),
    **{f"a{i}": (f"x{10 + i}",) for i in range(8)},
    **{f"s{i}": (f"x{16 + i}",) for i in range(2, 12)},
    **{f"t{i}": (f"x{25 + i}",) for i in range(3, 7)},
}


def stop_site_ok(function: bytes) -> bool:
    """Whether LLDB can stop in (and so unwind) a function with this code, to run a
    system call there (lldb_jit/memory.py). LLDB 23's RISC-V unwinder emulates a
    frame's function from its start, and its emulator crashes LLDB (a trap) on an
    `lr.w`/`lr.d`, whose atomic sequence it decodes from memory it has not got (glibc's
    abort has one; gdb-remote packets show nothing wrong: it is LLDB's alone).
    Decoded 2 or 4 bytes at a time; an LR is AMO (0x2f) with funct5 00010."""
    at = 0
    while at + 2 <= len(function):
        half = int.from_bytes(function[at:at + 2], "little")
        if half & 3 != 3:
            at += 2
            continue
        word = int.from_bytes(function[at:at + 4], "little")
        if word & 0x7F == 0x2F and word >> 27 == 0b00010:
            return False
        at += 4
    return True
