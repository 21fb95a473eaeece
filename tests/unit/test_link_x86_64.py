"""x86-64 linking, JITLink style: objects from llvmlite, sections at fixed fake addresses,
externals put near and far, and each patched instruction's displacement decoded to check
it reaches its target, directly or through a stub / GOT entry."""

from __future__ import annotations

import pytest

from lldb_jit.errors import ElfParseError, LinkError
from lldb_jit.link import LinkedImage, link
from lldb_jit.link.elf import SHN_ABS, STB_WEAK
from lldb_jit.targets.x86_64.relocations import POINTER_JUMP_STUB, R_X86_64_NAMES
from test_link_support import (
    FAR, PROGRAM, RW_BASE, RX_BASE, FakeMemory, Resolver, compile_ir, link_with, read_i32,
    read_u64, relocation_offsets, relocations, section_address, segment_bytes, with_reloc,
    with_symbol,
)

NEAR_CODE = RX_BASE + 0x40000000  # 1 GiB above the code: reachable by a rel32
NEAR_DATA = RX_BASE + 0x300000


def obj(codemodel: str = "small") -> bytes:
    return compile_ir(PROGRAM, codemodel=codemodel)


def fixups(o: bytes, section: str = ".rela.text") -> dict[str, list[int]]:
    return relocation_offsets(o, section, R_X86_64_NAMES)


def rel32_target(image: LinkedImage, fixup: int) -> int:
    """Where a rel32 at `fixup` (the last field of its instruction) points."""
    return fixup + 4 + read_i32(image, fixup)


def through_stub(image: LinkedImage, address: int) -> int:
    """If `address` is a jump stub, the address in the GOT entry it jumps through."""
    assert segment_bytes(image, address, 2) == POINTER_JUMP_STUB[:2]
    got_entry = rel32_target(image, address + 2)
    return read_u64(image, got_entry)


def test_near_call_goes_direct_and_far_call_through_stub():
    o = obj()
    f = fixups(o)
    image = link_with(o, {"abs": NEAR_CODE, "puts": FAR, "ext_g": NEAR_DATA})
    text = section_address(image, o, ".text")
    [abs_call] = f["R_X86_64_PLT32 abs"]
    [puts_call] = f["R_X86_64_PLT32 puts"]
    assert rel32_target(image, text + abs_call) == NEAR_CODE
    stub = rel32_target(image, text + puts_call)
    assert stub != FAR
    assert abs(stub - (text + puts_call)) < 0x10000  # the stub is in our own block
    assert segment_bytes(image, stub, len(POINTER_JUMP_STUB))[:2] == b"\xff\x25"
    assert through_stub(image, stub) == FAR


def test_far_call_uses_stub_when_code_is_far_from_everything():
    o = obj()
    f = fixups(o)
    image = link_with(o, {"abs": FAR, "puts": FAR + 0x100, "ext_g": FAR + 0x200})
    text = section_address(image, o, ".text")
    [abs_call] = f["R_X86_64_PLT32 abs"]
    [puts_call] = f["R_X86_64_PLT32 puts"]
    stubs = {rel32_target(image, text + abs_call), rel32_target(image, text + puts_call)}
    assert len(stubs) == 2
    assert {through_stub(image, s) for s in stubs} == {FAR, FAR + 0x100}


def test_got_load_of_external_global():
    o = obj()
    f = fixups(o)
    [load] = f["R_X86_64_REX_GOTPCRELX ext_g"]
    for where in (NEAR_DATA, FAR):
        image = link_with(o, {"abs": FAR, "puts": FAR, "ext_g": where})
        text = section_address(image, o, ".text")
        got_entry = rel32_target(image, text + load)
        assert read_u64(image, got_entry) == where
        # The GOT sits in the read-only+exec allocation, right after the code.
        assert image.segments[0].perm == "rx"
        assert RX_BASE <= got_entry < RX_BASE + len(image.segments[0].data)


