"""AAPCS64 (Linux) calls into the debuggee: the call trampoline and the syscall stub.

As on x86-64 (see lldb_jit/targets/x86_64/trampoline.py), the debuggee saves its own
registers: the trampoline, loaded once per process, steps 128 bytes below SP, stores
x0-x30 and NZCV below that, then FPSR, FPCR and q0-q31 below them; sets x29 to the
bottom of that area (the frame), keeps the frame and a copy of x0-x30 and NZCV in its
mailbox, calls the expression with the entry point and x0 = argument block, x1 = result
from the mailbox, restores everything and stops at its `brk #0`: the one at TRAP when
the stored registers still equal the mailbox's copy, the one at CHECK_TRAP when they do
not. The debugger writes only the PC. On a crash or an interrupt the debugger resumes
the thread at RESTORE, which finds the saved state through the mailbox.

AArch64 Linux has no red zone; we keep 128 bytes free below SP anyway (leaf code that
writes below SP is harmless then). Pure data: lldb_jit/run.py applies it.
"""
from __future__ import annotations

NAME = "aarch64"
BYTE_ORDER = "little"
PC, SP, FP, FLAGS = "pc", "sp", "x29", "cpsr"
RED_ZONE = 128
STACK_ALIGN = 16
GPRS = tuple(f"x{i}" for i in range(31))
CHECKED_REGISTERS = GPRS + ("sp", "pc", "cpsr")

# The restore-and-trap sequence, at two traps: "all back as they were" and "check
# every register" (the debugger tells them apart by the PC)
_RESTORE_AND_TRAP = """\
    ldp x30, x0, [sp, #240]
    msr nzcv, x0
    ldp x0, x1, [sp, #0]
    ldp x2, x3, [sp, #16]
    ldp x4, x5, [sp, #32]
    ldp x6, x7, [sp, #48]
    ldp x8, x9, [sp, #64]
    ldp x10, x11, [sp, #80]
    ldp x12, x13, [sp, #96]
    ldp x14, x15, [sp, #112]
    ldp x16, x17, [sp, #128]
    ldp x18, x19, [sp, #144]
    ldp x20, x21, [sp, #160]
    ldp x22, x23, [sp, #176]
    ldp x24, x25, [sp, #192]
    ldp x26, x27, [sp, #208]
    ldp x28, x29, [sp, #224]
    add sp, sp, #384
    brk #0
"""

