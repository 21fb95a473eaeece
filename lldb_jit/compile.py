"""Compile an llvmlite IR module to an ELF relocatable object for a target triple.

LLVM's targets are initialized once per process and one TargetMachine is kept per
triple and level, so a warm call costs only parsing, optimizing and emitting. The level
follows what the code does: code that loops is optimized (O2: a loop of 10^8 turns
runs at native speed), straight-line code runs once and is emitted as it is (O0: no IR
passes and LLVM's fast instruction selection, a third of O2's time)."""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Callable

from . import targets
from .errors import JitError

Dump = Callable[[str, str], None]
LOOP_OPT, STRAIGHT_OPT = 2, 0


def _llvm():
    """llvmlite's binding, imported at the first compile (or by the plugin's warm-up
    thread, lldb_jit/__init__.py): loading LLVM's library is most of the first
    evaluation's time, and an evaluation whose code is cached needs none."""
    import llvmlite.binding as llvm
    return llvm


def load_llvm() -> None:
    """Load LLVM's library (llvmlite declares every C function's prototype as it
    loads), without running LLVM."""
    _llvm()


@lru_cache(maxsize=None)
def _init_llvm() -> None:
    llvm = _llvm()
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()


@lru_cache(maxsize=None)
def target_machine(triple: str, opt: int = 2):
    """The cached TargetMachine for `triple`: position-independent, small code model,
    with the CPU extensions and ABI the target folder names (RISC-V's LLVM default is
    RV64I with soft float, not what Linux runs)."""
    _init_llvm()
    llvm = _llvm()
    try:
        target = llvm.Target.from_triple(triple)
    except RuntimeError as e:
        raise JitError(f"LLVM has no target for '{triple}': {e}") from None
    try:
        cpu = targets.for_triple(triple)
        features, abi = cpu.llvm_features, cpu.llvm_abi
    except JitError:
        features, abi = "", ""
    return target.create_target_machine(opt=opt, reloc="pic", codemodel="small",
                                        features=features, abiname=abi)


def data_layout(triple: str) -> str:
    return str(target_machine(triple).target_data)


def level_for(module) -> int:
    """The optimization level for an llvmlite.ir.Module: LOOP_OPT when a function of
    it has a loop (a branch back to a block it came from), else STRAIGHT_OPT."""
    return LOOP_OPT if any(_has_loop(f) for f in module.functions if f.blocks) else STRAIGHT_OPT


def _has_loop(function) -> bool:
    """A back edge in the control flow graph, by depth-first search from the entry."""
    state: dict[int, int] = {}          # id(block) -> 1 on the stack, 2 done
    stack = [(function.blocks[0], iter(_successors(function.blocks[0])))]
    state[id(function.blocks[0])] = 1
    while stack:
        block, successors = stack[-1]
        for succ in successors:
            seen = state.get(id(succ))
            if seen == 1:
                return True
            if seen is None:
                state[id(succ)] = 1
                stack.append((succ, iter(_successors(succ))))
                break
        else:
            state[id(block)] = 2
            stack.pop()
    return False


def _successors(block) -> list:
    from llvmlite import ir
    term = block.terminator
    if term is None:
        return []
    found = [op for op in term.operands if isinstance(op, ir.Block)]
    found += [b for _, b in getattr(term, "cases", ())]
    found += list(getattr(term, "destinations", ()))
    default = getattr(term, "default", None)
    return found + ([default] if isinstance(default, ir.Block) else [])


def compile_module(module, triple: str, opt: int | None = None,
                   dump: Dump | None = None) -> bytes:
    """Optimize `module` (an llvmlite.ir.Module) at level `opt` (by default the one its
    code needs: level_for) and return the ELF relocatable object. `dump(kind, text)`
    receives "ir", "ir-opt" and "asm"."""
    if opt is None:
        opt = level_for(module)
    text = str(module)
    if dump:
        dump("ir", text)
    else:
        cached = _cached_object(triple, opt, text)
        if cached is not None:
            return cached
    llvm = _llvm()
    tm = target_machine(triple, opt)
    mod = llvm.parse_assembly(text)
    mod.triple = triple
    mod.data_layout = str(tm.target_data)
    if opt > 0:
        optimize(mod, tm, opt)
    if dump:
        dump("ir-opt", str(mod))
        dump("asm", tm.emit_assembly(mod))
    obj = tm.emit_object(mod)
    _keep_object(triple, opt, text, obj)
    return obj


# Objects by their IR, level and triple, kept on disk across sessions: the IR names
# every external symbol and holds no address, so the same expression over the same types
# compiles to the same object in any process. Most of an O0 compile is LLVM's code
# generator setting up (about 2 ms), which a hit skips.
OBJECT_CACHE_LIMIT = 4096      # files; the oldest go beyond it
CACHE_FORMAT = 1               # change with the passes or target options: old objects go


def cache_dir() -> str:
    """Where lldb-jit keeps what it may reuse across sessions: $LLDB_JIT_CACHE, or
    lldb-jit in the user's cache directory."""
    return os.environ.get("LLDB_JIT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "lldb-jit")


def _object_path(triple: str, opt: int, text: str) -> str:
    import hashlib
    import llvmlite
    home = cache_dir()
    try:
        cpu = targets.for_triple(triple)
        machine = f"{cpu.llvm_features}\0{cpu.llvm_abi}"
    except JitError:
        machine = ""
    key = hashlib.sha256(f"{CACHE_FORMAT}\0{llvmlite.__version__}\0{triple}\0{machine}\0"
                         f"{opt}\0{text}".encode()).hexdigest()
    return os.path.join(home, "objects", key[:2], key + ".o")


def _cached_object(triple: str, opt: int, text: str) -> bytes | None:
    try:
        with open(_object_path(triple, opt, text), "rb") as f:
            obj = f.read()
    except OSError:
        return None
    return obj if obj.startswith(b"\x7fELF") else None


def _keep_object(triple: str, opt: int, text: str, obj: bytes) -> None:
    path = _object_path(triple, opt, text)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(f"{path}.{os.getpid()}", "wb") as f:
            f.write(obj)
        os.replace(f"{path}.{os.getpid()}", path)
        _prune(os.path.dirname(os.path.dirname(path)))
    except OSError:
        pass          # no cache: compile again next time


def _prune(root: str) -> None:
    """Now and then (one write in 64), the oldest objects beyond the limit go."""
    import random
    if random.randrange(64):
        return
    files = [os.path.join(d, f) for d, _, names in os.walk(root) for f in names]
    if len(files) > OBJECT_CACHE_LIMIT:
        files.sort(key=lambda f: os.stat(f).st_mtime)
        for f in files[:len(files) - OBJECT_CACHE_LIMIT]:
            os.unlink(f)


def optimize(mod, tm, opt: int) -> None:
    """Run the O`opt` module pipeline on a parsed module, in place."""
    llvm = _llvm()
    pto = llvm.create_pipeline_tuning_options(speed_level=min(opt, 3))
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
