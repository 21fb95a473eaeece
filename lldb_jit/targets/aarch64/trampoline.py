"""AAPCS64 (Linux) calls into the debuggee: the call trampoline and the syscall stub.

As on x86-64 (see lldb_jit/targets/x86_64/trampoline.py), the debuggee saves its own
registers: the trampoline, loaded once per process, stores x0-x30 and NZCV just below the
entry SP, then FPSR, FPCR and q0-q31 below them; sets x29 to the bottom of that area,
calls the expression with x0 = argument block, x1 = result, restores everything and
stops at its `brk #0`. The debugger writes only SP and PC. On a crash or an interrupt
the debugger resumes the thread at RESTORE with x29 pointing at the saved state.

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

# Entered with SP pointing at {entry, arg0, arg1}; GNU as syntax
# (tests/unit/test_abi.py checks that the bytes below are this assembly).
TRAMPOLINE_ASM = """
    sub sp, sp, #256
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
    ldr x16, [x29, #784]
    add x17, x29, #792
    ldp x0, x1, [x17]
    blr x16
restore:
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
    add sp, sp, #256
    brk #0
"""
TRAMPOLINE = bytes.fromhex(
    "ff0304d1e00700a9e20f01a9e41702a9e61f03a9e82704a9ea2f05a9ec3706a9ee3f07a9f047"
    "08a9f24f09a9f4570aa9f65f0ba9f8670ca9fa6f0da9fc770ea900423bd5fe030fa9ff4308d1"
    "20443bd501443bd5e00700a9e08700ade28f01ade49702ade69f03ade8a704adeaaf05adecb7"
    "06adeebf07adf0c708adf2cf09adf4d70aadf6df0badf8e70cadfaef0dadfcf70eadfeff0fad"
    "fd030091b08b41f9b1630c91200640a900023fd6bf030091e00740a920441bd501441bd5e087"
    "40ade28f41ade49742ade69f43ade8a744adeaaf45adecb746adeebf47adf0c748adf2cf49ad"
    "f4d74aadf6df4badf8e74cadfaef4dadfcf74eadfeff4fadff430891fe034fa900421bd5e007"
    "40a9e20f41a9e41742a9e61f43a9e82744a9ea2f45a9ec3746a9ee3f47a9f04748a9f24f49a9"
    "f4574aa9f65f4ba9f8674ca9fa6f4da9fc774ea9ff030491000020d4"
)
RESTORE = 0xAC               # offset of `restore:`
TRAP = len(TRAMPOLINE) - 4   # offset of the brk
TRAP_PC_OFFSET = 0           # a brk stops with the PC on the brk itself
SAVED_BYTES = 32 * 8         # x0-x30 and NZCV, just below the entry SP
FRAME_BYTES = SAVED_BYTES + 16 + 32 * 16   # and FPSR, FPCR, q0-q31 below them: x29
STACK_NEEDED = 16 * 1024     # below SP: the saved state and the expression's frame

# What the stores leave from SAVED_BYTES below the entry SP upwards, in memory order.
PUSHED_REGISTERS = GPRS + ("cpsr",)


def entry_registers(before: dict[str, int], entry_sp: int, trampoline: int) -> dict[str, int]:
    """Registers that send the thread, as it is at the stop, into the trampoline. (A
    thread stopped in an interrupted system call needs nothing: arm64 Linux has already
    moved its PC back to the `svc` and put x0 back before the debugger sees it.)"""
    return {SP: entry_sp, PC: trampoline}


def recovery_registers(entry_sp: int, trampoline: int) -> dict[str, int]:
    """Registers that send a stopped thread to the trampoline's restore path."""
    return {FP: entry_sp - FRAME_BYTES, PC: trampoline + RESTORE}


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