# Entered with the thread's own SP; GNU as syntax (tests/unit/test_abi.py checks that
# the bytes below are this assembly and the offsets its labels).
TRAMPOLINE_ASM = """
    sub sp, sp, #384
    stp x0, x1, [sp, #0]
    stp x2, x3, [sp, #16]
    stp x4, x5, [sp, #32]
    stp x6, x7, [sp, #48]
    stp x8, x9, [sp, #64]
    stp x10, x11, [sp, #80]
    stp x12, x13, [sp, #96]
    stp x14, x15, [sp, #112]
    stp x16, x17, [sp, #128]
    stp x18, x19, [sp, #144]
    stp x20, x21, [sp, #160]
    stp x22, x23, [sp, #176]
    stp x24, x25, [sp, #192]
    stp x26, x27, [sp, #208]
    stp x28, x29, [sp, #224]
    mrs x0, nzcv
    stp x30, x0, [sp, #240]
    sub sp, sp, #528
    mrs x0, fpsr
    mrs x1, fpcr
    stp x0, x1, [sp]
    stp q0, q1, [sp, #16]
    stp q2, q3, [sp, #48]
    stp q4, q5, [sp, #80]
    stp q6, q7, [sp, #112]
    stp q8, q9, [sp, #144]
    stp q10, q11, [sp, #176]
    stp q12, q13, [sp, #208]
    stp q14, q15, [sp, #240]
    stp q16, q17, [sp, #272]
    stp q18, q19, [sp, #304]
    stp q20, q21, [sp, #336]
    stp q22, q23, [sp, #368]
    stp q24, q25, [sp, #400]
    stp q26, q27, [sp, #432]
    stp q28, q29, [sp, #464]
    stp q30, q31, [sp, #496]
    mov x29, sp
    ldr x16, mailbox
    str x29, [x16], #8
    add x17, x29, #528
    mov x2, #32
1:  ldr x3, [x17], #8
    str x3, [x16], #8
    subs x2, x2, #1
    b.ne 1b
    ldr x2, [x16, #32]
    cbz x2, reject
    cmp x2, #474
    b.hi reject
    add x3, x16, #40
    ldr x4, hashkey
    ldr x5, hashmul
hash:
    ldr x6, [x3], #8
    eor x4, x4, x6
    mul x4, x4, x5
    subs x2, x2, #1
    b.ne hash
    ldr x6, [x16, #8]
    cmp x4, x6
    b.ne reject
    ldp x6, x7, [x16, #16]
    mvn x7, x7
    cmp x6, x7
    b.ne reject
    ldr x7, [x16, #56]
    add x7, x6, x7
    mvn x8, x7
    stp x7, x8, [x16, #16]
    mov x1, x6
    ldr x0, [x16, #48]
    ldr x17, [x16, #40]
    blr x17
restore:
    ldr x16, mailbox
    ldr x29, [x16], #8
    mov sp, x29
    ldp x0, x1, [sp]
    msr fpsr, x0
    msr fpcr, x1
    ldp q0, q1, [sp, #16]
    ldp q2, q3, [sp, #48]
    ldp q4, q5, [sp, #80]
    ldp q6, q7, [sp, #112]
    ldp q8, q9, [sp, #144]
    ldp q10, q11, [sp, #176]
    ldp q12, q13, [sp, #208]
    ldp q14, q15, [sp, #240]
    ldp q16, q17, [sp, #272]
    ldp q18, q19, [sp, #304]
    ldp q20, q21, [sp, #336]
    ldp q22, q23, [sp, #368]
    ldp q24, q25, [sp, #400]
    ldp q26, q27, [sp, #432]
    ldp q28, q29, [sp, #464]
    ldp q30, q31, [sp, #496]
    add sp, sp, #528
    mov x17, sp
    mov x2, #32
2:  ldr x3, [x16], #8
    ldr x4, [x17], #8
    cmp x3, x4
    b.ne mismatch
    subs x2, x2, #1
    b.ne 2b
    ldr x16, mailbox
    ldr x2, [x16, #264]
    cbnz x2, mismatch
    RESTORE_AND_TRAP
mismatch:
    RESTORE_AND_TRAP
reject:
    mov x2, #1
    str x2, [x16]
    b restore
    .p2align 3
hashkey:
    .quad 0x9E3779B97F4A7C15
hashmul:
    .quad 0x5BD1E995
mailbox:
    .quad 0
""".replace("    RESTORE_AND_TRAP\n", _RESTORE_AND_TRAP)
TRAMPOLINE = bytes.fromhex(
    "ff0306d1e00700a9e20f01a9e41702a9e61f03a9e82704a9ea2f05a9ec3706a9ee3f07a9f047"
    "08a9f24f09a9f4570aa9f65f0ba9f8670ca9fa6f0da9fc770ea900423bd5fe030fa9ff4308d1"
    "20443bd501443bd5e00700a9e08700ade28f01ade49702ade69f03ade8a704adeaaf05adecb7"
    "06adeebf07adf0c708adf2cf09adf4d70aadf6df0badf8e70cadfaef0dadfcf70eadfeff0fad"
    "fd030091700e00581d8600f8b1430891020480d2238640f8038600f8420400f1a1ffff540212"
    "40f9420c00b45f6807f1080c005403a20091440c0058650c0058668440f8840006ca847c059b"
    "420400f181ffff54060640f99f0006eba10a0054061e41a9e70327aadf0007eb210a0054071e"
    "40f9c700078be80327aa072201a9e10306aa001a40f9111640f920023fd6100a00581d8640f8"
    "bf030091e00740a920441bd501441bd5e08740ade28f41ade49742ade69f43ade8a744adeaaf"
    "45adecb746adeebf47adf0c748adf2cf49adf4d74aadf6df4badf8e74cadfaef4dadfcf74ead"
    "feff4fadff430891f1030091020480d2038640f8248640f87f0004eb21030054420400f161ff"
    "ff5430060058028640f9820200b5fe034fa900421bd5e00740a9e20f41a9e41742a9e61f43a9"
    "e82744a9ea2f45a9ec3746a9ee3f47a9f04748a9f24f49a9f4574aa9f65f4ba9f8674ca9fa6f"
    "4da9fc774ea9ff030691000020d4fe034fa900421bd5e00740a9e20f41a9e41742a9e61f43a9"
    "e82744a9ea2f45a9ec3746a9ee3f47a9f04748a9f24f49a9f4574aa9f65f4ba9f8674ca9fa6f"
    "4da9fc774ea9ff030691000020d4220080d2020200f9b6ffff171f2003d5157c4a7fb979379e"
    "95e9d15b000000000000000000000000"
)
RESTORE = 0x128              # offset of `restore:`
TRAP = 0x1F8                 # offset of the brk after the registers compared equal
CHECK_TRAP = 0x244           # the brk after `mismatch:`
MAILBOX_POINTER = len(TRAMPOLINE) - 8   # `mailbox:`, the mailbox's address
SAVED_END = 0x48             # past the store of x30 and NZCV: the stack holds them all
CALL_SITE = 0x124            # the `blr`: everything is saved
_READ_NZCV = 0x40            # `mrs x0, nzcv`, once x0 is stored
TRAP_PC_OFFSET = 0           # a brk stops with the PC on the brk itself
SAVED_BYTES = 32 * 8         # x0-x30 and NZCV
FRAME_BYTES = SAVED_BYTES + 16 + 32 * 16   # and FPSR, FPCR, q0-q31 below them: x29
SAVED_OFFSET = FRAME_BYTES - SAVED_BYTES   # from the frame (x29) up to x0-x30 and NZCV
STACK_NEEDED = 16 * 1024     # below SP: the saved state and the expression's frame

