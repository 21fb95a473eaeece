"""lldb-jit: evaluate C expressions in LLDB by compiling them with LLVM and running the
machine code inside the stopped debuggee.

    (lldb) command script import lldb_jit
    (lldb) jit-eval counter + local * 2
    (int) $0 = 55

From Python (scripts, breakpoint callbacks): `lldb_jit.evaluate(frame, "x * 2")` returns
an `lldb.SBValue`; see lldb_jit/api.py.
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
    debugger.HandleCommand("command script add -o -C variable-path "
                           "-c lldb_jit.command.JitEvalCommand jit-eval")
    debugger.HandleCommand(
        "command script add -o -c lldb_jit.command.JitCompleteCommand jit-complete")
