"""x86-64 Linux: the System V psABI."""
from .. import Target
from . import callconv, trampoline
from .hardware import X86_64
from .relocations import ARCH

TARGET = Target(name="x86_64", elf_machine=ARCH.machine, abi=trampoline, callconv=callconv,
                link=ARCH, hardware=X86_64(), long_double="x86_fp80", char_signed=True)
