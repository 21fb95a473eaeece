"""Thread-local storage arithmetic (lldb_jit/tls.py): the executable's block from the
thread pointer, checked by hand and against what gcc-built programs compute themselves
(natively on x86-64, under qemu-aarch64 on AArch64); the DTV walk over a fake memory;
glibc's descriptors; the DWARF of gcc's location-less AArch64 thread-local variables."""
from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from lldb_jit.frontend import analyze
from lldb_jit.frontend.ctype import ty_int
from lldb_jit.frontend.provider import DictProvider, Symbol, SymKind
from lldb_jit.targets import for_triple
from lldb_jit.tls import (TLS_DTV_UNALLOCATED, Descriptor, DtvLayout, ModuleBlock, TlsError,
                          location_less_variables)

X86_64 = for_triple("x86_64-pc-linux-gnu").tls
AARCH64 = for_triple("aarch64-unknown-linux-gnu").tls
TP = 0x7FFF_F7DD_2780


# (memsz, align, vaddr) -> block - tp, worked out from glibc's _dl_determine_tlsoffset
@pytest.mark.parametrize("memsz, align, vaddr, x86_64, aarch64", [
    (0x60, 16, 0x3D80, -0x60, 16),          # the e2e fixture: already a multiple
    (0x4C, 16, 0x3D80, -0x50, 16),          # rounded up to the alignment
    (0xC8, 8, 0x49C790, -0xC8, 16),         # the static AArch64 fixture
    (4, 4, 0x1000, -4, 16),                 # AArch64: the TCB's 16 bytes still come first
    (3, 64, 0x2000, -64, 64),               # an alignment above the TCB's size
    (1, 1, 0x2003, -1, 16),
    # a segment address that is not a multiple of its alignment (`firstbyte`)
    (0x10, 16, 0x3D84, -0x1C, 20),
])
def test_executable_block(memsz, align, vaddr, x86_64, aarch64):
    assert X86_64.executable_block(TP, memsz, align, vaddr) - TP == x86_64
    assert AARCH64.executable_block(TP, memsz, align, vaddr) - TP == aarch64
    for abi in (X86_64, AARCH64):   # the block starts where the segment would, modulo align
        assert (abi.executable_block(TP, memsz, align, vaddr) - vaddr) % align == 0


def test_cpu_facts_live_in_the_target_folders():
    assert (X86_64.thread_pointer, X86_64.variant) == ("fs_base", 2)
    assert (AARCH64.thread_pointer, AARCH64.variant, AARCH64.tcb_size) == ("tpidr", 1, 16)
    assert "TPIDR_EL0" in for_triple("aarch64--linux").abi.REGISTER_ALIASES["tpidr"]


# A program that prints, per thread-local variable, its distance from the thread pointer
# as its own code computes it (the linker's TPOFF), for alignments that round differently.
PROGRAM = r"""
#include <stdio.h>
__thread char one = 1;
__thread _Alignas(%(align)d) char aligned[3] = {2};
__thread int tail[5];
static long off(void *p) { return (char *)p - (char *)__builtin_thread_pointer(); }
int main(void) {
    printf("one %%ld\naligned %%ld\ntail %%ld\n", off(&one), off(aligned), off(tail));
    return 0;
}
"""


def tls_offsets_of(exe: Path, run: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """(what the program printed, what the formula gives) per variable, as tp offsets."""
    printed = {}
    for line in subprocess.run(run + [str(exe)], capture_output=True, text=True,
                               check=True, timeout=30).stdout.splitlines():
        name, value = line.split()
        printed[name] = int(value)
    with open(exe, "rb") as f:
        elf = ELFFile(f)
        seg = next(s for s in elf.iter_segments() if s["p_type"] == "PT_TLS")
        symbols = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()
                   if s.name in printed}
        abi = X86_64 if elf["e_machine"] == "EM_X86_64" else AARCH64
        block = abi.executable_block(TP, seg["p_memsz"], seg["p_align"], seg["p_vaddr"]) - TP
    return printed, {name: block + value for name, value in symbols.items()}


@pytest.mark.parametrize("align", [1, 8, 16, 32, 128])
def test_formula_agrees_with_the_program_x86_64(tmp_path, align):
    if shutil.which("gcc") is None or not Path("/lib64/ld-linux-x86-64.so.2").exists():
        pytest.skip("needs a native x86-64 gcc")
    src = tmp_path / "tp.c"
    src.write_text(PROGRAM % {"align": align})
    for flags in ([], ["-static"], ["-pie", "-fPIE"]):
        exe = tmp_path / f"tp{len(flags)}"
        subprocess.run(["gcc", "-O0", *flags, "-o", str(exe), str(src)], check=True)
        printed, computed = tls_offsets_of(exe, [])
        assert printed == computed, (flags, printed, computed)