# What the stores leave from the frame + SAVED_OFFSET upwards, in memory order (the
# mailbox's copy too).
PUSHED_REGISTERS = GPRS + ("cpsr",)


def changed_while_saving(offset: int) -> tuple[str, ...]:
    """Registers besides SP that the trampoline stopped at `offset` < SAVED_END has
    changed (after storing them): x0, once it holds NZCV."""
    return ("x0",) if offset > _READ_NZCV else ()


def frame_of(sp: int) -> int:
    """Where the trampoline entered with SP `sp` puts its frame (x29)."""
    return sp - RED_ZONE - FRAME_BYTES


def entry_checked(read, pc: int) -> tuple[str, ...]:
    """Registers to read once per stop before the first call: none that
    entry_registers() needs, but one the stop does not send, so that LLDB has read
    them all (see run._put_back)."""
    return ("cpsr",)


def entry_registers(before: dict[str, int]) -> dict[str, int]:
    """Registers besides the PC that send the thread into the trampoline: none (a
    thread stopped in an interrupted system call needs nothing: arm64 Linux has
    already moved its PC back to the `svc` and put x0 back before the debugger sees
    it)."""
    return {}


def restore_after(before: dict[str, int]) -> dict[str, int]:
    """Registers the trampoline cannot put back: none."""
    return {}


def recovery_registers(trampoline: int) -> dict[str, int]:
    """Registers that send a stopped thread to the trampoline's restore path."""
    return {PC: trampoline + RESTORE}


# Linux system calls (lldb_jit/syscall.py): `svc #0; brk #0`, number in x8, arguments in
# x0-x5, result in x0; nothing else changes.
SYSCALL_CODE = bytes.fromhex("010000d4" "000020d4")
SYSCALL_TRAP = 4
SYSCALL_NUMBER, SYSCALL_ARGS, SYSCALL_RESULT = "x8", ("x0", "x1", "x2", "x3", "x4", "x5"), "x0"
SYSCALL_CLOBBERS = ()
SYSCALLS = {"mmap": 222, "mprotect": 226, "munmap": 215}
INSTRUCTION_ALIGN = 4
# Other names stubs give these registers.
REGISTER_ALIASES = {"x29": ("fp",), "x30": ("lr",), "cpsr": ("pstate",),
                    "tpidr": ("TPIDR_EL0", "tpidr_el0")}   # qemu's system register name