def test_string_constant_and_local_data_are_reached_pc_relative():
    o = obj()
    f = fixups(o)
    image = link_with(o, {"abs": FAR, "puts": FAR, "ext_g": FAR})
    text = section_address(image, o, ".text")
    # `.L.str - 3` reaches "ello" (the GEP's +1), the other reference the start.
    targets = {rel32_target(image, text + off) for off in f["R_X86_64_PC32 .L.str"]}
    assert image.symbols[".L.str"] in targets
    assert segment_bytes(image, image.symbols[".L.str"], 6) == b"hello\0"
    [bss_ref] = f["R_X86_64_PC32 .bss"]
    assert rel32_target(image, text + bss_ref) == image.symbols["counter"]
    assert image.symbols["counter"] >= RW_BASE


def test_function_pointer_table_in_data():
    o = obj()
    image = link_with(o, {"abs": 0x7F1234560000, "puts": FAR, "ext_g": FAR})
    table = image.symbols["table"]
    assert table == RW_BASE
    assert [read_u64(image, table + 8 * i) for i in range(3)] == [
        0x7F1234560000, image.symbols["helper"], FAR]
    assert image.symbols["helper"] < image.symbols["entry"] < RW_BASE


def test_segments_symbols_and_allocation_calls():
    o = obj()
    mem = FakeMemory()
    resolver = Resolver({"abs": FAR, "puts": FAR, "ext_g": FAR})
    image = link(o, resolver, mem)
    assert [c[2] for c in mem.calls] == ["rx", "rw"]
    assert [(s.address, s.perm) for s in image.segments] == [(RX_BASE, "rx"), (RW_BASE, "rw")]
    for (size, align, _), seg in zip(mem.calls, image.segments):
        assert len(seg.data) == size and align >= 8
    assert sorted(resolver.asked) == ["abs", "ext_g", "puts"]  # once each
    assert {"entry", "helper", "table", "counter", "cm"} <= set(image.symbols)
    # COMMON symbol: zero-filled in the rw block, aligned.
    cm = image.symbols["cm"]
    assert cm % 8 == 0 and segment_bytes(image, cm, 8) == bytes(8)
    # .eh_frame is not loaded: the code block holds .text, .rodata, GOT and stubs only.
    assert len(image.segments[0].data) < 0x100


def test_large_code_model_gotpc64_got64_gotoff64():
    o = obj("large")
    f = fixups(o, ".rela.ltext")
    image = link_with(o, {"abs": FAR, "puts": FAR + 8, "ext_g": FAR + 16})
    text = section_address(image, o, ".ltext")
    # lea -7(%rip),%rax ; movabs $_GLOBAL_OFFSET_TABLE_+9, %rbx ; add %rax,%rbx => GOT
    [gotpc] = f["R_X86_64_GOTPC64 _GLOBAL_OFFSET_TABLE_"]
    rip_base = text + gotpc - 2 - 7  # the lea's own address
    got = rip_base + read_u64(image, text + gotpc)
    # movabs $sym@GOT, %rax ; call *(%rbx,%rax)
    got_slots = {read_u64(image, got + read_u64(image, text + off))
                 for off in f["R_X86_64_GOT64 abs"] + f["R_X86_64_GOT64 ext_g"]}
    assert got_slots == {FAR, FAR + 16}
    # movabs $sym@GOTOFF, %rcx ; add %rbx,%rcx
    [gotoff] = f["R_X86_64_GOTOFF64 .lbss"]
    assert (got + read_u64(image, text + gotoff)) % (1 << 64) == image.symbols["counter"]


def test_undefined_symbol():
    with pytest.raises(LinkError, match="undefined symbol 'ext_g'"):
        link_with(obj(), {"abs": FAR, "puts": FAR})


def test_weak_undefined_resolves_to_null():
    o = with_symbol(obj(), "ext_g", 0, 0, bind=STB_WEAK)
    image = link_with(o, {"abs": FAR, "puts": FAR})
    [load] = fixups(o)["R_X86_64_REX_GOTPCRELX ext_g"]
    text = section_address(image, o, ".text")
    assert read_u64(image, rel32_target(image, text + load)) == 0


def test_absolute_symbol():
    o = with_symbol(obj(), "ext_g", SHN_ABS, 0x1234)
    resolver = Resolver({"abs": FAR, "puts": FAR})
    image = link(o, resolver, FakeMemory())
    [load] = fixups(o)["R_X86_64_REX_GOTPCRELX ext_g"]
    text = section_address(image, o, ".text")
    assert read_u64(image, rel32_target(image, text + load)) == 0x1234
    assert "ext_g" not in resolver.asked


