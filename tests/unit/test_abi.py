"""The trampoline bytes are the assembly written beside them, and the call set-up keeps
the ABI's stack alignment."""
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import llvmlite.binding as llvm
import pytest
from elftools.elf.elffile import ELFFile

from lldb_jit.targets import for_triple, prepare_call
from lldb_jit.targets.aarch64 import trampoline as aarch64
from lldb_jit.targets.x86_64 import trampoline as x86_64
from lldb_jit.errors import JitError


def assemble_x86_64(asm: str) -> tuple[bytes, dict[str, int]]:
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    llvm.initialize_native_asmparser()
    lines = [".text", ".globl start", "start:"] + asm.strip("\n").split("\n")
    ir = 'target triple = "x86_64-unknown-linux-gnu"\n' + "".join(
        'module asm "%s"\n' % line.replace('"', '\\22') for line in lines)
    tm = llvm.Target.from_triple("x86_64-unknown-linux-gnu").create_target_machine(
        reloc="pic", codemodel="small")
    elf = ELFFile(io.BytesIO(tm.emit_object(llvm.parse_assembly(ir))))
    symbols = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()}
    return elf.get_section_by_name(".text").data(), symbols


@pytest.mark.skipif(llvm.get_process_triple().split("-")[0] != "x86_64",
                    reason="LLVM's native assembler here is not x86-64")
def test_trampoline_bytes_are_its_assembly():
    code, symbols = assemble_x86_64(x86_64.TRAMPOLINE_ASM)
    assert code == x86_64.TRAMPOLINE
    assert symbols["restore"] == x86_64.RESTORE
    assert code[x86_64.TRAP] == 0xCC


def test_prepare_call_aligns_and_skips_red_zone():
    block = (0x4000).to_bytes(8, "little") + (0x5000).to_bytes(8, "little")
    sp, data = prepare_call(x86_64, 0x7FFFFFFFE123, 0x1000, block, 0x3000)
    assert sp % 16 == 0
    assert sp + len(data) <= 0x7FFFFFFFE123 - x86_64.RED_ZONE
    assert [int.from_bytes(data[i:i + 8], "little") for i in (0, 8, 16)] == \
        [0x1000, sp + 24, 0x3000]
    assert data[24:] == block
    assert prepare_call(x86_64, 0x7FFFFFFFE123, 0x1000, b"", 0)[1][8:16] == bytes(8)


def test_pushed_registers_match_the_pushes():
    pushes = []
    for words in (line.split() for line in x86_64.TRAMPOLINE_ASM.splitlines()):
        if words[:1] == ["pushfq"]:
            pushes.append("rflags")
        elif words[:1] == ["pushq"]:
            pushes.append(words[1].lstrip("%"))
    assert list(reversed(pushes)) == list(x86_64.PUSHED_REGISTERS)
    assert len(pushes) * 8 == x86_64.SAVED_BYTES


def test_recovery_points_at_restore_path():
    regs = x86_64.recovery_registers(0x7000, 0x1000)
    assert regs == {"rax": 0, "rbp": 0x7000 - 128, "rip": 0x1000 + x86_64.RESTORE}


@pytest.mark.parametrize("rax, zeroed", [(-512 % 2**64, True), (-516 % 2**64, True),
                                         (-4 % 2**64, False), (7, False), (0, False)])
def test_entry_cancels_a_pending_syscall_restart(rax, zeroed):
    regs = x86_64.entry_registers({"rax": rax}, 0x7000, 0x1000)
    assert ("rax" in regs) == zeroed and regs["rsp"] == 0x7000 and regs["rip"] == 0x1000


def test_unknown_architecture_is_an_error():
    with pytest.raises(JitError, match="sparc"):
        for_triple("sparc-unknown-linux-gnu")


def assemble_aarch64(asm: str) -> tuple[bytes, dict[str, int]]:
    """GNU as for AArch64 (binutils-aarch64-linux-gnu, which the Makefile installs with
    the cross compiler): LLVM's AArch64 assembler is not in llvmlite."""
    tool = shutil.which("aarch64-linux-gnu-as")
    if tool is None:
        pytest.skip("aarch64-linux-gnu-as is not installed (make system-deps)")
    with tempfile.TemporaryDirectory() as tmp:
        src, obj = Path(tmp, "t.s"), Path(tmp, "t.o")
        src.write_text(".text\n.globl start\nstart:\n" + asm)
        subprocess.run([tool, "-o", str(obj), str(src)], check=True)
        elf = ELFFile(io.BytesIO(obj.read_bytes()))
        symbols = {s.name: s["st_value"]
                   for s in elf.get_section_by_name(".symtab").iter_symbols()}
        return elf.get_section_by_name(".text").data(), symbols


def test_aarch64_trampoline_bytes_are_its_assembly():
    code, symbols = assemble_aarch64(aarch64.TRAMPOLINE_ASM)
    assert code == aarch64.TRAMPOLINE
    assert symbols["restore"] == aarch64.RESTORE
    assert code[aarch64.TRAP:] == bytes.fromhex("000020d4")   # brk #0


def test_aarch64_save_area_layout():
    """x0-x30 and NZCV fill SAVED_BYTES below the entry SP; x29 points at the bottom of
    the whole area, where the restore path expects it."""
    stores = [line.split() for line in aarch64.TRAMPOLINE_ASM.splitlines()
              if line.strip().startswith("stp x")]
    gprs = [w.rstrip(",") for words in stores for w in words[1:3]]
    assert gprs[:30] == [f"x{i}" for i in range(30)] and gprs[30] == "x30"
    assert aarch64.SAVED_BYTES == 8 * len(aarch64.PUSHED_REGISTERS) == 256
    assert "ldr x16, [x29, #%d]" % aarch64.FRAME_BYTES in aarch64.TRAMPOLINE_ASM
    regs = aarch64.recovery_registers(0x7000, 0x1000)
    assert regs == {"x29": 0x7000 - aarch64.FRAME_BYTES, "pc": 0x1000 + aarch64.RESTORE}


def test_syscall_code_is_the_syscall_instruction_and_a_trap():
    code, _ = assemble_aarch64("svc #0\nbrk #0\n")
    assert code == aarch64.SYSCALL_CODE
    assert x86_64.SYSCALL_CODE == bytes.fromhex("0f05cc")
    for abi in (aarch64, x86_64):
        assert abi.SYSCALL_TRAP == len(abi.SYSCALL_CODE) - (4 if abi is aarch64 else 1)


def test_registry_maps_triples_to_one_folder_each():
    assert for_triple("x86_64-pc-linux-gnu").abi is x86_64
    assert for_triple("aarch64--linux").abi is aarch64
    assert for_triple("arm64-unknown-linux-gnu").name == "aarch64"
    assert for_triple("aarch64--linux").char_signed is False
