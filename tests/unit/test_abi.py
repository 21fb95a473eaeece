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

from lldb_jit.targets import (CHECK, COUNT, ENTRY, HASH_KEY, HASH_MULTIPLIER, MAILBOX_COPY,
                              MAILBOX_SIZE, NEXT, NOT_NEXT, STATUS, call_check, call_words,
                              for_triple, mailbox_block, mailbox_words, trampoline_bytes)
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
    assert symbols["mailbox"] == x86_64.MAILBOX_POINTER == len(code) - 8
    assert x86_64.TRAP == symbols["mismatch"] - 1 and code[x86_64.TRAP] == 0xCC
    assert code[x86_64.CHECK_TRAP] == 0xCC and x86_64.CHECK_TRAP == symbols["reject"] - 1
    assert code[x86_64.CALL_SITE:x86_64.RESTORE] == bytes.fromhex("ffd0")   # callq *%rax
    assert code[x86_64.SAVED_END:x86_64.SAVED_END + 3] == bytes.fromhex("4889e5")  # rsp->rbp


def test_trampoline_reads_the_mailbox_where_the_debugger_writes():
    words = mailbox_words(x86_64)
    assert words == MAILBOX_COPY + x86_64.SAVED_BYTES
    asm = x86_64.TRAMPOLINE_ASM
    for line in (f"movq {words + COUNT}(%rdx), %rcx", f"leaq {words + ENTRY}(%rdx), %rsi",
                 f"cmpq {words + CHECK}(%rdx), %rax", f"movq {words + NEXT}(%rdx), %rsi",
                 f"movq {words + NOT_NEXT}(%rdx), %rax", f"movq {words + ENTRY + 16}(%rdx), %rax",
                 f"movq {words + ENTRY + 8}(%rdx), %rdi", f"movq {words + ENTRY}(%rdx), %rax",
                 f"movq $1, {words + STATUS}(%rdx)", f"cmpq $0, {words + STATUS}(%rdi)",
                 "movq %rbp, (%rdi)", f"addq ${MAILBOX_COPY}, %rdi",
                 f"movl ${x86_64.SAVED_BYTES // 8}, %ecx",
                 f"cmpq ${(MAILBOX_SIZE - words - ENTRY) // 8}, %rcx",
                 f"movabsq ${HASH_KEY_SIGNED}, %rax", f"imulq ${HASH_MULTIPLIER}, %rax, %rax"):
        assert line in asm, line
    assert mailbox_block(x86_64) == words + ENTRY + 24


HASH_KEY_SIGNED = HASH_KEY - (1 << 64)   # as GNU as takes movabsq's immediate


def test_aarch64_trampoline_reads_the_mailbox_where_the_debugger_writes():
    words = mailbox_words(aarch64)
    asm = aarch64.TRAMPOLINE_ASM
    for line in (f"ldr x2, [x16, #{COUNT}]", f"add x3, x16, #{ENTRY}", f"ldr x6, [x16, #{CHECK}]",
                 f"ldp x6, x7, [x16, #{NEXT}]", f"stp x7, x8, [x16, #{NEXT}]",
                 f"ldr x7, [x16, #{ENTRY + 16}]", f"ldr x0, [x16, #{ENTRY + 8}]",
                 f"ldr x17, [x16, #{ENTRY}]", f"ldr x2, [x16, #{words + STATUS}]",
                 f"cmp x2, #{(MAILBOX_SIZE - words - ENTRY) // 8}"):
        assert line in asm, line
    assert NOT_NEXT == NEXT + 8    # stored as a pair
    code, symbols = _maybe_assemble_aarch64()
    if code is not None:
        key, mul = (int.from_bytes(code[symbols[n]:symbols[n] + 8], "little")
                    for n in ("hashkey", "hashmul"))
        assert (key, mul) == (HASH_KEY, HASH_MULTIPLIER)   # what call_check() uses


def _maybe_assemble_aarch64():
    if shutil.which("aarch64-linux-gnu-as") is None:
        return None, None
    return assemble_aarch64(aarch64.TRAMPOLINE_ASM)


