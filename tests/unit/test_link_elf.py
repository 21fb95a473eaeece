"""The ELF reader, checked against pyelftools on objects llvmlite emits (64/32-bit,
little/big endian), plus malformed input: only ElfParseError/LinkError may come out."""

from __future__ import annotations

import io

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lldb_jit.errors import ElfParseError, JitError, LinkError
from lldb_jit.link import link
from lldb_jit.link.elf import SHT_REL, SHT_RELA, read_elf
from test_link_support import AARCH64, FAR, PROGRAM, X86_64, FakeMemory, compile_ir

TRIPLES = [X86_64, AARCH64, "aarch64_be-unknown-linux-gnu", "i686-unknown-linux-gnu"]


@pytest.mark.parametrize("triple", TRIPLES)
def test_reader_agrees_with_pyelftools(triple):
    obj = compile_ir(PROGRAM, triple=triple)
    ours = read_elf(obj)
    ref = ELFFile(io.BytesIO(obj))
    assert ours.machine == {"EM_X86_64": 62, "EM_AARCH64": 183, "EM_386": 3}[
        ref["e_machine"]]
    assert ours.is64 == (ref.elfclass == 64)
    assert ours.little_endian == ref.little_endian
    assert [(s.name, s.size, s.flags, s.offset) for s in ours.sections] == [
        (s.name, s.header.sh_size, s.header.sh_flags, s.header.sh_offset)
        for s in ref.iter_sections()]
    symtab = ref.get_section_by_name(".symtab")
    ref_syms = [(s.name, s["st_value"], s["st_size"], s["st_shndx"]) for s in
                symtab.iter_symbols()]
    shn = {"SHN_UNDEF": 0, "SHN_ABS": 0xFFF1, "SHN_COMMON": 0xFFF2}
    assert [(s.name, s.value, s.size, s.shndx) for s in ours.symbols] == [
        (n, v, sz, shn.get(x, x)) for n, v, sz, x in ref_syms]
    n_relocs = 0
    for sec in ref.iter_sections():
        if not isinstance(sec, RelocationSection):
            continue
        mine = ours.relocations(ours.sections[ref.get_section_index(sec.name)])
        theirs = [(r["r_offset"], r["r_info_type"], r["r_info_sym"],
                   r["r_addend"] if sec.is_RELA() else 0) for r in sec.iter_relocations()]
        assert [(r.offset, r.type, r.sym, r.addend) for r in mine] == theirs
        n_relocs += len(theirs)
    assert n_relocs > 5
    assert any(s.type in (SHT_REL, SHT_RELA) for s in ours.sections)


def test_big_endian_and_32_bit_objects_are_refused_by_the_linker():
    with pytest.raises(LinkError, match="64-bit little-endian"):
        link(compile_ir(PROGRAM, triple="aarch64_be-unknown-linux-gnu"), {}.get, FakeMemory())
    with pytest.raises(LinkError, match="unsupported architecture"):
        link(compile_ir(PROGRAM, triple="i686-unknown-linux-gnu"), {}.get, FakeMemory())


@pytest.mark.parametrize("data, message", [
    (b"", "bad magic"),
    (b"MZ\x90\x00" + bytes(60), "bad magic"),
    (b"\x7fELF\x03\x01" + bytes(58), "bad ELF class"),
    (b"\x7fELF\x02\x01" + bytes(10), "ELF header"),
])
def test_malformed_headers(data, message):
    with pytest.raises(ElfParseError, match=message):
        read_elf(data)


def test_every_truncation_is_a_clean_error():
    obj = compile_ir(PROGRAM)
    externals = {"abs": FAR, "puts": FAR, "ext_g": FAR}.get
    for cut in range(0, len(obj), 7):
        with pytest.raises(JitError):
            link(obj[:cut], externals, FakeMemory())


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1,
                max_size=8))
def test_corrupted_objects_fail_cleanly(edits):
    """Random byte changes: the link succeeds or raises a JitError, nothing else."""
    obj = bytearray(compile_ir(PROGRAM))
    for where, value in edits:
        obj[where % len(obj)] = value
    try:
        link(bytes(obj), lambda name: FAR, FakeMemory())
    except JitError:
        pass
