"""AArch64 Linux: AAPCS64."""
from ... import tls
from .. import Target
from . import callconv, trampoline
from .hardware import AArch64
from .relocations import ARCH

# TLS variant I: blocks after the 16-byte TCB the thread pointer (tpidr_el0) points at;
# glibc's tcbhead_t {dtv, private} keeps the DTV pointer in its first word.
AARCH64_TLS = tls.TlsAbi(thread_pointer="tpidr", variant=1, tcb_size=16, dtv_pointer=0)

TARGET = Target(name="aarch64", elf_machine=ARCH.machine, abi=trampoline, callconv=callconv,
                link=ARCH, hardware=AArch64(), long_double="fp128", char_signed=False,
                tls=AARCH64_TLS)
