"""Expressions that need no process: `sizeof`, enumerators, casts and arithmetic on them,
as `expression` answers them before `run`. The same front end and code generator; the
code then runs on the host when the host's CPU is the target's (in a forked child, so
that a division by zero or a wild load kills the child, never LLDB), and is folded by
LLVM otherwise (the optimized function must store a constant)."""
from __future__ import annotations

import ctypes
import os
import platform
import re
import signal
import struct

import llvmlite.binding as llvm

from .compile import data_layout, optimize, target_machine
from .errors import CompileError, ExecError
from .frontend import Program
from .frontend.ctype import is_flonum, strip_typedefs
from .irgen import ENTRY, gen_module

_HOST_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def check_constant(program: Program) -> None:
    """A program that reads nothing of the debuggee, or the error saying what it needs."""
    needs = [s.name for s in list(program.frame_refs) + list(program.externals)]
    if needs or program.new_persistents:
        name = needs[0] if needs else program.new_persistents[0].name
        at = program.source.find(name)
        raise CompileError(max(at, 0), len(name), f"'{name}' needs a running process: "
                                                  "only constant expressions can be "
                                                  "evaluated before `run`")
    if program.result_type is None:
        raise CompileError(0, len(program.source), "no value to evaluate without a process")


def evaluate_constant(program: Program, triple: str) -> bytes:
    """The bytes of the result of a constant program, in the target's byte order."""
    module = gen_module(program, triple, data_layout(triple))
    if triple.split("-")[0] == _HOST_ARCH.get(platform.machine()):
        return _run_on_host(str(module), strip_typedefs(program.result_type).size)
    return _fold(str(module), triple, program)


def _run_on_host(text: str, size: int) -> bytes:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    mod = llvm.parse_assembly(text)
    tm = llvm.Target.from_default_triple().create_target_machine(opt=2)
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    function = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)(
        engine.get_function_address(ENTRY))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:        # the child: run, send the result, and leave at once
        try:
            result = ctypes.create_string_buffer(max(size, 1))
            function(None, ctypes.addressof(result))
            os.write(write, result.raw[:size])
        finally:
            os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 4096):
        data += chunk
    os.close(read)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        raise ExecError(f"the expression stopped: signal {name}")
    if len(data) != size:
        raise ExecError("the expression did not return a value")
    return data


_STORE = re.compile(r"store (\w+) ([^,]+), ptr %\"?result\"?")


def _fold(text: str, triple: str, program: Program) -> bytes:
    tm = target_machine(triple)
    mod = llvm.parse_assembly(text)
    mod.triple, mod.data_layout = triple, str(tm.target_data)
    optimize(mod, tm, 2)
    body = [str(i).strip() for b in mod.get_function(ENTRY).blocks for i in b.instructions]
    stores = [_STORE.match(line) for line in body if line.startswith("store")]
    if len(body) != 2 or len(stores) != 1 or stores[0] is None:
        raise ExecError("this expression needs running code, and the host cannot run "
                        f"{triple.split('-')[0]} code: start the process")
    ty, value = stores[0].groups()
    order = "big" if str(tm.target_data).startswith("E") else "little"
    size = strip_typedefs(program.result_type).size
    if is_flonum(program.result_type) and ty in ("float", "double"):
        number = _ieee(value) if value.startswith("0x") else float(value)
        return struct.pack(("<" if order == "little" else ">") + ("f" if ty == "float" else "d"),
                           number)
    if value == "null":
        value = "0"
    number = re.search(r"-?\d+", value)     # `i32 42`, `inttoptr (i64 5 to ptr)`
    if number is None:
        raise ExecError("the expression does not fold to a constant: start the process")
    return (int(number.group()) % (1 << 8 * size)).to_bytes(size, order)


def _ieee(hexbits: str) -> float:
    """LLVM prints float constants as the hex of their double's bits."""
    return struct.unpack("<d", int(hexbits, 16).to_bytes(8, "little"))[0]
