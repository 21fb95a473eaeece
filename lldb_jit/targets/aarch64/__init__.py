"""AArch64 Linux: AAPCS64."""
from .. import Target
from . import callconv, trampoline
from .hardware import AArch64
from .relocations import ARCH

TARGET = Target(name="aarch64", elf_machine=ARCH.machine, abi=trampoline, callconv=callconv,
                link=ARCH, hardware=AArch64(), long_double="fp128", char_signed=False)
