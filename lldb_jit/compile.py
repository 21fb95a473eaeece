"""Compile an llvmlite IR module to an ELF relocatable object for a target triple.

LLVM's targets are initialized once per process and one TargetMachine is kept per
triple, so a warm call costs only parsing, optimizing and emitting."""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

import llvmlite.binding as llvm

from .errors import JitError

Dump = Callable[[str, str], None]


@lru_cache(maxsize=None)
def _init_llvm() -> None:
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()


@lru_cache(maxsize=None)
def target_machine(triple: str, opt: int = 2) -> llvm.TargetMachine:
    """The cached TargetMachine for `triple`: position-independent, small code model."""
    _init_llvm()
    try:
        target = llvm.Target.from_triple(triple)
    except RuntimeError as e:
        raise JitError(f"LLVM has no target for '{triple}': {e}") from None
    return target.create_target_machine(opt=opt, reloc="pic", codemodel="small")


def data_layout(triple: str) -> str:
    return str(target_machine(triple).target_data)


def compile_module(module, triple: str, opt: int = 2, dump: Dump | None = None) -> bytes:
    """Optimize `module` (an llvmlite.ir.Module) at level `opt` and return the ELF
    relocatable object. `dump(kind, text)` receives "ir", "ir-opt" and "asm"."""
    tm = target_machine(triple, opt)
    text = str(module)
    if dump:
        dump("ir", text)
    mod = llvm.parse_assembly(text)
    mod.triple = triple
    mod.data_layout = str(tm.target_data)
    if opt > 0:
        optimize(mod, tm, opt)
    if dump:
        dump("ir-opt", str(mod))
        dump("asm", tm.emit_assembly(mod))
    return tm.emit_object(mod)


def optimize(mod, tm: llvm.TargetMachine, opt: int) -> None:
    """Run the O`opt` module pipeline on a parsed module, in place."""
    pto = llvm.create_pipeline_tuning_options(speed_level=min(opt, 3))
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