def test_call_words_put_the_block_in_the_mailbox_unless_elsewhere():
    block = (0x4000).to_bytes(8, "little") + (0x5000).to_bytes(8, "little")
    raw = call_words(x86_64, 0x9000, 0x1000, block, None, 0x3000, 4)
    words = [int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw), 8)]
    inside = 0x9000 + mailbox_block(x86_64)
    assert words[STATUS // 8] == 0
    assert words[NEXT // 8] == 0x3000 and words[NOT_NEXT // 8] == ~0x3000 & (1 << 64) - 1
    assert words[COUNT // 8] == 5 and words[ENTRY // 8:] == [0x1000, inside, 4, 0x4000, 0x5000]
    assert words[CHECK // 8] == call_check([0x1000, inside, 4, 0x4000, 0x5000])
    raw = call_words(x86_64, 0x9000, 0x1000, block, 0x7000, 0x3000, 4)
    words = [int.from_bytes(raw[i:i + 8], "little") for i in range(0, len(raw), 8)]
    assert words[ENTRY // 8:] == [0x1000, 0x7000, 4] and words[COUNT // 8] == 3
    raw = call_words(x86_64, 0x9000, 0x1000, b"", None, 0, 0)
    assert int.from_bytes(raw[ENTRY + 8:ENTRY + 16], "little") == 0


def test_call_check_is_the_trampolines_hash():
    """h = key; for each word: h = (h ^ word) * multiplier mod 2**64."""
    h = 0x9E3779B97F4A7C15
    for w in (1, 2, 3):
        h = ((h ^ w) * 0x5BD1E995) % (1 << 64)
    assert call_check([1, 2, 3]) == h
    assert call_check([1, 2, 3]) != call_check([1, 2, 4])


def test_trampoline_bytes_name_the_mailbox():
    for abi in (x86_64, aarch64):
        code = trampoline_bytes(abi, 0x7FFF12345678)
        assert code[:abi.MAILBOX_POINTER] == abi.TRAMPOLINE[:abi.MAILBOX_POINTER]
        assert int.from_bytes(code[abi.MAILBOX_POINTER:], "little") == 0x7FFF12345678


def test_frame_is_below_the_red_zone_and_the_saved_registers():
    assert x86_64.frame_of(0x7000) == 0x7000 - 128 - x86_64.SAVED_BYTES
    assert "leaq -128(%rsp), %rsp" in x86_64.TRAMPOLINE_ASM
    assert "leaq 128(%rsp), %rsp" in x86_64.TRAMPOLINE_ASM


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
    regs = x86_64.recovery_registers(0x1000)
    assert regs == {"rax": 0, "rip": 0x1000 + x86_64.RESTORE}


@pytest.mark.parametrize("rax, zeroed", [(-512 % 2**64, True), (-516 % 2**64, True),
                                         (-4 % 2**64, False), (7, False), (0, False)])
def test_entry_cancels_a_pending_syscall_restart(rax, zeroed):
    regs = x86_64.entry_registers({"rax": rax, "rflags": 0x246})
    assert regs == ({"rax": 0} if zeroed else {})
    assert x86_64.restore_after({"rax": rax, "rflags": 0x246}) == \
        ({"rax": rax} if zeroed else {})


def test_rax_is_read_only_after_a_system_call_instruction():
    code = {0x1000: bytes.fromhex("0f05"), 0x2000: bytes.fromhex("4889"),
            0x3000: bytes.fromhex("cd80")}
    read = lambda address, size: code[address]   # noqa: E731
    assert x86_64.entry_checked(read, 0x1002) == ("rax", "rflags")
    assert x86_64.entry_checked(read, 0x2002) == ("rflags",)
    assert x86_64.entry_checked(read, 0x3002) == ("rax", "rflags")
    assert x86_64.entry_checked(read, 0x4002) == ("rax", "rflags")   # unreadable
    assert x86_64.entry_registers({"rflags": 0x246}) == {}


@pytest.mark.skipif(llvm.get_process_triple().split("-")[0] != "x86_64",
                    reason="LLVM's native assembler here is not x86-64")
@pytest.mark.parametrize("calls", [[(9, (0, 0x10000, 3, 0x22, (1 << 64) - 1, 0))],
                                   [(11, (0x7F0012345000, 0x2000))],
                                   [(9, (0, 0x10000, 3, 0x22, (1 << 64) - 1, 0)),
                                    (9, (0, 0x10000, 5, 0x22, (1 << 64) - 1, 0))]])
def test_syscall_stub_bytes_are_its_assembly(calls):
    stub = x86_64.syscall_stub(calls, lambda address, size: b"\x48\x89", 0x1002)
    saved = ["rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11"]
    asm = ["leaq -256(%rsp), %rsp", *(f"movq %{r}, {8 * i}(%rsp)" for i, r in enumerate(saved)),
           "loads:"]
    for k, (number, args) in enumerate(calls):
        loads = zip(["rax", "rdi", "rsi", "rdx", "r10", "r8", "r9"], (number, *args))
        asm += [*(f"movabsq ${v - (1 << 64) if v >> 63 else v}, %{r}" for r, v in loads),
                "syscall", f"movq %rax, {72 + 8 * k}(%rsp)"]
    asm += [*(f"movq {8 * i}(%rsp), %{r}" for i, r in enumerate(saved)), "trap:", "int3"]
    code, symbols = assemble_x86_64("\n".join(asm))
    assert stub.code == code
    assert (stub.saves_end, stub.trap) == (symbols["loads"], symbols["trap"])
    assert stub.saved == tuple(saved)
    assert stub.results == tuple(72 + 8 * k for k in range(len(calls)))
    # the save area and the results stay below the red zone
    assert stub.drop - x86_64.RED_ZONE >= stub.results[-1] + 8


def test_no_syscall_stub_where_the_kernel_would_restart_a_system_call():
    code = {0x1000: bytes.fromhex("0f05"), 0x2000: bytes.fromhex("4889")}
    read = lambda address, size: code[address]   # noqa: E731
    assert x86_64.syscall_stub([(9, (0,) * 6)], read, 0x1002) is None
    assert x86_64.syscall_stub([(9, (0,) * 6)], read, 0x2002) is not None
    assert x86_64.syscall_stub([(9, (0,) * 6)] * 8, read, 0x2002) is None   # no room


def test_resume_flag_is_put_back_by_the_debugger():
    assert x86_64.restore_after({"rax": 0, "rflags": 0x10246}) == {"rflags": 0x10246}


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
    assert symbols["mailbox"] == aarch64.MAILBOX_POINTER == len(code) - 8
    brk = bytes.fromhex("000020d4")   # brk #0
    assert aarch64.TRAP == symbols["mismatch"] - 4 and code[aarch64.TRAP:aarch64.TRAP + 4] == brk
    assert code[aarch64.CHECK_TRAP:aarch64.CHECK_TRAP + 4] == brk
    assert aarch64.CHECK_TRAP == symbols["reject"] - 4
    assert code[aarch64.CALL_SITE:aarch64.RESTORE] == bytes.fromhex("20023fd6")  # blr x17
    assert code[aarch64._READ_NZCV:aarch64._READ_NZCV + 4] == bytes.fromhex("00423bd5")
    assert code[aarch64.SAVED_END - 4:aarch64.SAVED_END] == bytes.fromhex("fe030fa9")


def test_aarch64_save_area_layout():
    """x0-x30 and NZCV fill SAVED_BYTES at the top of the area; x29 points at its
    bottom (the frame), which the mailbox keeps for the restore path."""
    stores = [line.split() for line in aarch64.TRAMPOLINE_ASM.splitlines()
              if line.strip().startswith("stp x")]
    gprs = [w.rstrip(",") for words in stores for w in words[1:3]]
    assert gprs[:30] == [f"x{i}" for i in range(30)] and gprs[30] == "x30"
    assert aarch64.SAVED_BYTES == 8 * len(aarch64.PUSHED_REGISTERS) == 256
    assert "add x17, x29, #%d" % aarch64.SAVED_OFFSET in aarch64.TRAMPOLINE_ASM
    assert "sub sp, sp, #%d" % (aarch64.RED_ZONE + aarch64.SAVED_BYTES) in aarch64.TRAMPOLINE_ASM
    assert aarch64.frame_of(0x7000) == 0x7000 - aarch64.RED_ZONE - aarch64.FRAME_BYTES
    assert "mov x2, #%d" % (aarch64.SAVED_BYTES // 8) in aarch64.TRAMPOLINE_ASM
    assert aarch64.recovery_registers(0x1000) == {"pc": 0x1000 + aarch64.RESTORE}
    assert aarch64.changed_while_saving(aarch64._READ_NZCV) == ()
    assert aarch64.changed_while_saving(aarch64.SAVED_END - 4) == ("x0",)


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