@pytest.mark.parametrize("align", [1, 16, 64])
def test_formula_agrees_with_the_program_aarch64(tmp_path, align):
    for tool in ("aarch64-linux-gnu-gcc", "qemu-aarch64"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: `make system-deps` installs it")
    src = tmp_path / "tp.c"
    src.write_text(PROGRAM % {"align": align})
    exe = tmp_path / "tp"
    subprocess.run(["aarch64-linux-gnu-gcc", "-O0", "-static", "-o", str(exe), str(src)],
                   check=True)
    printed, computed = tls_offsets_of(exe, ["qemu-aarch64"])
    assert printed == computed


class FakeMemory:
    def __init__(self, words: dict[int, int]):
        self.words = words

    def read_word(self, address: int) -> int | None:
        return self.words.get(address)


GLIBC_DTV = DtvLayout(slot_size=16, pointer=0, counter=0)


def fake_thread(abi, blocks: dict[int, int], length: int | None = None) -> FakeMemory:
    """A thread whose DTV has `blocks` (module id -> block address) and `length` slots."""
    dtv = 0x5000_0000
    words = {TP + abi.dtv_pointer: dtv, dtv - 16: length or max(blocks)}
    words.update({dtv + 16 * modid: block for modid, block in blocks.items()})
    return FakeMemory(words)


@pytest.mark.parametrize("abi", [X86_64, AARCH64])
def test_dtv_block(abi):
    memory = fake_thread(abi, {1: 0x1000, 2: TLS_DTV_UNALLOCATED % (1 << 64), 3: 0x3000})
    assert GLIBC_DTV.block(abi, TP, 3, memory.read_word, "libc.so.6") == 0x3000
    assert GLIBC_DTV.block(abi, TP, 1, memory.read_word, "a.out") == 0x1000
    with pytest.raises(TlsError, match="libfoo.so is not allocated in this thread"):
        GLIBC_DTV.block(abi, TP, 2, memory.read_word, "libfoo.so")
    with pytest.raises(TlsError, match="not allocated"):     # beyond this thread's DTV
        GLIBC_DTV.block(abi, TP, 4, memory.read_word, "libbar.so")
    with pytest.raises(TlsError, match="dynamic thread vector"):
        GLIBC_DTV.block(abi, TP + 8, 1, memory.read_word, "a.out")


@pytest.mark.parametrize("abi", [X86_64, AARCH64])
def test_module_block_in_a_thread(abi):
    """The executable's block needs no memory (a static program has no DTV to read);
    a library's is read from the DTV."""
    memory = fake_thread(abi, {1: 0x1000, 2: 0x2000})
    exe = ModuleBlock("a.out", (0x60, 16, 0x3D80))
    assert exe.in_thread(abi, TP, FakeMemory({}).read_word, None) == \
        abi.executable_block(TP, 0x60, 16, 0x3D80)
    assert ModuleBlock("libc.so.6", module_id=2).in_thread(abi, TP, memory.read_word,
                                                           GLIBC_DTV) == 0x2000


def test_descriptor_unpacks_glibc_layout():
    raw = struct.pack("<3I", 64, 1, 1152)       # _thread_db_link_map_l_tls_modid, glibc 2.36
    assert Descriptor.unpack(raw, "little") == Descriptor(64, 1, 1152)
    assert Descriptor.unpack(struct.pack(">3I", 128, 0, 8), "big") == Descriptor(128, 0, 8)


def test_glibc_descriptors_of_this_machine():
    """The descriptors libc.so.6 exports say what DtvLayout assumes for glibc here."""
    libc = Path("/lib/x86_64-linux-gnu/libc.so.6")
    if not libc.exists():
        pytest.skip("no x86-64 glibc")
    with open(libc, "rb") as f:
        elf = ELFFile(f)
        found = {}
        for symbol in elf.get_section_by_name(".dynsym").iter_symbols():
            if symbol.name.startswith("_thread_db_"):
                offset = next(elf.address_offsets(symbol["st_value"]))
                f.seek(offset)
                found[symbol.name] = Descriptor.unpack(f.read(Descriptor.SIZE), "little")
    assert found["_thread_db_dtv_dtv"].bits // 8 == GLIBC_DTV.slot_size
    assert found["_thread_db_dtv_t_pointer_val"].offset == GLIBC_DTV.pointer
    assert found["_thread_db_dtv_t_counter"].offset == GLIBC_DTV.counter
    assert found["_thread_db_pthread_dtvp"].offset == X86_64.dtv_pointer  # TCB at the TP


def test_location_less_variables_of_gcc_aarch64(tmp_path):
    if shutil.which("aarch64-linux-gnu-gcc") is None:
        pytest.fail("aarch64-linux-gnu-gcc is missing: `make system-deps` installs it")
    src = tmp_path / "t.c"
    src.write_text("struct pair { int a; long b; };\n"
                   "_Thread_local int counter = 1;\n"
                   "__thread struct pair pair;\n"
                   "extern __thread int elsewhere;\n"
                   "int plain = 3;\n"
                   "int use(void) { return counter + pair.a + elsewhere + plain; }\n")
    obj = tmp_path / "t.o"
    subprocess.run(["aarch64-linux-gnu-gcc", "-g", "-c", "-o", str(obj), str(src)], check=True)
    found = location_less_variables(str(obj))
    assert set(found) == {"counter", "pair"}       # declarations and located ones are not
    with open(obj, "rb") as f:
        dwarf = ELFFile(f).get_dwarf_info()
        cu = next(dwarf.iter_CUs())
        types = {die.offset: die for die in cu.iter_DIEs()}
    assert types[found["counter"]].attributes["DW_AT_name"].value == b"int"
    assert types[found["pair"]].tag == "DW_TAG_structure_type"
    assert location_less_variables(str(tmp_path / "missing")) == {}


def test_thread_locals_are_reached_through_the_argument_block():
    """The front end gives a thread-local variable a slot, as a local: its address is
    the selected thread's, passed at each evaluation, never linked into the code."""
    provider = DictProvider({"tv": Symbol("tv", SymKind.THREAD_LOCAL, ty_int),
                             "g": Symbol("g", SymKind.GLOBAL, ty_int)})
    program = analyze("tv = tv + g; &tv", provider)
    assert [s.name for s in program.frame_refs] == ["tv"]
    assert [s.name for s in program.externals] == ["g"]
