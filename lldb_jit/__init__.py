"""lldb-jit: evaluate C expressions in LLDB by compiling them with LLVM and running the
machine code inside the stopped debuggee.

    (lldb) command script import lldb_jit
    (lldb) jit-eval counter + local * 2
    (int) $0 = 55

From Python (scripts, breakpoint callbacks): `lldb_jit.evaluate(frame, "x * 2")` returns
an `lldb.SBValue`; see lldb_jit/api.py.

Importing the plugin registers the commands and returns; a background thread then
imports the pipeline and LLVM's library (most of the first evaluation's cost), while
the user sets up the target. The first `jit-eval` waits for it if it comes sooner.
"""
from .errors import CompileError, ExecError, JitError, LinkError  # noqa: F401


def evaluate(context, text, **options):
    """`jit-eval` as a function: the result as an lldb.SBValue (None when there is no
    value); raises JitError (CompileError with the caret's offset for bad C)."""
    from .api import evaluate as _evaluate
    return _evaluate(context, text, **options)


def __lldb_init_module(debugger, internal_dict):
    from . import command  # noqa: F401  (LLDB finds the class as lldb_jit.command...)
    # Tab after `jit-eval`: LLDB calls no Python to complete a raw command, only one of
    # its built-in completers (README, "Completion"); jit-complete lists ours.
    add = "command script add -o -c lldb_jit.command.JitEvalCommand jit-eval"
    if not _succeeds(debugger, add.replace(" -c ", " -C variable-path -c ", 1)):
        debugger.HandleCommand(add)   # LLDB 16 has no -C: Tab then completes nothing
    debugger.HandleCommand(
        "command script add -o -c lldb_jit.command.JitCompleteCommand jit-complete")
    _load_data_formatters(debugger)
    _warm_up_in_background()


def _load_data_formatters(debugger) -> None:
    """LLDB loads its C++ and Objective-C data formatters (about 15 ms, compiling their
    regular expressions) the first time it formats or updates any value, a C one too:
    loading the plugin does it, rather than the first evaluation. (In the foreground:
    a thread could still be inside LLDB when a debugger that exits at once tears it
    down.)"""
    import lldb
    for language in (lldb.eLanguageTypeC_plus_plus, lldb.eLanguageTypeObjC):
        debugger.GetCategory(language)


def _succeeds(debugger, command: str) -> bool:
    """Run an LLDB command, printing nothing; whether it succeeded."""
    import lldb
    result = lldb.SBCommandReturnObject()
    debugger.GetCommandInterpreter().HandleCommand(command, result)
    return result.Succeeded()


def _warm_up_in_background() -> None:
    import threading
    threading.Thread(target=_warm_up, name="lldb-jit warm-up", daemon=True).start()


def _warm_up() -> None:
    """Import what an evaluation needs. Only imports: nothing here may run LLVM code,
    which a debugger exiting at once would tear down under it."""
    try:
        import hashlib  # noqa: F401  (the object cache's keys: OpenSSL, some 4 ms)
        import importlib
        import json  # noqa: F401
        from . import api, session  # noqa: F401  (the command's entry; the pipeline)
        from . import targets
        for folder in set(targets._FOLDERS.values()):
            importlib.import_module(f"{targets.__name__}.{folder}")
        # what every evaluation needs first; then what only some do (a -g3 program's
        # macros, a compile), in case the first comes sooner
        from .stophandling import library, load_unwinder
        load_unwinder()
        library()                            # LLDB's symbol table, for callbacks
        from .dwarfmacros import load_elf_reader
        load_elf_reader()
        from .compile import load_llvm
        load_llvm()
    except Exception:   # an evaluation will import again and report what fails
        pass
