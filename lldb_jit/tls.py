"""Thread-local storage: where one thread's copy of a `_Thread_local`/`__thread`
variable is. Pure arithmetic and file reading; lldb_jit/debuginfo.py asks LLDB for the
facts and the debuggee's memory.

A thread-local variable is named by its module and its offset in that module's TLS
block (its ELF symbol's st_value, the same number DWARF's `DW_OP_const8u N;
DW_OP_form_tls_address` gives). Each thread has its own copy of every module's block,
found from the thread pointer (Drepper, "ELF Handling For Thread-Local Storage"):

- The executable's block is at a fixed distance from the thread pointer, the distance
  its own code uses (the linker's TPOFF, "local exec"): below the thread pointer on
  variant II machines (x86-64), after the 16-byte TCB on variant I machines (AArch64).
  It needs no libc and no memory read, so it holds for static programs too.
- A shared library's block may be anywhere (static TLS, or allocated by dlopen and
  `__tls_get_addr`): slot `module id` of the thread's dynamic thread vector (DTV), as
  glibc's libthread_db finds it. The layout of the DTV and of `struct link_map` comes
  from the descriptors glibc exports for libthread_db (`_thread_db_*`: three uint32,
  the field's size in bits, its element count, its offset); where the TCB keeps the
  DTV pointer is the CPU's (TlsAbi.dtv_pointer).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import ExecError

EXECUTABLE_MODULE_ID = 1      # the dynamic linker gives the executable's block id 1
TLS_DTV_UNALLOCATED = -1      # a DTV slot whose block this thread has not allocated yet


class TlsError(ExecError):
    """A thread-local variable's address cannot be found in this thread."""


@dataclass(frozen=True, slots=True)
class TlsAbi:
    """One CPU's TLS facts (each targets/<cpu>/__init__.py fills one in)."""
    thread_pointer: str   # the register holding the thread pointer (trampoline.REGISTER_ALIASES
                          # gives the names stubs use for it)
    variant: int          # 1: blocks follow the TCB, above the thread pointer; 2: below it
    tcb_size: int         # variant 1: the TCB the first block follows
    dtv_pointer: int      # where glibc's TCB keeps the DTV pointer, from the thread pointer

    def executable_block(self, tp: int, memsz: int, align: int, vaddr: int) -> int:
        """The executable's TLS block in the thread whose thread pointer is `tp`, from
        its PT_TLS segment (size in memory, alignment, address). glibc's
        _dl_determine_tlsoffset for the first module, which agrees with the offsets
        the linker wrote into the executable's code; `firstbyte` is 0 unless the
        segment's address is not a multiple of its alignment."""
        align = max(align, 1)
        firstbyte = -vaddr & (align - 1)
        if self.variant == 2:
            return tp - (align_up(memsz - firstbyte, align) + firstbyte)
        offset = align_up(self.tcb_size, align)
        if offset - self.tcb_size < firstbyte:
            offset += align
        return tp + offset - firstbyte


def align_up(value: int, align: int) -> int:
    return -(-value // align) * align


@dataclass(frozen=True, slots=True)
class Descriptor:
    """One of glibc's `_thread_db_*` descriptors: a field's size in bits, its number
    of elements and its offset in its structure."""
    bits: int
    count: int
    offset: int

    SIZE = 12

    @classmethod
    def unpack(cls, raw: bytes, order: str) -> Descriptor:
        return cls(*struct.unpack(("<" if order == "little" else ">") + "3I", raw))


@dataclass(frozen=True, slots=True)
class DtvLayout:
    """glibc's dtv_t (`_thread_db_dtv_dtv`, `_thread_db_dtv_t_pointer_val`,
    `_thread_db_dtv_t_counter`): the vector the TCB points to is slot 1 of an array
    whose slot 0 counts the slots (dtv[-1].counter); dtv[id].pointer.val is the block
    of module `id`, or TLS_DTV_UNALLOCATED."""
    slot_size: int
    pointer: int
    counter: int

    def block(self, abi: TlsAbi, tp: int, module_id: int, read_word, module: str) -> int:
        """The block of module `module_id` in the thread of thread pointer `tp`;
        `read_word(address)` reads a pointer of the debuggee (None if unreadable)."""
        dtv = read_word(tp + abi.dtv_pointer)
        length = read_word(dtv - self.slot_size + self.counter) if dtv else None
        if dtv is None or length is None:
            raise TlsError(f"cannot read this thread's dynamic thread vector "
                           f"(thread pointer {tp:#x})")
        block = read_word(dtv + module_id * self.slot_size + self.pointer) \
            if 0 < module_id <= length else None
        if block in (None, 0, TLS_DTV_UNALLOCATED % (1 << 64)):
            raise TlsError(f"the thread-local storage of {module} is not allocated in "
                           f"this thread (the thread has not used it yet)")
        return block


@dataclass(frozen=True, slots=True)
class ModuleBlock:
    """How one module's TLS block is found in a thread: the executable's from its
    PT_TLS segment (size in memory, alignment, address), a shared library's in the DTV,
    by the module id the dynamic linker gave it."""
    module: str                                  # its file's name, for errors
    segment: tuple[int, int, int] | None = None  # the executable's (memsz, align, vaddr)
    module_id: int = EXECUTABLE_MODULE_ID

    def in_thread(self, abi: TlsAbi, tp: int, read_word, dtv: DtvLayout | None) -> int:
        if self.segment is not None:
            return abi.executable_block(tp, *self.segment)
        return dtv.block(abi, tp, self.module_id, read_word, self.module)


def location_less_variables(path: str) -> dict[str, int]:
    """Variables a file's DWARF defines at file scope with no DW_AT_location (gcc 12
    omits it for every thread-local variable on AArch64, so LLDB does not show them):
    name -> offset of the type's DIE in .debug_info (LLDB's type id for it). Names
    defined twice are left out: which one the symbol is cannot be told."""
    from elftools.common.exceptions import ELFError, DWARFError
    from elftools.elf.elffile import ELFFile
    found: dict[str, int] = {}
    twice: set[str] = set()
    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            if not elf.has_dwarf_info():
                return {}
            for cu in elf.get_dwarf_info().iter_CUs():
                for die in cu.get_top_DIE().iter_children():
                    if die.tag != "DW_TAG_variable" or "DW_AT_location" in die.attributes \
                            or "DW_AT_declaration" in die.attributes:
                        continue
                    decl = die.get_DIE_from_attribute("DW_AT_specification") \
                        if "DW_AT_specification" in die.attributes else die
                    name, typed = decl.attributes.get("DW_AT_name"), \
                        die if "DW_AT_type" in die.attributes else decl
                    if name is None or "DW_AT_type" not in typed.attributes:
                        continue
                    name = name.value.decode(errors="replace")
                    if name in found:
                        twice.add(name)
                    found[name] = typed.get_DIE_from_attribute("DW_AT_type").offset
    except (OSError, ELFError, DWARFError, KeyError, ValueError):
        return {}
    return {name: offset for name, offset in found.items() if name not in twice}
