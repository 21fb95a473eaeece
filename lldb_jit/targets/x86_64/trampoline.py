"""The SysV x86-64 calling convention and the call trampoline.

LLDB's ThreadPlanCallFunction saves the thread's registers through the debugger (one
`QSaveRegisterState` packet, which the SB API does not offer; register by register it
would cost ~60 packets each way). We let the debuggee do it instead: the trampoline,
loaded once per process, steps over the red zone, pushes every general register and the
flags, copies what it pushed into its mailbox (lldb_jit/targets/__init__.py: MAILBOX),
`xsave`s all extended state (x87, SSE, AVX, AVX-512...) below them (XSAVE sets only the
bits of the area's 64-byte header for what it saved, and XRSTOR faults on any other bit
there, so the trampoline zeroes the header first), calls the expression per the ABI with
the entry point and arguments the debugger left in the mailbox, restores everything and
stops at its `int3`. Before the pops it compares the pushed registers with the mailbox's
copy: the `int3` at TRAP says they were equal (nothing the code did reached them), the
one at CHECK_TRAP that they were not, and the debugger must look. The debugger itself
writes only the PC, before and after; the SP is the thread's own.

If the expression crashes or is interrupted, the debugger resumes the thread at
RESTORE, which finds the saved state through the mailbox, restores and traps the same
way: one path back, whatever happened. The mailbox's address is the last word of the
trampoline, written when it is loaded.

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

# The restore-and-trap sequence, at two traps: "all back as they were" and "check
# every register" (the debugger tells them apart by the PC)
_RESTORE_AND_TRAP = """\
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
    leaq 128(%rsp), %rsp
    int3
"""

# Entered with the thread's own SP; AT&T syntax, assembled by LLVM (tests/unit/test_abi.py
# checks that the bytes below are this assembly and the offsets its labels).
TRAMPOLINE_ASM = """
    leaq -128(%rsp), %rsp
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
    cld
    movq mailbox(%rip), %rdi
    movq %rbp, (%rdi)
    addq $8, %rdi
    movq %rsp, %rsi
    movl $16, %ecx
    rep movsq
    subq $16, %rsp
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
    movq mailbox(%rip), %rdx
    movq 168(%rdx), %rcx
    testq %rcx, %rcx
    jz reject
    cmpq $490, %rcx
    ja reject
    leaq 176(%rdx), %rsi
    movabsq $-7046029254386353131, %rax
hash:
    xorq (%rsi), %rax
    imulq $1540483477, %rax, %rax
    addq $8, %rsi
    decq %rcx
    jnz hash
    cmpq 144(%rdx), %rax
    jne reject
    movq 152(%rdx), %rsi
    movq 160(%rdx), %rax
    notq %rax
    cmpq %rax, %rsi
    jne reject
    movq 192(%rdx), %rax
    addq %rsi, %rax
    movq %rax, 152(%rdx)
    notq %rax
    movq %rax, 160(%rdx)
    movq 184(%rdx), %rdi
    movq 176(%rdx), %rax
    callq *%rax
restore:
    movq mailbox(%rip), %rbp
    movq (%rbp), %rbp
    movq -8(%rbp), %rbx
    movl $-1, %eax
    movl $-1, %edx
    xrstor64 (%rbx)
    movq %rbp, %rsp
    cld
    movq mailbox(%rip), %rdi
    addq $8, %rdi
    movq %rsp, %rsi
    movl $16, %ecx
    repe cmpsq
    jne mismatch
    movq mailbox(%rip), %rdi
    cmpq $0, 136(%rdi)
    jne mismatch
    RESTORE_AND_TRAP
mismatch:
    RESTORE_AND_TRAP
reject:
    movq $1, 136(%rdx)
    jmp restore
    .p2align 3
mailbox:
    .quad 0