def test_pointer32_out_of_range_names_symbol_section_address():
    o = obj()
    index = [r.type for _, r in relocations(o, ".rela.text")].index(42)  # REX_GOTPCRELX
    o32 = with_reloc(o, ".rela.text", index, rtype=10, addend=0)  # R_X86_64_32
    with pytest.raises(LinkError) as err:
        link_with(o32, {"abs": FAR, "puts": FAR, "ext_g": FAR})
    msg = str(err.value)
    assert "R_X86_64_32 against symbol 'ext_g'" in msg
    assert "section '.text'" in msg and f"{FAR:#x}" in msg and "uint32" in msg
    [off] = fixups(o)["R_X86_64_REX_GOTPCRELX ext_g"]
    assert f"at {RX_BASE + off:#x}" in msg
    # In range (below 4 GiB) it is patched, zero-extended.
    image = link_with(o32, {"abs": FAR, "puts": FAR, "ext_g": 0xFFFFFFF0})
    assert read_i32(image, RX_BASE + off) & 0xFFFFFFFF == 0xFFFFFFF0


def test_pointer32_signed_range():
    o = obj()
    index = [r.type for _, r in relocations(o, ".rela.text")].index(42)
    o32s = with_reloc(o, ".rela.text", index, rtype=11, addend=0)  # R_X86_64_32S
    with pytest.raises(LinkError, match=r"R_X86_64_32S against symbol 'ext_g'.*int32"):
        link_with(o32s, {"abs": FAR, "puts": FAR, "ext_g": 0x80000000})
    image = link_with(o32s, {"abs": FAR, "puts": FAR, "ext_g": 0x7FFFFFF0})
    [off] = fixups(o)["R_X86_64_REX_GOTPCRELX ext_g"]
    assert read_i32(image, RX_BASE + off) == 0x7FFFFFF0


def test_pc32_to_far_data_is_an_error():
    """.text reaches .bss with a PC32: if the caller puts rw 8 GiB away, that cannot work."""
    mem = FakeMemory(rw=RX_BASE + (8 << 30))
    with pytest.raises(LinkError, match=r"R_X86_64_PC32 against symbol '.bss'.*"
                                        r"section '.text'.*int32"):
        link_with(obj(), {"abs": FAR, "puts": FAR, "ext_g": FAR}, mem)


def test_pc64_is_applied():
    o = obj()
    index = [r.type for _, r in relocations(o, ".rela.data")].index(1)
    o64 = with_reloc(o, ".rela.data", index, rtype=24, addend=0)  # R_X86_64_PC64
    image = link_with(o64, {"abs": FAR, "puts": FAR, "ext_g": FAR})
    table = image.symbols["table"]
    assert table + read_u64(image, table) - (1 << 64) == FAR


def test_unknown_relocation_is_named():
    o = with_reloc(obj(), ".rela.text", 0, rtype=23)  # R_X86_64_TPOFF32
    with pytest.raises(LinkError, match=r"unsupported x86-64 relocation R_X86_64_TPOFF32 "
                                        r"against symbol '\w+' in section '.text'"):
        link_with(o, {"abs": FAR, "puts": FAR, "ext_g": FAR})
    o = with_reloc(obj(), ".rela.text", 0, rtype=200)
    with pytest.raises(LinkError, match="relocation type 200"):
        link_with(o, {"abs": FAR, "puts": FAR, "ext_g": FAR})


def test_bad_allocation_is_an_error():
    with pytest.raises(LinkError, match="not aligned"):
        link_with(obj(), {"abs": FAR, "puts": FAR, "ext_g": FAR}, FakeMemory(rx=RX_BASE + 4))


def test_not_elf_and_wrong_machine():
    with pytest.raises(ElfParseError):
        link_with(b"\x7fELF" + bytes(10), {})
    o = bytearray(obj())
    o[18] = 3  # EM_386
    with pytest.raises(LinkError, match="unsupported architecture"):
        link_with(bytes(o), {})
