"""The JIT linker: place a relocatable ELF object in the debuggee's address space.

LLVM compiles an expression to a relocatable object; this package does the static
linker's job for it, in the manner of LLVM JITLink: lays the loadable sections out in
memory the caller allocated in the debuggee, resolves undefined symbols against the
debuggee, builds a GOT and jump stubs, applies every relocation with a range check, and
returns the bytes to copy. Supported: x86-64 and AArch64 ELF (see x86_64.py, aarch64.py).
"""

from __future__ import annotations

from typing import Callable

from lldb_jit.link.linker import LinkedImage, Segment, link_object

__all__ = ["LinkedImage", "Segment", "link"]


def link(obj: bytes, resolve: Callable[[str], int | None],
         allocate: Callable[[int, int, str], int]) -> LinkedImage:
    """Link the relocatable ELF object `obj` for execution in the debuggee.

    Architecture from the ELF header (e_machine). `allocate(size, align, perm)` is called
    once per permission class that is non-empty ("rx" then "rw") and returns the debuggee
    address of a block of at least `size` bytes aligned to `align`; the linker places every
    allocatable section (SHF_ALLOC; .eh_frame and other unwind sections and their
    relocations are skipped, as are .note.GNU-stack, .comment, .llvm_addrsig) in those
    blocks, plus its GOT and stubs. `resolve(name)` returns the debuggee address of an
    undefined symbol or None (then LinkError: "undefined symbol 'foo'"); it is called once
    per undefined symbol that a loaded relocation uses. Raises ElfParseError/LinkError only
    (exceptions raised by the callbacks themselves pass through).
    """
    return link_object(obj, resolve, allocate)