""".replace("    RESTORE_AND_TRAP\n", _RESTORE_AND_TRAP)
TRAMPOLINE = bytes.fromhex(
    "488d6424809c50535152565755415041514152415341544155415641574889e5fc488b3db001"
    "000048892f4883c7084889e6b910000000f348a54883ec10b80d00000031c90fa24829dc4883"
    "e4c04889e348895df831c0488983000200004889830802000048898310020000488983180200"
    "0048898320020000488983280200004889833002000048898338020000b8ffffffffbaffffff"
    "ff480fae23488b1534010000488b8aa80000004885c90f840f0100004881f9ea0100000f8702"
    "010000488db2b000000048b8157c4a7fb979379e4833064869c095e9d15b4883c60848ffc975"
    "ed483b82900000000f85d1000000488bb298000000488b82a000000048f7d04839c60f85b700"
    "0000488b82c00000004801f04889829800000048f7d0488982a0000000488bbab8000000488b"
    "82b0000000ffd0488b2d9a000000488b6d00488b5df8b8ffffffffbaffffffff480fae2b4889"
    "ecfc488b3d790000004883c7084889e6b910000000f348a77532488b3d610000004883bf8800"
    "0000007521415f415e415d415c415b415a415941585d5f5e5a595b589d488da42480000000cc"
    "415f415e415d415c415b415a415941585d5f5e5a595b589d488da42480000000cc48c7828800"
    "000001000000e964ffffff0f1f4400000000000000000000"
)
RESTORE = 0x137              # offset of `restore:`
TRAP = 0x1A1                 # offset of the int3 after the registers compared equal
CHECK_TRAP = 0x1C2           # the int3 after `mismatch:`
MAILBOX_POINTER = len(TRAMPOLINE) - 8   # `mailbox:`, the mailbox's address
SAVED_END = 0x1D             # past the last push: from here on the stack holds them all
CALL_SITE = 0x135            # the `callq`: everything is saved
TRAP_PC_OFFSET = 1           # after an int3 the reported PC is just past it
SAVED_BYTES = 16 * 8         # the 16 pushes
SAVED_OFFSET = 0             # from the frame (rbp, the mailbox's first word) to them
STACK_NEEDED = 16 * 1024     # below SP: the pushes, the xsave area, the expression's frame


# What the pushes leave from the frame upwards, in memory order (the mailbox's copy too).
PUSHED_REGISTERS = ("r15", "r14", "r13", "r12", "r11", "r10", "r9", "r8",
                    "rbp", "rdi", "rsi", "rdx", "rcx", "rbx", "rax", "rflags")


def changed_while_saving(offset: int) -> tuple[str, ...]:
    """Registers besides SP that the trampoline stopped at `offset` < SAVED_END has
    changed (after storing them): none, the pushes change only rsp."""
    return ()


def frame_of(sp: int) -> int:
    """Where the trampoline entered with SP `sp` puts its frame: the saved registers."""
    return sp - RED_ZONE - SAVED_BYTES


# A thread stopped inside a system call has -ERESTARTSYS... in rax; when it resumes,
# Linux restarts the call by moving the PC back over the `syscall` instruction. Sent
# somewhere else, it must not: rax = 0 tells the kernel there is nothing to restart
# (the original rax goes back afterwards, so the program's own call restarts later).
_RESTART_ERRNOS = range(512, 517)   # ERESTARTSYS .. ERESTART_RESTARTBLOCK


def _no_restart(rax: int) -> dict[str, int]:
    return {"rax": 0} if (-rax) % (1 << 64) in _RESTART_ERRNOS else {}


# The system call instructions a thread stopped in a system call has just run.
_SYSCALL_INSTRUCTIONS = (bytes.fromhex("0f05"), bytes.fromhex("cd80"), bytes.fromhex("0f34"))


def entry_checked(read, pc: int) -> tuple[str, ...]:
    """Registers to read once per stop before the first call, the thread's PC being
    `pc` and `read(address, size)` reading memory (LLDB has the code at the PC in its
    cache after a stop): the flags, for restore_after(), and rax only where a system
    call may be pending (entry_registers). Both are registers the stop does not send:
    LLDB has then read them all (see run._put_back)."""
    try:
        in_syscall = read(pc - 2, 2) in _SYSCALL_INSTRUCTIONS
    except Exception:      # unreadable: look at rax
        in_syscall = True
    return ("rax", "rflags") if in_syscall else ("rflags",)


def entry_registers(before: dict[str, int]) -> dict[str, int]:
    """Registers besides the PC that send the thread, as it is at the stop (`before`
    holds what entry_checked() named), into the trampoline."""
    return _no_restart(before["rax"]) if "rax" in before else {}


_RF = 1 << 16   # the resume flag: pushfq stores it as 0 and popfq cannot set it


def restore_after(before: dict[str, int]) -> dict[str, int]:
    """Registers the trampoline cannot put back as they were at the stop: rax where
    entry_registers() changed it, the flags when the stop left RF set."""
    out = {"rax": before["rax"]} if entry_registers(before) else {}
    if before["rflags"] & _RF:
        out["rflags"] = before["rflags"]
    return out


def recovery_registers(trampoline: int) -> dict[str, int]:
    """Registers that send a stopped thread to the trampoline's restore path (rax = 0:
    stopped in a system call, the thread must not restart it there)."""
    return {"rax": 0, PC: trampoline + RESTORE}


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

# The same calls as a stub that saves and restores those registers itself (targets/
# SyscallStub): setting and putting back each through the debugger costs two packets.
#     leaq -256(%rsp), %rsp        (past the red zone)
#     movq %REG, 8*i(%rsp)         (each of _STUB_SAVED)
#   then for call k:
#     movabsq $value, %REG         (rax, then the arguments)
#     syscall
#     movq %rax, 72+8*k(%rsp)
#   then
#     movq 8*i(%rsp), %REG         (each of _STUB_SAVED)
#     int3
# None of these instructions changes the flags; `syscall` and the kernel's return
# leave them as they were (through r11, put back after).
_STUB_SAVED = ("rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11")
_NUMBER = {"rax": 0, "rcx": 1, "rdx": 2, "rsi": 6, "rdi": 7,
           "r8": 8, "r9": 9, "r10": 10, "r11": 11}
_STUB_DROP = RED_ZONE + 128
_STUB_CALLS = (_STUB_DROP - RED_ZONE - 8 * len(_STUB_SAVED)) // 8   # results that fit


def _rsp_slot(opcode: int, reg: str, offset: int) -> bytes:
    """`movq %reg, offset(%rsp)` (opcode 0x89) or `movq offset(%rsp), %reg` (0x8b)."""
    n = _NUMBER[reg]
    if offset == 0:     # (%rsp): no displacement byte
        return bytes([0x48 | (n >> 3) << 2, opcode, 0x04 | (n & 7) << 3, 0x24])
    return bytes([0x48 | (n >> 3) << 2, opcode, 0x44 | (n & 7) << 3, 0x24, offset])


def syscall_stub(calls: list[tuple[int, tuple[int, ...]]], read, pc: int):
    """The stub for system calls `calls` (number, arguments), for a thread stopped at
    `pc` (`read(address, size)` reads memory); None where the thread is stopped in a
    system call the kernel would restart at the stub (see _no_restart: only a
    debugger's write of rax stops that), or for more calls than it has room for."""
    from .. import SyscallStub
    if "rax" in entry_checked(read, pc) or len(calls) > _STUB_CALLS:
        return None
    code = bytes.fromhex("488da42400ffffff") + b"".join(
        _rsp_slot(0x89, reg, 8 * i) for i, reg in enumerate(_STUB_SAVED))
    saves_end = len(code)
    results = tuple(8 * (len(_STUB_SAVED) + k) for k in range(len(calls)))
    for (number, args), result in zip(calls, results):
        for reg, value in zip((SYSCALL_NUMBER, *SYSCALL_ARGS), (number, *args)):
            n = _NUMBER[reg]        # movabsq $value, %reg
            code += bytes([0x48 | n >> 3, 0xB8 | n & 7]) + value.to_bytes(8, "little")
        code += SYSCALL_CODE[:SYSCALL_TRAP] + _rsp_slot(0x89, SYSCALL_RESULT, result)
    code += b"".join(_rsp_slot(0x8B, reg, 8 * i) for i, reg in enumerate(_STUB_SAVED))
    code += SYSCALL_CODE[SYSCALL_TRAP:]
    return SyscallStub(code, _STUB_DROP, _STUB_SAVED, saves_end, results, len(code) - 1)
