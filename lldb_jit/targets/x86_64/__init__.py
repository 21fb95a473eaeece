"""x86-64 Linux: the System V psABI."""
from ... import tls
from .. import Target
from . import callconv, trampoline
from .hardware import X86_64
from .relocations import ARCH

# TLS variant II: blocks below the thread pointer (fs_base), which points at glibc's
# tcbhead_t {tcb, dtv, self, ...}: the DTV pointer is its second word.
X86_64_TLS = tls.TlsAbi(thread_pointer="fs_base", variant=2, tcb_size=0, dtv_pointer=8)

TARGET = Target(name="x86_64", elf_machine=ARCH.machine, abi=trampoline, callconv=callconv,
                link=ARCH, hardware=X86_64(), long_double="x86_fp80", char_signed=True,
                tls=X86_64_TLS)
