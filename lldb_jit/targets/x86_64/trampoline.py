"""The SysV x86-64 calling convention and the call trampoline.

LLDB's ThreadPlanCallFunction saves the thread's registers through the debugger (one
`QSaveRegisterState` packet, which the SB API does not offer; register by register it
would cost ~60 packets each way). We let the debuggee do it instead: the trampoline,
loaded once per process, pushes every general register and the flags, `xsave`s all
extended state (x87, SSE, AVX, AVX-512...) below them (XSAVE sets only the bits
of the area's 64-byte header for what it saved, and XRSTOR faults on any other bit
there, so the trampoline zeroes the header first), calls the expression per the
ABI, restores everything and stops at its `int3`. The debugger itself writes only the
stack pointer and the PC, before and after.

If the expression crashes or is interrupted, the debugger resumes the thread at
RESTORE (with the frame register pointing at the saved state), which restores and
traps the same way: one path back, whatever happened.

Pure data and arithmetic: lldb_jit/run.py applies it.
"""
from __future__ import annotations

NAME = "x86_64"
BYTE_ORDER = "little"
PC, SP, FP, FLAGS = "rip", "rsp", "rbp", "rflags"
RED_ZONE = 128
STACK_ALIGN = 16
# Registers the debugger compares before and after a call (cheap to read: general).
CHECKED_REGISTERS = ("rax", "rbx", "rcx", "rdx", "rdi", "rsi", "rbp", "rsp",
                     "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags")

# Entered with SP pointing at {entry, arg0, arg1}; AT&T syntax, assembled by LLVM
# (tests/unit/test_abi.py checks that the bytes below are this assembly).
TRAMPOLINE_ASM = """
    pushfq
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rbp
    subq $16, %rsp
    cld
    movl $0xd, %eax
    xorl %ecx, %ecx
    cpuid
    subq %rbx, %rsp
    andq $-64, %rsp
    movq %rsp, %rbx
    movq %rbx, -8(%rbp)
    xorl %eax, %eax
    movq %rax, 512(%rbx)
    movq %rax, 520(%rbx)
    movq %rax, 528(%rbx)
    movq %rax, 536(%rbx)
    movq %rax, 544(%rbx)
    movq %rax, 552(%rbx)
    movq %rax, 560(%rbx)
    movq %rax, 568(%rbx)
    movl $-1, %eax
    movl $-1, %edx
    xsave64 (%rbx)
    movq 128(%rbp), %rax
    movq 136(%rbp), %rdi
    movq 144(%rbp), %rsi
    callq *%rax
restore:
    movq -8(%rbp), %rbx
    movl $-1, %eax
    movl $-1, %edx
    xrstor64 (%rbx)
    movq %rbp, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    popfq
    int3
"""
TRAMPOLINE = bytes.fromhex(
    "9c50535152565755415041514152415341544155415641574889e54883ec10fcb80d00000031"
    "c90fa24829dc4883e4c04889e348895df831c048898300020000488983080200004889831002"
    "00004889831802000048898320020000488983280200004889833002000048898338020000b8"
    "ffffffffbaffffffff480fae23488b8580000000488bbd88000000488bb590000000ffd0488b"
    "5df8b8ffffffffbaffffffff480fae2b4889ec415f415e415d415c415b415a415941585d5f5e"
    "5a595b589dcc"
)
RESTORE = 0x96               # offset of `restore:`
TRAP = len(TRAMPOLINE) - 1   # offset of the int3
TRAP_PC_OFFSET = 1           # after an int3 the reported PC is just past it
SAVED_BYTES = 16 * 8         # the 16 pushes: FP = entry SP - SAVED_BYTES
STACK_NEEDED = 16 * 1024     # below SP: the pushes, the xsave area, the expression's frame


# What the pushes leave from SAVED_BYTES below the entry SP upwards, in memory order.
PUSHED_REGISTERS = ("r15", "r14", "r13", "r12", "r11", "r10", "r9", "r8",
                    "rbp", "rdi", "rsi", "rdx", "rcx", "rbx", "rax", "rflags")


# A thread stopped inside a system call has -ERESTARTSYS... in rax; when it resumes,
# Linux restarts the call by moving the PC back over the `syscall` instruction. Sent
# somewhere else, it must not: rax = 0 tells the kernel there is nothing to restart
# (the original rax goes back afterwards, so the program's own call restarts later).
_RESTART_ERRNOS = range(512, 517)   # ERESTARTSYS .. ERESTART_RESTARTBLOCK


def _no_restart(rax: int) -> dict[str, int]:
    return {"rax": 0} if (-rax) % (1 << 64) in _RESTART_ERRNOS else {}


def entry_registers(before: dict[str, int], entry_sp: int, trampoline: int) -> dict[str, int]:
    """Registers that send the thread, as it is at the stop, into the trampoline."""
    return {**_no_restart(before["rax"]), SP: entry_sp, PC: trampoline}


def recovery_registers(entry_sp: int, trampoline: int) -> dict[str, int]:
    """Registers that send a stopped thread to the trampoline's restore path."""
    return {"rax": 0, FP: entry_sp - SAVED_BYTES, PC: trampoline + RESTORE}


# Linux system calls (lldb_jit/syscall.py): `syscall; int3`, number in rax, arguments in
# rdi, rsi, rdx, r10, r8, r9, result in rax; the instruction itself clobbers rcx and r11.
SYSCALL_CODE = bytes.fromhex("0f05" "cc")
SYSCALL_TRAP = 2
SYSCALL_NUMBER, SYSCALL_ARGS, SYSCALL_RESULT = "rax", ("rdi", "rsi", "rdx", "r10", "r8", "r9"), "rax"
SYSCALL_CLOBBERS = ("rcx", "r11")
SYSCALLS = {"mmap": 9, "mprotect": 10, "munmap": 11}
INSTRUCTION_ALIGN = 1
# Other names stubs give these registers (GNU gdbserver's target description).
REGISTER_ALIASES = {"rflags": ("eflags",)}
