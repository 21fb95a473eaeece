"""RISC-V 64 Linux: RV64GC, the LP64D ABI."""
from ... import tls
from .. import Target
from . import callconv, trampoline
from .hardware import RiscV64
from .relocations import ARCH

# TLS variant I with no TCB after the thread pointer (tp): the executable's block starts
# at tp; glibc keeps tcbhead_t {dtv, private} just below it, the DTV pointer 16 bytes down.
RISCV64_TLS = tls.TlsAbi(thread_pointer="tp", variant=1, tcb_size=0, dtv_pointer=-16)

TARGET = Target(name="riscv64", elf_machine=ARCH.machine, abi=trampoline, callconv=callconv,
                link=ARCH, hardware=RiscV64(), long_double="fp128", char_signed=False,
                tls=RISCV64_TLS, llvm_features="+m,+a,+f,+d,+c", llvm_abi="lp64d",
                sign_extend_int32=True)
